//! A typed model of the struct under `#[product_block]` or `#[product]`.

use proc_macro2::{Span, TokenStream};
use syn::{Attribute, Ident, LitStr, Type, Visibility};

use crate::attr::{self, FieldAttrs, Items, Stage};
use crate::ctxt::{Ctxt, SpanRange};

/// Which macro is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModelKind {
    Block,
    Product,
}

impl ModelKind {
    pub(crate) fn macro_name(self) -> &'static str {
        match self {
            ModelKind::Block => "product_block",
            ModelKind::Product => "product",
        }
    }

    fn name_key(self) -> &'static str {
        match self {
            ModelKind::Block => "name",
            ModelKind::Product => "product_type",
        }
    }
}

/// The struct, its name in the database, and its fields.
pub(crate) struct Model {
    pub(crate) kind: ModelKind,
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) ident: Ident,
    /// The block name or product type.
    pub(crate) name: LitStr,
    pub(crate) fields: Vec<ModelField>,
    /// `#[product(imported)]`: subscriptions of it are imported or filled by migrations, never
    /// made by `from_product`, which it does not get.
    pub(crate) imported: bool,
}

/// One field with its orch attributes separated out.
pub(crate) struct ModelField {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) ident: Ident,
    /// The field name without `r#`: the resource type, fixed input or relation attribute name.
    pub(crate) name: String,
    pub(crate) ty: Type,
    /// The stage, and the span of the whole `#[required_from(..)]`.
    pub(crate) required_from: Option<(Stage, SpanRange)>,
    pub(crate) renamed_from: Vec<LitStr>,
    pub(crate) items: Option<Items>,
}

/// The derives that orch writes itself for model types (they must see through the
/// lifecycle-dependent field types), and those it cannot offer.
const GENERATED_DERIVES: &[&str] = &["Debug", "Clone", "PartialEq", "Serialize"];
const UNSUPPORTED_DERIVES: &[&str] = &[
    "Eq",
    "PartialOrd",
    "Ord",
    "Hash",
    "Copy",
    "Default",
    "Deserialize",
];

/// Parses the macro input; `None` when it is not a struct with named fields.
pub(crate) fn parse(
    cx: &mut Ctxt,
    kind: ModelKind,
    args: TokenStream,
    input: TokenStream,
) -> Option<Model> {
    let macro_name = kind.macro_name();
    let flags: &[&str] = match kind {
        ModelKind::Block => &[],
        ModelKind::Product => &["imported"],
    };
    let (args, set) = match attr::macro_args(cx, macro_name, &[kind.name_key()], flags, args) {
        Some((args, set)) => (Some(args), set),
        None => (None, Vec::new()),
    };
    let imported = set.iter().any(|f| f == "imported");
    let item: syn::Item = match syn::parse2(input) {
        Ok(item) => item,
        Err(e) => {
            cx.syn_error(e);
            return None;
        }
    };
    let item = match item {
        syn::Item::Struct(item) => item,
        syn::Item::Enum(e) => {
            let hint = if e
                .variants
                .iter()
                .all(|v| matches!(v.fields, syn::Fields::Unit))
            {
                "for a resource type or fixed input with a fixed set of values, use \
                 #[derive(FieldValue)]"
            } else {
                "for a field that holds one of several block types, make each a \
                 #[product_block] struct and combine them with #[block_union]"
            };
            let (enum_token, ident) = (&e.enum_token, &e.ident);
            cx.error_spanned_by(
                quote::quote!(#enum_token #ident),
                format!(
                    "#[{macro_name}] applies to a struct with named fields, not an enum; {hint}"
                ),
            );
            return None;
        }
        other => {
            cx.error_spanned_by(
                &other,
                format!("#[{macro_name}] applies to a struct with named fields"),
            );
            return None;
        }
    };
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        cx.error_spanned_by(
            &item.generics,
            format!(
                "#[{macro_name}] structs cannot be generic: orch adds the lifecycle parameter itself"
            ),
        );
    }
    let named = match item.fields {
        syn::Fields::Named(named) => named,
        syn::Fields::Unnamed(f) => {
            cx.error_spanned_by(
                &f,
                format!(
                    "#[{macro_name}] needs named fields: each field name is a {} name",
                    match kind {
                        ModelKind::Block => "resource type or relation",
                        ModelKind::Product => "fixed input or block relation",
                    }
                ),
            );
            return None;
        }
        syn::Fields::Unit => {
            let ident = &item.ident;
            cx.error_spanned_by(
                ident,
                format!(
                    "#[{macro_name}] needs a struct with named fields: \
                     `struct {ident} {{ .. }}` (the braces may be empty)"
                ),
            );
            return None;
        }
    };
    let name = match args.as_ref().and_then(|args| args.first()) {
        Some((_, lit)) => lit.clone(),
        None => {
            let default = LitStr::new(&item.ident.to_string(), item.ident.span());
            // With malformed arguments the name may only be misspelt; that error is enough.
            if kind == ModelKind::Block && args.is_some() {
                cx.syn_error(syn::Error::new(
                    Span::call_site(),
                    format!(
                        "missing block name: write #[product_block(name = {:?})]; \
                         the name is `product_blocks.name` in the database",
                        item.ident.to_string()
                    ),
                ));
            }
            default
        }
    };
    let attrs = struct_attrs(cx, item.attrs);
    let fields = named
        .named
        .into_iter()
        .map(|f| {
            let FieldAttrs {
                required_from,
                renamed_from,
                items,
                other,
            } = attr::field_attrs(cx, f.attrs);
            let ident = f.ident.expect("named field");
            ModelField {
                name: syn::ext::IdentExt::unraw(&ident).to_string(),
                attrs: other,
                vis: f.vis,
                ident,
                ty: f.ty,
                required_from,
                renamed_from,
                items,
            }
        })
        .collect();
    Some(Model {
        kind,
        attrs,
        vis: item.vis,
        ident: item.ident,
        name,
        fields,
        imported,
    })
}

/// Keeps the struct's attributes, minus the derives orch generates itself.
fn struct_attrs(cx: &mut Ctxt, attrs: Vec<Attribute>) -> Vec<Attribute> {
    let mut out = Vec::with_capacity(attrs.len());
    for attr in attrs {
        if !attr.path().is_ident("derive") {
            out.push(attr);
            continue;
        }
        let paths = match attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        ) {
            Ok(p) => p,
            Err(_) => {
                out.push(attr);
                continue;
            }
        };
        let mut kept: Vec<syn::Path> = Vec::new();
        for path in paths {
            let last = path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            if GENERATED_DERIVES.contains(&last.as_str()) {
                continue;
            }
            if UNSUPPORTED_DERIVES.contains(&last.as_str()) {
                cx.error_spanned_by(
                    &path,
                    format!(
                        "orch model types cannot derive `{last}`: their fields change type \
                         with the lifecycle; orch already implements Debug, Clone, PartialEq \
                         and Serialize"
                    ),
                );
                continue;
            }
            kept.push(path);
        }
        if !kept.is_empty() {
            out.push(syn::parse_quote!(#[derive(#(#kept),*)]));
        }
    }
    out
}
