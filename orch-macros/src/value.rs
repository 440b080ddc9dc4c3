//! `#[derive(FieldValue)]` for enums: each unit variant is stored as a string or integer value,
//! like orchestrator-core's `strEnum` and `IntEnum`.

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::quote;

use crate::ctxt::Ctxt;

enum Stored {
    Str(String),
    Int(i64),
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let syn::Data::Enum(data) = &input.data else {
        return syn::Error::new_spanned(
            &input.ident,
            "#[derive(FieldValue)] applies to enums with unit variants; \
             implement `orch_core::FieldValue` by hand for other types",
        )
        .to_compile_error();
    };
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(&input.generics, "a value enum cannot be generic");
    }
    if data.variants.is_empty() {
        cx.error_spanned_by(&input.ident, "a value enum needs at least one variant");
    }
    let mut values: Vec<(&syn::Ident, Stored, proc_macro2::Span)> = Vec::new();
    for v in &data.variants {
        if !matches!(v.fields, syn::Fields::Unit) {
            cx.error_spanned_by(
                v,
                format!(
                    "variant `{}` has fields; a value enum has unit variants only",
                    v.ident
                ),
            );
            continue;
        }
        let mut explicit = None;
        let mut malformed = false;
        for attr in v.attrs.iter().filter(|a| a.path().is_ident("value")) {
            if explicit.is_some() {
                cx.error_spanned_by(attr, "`#[value]` is given twice");
                continue;
            }
            explicit = match &attr.meta {
                syn::Meta::NameValue(nv) => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some((Stored::Str(s.value()), s.span())),
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Int(i),
                        ..
                    }) => match i.base10_parse::<i64>() {
                        Ok(n) => Some((Stored::Int(n), i.span())),
                        Err(e) => {
                            cx.syn_error(e);
                            malformed = true;
                            None
                        }
                    },
                    other => {
                        cx.error_spanned_by(
                            other,
                            "expected a string or integer: `#[value = \"name\"]` or `#[value = 100]`",
                        );
                        malformed = true;
                        None
                    }
                },
                _ => {
                    cx.error_spanned_by(attr, "expected `#[value = \"name\"]` or `#[value = 100]`");
                    malformed = true;
                    None
                }
            };
        }
        if malformed {
            // already reported; its default value would only add follow-up errors
            continue;
        }
        let (stored, span) = explicit.unwrap_or_else(|| {
            (
                Stored::Str(v.ident.to_string().to_snake_case()),
                v.ident.span(),
            )
        });
        values.push((&v.ident, stored, span));
    }
    let ints = values
        .iter()
        .filter(|(_, s, _)| matches!(s, Stored::Int(_)))
        .count();
    if ints > 0 && ints < values.len() {
        for (id, s, span) in &values {
            if matches!(s, Stored::Str(_)) {
                cx.syn_error(syn::Error::new(
                    *span,
                    format!(
                        "variant `{id}` has a string value but others have integers; \
                         give every variant an integer `#[value = N]`"
                    ),
                ));
            }
        }
    }
    let text = |s: &Stored| match s {
        Stored::Str(s) => s.clone(),
        Stored::Int(n) => n.to_string(),
    };
    for (i, (id, s, span)) in values.iter().enumerate() {
        if let Some((other, _, _)) = values[..i].iter().find(|(_, o, _)| text(o) == text(s)) {
            cx.syn_error(syn::Error::new(
                *span,
                format!(
                    "variants `{other}` and `{id}` are both stored as {:?}",
                    text(s)
                ),
            ));
        }
        if let Stored::Str(v) = s
            && v.is_empty()
        {
            cx.syn_error(syn::Error::new(*span, "a stored value cannot be empty"));
        }
    }
    if let Err(e) = cx.check() {
        return e.to_compile_error();
    }

    let orch = quote!(::orch_core);
    let ident = &input.ident;
    let type_name = ident.to_string();
    let idents: Vec<_> = values.iter().map(|(i, _, _)| *i).collect();
    let stored: Vec<String> = values.iter().map(|(_, s, _)| text(s)).collect();
    let expected = format!("expected one of: {}", stored.join(", "));
    let to_json = if ints > 0 {
        let nums = values.iter().map(|(_, s, _)| match s {
            Stored::Int(n) => *n,
            Stored::Str(_) => unreachable!("checked above"),
        });
        quote! {
            fn to_json(&self) -> #orch::__private::serde_json::Value {
                #orch::__private::serde_json::Value::from(match self { #(Self::#idents => #nums,)* })
            }
        }
    } else {
        quote!()
    };
    quote! {
        impl #orch::FieldValue for #ident {
            const TYPE_NAME: &'static str = #type_name;
            const KIND: #orch::ValueKind = #orch::ValueKind::Enum;
            const CHOICES: &'static [&'static str] = &[#(#stored),*];
            fn to_stored(&self) -> #orch::__private::String {
                #orch::__private::String::from(match self {
                    #(Self::#idents => #stored,)*
                })
            }
            fn from_stored(s: &str) -> #orch::__private::Result<Self, #orch::ValueError> {
                match s.trim() {
                    #(#stored => #orch::__private::Ok(Self::#idents),)*
                    _ => #orch::__private::Err(#orch::ValueError::new::<Self>(s, #expected)),
                }
            }
            #to_json
        }
    }
}
