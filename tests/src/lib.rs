//! Test support: a fresh database per test on SQLite, PostgreSQL or MariaDB.
//!
//! [`TestDb::new`] creates a database with a unique name (`orch_t_<uuid>`) on the server named by
//! `ORCH_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432`) or `ORCH_TEST_MYSQL_URL`
//! (default `mysql://root@127.0.0.1:3306`), or a temporary SQLite file, and drops it again when
//! the value is dropped, also when the test panics. Tests therefore run in parallel without
//! seeing each other.
//!
//! A server that cannot be reached makes the test skip with a message on stderr, unless `CI` is
//! set (to anything but `false` or `0`): then it fails, so that CI never passes by skipping.

use std::fmt;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend};

/// The three database systems orch supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file in a temporary directory.
    Sqlite,
    /// PostgreSQL, the production database.
    Postgres,
    /// MariaDB (MySQL protocol).
    MySql,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::MySql => "MariaDB",
        })
    }
}

impl Backend {
    /// The sea-orm backend.
    pub fn db_backend(self) -> DbBackend {
        match self {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
            Backend::MySql => DbBackend::MySql,
        }
    }

    fn server_url(self) -> Option<String> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some(
                std::env::var("ORCH_TEST_PG_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into()),
            ),
            Backend::MySql => Some(
                std::env::var("ORCH_TEST_MYSQL_URL")
                    .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into()),
            ),
        }
    }
}

/// Whether this run is CI, where a missing database server is a failure, not a skip.
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A database of its own for one test, dropped with the value.
pub struct TestDb {
    /// Which system it runs on.
    pub backend: Backend,
    /// The URL of the test database, for tools that connect themselves (the CLI).
    pub url: String,
    /// A connection to the test database.
    pub conn: DatabaseConnection,
    name: String,
    server: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A new empty database, or `None` when the server is unreachable outside CI.
    pub async fn new(backend: Backend) -> Option<TestDb> {
        let name = format!("orch_t_{}", uuid::Uuid::new_v4().simple());
        let Some(server) = backend.server_url() else {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            let conn = Database::connect(&url).await.expect("open SQLite file");
            return Some(TestDb {
                backend,
                url,
                conn,
                name,
                server: None,
                _dir: Some(dir),
            });
        };
        let admin = match Database::connect(admin_url(backend, &server)).await {
            Ok(c) => c,
            Err(e) => {
                let msg = format!("{backend} is not reachable at {server}: {e}");
                if is_ci() {
                    panic!("{msg} (CI is set: a missing backend fails the run)");
                }
                eprintln!("skipping: {msg}");
                return None;
            }
        };
        let create = match backend {
            Backend::Postgres => format!("CREATE DATABASE \"{name}\""),
            _ => format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
        };
        admin
            .execute_unprepared(&create)
            .await
            .unwrap_or_else(|e| panic!("cannot create test database on {backend}: {e}"));
        admin.close().await.ok();
        let url = format!("{}/{name}", server.trim_end_matches('/'));
        let conn = Database::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the new test database {url}: {e}"));
        Some(TestDb {
            backend,
            url,
            conn,
            name,
            server: Some(server),
            _dir: None,
        })
    }

    /// A second, independent connection to the same database.
    pub async fn connect(&self) -> DatabaseConnection {
        Database::connect(&self.url)
            .await
            .expect("connect to test database")
    }
}

fn admin_url(backend: Backend, server: &str) -> String {
    let server = server.trim_end_matches('/');
    match backend {
        Backend::Postgres => format!("{server}/postgres"),
        _ => server.to_owned(),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(server) = self.server.clone() else {
            return;
        };
        let (backend, name) = (self.backend, self.name.clone());
        // Async drop does not exist: drop the database from a thread with its own runtime, which
        // also works while a panicking test unwinds.
        let dropper = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let Ok(admin) = Database::connect(admin_url(backend, &server)).await else {
                    return;
                };
                let sql = match backend {
                    Backend::Postgres => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                    _ => format!("DROP DATABASE IF EXISTS `{name}`"),
                };
                if let Err(e) = admin.execute_unprepared(&sql).await {
                    eprintln!("warning: could not drop test database {name}: {e}");
                }
                admin.close().await.ok();
            });
        });
        let _ = dropper.join();
    }
}

/// Declares one `#[tokio::test]` per backend that calls `async fn $name(backend: Backend)`.
///
/// ```ignore
/// async fn creates_the_schema(backend: Backend) { ... }
/// tests::per_backend!(creates_the_schema);
/// ```
#[macro_export]
macro_rules! per_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::Backend::Sqlite).await
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::Backend::Postgres).await
                }
                #[tokio::test]
                async fn mariadb() {
                    super::$name($crate::Backend::MySql).await
                }
            }
        )*
    };
}
