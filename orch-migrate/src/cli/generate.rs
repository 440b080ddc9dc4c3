//! `generate`: asks what the models don't say, shows the migration (its changes, steps and,
//! with `--sql`, statements) before anything is written, and at a terminal lets the person
//! write it, change an answer and see it again, or stop; then offers to save the answers.
//! `--dry-run` shows and writes nothing.

use std::path::{Path, PathBuf};

use orch_core::SUBSCRIPTION_MODEL_REGISTRY;
use orch_core::migration::sql::statements;

use super::Ctx;
use crate::answers::{Answers, Key};
use crate::catalog::Catalog;
use crate::generate::{self, Draft};
use crate::questions::{Chain, FilePrompter, TtyPrompter, Unattended};

/// What `generate` was asked.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// What the migration does; its slug names the module.
    pub(super) message: String,
    /// Answers file (TOML) with descriptions, tags, values, renames and confirmations.
    #[arg(long, value_name = "FILE")]
    pub(super) answers: Option<PathBuf>,
    /// When questions are left open, write a template answers file with all of them here.
    #[arg(long, value_name = "FILE")]
    pub(super) write_template: Option<PathBuf>,
    /// Never prompt, even on a terminal.
    #[arg(long)]
    pub(super) no_input: bool,
    /// Name the module after this UTC time (YYYYMMDDHHMMSS) instead of now.
    #[arg(long, value_name = "TIME", hide = true)]
    pub(super) timestamp: Option<String>,
    /// Show the migration (its changes and steps) and write nothing.
    #[arg(long)]
    pub(super) dry_run: bool,
    /// Show each step's SQL on this database's backend too.
    #[arg(long)]
    pub(super) sql: bool,
}

/// What the person chose after seeing the migration.
enum Review {
    Write,
    Change(Key),
    Stop,
}

/// Runs `generate`.
pub(super) async fn run(ctx: &Ctx<'_>, args: Args) -> anyhow::Result<u8> {
    let registry = SUBSCRIPTION_MODEL_REGISTRY.get()?;
    let now = match &args.timestamp {
        Some(t) => chrono::NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S")
            .map_err(|e| anyhow::anyhow!("--timestamp {t:?}: {e}; expected YYYYMMDDHHMMSS"))?
            .and_utc(),
        None => chrono::Utc::now(),
    };
    let desired = Catalog::from_registry(registry);
    let file_answers = match &args.answers {
        Some(path) => generate::read_answers(path, &desired)?,
        None => Answers::default(),
    };
    for line in &file_answers.ignored {
        eprintln!("warning: {line}");
    }
    let interactive =
        !args.no_input && console::Term::stderr().is_term() && console::Term::stdout().is_term();
    let mut file = FilePrompter {
        answers: file_answers,
    };
    let mut tty = TtyPrompter::default();
    let options = generate::Options {
        message: &args.message,
        now,
        migrations_dir: Path::new(ctx.app.migrations_dir),
        app: ctx.app.name,
        write_template: args.write_template.as_deref(),
    };
    let draft = loop {
        let draft = if interactive {
            let mut chain = Chain(&mut file, &mut tty);
            generate::draft(ctx.conn, ctx.migrator, registry, &options, &mut chain).await?
        } else {
            let mut chain = Chain(&mut file, Unattended);
            generate::draft(ctx.conn, ctx.migrator, registry, &options, &mut chain).await?
        };
        let Some(draft) = draft else {
            println!("Nothing to do");
            return Ok(0);
        };
        show(ctx, &draft, args.sql);
        if args.dry_run {
            println!(
                "Dry run: {}.rs was not written",
                Path::new(ctx.app.migrations_dir)
                    .join(&draft.rendered.module)
                    .display()
            );
            return Ok(0);
        }
        if !interactive {
            break draft;
        }
        match review(&file.answers, &tty.given)? {
            Review::Write => break draft,
            Review::Change(key) => {
                // asked again at the terminal, whether the file or the person answered it
                file.answers.remove(&key);
                tty.given.remove(&key);
            }
            Review::Stop => anyhow::bail!("stopped: nothing was written"),
        }
    };
    let outcome = generate::write(draft, &options)?;
    if let generate::Outcome::Written {
        path, plan, note, ..
    } = outcome
    {
        println!(
            "Wrote {} ({} upgrade step(s), {} downgrade step(s)). Review it, then run `{} up`.",
            path.display(),
            plan.up.len(),
            plan.down.len(),
            ctx.app.name
        );
        if let Some(note) = note {
            eprintln!("note: {note}");
        }
    }
    if interactive && tty.given.iter().next().is_some() {
        let path = args
            .answers
            .clone()
            .unwrap_or_else(|| default_answers_file(Path::new(ctx.app.migrations_dir)));
        offer_to_save(&path, &tty.given, &desired, args.answers.is_none())?;
    }
    Ok(0)
}

