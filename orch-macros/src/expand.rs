//! Code generation for `#[product_block]` and `#[product]`.
//!
//! For `#[product_block(name = "UserBlock")] struct UserBlock { .. }` this writes:
//! - the struct with a lifecycle parameter, `UserBlock<L: Lifecycle = Active>`, whose fields are
//!   typed for `L` (`#[required_from(active)] user_id: i64` becomes `Option<i64>` before active),
//!   plus a `meta` field with the instance metadata;
//! - aliases `UserBlockInactive` and `UserBlockProvisioning`, as orchestrator-core names them;
//! - a static descriptor and the `ProductBlock`, `Field`, `Clone`, `PartialEq`, `Debug` and
//!   `Serialize` impls, inside `const _: () = { .. };` so that nothing else leaks;
//! - `into_lifecycle::<M>()` (checked, naming every missing field) and `to_json()`;
//! - compile-time assertions for what only the compiler knows (is this field a block?).
//!
//! A field type that is not a [`Field`] at all (a plain struct, a `HashMap`) should cost the
//! user one error, not one per generated use of the field. Every generated impl therefore states
//! the requirement as a where clause, `where for<'__orch> Address: Field`, and the code inside
//! relies on it instead of proving it again; the `for<'__orch>` keeps rustc from rejecting the
//! (then trivially false) bound where the impl is declared. What remains are the struct's field
//! types and the static descriptor, which name `<Address as Field>` at the same span, and which
//! rustc reports as one error.
//!
//! [`Field`]: ../orch_core/trait.Field.html

