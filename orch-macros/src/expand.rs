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

/// On error, the struct as written (without orch's attributes), so that code using it does not
/// drown the real error in follow-up errors.
fn fallback(m: &Model) -> TokenStream {
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
    quote!(#(#attrs)* #vis struct #ident { #(#fields),* })
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
    let orch = orch();
    let ty = &f.ty;
    let inner = if types::is_lifecycle_independent(ty) {
        quote!(#ty)
    } else {
        field_path(ty, quote!(::At<L>))
    };
    match f.required_from {
        None => inner,
        Some((Stage::Provisioning, _)) => quote!(#orch::RequiredFromProvisioning<L, #inner>),
        Some((Stage::Active, _)) => quote!(#orch::RequiredFromActive<L, #inner>),
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
fn assertion(range: SpanRange, check: &str, ty: &syn::Type, msg: String) -> TokenStream {
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
    let names: Vec<_> = m.fields.iter().map(|f| f.name.as_str()).collect();
    let field_types: Vec<&syn::Type> = m
        .fields
        .iter()
        .map(|f| &f.ty)
        .filter(|ty| !types::is_lifecycle_independent(ty))
        .collect();
    let where_clause = where_clause(&field_types, &quote!(#orch::Field));

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
        let call = field_call(f, "debug_at", quote!(L), quote!(&self.#id, f));
        quote!(#p::DebugWith(|f: &mut #p::fmt::Formatter<'_>| #call))
    });
    let jsons = m.fields.iter().map(|f| {
        let id = &f.ident;
        field_call(f, "to_json_at", quote!(L), quote!(&self.#id))
    });
    let converts = m.fields.iter().map(|f| {
        let id = &f.ident;
        let name = &f.name;
        let call = field_call(f, "convert_at", quote!(L, M), quote!(self.#id, cx));
        quote!(let #id = cx.at(#name, |cx| #call);)
    });

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
                }

                impl<L0: #orch::Lifecycle> #orch::Single for #ident<L0> #where_clause {}
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
                }
            },
        ),
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
                    #p::Some(v) => #p::Ok(v),
                    #p::None => #p::Err(#orch::MissingFields {
                        type_name: #rust_name,
                        target: <M as #orch::Lifecycle>::STATUS,
                        missing: cx.into_missing(),
                    }),
                }
            }

            #[doc(hidden)]
            pub fn __orch_convert<M: #orch::Lifecycle>(self, cx: &mut #p::ConvertCx) -> #p::Option<#ident<M>> {
                #(#converts)*
                #p::Some(#ident {
                    #(#idents: #idents?,)*
                    meta: self.meta.into_lifecycle(),
                })
            }
        }
    }
}
