//! `generate`: snapshot -> diff -> questions -> plan -> render, and writing the module.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use orch_core::Registry;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTraitSelf;

use crate::answers::Answers;
use crate::catalog::Catalog;
use crate::diff::{self, Changes, Renames};
use crate::migrator::Migrator;
use crate::plan::{self, Plan};
use crate::questions::{self, Prompter, Question};
use crate::snapshot::snapshot;
use crate::{files, render};

/// What `generate` did.
#[derive(Debug)]
pub enum Outcome {
    /// The database already holds what the models say; nothing was written.
    NothingToDo,
    /// A migration module was written.
    Written {
        /// The module's path.
        path: PathBuf,
        /// The module's name.
        module: String,
        /// The changes it makes.
        changes: Box<Changes>,
        /// Its steps.
        plan: Plan,
        /// What the user must do so that the next build lists it, if anything.
        note: Option<String>,
    },
}

/// Questions nobody answered; `generate` writes nothing.
#[derive(Debug, thiserror::Error)]
#[error("{} question(s) need an answer; nothing was written:\n{}{}", questions.len(), questions.iter().map(|q| format!("  - {}: {}", q.key, q.text)).collect::<Vec<_>>().join("\n"), template.as_ref().map(|p| format!("\nA template with every question was written to {}: fill it in and pass it with --answers", p.display())).unwrap_or_else(|| "\nAnswer them in a file passed with --answers (--write-template FILE writes one to fill in), or run on a terminal".into()))]
pub struct Unanswered {
    /// The open questions.
    pub questions: Vec<Question>,
    /// Where the template was written, if asked for.
    pub template: Option<PathBuf>,
}

/// How to generate.
pub struct Options<'a> {
    /// The migration's message; its slug names the module.
    pub message: &'a str,
    /// The time that names the module.
    pub now: DateTime<Utc>,
    /// The app's migrations directory.
    pub migrations_dir: &'a Path,
    /// The app's binary, named in the module's header.
    pub app: &'a str,
    /// Where to write a template of the unanswered questions, if any.
    pub write_template: Option<&'a Path>,
}