/// Prints what the migration changes, its steps (and their SQL on this database's backend),
/// and what `down` cannot restore, on stderr: stdout stays the result.
fn show(ctx: &Ctx<'_>, draft: &Draft, sql: bool) {
    let backend = ctx.conn.get_database_backend();
    eprintln!("The migration {}:", draft.rendered.module);
    eprint!("{}", generate::summary(&draft.changes));
    for (what, ops) in [("Upgrade", &draft.plan.up), ("Downgrade", &draft.plan.down)] {
        eprintln!("{what}, {} step(s):", ops.len());
        for (i, op) in ops.iter().enumerate() {
            eprintln!("  {:>3}. {op}", i + 1);
            if sql {
                for s in statements(op, backend) {
                    eprintln!("         {};", s.to_sql(backend));
                }
            }
        }
    }
    for line in &draft.plan.data_loss {
        eprintln!("warning: {line}");
    }
}

/// Asks what to do with the migration shown: write it, change an answer, or stop.
fn review(file: &Answers, given: &Answers) -> anyhow::Result<Review> {
    use dialoguer::Select;
    let theme = dialoguer::theme::SimpleTheme;
    let answered: Vec<(&Key, String)> = file
        .iter()
        .chain(given.iter())
        .map(|(k, a)| (k, format!("{k} = {}", a.to_toml())))
        .collect();
    let mut items = vec!["write the migration"];
    if !answered.is_empty() {
        items.push("change an answer");
    }
    items.push("stop without writing");
    let choice = Select::with_theme(&theme)
        .with_prompt("Write this migration?")
        .items(&items)
        .default(0)
        .interact()?;
    match items[choice] {
        "write the migration" => Ok(Review::Write),
        "change an answer" => {
            let labels: Vec<&str> = answered.iter().map(|(_, l)| l.as_str()).collect();
            let i = Select::with_theme(&theme)
                .with_prompt("Which answer?")
                .items(&labels)
                .default(0)
                .interact()?;
            Ok(Review::Change(answered[i].0.clone()))
        }
        _ => Ok(Review::Stop),
    }
}

/// Where answers given at the terminal are saved when no `--answers` file was named: beside
/// the migrations directory, which it belongs with.
fn default_answers_file(migrations_dir: &Path) -> PathBuf {
    migrations_dir
        .parent()
        .map_or_else(|| PathBuf::from("answers.toml"), |p| p.join("answers.toml"))
}

/// Offers to save what was answered at the terminal, merged into `path`.
fn offer_to_save(
    path: &Path,
    given: &Answers,
    desired: &Catalog,
    new_file: bool,
) -> anyhow::Result<()> {
    let save = dialoguer::Confirm::new()
        .with_prompt(format!(
            "Save your answers to {}, to generate again without questions?",
            path.display()
        ))
        .default(true)
        .interact()?;
    if save {
        generate::save_answers(path, given, desired)?;
        eprintln!("Saved answers to {}", path.display());
        if new_file {
            eprintln!("Pass it next time: generate --answers {}", path.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_saved_beside_the_migrations_directory() {
        assert_eq!(
            default_answers_file(Path::new("/app/src/migrations")),
            Path::new("/app/src/answers.toml")
        );
        assert_eq!(
            default_answers_file(Path::new("migrations")),
            Path::new("answers.toml")
        );
    }
}
