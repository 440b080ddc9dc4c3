//! The `orch-migrate` command line.
//!
//! An app gets the whole CLI over its own products and migrations with a `main` like this one
//! (the `orch-migrate` binary of this workspace is exactly that, over the workshop example):
//!
//! ```ignore
//! use my_products as _; // link the products, or the registry is empty
//!
//! fn main() -> std::process::ExitCode {
//!     orch_migrate::cli::main(orch_migrate::App {
//!         name: "my-app-migrate",
//!         migrations: my_products::migrations::migrations,
//!         migrations_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/src/migrations"),
//!     })
//! }
//! ```

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use orch_core::SUBSCRIPTION_MODEL_REGISTRY;
use orch_core::migration::MigrationList;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTraitSelf;

use crate::catalog::Catalog;
use crate::migrator::Migrator;
use crate::questions::{Chain, FilePrompter, TtyPrompter, Unattended};
use crate::{adopt, apply, check, db, generate, present};

/// What an app hands to the CLI: its migrations and where `generate` writes new ones.
#[derive(Clone, Copy)]
pub struct App {
    /// The binary's name, for `--help`.
    pub name: &'static str,
    /// The app's domain-model migrations (its generated `migrations::migrations`).
    pub migrations: MigrationList,
    /// The directory of the app's migration modules.
    pub migrations_dir: &'static str,
}

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Create the orchestrator database schema and migrate it"
)]
struct Cli {
    /// Database URL: sqlite://FILE, postgres://USER@HOST/DB or mysql://USER@HOST/DB. Also read
    /// from DATABASE_URL and from a .env file.
    #[arg(
        short = 'u',
        long,
        env = "DATABASE_URL",
        global = true,
        default_value = db::DEFAULT_DATABASE_URL,
        hide_env_values = true
    )]
    database_url: String,

    /// Show what sea-orm-migration does, statement by statement.
    #[arg(short, long, global = true)]
    verbose: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compare the registered models with the database and write a migration module for the
    /// difference, asking what the models don't say.
    Generate {
        /// What the migration does; its slug names the module.
        message: String,
        /// Answers file (TOML) with descriptions, tags, values, renames and confirmations.
        #[arg(long, value_name = "FILE")]
        answers: Option<PathBuf>,
        /// When questions are left open, write a template answers file with all of them here.
        #[arg(long, value_name = "FILE")]
        write_template: Option<PathBuf>,
        /// Never prompt, even on a terminal.
        #[arg(long)]
        no_input: bool,
        /// Name the module after this UTC time (YYYYMMDDHHMMSS) instead of now.
        #[arg(long, value_name = "TIME", hide = true)]
        timestamp: Option<String>,
    },
    /// Exit 0 when the models, the migrations directory and the database agree; otherwise
    /// report what differs and exit 2 (migrations to apply, or files the binary lacks), 3 (a
    /// migration to generate) or 4 (no product registered).
    Check {
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Apply pending migrations (all, or the next N).
    Up {
        /// Apply only this many.
        #[arg(short, long)]
        num: Option<u32>,
        /// Print the SQL they would run on this database's backend instead of applying them.
        #[arg(long)]
        sql: bool,
    },
    /// Roll back applied migrations (the last one, or the last N).
    Down {
        /// Roll back this many.
        #[arg(short, long, default_value_t = 1)]
        num: u32,
        /// Print the SQL they would run on this database's backend instead of running them.
        #[arg(long)]
        sql: bool,
    },
    /// List applied and pending migrations.
    Status,
    /// Record a migration as applied without running it (Alembic's `stamp`, Django's
    /// `--fake`), when the database already has what it makes; refused otherwise.
    Stamp {
        /// The migration.
        migration: String,
        /// Record it even though the database does not have what it makes.
        #[arg(long)]
        force: bool,
    },
    /// Remove the record of the newest applied migration without rolling it back: the way back
    /// from `stamp`.
    Unstamp {
        /// The migration.
        migration: String,
    },
    /// Drop the empty core tables that an interrupted first `up` left (MariaDB commits each
    /// table at once), so that `up` can create the schema again.
    Recover,
    /// Create what an existing PostgreSQL core schema lacks (indexes, constraints, triggers,
    /// the trigger function), so that `up` can adopt it; columns are left to a person.
    Complete,
    /// Drop the tables orch manages (the core schema's and seaql_migrations, no other), then
    /// apply all migrations. Asks first on a terminal; needs --yes without one.
    Fresh {
        /// Do not ask: the data in those tables is to be deleted.
        #[arg(long)]
        yes: bool,
    },
    /// Roll back all applied migrations, then apply all migrations. Asks first on a terminal;
    /// needs --yes without one.
    Refresh {
        /// Do not ask: the data the rollbacks delete is to be deleted.
        #[arg(long)]
        yes: bool,
    },
    /// Roll back all applied migrations (the core schema's rollback drops its tables). Asks
    /// first on a terminal; needs --yes without one.
    Reset {
        /// Do not ask: the data the rollbacks delete is to be deleted.
        #[arg(long)]
        yes: bool,
    },
}

