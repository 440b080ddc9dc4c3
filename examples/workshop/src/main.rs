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
use std::time::Duration;

use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use clap::{Parser, Subcommand};
use orch_core::db_url::{SqliteMode, mask_password, sqlite_file, with_sqlite_mode};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, EntityTrait, QuerySelect};
use workshop as _; // the products, for the registry

/// The database when none is given: `orch-migrate`'s default file.
const DEFAULT_DATABASE_URL: &str = "sqlite://orchestrator.db";

/// How long to wait for the database, at startup and for each request's connection.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(5);

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
            Command::Serve { bind } => serve(&cli.database_url, bind).await,
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

/// Serves until Ctrl-C (or SIGTERM). Fails when the database cannot be opened or lacks
/// orchestrator-core's tables, or the address is taken; once running, a database that goes
/// away is a 503 per request, and the server keeps running.
async fn serve(database_url: &str, bind: SocketAddr) -> Result<(), String> {
    let url = normalize(database_url, Access::ReadOnly)?;
    let shown = mask_password(&url);
    let db = connect(&url).await?;
    if let Err(e) = orch_core::entity::products::Entity::find()
        .limit(1)
        .all(&db)
        .await
    {
        return Err(format!(
            "{shown} has no readable products table ({}); create it with \
             `cargo run -p orch-migrate -- up`",
            one_line(&e.to_string())
        ));
    }
    let app = orch_core::api::router(db)
        .route(
            "/",
            get(|| async { Redirect::temporary("/metadata/products") }),
        )
        .fallback(|| async { orch_core::api::ApiError::not_found("Not Found").into_response() });
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("Serving {shown}");
    eprintln!("  metadata pages  http://{addr}/metadata/products");
    eprintln!("  products API    http://{addr}/api/products/");
    eprintln!("  OpenAPI         http://{addr}/api/openapi.json");
    eprintln!("Press Ctrl-C to stop.");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| format!("server stopped: {e}"))
}

/// Runs the demo on the database (which must exist, with the workshop's products) and prints
/// what it did.
async fn demo(database_url: &str) -> Result<(), String> {
    let url = normalize(database_url, Access::ReadWrite)?;
    let db = connect(&url).await?;
    let result = workshop::demo::demo(&db).await;
    db.close().await.ok();
    print!("{}", result.map_err(|e| e.to_string())?);
    Ok(())
}

/// Opens the database with short timeouts, so that an unreachable server is an error after
/// seconds, not a hang, and says why it cannot be opened.
async fn connect(url: &str) -> Result<DatabaseConnection, String> {
    if let Some(path) = sqlite_file(url)
        && !path.exists()
    {
        return Err(format!(
            "no database file {}; create it with `cargo run -p orch-migrate -- up`",
            path.display()
        ));
    }
    probe(url).await?;
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(DATABASE_TIMEOUT)
        .acquire_timeout(DATABASE_TIMEOUT);
    Database::connect(options).await.map_err(|e| {
        format!(
            "cannot open {}: {}",
            mask_password(url),
            one_line(&e.to_string())
        )
    })
}

/// Says why a server cannot be reached, where a pool would only say that it timed out.
async fn probe(url: &str) -> Result<(), String> {
    orch_core::db_url::probe(url, DATABASE_TIMEOUT)
        .await
        .map_err(|e| e.to_string())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Whether a command writes to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// `serve`: never writes.
    ReadOnly,
    /// `demo`: writes subscriptions.
    ReadWrite,
}

/// Checks the scheme and opens SQLite files read-only (`serve`) or read-write (`demo`) unless
/// the URL says otherwise; either way a missing file is an error rather than a new empty
/// database.
fn normalize(url: &str, access: Access) -> Result<String, String> {
    let mode = match access {
        Access::ReadOnly => SqliteMode::ReadOnly,
        Access::ReadWrite => SqliteMode::ReadWrite,
    };
    with_sqlite_mode(url, mode).map_err(|e| e.to_string())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The URL rules themselves are `orch_core::db_url`'s and tested there; this is the choice
    /// of mode per command.
    #[test]
    fn serve_reads_only_and_the_demo_never_creates_a_file() {
        assert_eq!(
            normalize(DEFAULT_DATABASE_URL, Access::ReadOnly).unwrap(),
            "sqlite://orchestrator.db?mode=ro"
        );
        assert_eq!(
            normalize(DEFAULT_DATABASE_URL, Access::ReadWrite).unwrap(),
            "sqlite://orchestrator.db?mode=rw"
        );
        assert!(
            normalize("oracle://h/db", Access::ReadWrite)
                .unwrap_err()
                .starts_with("unsupported database URL")
        );
    }

    #[test]
    fn the_command_line() {
        let cli = Cli::try_parse_from(["workshop", "serve"]).unwrap();
        assert!(
            matches!(cli.command, Command::Serve { bind } if bind.to_string() == "127.0.0.1:8080")
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
        let cli =
            Cli::try_parse_from(["workshop", "demo", "--database-url", "sqlite://y.db"]).unwrap();
        assert!(matches!(cli.command, Command::Demo));
        assert_eq!(cli.database_url, "sqlite://y.db");
        Cli::command().debug_assert();
    }
}
