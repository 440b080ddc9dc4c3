//! `#[block_union]`: an enum whose variants each hold one product block, for fields that may
//! hold one of several block types (orchestrator-core's `A | B` annotations).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ctxt::{Ctxt, SpanRange, respan_all};
use crate::expand::{field_path, where_clause};

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    if !args.is_empty() {
        cx.error_spanned_by(&args, "#[block_union] takes no arguments");
    }
    let item: syn::ItemEnum = match syn::parse2(input) {
        Ok(item) => item,
        Err(e) => {
            let mut e = e;
            e.combine(syn::Error::new(
                e.span(),
                "#[block_union] applies to an enum whose variants each hold one product block",
            ));
            return e.to_compile_error();
        }
    };
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        cx.error_spanned_by(
            &item.generics,
            "#[block_union] enums cannot be generic: orch adds the lifecycle parameter itself",
        );
    }
    if item.variants.is_empty() {
        cx.error_spanned_by(&item.ident, "a block union needs at least one variant");
    }
    let mut variants = Vec::new();
    for v in &item.variants {
        match &v.fields {
            syn::Fields::Unnamed(f) if f.unnamed.len() == 1 => {
                variants.push((v, f.unnamed.first().expect("one field").ty.clone()));
            }
            _ => cx.error_spanned_by(
                v,
                format!(
                    "variant `{}` must hold exactly one product block, like `{}(SomeBlock)`",
                    v.ident, v.ident
                ),
            ),
        }
    }
    if let Err(e) = cx.check() {
        return e.to_compile_error();
    }

    let orch = quote!(::orch_core);
    let p = quote!(#orch::__private);
    let syn::ItemEnum {
        attrs, vis, ident, ..
    } = &item;
    let rust_name = ident.to_string();
    let inactive = format_ident!("{}Inactive", ident);
    let provisioning = format_ident!("{}Provisioning", ident);
    let defs = variants.iter().map(|(v, ty)| {
        let attrs = &v.attrs;
        let vid = &v.ident;
        let at = field_path(ty, quote!(::At<L>));
        quote!(#(#attrs)* #vid(#at))
    });
    let members = variants
        .iter()
        .map(|(_, ty)| quote!(#orch::BlockRef::new(<#ty as #orch::ProductBlock>::descriptor)));
    // One assertion per variant reports a variant that is not a block; the impls below require
    // the same through their where clauses, so that they add no errors of their own.
    let checks = variants.iter().map(|(_, ty)| {
        let range = SpanRange::of(ty);
        let head = respan_all(
            quote!(const _: () = #p::check::union_member::<),
            range.first,
        );
        let tail = range.respan(quote!(>();));
        quote!(#head #ty #tail)
    });
    let tys: Vec<&syn::Type> = variants.iter().map(|(_, ty)| ty).collect();
    let where_clause = where_clause(&tys, &quote!(#p::check::UnionMember));
    let arms = |body: &dyn Fn(&syn::Ident, &syn::Type) -> TokenStream| -> Vec<TokenStream> {
        variants.iter().map(|(v, ty)| body(&v.ident, ty)).collect()
    };
    let clone_arms = arms(
        &|vid, ty| quote!(Self::#vid(v) => Self::#vid(<#ty as #orch::Field>::clone_at::<L>(v))),
    );
    let eq_arms = arms(
        &|vid, ty| quote!((Self::#vid(a), Self::#vid(b)) => <#ty as #orch::Field>::eq_at::<L>(a, b)),
    );
    let debug_arms = arms(&|vid, ty| {
        let name = vid.to_string();
        quote!(Self::#vid(v) => f.debug_tuple(#name).field(&#p::DebugAt::<#ty, L>(v)).finish())
    });
    let json_arms =
        arms(&|vid, ty| quote!(Self::#vid(v) => <#ty as #orch::Field>::to_json_at::<L>(v)));
    let convert_arms = arms(
        &|vid, ty| quote!(#ident::#vid(v) => <#ty as #orch::Field>::convert_at::<L, M>(v, cx).map(#ident::#vid)),
    );
    let write_arms =
        arms(&|vid, ty| quote!(#ident::#vid(v) => <#ty as #orch::Field>::write_at::<L>(v, w)));
    let claim_arms =
        arms(&|vid, ty| quote!(#ident::#vid(v) => <#ty as #orch::Field>::claim_at::<L>(v, owner)));
    let read_arms = arms(&|vid, ty| {
        quote! {
            if node.instance.block == <#ty as #orch::ProductBlock>::descriptor().name {
                return <#ty as #orch::Single>::read_one::<L>(item, cx).map(#ident::#vid);
            }
        }
    });
    let member_names: Vec<TokenStream> = variants
        .iter()
        .map(|(_, ty)| quote!(<#ty as #orch::ProductBlock>::descriptor().name))
        .collect();
    let doc_inactive = format!("[`{ident}`] in the initial lifecycle.");
    let doc_provisioning = format!("[`{ident}`] in the provisioning lifecycle.");
    let eq_fallback = if variants.len() > 1 {
        quote!(_ => false,)
    } else {
        quote!()
    };

    quote! {
        #(#attrs)*
        #vis enum #ident<L: #orch::Lifecycle = #orch::Active> {
            #(#defs,)*
        }

        #[doc = #doc_inactive]
        #vis type #inactive = #ident<#orch::Initial>;
        #[doc = #doc_provisioning]
        #vis type #provisioning = #ident<#orch::Provisioning>;

        const _: () = {
            #(#checks)*

            impl<L0: #orch::Lifecycle> #orch::Field for #ident<L0> #where_clause {
                type At<L: #orch::Lifecycle> = #ident<L>;
                // which member is for a person to choose
                const CREATABLE: bool = false;
                const SHAPE: #orch::FieldShape = #orch::FieldShape {
                    cardinality: #orch::Cardinality::One,
                    target: #orch::Target::Blocks {
                        union: #p::Some(#rust_name),
                        members: &[#(#members),*],
                    },
                };
                fn clone_at<L: #orch::Lifecycle>(v: &#ident<L>) -> #ident<L> {
                    ::core::clone::Clone::clone(v)
                }
                fn eq_at<L: #orch::Lifecycle>(a: &#ident<L>, b: &#ident<L>) -> bool {
                    ::core::cmp::PartialEq::eq(a, b)
                }
                fn debug_at<L: #orch::Lifecycle>(v: &#ident<L>, f: &mut #p::fmt::Formatter<'_>) -> #p::fmt::Result {
                    #p::fmt::Debug::fmt(v, f)
                }
                fn to_json_at<L: #orch::Lifecycle>(v: &#ident<L>) -> #p::serde_json::Value {
                    v.to_json()
                }
                fn convert_at<L: #orch::Lifecycle, M: #orch::Lifecycle>(
                    v: #ident<L>,
                    cx: &mut #p::ConvertCx,
                ) -> #p::Option<#ident<M>> {
                    match v {
                        #(#convert_arms,)*
                    }
                }
                fn write_at<L: #orch::Lifecycle>(v: &#ident<L>, w: &mut #p::Writer) {
                    match v {
                        #(#write_arms,)*
                    }
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
                    <Self as #orch::Single>::initial_one::<L>(cx)
                }
                fn claim_at<L: #orch::Lifecycle>(v: &mut #ident<L>, owner: #p::Uuid) {
                    match v {
                        #(#claim_arms,)*
                    }
                }
            }

            impl<L0: #orch::Lifecycle> #orch::Single for #ident<L0> #where_clause {
                fn read_one<L: #orch::Lifecycle>(
                    item: #p::Item<'_>,
                    cx: &mut #p::ReadCx,
                ) -> #p::Option<#ident<L>> {
                    if let #p::Item::Block(node) = item {
                        #(#read_arms)*
                    }
                    let expected = [#(#member_names),*].join(" or ");
                    #p::wrong_item(item, &expected, cx);
                    #p::None
                }
                fn initial_one<L: #orch::Lifecycle>(
                    cx: &mut #p::ConvertCx,
                ) -> #p::Option<#ident<L>> {
                    // which member to create is a choice only a person can make
                    cx.missing();
                    #p::None
                }
            }

            impl<L: #orch::Lifecycle> ::core::clone::Clone for #ident<L> #where_clause {
                fn clone(&self) -> Self {
                    match self {
                        #(#clone_arms,)*
                    }
                }
            }

            impl<L: #orch::Lifecycle> ::core::cmp::PartialEq for #ident<L> #where_clause {
                fn eq(&self, other: &Self) -> bool {
                    match (self, other) {
                        #(#eq_arms,)*
                        #eq_fallback
                    }
                }
            }

            impl<L: #orch::Lifecycle> #p::fmt::Debug for #ident<L> #where_clause {
                fn fmt(&self, f: &mut #p::fmt::Formatter<'_>) -> #p::fmt::Result {
                    match self {
                        #(#debug_arms,)*
                    }
                }
            }

            impl<L: #orch::Lifecycle> #p::serde::Serialize for #ident<L> #where_clause {
                fn serialize<S: #p::serde::Serializer>(&self, serializer: S) -> #p::Result<S::Ok, S::Error> {
                    #p::serde::Serialize::serialize(&self.to_json(), serializer)
                }
            }

            impl<L: #orch::Lifecycle> #ident<L> #where_clause {
                /// The block held, as JSON.
                pub fn to_json(&self) -> #p::serde_json::Value {
                    match self {
                        #(#json_arms,)*
                    }
                }
            }
        };
    }
}
