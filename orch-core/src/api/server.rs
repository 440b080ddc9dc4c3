//! A whole server over [`router`](super::router): opening the database read-only, the root
//! redirect, a JSON 404 for other paths, and a graceful stop on Ctrl-C or SIGTERM. The
//! workshop's `serve` and every app's migrate binary (`orch_migrate`'s `serve`) run this one,
//! so that they open, fail and stop alike.

use std::net::SocketAddr;
use std::time::Duration;

use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, EntityTrait, QuerySelect};

use crate::db_url::{SqliteMode, mask_password, sqlite_file, with_sqlite_mode};

/// How long to wait for the database, at startup and for each request's connection.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(5);

/// What to serve, and what to tell a user whose database is not there yet.
#[derive(Debug, Clone)]
pub struct Serve {
    /// The database URL; an SQLite file is opened read-only unless the URL says otherwise.
    pub database_url: String,
    /// Address and port to listen on.
    pub bind: SocketAddr,
    /// The command that creates the tables, named when they are missing (`my-app-migrate up`).
    pub migrate_command: String,
    /// Web origins whose pages may call the API from a browser (orchestrator-ui's
    /// `http://localhost:3000`), or `*` for every origin; empty, none may (see
    /// [`cors`](super::cors)).
    pub allowed_origins: Vec<String>,
}

/// The whole app [`serve`] runs over `db`: the router, the root redirect, a JSON 404 for other
/// paths and, when origins are listed, CORS for them. Fails on an origin that cannot be allowed.
pub fn app(db: DatabaseConnection, allowed_origins: &[String]) -> Result<axum::Router, String> {
    let cors = super::cors::cors(allowed_origins).map_err(|e| e.to_string())?;
    let app = super::router(db)
        .route(
            "/",
            get(|| async { Redirect::temporary("/metadata/products") }),
        )
        .fallback(|| async { super::ApiError::not_found("Not Found").into_response() });
    Ok(match cors {
        Some(cors) => app.layer(cors),
        None => app,
    })
}

/// Serves until Ctrl-C (or SIGTERM). Fails when the database cannot be opened or lacks
/// orchestrator-core's tables, or the address is taken; once running, a database that goes
/// away is a 503 per request, and the server keeps running.
pub async fn serve(options: Serve) -> Result<(), String> {
    // a wrong origin is the user's typo: say so before touching the database
    super::cors::cors(&options.allowed_origins).map_err(|e| e.to_string())?;
    let url =
        with_sqlite_mode(&options.database_url, SqliteMode::ReadOnly).map_err(|e| e.to_string())?;
    let shown = mask_password(&url);
    let db = connect(&url, &options.migrate_command).await?;
    if let Err(e) = crate::entity::products::Entity::find()
        .limit(1)
        .all(&db)
        .await
    {
        return Err(format!(
            "{shown} has no readable products table ({}); create it with `{}`",
            one_line(&e.to_string()),
            options.migrate_command
        ));
    }
    let app = app(db, &options.allowed_origins)?;
    let listener = tokio::net::TcpListener::bind(options.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("Serving {shown}");
    eprintln!("  metadata pages  http://{addr}/metadata/products");
    eprintln!("  products API    http://{addr}/api/products/");
    eprintln!("  OpenAPI         http://{addr}/api/openapi.json");
    eprintln!("  GraphQL         http://{addr}/api/graphql (POST)");
    if options.allowed_origins.is_empty() {
        eprintln!("  CORS            no other origin (--allow-origin or ORCH_ALLOW_ORIGINS)");
    } else {
        eprintln!("  CORS            {}", options.allowed_origins.join(", "));
    }
    eprintln!("Press Ctrl-C to stop.");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| format!("server stopped: {e}"))
}

/// Opens the database with short timeouts, so that an unreachable server is an error after
/// seconds, not a hang, and says why it cannot be opened. A missing SQLite file is an error,
/// never a new empty database.
pub async fn connect(url: &str, migrate_command: &str) -> Result<DatabaseConnection, String> {
    if let Some(path) = sqlite_file(url)
        && !path.exists()
    {
        return Err(format!(
            "no database file {}; create it with `{migrate_command}`",
            path.display()
        ));
    }
    crate::db_url::probe(url, DATABASE_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
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

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
