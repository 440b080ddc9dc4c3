//! What every request passes before and after its handler: a queue that admits as many
//! requests at once as the pool has connections, a check that an SQLite file is still there,
//! a limit on the length of the URI, and error bodies for answers axum leaves empty.
//!
//! The queue is why a burst does not turn into 503s: a request that holds no connection while
//! it waits cannot time out in the pool, which is what happened when a thousand requests raced
//! for ten connections with a five-second acquire timeout. A request waits in line for at most
//! [`QUEUE_WAIT`]; only then is it refused with a 503 and `Retry-After`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::Semaphore;

use super::ApiError;

/// How long a request waits for its turn before it is answered 503.
pub const QUEUE_WAIT: Duration = Duration::from_secs(30);

/// The longest URI answered; a longer one is a 414 with the error body. (hyper answers a URI
/// over 64 KiB itself, with an empty body, before any handler runs.)
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// The guard's state: the queue's permits and the SQLite file to watch, if any.
#[derive(Clone)]
pub(crate) struct Guard {
    permits: Arc<Semaphore>,
    sqlite_file: Option<PathBuf>,
}

impl Guard {
    /// A guard for `db`: as many permits as its pool has connections, and its file if it is an
    /// SQLite database on disk.
    pub(crate) fn new(db: &DatabaseConnection) -> Guard {
        let (size, sqlite_file) = match db.get_database_backend() {
            #[cfg(feature = "sqlite")]
            DbBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool();
                let file = pool.connect_options().get_filename().to_path_buf();
                let on_disk =
                    !file.as_os_str().is_empty() && !file.to_string_lossy().contains(":memory:");
                (
                    pool.options().get_max_connections(),
                    on_disk.then_some(file),
                )
            }
            #[cfg(feature = "postgres")]
            DbBackend::Postgres => (
                db.get_postgres_connection_pool()
                    .options()
                    .get_max_connections(),
                None,
            ),
            #[cfg(feature = "mysql")]
            DbBackend::MySql => (
                db.get_mysql_connection_pool()
                    .options()
                    .get_max_connections(),
                None,
            ),
            // a connection of a backend this build has no driver for cannot exist
            _ => (1, None),
        };
        Guard {
            permits: Arc::new(Semaphore::new(size.max(1) as usize)),
            sqlite_file,
        }
    }
}

/// Runs `next` when the request's turn comes, or answers the error it would otherwise meet.
pub(crate) async fn guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    // the pages answer errors as pages, the JSON endpoints as JSON
    let page = request.uri().path().contains("/metadata");
    let answer = |err: ApiError| {
        if page {
            super::html::error_page(err)
        } else {
            err.into_response()
        }
    };
    // orchestrator-core (FastAPI) answers HEAD with 405, where axum would run the GET handler
    if request.method() == axum::http::Method::HEAD {
        let mut response = answer(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed",
        ));
        response.headers_mut().insert(
            axum::http::header::ALLOW,
            axum::http::HeaderValue::from_static("GET"),
        );
        return response;
    }
    let uri = request.uri();
    if uri.path().len() + uri.query().map_or(0, |q| q.len() + 1) > MAX_URI_BYTES {
        return answer(ApiError::new(
            StatusCode::URI_TOO_LONG,
            format!("The URI is longer than {MAX_URI_BYTES} bytes"),
        ));
    }
    // SQLite keeps reading a file that was deleted while it is open: answer as for a database
    // that is gone, not with what the file held
    if let Some(file) = &guard.sqlite_file
        && !request.uri().path().ends_with("/openapi.json")
        && !file.exists()
    {
        tracing::warn!(file = %file.display(), "the SQLite database file is gone");
        return answer(unavailable());
    }
    let Ok(Ok(_permit)) = tokio::time::timeout(QUEUE_WAIT, guard.permits.acquire()).await else {
        tracing::warn!("request refused after waiting {QUEUE_WAIT:?} for its turn");
        return answer(unavailable());
    };
    let response = next.run(request).await;
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        return with_error_body(response);
    }
    response
}

fn unavailable() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "The database is unavailable, try again later",
    )
}

/// `response` with the error body of its status, keeping its headers (a 405's `Allow`).
fn with_error_body(response: Response) -> Response {
    let (mut parts, _) = response.into_parts();
    let detail = parts.status.canonical_reason().unwrap_or("Error");
    let body = ApiError::new(parts.status, detail).into_response();
    let (body_parts, body) = body.into_parts();
    parts.headers.extend(body_parts.headers);
    Response::from_parts(parts, Body::new(body))
}
