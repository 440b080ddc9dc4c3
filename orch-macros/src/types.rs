//! Looking at field types syntactically, where that is enough.
//!
//! Whether a field is a block or a value is decided by the compiler through the `Field` trait;
//! these helpers only recognise the common value types (so the generated struct shows `String`
//! rather than `<String as Field>::At<L>` in documentation) and `Option`/`Vec` wrappers (for
//! earlier, better-placed errors).

use syn::{GenericArgument, PathArguments, Type};

const VALUE_TYPES: &[&str] = &[
    "String", "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "Uuid",
];

/// The single generic argument of `Wrapper<T>` when the last path segment is `wrapper`.
pub(crate) fn unwrap<'a>(ty: &'a Type, wrapper: &str) -> Option<&'a Type> {
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>().as_slice() {
        [GenericArgument::Type(t)] => Some(t),
        _ => None,
    }
}

/// Whether `ty` is written as one of the built-in value types (`String`, integers, `bool`,
/// floats, `Uuid`), which are the same in every lifecycle.
pub(crate) fn is_plain_value(ty: &Type) -> bool {
    let Type::Path(p) = ty else { return false };
    if p.qself.is_some() {
        return false;
    }
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    matches!(last.arguments, PathArguments::None)
        && VALUE_TYPES.iter().any(|v| last.ident == v)
        && (p.path.segments.len() == 1 || last.ident == "Uuid" || last.ident == "String")
}

/// Whether `ty` is a built-in value type, or an `Option`/`Vec` of one.
pub(crate) fn is_lifecycle_independent(ty: &Type) -> bool {
    is_plain_value(ty)
        || unwrap(ty, "Option").is_some_and(is_plain_value)
        || unwrap(ty, "Vec").is_some_and(is_plain_value)
}

/// Whether `ty` names `ident` anywhere (`Vec<ChainBlock>` names `ChainBlock`).
pub(crate) fn mentions(ty: &Type, ident: &syn::Ident) -> bool {
    fn walk(tokens: proc_macro2::TokenStream, ident: &syn::Ident) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == *ident,
            proc_macro2::TokenTree::Group(g) => walk(g.stream(), ident),
            _ => false,
        })
    }
    walk(quote::ToTokens::to_token_stream(ty), ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> Type {
        syn::parse_str(s).unwrap()
    }

    #[test]
    fn recognises_wrappers_and_plain_values() {
        assert!(unwrap(&ty("Option<String>"), "Option").is_some());
        assert!(unwrap(&ty("std::option::Option<u8>"), "Option").is_some());
        assert!(unwrap(&ty("Vec<Block>"), "Option").is_none());
        assert!(is_plain_value(&ty("uuid::Uuid")));
        assert!(is_plain_value(&ty("i64")));
        assert!(!is_plain_value(&ty("Affiliation")));
        assert!(is_lifecycle_independent(&ty("Vec<u32>")));
        assert!(!is_lifecycle_independent(&ty("Option<Vec<u32>>")));
        assert!(!is_lifecycle_independent(&ty("Vec<UserBlock>")));
    }

    #[test]
    fn finds_a_type_named_inside_another() {
        let chain: syn::Ident = syn::parse_str("ChainBlock").unwrap();
        assert!(mentions(&ty("Vec<ChainBlock>"), &chain));
        assert!(mentions(&ty("Option<crate::m::ChainBlock>"), &chain));
        assert!(!mentions(&ty("Vec<ChainBlockList>"), &chain));
        assert!(!mentions(&ty("Vec<LinkBlock>"), &chain));
    }
}
