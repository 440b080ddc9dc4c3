//! The `orch-migrate` command line.
//!
//! An app gets the whole CLI over its own products and migrations with a `main` like this one
//! (the `orch-migrate` binary of this workspace is exactly that, over the workshop example):
//!
//! ```ignore
//! use my_products as _; // link the products, or the registry is empty
//!
//! fn main() -> std::process::ExitCode {
//!     orch_migrate::cli::main(orch_migrate::app!(my_products::migrations::migrations))
//! }
//! ```
//!
//! [`app!`](crate::app) names the CLI after the binary and its version after the package, so
//! that `--version`, messages and generated headers say the app's name.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use orch_core::SUBSCRIPTION_MODEL_REGISTRY;
use orch_core::migration::MigrationList;
use sea_orm::DatabaseConnection;

use sea_orm_migration::MigratorTraitSelf;

use crate::files::Drift;
use crate::migrator::Migrator;
use crate::{check, db};

mod generate;
mod migrations;
mod schema;

/// What an app hands to the CLI: its migrations and where `generate` writes new ones.
/// [`app!`](crate::app) fills it in from the app's package.
#[derive(Clone, Copy)]
pub struct App {
    /// The binary's name, for `--help`, `--version`, messages and generated headers.
    pub name: &'static str,
    /// The app's version, for `--version`.
    pub version: &'static str,
    /// The app's domain-model migrations (its `migrations::migrations`).
    pub migrations: MigrationList,
    /// The directory of the app's migration modules.
    pub migrations_dir: &'static str,
}

/// The [`App`] of the binary being compiled: named after the binary, versioned as its
/// package, with its migrations in `src/migrations` (or the directory given, relative to the
/// package root).
///
/// ```ignore
/// orch_migrate::cli::main(orch_migrate::app!(my_products::migrations::migrations))
/// ```
#[macro_export]
macro_rules! app {
    ($migrations:path) => {
        $crate::app!($migrations, "src/migrations")
    };
    ($migrations:path, $dir:literal) => {
        $crate::App {
            name: env!("CARGO_BIN_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            migrations: $migrations,
            migrations_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/", $dir),
        }
    };
}

#[derive(Debug, Parser)]
#[command(about = "Create the orchestrator database schema and migrate it")]
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
    Generate(generate::Args),
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
    /// Roll back applied migrations (the last one, the last N, or all after one).
    Down {
        /// Roll back this many.
        #[arg(short, long, default_value_t = 1)]
        num: u32,
        /// Roll back every migration applied after this one, which stays applied.
        #[arg(long, value_name = "MIGRATION", conflicts_with = "num")]
        to: Option<String>,
        /// Print the SQL they would run on this database's backend instead of running them.
        #[arg(long)]
        sql: bool,
    },
    /// List applied and pending migrations.
    Status,
    /// List every migration, oldest first, with when it was applied and what it does.
    History,
    /// Show the newest applied migration, and how many are pending.
    Current,
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
    /// Serve the products JSON API (orchestrator-core's paths, OpenAPI document at
    /// /api/openapi.json) and the metadata pages (/metadata/products) for this app's products;
    /// reads only.
    #[cfg(feature = "serve")]
    Serve {
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
        /// A web origin whose pages may call the API from a browser, such as orchestrator-ui's
        /// http://localhost:3000; repeat for more, or * for every origin. None by default.
        #[arg(
            long = "allow-origin",
            value_name = "ORIGIN",
            env = "ORCH_ALLOW_ORIGINS",
            value_delimiter = ','
        )]
        allowed_origins: Vec<String>,
    },
    /// Make the crate in DIR an orch app: its migrations directory, build script, migrate
    /// binary and example products, and in Cargo.toml the dependencies, patch and profile.
    /// Never overwrites a file; prints what it could not add.
    Init {
        /// The crate (a directory with a Cargo.toml).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// A backend to build a driver for; repeat for more.
        #[arg(long = "backend", value_enum, required = true)]
        backends: Vec<crate::scaffold::Backend>,
        /// Depend on orch from this git repository instead of this checkout.
        #[arg(long, value_name = "URL")]
        git: Option<String>,
        /// The commit, tag or branch of --git.
        #[arg(long, requires = "git")]
        rev: Option<String>,
    },
    /// Print a shell completion script: `source <(APP completions bash)`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
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

/// What `init` did and what comes next.
fn print_init(r: &crate::scaffold::Report) {
    if !r.created.is_empty() {
        println!("Created {}", r.created.join(", "));
    }
    if !r.changed.is_empty() {
        println!("Changed {}", r.changed.join(", "));
    }
    for todo in &r.todo {
        println!("\nTo do: {todo}");
    }
    let run = format!("cargo run --bin {} --", r.bin);
    println!(
        "\nNext: write your models in src/products.rs, then\n  \
         {run} up                       # the core schema (orchestrator-core's tables)\n  \
         {run} generate \"Add products\" # a migration for your models\n  \
         {run} up                       # apply it\n  \
         {run} serve                    # see them at http://127.0.0.1:8080/metadata/products"
    );
}

