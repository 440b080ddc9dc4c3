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
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use orch_core::migration::MigrationList;
use sea_orm::DatabaseConnection;
use sea_orm_migration::{MigrationStatus, MigratorTraitSelf};

use crate::db;
use crate::migrator::Migrator;

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
    /// Apply pending migrations (all, or the next N).
    Up {
        /// Apply only this many.
        #[arg(short, long)]
        num: Option<u32>,
    },
    /// Roll back applied migrations (the last one, or the last N).
    Down {
        /// Roll back this many.
        #[arg(short, long, default_value_t = 1)]
        num: u32,
    },
    /// List applied and pending migrations.
    Status,
    /// Drop every table, then apply all migrations.
    Fresh,
    /// Roll back all applied migrations, then apply all migrations.
    Refresh,
    /// Roll back all applied migrations.
    Reset,
}

/// Runs the CLI with the process arguments and returns the exit code; errors are printed as one
/// line on stderr.
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
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the CLI with the given arguments (the first is the program name).
pub async fn run(
    app: App,
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
) -> anyhow::Result<()> {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // clap's own message already says what is wrong
            e.exit()
        }
        Err(e) => {
            print!("{e}");
            return Ok(());
        }
    };
    init_tracing(cli.verbose);
    let migrator = Migrator::new(app.migrations);
    let conn = db::connect(&cli.database_url).await?;
    let result = execute(&migrator, &conn, cli.command).await;
    conn.close().await.ok();
    result
}

async fn execute(
    migrator: &Migrator,
    conn: &DatabaseConnection,
    command: Command,
) -> anyhow::Result<()> {
    match command {
        Command::Up { num } => {
            let before = pending(migrator, conn).await?;
            migrator.up(conn, num).await?;
            let after = pending(migrator, conn).await?;
            let applied: Vec<_> = before.iter().filter(|m| !after.contains(m)).collect();
            if applied.is_empty() {
                println!("Nothing to apply: the database is up to date");
            }
            for m in applied {
                println!("Applied {m}");
            }
        }
        Command::Down { num } => {
            let before = applied(migrator, conn).await?;
            migrator.down(conn, Some(num)).await?;
            let after = applied(migrator, conn).await?;
            let rolled: Vec<_> = before.iter().rev().filter(|m| !after.contains(m)).collect();
            if rolled.is_empty() {
                println!("Nothing to roll back");
            }
            for m in rolled {
                println!("Rolled back {m}");
            }
        }
        Command::Status => {
            for m in migrator.get_migration_with_status(conn).await? {
                let status = match m.status() {
                    MigrationStatus::Applied => "applied",
                    MigrationStatus::Pending => "pending",
                };
                println!("{status:<8} {}", m.name());
            }
        }
        Command::Fresh => {
            migrator.fresh(conn).await?;
            println!("Dropped all tables and applied every migration");
        }
        Command::Refresh => {
            migrator.refresh(conn).await?;
            println!("Rolled back and re-applied every migration");
        }
        Command::Reset => {
            migrator.reset(conn).await?;
            println!("Rolled back every migration");
        }
    }
    Ok(())
}

async fn pending(migrator: &Migrator, conn: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    Ok(migrator
        .get_pending_migrations(conn)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}

async fn applied(migrator: &Migrator, conn: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    Ok(migrator
        .get_applied_migrations(conn)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
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
