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
//! defaults = { email = "unknown", ports = [80, 443] }  # for existing instances of UserBlock
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
//! delete_every_product = true             # no product registered, and that is the intent
//! ```
//!
//! Every key is checked against the registered models and every value against what it
//! answers (tag length, fixed-input and default values against the field's type), and all
//! problems are reported together. Answers about things that already exist in the database
//! are accepted and ignored, so one file keeps working as the models evolve.

use std::collections::BTreeMap;
use std::fmt;

use orch_core::{Cardinality, ProductLifecycle, SubscriptionLifecycle};

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
        // a basic string on one line: the `toml` crate may choose a multi-line or literal
        // string, which a key cannot be
        let mut out = String::from('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
}

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A text: a description, tag, value or rename target.
    Text(String),
    /// A yes/no: a confirmation, or `false` for "not a rename".
    Bool(bool),
    /// The elements of a list value, in order (a default for a `Vec<T>` resource type).
    List(Vec<String>),
    /// A value per subscription lifecycle (a default given as `{ active = "1500", ... }`):
    /// instances of subscriptions in a lifecycle not named get none.
    PerLifecycle(BTreeMap<String, String>),
}

impl Answer {
    /// The text, if this is one.
    pub fn text(&self) -> Option<&str> {
        match self {
            Answer::Text(t) => Some(t),
            Answer::Bool(_) | Answer::List(_) | Answer::PerLifecycle(_) => None,
        }
    }

    /// The answer as a TOML value, as the answers file writes it.
    pub fn to_toml(&self) -> toml::Value {
        match self {
            Answer::Text(t) => toml::Value::String(t.clone()),
            Answer::Bool(b) => toml::Value::Boolean(*b),
            Answer::List(items) => toml::Value::Array(
                items
                    .iter()
                    .map(|i| toml::Value::String(i.clone()))
                    .collect(),
            ),
            Answer::PerLifecycle(values) => toml::Value::Table(
                values
                    .iter()
                    .map(|(l, v)| (l.clone(), toml::Value::String(v.clone())))
                    .collect(),
            ),
        }
    }
}

