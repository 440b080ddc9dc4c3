//! Error answers in orchestrator-core's shape, `{"detail": ..., "status": ..., "title": ...}`,
//! and the mapping of database errors to them: a database that cannot be reached is a 503 that
//! a client may retry, anything else the database reports is a 500. Neither ever panics, and
//! neither shows the driver's message (which can name hosts and users) to the client; both log
//! it with `tracing`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
#[cfg(feature = "sqlite")]
use sea_orm::sqlx::error::DatabaseError as _;
use sea_orm::{DbErr, RuntimeErr, sqlx};

use super::schema::Problem;

/// An error answer: a status and the `detail` message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The message, or `None` for `"detail": null`.
    pub detail: Option<String>,
    /// For a request FastAPI would reject before its handler (a path or query value of the
    /// wrong type): its 422 body's `detail` list of `{type, loc, msg, input, ctx}`, which
    /// generated clients parse. The body is then `{"detail": [...]}` alone, as FastAPI's.
    pub validation: Option<serde_json::Value>,
}

impl ApiError {
    /// An answer with `status` and `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: Some(detail.into()),
            validation: None,
        }
    }

    /// FastAPI's 422 for a request value of the wrong type: `kind` is pydantic's error type
    /// (`uuid_parsing`), `loc` where the value was (`["path", "product_id"]`), `msg` pydantic's
    /// message, `input` the value as sent, `ctx` pydantic's context (or `None`).
    pub fn validation(
        kind: &str,
        loc: [&str; 2],
        msg: String,
        input: &str,
        ctx: Option<serde_json::Value>,
    ) -> ApiError {
        let mut item = serde_json::json!({"type": kind, "loc": loc, "msg": msg, "input": input});
        if let Some(ctx) = ctx {
            item["ctx"] = ctx;
        }
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: Some(msg),
            validation: Some(serde_json::json!([item])),
        }
    }

    /// 404 with `detail`.
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, detail)
    }

    /// The body, as orchestrator-core writes it.
    pub fn problem(&self) -> Problem {
        Problem {
            detail: self.detail.clone(),
            status: self.status.as_u16(),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(detail) = self.validation {
            return (
                self.status,
                axum::Json(serde_json::json!({"detail": detail})),
            )
                .into_response();
        }
        let mut response = (self.status, axum::Json(self.problem())).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // a hint for clients and proxies that the condition is temporary
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        response
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> ApiError {
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The database is unavailable, try again later",
            )
        } else {
            tracing::error!(error = %err, "database error");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The database could not answer the query",
            )
        }
    }
}

/// Whether `err` means the database cannot be reached (now), rather than that the query is
/// wrong: no connection could be made or acquired, the connection broke, the server is shutting
/// down, refuses connections, or the database is gone.
pub fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => {
            sqlx_unavailable(e)
        }
        _ => false,
    }
}

fn sqlx_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => {
            #[cfg(feature = "mysql")]
            if let Some(e) = e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
                return mysql_unavailable(e.number());
            }
            #[cfg(feature = "sqlite")]
            if let Some(e) = e.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                return e
                    .code()
                    .and_then(|c| c.parse::<i32>().ok())
                    .is_some_and(sqlite_unavailable)
                    || e.message().starts_with("no such table");
            }
            e.code().is_some_and(|c| postgres_unavailable(&c))
        }
        _ => false,
    }
}

/// PostgreSQL SQLSTATEs: class 08 connection exception, 57P0x operator intervention (admin or
/// crash shutdown, cannot connect now, database dropped), 53300 too many connections, 3D000 the
/// database does not exist (dropped while the server runs), 42P01 a table does not exist.
///
/// A missing table counts as unavailable on every backend: the server found the tables when it
/// started, so one that is gone means the database was dropped or replaced under it (on
/// MariaDB that is the only sign a pooled connection gives of a dropped database).
fn postgres_unavailable(sqlstate: &str) -> bool {
    sqlstate.starts_with("08")
        || sqlstate.starts_with("57P0")
        || sqlstate == "53300"
        || sqlstate == "3D000"
        || sqlstate == "42P01"
}

/// MariaDB error numbers: too many connections, no database selected, unknown database, table
/// does not exist (what a pooled connection answers once its database was dropped), server
/// shutdown, cannot connect, server gone away, connection lost.
#[cfg_attr(not(feature = "mysql"), allow(dead_code))]
fn mysql_unavailable(number: u16) -> bool {
    matches!(
        number,
        1040 | 1046 | 1049 | 1053 | 1146 | 2002 | 2003 | 2006 | 2013
    )
}

/// SQLite (extended) result codes whose primary code is BUSY, LOCKED or CANTOPEN.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
fn sqlite_unavailable(code: i32) -> bool {
    matches!(code & 0xff, 5 | 6 | 14)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_and_connection_errors_are_unavailable() {
        assert!(is_unavailable(&DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::Timeout
        )));
        assert!(is_unavailable(&DbErr::Query(RuntimeErr::SqlxError(
            std::sync::Arc::new(sqlx::Error::PoolClosed)
        ))));
        assert!(!is_unavailable(&DbErr::Query(RuntimeErr::Internal(
            "syntax".into()
        ))));
        assert!(!is_unavailable(&DbErr::RecordNotFound("x".into())));
    }

    #[test]
    fn server_codes() {
        for code in ["08006", "57P01", "3D000", "53300"] {
            assert!(postgres_unavailable(code), "{code}");
        }
        for code in ["42703", "23505", "22P02"] {
            assert!(!postgres_unavailable(code), "{code}");
        }
        assert!(mysql_unavailable(2006) && mysql_unavailable(1146) && !mysql_unavailable(1054));
        // SQLITE_CANTOPEN_FULLPATH, SQLITE_BUSY; not SQLITE_CONSTRAINT_UNIQUE or SQLITE_ERROR
        assert!(sqlite_unavailable(1038) && sqlite_unavailable(5));
        assert!(!sqlite_unavailable(2067) && !sqlite_unavailable(1));
    }

    #[test]
    fn the_body_is_orchestrator_cores() {
        let e = ApiError::not_found("Product id 1 not found");
        assert_eq!(
            serde_json::to_value(e.problem()).unwrap(),
            serde_json::json!({"detail": "Product id 1 not found", "status": 404, "title": "Not Found"})
        );
    }
}