use proc_macro2::{Delimiter, Group, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{self, Model, ModelField, ModelKind};
use crate::attr::Stage;
use crate::ctxt::{Ctxt, SpanRange, respan_all};
use crate::{types, valid};

/// The whole pipeline for one model: parse, validate, expand (or report every error).
pub(crate) fn model(kind: ModelKind, args: TokenStream, input: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let model = ast::parse(&mut cx, kind, args, input.clone());
    if let Some(m) = &model {
        valid::check(&mut cx, m);
    }
    let has_errors = cx.has_errors();
    match (model, cx.check()) {
        (Some(m), Ok(())) => generate(&m),
        (m, result) => {
            debug_assert!(has_errors);
            let errors = result.err().map(|e| e.to_compile_error());
            // Without a model (an enum, a tuple struct) the item is kept as written, so that
            // code naming it does not add "cannot find type" errors to the real one.
            let fallback = m.map_or(input, |m| fallback(&m));
            quote!(#errors #fallback)
        }
    }
}

/// On error, the struct as written (without orch's attributes) with its lifecycle parameter and
/// metadata, and the traits the other macros rely on implemented with bodies that never run
/// (`orch_core`'s `__orch_poisoned_*`), so that a product using the block, and
/// `register_products!` naming the product, add no errors to the real one.
fn fallback(m: &Model) -> TokenStream {
    let orch = orch();
    let Model {
        attrs, vis, ident, ..
    } = m;
    let fields = m.fields.iter().map(|f| {
        let ModelField {
            attrs,
            vis,
            ident,
            ty,
            ..
        } = f;
        quote!(#(#attrs)* #vis #ident: #ty)
    });
    if m.fields.iter().any(|f| f.name == "meta") {
        // a reserved name: the metadata the impls need has nowhere to go
        return quote!(#(#attrs)* #vis struct #ident { #(#fields),* });
    }
    let (meta, impls) = match m.kind {
        ModelKind::Block => (
            quote!(#orch::BlockMeta<L>),
            quote!(#orch::__orch_poisoned_block!(#ident);),
        ),
        ModelKind::Product => (
            quote!(#orch::SubscriptionMeta<L>),
            quote!(#orch::__orch_poisoned_product!(#ident);),
        ),
    };
    quote! {
        #(#attrs)*
        #vis struct #ident<L: #orch::Lifecycle = #orch::Active> {
            #(#fields,)*
            /// The metadata.
            pub meta: #meta,
        }
        #impls
    }
}

fn orch() -> TokenStream {
    quote!(::orch_core)
}

/// `<#ty as ::orch_core::Field>` followed by `tail` (`::SHAPE`, `::At<L>`), spanned so that
/// rustc reports an unsatisfied `Field` bound at the whole field type, the same span wherever it
/// is used.
pub(crate) fn field_path(ty: &syn::Type, tail: TokenStream) -> TokenStream {
    let orch = orch();
    let range = SpanRange::of(ty);
    let open = respan_all(quote!(<), range.first);
    let close = respan_all(quote!(as #orch::Field>), range.first);
    let tail = range.respan(tail);
    quote!(#open #ty #close #tail)
}

/// `<#ty as ::orch_core::Field>::SHAPE`.
fn shape(ty: &syn::Type) -> TokenStream {
    field_path(ty, quote!(::SHAPE))
}

/// The field's type in lifecycle `L`.
fn field_type(f: &ModelField) -> TokenStream {
    field_type_at(f, &quote!(L))
}

/// The field's type in lifecycle `lifecycle` (a type: `L`, `::orch_core::Initial`).
fn field_type_at(f: &ModelField, lifecycle: &TokenStream) -> TokenStream {
    let orch = orch();
    let ty = &f.ty;
    let inner = if types::is_lifecycle_independent(ty) {
        quote!(#ty)
    } else {
        field_path(ty, quote!(::At<#lifecycle>))
    };
    match f.required_from {
        None => inner,
        Some((Stage::Provisioning, _)) => {
            quote!(#orch::RequiredFromProvisioning<#lifecycle, #inner>)
        }
        Some((Stage::Active, _)) => quote!(#orch::RequiredFromActive<#lifecycle, #inner>),
    }
}

/// The fields `from_product` must fill for a new subscription: neither optional, nor required
/// from a later lifecycle, nor a list without a minimum.
fn fills(f: &ModelField) -> bool {
    let min = f.items.as_ref().and_then(|i| i.min).unwrap_or(0);
    f.required_from.is_none()
        && types::unwrap(&f.ty, "Option").is_none()
        && (types::unwrap(&f.ty, "Vec").is_none() || min > 0)
}

/// `Field::CREATABLE` of a block: every field it must fill can be made without a person. A
/// field that holds the block itself in such a position never can.
fn creatable(m: &Model) -> TokenStream {
    let parts: Vec<TokenStream> = m
        .fields
        .iter()
        .filter(|f| fills(f))
        .map(|f| {
            if types::mentions(&f.ty, &m.ident) {
                quote!(false)
            } else {
                field_path(&f.ty, quote!(::CREATABLE))
            }
        })
        .collect();
    if parts.is_empty() {
        quote!(true)
    } else {
        quote!(#(#parts)&&*)
    }
}

/// For a product: a compile error at each root block `from_product` would have to make but
/// cannot, saying how to fix it (a fixed input is filled from the product, so only blocks are
/// checked). `#[product(imported)]` has no `from_product`, and no such check.
fn creatable_checks(m: &Model) -> TokenStream {
    // a built-in value type is not a block: nothing to make
    let checks = m
        .fields
        .iter()
        .filter(|f| fills(f) && !types::is_plain_value(&f.ty))
        .map(|f| {
            let shape = field_path(&f.ty, quote!(::SHAPE));
            let made = field_path(&f.ty, quote!(::CREATABLE));
            let message = format!(
                "`{}.{}` cannot be made by `from_product`: a value or union it requires in every \
             lifecycle (in it, or in a block it requires) only a person can give. Mark that \
             field `#[required_from(provisioning)]` or `#[required_from(active)]`, make it an \
             `Option`, or make `{}` one; or, if subscriptions of `{}` are only imported (from \
             orchestrator-core, or filled by migrations), write `#[product(imported)]`",
                m.ident, f.name, f.name, m.ident
            );
            let range = SpanRange::of(&f.ty);
            range.respan(quote! {
                const _: () = ::core::assert!(!#shape.target.is_block() || #made, #message);
            })
        });
    quote!(#(#checks)*)
}

/// `new` for a block in the initial lifecycle: an argument for each field every lifecycle
/// requires (a value or block without `Option`, a list with a minimum), every other field
/// empty. Adding an optional field or one required from provisioning or active leaves every
/// call as it is; adding one required always is a compile error at each call, as it should be.
fn constructor(m: &Model, where_clause: &TokenStream) -> TokenStream {
    if m.kind != ModelKind::Block {
        return quote!();
    }
    let orch = orch();
    let ident = &m.ident;
    let initial = quote!(#orch::Initial);
    let mut params = Vec::new();
    let mut inits = Vec::new();
    let mut required = Vec::new();
    for f in &m.fields {
        let id = &f.ident;
        let is_list = types::unwrap(&f.ty, "Vec").is_some();
        let is_option = types::unwrap(&f.ty, "Option").is_some();
        let min = f.items.as_ref().and_then(|i| i.min).unwrap_or(0);
        let argument = f.required_from.is_none() && !is_option && (!is_list || min > 0);
        if argument {
            let ty = field_type_at(f, &initial);
            params.push(quote!(#id: #ty));
            inits.push(quote!(#id));
            required.push(format!("`{}`", f.name));
        } else if is_list && f.required_from.is_none() {
            inits.push(quote!(#id: ::std::vec::Vec::new()));
        } else {
            inits.push(quote!(#id: ::core::option::Option::None));
        }
    }
    let doc = format!(
        "A new `{ident}` in the initial lifecycle with {}; every other field starts empty. \
         Set the rest, then move it with `into_lifecycle`.",
        if required.is_empty() {
            "no value given, since no field is required in every lifecycle".to_owned()
        } else {
            format!(
                "the fields every lifecycle requires ({})",
                required.join(", ")
            )
        }
    );
    quote! {
        impl #ident<#initial> #where_clause {
            #[doc = #doc]
            #[allow(clippy::too_many_arguments)]
            pub fn new(#(#params),*) -> Self {
                #ident {
                    #(#inits,)*
                    meta: #orch::BlockMeta::new(),
                }
            }
        }
    }
}

/// The where clause of every generated impl: each field type that is not a built-in value type
/// must be a `Field`. When one is not, the impls do not apply, instead of failing once per use
/// of the field. The binder is spanned at the call site so that lints such as `unused_lifetimes`
/// see generated code.
pub(crate) fn where_clause(tys: &[&syn::Type], bound: &TokenStream) -> TokenStream {
    let mut seen: Vec<String> = Vec::new();
    let mut bounds = Vec::new();
    for ty in tys {
        let key = ty.to_token_stream().to_string();
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let range = SpanRange::of(ty);
        let bound = range.respan(quote!(: #bound));
        bounds.push(quote!(for<'__orch> #ty #bound));
    }
    if bounds.is_empty() {
        quote!()
    } else {
        quote!(where #(#bounds),*)
    }
}

/// A call of one of the `Field` methods (`clone_at`, `eq_at`, ...) for this field, going through
/// the `required` helpers when the field depends on the lifecycle.
fn field_call(
    f: &ModelField,
    method: &str,
    lifecycles: TokenStream,
    args: TokenStream,
) -> TokenStream {
    let orch = orch();
    let ty = &f.ty;
    let method = format_ident!("{}", method);
    match f.required_from {
        None => quote_spanned!(ty.span()=> <#ty as #orch::Field>::#method::<#lifecycles>(#args)),
        Some((stage, _)) => {
            let stage = format_ident!("{}", stage.name());
            quote_spanned!(ty.span()=> #orch::__private::required::#stage::#method::<#ty, #lifecycles>(#args))
        }
    }
}

/// The path of an item the field's helpers define, such as `DebugAt`: `orch_core`'s own for a
/// field that is the same in every lifecycle, its stage's (`required::provisioning`) for one
/// that `#[required_from]` makes optional before.
fn helper_path(f: &ModelField, item: &str) -> TokenStream {
    let orch = orch();
    let item = format_ident!("{}", item);
    match f.required_from {
        None => quote_spanned!(f.ty.span()=> #orch::__private::#item),
        Some((stage, _)) => {
            let stage = format_ident!("{}", stage.name());
            quote_spanned!(f.ty.span()=> #orch::__private::required::#stage::#item)
        }
    }
}

/// The local variable that holds a field's value while the struct is built: prefixed, so that
/// a field named like a parameter of the generated function (`node`, `cx`) does not shadow it.
fn local(f: &ModelField) -> syn::Ident {
    use syn::ext::IdentExt;
    format_ident!("__orch_{}", f.ident.unraw())
}

/// `ItemBounds { min, max }` of a field with `#[items(..)]`.
fn item_bounds(f: &ModelField) -> Option<TokenStream> {
    let orch = orch();
    let items = f.items.as_ref()?;
    let opt = |v: Option<u32>| match v {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    let (min, max) = (opt(items.min), opt(items.max));
    Some(quote!(#orch::ItemBounds { min: #min, max: #max }))
}

/// The check of a list's length against its `#[items]` bounds, before `rest` (nothing for
/// fields without bounds). `helper` is one of `orch_core::__private::items`' functions.
fn bounds_check(
    f: &ModelField,
    helper: &str,
    lifecycle: TokenStream,
    value: TokenStream,
    cx: TokenStream,
) -> TokenStream {
    let orch = orch();
    let Some(bounds) = item_bounds(f) else {
        return quote!();
    };
    let ty = &f.ty;
    let helper = format_ident!("{}", helper);
    if helper == "read_at" {
        quote!(#orch::__private::items::read_at(#value, #bounds, #cx);)
    } else {
        quote!(#orch::__private::items::#helper::<#ty, #lifecycle>(#value, #bounds, #cx);)
    }
}

fn generate(m: &Model) -> TokenStream {
    let orch = orch();
    let Model {
        attrs, vis, ident, ..
    } = m;
    let field_defs = m.fields.iter().map(|f| {
        let ModelField {
            attrs, vis, ident, ..
        } = f;
        let ty = field_type(f);
        quote!(#(#attrs)* #vis #ident: #ty)
    });
    let (meta_ty, meta_doc) = match m.kind {
        ModelKind::Block => (
            quote!(#orch::BlockMeta<L>),
            "The instance's id, owner and label (a `subscription_instances` row).",
        ),
        ModelKind::Product => (
            quote!(#orch::SubscriptionMeta<L>),
            "The subscription's id, customer, description, dates, version and product.",
        ),
    };
    let inactive = format_ident!("{}Inactive", ident);
    let provisioning = format_ident!("{}Provisioning", ident);
    let doc_inactive = format!(
        "[`{ident}`] in the initial lifecycle: fields required from provisioning or active are `Option`s."
    );
    let doc_provisioning = format!(
        "[`{ident}`] in the provisioning lifecycle: fields required from active are `Option`s."
    );

    let descriptor = descriptor(m);
    let checks = checks(m);
    let impls = impls(m);

    quote! {
        #(#attrs)*
        #vis struct #ident<L: #orch::Lifecycle = #orch::Active> {
            #(#field_defs,)*
            #[doc = #meta_doc]
            pub meta: #meta_ty,
        }

        #[doc = #doc_inactive]
        #vis type #inactive = #ident<#orch::Initial>;
        #[doc = #doc_provisioning]
        #vis type #provisioning = #ident<#orch::Provisioning>;

        const _: () = {
            #descriptor
            #checks
            #impls
        };
    }
}

fn descriptor(m: &Model) -> TokenStream {
    let orch = orch();
    let ident = &m.ident;
    let name = &m.name;
    let rust_name = ident.to_string();
    let fields = m.fields.iter().map(|f| {
        let fname = &f.name;
        let ty = &f.ty;
        let required_from = match f.required_from {
            None => quote!(Initial),
            Some((Stage::Provisioning, _)) => quote!(Provisioning),
            Some((Stage::Active, _)) => quote!(Active),
        };
        let olds = &f.renamed_from;
        let opt = |v: Option<u32>| match v {
            Some(v) => quote!(::core::option::Option::Some(#v)),
            None => quote!(::core::option::Option::None),
        };
        let min = opt(f.items.as_ref().and_then(|i| i.min));
        let max = opt(f.items.as_ref().and_then(|i| i.max));
        let shape = shape(ty);
        quote! {
            #orch::FieldDescriptor {
                name: #fname,
                shape: #shape,
                required_from: #orch::SubscriptionLifecycle::#required_from,
                renamed_from: &[#(#olds),*],
                min_items: #min,
                max_items: #max,
            }
        }
    });
    match m.kind {
        ModelKind::Block => quote! {
            static DESCRIPTOR: #orch::BlockDescriptor = #orch::BlockDescriptor {
                name: #name,
                rust_name: #rust_name,
                module_path: ::core::module_path!(),
                fields: &[#(#fields),*],
            };
        },
        ModelKind::Product => quote! {
            static DESCRIPTOR: #orch::ProductTypeDescriptor = #orch::ProductTypeDescriptor {
                product_type: #name,
                rust_name: #rust_name,
                module_path: ::core::module_path!(),
                fields: &[#(#fields),*],
            };
        },
    }
}

/// Compile-time assertions on what the field types turn out to be, for what the macro cannot
/// tell from the tokens (is `Speed` a value or a block?). A failed one is reported as
/// `evaluation panicked: <message>` at `range`.
///
/// Nothing is emitted where the tokens already answer it: a built-in value type (`String`,
/// `i64`, ...) is single and can be a fixed input. Each assertion is a constant of its own for
/// the compiler to check and evaluate, and such fields are most of a catalogue's.
fn assertion(range: SpanRange, check: &str, ty: &syn::Type, msg: String) -> TokenStream {
    if matches!(check, "single" | "fixed_input") && types::is_plain_value(ty) {
        return TokenStream::new();
    }
    let orch = orch();
    let check = format_ident!("{}", check);
    let shape = shape(ty);
    let head = respan_all(quote!(const _: () = ::core::assert!), range.first);
    let mut args = Group::new(
        Delimiter::Parenthesis,
        quote_spanned!(range.first=> #orch::__private::check::#check(#shape), #msg),
    );
    args.set_span(range.last);
    quote!(#head #args;)
}

fn checks(m: &Model) -> TokenStream {
    let mut out = TokenStream::new();
    for f in &m.fields {
        let name = &f.name;
        if let Some((stage, span)) = f.required_from {
            out.extend(assertion(
                span,
                "single",
                &f.ty,
                format!(
                    "`#[required_from({})]` on `{name}` needs a single value or block, not an Option or Vec",
                    stage.name()
                ),
            ));
            if m.kind == ModelKind::Product {
                out.extend(assertion(
                    span,
                    "block",
                    &f.ty,
                    format!(
                        "`{name}` is a fixed input: fixed inputs are set by the product and cannot depend on the lifecycle"
                    ),
                ));
            }
        }
        if let Some(items) = &f.items {
            out.extend(assertion(
                items.span,
                "list",
                &f.ty,
                format!("`#[items]` bounds a list, but `{name}` is not a `Vec<_>`"),
            ));
        }
        if m.kind == ModelKind::Product {
            out.extend(assertion(
                SpanRange::of(&f.ty),
                "fixed_input",
                &f.ty,
                format!(
                    "fixed input `{name}` must be a single value: a product's fixed inputs cannot be `Option` or `Vec` (only root blocks can)"
                ),
            ));
        }
    }
    out
}

fn impls(m: &Model) -> TokenStream {
    let orch = orch();
    let p = quote!(#orch::__private);
    let ident = &m.ident;
    let rust_name = ident.to_string();
    let idents: Vec<_> = m.fields.iter().map(|f| &f.ident).collect();
    let locals: Vec<syn::Ident> = m.fields.iter().map(local).collect();
    let names: Vec<_> = m.fields.iter().map(|f| f.name.as_str()).collect();
    let field_types: Vec<&syn::Type> = m
        .fields
        .iter()
        .map(|f| &f.ty)
        .filter(|ty| !types::is_lifecycle_independent(ty))
        // a block that holds itself (`Vec<ChainBlock>` in `ChainBlock`, orchestrator-core's
        // `Optional["Self"]`): its bound would require the impl being declared, which rustc
        // reports as an overflow; such a field is a `Field` exactly when the block is one
        .filter(|ty| !types::mentions(ty, ident))
        .collect();
    let where_clause = where_clause(&field_types, &quote!(#orch::Field));
    let constructor = constructor(m, &where_clause);

    let clones = m.fields.iter().map(|f| {
        let id = &f.ident;
        field_call(f, "clone_at", quote!(L), quote!(&self.#id))
    });
    let eqs = m.fields.iter().map(|f| {
        let id = &f.ident;
        field_call(f, "eq_at", quote!(L), quote!(&self.#id, &other.#id))
    });
    let debugs = m.fields.iter().map(|f| {
        let id = &f.ident;
        let ty = &f.ty;
        let debug_at = helper_path(f, "DebugAt");
        quote!(#debug_at::<#ty, L>(&self.#id))
    });
    let jsons = m.fields.iter().map(|f| {
        let id = &f.ident;
        field_call(f, "to_json_at", quote!(L), quote!(&self.#id))
    });
    let converts = m.fields.iter().map(|f| {
        let id = &f.ident;
        let local = local(f);
        let name = &f.name;
        let call = field_call(f, "convert_at", quote!(L, M), quote!(self.#id, cx));
        if f.items.is_none() {
            return quote!(cx.enter(#name); let #local = #call; cx.leave(););
        }
        let check = bounds_check(f, "convert_at", quote!(L), quote!(&self.#id), quote!(cx));
        quote!(cx.enter(#name); #check let #local = #call; cx.leave();)
    });

    let writes: Vec<TokenStream> = m
        .fields
        .iter()
        .map(|f| {
            let id = &f.ident;
            let name = &f.name;
            let call = field_call(f, "write_at", quote!(L), quote!(&self.#id, w));
            let check = bounds_check(f, "write_at", quote!(L), quote!(&self.#id), quote!(w));
            quote! {
                let __orch_mark = w.enter_field(#name);
                #check
                #call;
                w.leave_field(__orch_mark);
            }
        })
        .collect();
    let claims: Vec<TokenStream> = m
        .fields
        .iter()
        .map(|f| {
            let id = &f.ident;
            field_call(f, "claim_at", quote!(L), quote!(&mut self.#id, owner))
        })
        .collect();
    let min_items = |f: &ModelField| -> u32 { f.items.as_ref().and_then(|i| i.min).unwrap_or(0) };
    let product_reads: Vec<TokenStream> = m
        .fields
        .iter()
        .map(|f| {
            let local = local(f);
            let name = &f.name;
            let shape = shape(&f.ty);
            let call = field_call(f, "read_at", quote!(L), quote!(&items, cx));
            let check = bounds_check(f, "read_at", quote!(L), quote!(&items), quote!(cx));
            quote! {
                cx.enter(#name);
                let items = #p::product_items(#shape, #name, fixed_inputs, roots);
                #check
                let #local = #call;
                cx.leave();
            }
        })
        .collect();
    let product_initials: Vec<TokenStream> = m
        .fields
        .iter()
        .map(|f| {
            let local = local(f);
            let name = &f.name;
            let shape = shape(&f.ty);
            let min = min_items(f);
            let read = field_call(f, "read_at", quote!(L), quote!(&items, rcx));
            let initial = match f.required_from {
                None => field_call(f, "initial_at", quote!(L), quote!(#min, cx)),
                Some(_) => field_call(f, "initial_at", quote!(L), quote!(cx)),
            };
            quote! {
                let #local = if #shape.target.is_block() {
                    cx.enter(#name);
                    let value = #initial;
                    cx.leave();
                    value
                } else {
                    // a fixed input: its value comes from the product
                    rcx.enter(#name);
                    let items = #p::product_items(#shape, #name, fixed_inputs, &[]);
                    let value = #read;
                    rcx.leave();
                    value
                };
            }
        })
        .collect();
    let creatable = creatable(m);
    // an imported product gets no from_product, and so nothing to check
    let from_product = if m.imported {
        quote!()
    } else {
        let checks = creatable_checks(m);
        quote! {
            #checks
                impl #ident<#orch::Initial> #where_clause {
                    /// A new subscription of `product` (a registered name, or a product id) for
                    /// `customer_id`, in lifecycle initial, with the product's fixed inputs and
                    /// default blocks. Nothing is written until it is saved.
                    pub fn from_product<'__orch>(
                        db: &'__orch impl #p::Connection,
                        product: impl ::core::convert::Into<#p::ProductRef>,
                        customer_id: impl ::core::convert::Into<#p::String>,
                    ) -> impl ::core::future::Future<
                        Output = #p::Result<Self, #p::SubscriptionError>,
                    > + '__orch {
                        #p::store::from_product(db, product.into(), customer_id.into())
                    }

                    /// Many new subscriptions, each of a product for a customer, with one query
                    /// for all their products, however many there are. Nothing is written until
                    /// they are saved (`save_all` saves them together).
                    pub fn from_products<
                        '__orch,
                        R: ::core::convert::Into<#p::ProductRef>,
                        C: ::core::convert::Into<#p::String>,
                    >(
                        db: &'__orch impl #p::Connection,
                        requests: impl ::core::iter::IntoIterator<Item = (R, C)>,
                    ) -> impl ::core::future::Future<
                        Output = #p::Result<#p::Vec<Self>, #p::SubscriptionError>,
                    > + '__orch {
                        #p::store::from_products(db, #p::methods::product_requests(requests))
                    }
                }
        }
    };
    let (meta_json, kind_impls) = match m.kind {
        ModelKind::Block => (
            quote!(self.meta.json_fields(DESCRIPTOR.name, &mut map);),
            quote! {
                impl<L: #orch::Lifecycle> #orch::ProductBlock for #ident<L> #where_clause {
                    type Lifecycle = L;
                    fn descriptor() -> &'static #orch::BlockDescriptor {
                        &DESCRIPTOR
                    }
                    fn meta(&self) -> &#orch::BlockMeta<L> {
                        &self.meta
                    }
                }

                impl<L0: #orch::Lifecycle> #orch::Field for #ident<L0> #where_clause {
                    type At<L: #orch::Lifecycle> = #ident<L>;
                    const CREATABLE: bool = #creatable;
                    const SHAPE: #orch::FieldShape = #orch::FieldShape {
                        cardinality: #orch::Cardinality::One,
                        target: #orch::Target::Blocks {
                            union: #p::None,
                            members: &[#orch::BlockRef::new(<#ident as #orch::ProductBlock>::descriptor)],
                        },
                    };
                    fn clone_at<L: #orch::Lifecycle>(v: &#ident<L>) -> #ident<L> {
                        ::core::clone::Clone::clone(v)
                    }
                    fn eq_at<L: #orch::Lifecycle>(a: &#ident<L>, b: &#ident<L>) -> bool {
                        ::core::cmp::PartialEq::eq(a, b)
                    }
                    fn debug_at<L: #orch::Lifecycle>(
                        v: &#ident<L>,
                        f: &mut #p::fmt::Formatter<'_>,
                    ) -> #p::fmt::Result {
                        #p::fmt::Debug::fmt(v, f)
                    }
                    fn to_json_at<L: #orch::Lifecycle>(v: &#ident<L>) -> #p::serde_json::Value {
                        v.to_json()
                    }
                    fn convert_at<L: #orch::Lifecycle, M: #orch::Lifecycle>(
                        v: #ident<L>,
                        cx: &mut #p::ConvertCx,
                    ) -> #p::Option<#ident<M>> {
                        v.__orch_convert::<M>(cx)
                    }
                    fn write_at<L: #orch::Lifecycle>(v: &#ident<L>, w: &mut #p::Writer) {
                        v.__orch_write(w)
                    }
                    fn read_at<L: #orch::Lifecycle>(
                        items: &[#p::Item<'_>],
                        cx: &mut #p::ReadCx,
                    ) -> #p::Option<#ident<L>> {
                        #p::read_exactly_one::<Self, L>(items, cx)
                    }
                    fn initial_at<L: #orch::Lifecycle>(
                        _: u32,
                        cx: &mut #p::ConvertCx,
                    ) -> #p::Option<#ident<L>> {
                        #ident::<L>::__orch_initial(cx)
                    }
                    fn claim_at<L: #orch::Lifecycle>(v: &mut #ident<L>, owner: #p::Uuid) {
                        v.__orch_claim(owner)
                    }
                }

                impl<L0: #orch::Lifecycle> #orch::Single for #ident<L0> #where_clause {
                    fn read_one<L: #orch::Lifecycle>(
                        item: #p::Item<'_>,
                        cx: &mut #p::ReadCx,
                    ) -> #p::Option<#ident<L>> {
                        match item {
                            #p::Item::Block(node) if node.instance.block == DESCRIPTOR.name => {
                                #ident::<L>::__orch_read(node, cx)
                            }
                            other => {
                                #p::wrong_item(other, DESCRIPTOR.name, cx);
                                #p::None
                            }
                        }
                    }
                    fn initial_one<L: #orch::Lifecycle>(
                        cx: &mut #p::ConvertCx,
                    ) -> #p::Option<#ident<L>> {
                        #ident::<L>::__orch_initial(cx)
                    }
                }
            },
        ),
        ModelKind::Product => (
            quote!(self.meta.json_fields(&mut map);),
            quote! {
                impl<L: #orch::Lifecycle> #orch::Product for #ident<L> #where_clause {
                    type Lifecycle = L;
                    fn descriptor() -> &'static #orch::ProductTypeDescriptor {
                        &DESCRIPTOR
                    }
                    fn meta(&self) -> &#orch::SubscriptionMeta<L> {
                        &self.meta
                    }
                    fn meta_mut(&mut self) -> &mut #orch::SubscriptionMeta<L> {
                        &mut self.meta
                    }
                    fn __write(&self, w: &mut #p::Writer) {
                        #(#writes)*
                    }
                    fn __read(
                        meta: #orch::SubscriptionMeta<L>,
                        fixed_inputs: &#p::BTreeMap<#p::String, #p::String>,
                        roots: &[#p::Node<'_>],
                        cx: &mut #p::ReadCx,
                    ) -> #p::Option<Self> {
                        #(#product_reads)*
                        #p::Some(#ident {
                            #(#idents: #locals?,)*
                            meta,
                        })
                    }
                    fn __initial(
                        meta: #orch::SubscriptionMeta<L>,
                        fixed_inputs: &#p::BTreeMap<#p::String, #p::String>,
                        cx: &mut #p::ConvertCx,
                        rcx: &mut #p::ReadCx,
                    ) -> #p::Option<Self> {
                        #(#product_initials)*
                        #p::Some(#ident {
                            #(#idents: #locals?,)*
                            meta,
                        })
                    }
                    fn __claim(&mut self) {
                        let owner = self.meta.subscription_id;
                        #(#claims;)*
                    }
                }

                impl #orch::subscription::ProductFamily for #ident<#orch::Active> #where_clause {
                    type At<L: #orch::Lifecycle> = #ident<L>;
                }

                #from_product

                impl<L: #orch::Lifecycle> #ident<L> #where_clause {
                    /// Saves the subscription with all its blocks, in one transaction; writes
                    /// nothing when nothing changed.
                    pub fn save<'__orch>(
                        &'__orch mut self,
                        db: &'__orch impl #p::Connection,
                    ) -> impl ::core::future::Future<
                        Output = #p::Result<#p::SaveStats, #p::SubscriptionError>,
                    > + '__orch {
                        #p::store::save(db, self)
                    }

                    /// Saves many subscriptions in one transaction with batched statements.
                    pub fn save_all<'__orch>(
                        db: &'__orch impl #p::Connection,
                        subscriptions: &'__orch mut [Self],
                    ) -> impl ::core::future::Future<
                        Output = #p::Result<#p::SaveStats, #p::SubscriptionError>,
                    > + '__orch {
                        #p::store::save_all(db, subscriptions)
                    }

                    /// Loads a stored subscription, which must be in this type's lifecycle.
                    pub fn from_subscription<'__orch>(
                        db: &'__orch impl #p::Connection,
                        subscription_id: #p::Uuid,
                    ) -> impl ::core::future::Future<
                        Output = #p::Result<Self, #p::SubscriptionError>,
                    > + '__orch {
                        #p::store::load_one(db, subscription_id)
                    }

                    /// Loads many stored subscriptions at once, with a fixed number of queries.
                    pub fn from_subscriptions<'__orch>(
                        db: &'__orch impl #p::Connection,
                        subscription_ids: &'__orch [#p::Uuid],
                    ) -> impl ::core::future::Future<
                        Output = #p::Result<#p::Vec<Self>, #p::SubscriptionError>,
                    > + '__orch {
                        #p::store::load(db, subscription_ids)
                    }

                    /// Moves the subscription to lifecycle `M` **in memory**: every field `M`
                    /// requires must be present, no subscription that uses one of its blocks may
                    /// be left in an unsafe lifecycle, and `start_date` (active) or `end_date`
                    /// (terminated) is set when unset. Nothing is written: save the result, or
                    /// use `transition_and_save`. Refused, it hands the subscription back.
                    pub fn transition<'__orch, M: #orch::Lifecycle>(
                        self,
                        db: &'__orch impl #p::Connection,
                    ) -> impl ::core::future::Future<
                        Output = #p::Result<#ident<M>, #p::Refused<Self>>,
                    > + '__orch {
                        #p::methods::transition(self, db, Self::into_lifecycle::<M>)
                    }

                    /// Moves the subscription to lifecycle `M` **and saves it**, in one
                    /// transaction (the caller's, when `db` is one): the checks of
                    /// `transition`, then `save`. Refused or not saved, it hands the
                    /// subscription back as it was, and nothing is written.
                    pub fn transition_and_save<'__orch, M: #orch::Lifecycle>(
                        self,
                        db: &'__orch impl #p::Connection,
                    ) -> impl ::core::future::Future<
                        Output = #p::Result<#ident<M>, #p::Refused<Self>>,
                    > + '__orch {
                        #p::methods::transition_and_save(self, db, Self::into_lifecycle::<M>)
                    }
                }
            },
        ),
    };

    let block_storage = match m.kind {
        ModelKind::Product => quote!(),
        ModelKind::Block => {
            let block_reads = m.fields.iter().map(|f| {
                let local = local(f);
                let name = &f.name;
                let call = field_call(f, "read_at", quote!(L), quote!(&items, cx));
                let check = bounds_check(f, "read_at", quote!(L), quote!(&items), quote!(cx));
                quote! {
                    cx.enter(#name);
                    let items = node.items(#name);
                    #check
                    let #local = #call;
                    cx.leave();
                }
            });
            let block_initials = m.fields.iter().map(|f| {
                let local = local(f);
                let name = &f.name;
                let min = min_items(f);
                let call = match f.required_from {
                    None => field_call(f, "initial_at", quote!(L), quote!(#min, cx)),
                    Some(_) => field_call(f, "initial_at", quote!(L), quote!(cx)),
                };
                quote!(cx.enter(#name); let #local = #call; cx.leave();)
            });
            let writes = writes.clone();
            let claims = claims.clone();
            quote! {
                #[doc(hidden)]
                pub fn __orch_write(&self, w: &mut #p::Writer) {
                    if let #p::Some(__orch_block) = w.enter_block(
                        &DESCRIPTOR,
                        self.meta.subscription_instance_id,
                        self.meta.owner_subscription_id,
                        self.meta.label.as_deref(),
                    ) {
                        #(#writes)*
                        w.leave_block(__orch_block);
                    }
                }

                #[doc(hidden)]
                pub fn __orch_read(node: #p::Node<'_>, cx: &mut #p::ReadCx) -> #p::Option<Self> {
                    #(#block_reads)*
                    #p::Some(#ident {
                        #(#idents: #locals?,)*
                        meta: #orch::BlockMeta::stored(node.id, node.instance.owner, node.instance.label.clone()),
                    })
                }

                #[doc(hidden)]
                pub fn __orch_initial(cx: &mut #p::ConvertCx) -> #p::Option<Self> {
                    #(#block_initials)*
                    #p::Some(#ident {
                        #(#idents: #locals?,)*
                        meta: #orch::BlockMeta::new(),
                    })
                }

                #[doc(hidden)]
                pub fn __orch_claim(&mut self, owner: #p::Uuid) {
                    if self.meta.owner_subscription_id.is_some_and(|o| o != owner) {
                        // a block of another subscription: not ours to claim
                        return;
                    }
                    self.meta.claim(owner);
                    #(#claims;)*
                }
            }
        }
    };

    let validate_writer = match m.kind {
        ModelKind::Product => quote! {
            let mut w = #p::Writer::new(self.meta.subscription_id);
            <Self as #orch::Product>::__write(self, &mut w);
        },
        // a block on its own is checked as its owner (or, while new, any subscription) saves it
        ModelKind::Block => quote! {
            let mut w = #p::Writer::new(self.meta.owner_subscription_id.unwrap_or(#p::Uuid::nil()));
            self.__orch_write(&mut w);
        },
    };

    quote! {
        #kind_impls

        impl<L: #orch::Lifecycle> ::core::clone::Clone for #ident<L> #where_clause {
            fn clone(&self) -> Self {
                Self {
                    #(#idents: #clones,)*
                    meta: ::core::clone::Clone::clone(&self.meta),
                }
            }
        }

        impl<L: #orch::Lifecycle> ::core::cmp::PartialEq for #ident<L> #where_clause {
            fn eq(&self, other: &Self) -> bool {
                #(#eqs &&)* self.meta == other.meta
            }
        }

        impl<L: #orch::Lifecycle> #p::fmt::Debug for #ident<L> #where_clause {
            fn fmt(&self, f: &mut #p::fmt::Formatter<'_>) -> #p::fmt::Result {
                f.debug_struct(#rust_name)
                    #(.field(#names, &#debugs))*
                    .field("meta", &self.meta)
                    .finish()
            }
        }

        impl<L: #orch::Lifecycle> #p::serde::Serialize for #ident<L> #where_clause {
            fn serialize<S: #p::serde::Serializer>(&self, serializer: S) -> #p::Result<S::Ok, S::Error> {
                #p::serde::Serialize::serialize(&self.to_json(), serializer)
            }
        }

        impl<L: #orch::Lifecycle> #ident<L> #where_clause {
            /// The value as JSON, in the shape of orchestrator-core's `model_dump`.
            pub fn to_json(&self) -> #p::serde_json::Value {
                let mut map = #p::serde_json::Map::new();
                #meta_json
                #(map.insert(#p::String::from(#names), #jsons);)*
                #p::serde_json::Value::Object(map)
            }

            /// Moves the value to lifecycle `M`, checking that every field `M` requires is
            /// present; the error names each missing field by its path.
            pub fn into_lifecycle<M: #orch::Lifecycle>(self) -> #p::Result<#ident<M>, #orch::MissingFields> {
                let mut cx = #p::ConvertCx::default();
                match self.__orch_convert::<M>(&mut cx) {
                    #p::Some(v) if cx.is_ok() => #p::Ok(v),
                    _ => {
                        let (missing, invalid) = cx.into_parts();
                        #p::Err(#orch::MissingFields {
                            type_name: #rust_name,
                            target: <M as #orch::Lifecycle>::STATUS,
                            missing,
                            invalid,
                        })
                    }
                }
            }

            /// Checks what `save` would refuse, without a database: every list field of this
            /// value's own blocks within its `#[items(min, max)]` bounds, and no block used
            /// twice. Blocks of other subscriptions are checked when those are saved.
            pub fn validate(&self) -> #p::Result<(), #orch::Invalid> {
                #validate_writer
                match w.finish() {
                    #p::Ok(_) => #p::Ok(()),
                    #p::Err(problems) => #p::Err(#orch::Invalid {
                        type_name: #rust_name,
                        problems,
                    }),
                }
            }

            #[doc(hidden)]
            pub fn __orch_convert<M: #orch::Lifecycle>(self, cx: &mut #p::ConvertCx) -> #p::Option<#ident<M>> {
                #(#converts)*
                #p::Some(#ident {
                    #(#idents: #locals?,)*
                    meta: self.meta.into_lifecycle(),
                })
            }

            #block_storage
        }

        #constructor
    }
}
