//! Answers to the questions `generate` asks, and the answers file.
//!
//! An answer is found by its key, a path like `products."User internal".tag`. The answers file
//! is TOML whose tables follow those paths, so it can be written by hand, reviewed and
//! committed:
//!
//! ```toml
//! [products."User internal"]
//! description = "user administration - internal"
//! tag = "USER_INT"
//! status = "active"                      # optional; active by default
//! fixed_inputs = { affiliation = "internal" }
//!
//! [product_blocks.UserBlock]
//! description = "user block"
//! tag = "UB"
//! defaults = { email = "unknown" }        # values for existing instances of UserBlock
//!
//! [resource_types]
//! username = "name of the user"          # resource type descriptions
//!
//! [renames.resource_types.UserBlock]
//! age = "years"                           # a rename; `false` means: not a rename
//! [renames.fixed_inputs."User internal"]
//! affiliation = "membership"
//!
//! [confirm]                               # destructive changes that lose data
//! delete_products = { "Old product" = true }
//! delete_product_blocks = { OldBlock = true }
//! delete_resource_types = { old_rt = true }
//! unlink_resource_types = { UserBlock = { age = true } }
//! ```
//!
//! Every key is checked against the registered models and every value against what it
//! answers (tag length, fixed-input and default values against the field's type), and all
//! problems are reported together. Answers about things that already exist in the database
//! are accepted and ignored, so one file keeps working as the models evolve.

use std::collections::BTreeMap;
use std::fmt;

use orch_core::ProductLifecycle;

use crate::catalog::Catalog;

/// The path of a question, e.g. `["products", "User internal", "tag"]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(pub Vec<String>);

impl Key {
    /// A key from its segments.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(segments: I) -> Key {
        Key(segments.into_iter().map(Into::into).collect())
    }

    fn segments(&self) -> Vec<&str> {
        self.0.iter().map(String::as_str).collect()
    }
}

impl fmt::Display for Key {
    /// TOML dotted-key syntax: `products."User internal".tag`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|s| toml_key(s)).collect();
        f.write_str(&parts.join("."))
    }
}

/// A key segment as TOML writes it: bare when it can be, quoted otherwise.
pub fn toml_key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_owned()
    } else {
        toml::Value::String(s.to_owned()).to_string()
    }
}

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A text: a description, tag, value or rename target.
    Text(String),
    /// A yes/no: a confirmation, or `false` for "not a rename".
    Bool(bool),
}

impl Answer {
    /// The text, if this is one.
    pub fn text(&self) -> Option<&str> {
        match self {
            Answer::Text(t) => Some(t),
            Answer::Bool(_) => None,
        }
    }

    fn to_toml(&self) -> toml::Value {
        match self {
            Answer::Text(t) => toml::Value::String(t.clone()),
            Answer::Bool(b) => toml::Value::Boolean(*b),
        }
    }
}

/// Answers by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    values: BTreeMap<Key, Answer>,
}

/// Why an answers file cannot be used; lists every problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {} problem{}:\n{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
pub struct AnswersError {
    /// The file name, for the message.
    pub source_name: String,
    /// One line per problem.
    pub problems: Vec<String>,
}

impl Answers {
    /// The answer for `key`.
    pub fn get(&self, key: &Key) -> Option<&Answer> {
        self.values.get(key)
    }

    /// Records an answer.
    pub fn insert(&mut self, key: Key, answer: Answer) {
        self.values.insert(key, answer);
    }

    /// Every answer, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Answer)> {
        self.values.iter()
    }

    /// Reads answers from TOML text and checks every key and value against the models.
    pub fn parse(
        text: &str,
        source_name: &str,
        desired: &Catalog,
    ) -> Result<Answers, AnswersError> {
        let err = |problems| AnswersError {
            source_name: source_name.to_owned(),
            problems,
        };
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| err(vec![one_line(&e.to_string())]))?;
        let mut answers = Answers::default();
        let mut problems = Vec::new();
        flatten(&mut Vec::new(), &table, &mut answers, &mut problems);
        for (key, answer) in &answers.values {
            if let Err(p) = check(key, answer, desired) {
                problems.push(format!("{key}: {p}"));
            }
        }
        if problems.is_empty() {
            Ok(answers)
        } else {
            Err(err(problems))
        }
    }

    /// The answers as TOML, merged over `base` (an existing answers file), keys sorted.
    pub fn to_toml(&self, base: Option<&str>) -> String {
        let mut table: toml::Table = base.and_then(|b| b.parse().ok()).unwrap_or_default();
        for (key, answer) in &self.values {
            let mut t = &mut table;
            let (last, path) = key.0.split_last().expect("keys are never empty");
            for seg in path {
                let entry = t
                    .entry(seg.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                if !entry.is_table() {
                    *entry = toml::Value::Table(toml::Table::new());
                }
                t = entry.as_table_mut().expect("made a table above");
            }
            t.insert(last.clone(), answer.to_toml());
        }
        toml::to_string(&table).expect("a table of strings and booleans serialises")
    }
}

