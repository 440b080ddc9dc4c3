//! The questions `generate` asks about what the models don't say, and the ways to answer them.
//!
//! Questions come in two rounds: first possible renames (their answers change the diff), then
//! descriptions, tags, fixed-input values, default values for existing instances and
//! confirmations of destructive changes. Each has a stable [`Key`], which is also its place in
//! the answers file. A [`Prompter`] answers them: the answers file ([`FilePrompter`]), a person
//! at a terminal ([`TtyPrompter`]), or nobody ([`Unattended`], which leaves them unanswered so
//! that `generate` can list every open question at once).

use std::collections::BTreeSet;

use orch_core::{Cardinality, ProductLifecycle, ValueKind, ValueType};

use crate::answers::{self, Answer, Answers, Column, Key};
use crate::catalog::Catalog;
use crate::diff::{Changes, RenameCandidate, RenameKind, Renames};
use crate::plan::{Backfills, confirmation, values_deleted_with};

/// One question.
#[derive(Debug, Clone)]
pub struct Question {
    /// Where the answer goes in the answers file.
    pub key: Key,
    /// The question, for a person.
    pub text: String,
    /// What kind of answer it takes.
    pub kind: Kind,
}

/// The kind of answer a question takes.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A description (non-empty, at most 2000 characters).
    Description,
    /// A tag (non-empty, at most 20 characters).
    Tag,
    /// A value of a field's type.
    Value(ValueType),
    /// A value of an optional field's type, for existing instances. Optional: without one they
    /// stay without a value.
    OptionalValue(ValueType),
    /// The elements of a list field's value, for existing instances. Optional: without them
    /// the lists stay empty.
    Values(ValueType),
    /// One of the new names, or `false` for "not a rename".
    Rename(Vec<String>),
    /// `true` to accept a change that deletes data.
    Confirm,
    /// The lifecycle of a new product. Optional: only an answers file gives one (a terminal is
    /// not asked), and a new product is `active` without.
    Status,
}

impl Question {
    /// Checks an answer the way the answers file is checked.
    pub fn check(&self, answer: &Answer) -> Result<(), String> {
        match (&self.kind, answer) {
            (Kind::Description, Answer::Text(t)) => answers::check_description(t),
            (Kind::Tag, Answer::Text(t)) => answers::check_tag(t),
            (Kind::Value(vt) | Kind::OptionalValue(vt), Answer::Text(t)) => {
                answers::check_value(Some(vt), t, Column::of(&self.key))
            }
            (Kind::Value(vt), Answer::PerLifecycle(values)) => values
                .values()
                .try_for_each(|t| answers::check_value(Some(vt), t, Column::InstanceValue)),
            (Kind::Values(vt), Answer::List(items)) => items
                .iter()
                .try_for_each(|t| answers::check_value(Some(vt), t, Column::InstanceValue)),
            (Kind::Rename(options), Answer::Text(t)) if options.contains(t) => Ok(()),
            (Kind::Rename(options), Answer::Text(t)) => {
                Err(format!("{t:?} is not one of {}", options.join(", ")))
            }
            (Kind::Rename(_), Answer::Bool(false)) => Ok(()),
            (Kind::Confirm, Answer::Bool(_)) => Ok(()),
            (Kind::Status, Answer::Text(t)) => t
                .parse::<ProductLifecycle>()
                .map(|_| ())
                .map_err(|e| e.to_string()),
            _ => Err("wrong kind of answer".into()),
        }
    }
}