/// Checks that the database is exactly at the migrations directory: not behind (a migration
/// is not applied yet) and not ahead (an applied migration is missing from the directory).
pub async fn check_in_step(db: &DatabaseConnection, migrator: &Migrator) -> anyhow::Result<()> {
    let known: Vec<String> = migrator
        .migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    migrator.install(db).await?;
    let applied: Vec<String> = migrator
        .get_migration_models(db)
        .await?
        .into_iter()
        .map(|m| m.version)
        .collect();
    let ahead: Vec<&String> = applied.iter().filter(|a| !known.contains(a)).collect();
    if !ahead.is_empty() {
        anyhow::bail!(
            "the database is ahead of the migrations directory: {} applied but not found here; \
             update your checkout, or roll them back with the code that has them",
            ahead
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let behind: Vec<&String> = known.iter().filter(|k| !applied.contains(k)).collect();
    if !behind.is_empty() {
        anyhow::bail!(
            "the database is behind the migrations directory: {} not applied yet; run `up` first, \
             so that the new migration does not repeat them",
            behind
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// Asks `qs` through `prompter`, recording answers; returns those nobody answered.
fn ask_all(
    qs: &[Question],
    prompter: &mut dyn Prompter,
    answers: &mut Answers,
) -> anyhow::Result<Vec<Question>> {
    let mut open = Vec::new();
    for q in qs {
        if answers.get(&q.key).is_some() {
            continue;
        }
        match prompter.ask(q)? {
            Some(a) => {
                if let Err(e) = q.check(&a) {
                    anyhow::bail!("{}: {e}", q.key);
                }
                answers.insert(q.key.clone(), a);
            }
            None => open.push(q.clone()),
        }
    }
    Ok(open)
}

/// The changes, questions and plan for `desired` against `actual`, asking `prompter`.
/// Pure apart from the prompter; `generate` and the tests share it.
pub fn prepare(
    desired: &Catalog,
    actual: &Catalog,
    prompter: &mut dyn Prompter,
) -> anyhow::Result<Result<(Changes, Plan, Answers), Vec<Question>>> {
    let mut answers = Answers::default();
    let mut renames = Renames::declared(desired, actual);
    let candidates = diff::rename_candidates(desired, actual, &renames);
    let rename_qs = questions::rename_questions(&candidates, actual);
    let mut open = ask_all(&rename_qs, prompter, &mut answers)?;
    questions::apply_rename_answers(&mut renames, &answers);
    let changes = diff::diff(desired, actual, &renames);
    if changes.is_empty() && open.is_empty() {
        return Ok(Ok((changes, Plan::default(), answers)));
    }
    let fills = plan::backfills(&changes, desired, actual, &renames);
    let qs = questions::questions(&changes, &fills, desired, actual);
    open.extend(ask_all(&qs, prompter, &mut answers)?);
    // optional questions are answered when a prompter has an answer, and never left open
    ask_all(
        &questions::optional_questions(&changes, &fills, desired, actual),
        prompter,
        &mut answers,
    )?;
    if !open.is_empty() {
        return Ok(Err(open));
    }
    let plan = plan::plan(&changes, &answers, desired, actual, &renames)?;
    Ok(Ok((changes, plan, answers)))
}

/// A migration worked out but not written yet: what the user reviews before it is written.
#[derive(Debug)]
pub struct Draft {
    /// The changes it makes.
    pub changes: Changes,
    /// Its steps.
    pub plan: Plan,
    /// The module, rendered.
    pub rendered: render::Rendered,
}

/// Works out the migration for `registry` against `db`, asking `prompter`; `None` when the
/// database already holds what the models say. Writes nothing but the template of open
/// questions, when asked for one.
pub async fn draft(
    db: &DatabaseConnection,
    migrator: &Migrator,
    registry: &Registry,
    options: &Options<'_>,
    prompter: &mut dyn Prompter,
) -> anyhow::Result<Option<Draft>> {
    check_in_step(db, migrator).await?;
    let desired = Catalog::from_registry(registry);
    let actual = snapshot(db).await?;
    let (changes, plan) = match prepare(&desired, &actual, prompter)? {
        Ok((changes, _, _)) if changes.is_empty() => return Ok(None),
        Ok((changes, plan, _)) => (changes, plan),
        Err(open) => {
            if let Some(path) = options.write_template {
                std::fs::write(path, questions::template(&open, options.app)).map_err(|e| {
                    anyhow::anyhow!("cannot write template {}: {e}", path.display())
                })?;
            }
            return Err(Unanswered {
                questions: open,
                template: options.write_template.map(Path::to_path_buf),
            }
            .into());
        }
    };
    let rendered = render::migration(&plan, options.message, options.now, options.app);
    Ok(Some(Draft {
        changes,
        plan,
        rendered,
    }))
}

/// Writes `draft` into the migrations directory.
pub fn write(draft: Draft, options: &Options<'_>) -> anyhow::Result<Outcome> {
    let dir = &options
        .migrations_dir
        .canonicalize()
        .unwrap_or_else(|_| options.migrations_dir.to_path_buf());
    let (path, note) = files::write_module(dir, &draft.rendered)?;
    Ok(Outcome::Written {
        path,
        module: draft.rendered.module,
        changes: Box::new(draft.changes),
        plan: draft.plan,
        note,
    })
}

/// Runs `generate` against `db` for `registry`, writing into the migrations directory:
/// [`draft`], then [`write()`].
pub async fn generate(
    db: &DatabaseConnection,
    migrator: &Migrator,
    registry: &Registry,
    options: &Options<'_>,
    prompter: &mut dyn Prompter,
) -> anyhow::Result<Outcome> {
    match draft(db, migrator, registry, options, prompter).await? {
        None => Ok(Outcome::NothingToDo),
        Some(d) => write(d, options),
    }
}

/// A readable list of the changes, for the terminal and for `check`.
pub fn summary(changes: &Changes) -> String {
    let mut out = String::new();
    let mut line = |what: &str, items: Vec<String>| {
        if !items.is_empty() {
            let _ = writeln!(out, "  {what}: {}", items.join(", "));
        }
    };
    let q = |s: &String| format!("{s:?}");
    line(
        "create products",
        changes.create_products.iter().map(q).collect(),
    );
    line(
        "delete products",
        changes.delete_products.iter().map(q).collect(),
    );
    line(
        "change product types",
        changes
            .set_product_types
            .iter()
            .map(|(p, t)| format!("{p:?} -> {t}"))
            .collect(),
    );
    line(
        "create fixed inputs",
        changes
            .create_fixed_inputs
            .iter()
            .map(|(p, f)| format!("{p:?}.{f}"))
            .collect(),
    );
    line(
        "rename fixed inputs",
        changes
            .rename_fixed_inputs
            .iter()
            .map(|(p, a, b)| format!("{p:?}.{a} -> {b}"))
            .collect(),
    );
    line(
        "delete fixed inputs",
        changes
            .delete_fixed_inputs
            .iter()
            .map(|(p, f)| format!("{p:?}.{f}"))
            .collect(),
    );
    line(
        "create product blocks",
        changes.create_blocks.iter().map(q).collect(),
    );
    line(
        "delete product blocks",
        changes.delete_blocks.iter().map(q).collect(),
    );
    line(
        "create resource types",
        changes.create_resource_types.iter().map(q).collect(),
    );
    line(
        "rename resource types",
        changes
            .rename_resource_types
            .iter()
            .map(|(a, b)| format!("{a} -> {b}"))
            .collect(),
    );
    line(
        "replace resource types on a block",
        changes
            .move_resource_types
            .iter()
            .map(|(b, f, t)| format!("{b}: {f} -> {t}"))
            .collect(),
    );
    line(
        "delete resource types",
        changes.delete_resource_types.iter().map(q).collect(),
    );
    line(
        "link root blocks",
        changes
            .link_product_blocks
            .iter()
            .map(|(p, b)| format!("{p:?} -> {b}"))
            .collect(),
    );
    line(
        "unlink root blocks",
        changes
            .unlink_product_blocks
            .iter()
            .map(|(p, b)| format!("{p:?} -> {b}"))
            .collect(),
    );
    line(
        "link blocks",
        changes
            .link_block_relations
            .iter()
            .map(|(p, c, _)| format!("{p} -> {c}"))
            .collect(),
    );
    line(
        "unlink blocks",
        changes
            .unlink_block_relations
            .iter()
            .map(|(p, c)| format!("{p} -> {c}"))
            .collect(),
    );
    line(
        "change relation bounds",
        changes
            .set_relation_bounds
            .iter()
            .map(|(p, c, _, _)| format!("{p} -> {c}"))
            .collect(),
    );
    line(
        "link resource types",
        changes
            .link_resource_types
            .iter()
            .map(|(b, r)| format!("{b}.{r}"))
            .collect(),
    );
    line(
        "unlink resource types",
        changes
            .unlink_resource_types
            .iter()
            .map(|(b, r)| format!("{b}.{r}"))
            .collect(),
    );
    line(
        "create blocks of new fields on existing instances",
        changes
            .add_block_fields
            .iter()
            .map(|(b, f)| format!("{b}.{f}"))
            .collect(),
    );
    line(
        "fill resource types missing on existing instances",
        changes
            .fill_resource_types
            .iter()
            .map(|(b, r)| format!("{b}.{r}"))
            .collect(),
    );
    line(
        "rename block fields",
        changes
            .rename_relation_attributes
            .iter()
            .map(|(b, f, t)| format!("{b}.{f} -> {t}"))
            .collect(),
    );
    out
}

/// Reads and checks an answers file.
pub fn read_answers(path: &Path, desired: &Catalog) -> anyhow::Result<Answers> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read answers file {}: {e}", path.display()))?;
    Ok(Answers::parse(&text, &path.display().to_string(), desired)?)
}

/// Saves `given` into `path`, merged over what the file holds, leaving out what the file says
/// about things `desired` no longer has.
pub fn save_answers(path: &Path, given: &Answers, desired: &Catalog) -> anyhow::Result<()> {
    let base = std::fs::read_to_string(path).ok();
    let text = given.to_toml(base.as_deref(), desired);
    std::fs::write(path, text)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(())
}