/// The command line, named and versioned as the app.
fn command(app: &App) -> clap::Command {
    <Cli as clap::CommandFactory>::command()
        .name(app.name)
        .bin_name(app.name)
        .version(app.version)
}

/// Runs the CLI with the given arguments (the first is the program name).
///
/// Returns the exit code: 0, or `check`'s code.
pub async fn run(
    app: App,
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
) -> anyhow::Result<u8> {
    let parsed = command(&app)
        .try_get_matches_from(args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // clap's own message already says what is wrong
            e.exit()
        }
        Err(e) => {
            // --help or --version; a closed pipe (`--help | head`) is not an error
            let _ = std::io::Write::write_all(&mut std::io::stdout(), e.to_string().as_bytes());
            return Ok(0);
        }
    };
    init_tracing(cli.verbose);
    match cli.command {
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut command(&app), app.name, &mut out);
            let _ = std::io::Write::write_all(&mut std::io::stdout(), &out);
            return Ok(0);
        }
        #[cfg(feature = "serve")]
        Command::Serve {
            bind,
            allowed_origins,
        } => {
            orch_core::api::server::serve(orch_core::api::server::Serve {
                database_url: cli.database_url,
                bind,
                migrate_command: format!("{} up", app.name),
                allowed_origins,
            })
            .await
            .map_err(anyhow::Error::msg)?;
            return Ok(0);
        }
        Command::Init {
            dir,
            backends,
            git,
            rev,
        } => {
            let source = match git {
                Some(url) => crate::scaffold::Source::Git { url, rev },
                None => crate::scaffold::Source::this_checkout(),
            };
            print_init(&crate::scaffold::init(&dir, &backends, &source)?);
            return Ok(0);
        }
        _ => {}
    }
    let migrator = Migrator::new(app.migrations);
    let conn = db::connect(&cli.database_url).await?;
    let ctx = Ctx {
        app: &app,
        migrator: &migrator,
        conn: &conn,
        url: &cli.database_url,
    };
    let result = execute(&ctx, cli.command).await;
    conn.close().await.ok();
    result
}

/// What every command works with.
struct Ctx<'a> {
    app: &'a App,
    migrator: &'a Migrator,
    conn: &'a DatabaseConnection,
    url: &'a str,
}

/// Runs one command; returns its exit code. Commands that read or change which migrations are
/// applied first make sure the binary was built from the migrations directory as it is.
async fn execute(ctx: &Ctx<'_>, command: Command) -> anyhow::Result<u8> {
    if !matches!(
        command,
        Command::Check { .. } | Command::Recover | Command::Complete
    ) {
        drift(ctx)?.require_none(ctx.app.name)?;
    }
    match command {
        Command::Generate(args) => generate::run(ctx, args).await,
        Command::Check { format } => check(ctx, format).await,
        Command::Up { num, sql } => migrations::up(ctx, num, sql).await,
        Command::Down { num, to, sql } => {
            let until = match to {
                Some(to) => migrations::Until::After(to),
                None => migrations::Until::Count(num),
            };
            migrations::down(ctx, until, sql).await
        }
        Command::Status => migrations::status(ctx).await,
        Command::History => migrations::history(ctx).await,
        Command::Current => migrations::current(ctx).await,
        Command::Stamp { migration, force } => migrations::stamp(ctx, migration, force).await,
        Command::Unstamp { migration } => migrations::unstamp(ctx, migration).await,
        Command::Complete => schema::complete(ctx).await,
        Command::Recover => schema::recover(ctx).await,
        Command::Fresh { yes } => schema::fresh(ctx, yes).await,
        Command::Refresh { yes } => schema::refresh(ctx, yes).await,
        Command::Reset { yes } => schema::reset(ctx, yes).await,
        Command::Completions { .. } | Command::Init { .. } => {
            unreachable!("answered before connecting")
        }
        #[cfg(feature = "serve")]
        Command::Serve { .. } => unreachable!("answered before connecting"),
    }
}

/// How the binary differs from the migrations directory.
fn drift(ctx: &Ctx<'_>) -> anyhow::Result<Drift> {
    let known: Vec<String> = ctx
        .migrator
        .migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    Drift::of(Path::new(ctx.app.migrations_dir), &known)
}

/// `check`: the report, as text or JSON; the exit code says what differs.
async fn check(ctx: &Ctx<'_>, format: Format) -> anyhow::Result<u8> {
    let registry = SUBSCRIPTION_MODEL_REGISTRY.get()?;
    let report = check::check(
        ctx.conn,
        ctx.migrator,
        registry,
        Some(Path::new(ctx.app.migrations_dir)),
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
                "deleted_migrations": report.deleted_migrations,
                "no_products_registered": report.no_products_registered,
                "changes": report.changes,
            }))?
        ),
    }
    Ok(report.exit_code())
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