/// Answers by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    values: BTreeMap<Key, Answer>,
    /// Answers read from a file that were left out because the models no longer have what they
    /// are about, one line each, for the command to print as warnings.
    pub ignored: Vec<String>,
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

    /// Forgets the answer for `key`, so that it is asked again.
    pub fn remove(&mut self, key: &Key) -> Option<Answer> {
        self.values.remove(key)
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
        // answers about what the models no longer have stay in the file from earlier
        // migrations: they are ignored, so that one file keeps working as the models change
        answers.values.retain(|key, _| match stale(key, desired) {
            Some(why) => {
                answers.ignored.push(format!("{key}: ignored, {why}"));
                false
            }
            None => true,
        });
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

    /// The answers as TOML, merged over `base` (an existing answers file), keys sorted. What
    /// `base` holds about things `desired` no longer has, or that `desired` would refuse, is
    /// left out, so that the file written always passes `generate --answers` on these models.
    pub fn to_toml(&self, base: Option<&str>, desired: &Catalog) -> String {
        let mut table: toml::Table = base.and_then(|b| b.parse().ok()).unwrap_or_default();
        let mut kept = Answers::default();
        let mut problems = Vec::new();
        flatten(&mut Vec::new(), &table, &mut kept, &mut problems);
        let mut drop: Vec<Key> = kept
            .values
            .iter()
            .filter(|(k, a)| stale(k, desired).is_some() || check(k, a, desired).is_err())
            .map(|(k, _)| k.clone())
            .collect();
        // a value of the wrong TOML type (`tag = 5`) is named by its problem, `key: ...`
        let mut wrong = Vec::new();
        leaves(&mut Vec::new(), &table, &mut wrong);
        drop.extend(
            wrong
                .into_iter()
                .filter(|k| problems.iter().any(|p| p.starts_with(&format!("{k}: ")))),
        );
        for key in &drop {
            remove(&mut table, &key.0);
        }
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

/// Every leaf key of `table`.
fn leaves(path: &mut Vec<String>, table: &toml::Table, out: &mut Vec<Key>) {
    for (k, v) in table {
        path.push(k.clone());
        match v {
            toml::Value::Table(t) => leaves(path, t, out),
            _ => out.push(Key(path.clone())),
        }
        path.pop();
    }
}

/// Removes the value at `path`, and every table left empty by it.
fn remove(table: &mut toml::Table, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        table.remove(first);
        return;
    }
    if let Some(toml::Value::Table(t)) = table.get_mut(first) {
        remove(t, rest);
        if t.is_empty() {
            table.remove(first);
        }
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
        // a number is a value of a field's type; a description, tag or name is a string
        let value = is_value_key(&key);
        let scalar = |v: &toml::Value| match v {
            toml::Value::String(s) => Some(s.clone()),
            toml::Value::Integer(i) if value => Some(i.to_string()),
            toml::Value::Float(f) if value => Some(format!("{f:?}")),
            _ => None,
        };
        match v {
            // a default per lifecycle: `mtu = { active = 1500, provisioning = 1400 }`
            toml::Value::Table(t) if value => {
                let mut per = BTreeMap::new();
                for (lifecycle, v) in t {
                    match (lifecycle.parse::<SubscriptionLifecycle>(), scalar(v)) {
                        (Ok(_), Some(s)) => {
                            per.insert(lifecycle.clone(), s);
                        }
                        (Err(e), _) => problems.push(format!("{key}.{lifecycle}: {e}")),
                        (_, None) => problems.push(format!(
                            "{key}.{lifecycle}: expected a string or number, found {}",
                            v.type_str()
                        )),
                    }
                }
                out.insert(key, Answer::PerLifecycle(per));
            }
            toml::Value::Table(t) => flatten(path, t, out, problems),
            toml::Value::Boolean(b) => out.insert(key, Answer::Bool(*b)),
            toml::Value::Array(items) if value => {
                match items.iter().map(scalar).collect::<Option<Vec<_>>>() {
                    Some(items) => out.insert(key, Answer::List(items)),
                    None => problems.push(format!("{key}: expected a list of strings or numbers")),
                }
            }
            other => match scalar(other) {
                Some(s) => out.insert(key, Answer::Text(s)),
                None => problems.push(format!(
                    "{key}: expected {}, found {}",
                    if value {
                        "a string, number or boolean"
                    } else {
                        "a string or boolean"
                    },
                    other.type_str()
                )),
            },
        }
        path.pop();
    }
}

/// Whether `key` answers with a value of a field's type (a fixed input or a default), which
/// may be written as a TOML number, or a list for a list field.
fn is_value_key(key: &Key) -> bool {
    matches!(
        key.segments().as_slice(),
        ["products", _, "fixed_inputs", _] | ["product_blocks", _, "defaults", _]
    )
}

/// The most characters `products.tag` and `product_blocks.tag` hold.
pub const TAG_LENGTH: usize = 20;
/// The most characters a description holds.
pub const DESCRIPTION_LENGTH: usize = 2000;

/// Checks a description. An empty one is accepted, as orchestrator-core accepts it, so that
/// every row it wrote can be reproduced.
pub fn check_description(s: &str) -> Result<(), String> {
    check_storable(s)?;
    if s.chars().count() > DESCRIPTION_LENGTH {
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
    check_storable(s)?;
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

/// Where a value is stored, for the limits of its column on every backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `fixed_inputs.value`: unbounded on PostgreSQL and SQLite, `TEXT` (65,535 bytes) on
    /// MariaDB.
    FixedInput,
    /// `subscription_instance_values.value`: `varchar(10000)` on PostgreSQL, as
    /// orchestrator-core has it.
    InstanceValue,
}

impl Column {
    /// The column of the value a question's key answers.
    pub fn of(key: &Key) -> Column {
        match key.0.first().map(String::as_str) {
            Some("products") => Column::FixedInput,
            _ => Column::InstanceValue,
        }
    }

    fn check(self, s: &str) -> Result<(), String> {
        match self {
            Column::FixedInput if s.len() > 65_535 => Err(format!(
                "the value has {} bytes; at most 65535 fit on MariaDB",
                s.len()
            )),
            Column::InstanceValue if s.chars().count() > 10_000 => Err(format!(
                "the value has {} characters; at most 10000 fit on PostgreSQL",
                s.chars().count()
            )),
            _ => Ok(()),
        }
    }
}

/// Checks that every backend can store `s`: PostgreSQL refuses the NUL character in text. A
/// generated migration must apply on all three, so this is checked when generating.
pub fn check_storable(s: &str) -> Result<(), String> {
    if s.contains('\0') {
        Err("contains the NUL character (\\0), which PostgreSQL cannot store in text".into())
    } else {
        Ok(())
    }
}

/// Checks a value of a field's type for `value_type`, and that every backend can store it in
/// `column`.
pub fn check_value(
    value_type: Option<&orch_core::ValueType>,
    s: &str,
    column: Column,
) -> Result<(), String> {
    check_storable(s)?;
    column.check(s)?;
    match value_type {
        // the type's own message, the same a bad stored value gives (an enum lists its values)
        Some(vt) => (vt.check)(s).map_err(|e| e.to_string()),
        None => Ok(()),
    }
}

fn text(answer: &Answer) -> Result<&str, String> {
    match answer {
        Answer::Text(t) => Ok(t),
        Answer::Bool(_) => Err("expected a string, found a boolean".to_owned()),
        Answer::List(_) => Err("expected a string, found a list".to_owned()),
        Answer::PerLifecycle(_) => Err("expected a string, found a table".to_owned()),
    }
}

/// Why `key` is about something the models do not have (a product, block, fixed input or
/// resource type, or the new name of a rename), or `None` when they have it.
fn stale(key: &Key, desired: &Catalog) -> Option<String> {
    let no_product = |p: &str| {
        (!desired.products.contains_key(p)).then(|| format!("no registered product is named {p:?}"))
    };
    let no_block = |b: &str| {
        (!desired.blocks.contains_key(b))
            .then(|| format!("no registered product block is named {b:?}"))
    };
    let no_fixed_input = |p: &str, f: &str| {
        no_product(p).or_else(|| {
            (!desired.products[p].fixed_inputs.contains_key(f))
                .then(|| format!("product {p:?} has no fixed input {f:?}"))
        })
    };
    let no_resource_type = |b: &str, r: &str| {
        no_block(b).or_else(|| {
            (!desired.blocks[b].resource_types.contains_key(r))
                .then(|| format!("block {b:?} has no resource type {r:?}"))
        })
    };
    match key.segments().as_slice() {
        ["products", p, "fixed_inputs", f] => no_fixed_input(p, f),
        ["products", p, ..] => no_product(p),
        ["product_blocks", b, "defaults", r] => no_resource_type(b, r),
        ["product_blocks", b, ..] => no_block(b),
        ["resource_types", r] => (!desired.resource_types.contains_key(*r))
            .then(|| format!("no registered block has a resource type {r:?}")),
        ["renames", "fixed_inputs", p, _] => no_product(p),
        ["renames", "resource_types", b, _] => no_block(b),
        _ => None,
    }
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
            check_value(fi.value_type.as_ref(), text(answer)?, Column::FixedInput)
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
            match (rt.cardinality, answer) {
                (Some(Cardinality::List), Answer::List(items)) => items.iter().try_for_each(|i| {
                    check_value(rt.value_type.as_ref(), i, Column::InstanceValue)
                }),
                (Some(Cardinality::List), _) => Err(format!(
                    "{r:?} is a list: give its elements as a list, e.g. [\"a\", \"b\"]"
                )),
                (Some(Cardinality::One), Answer::PerLifecycle(values)) => {
                    values.values().try_for_each(|v| {
                        check_value(rt.value_type.as_ref(), v, Column::InstanceValue)
                    })
                }
                (_, Answer::PerLifecycle(_)) => Err(format!(
                    "{r:?} is optional: a value per lifecycle is for required fields"
                )),
                _ => check_value(rt.value_type.as_ref(), text(answer)?, Column::InstanceValue),
            }
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
            Answer::Bool(true) | Answer::List(_) | Answer::PerLifecycle(_) => {
                Err("expected the new name, or false".into())
            }
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
            Answer::Bool(true) | Answer::List(_) | Answer::PerLifecycle(_) => {
                Err("expected the new name, or false".into())
            }
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
        | ["confirm", "unlink_resource_types", _, _]
        | ["confirm", "delete_every_product"] => match answer {
            Answer::Bool(_) => Ok(()),
            _ => Err("expected true or false".into()),
        },
        _ => Err("unknown key: see the answers file format in the README".into()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tests::ports;

    /// The ports catalogue with a list resource type `tags` on `PortBlock`.
    fn with_tags() -> Catalog {
        ports()
            .block("PortBlock", &["alias", "mtu", "tags"], &[])
            .list_rt("PortBlock", "tags")
            .build()
    }

    fn problems(text: &str) -> Vec<String> {
        let desired = with_tags();
        match Answers::parse(text, "answers.toml", &desired) {
            Ok(a) => panic!("expected problems, parsed {a:?}"),
            Err(e) => e.problems,
        }
    }

    #[test]
    fn numbers_answer_values_only() {
        assert_eq!(
            problems("[products.\"port 10G\"]\ntag = 5\n"),
            [r#"products."port 10G".tag: expected a string or boolean, found integer"#]
        );
        assert_eq!(
            problems("[resource_types]\nalias = 1.5\n"),
            ["resource_types.alias: expected a string or boolean, found float"]
        );
        let desired = ports().build();
        let a = Answers::parse(
            "[product_blocks.PortBlock.defaults]\nmtu = 1500\n",
            "answers.toml",
            &desired,
        )
        .unwrap();
        assert_eq!(
            a.get(&Key::new([
                "product_blocks",
                "PortBlock",
                "defaults",
                "mtu"
            ])),
            Some(&Answer::Text("1500".into()))
        );
    }

    #[test]
    fn values_every_backend_cannot_store_are_refused() {
        let nul = problems("[product_blocks.PortBlock.defaults]\nmtu = \"15\\u0000\"\n");
        assert!(nul[0].contains("NUL"), "{nul:?}");
        let long = format!(
            "[products.\"port 10G\".fixed_inputs]\nspeed = \"{}\"\n",
            "x".repeat(70_000)
        );
        let long = problems(&long);
        assert_eq!(
            long,
            [
                r#"products."port 10G".fixed_inputs.speed: the value has 70000 bytes; at most 65535 fit on MariaDB"#
            ]
        );
        let long = format!(
            "[product_blocks.PortBlock.defaults]\nalias = \"{}\"\n",
            "é".repeat(10_001)
        );
        assert_eq!(
            problems(&long),
            [
                "product_blocks.PortBlock.defaults.alias: the value has 10001 characters; at most 10000 fit on PostgreSQL"
            ]
        );
        let tag = problems("[product_blocks.PortBlock]\ntag = \"P\\u0000\"\n");
        assert!(tag[0].contains("NUL"), "{tag:?}");
    }

    #[test]
    fn lists_answer_list_fields_only() {
        let desired = with_tags();
        let a = Answers::parse(
            "[product_blocks.PortBlock.defaults]\ntags = [\"b\", \"a\", 3]\n",
            "answers.toml",
            &desired,
        )
        .unwrap();
        assert_eq!(
            a.get(&Key::new([
                "product_blocks",
                "PortBlock",
                "defaults",
                "tags"
            ])),
            Some(&Answer::List(vec!["b".into(), "a".into(), "3".into()]))
        );
        let p = problems("[product_blocks.PortBlock.defaults]\ntags = \"b\"\n");
        assert!(p[0].contains("is a list"), "{p:?}");
        let p = problems("[product_blocks.PortBlock.defaults]\nmtu = [\"1\"]\n");
        assert!(p[0].contains("found a list"), "{p:?}");
        let p = problems("[products.\"port 10G\"]\ndescription = [\"x\"]\n");
        assert!(p[0].contains("found array"), "{p:?}");
    }

    #[test]
    fn answers_about_what_the_models_no_longer_have_are_ignored() {
        let desired = ports().build();
        let a = Answers::parse(
            "[products.\"port 40G\"]\ntag = \"P40\"\n\
             [product_blocks.OldBlock]\ndescription = \"gone\"\n\
             [product_blocks.PortBlock.defaults]\nold_rt = \"x\"\n\
             [resource_types]\nold_rt = \"gone\"\n\
             [renames.resource_types.OldBlock]\nx = \"y\"\n\
             [products.\"port 10G\"]\ndescription = \"\"\n",
            "answers.toml",
            &desired,
        )
        .unwrap();
        assert_eq!(a.ignored.len(), 5, "{:?}", a.ignored);
        assert!(a.ignored[0].contains("ignored, "), "{:?}", a.ignored);
        assert_eq!(a.iter().count(), 1, "the empty description is kept");
    }

    /// Saving merges over the file and prunes what the models no longer have or would refuse:
    /// the saved file reads back on the same models with nothing ignored and nothing refused.
    #[test]
    fn saved_answers_are_pruned_and_read_back_clean() {
        let desired = ports().build();
        let base = "[products.\"port 40G\"]\ntag = \"P40\"\n\
                    [product_blocks.OldBlock]\ndescription = \"gone\"\n\
                    [product_blocks.PortBlock.defaults]\nold_rt = \"x\"\n\
                    [products.\"port 10G\"]\ndescription = \"kept\"\ntag = 5\n\
                    [confirm]\nnot_a_question = true\n";
        let mut given = Answers::default();
        given.insert(
            Key::new(["products", "port 10G", "tag"]),
            Answer::Text("P10".into()),
        );
        let saved = given.to_toml(Some(base), &desired);
        let back = Answers::parse(&saved, "answers.toml", &desired).unwrap();
        assert!(back.ignored.is_empty(), "{saved}\n{:?}", back.ignored);
        let kept: Vec<String> = back.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(
            kept,
            [
                "products.\"port 10G\".description",
                "products.\"port 10G\".tag"
            ],
            "{saved}"
        );
        assert!(
            !saved.contains("OldBlock") && !saved.contains("confirm"),
            "{saved}"
        );
    }

    #[test]
    fn wrong_kinds_of_answers() {
        assert_eq!(
            problems("[confirm]\ndelete_products = { x = \"yes\" }\n"),
            ["confirm.delete_products.x: expected true or false"]
        );
        assert_eq!(
            problems("[renames.resource_types.PortBlock]\nalias = true\n"),
            ["renames.resource_types.PortBlock.alias: expected the new name, or false"]
        );
        assert_eq!(
            problems("[products.\"port 10G\"]\nstatus = \"bogus\"\n").len(),
            1
        );
        assert_eq!(
            problems("[products.\"port 10G\"]\ntag = \" \"\n"),
            [r#"products."port 10G".tag: the tag is empty"#]
        );
    }
}
