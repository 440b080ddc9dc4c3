//! Reading the macro arguments (`name = "..."`, `product_type = "..."`) and the field attributes
//! (`required_from`, `renamed_from`, `items`).

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::{Attribute, LitInt, LitStr};

use crate::ctxt::Ctxt;

/// The lifecycle from which a field is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Provisioning,
    Active,
}

impl Stage {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stage::Provisioning => "provisioning",
            Stage::Active => "active",
        }
    }
}

/// `#[items(min = .., max = ..)]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Items {
    pub(crate) min: Option<u32>,
    pub(crate) max: Option<u32>,
    pub(crate) span: Option<Span>,
}

/// The orch attributes found on one field; everything else stays on the field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) required_from: Option<(Stage, Span)>,
    pub(crate) renamed_from: Vec<LitStr>,
    pub(crate) items: Option<Items>,
    pub(crate) other: Vec<Attribute>,
}

/// Reads `key = "value"` pairs of a macro's arguments; `keys` are the accepted keys.
pub(crate) fn macro_args(
    cx: &mut Ctxt,
    macro_name: &str,
    keys: &[&str],
    args: TokenStream,
) -> Vec<(String, LitStr)> {
    let mut out: Vec<(String, LitStr)> = Vec::new();
    let parser = syn::meta::parser(|meta| {
        let key = meta.path.get_ident().map(ToString::to_string);
        match key {
            Some(key) if keys.contains(&key.as_str()) => {
                let value: LitStr = meta.value()?.parse()?;
                if out.iter().any(|(k, _)| *k == key) {
                    return Err(meta.error(format!("`{key}` is given twice")));
                }
                out.push((key, value));
                Ok(())
            }
            _ => Err(meta.error(format!(
                "unknown key `{}` for #[{macro_name}]; expected {}",
                path_text(&meta.path),
                expected(keys)
            ))),
        }
    });
    if let Err(e) = parser.parse2(args) {
        cx.syn_error(e);
    }
    out
}

/// Splits a field's attributes into orch's and the rest, reporting malformed orch attributes.
pub(crate) fn field_attrs(cx: &mut Ctxt, attrs: Vec<Attribute>) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs {
        let Some(name) = attr.path().get_ident().map(ToString::to_string) else {
            out.other.push(attr);
            continue;
        };
        match name.as_str() {
            "required_from" => {
                if out.required_from.is_some() {
                    cx.error_spanned_by(&attr, "`#[required_from]` is given twice on this field");
                    continue;
                }
                out.required_from = required_from(cx, &attr);
            }
            "renamed_from" => renamed_from(cx, &attr, &mut out.renamed_from),
            "items" => {
                if out.items.is_some() {
                    cx.error_spanned_by(&attr, "`#[items]` is given twice on this field");
                    continue;
                }
                out.items = items(cx, &attr);
            }
            _ => out.other.push(attr),
        }
    }
    out
}

fn required_from(cx: &mut Ctxt, attr: &Attribute) -> Option<(Stage, Span)> {
    let ident: syn::Ident = match attr.parse_args() {
        Ok(ident) => ident,
        Err(_) => {
            cx.error_spanned_by(
                attr,
                "expected `#[required_from(provisioning)]` or `#[required_from(active)]`",
            );
            return None;
        }
    };
    let stage = match ident.to_string().as_str() {
        "provisioning" => Stage::Provisioning,
        "active" => Stage::Active,
        "initial" => {
            cx.error_spanned_by(
                &ident,
                "a field without `#[required_from]` is already required in every lifecycle; \
                 remove the attribute, or use `provisioning` or `active`",
            );
            return None;
        }
        "terminated" | "migrating" | "disabled" => {
            cx.error_spanned_by(
                &ident,
                format!(
                    "`{ident}` requires nothing beyond always-required fields; \
                     a field can be required from `provisioning` or `active`"
                ),
            );
            return None;
        }
        other => {
            cx.error_spanned_by(
                &ident,
                format!("unknown lifecycle `{other}`; expected `provisioning` or `active`"),
            );
            return None;
        }
    };
    Some((stage, attr_span(attr)))
}

fn renamed_from(cx: &mut Ctxt, attr: &Attribute, out: &mut Vec<LitStr>) {
    let parsed = match &attr.meta {
        syn::Meta::NameValue(nv) => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Ok(vec![s.clone()]),
            other => Err(syn::Error::new_spanned(
                other,
                "expected a string: `#[renamed_from = \"old_name\"]`",
            )),
        },
        syn::Meta::List(_) => attr
            .parse_args_with(
                syn::punctuated::Punctuated::<LitStr, syn::Token![,]>::parse_terminated,
            )
            .map(|p| p.into_iter().collect()),
        syn::Meta::Path(_) => Err(syn::Error::new_spanned(
            attr,
            "expected `#[renamed_from = \"old_name\"]`",
        )),
    };
    match parsed {
        Ok(names) if names.is_empty() => {
            cx.error_spanned_by(attr, "`#[renamed_from]` needs at least one old name")
        }
        Ok(names) => {
            for n in names {
                if n.value().trim().is_empty() {
                    cx.error_spanned_by(&n, "an old name cannot be empty");
                } else {
                    out.push(n);
                }
            }
        }
        Err(e) => cx.syn_error(e),
    }
}

fn items(cx: &mut Ctxt, attr: &Attribute) -> Option<Items> {
    let mut items = Items {
        span: Some(attr_span(attr)),
        ..Items::default()
    };
    let result = attr.parse_nested_meta(|meta| {
        let key = meta.path.get_ident().map(ToString::to_string);
        let slot = match key.as_deref() {
            Some("min") => &mut items.min,
            Some("max") => &mut items.max,
            _ => {
                return Err(meta.error(format!(
                    "unknown key `{}` in #[items]; expected `min` or `max`",
                    path_text(&meta.path)
                )));
            }
        };
        if slot.is_some() {
            return Err(meta.error("given twice"));
        }
        let lit: LitInt = meta.value()?.parse()?;
        *slot = Some(lit.base10_parse::<u32>()?);
        Ok(())
    });
    if let Err(e) = result {
        cx.syn_error(e);
        return None;
    }
    match (items.min, items.max) {
        (None, None) => {
            cx.error_spanned_by(attr, "`#[items]` needs `min`, `max` or both");
            None
        }
        (Some(min), Some(max)) if min > max => {
            cx.error_spanned_by(attr, format!("`min = {min}` is larger than `max = {max}`"));
            None
        }
        (_, Some(0)) => {
            cx.error_spanned_by(attr, "`max = 0` leaves no room for any item");
            None
        }
        _ => Some(items),
    }
}

fn attr_span(attr: &Attribute) -> Span {
    use syn::spanned::Spanned;
    attr.span()
}

pub(crate) fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

fn expected(keys: &[&str]) -> String {
    match keys {
        [one] => format!("`{one}`"),
        _ => keys
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}
