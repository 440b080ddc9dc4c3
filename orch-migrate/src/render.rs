//! Rendering a plan as a Rust migration module, and the migrations directory's `mod.rs`.
//!
//! The module is written as text, in the layout rustfmt and prettyplease give it, so the same
//! plan, message and time always give the same bytes, whatever rustfmt is installed, in time
//! and memory that grow with the steps only. Every name and value becomes a Rust string
//! literal, so quotes, backslashes, `"""`, `:word`, newlines and any unicode arrive in the
//! database exactly as answered.

use std::fmt::{self, Write as _};

use chrono::{DateTime, Utc};
use orch_core::migration::{Op, OwnedOp};

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

/// One step as a struct literal in the module, a field per line:
///
/// ```text
///     Op::CreateFixedInput {
///         product: "User internal",
///         name: "affiliation",
///         value: "internal",
///     },
/// ```
///
/// Written straight into `out`, as the steps are many (90,000 for a catalogue of 5,000
/// products): building tokens, a syntax tree and printing it held the whole module several
/// times over in memory.
fn write_op(out: &mut String, op: &OwnedOp) {
    let w = Literal::new(out, op.kind());
    match op {
        Op::CreateProduct {
            name,
            product_type,
            description,
            tag,
            status,
        } => w
            .str("name", name)
            .str("product_type", product_type)
            .str("description", description)
            .str("tag", tag)
            .str("status", status),
        Op::DeleteProduct { name }
        | Op::DeleteProductBlock { name }
        | Op::DeleteResourceType { name } => w.str("name", name),
        Op::SetProductType { name, product_type } => {
            w.str("name", name).str("product_type", product_type)
        }
        Op::CreateFixedInput {
            product,
            name,
            value,
        } => w
            .str("product", product)
            .str("name", name)
            .str("value", value),
        Op::DeleteFixedInput { product, name } => w.str("product", product).str("name", name),
        Op::RenameFixedInput { product, from, to } => {
            w.str("product", product).str("from", from).str("to", to)
        }
        Op::CreateProductBlock {
            name,
            description,
            tag,
            status,
        } => w
            .str("name", name)
            .str("description", description)
            .opt_str("tag", tag)
            .opt_str("status", status),
        Op::CreateResourceType { name, description } => {
            w.str("name", name).opt_str("description", description)
        }
        Op::RenameResourceType { from, to } => w.str("from", from).str("to", to),
        Op::LinkProductBlock { product, block } | Op::UnlinkProductBlock { product, block } => {
            w.str("product", product).str("block", block)
        }
        Op::LinkBlockRelation {
            in_use_by,
            depends_on,
            min,
            max,
        }
        | Op::SetBlockRelationBounds {
            in_use_by,
            depends_on,
            min,
            max,
        } => w
            .str("in_use_by", in_use_by)
            .str("depends_on", depends_on)
            .opt_int("min", *min)
            .opt_int("max", *max),
        Op::UnlinkBlockRelation {
            in_use_by,
            depends_on,
        } => w.str("in_use_by", in_use_by).str("depends_on", depends_on),
        Op::LinkResourceType {
            block,
            resource_type,
        }
        | Op::UnlinkResourceType {
            block,
            resource_type,
        } => w.str("block", block).str("resource_type", resource_type),
        Op::MoveResourceType { block, from, to }
        | Op::RenameRelationAttribute { block, from, to } => {
            w.str("block", block).str("from", from).str("to", to)
        }
        Op::BackfillValue {
            block,
            resource_type,
            value,
        } => w
            .str("block", block)
            .str("resource_type", resource_type)
            .str("value", value),
        Op::BackfillValueIn {
            block,
            resource_type,
            value,
            lifecycles,
        } => w
            .str("block", block)
            .str("resource_type", resource_type)
            .str("value", value)
            .list("lifecycles", lifecycles),
        Op::BackfillValues {
            block,
            resource_type,
            values,
        } => w
            .str("block", block)
            .str("resource_type", resource_type)
            .list("values", values),
        Op::BackfillRootInstances { product, block }
        | Op::DeleteRootInstances { product, block } => {
            w.str("product", product).str("block", block)
        }
        Op::BackfillChildInstances {
            parent,
            child,
            attribute,
            count,
        } => w
            .str("parent", parent)
            .str("child", child)
            .str("attribute", attribute)
            .int("count", *count),
        Op::DeleteChildInstances {
            parent,
            child,
            attribute,
        } => w
            .str("parent", parent)
            .str("child", child)
            .str("attribute", attribute),
    }
    .end();
}

/// A struct literal being written: its fields are collected, then laid out as prettyplease
/// and rustfmt lay out such an element of a list, so that a module reads as if formatted.
struct Literal<'a> {
    out: &'a mut String,
    kind: &'static str,
    fields: Vec<(&'static str, Value)>,
}

