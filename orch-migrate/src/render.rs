//! Rendering a plan as a Rust migration module, and the migrations directory's `mod.rs`.
//!
//! The module is built with `quote`, parsed as a `syn::File` and printed with prettyplease, so
//! the same plan, message and time always give the same bytes, whatever rustfmt is installed.
//! Every name and value becomes a Rust string literal, so quotes, backslashes, `"""`, `:word`,
//! newlines and any unicode arrive in the database exactly as answered.

use chrono::{DateTime, Utc};
use orch_core::migration::{Op, OwnedOp};
use proc_macro2::TokenStream;
use quote::quote;

use crate::plan::Plan;

/// A rendered migration module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// `m20261125_101500_add_user_and_usergroup_products`, also the migration's name.
    pub module: String,
    /// The module's source text.
    pub source: String,
}

/// `Add User and UserGroup products` -> `add_user_and_usergroup_products`.
pub fn slug(message: &str) -> String {
    let mut out = String::new();
    for c in message.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let mut s = out.trim_matches('_').to_owned();
    if s.len() > 60 {
        s.truncate(60);
        s = s.trim_end_matches('_').to_owned();
    }
    if s.is_empty() { "migration".into() } else { s }
}

/// The module name for `message` generated at `at`.
pub fn module_name(message: &str, at: DateTime<Utc>) -> String {
    format!("m{}_{}", at.format("%Y%m%d_%H%M%S"), slug(message))
}

