//! Database URLs as orch's tools take them, so that every binary (`orch-migrate`, an app's
//! server, its demo) accepts the same URLs, opens SQLite files the same way and never prints a
//! password.

/// How an SQLite file is opened when the URL does not say (`mode=` in its query string).
///
/// A tool that only reads opens read-only, so it cannot create or change a file by mistake; a
/// tool that writes subscriptions opens an existing file; only the migrator creates one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteMode {
    /// `mode=ro`: reads only.
    ReadOnly,
    /// `mode=rw`: reads and writes an existing file.
    ReadWrite,
    /// `mode=rwc`: creates the file when it is missing.
    ReadWriteCreate,
}

impl SqliteMode {
    fn param(self) -> &'static str {
        match self {
            SqliteMode::ReadOnly => "mode=ro",
            SqliteMode::ReadWrite => "mode=rw",
            SqliteMode::ReadWriteCreate => "mode=rwc",
        }
    }
}

/// A URL whose scheme names no backend orch supports, or an SQLite URL that names no file;
/// `url` has its password masked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported database URL `{url}`: {reason}")]
pub struct UnsupportedUrl {
    /// The URL, password masked.
    pub url: String,
    /// What is wrong with it, and what would be right.
    pub reason: &'static str,
}

const EXPECTED_SCHEMES: &str = "expected sqlite://, postgres:// or mysql://";
const NO_SQLITE_FILE: &str = "it names no file: use sqlite://FILE (sqlite::memory: for a database that lives only as long as the process)";

/// `url` ready for sea-orm: an SQLite URL without `mode=` gets `mode` (an in-memory one is left
/// as it is), `mariadb://` becomes `mysql://`, and PostgreSQL and MySQL URLs pass unchanged.
pub fn with_sqlite_mode(url: &str, mode: SqliteMode) -> Result<String, UnsupportedUrl> {
    let url = url.trim();
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
    // `sqlite://` alone would open a private in-memory database: a migration into it is lost
    // at exit although the command reports success
    if scheme == "sqlite" && !url.contains(":memory:") && sqlite_file(url).is_none() {
        return Err(UnsupportedUrl {
            url: url.to_owned(),
            reason: NO_SQLITE_FILE,
        });
    }
    if let Some(feature) = missing_driver(scheme) {
        return Err(UnsupportedUrl {
            url: mask_password(url),
            reason: feature,
        });
    }
    match scheme {
        "sqlite" if url.contains("mode=") || url.contains(":memory:") => Ok(url.to_owned()),
        "sqlite" if url.contains('?') => Ok(format!("{url}&{}", mode.param())),
        "sqlite" => Ok(format!("{url}?{}", mode.param())),
        "postgres" | "postgresql" | "mysql" => Ok(url.to_owned()),
        "mariadb" => Ok(url.replacen("mariadb://", "mysql://", 1)),
        _ => Err(UnsupportedUrl {
            url: mask_password(url),
            reason: EXPECTED_SCHEMES,
        }),
    }
}

/// Why `scheme`'s driver is missing from this build, if it is: orch-core's backend features
/// (`sqlite`, `postgres`, `mysql`) choose which drivers an app compiles.
fn missing_driver(scheme: &str) -> Option<&'static str> {
    match scheme {
        "sqlite" if !cfg!(feature = "sqlite") => Some(
            "this binary was built without SQLite: enable the `sqlite` feature of orch-core \
             and orch-migrate",
        ),
        "postgres" | "postgresql" if !cfg!(feature = "postgres") => Some(
            "this binary was built without PostgreSQL: enable the `postgres` feature of \
             orch-core and orch-migrate",
        ),
        "mysql" | "mariadb" if !cfg!(feature = "mysql") => Some(
            "this binary was built without MySQL and MariaDB: enable the `mysql` feature of \
             orch-core and orch-migrate",
        ),
        _ => None,
    }
}

/// The file an SQLite URL names (`sqlite://path?...`, `sqlite:path`), or `None` for another
/// backend, an in-memory database or a URL without a path.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.trim().strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| path.into())
}

/// A server that did not answer a probe; `url` has its password masked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot connect to {url}: {reason}")]
pub struct Unreachable {
    /// The URL, password masked.
    pub url: String,
    /// The driver's reason, on one line.
    pub reason: String,
}