/// A field's value as Rust source.
enum Value {
    /// A literal or `None`, written as it is.
    Plain(String),
    /// `Some(<literal>)`, which breaks around the literal when the line is too long.
    Some(String),
    /// `&[<literal>, ...]`, which fills lines when it does not fit on one.
    List(Vec<String>),
}

/// The width of a line, indentation included.
const MARGIN: usize = 89;

/// The widest `Path { field: value, ...` (without the closing brace) kept on one line.
const SHORT_STRUCT: usize = 34;

impl<'a> Literal<'a> {
    fn new(out: &'a mut String, kind: &'static str) -> Self {
        Literal {
            out,
            kind,
            fields: Vec::new(),
        }
    }

    fn str(mut self, name: &'static str, value: &str) -> Self {
        self.fields
            .push((name, Value::Plain(Quoted(value).to_string())));
        self
    }

    fn opt_str(mut self, name: &'static str, value: &Option<String>) -> Self {
        let value = match value {
            Some(v) => Value::Some(Quoted(v).to_string()),
            None => Value::Plain("None".into()),
        };
        self.fields.push((name, value));
        self
    }

    fn opt_int(mut self, name: &'static str, value: Option<i32>) -> Self {
        let value = match value {
            Some(v) => Value::Some(v.to_string()),
            None => Value::Plain("None".into()),
        };
        self.fields.push((name, value));
        self
    }

    fn int(mut self, name: &'static str, value: u32) -> Self {
        self.fields.push((name, Value::Plain(value.to_string())));
        self
    }

    fn list(mut self, name: &'static str, values: &[String]) -> Self {
        let items = values.iter().map(|v| Quoted(v).to_string()).collect();
        self.fields.push((name, Value::List(items)));
        self
    }

    fn end(self) {
        let Literal { out, kind, fields } = self;
        let inline: Vec<String> = fields
            .iter()
            .map(|(name, value)| format!("{name}: {}", value.inline()))
            .collect();
        let head = format!("Op::{kind} {{ {} ", inline.join(", "));
        if head.len() <= SHORT_STRUCT {
            let _ = writeln!(out, "    {head}}},");
            return;
        }
        let _ = writeln!(out, "    Op::{kind} {{");
        for ((name, value), inline) in fields.iter().zip(inline) {
            let line = format!("        {inline},");
            if line.len() <= MARGIN {
                out.push_str(&line);
                out.push('\n');
                continue;
            }
            match value {
                Value::Plain(v) => {
                    let _ = writeln!(out, "        {name}: {v},");
                }
                Value::Some(v) => {
                    let _ = writeln!(out, "        {name}: Some(\n            {v},\n        ),");
                }
                Value::List(items) => {
                    let _ = writeln!(out, "        {name}: &[");
                    fill(out, "            ", items);
                    out.push_str("        ],\n");
                }
            }
        }
        out.push_str("    },\n");
    }
}

impl Value {
    fn inline(&self) -> String {
        match self {
            Value::Plain(v) => v.clone(),
            Value::Some(v) => format!("Some({v})"),
            Value::List(items) => format!("&[{}]", items.join(", ")),
        }
    }
}

/// `items` as lines of comma-separated elements, each line as full as the margin allows.
fn fill(out: &mut String, indent: &str, items: &[String]) {
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && indent.len() + line.len() + 1 + item.len() + 1 > MARGIN {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(item);
        line.push(',');
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
}

/// A Rust string literal that reads back as exactly the text: quotes, backslashes and control
/// characters escaped, as `str`'s `Debug` does, and any other unicode kept as it is.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// `const NAME: &[Op] = &[...];` with its doc line.
fn write_steps(out: &mut String, doc: &str, name: &str, steps: &[OwnedOp]) {
    let _ = writeln!(out, "/// {doc}");
    if steps.is_empty() {
        let _ = writeln!(out, "const {name}: &[Op] = &[];");
        return;
    }
    let _ = writeln!(out, "const {name}: &[Op] = &[");
    for op in steps {
        write_op(out, op);
    }
    out.push_str("];\n");
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
    let steps: usize = plan.up.len() + plan.down.len();
    let mut out = String::with_capacity(1024 + steps * 128);
    for line in docs {
        if line.is_empty() {
            out.push_str("//!\n");
        } else {
            let _ = writeln!(out, "//!{line}");
        }
    }
    let _ = write!(
        out,
        r#"
#![allow(elided_lifetimes_in_paths)]

use orch_core::migration::prelude::*;

/// This migration, listed in `mod.rs`.
pub(crate) struct Migration;

impl MigrationName for Migration {{
    fn name(&self) -> &str {{
        {module:?}
    }}
}}

"#
    );
    write_steps(&mut out, "The upgrade, step by step.", "UP", &plan.up);
    out.push('\n');
    write_steps(&mut out, "The downgrade, step by step.", "DOWN", &plan.down);
    out.push_str(MIGRATION_TRAIT);
    Rendered {
        source: out,
        module,
    }
}

/// The end of every migration module: the steps run in one transaction.
const MIGRATION_TRAIT: &str = r#"
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
"#;

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
