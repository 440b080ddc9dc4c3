//! Connecting to the database named by a URL, with errors a person can act on.

pub use orch_core::db_url::mask_password;
use orch_core::db_url::{SqliteMode, Unreachable, UnsupportedUrl, with_sqlite_mode};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

/// The database used when no URL is given: an SQLite file in the current directory, created on
/// first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://orchestrator.db?mode=rwc";

/// Why a database could not be opened. The message is one line and never shows a password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL names no backend orch supports, or no SQLite file.
    #[error(transparent)]
    Scheme(#[from] UnsupportedUrl),
    /// The server or file could not be reached.
    #[error("cannot connect to {url}: {reason}")]
    Unreachable {
        /// The URL, password masked.
        url: String,
        /// The driver's reason, on one line.
        reason: String,
    },
}

/// How long to wait for a server to answer.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Opens `url`. An SQLite URL without `mode=` gets `mode=rwc`, so the file is created if missing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, ConnectError> {
    let url = normalize(url)?;
    probe(&url).await?;
    let mut options = ConnectOptions::new(url.clone());
    options.sqlx_logging(false).connect_timeout(CONNECT_TIMEOUT);
    Database::connect(options)
        .await
        .map_err(|e| ConnectError::Unreachable {
            url: mask_password(&url),
            reason: one_line(&e.to_string()),
        })
}

/// Opens `url` with a pool of exactly one connection, for session state such as locks.
pub async fn connect_single(url: &str) -> Result<DatabaseConnection, ConnectError> {
    let url = normalize(url)?;
    probe(&url).await?;
    let mut options = ConnectOptions::new(url.clone());
    options
        .sqlx_logging(false)
        .max_connections(1)
        .min_connections(1)
        .connect_timeout(CONNECT_TIMEOUT);
    Database::connect(options)
        .await
        .map_err(|e| ConnectError::Unreachable {
            url: mask_password(&url),
            reason: one_line(&e.to_string()),
        })
}

async fn probe(url: &str) -> Result<(), ConnectError> {
    orch_core::db_url::probe(url, CONNECT_TIMEOUT)
        .await
        .map_err(|Unreachable { url, reason }| ConnectError::Unreachable { url, reason })
}

fn normalize(url: &str) -> Result<String, ConnectError> {
    Ok(with_sqlite_mode(url, SqliteMode::ReadWriteCreate)?)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_files_are_created_when_missing() {
        assert_eq!(
            normalize("sqlite://x.db").unwrap(),
            "sqlite://x.db?mode=rwc"
        );
        assert_eq!(
            normalize("sqlite://x.db?mode=ro").unwrap(),
            "sqlite://x.db?mode=ro"
        );
        assert_eq!(normalize("sqlite::memory:").unwrap(), "sqlite::memory:");
        assert_eq!(
            normalize("mariadb://root@h/db").unwrap(),
            "mysql://root@h/db"
        );
    }

    #[test]
    fn unknown_schemes_and_passwords() {
        let e = normalize("oracle://scott:tiger@h/db").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unsupported database URL `oracle://scott:***@h/db`: expected sqlite://, postgres:// or mysql://"
        );
        assert_eq!(mask_password("postgres://u@h/d"), "postgres://u@h/d");
    }
}
