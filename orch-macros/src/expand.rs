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

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{self, Model, ModelField, ModelKind};
use crate::attr::Stage;
use crate::ctxt::Ctxt;
use crate::{types, valid};

/// The whole pipeline for one model: parse, validate, expand (or report every error).
pub(crate) fn model(kind: ModelKind, args: TokenStream, input: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let model = ast::parse(&mut cx, kind, args, input);
    if let Some(m) = &model {
        valid::check(&mut cx, m);
    }
    let has_errors = cx.has_errors();
    match (model, cx.check()) {
        (Some(m), Ok(())) => generate(&m),
        (m, result) => {
            debug_assert!(has_errors);
            let errors = result.err().map(|e| e.to_compile_error());
            let fallback = m.map(|m| fallback(&m));
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

/// The field's type in lifecycle `L`.
fn field_type(f: &ModelField) -> TokenStream {
    let orch = orch();
    let ty = &f.ty;
    let inner = if types::is_lifecycle_independent(ty) {
        quote!(#ty)
    } else {
        quote_spanned!(ty.span()=> <#ty as #orch::Field>::At<L>)
    };
    match f.required_from {
        None => inner,
        Some((Stage::Provisioning, _)) => quote!(#orch::RequiredFromProvisioning<L, #inner>),
        Some((Stage::Active, _)) => quote!(#orch::RequiredFromActive<L, #inner>),
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
        quote_spanned! {ty.span()=>
            #orch::FieldDescriptor {
                name: #fname,
                shape: <#ty as #orch::Field>::SHAPE,
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

/// Compile-time assertions on what the field types turn out to be.
fn checks(m: &Model) -> TokenStream {
    let orch = orch();
    let mut out = TokenStream::new();
    let mut assert = |span: Span, check: &str, ty: &syn::Type, msg: String| {
        let check = format_ident!("{}", check);
        out.extend(quote_spanned! {span=>
            const _: () = ::core::assert!(
                #orch::__private::check::#check(<#ty as #orch::Field>::SHAPE),
                #msg
            );
        });
    };
    for f in &m.fields {
        let name = &f.name;
        if let Some((stage, span)) = f.required_from {
            assert(
                span,
                "single",
                &f.ty,
                format!(
                    "`#[required_from({})]` on `{name}` needs a single value or block, not an Option or Vec",
                    stage.name()
                ),
            );
            if m.kind == ModelKind::Product {
                assert(
                    span,
                    "block",
                    &f.ty,
                    format!(
                        "`{name}` is a fixed input: fixed inputs are set by the product and cannot depend on the lifecycle"
                    ),
                );
            }
        }
        if let Some(items) = &f.items {
            assert(
                items.span.expect("items span"),
                "list",
                &f.ty,
                format!("`#[items]` on `{name}` bounds a list, but `{name}` is not a Vec"),
            );
        }
        if m.kind == ModelKind::Product {
            assert(
                f.ty.span(),
                "fixed_input",
                &f.ty,
                format!(
                    "fixed input `{name}` must be a single value: a product's fixed inputs cannot be Option or Vec"
                ),
            );
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
                impl<L: #orch::Lifecycle> #orch::ProductBlock for #ident<L> {
                    type Lifecycle = L;
                    fn descriptor() -> &'static #orch::BlockDescriptor {
                        &DESCRIPTOR
                    }
                    fn meta(&self) -> &#orch::BlockMeta<L> {
                        &self.meta
                    }
                }

                impl<L0: #orch::Lifecycle> #orch::Field for #ident<L0> {
                    type At<L: #orch::Lifecycle> = #ident<L>;
                    const SHAPE: #orch::FieldShape = #orch::FieldShape {
                        cardinality: #orch::Cardinality::One,
                        target: #orch::Target::Blocks {
                            union: #p::None,
                            members: &[<#ident as #orch::ProductBlock>::descriptor],
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

                impl<L0: #orch::Lifecycle> #orch::Single for #ident<L0> {}
            },
        ),
        ModelKind::Product => (
            quote!(self.meta.json_fields(&mut map);),
            quote! {
                impl<L: #orch::Lifecycle> #orch::Product for #ident<L> {
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

        impl<L: #orch::Lifecycle> ::core::clone::Clone for #ident<L> {
            fn clone(&self) -> Self {
                Self {
                    #(#idents: #clones,)*
                    meta: ::core::clone::Clone::clone(&self.meta),
                }
            }
        }

        impl<L: #orch::Lifecycle> ::core::cmp::PartialEq for #ident<L> {
            fn eq(&self, other: &Self) -> bool {
                #(#eqs &&)* self.meta == other.meta
            }
        }

        impl<L: #orch::Lifecycle> #p::fmt::Debug for #ident<L> {
            fn fmt(&self, f: &mut #p::fmt::Formatter<'_>) -> #p::fmt::Result {
                f.debug_struct(#rust_name)
                    #(.field(#names, &#debugs))*
                    .field("meta", &self.meta)
                    .finish()
            }
        }

        impl<L: #orch::Lifecycle> #p::serde::Serialize for #ident<L> {
            fn serialize<S: #p::serde::Serializer>(&self, serializer: S) -> #p::Result<S::Ok, S::Error> {
                #p::serde::Serialize::serialize(&self.to_json(), serializer)
            }
        }

        impl<L: #orch::Lifecycle> #ident<L> {
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
