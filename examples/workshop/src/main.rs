//! The workshop's command line: `workshop serve` shows what the migrations did, as
//! orchestrator-core's products JSON API and as readable metadata pages; `workshop demo`
//! creates a user group and a user, saves, loads and moves them to active, and prints them.
//!
//! ```text
//! cargo run -p orch-migrate -- up        # create orchestrator.db with the workshop's products
//! cargo run -p workshop -- serve         # http://127.0.0.1:8080/metadata/products
//! cargo run -p workshop -- demo          # two subscriptions, printed as JSON
//! ```
//!
//! The database is `--database-url`, else `DATABASE_URL` (also read from `.env`), else the
//! SQLite file `orchestrator.db` in the current directory, the same as `orch-migrate`'s.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use orch_core::db_url::{SqliteMode, with_sqlite_mode};
use workshop as _; // the products, for the registry

/// The database when none is given: `orch-migrate`'s default file.
const DEFAULT_DATABASE_URL: &str = "sqlite://orchestrator.db";

/// The command that creates the database with the workshop's products.
const MIGRATE: &str = "cargo run -p orch-migrate -- up";

/// The workshop's products, served.
#[derive(Debug, Parser)]
#[command(name = "workshop", version, about)]
struct Cli {
    /// Database URL: sqlite://FILE, postgres://user@host/db or mysql://user@host/db. Also read
    /// from DATABASE_URL and from a .env file.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        hide_env_values = true
    )]
    database_url: String,

    #[command(subcommand)]
    command: Command,
}

/// What to do; each subcommand is one variant.
#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the products JSON API (orchestrator-core's paths and shapes, OpenAPI document at
    /// /api/openapi.json) and the metadata pages (/metadata/products).
    Serve {
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
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
    /// Create a "User Group" and a "User internal" subscription in it, save, load, move both
    /// to active (setting group_id and user_id), save, and print both as JSON.
    Demo,
}

fn main() -> ExitCode {
    // a missing .env is fine; DATABASE_URL may also come from the environment
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve {
                bind,
                allowed_origins,
            } => serve(&cli.database_url, bind, allowed_origins).await,
            Command::Demo => demo(&cli.database_url).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

/// Serves the workshop's products (see `orch_core::api::server`).
async fn serve(
    database_url: &str,
    bind: SocketAddr,
    allowed_origins: Vec<String>,
) -> Result<(), String> {
    orch_core::api::server::serve(orch_core::api::server::Serve {
        database_url: database_url.to_owned(),
        bind,
        migrate_command: MIGRATE.to_owned(),
        allowed_origins,
    })
    .await
}

/// Runs the demo on the database (which must exist, with the workshop's products) and prints
/// what it did.
async fn demo(database_url: &str) -> Result<(), String> {
    let url = normalize(database_url)?;
    let db = orch_core::api::server::connect(&url, MIGRATE).await?;
    let result = workshop::demo::demo(&db).await;
    db.close().await.ok();
    print!("{}", result.map_err(|e| e.to_string())?);
    Ok(())
}

/// The demo writes subscriptions into an existing database: an SQLite file is opened
/// read-write and never created (`serve` opens it read-only).
fn normalize(url: &str) -> Result<String, String> {
    with_sqlite_mode(url, SqliteMode::ReadWrite).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The URL rules themselves are `orch_core::db_url`'s and tested there; this is the choice
    /// of mode per command.
    #[test]
    fn the_demo_never_creates_a_file() {
        assert_eq!(
            normalize(DEFAULT_DATABASE_URL).unwrap(),
            "sqlite://orchestrator.db?mode=rw"
        );
        assert!(
            normalize("oracle://h/db")
                .unwrap_err()
                .starts_with("unsupported database URL")
        );
    }

    #[test]
    fn the_command_line() {
        let cli = Cli::try_parse_from(["workshop", "serve"]).unwrap();
        assert!(
            matches!(cli.command, Command::Serve { bind, allowed_origins } if bind.to_string() == "127.0.0.1:8080" && allowed_origins.is_empty())
        );
        let cli = Cli::try_parse_from([
            "workshop",
            "serve",
            "--bind",
            "0.0.0.0:9000",
            "--database-url",
            "sqlite://x.db",
        ])
        .unwrap();
        assert_eq!(cli.database_url, "sqlite://x.db");
        assert!(Cli::try_parse_from(["workshop", "serve", "--bind", "nope"]).is_err());
        let cli = Cli::try_parse_from([
            "workshop",
            "serve",
            "--allow-origin",
            "http://localhost:3000",
            "--allow-origin",
            "http://ui.example.org,https://ui.example.org:8443",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Serve { allowed_origins, .. } if allowed_origins == [
                "http://localhost:3000",
                "http://ui.example.org",
                "https://ui.example.org:8443",
            ]
        ));
        let cli =
            Cli::try_parse_from(["workshop", "demo", "--database-url", "sqlite://y.db"]).unwrap();
        assert!(matches!(cli.command, Command::Demo));
        assert_eq!(cli.database_url, "sqlite://y.db");
        Cli::command().debug_assert();
    }
}