fn flatten(
    path: &mut Vec<String>,
    table: &toml::Table,
    out: &mut Answers,
    problems: &mut Vec<String>,
) {
    for (k, v) in table {
        path.push(k.clone());
        let key = Key(path.clone());
        match v {
            toml::Value::Table(t) => flatten(path, t, out, problems),
            toml::Value::String(s) => out.insert(key, Answer::Text(s.clone())),
            toml::Value::Boolean(b) => out.insert(key, Answer::Bool(*b)),
            toml::Value::Integer(i) => out.insert(key, Answer::Text(i.to_string())),
            toml::Value::Float(f) => out.insert(key, Answer::Text(format!("{f:?}"))),
            other => problems.push(format!(
                "{key}: expected a string or boolean, found {}",
                other.type_str()
            )),
        }
        path.pop();
    }
}

/// The most characters `products.tag` and `product_blocks.tag` hold.
pub const TAG_LENGTH: usize = 20;
/// The most characters a description holds.
pub const DESCRIPTION_LENGTH: usize = 2000;

/// Checks a description.
pub fn check_description(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        Err("the description is empty".into())
    } else if s.chars().count() > DESCRIPTION_LENGTH {
        Err(format!(
            "the description has {} characters; at most {DESCRIPTION_LENGTH} fit",
            s.chars().count()
        ))
    } else {
        Ok(())
    }
}

/// Checks a tag.
pub fn check_tag(s: &str) -> Result<(), String> {
    let n = s.chars().count();
    if s.trim().is_empty() {
        Err("the tag is empty".into())
    } else if n > TAG_LENGTH {
        Err(format!(
            "the tag {s:?} has {n} characters; at most {TAG_LENGTH} fit"
        ))
    } else {
        Ok(())
    }
}

fn text(answer: &Answer) -> Result<&str, String> {
    answer
        .text()
        .ok_or_else(|| "expected a string, found a boolean".to_owned())
}

fn check(key: &Key, answer: &Answer, desired: &Catalog) -> Result<(), String> {
    let product = |p: &str| {
        desired.products.get(p).ok_or_else(|| {
            format!(
                "no registered product is named {p:?} (registered: {})",
                list(desired.products.keys())
            )
        })
    };
    let block = |b: &str| {
        desired.blocks.get(b).ok_or_else(|| {
            format!(
                "no registered product block is named {b:?} (blocks: {})",
                list(desired.blocks.keys())
            )
        })
    };
    match key.segments().as_slice() {
        ["products", p, "description"] => {
            product(p)?;
            check_description(text(answer)?)
        }
        ["products", p, "tag"] => {
            product(p)?;
            check_tag(text(answer)?)
        }
        ["products", p, "status"] => {
            product(p)?;
            let s = text(answer)?;
            s.parse::<ProductLifecycle>()
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        ["products", p, "fixed_inputs", f] => {
            let fi = product(p)?.fixed_inputs.get(*f).ok_or_else(|| {
                format!(
                    "product {p:?} has no fixed input {f:?} (its fixed inputs: {})",
                    list(desired.products[*p].fixed_inputs.keys())
                )
            })?;
            check_value(fi.value_type.as_ref(), text(answer)?)
        }
        ["product_blocks", b, "description"] => {
            block(b)?;
            check_description(text(answer)?)
        }
        ["product_blocks", b, "tag"] => {
            block(b)?;
            check_tag(text(answer)?)
        }
        ["product_blocks", b, "defaults", r] => {
            let rt = block(b)?.resource_types.get(*r).ok_or_else(|| {
                format!(
                    "block {b:?} has no resource type {r:?} (its resource types: {})",
                    list(desired.blocks[*b].resource_types.keys())
                )
            })?;
            check_value(rt.value_type.as_ref(), text(answer)?)
        }
        ["resource_types", r] => {
            if !desired.resource_types.contains_key(*r) {
                return Err(format!(
                    "no registered block has a resource type {r:?} (resource types: {})",
                    list(desired.resource_types.keys())
                ));
            }
            check_description(text(answer)?)
        }
        ["renames", "fixed_inputs", p, _old] => match answer {
            Answer::Bool(false) => Ok(()),
            Answer::Bool(true) => Err("expected the new name, or false".into()),
            Answer::Text(new) => {
                if product(p)?.fixed_inputs.contains_key(new) {
                    Ok(())
                } else {
                    Err(format!(
                        "product {p:?} has no fixed input {new:?} to rename to"
                    ))
                }
            }
        },
        ["renames", "resource_types", b, _old] => match answer {
            Answer::Bool(false) => Ok(()),
            Answer::Bool(true) => Err("expected the new name, or false".into()),
            Answer::Text(new) => {
                if block(b)?.resource_types.contains_key(new) {
                    Ok(())
                } else {
                    Err(format!(
                        "block {b:?} has no resource type {new:?} to rename to"
                    ))
                }
            }
        },
        [
            "confirm",
            "delete_products" | "delete_product_blocks" | "delete_resource_types",
            _,
        ]
        | ["confirm", "unlink_resource_types", _, _] => match answer {
            Answer::Bool(_) => Ok(()),
            Answer::Text(_) => Err("expected true or false".into()),
        },
        _ => Err("unknown key: see the answers file format in the README".into()),
    }
}

fn check_value(value_type: Option<&orch_core::ValueType>, s: &str) -> Result<(), String> {
    match value_type {
        // the type's own message, the same a bad stored value gives (an enum lists its values)
        Some(vt) => (vt.check)(s).map_err(|e| e.to_string()),
        None => Ok(()),
    }
}

fn list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let names: Vec<String> = names.map(|n| format!("{n:?}")).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