/// Report formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// For people.
    Text,
    /// For tools.
    Json,
}

/// Runs the CLI with the process arguments and returns the exit code; errors are printed on
/// stderr.
pub fn main(app: App) -> ExitCode {
    let _ = dotenvy::dotenv();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(app, std::env::args_os())) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the CLI with the given arguments (the first is the program name).
///
/// Returns the exit code: 0, or `check`'s code.
pub async fn run(
    app: App,
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
) -> anyhow::Result<u8> {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // clap's own message already says what is wrong
            e.exit()
        }
        Err(e) => {
            print!("{e}");
            return Ok(0);
        }
    };
    init_tracing(cli.verbose);
    let migrator = Migrator::new(app.migrations);
    let conn = db::connect(&cli.database_url).await?;
    let result = execute(&app, &migrator, &conn, &cli.database_url, cli.command).await;
    conn.close().await.ok();
    result
}

async fn execute(
    app: &App,
    migrator: &Migrator,
    conn: &DatabaseConnection,
    url: &str,
    command: Command,
) -> anyhow::Result<u8> {
    let backend = conn.get_database_backend();
    match command {
        Command::Generate {
            message,
            answers,
            write_template,
            no_input,
            timestamp,
        } => {
            let registry = SUBSCRIPTION_MODEL_REGISTRY.get()?;
            let now = match timestamp {
                Some(t) => chrono::NaiveDateTime::parse_from_str(&t, "%Y%m%d%H%M%S")
                    .map_err(|e| {
                        anyhow::anyhow!("--timestamp {t:?}: {e}; expected YYYYMMDDHHMMSS")
                    })?
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
                migrations_dir: Path::new(app.migrations_dir),
                write_template: write_template.as_deref(),
            };
            let outcome = if interactive {
                let mut chain = Chain(&mut file, &mut tty);
                generate::generate(conn, migrator, registry, &options, &mut chain).await
            } else {
                let mut chain = Chain(&mut file, Unattended);
                generate::generate(conn, migrator, registry, &options, &mut chain).await
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
                    ..
                } => {
                    eprint!("{}", generate::summary(&changes));
                    for line in &plan.data_loss {
                        eprintln!("warning: {line}");
                    }
                    println!(
                        "Wrote {} ({} upgrade step(s), {} downgrade step(s)). Review it, then run `up`.",
                        path.display(),
                        plan.up.len(),
                        plan.down.len()
                    );
                }
            }
        }
        Command::Check { format } => {
            let registry = SUBSCRIPTION_MODEL_REGISTRY.get()?;
            let report = check::check(
                conn,
                migrator,
                registry,
                Some(Path::new(app.migrations_dir)),
            )
            .await?;
            match format {
                Format::Text => print!("{}", report.text()),
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "clean": report.is_clean(),
                        "exit_code": report.exit_code(),
                        "pending_migrations": report.pending_migrations,
                        "unknown_applied_migrations": report.unknown_applied_migrations,
                        "unbuilt_migrations": report.unbuilt_migrations,
                        "no_products_registered": report.no_products_registered,
                        "changes": report.changes,
                    }))?
                ),
            }
            return Ok(report.exit_code());
        }
        Command::Up { num, sql } => {
            if sql {
                let mut pending = pending(migrator, conn).await?;
                // `up` records the core schema of an orchestrator-core database as applied
                if let Some(core) = adopt::adoptable(conn, migrator).await? {
                    println!(
                        "-- {core} is not run: the database has orchestrator-core's tables, so `up` records it as applied\n"
                    );
                    pending.retain(|p| *p != core);
                }
                let todo: Vec<_> = migrator
                    .migrations()
                    .into_iter()
                    .filter(|m| pending.contains(&m.name().to_owned()))
                    .take(num.map_or(usize::MAX, |n| n as usize))
                    .collect();
                print!(
                    "{}",
                    apply::sql(&todo, backend, apply::Direction::Up).await?
                );
                return Ok(0);
            }
            let applied = apply::up_report(conn, url, migrator, num).await?;
            if applied.is_empty() {
                println!("Nothing to apply: the database is up to date");
            }
            for m in applied {
                if m.already_present {
                    println!("Recorded {}: already present in the database", m.name);
                } else {
                    println!("Applied {}", m.name);
                }
            }
        }
        Command::Down { num, sql } => {
            if sql {
                let applied = applied(migrator, conn).await?;
                let todo: Vec<_> = migrator
                    .migrations()
                    .into_iter()
                    .filter(|m| applied.contains(&m.name().to_owned()))
                    .rev()
                    .take(num as usize)
                    .collect();
                print!(
                    "{}",
                    apply::sql(&todo, backend, apply::Direction::Down).await?
                );
                return Ok(0);
            }
            let rolled = apply::down(conn, url, migrator, Some(num)).await?;
            if rolled.is_empty() {
                println!("Nothing to roll back");
            }
            for m in rolled {
                println!("Rolled back {m}");
            }
        }
        Command::Status => {
            let recorded = migrator.recorded(conn).await?;
            let known: Vec<String> = migrator
                .migrations()
                .iter()
                .map(|m| m.name().to_owned())
                .collect();
            for name in &known {
                let status = if recorded.contains(name) {
                    "applied"
                } else {
                    "pending"
                };
                println!("{status:<8} {name}");
            }
            for name in recorded.iter().filter(|r| !known.contains(r)) {
                println!("applied  {name} (not in the migrations directory)");
            }
        }
        Command::Stamp { migration, force } => {
            present::stamp(conn, url, migrator, &migration, force).await?;
            println!("Recorded {migration} as applied; nothing was run");
        }
        Command::Unstamp { migration } => {
            present::unstamp(conn, url, migrator, &migration).await?;
            println!("Removed the record of {migration}; nothing was rolled back");
        }
        Command::Complete => {
            let run = adopt::complete(conn, url, migrator).await?;
            if run.is_empty() {
                println!("Nothing to complete: the core schema has every definition");
            }
            for sql in run {
                println!("{sql}");
            }
        }
        Command::Recover => {
            let dropped = adopt::recover(conn, url, migrator).await?;
            if dropped.is_empty() {
                println!("Nothing to recover: the database has no core table");
            } else {
                println!(
                    "Dropped {} empty core table(s) an interrupted `up` left: {}. Run `up` now.",
                    dropped.len(),
                    dropped.join(", ")
                );
            }
        }
        Command::Fresh { yes } => {
            let managed = adopt::managed_tables();
            confirm_destructive(
                yes,
                &format!(
                    "drop the {} tables orch manages in {} ({}), with all their rows, and create them again",
                    managed.len(),
                    db::mask_password(url),
                    managed.join(", ")
                ),
            )?;
            let dropped = adopt::drop_managed(conn, url).await?;
            let applied = apply::up(conn, url, migrator, None).await?;
            println!(
                "Dropped {} table(s) and applied {} migration(s); other tables were kept",
                dropped.len(),
                applied.len()
            );
        }
        Command::Refresh { yes } => {
            confirm_destructive(
                yes,
                &format!(
                    "roll back every migration in {} (deleting what they created, the core tables included) and apply them again",
                    db::mask_password(url)
                ),
            )?;
            let rolled = apply::down(conn, url, migrator, None).await?;
            let applied = apply::up(conn, url, migrator, None).await?;
            println!(
                "Rolled back {} and applied {} migration(s)",
                rolled.len(),
                applied.len()
            );
        }
        Command::Reset { yes } => {
            confirm_destructive(
                yes,
                &format!(
                    "roll back every migration in {} (deleting what they created, the core tables included)",
                    db::mask_password(url)
                ),
            )?;
            let rolled = apply::down(conn, url, migrator, None).await?;
            // the migration record goes too, as with sea-orm-migration's reset
            adopt::drop_managed(conn, url).await?;
            println!("Rolled back {} migration(s)", rolled.len());
        }
    }
    Ok(0)
}

/// Asks before a command that deletes data, naming the database and what goes; without a
/// terminal, `--yes` is the answer.
fn confirm_destructive(yes: bool, what: &str) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !console::Term::stderr().is_term() {
        anyhow::bail!("this would {what}: pass --yes to confirm (there is no terminal to ask on)");
    }
    let go = dialoguer::Confirm::new()
        .with_prompt(format!("This will {what}. Go on?"))
        .default(false)
        .interact()?;
    if go {
        Ok(())
    } else {
        anyhow::bail!("nothing was changed")
    }
}

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

// `--sql` and `status` only read: they must not create `seaql_migrations` as
// sea-orm-migration's status queries do.
async fn pending(migrator: &Migrator, conn: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let recorded = migrator.recorded(conn).await?;
    Ok(migrator
        .migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .filter(|m| !recorded.contains(m))
        .collect())
}

async fn applied(migrator: &Migrator, conn: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let recorded = migrator.recorded(conn).await?;
    Ok(migrator
        .migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .filter(|m| recorded.contains(m))
        .collect())
}

fn init_tracing(verbose: bool) {
    let filter = if verbose { "info" } else { "warn" };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ORCH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .try_init();
}
