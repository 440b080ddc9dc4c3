//! `generate`: asks what the models don't say, writes a migration module, offers to save the
//! answers.

use std::path::Path;

use orch_core::SUBSCRIPTION_MODEL_REGISTRY;

use super::Ctx;
use crate::catalog::Catalog;
use crate::generate;
use crate::questions::{Chain, FilePrompter, TtyPrompter, Unattended};

/// What `generate` was asked.
pub(super) struct Args {
    pub(super) message: String,
    pub(super) answers: Option<std::path::PathBuf>,
    pub(super) write_template: Option<std::path::PathBuf>,
    pub(super) no_input: bool,
    pub(super) timestamp: Option<String>,
}

/// Runs `generate`.
pub(super) async fn run(ctx: &Ctx<'_>, args: Args) -> anyhow::Result<u8> {
    let Args {
        message,
        answers,
        write_template,
        no_input,
        timestamp,
    } = args;
    let registry = SUBSCRIPTION_MODEL_REGISTRY.get()?;
    let now = match timestamp {
        Some(t) => chrono::NaiveDateTime::parse_from_str(&t, "%Y%m%d%H%M%S")
            .map_err(|e| anyhow::anyhow!("--timestamp {t:?}: {e}; expected YYYYMMDDHHMMSS"))?
            .and_utc(),
        None => chrono::Utc::now(),
    };
    let desired = Catalog::from_registry(registry);
    let file_answers = match &answers {
        Some(path) => generate::read_answers(path, &desired)?,
        None => Default::default(),
    };
    for line in &file_answers.ignored {
        eprintln!("warning: {line}");
    }
    let interactive =
        !no_input && console::Term::stderr().is_term() && console::Term::stdout().is_term();
    let mut file = FilePrompter {
        answers: file_answers,
    };
    let mut tty = TtyPrompter::default();
    let options = generate::Options {
        message: &message,
        now,
        migrations_dir: Path::new(ctx.app.migrations_dir),
        app: ctx.app.name,
        write_template: write_template.as_deref(),
    };
    let outcome = if interactive {
        let mut chain = Chain(&mut file, &mut tty);
        generate::generate(ctx.conn, ctx.migrator, registry, &options, &mut chain).await
    } else {
        let mut chain = Chain(&mut file, Unattended);
        generate::generate(ctx.conn, ctx.migrator, registry, &options, &mut chain).await
    };
    if interactive && tty.given.iter().next().is_some() {
        offer_to_save(answers.as_deref(), &tty.given)?;
    }
    match outcome? {
        generate::Outcome::NothingToDo => println!("Nothing to do"),
        generate::Outcome::Written {
            path,
            changes,
            plan,
            note,
            ..
        } => {
            eprint!("{}", generate::summary(&changes));
            for line in &plan.data_loss {
                eprintln!("warning: {line}");
            }
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
    }
    Ok(0)
}

/// Offers to save what was answered at the terminal.
fn offer_to_save(
    answers_file: Option<&Path>,
    given: &crate::answers::Answers,
) -> anyhow::Result<()> {
    let default =
        answers_file.map_or_else(|| "answers.toml".to_owned(), |p| p.display().to_string());
    let save = dialoguer::Confirm::new()
        .with_prompt(format!(
            "Save your answers to {default}, to generate again without questions?"
        ))
        .default(true)
        .interact()?;
    if save {
        generate::save_answers(Path::new(&default), given)?;
        eprintln!("Saved answers to {default}");
    }
    Ok(())
}
