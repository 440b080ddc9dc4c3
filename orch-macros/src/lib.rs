//! Attribute macros of orch: `#[product_block]`, `#[product]`, `#[block_union]` and
//! `#[derive(FieldValue)]`, and `migrations!()`. Use them through `orch_core`, which re-exports them.
//!
//! This crate is only the entry points. Each macro is a pipeline of plain functions on
//! `proc_macro2` tokens, tested without a compiler in between: `attr` reads the macro and field
//! attributes, `ast` builds a typed model of the struct, `valid` checks it (collecting every
//! error with its span), and `expand` writes the generated code (`union` and `value` for
//! the other two macros). `tests` runs these functions on token streams.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod migrations;
#[cfg(test)]
mod tests;
mod types;
mod union;
mod valid;
mod value;

use proc_macro::TokenStream;

/// Turns a struct into a product block type (`product_blocks` row) with a lifecycle parameter.
///
/// `#[product_block(name = "UserBlock")]`; fields may carry `#[required_from(provisioning)]`,
/// `#[required_from(active)]`, `#[renamed_from = "old"]` and, on lists, `#[items(min = 1, max = 8)]`.
/// See the `orch_core` crate documentation for the generated types.
#[proc_macro_attribute]
pub fn product_block(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::model(ast::ModelKind::Block, args.into(), input.into()).into()
}

/// Turns a struct into a product type (`products.product_type`) with a lifecycle parameter.
///
/// `#[product(product_type = "User")]` (the type name by default). Fields are fixed inputs (single
/// values) and root product blocks.
#[proc_macro_attribute]
pub fn product(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::model(ast::ModelKind::Product, args.into(), input.into()).into()
}

/// Turns an enum whose variants each hold one product block into a union of block types.
#[proc_macro_attribute]
pub fn block_union(args: TokenStream, input: TokenStream) -> TokenStream {
    union::expand(args.into(), input.into()).into()
}

/// Makes a unit-only enum a value type, stored as its variants' string (or integer) values.
///
/// A variant's value is its name in snake_case, or `#[value = "..."]` / `#[value = 1000]`.
#[proc_macro_derive(FieldValue, attributes(value))]
pub fn derive_field_value(input: TokenStream) -> TokenStream {
    value::expand(input.into()).into()
}

/// Declares every migration module of a directory and `pub fn migrations()` listing them, oldest
/// first, so that the list follows the files: deleting an unapplied migration is the whole undo.
///
/// `migrations!()` in `src/migrations/mod.rs` lists that directory; `migrations!("dir")` names
/// one relative to the package root. A build script printing `cargo::rerun-if-changed=<dir>`
/// makes Cargo rebuild when a file is added.
#[proc_macro]
pub fn migrations(input: TokenStream) -> TokenStream {
    let file = proc_macro::Span::call_site().local_file();
    migrations::expand(input.into(), file).into()
}