fn op_tokens(op: &OwnedOp) -> TokenStream {
    let s = |v: &String| quote!(#v);
    let opt = |v: &Option<String>| match v {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    };
    let int = |v: &Option<i32>| match v {
        Some(v) => {
            let v = proc_macro2::Literal::i32_unsuffixed(*v);
            quote!(Some(#v))
        }
        None => quote!(None),
    };
    match op {
        Op::CreateProduct {
            name,
            product_type,
            description,
            tag,
            status,
        } => {
            let (a, b, c, d, e) = (s(name), s(product_type), s(description), s(tag), s(status));
            quote!(Op::CreateProduct { name: #a, product_type: #b, description: #c, tag: #d, status: #e })
        }
        Op::DeleteProduct { name } => {
            let a = s(name);
            quote!(Op::DeleteProduct { name: #a })
        }
        Op::SetProductType { name, product_type } => {
            let (a, b) = (s(name), s(product_type));
            quote!(Op::SetProductType { name: #a, product_type: #b })
        }
        Op::CreateFixedInput {
            product,
            name,
            value,
        } => {
            let (a, b, c) = (s(product), s(name), s(value));
            quote!(Op::CreateFixedInput { product: #a, name: #b, value: #c })
        }
        Op::DeleteFixedInput { product, name } => {
            let (a, b) = (s(product), s(name));
            quote!(Op::DeleteFixedInput { product: #a, name: #b })
        }
        Op::RenameFixedInput { product, from, to } => {
            let (a, b, c) = (s(product), s(from), s(to));
            quote!(Op::RenameFixedInput { product: #a, from: #b, to: #c })
        }
        Op::CreateProductBlock {
            name,
            description,
            tag,
            status,
        } => {
            let (a, b, c, d) = (s(name), s(description), opt(tag), opt(status));
            quote!(Op::CreateProductBlock { name: #a, description: #b, tag: #c, status: #d })
        }
        Op::DeleteProductBlock { name } => {
            let a = s(name);
            quote!(Op::DeleteProductBlock { name: #a })
        }
        Op::CreateResourceType { name, description } => {
            let (a, b) = (s(name), opt(description));
            quote!(Op::CreateResourceType { name: #a, description: #b })
        }
        Op::DeleteResourceType { name } => {
            let a = s(name);
            quote!(Op::DeleteResourceType { name: #a })
        }
        Op::RenameResourceType { from, to } => {
            let (a, b) = (s(from), s(to));
            quote!(Op::RenameResourceType { from: #a, to: #b })
        }
        Op::LinkProductBlock { product, block } => {
            let (a, b) = (s(product), s(block));
            quote!(Op::LinkProductBlock { product: #a, block: #b })
        }
        Op::UnlinkProductBlock { product, block } => {
            let (a, b) = (s(product), s(block));
            quote!(Op::UnlinkProductBlock { product: #a, block: #b })
        }
        Op::LinkBlockRelation {
            in_use_by,
            depends_on,
            min,
            max,
        } => {
            let (a, b, c, d) = (s(in_use_by), s(depends_on), int(min), int(max));
            quote!(Op::LinkBlockRelation { in_use_by: #a, depends_on: #b, min: #c, max: #d })
        }
        Op::UnlinkBlockRelation {
            in_use_by,
            depends_on,
        } => {
            let (a, b) = (s(in_use_by), s(depends_on));
            quote!(Op::UnlinkBlockRelation { in_use_by: #a, depends_on: #b })
        }
        Op::SetBlockRelationBounds {
            in_use_by,
            depends_on,
            min,
            max,
        } => {
            let (a, b, c, d) = (s(in_use_by), s(depends_on), int(min), int(max));
            quote!(Op::SetBlockRelationBounds { in_use_by: #a, depends_on: #b, min: #c, max: #d })
        }
        Op::LinkResourceType {
            block,
            resource_type,
        } => {
            let (a, b) = (s(block), s(resource_type));
            quote!(Op::LinkResourceType { block: #a, resource_type: #b })
        }
        Op::UnlinkResourceType {
            block,
            resource_type,
        } => {
            let (a, b) = (s(block), s(resource_type));
            quote!(Op::UnlinkResourceType { block: #a, resource_type: #b })
        }
        Op::MoveResourceType { block, from, to } => {
            let (a, b, c) = (s(block), s(from), s(to));
            quote!(Op::MoveResourceType { block: #a, from: #b, to: #c })
        }
        Op::BackfillValue {
            block,
            resource_type,
            value,
        } => {
            let (a, b, c) = (s(block), s(resource_type), s(value));
            quote!(Op::BackfillValue { block: #a, resource_type: #b, value: #c })
        }
        Op::BackfillValueIn {
            block,
            resource_type,
            value,
            lifecycles,
        } => {
            let (a, b, c) = (s(block), s(resource_type), s(value));
            let lifecycles = lifecycles.iter().map(s);
            quote!(Op::BackfillValueIn { block: #a, resource_type: #b, value: #c, lifecycles: &[#(#lifecycles),*] })
        }
        Op::BackfillValues {
            block,
            resource_type,
            values,
        } => {
            let (a, b) = (s(block), s(resource_type));
            quote!(Op::BackfillValues { block: #a, resource_type: #b, values: &[#(#values),*] })
        }
        Op::BackfillRootInstances { product, block } => {
            let (a, b) = (s(product), s(block));
            quote!(Op::BackfillRootInstances { product: #a, block: #b })
        }
        Op::BackfillChildInstances {
            parent,
            child,
            attribute,
            count,
        } => {
            let (a, b, c) = (s(parent), s(child), s(attribute));
            let count = proc_macro2::Literal::u32_unsuffixed(*count);
            quote!(Op::BackfillChildInstances { parent: #a, child: #b, attribute: #c, count: #count })
        }
        Op::DeleteRootInstances { product, block } => {
            let (a, b) = (s(product), s(block));
            quote!(Op::DeleteRootInstances { product: #a, block: #b })
        }
        Op::DeleteChildInstances {
            parent,
            child,
            attribute,
        } => {
            let (a, b, c) = (s(parent), s(child), s(attribute));
            quote!(Op::DeleteChildInstances { parent: #a, child: #b, attribute: #c })
        }
        Op::RenameRelationAttribute { block, from, to } => {
            let (a, b, c) = (s(block), s(from), s(to));
            quote!(Op::RenameRelationAttribute { block: #a, from: #b, to: #c })
        }
    }
}

/// Renders `plan` as the migration module for `message` generated at `at` by the binary `app`
/// (named in the header, so that a reader knows which command to run).
pub fn migration(plan: &Plan, message: &str, at: DateTime<Utc>, app: &str) -> Rendered {
    let module = module_name(message, at);
    let mut docs: Vec<String> = vec![
        format!(" {}", message.trim()),
        String::new(),
        format!(
            " Generated by `{app} generate` at {} UTC. Review it, then commit it.",
            at.format("%Y-%m-%d %H:%M:%S")
        ),
    ];
    if !plan.data_loss.is_empty() {
        docs.push(String::new());
        docs.push(" Not restored by `down`:".into());
        docs.extend(plan.data_loss.iter().map(|l| format!(" - {l}")));
    }
    let up = plan.up.iter().map(op_tokens);
    let down = plan.down.iter().map(op_tokens);
    let file = quote! {
        #(#![doc = #docs])*
        // async_trait needs the elided lifetime of `&SchemaManager`
        #![allow(elided_lifetimes_in_paths)]

        use orch_core::migration::prelude::*;

        /// This migration, listed in `mod.rs`.
        pub(crate) struct Migration;

        impl MigrationName for Migration {
            fn name(&self) -> &str {
                #module
            }
        }

        /// The upgrade, step by step.
        const UP: &[Op] = &[#(#up),*];

        /// The downgrade, step by step.
        const DOWN: &[Op] = &[#(#down),*];

        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                run(manager, UP).await
            }

            async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                run(manager, DOWN).await
            }

            /// Every step or none: domain migrations change rows only, so this holds on
            /// SQLite, PostgreSQL and MariaDB alike.
            fn use_transaction(&self) -> Option<bool> {
                Some(true)
            }
        }
    };
    Rendered {
        source: pretty(file),
        module,
    }
}

/// The migrations directory's `mod.rs`: the `migrations!()` macro lists the directory's files
/// when the crate compiles, so that the list never names a deleted file.
pub const MOD_RS: &str = "\
//! The domain-model migrations of this app, oldest first: every `m*.rs` file in this directory,
//! listed when the crate compiles. Deleting a migration that is not applied yet is the whole
//! undo; a build script with `cargo::rerun-if-changed=` this directory rebuilds when one is added.

orch_core::migrations!();
";

/// The start of the doc comment of a `mod.rs` that listed its modules (written before
/// `migrations!()`), which `generate` replaces with [`MOD_RS`].
pub const LISTING_MOD_RS: &str =
    "//! The domain-model migrations of this app, oldest first.\n//!\n//! Generated by `";

fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("generated code parses");
    let text = prettyplease::unparse(&file);
    // prettyplease puts no blank lines between items; add one before each top-level item
    let mut out = String::with_capacity(text.len() + 256);
    let mut prev: Option<&str> = None;
    for line in text.lines() {
        let starts_item =
            !line.starts_with([' ', '}', ')', ']']) && !line.is_empty() && !line.starts_with("//!");
        if let Some(p) = prev {
            let prev_continues = p.starts_with("///") || p.starts_with("#[") || p.is_empty();
            let same_group = (line.starts_with("mod ") || line.starts_with("#[rustfmt::skip]"))
                && p.starts_with("mod ");
            if starts_item && !prev_continues && !same_group {
                out.push('\n');
            }
        }
        out.push_str(line);
        out.push('\n');
        prev = Some(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_name_safe() {
        assert_eq!(
            slug("Add User and UserGroup products"),
            "add_user_and_usergroup_products"
        );
        assert_eq!(slug("  rename: age -> years!! "), "rename_age_years");
        assert_eq!(slug("ÜBER-große Änderung"), "ber_gro_e_nderung");
        assert_eq!(slug("***"), "migration");
        assert!(slug(&"x".repeat(100)).len() <= 60);
    }

    #[test]
    fn tricky_text_survives_as_rust_literals() {
        let tricky = "it's \"\"\" a \\ :word\nünï 🦀";
        let plan = Plan {
            up: vec![Op::CreateResourceType {
                name: "rt".into(),
                description: Some(tricky.into()),
            }],
            down: vec![],
            data_loss: vec![],
        };
        let at = DateTime::from_timestamp(1_764_065_700, 0).unwrap();
        let r = migration(&plan, "tricky", at, "my-migrate");
        assert!(r.source.contains("Generated by `my-migrate generate`"));
        let file = syn::parse_file(&r.source).unwrap();
        let found = format!("{file:?}");
        assert!(found.contains("CreateResourceType"));
        // the literal in the source reads back as the exact text
        let lit_start = r.source.find("description: Some(").unwrap() + "description: Some(".len();
        let lit_end = r.source[lit_start..].find(")").unwrap() + lit_start;
        let lit: syn::LitStr = syn::parse_str(&r.source[lit_start..lit_end]).unwrap();
        assert_eq!(lit.value(), tricky);
        assert_eq!(r.module, "m20251125_101500_tricky");
        assert_eq!(
            migration(&plan, "tricky", at, "my-migrate"),
            r,
            "same inputs, same bytes"
        );
    }

    #[test]
    fn mod_rs_is_rust_and_names_the_macro() {
        let file = syn::parse_file(MOD_RS).unwrap();
        assert!(MOD_RS.contains("orch_core::migrations!();"));
        assert_eq!(file.items.len(), 1);
    }
}