/// Opens one connection to the server of `url` (as [`with_sqlite_mode`] returns it) and closes
/// it again, so that a tool can say why a server cannot be reached: a pool retries a refused
/// connection until its timeout and then reports only that it timed out, which hides the
/// reason. SQLite needs no probe.
pub async fn probe(url: &str, timeout: std::time::Duration) -> Result<(), Unreachable> {
    #[allow(unused_imports)] // with neither server driver built in
    use sea_orm::sqlx::Connection as _;

    let attempt = async {
        #[cfg(feature = "mysql")]
        if url.starts_with("mysql:") {
            return sea_orm::sqlx::mysql::MySqlConnection::connect(url)
                .await?
                .close()
                .await;
        }
        #[cfg(feature = "postgres")]
        if url.starts_with("postgres") {
            return sea_orm::sqlx::postgres::PgConnection::connect(url)
                .await?
                .close()
                .await;
        }
        Ok::<(), sea_orm::sqlx::Error>(())
    };
    let reason = match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(e)) => e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        Err(_) => format!("no answer within {} seconds", timeout.as_secs()),
    };
    Err(Unreachable {
        url: mask_password(url),
        reason,
    })
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`, for messages and logs.
pub fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_the_mode_unless_they_say_one() {
        let rwc = SqliteMode::ReadWriteCreate;
        assert_eq!(
            with_sqlite_mode("sqlite://x.db", rwc).unwrap(),
            "sqlite://x.db?mode=rwc"
        );
        assert_eq!(
            with_sqlite_mode("sqlite://x.db?cache=shared", SqliteMode::ReadOnly).unwrap(),
            "sqlite://x.db?cache=shared&mode=ro"
        );
        assert_eq!(
            with_sqlite_mode(" sqlite://x.db?mode=ro ", rwc).unwrap(),
            "sqlite://x.db?mode=ro"
        );
        assert_eq!(
            with_sqlite_mode("sqlite::memory:", rwc).unwrap(),
            "sqlite::memory:"
        );
    }

    #[test]
    fn an_sqlite_url_without_a_file_is_an_error() {
        for url in [
            "sqlite://",
            "sqlite:",
            " sqlite://?mode=rwc",
            "sqlite://?cache=shared",
        ] {
            let e = with_sqlite_mode(url, SqliteMode::ReadWriteCreate).unwrap_err();
            assert!(e.to_string().contains("names no file"), "{url}: {e}");
        }
        assert_eq!(
            sqlite_file("sqlite://a/b.db?mode=ro"),
            Some("a/b.db".into())
        );
        assert_eq!(sqlite_file("sqlite:///tmp/x.db"), Some("/tmp/x.db".into()));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://h/db"), None);
    }

    #[test]
    fn servers_pass_and_mariadb_is_mysql() {
        let rw = SqliteMode::ReadWrite;
        assert_eq!(
            with_sqlite_mode("postgres://u@h/db", rw).unwrap(),
            "postgres://u@h/db"
        );
        assert_eq!(
            with_sqlite_mode("mariadb://root@h/db", rw).unwrap(),
            "mysql://root@h/db"
        );
    }

    #[test]
    fn other_schemes_are_errors_without_the_password() {
        let e = with_sqlite_mode("oracle://scott:tiger@h/db", SqliteMode::ReadOnly).unwrap_err();
        assert_eq!(e.url, "oracle://scott:***@h/db");
        assert!(e.to_string().contains("expected sqlite://"), "{e}");
    }

    #[tokio::test]
    async fn an_unreachable_server_is_named_without_its_password() {
        // nothing listens on port 1; SQLite is never probed
        let e = probe(
            "postgres://u:secret@127.0.0.1:1/db",
            std::time::Duration::from_secs(5),
        )
        .await
        .unwrap_err();
        assert_eq!(e.url, "postgres://u:***@127.0.0.1:1/db");
        assert!(!e.reason.is_empty() && !e.reason.contains('\n'), "{e}");
        probe(
            "sqlite://missing.db?mode=ro",
            std::time::Duration::from_secs(5),
        )
        .await
        .unwrap();
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_password("postgres://u:p@ss@h/d"),
            "postgres://u:***@h/d"
        );
        assert_eq!(mask_password("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(mask_password("sqlite://x.db"), "sqlite://x.db");
    }
}