/// The rename questions for `candidates`.
pub fn rename_questions(candidates: &[RenameCandidate], actual: &Catalog) -> Vec<Question> {
    candidates
        .iter()
        .map(|c| {
            let (section, what, count) = match c.kind {
                RenameKind::FixedInput => ("fixed_inputs", "fixed input", String::new()),
                RenameKind::ResourceType => {
                    let values = actual.blocks[&c.owner].resource_types[&c.old].values;
                    (
                        "resource_types",
                        "resource type",
                        format!(" ({values} stored value(s))"),
                    )
                }
            };
            let owner_kind = match c.kind {
                RenameKind::FixedInput => "Product",
                RenameKind::ResourceType => "Block",
            };
            Question {
                key: Key::new(["renames", section, &c.owner, &c.old]),
                text: format!(
                    "{owner_kind} {:?} no longer has {what} {:?}{count} and has new {}. Was {:?} renamed?",
                    c.owner,
                    c.old,
                    c.new
                        .iter()
                        .map(|n| format!("{n:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    c.old
                ),
                kind: Kind::Rename(c.new.clone()),
            }
        })
        .collect()
}

/// Applies rename answers (`renames.*`) to `renames`.
pub fn apply_rename_answers(renames: &mut Renames, answers: &Answers) {
    for (key, answer) in answers.iter() {
        let segs: Vec<&str> = key.0.iter().map(String::as_str).collect();
        let (section, owner, old) = match segs.as_slice() {
            ["renames", section, owner, old] => (*section, *owner, *old),
            _ => continue,
        };
        match answer {
            Answer::Text(new) => {
                let map = match section {
                    "fixed_inputs" => &mut renames.fixed_inputs,
                    "resource_types" => &mut renames.resource_types,
                    _ => continue,
                };
                map.entry(owner.to_owned())
                    .or_default()
                    .insert(old.to_owned(), new.clone());
            }
            Answer::Bool(_) | Answer::List(_) | Answer::PerLifecycle(_) => {
                // not a rename: remember, so the pair is not asked again
                renames.rejected.insert((owner.to_owned(), old.to_owned()));
            }
        }
    }
}

/// The questions that need no answer: the status of each new product, `active` unless an
/// answers file says otherwise; and a value for the optional and list fields that existing
/// instances get, which they are left without unless one is given.
pub fn optional_questions(
    changes: &Changes,
    fills: &Backfills,
    desired: &Catalog,
    actual: &Catalog,
) -> Vec<Question> {
    let mut out: Vec<Question> = changes
        .create_products
        .iter()
        .map(|p| Question {
            key: Key::new(["products", p, "status"]),
            text: format!("Status of new product {p:?} (active by default)"),
            kind: Kind::Status,
        })
        .collect();
    for (b, r) in &fills.optional_values {
        let field = &desired.blocks[b].resource_types[r];
        let vt = field
            .value_type
            .expect("resource types of the models have a type");
        let instances = actual.blocks.get(b).map_or(0, |a| a.instances);
        let (kind, what) = if field.cardinality == Some(Cardinality::List) {
            (Kind::Values(vt), "elements of list")
        } else {
            (Kind::OptionalValue(vt), "value of optional")
        };
        out.push(Question {
            key: Key::new(["product_blocks", b, "defaults", r]),
            text: format!(
                "The {what} {r:?} for existing instances of block {b:?} ({instances} now, plus those this migration creates; {}); empty leaves them without",
                describe_type(&vt)
            ),
            kind,
        });
    }
    out
}

/// Every question the changes raise, in the order orchestrator-core asks them.
pub fn questions(
    changes: &Changes,
    fills: &Backfills,
    desired: &Catalog,
    actual: &Catalog,
) -> Vec<Question> {
    let mut out = Vec::new();
    for p in &changes.create_products {
        let ty = &desired.products[p].product_type;
        out.push(Question {
            key: Key::new(["products", p, "description"]),
            text: format!("Description of new product {p:?} (type {ty})"),
            kind: Kind::Description,
        });
        out.push(Question {
            key: Key::new(["products", p, "tag"]),
            text: format!("Tag of new product {p:?} (at most 20 characters)"),
            kind: Kind::Tag,
        });
    }
    for (p, fi) in &changes.create_fixed_inputs {
        let f = &desired.products[p].fixed_inputs[fi];
        let vt = f
            .value_type
            .expect("fixed inputs of the models have a type");
        out.push(Question {
            key: Key::new(["products", p, "fixed_inputs", fi]),
            text: format!(
                "Value of fixed input {fi:?} for product {p:?} ({})",
                describe_type(&vt)
            ),
            kind: Kind::Value(vt),
        });
    }
    for b in &changes.create_blocks {
        out.push(Question {
            key: Key::new(["product_blocks", b, "description"]),
            text: format!("Description of new product block {b:?}"),
            kind: Kind::Description,
        });
        out.push(Question {
            key: Key::new(["product_blocks", b, "tag"]),
            text: format!("Tag of new product block {b:?} (at most 20 characters)"),
            kind: Kind::Tag,
        });
    }
    for r in &changes.create_resource_types {
        out.push(Question {
            key: Key::new(["resource_types", r]),
            text: format!("Description of new resource type {r:?}"),
            kind: Kind::Description,
        });
    }
    for (b, r) in &fills.values {
        let vt = desired.blocks[b].resource_types[r]
            .value_type
            .expect("resource types of the models have a type");
        let instances = actual.blocks.get(b).map_or(0, |a| a.instances);
        let lifecycles = match requiring(desired.blocks[b].resource_types[r].required_from) {
            Some(l) => format!(
                "of {} subscriptions, which require it (in the answers file, a table gives one \
                 per lifecycle instead)",
                l.iter()
                    .map(|l| l.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            None => "of every subscription".to_owned(),
        };
        out.push(Question {
            key: Key::new(["product_blocks", b, "defaults", r]),
            text: format!(
                "Value of {r:?} for existing instances of block {b:?} {lifecycles} ({instances} instances now, plus those this migration creates; {})",
                describe_type(&vt)
            ),
            kind: Kind::Value(vt),
        });
    }
    let mut confirm = |key: Key, text: String| {
        out.push(Question {
            key,
            text,
            kind: Kind::Confirm,
        });
    };
    if desired.products.is_empty() && !changes.delete_products.is_empty() {
        confirm(
            crate::plan::every_product_key(),
            format!(
                "No product is registered, so every product ({}) would be deleted. Is that what you want? \
                 (If not: the binary does not link the crate with `register_products!`, or the macro is missing.)",
                changes.delete_products.len()
            ),
        );
    }
    for p in &changes.delete_products {
        let a = &actual.products[p];
        if a.subscriptions > 0 {
            let blocks: BTreeSet<&String> = a.blocks.iter().collect();
            confirm(
                confirmation("delete_products", &[p]),
                format!(
                    "Delete product {p:?} and its {} subscription(s) with all their instances and values (root blocks: {})? Down cannot restore them.",
                    a.subscriptions,
                    blocks.into_iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
    for b in &changes.delete_blocks {
        let a = &actual.blocks[b];
        if a.instances > 0 {
            let values: u64 = a.resource_types.values().map(|r| r.values).sum();
            confirm(
                confirmation("delete_product_blocks", &[b]),
                format!(
                    "Delete product block {b:?} and its {} instance(s) with {values} value(s)? Down cannot restore them.",
                    a.instances
                ),
            );
        }
    }
    for r in &changes.delete_resource_types {
        let values = values_deleted_with(r, changes, actual);
        if values > 0 {
            confirm(
                confirmation("delete_resource_types", &[r]),
                format!(
                    "Delete resource type {r:?} and its {values} value(s)? Down cannot restore them."
                ),
            );
        }
    }
    for (b, r) in &changes.unlink_resource_types {
        let values = actual.blocks[b].resource_types[r].values;
        if values > 0 && !changes.delete_resource_types.contains(r) {
            confirm(
                confirmation("unlink_resource_types", &[b, r]),
                format!(
                    "Remove resource type {r:?} from block {b:?} and delete its {values} value(s) there? Down cannot restore them."
                ),
            );
        }
    }
    out
}

fn describe_type(vt: &ValueType) -> String {
    match vt.kind {
        ValueKind::Enum | ValueKind::Bool => {
            format!("{}: one of {}", vt.name, vt.choices.join(", "))
        }
        _ => vt.name.to_owned(),
    }
}

/// Answers questions.
pub trait Prompter {
    /// The answer to `q`, or `None` when this prompter has none.
    fn ask(&mut self, q: &Question) -> anyhow::Result<Option<Answer>>;
}

impl<P: Prompter + ?Sized> Prompter for &mut P {
    fn ask(&mut self, q: &Question) -> anyhow::Result<Option<Answer>> {
        (**self).ask(q)
    }
}

/// Answers from an answers file.
#[derive(Debug, Default)]
pub struct FilePrompter {
    /// The answers read (and checked) from the file.
    pub answers: Answers,
}

impl Prompter for FilePrompter {
    fn ask(&mut self, q: &Question) -> anyhow::Result<Option<Answer>> {
        Ok(self.answers.get(&q.key).cloned())
    }
}

/// Answers nothing: without a terminal and without a file, every question stays open.
#[derive(Debug, Default)]
pub struct Unattended;

impl Prompter for Unattended {
    fn ask(&mut self, _: &Question) -> anyhow::Result<Option<Answer>> {
        Ok(None)
    }
}

/// Tries `first`, then `second`.
pub struct Chain<A, B>(pub A, pub B);

impl<A: Prompter, B: Prompter> Prompter for Chain<A, B> {
    fn ask(&mut self, q: &Question) -> anyhow::Result<Option<Answer>> {
        match self.0.ask(q)? {
            Some(a) => Ok(Some(a)),
            None => self.1.ask(q),
        }
    }
}

/// Asks a person at the terminal, checking each answer as the answers file is checked.
#[derive(Debug, Default)]
pub struct TtyPrompter {
    /// What the person answered, to offer saving it.
    pub given: Answers,
}

impl Prompter for TtyPrompter {
    fn ask(&mut self, q: &Question) -> anyhow::Result<Option<Answer>> {
        use dialoguer::{Confirm, Input, Select};
        // asked once: a migration worked out again after one answer changed keeps the others
        if let Some(a) = self.given.get(&q.key) {
            return Ok(Some(a.clone()));
        }
        let theme = dialoguer::theme::SimpleTheme;
        let answer = match &q.kind {
            // optional, and orchestrator-core never asks it: `active` unless a file says
            Kind::Status => return Ok(None),
            Kind::Confirm => Answer::Bool(
                Confirm::with_theme(&theme)
                    .with_prompt(&q.text)
                    .default(false)
                    .interact()?,
            ),
            Kind::Rename(options) => {
                let mut items: Vec<String> = options
                    .iter()
                    .map(|o| format!("renamed to {o:?}"))
                    .collect();
                items.push("not renamed: remove it (and its values)".into());
                let i = Select::with_theme(&theme)
                    .with_prompt(&q.text)
                    .items(&items)
                    .default(0)
                    .interact()?;
                match options.get(i) {
                    Some(o) => Answer::Text(o.clone()),
                    None => Answer::Bool(false),
                }
            }
            Kind::OptionalValue(_) => {
                let q2 = q.clone();
                let text: String = Input::with_theme(&theme)
                    .with_prompt(&q.text)
                    .allow_empty(true)
                    .validate_with(move |s: &String| {
                        if s.is_empty() {
                            Ok(())
                        } else {
                            q2.check(&Answer::Text(s.clone()))
                        }
                    })
                    .interact_text()?;
                if text.is_empty() {
                    return Ok(None);
                }
                Answer::Text(text)
            }
            Kind::Values(vt) => {
                eprintln!(
                    "{} One element per line, an empty line ends the list.",
                    q.text
                );
                let mut items = Vec::new();
                loop {
                    let vt = *vt;
                    let item: String = Input::with_theme(&theme)
                        .with_prompt(format!("element {}", items.len() + 1))
                        .allow_empty(true)
                        .validate_with(move |s: &String| {
                            if s.is_empty() {
                                Ok(())
                            } else {
                                answers::check_value(Some(&vt), s, Column::InstanceValue)
                            }
                        })
                        .interact_text()?;
                    if item.is_empty() {
                        break;
                    }
                    items.push(item);
                }
                if items.is_empty() {
                    return Ok(None);
                }
                Answer::List(items)
            }
            Kind::Value(vt) if !vt.choices.is_empty() => {
                let i = Select::with_theme(&theme)
                    .with_prompt(&q.text)
                    .items(vt.choices)
                    .default(0)
                    .interact()?;
                Answer::Text(vt.choices[i].to_owned())
            }
            _ => {
                let q2 = q.clone();
                let text: String = Input::with_theme(&theme)
                    .with_prompt(&q.text)
                    .allow_empty(true)
                    .validate_with(move |s: &String| {
                        if s.is_empty() {
                            Err("this question needs an answer: type one and press Enter".into())
                        } else {
                            q2.check(&Answer::Text(s.clone()))
                        }
                    })
                    .interact_text()?;
                Answer::Text(text)
            }
        };
        self.given.insert(q.key.clone(), answer.clone());
        Ok(Some(answer))
    }
}

/// `text` as TOML comment lines: one `#` line per line of text, with control characters
/// (which a TOML comment may not hold) written as escapes.
fn comment(text: &str) -> String {
    let mut out = String::new();
    for line in text.split(['\n', '\r']) {
        out.push_str("# ");
        for c in line.chars() {
            if c.is_control() && c != '\t' {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        out.push('\n');
    }
    out
}

/// The lifecycles that require a field required from `from`, or `None` when every lifecycle
/// does (a field without `#[required_from]`, or one the database describes).
pub fn requiring(
    from: Option<orch_core::SubscriptionLifecycle>,
) -> Option<Vec<orch_core::SubscriptionLifecycle>> {
    use orch_core::SubscriptionLifecycle;
    match from {
        None | Some(SubscriptionLifecycle::Initial) => None,
        Some(from) => Some(
            [
                SubscriptionLifecycle::Initial,
                SubscriptionLifecycle::Provisioning,
                SubscriptionLifecycle::Active,
                SubscriptionLifecycle::Terminated,
                SubscriptionLifecycle::Migrating,
                SubscriptionLifecycle::Disabled,
            ]
            .into_iter()
            .filter(|l| l.requires(from))
            .collect(),
        ),
    }
}

/// A template answers file for `questions`, with each question as a comment and an empty or
/// `false` value to fill in; `app` is the binary that reads it.
pub fn template(questions: &[Question], app: &str) -> String {
    let mut out = format!(
        "# Answers for `{app} generate`: fill in every value, then run\n\
         # `{app} generate --answers <this file> \"<message>\"`.\n",
    );
    let mut current: Option<Vec<String>> = None;
    for q in questions {
        let (last, table) = q.key.0.split_last().expect("keys are never empty");
        if current.as_deref() != Some(table) {
            let header = Key(table.to_vec());
            out.push_str(&format!("\n[{header}]\n"));
            current = Some(table.to_vec());
        }
        out.push_str(&comment(&q.text));
        let placeholder = match &q.kind {
            Kind::Confirm => {
                out.push_str("# set to true to accept\n");
                "false".to_owned()
            }
            Kind::Rename(options) => {
                out.push_str(&comment(&format!(
                    "the new name ({}), or false if it is not a rename",
                    options
                        .iter()
                        .map(|o| answers::toml_key(o))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )));
                "false".to_owned()
            }
            _ => "\"\"".to_owned(),
        };
        out.push_str(&format!("{} = {placeholder}\n", answers::toml_key(last)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names with quotes, brackets, dots, newlines and control characters still make a template
    /// TOML reads, with every question's key where the answers file expects it.
    #[test]
    fn the_template_is_valid_toml_for_any_name() {
        let names = [
            "plain",
            "with \"quotes\" and 'single'",
            "a.dotted]name[",
            "two\nlines\rand\u{7}bell",
            "ünï 🦀 # not a comment",
        ];
        let mut qs = Vec::new();
        for n in names {
            qs.push(Question {
                key: Key::new(["products", n, "description"]),
                text: format!("Description of new product {n:?}\n(second line)"),
                kind: Kind::Description,
            });
            qs.push(Question {
                key: Key::new(["renames", "resource_types", n, "old"]),
                text: format!("Was {n} renamed?"),
                kind: Kind::Rename(vec![n.to_owned(), "other\nname".into()]),
            });
        }
        let text = template(&qs, "my-migrate");
        assert!(text.starts_with("# Answers for `my-migrate generate`"));
        let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
        for n in names {
            assert_eq!(
                table["products"][n]["description"].as_str(),
                Some(""),
                "{text}"
            );
            assert_eq!(
                table["renames"]["resource_types"][n]["old"].as_bool(),
                Some(false)
            );
        }
    }
}
