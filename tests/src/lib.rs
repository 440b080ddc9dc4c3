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

/// Says that a test is skipped, where `cargo test` shows it: straight to the process's stderr,
/// since the test harness captures `eprintln!` and shows it only for failing tests.
pub fn skip(why: &str) {
    use std::io::Write as _;
    let name = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {name}: {why}");
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
                skip(&msg);
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

    /// A fresh database with the core schema and an app's committed migrations (for example
    /// `workshop::migrations::migrations`) applied, as `orch-migrate up` leaves it.
    pub async fn migrated(
        backend: Backend,
        app: orch_core::migration::MigrationList,
    ) -> Option<TestDb> {
        let db = TestDb::new(backend).await?;
        orch_migrate::apply::up(&db.conn, &db.url, &orch_migrate::Migrator::new(app), None)
            .await
            .expect("the app's migrations apply");
        Some(db)
    }

    /// A PostgreSQL database restored from `tests/data/orchestrator-core-workshop-db.sql`: a
    /// whole orchestrator-core 5.5.0 database after the workshop, as `pg_dump` wrote it (26
    /// tables, `alembic_version`, seeded workflows, the workshop's products). Restored with
    /// `psql`, which `COPY ... FROM stdin` needs; `None` (skipped) when PostgreSQL or `psql` is
    /// missing outside CI.
    pub async fn orchestrator_core_workshop() -> Option<TestDb> {
        let db = TestDb::new(Backend::Postgres).await?;
        let dump = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/orchestrator-core-workshop-db.sql"
        );
        let (server, name) = db.url.rsplit_once('/').expect("a database URL");
        let restored = std::process::Command::new("psql")
            .args([
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &format!("{server}/{name}"),
                "-f",
                dump,
            ])
            .output();
        match restored {
            Ok(out) if out.status.success() => Some(db),
            Ok(out) => panic!(
                "psql could not restore {dump}: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => {
                let msg = format!("psql is needed to restore {dump}: {e}");
                if is_ci() {
                    panic!("{msg} (CI is set: a missing tool fails the run)");
                }
                skip(&msg);
                None
            }
        }
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

pub mod memory;
pub mod synthetic;

/// Counts the statements run on `conn` from now on, so that a test or bench can say how many a
/// piece of work takes.
pub fn counting(conn: &mut DatabaseConnection) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = count.clone();
    conn.set_metric_callback(move |_| {
        c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    count
}

/// Helpers for tests of the `generate` pipeline: apply a plan without compiling a module, and
/// read the metadata tables in a form that compares across backends.
pub mod pipeline {
    use std::collections::BTreeMap;

    use orch_core::migration::{OwnedOp, run};
    use orch_core::{ProductTypeDescriptor, RegisteredProduct, Registry};
    use orch_migrate::answers::Answers;
    use orch_migrate::catalog::Catalog;
    use orch_migrate::diff::Changes;
    use orch_migrate::generate::prepare;
    use orch_migrate::plan::Plan;
    use orch_migrate::questions::FilePrompter;
    use orch_migrate::snapshot::snapshot;
    use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};
    use sea_orm_migration::{MigratorTraitSelf, SchemaManager};
    use serde_json::{Value, json};

    /// A registry of explicit products, independent of what `inventory` collected, so that a
    /// test can hold several versions of its models.
    pub fn registry(products: &[(&'static str, &'static ProductTypeDescriptor)]) -> Registry {
        Registry::from_products(products.iter().map(|(name, d)| RegisteredProduct {
            name,
            product_type: d,
            location: orch_core::registry::Location {
                file: file!(),
                line: line!(),
            },
        }))
        .expect("valid test registry")
    }

    /// Applies the core schema.
    pub async fn core_schema(conn: &DatabaseConnection) {
        orch_migrate::Migrator::core_only()
            .up(conn, None)
            .await
            .expect("core schema");
    }

    /// Generates against the database for `registry` with the answers in `answers` (TOML), as
    /// `generate --answers` does, and returns the changes and plan without writing anything.
    pub async fn plan(
        conn: &DatabaseConnection,
        registry: &Registry,
        answers: &str,
    ) -> anyhow::Result<(Changes, Plan)> {
        let desired = Catalog::from_registry(registry);
        let actual = snapshot(conn).await?;
        let answers = Answers::parse(answers, "answers.toml", &desired)?;
        let mut prompter = FilePrompter { answers };
        match prepare(&desired, &actual, &mut prompter)? {
            Ok((changes, plan, _)) => Ok((changes, plan)),
            Err(open) => anyhow::bail!(
                "unanswered: {}",
                open.iter()
                    .map(|q| q.key.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Runs steps in one transaction, as a generated migration does.
    pub async fn apply(conn: &DatabaseConnection, ops: &[OwnedOp]) -> anyhow::Result<()> {
        let txn = conn.begin().await?;
        run(&SchemaManager::new(&txn), ops).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Plans and applies the upgrade; returns the plan for a later downgrade.
    pub async fn migrate(
        conn: &DatabaseConnection,
        registry: &Registry,
        answers: &str,
    ) -> anyhow::Result<Plan> {
        let (_, plan) = plan(conn, registry, answers).await?;
        apply(conn, &plan.up).await?;
        Ok(plan)
    }

    async fn rows(conn: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
        conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn text(row: &sea_orm::QueryResult, col: &str) -> Value {
        match row.try_get::<Option<String>>("", col).expect(col) {
            Some(s) => Value::String(s),
            None => Value::Null,
        }
    }

    /// The metadata tables by names, without ids or timestamps: equal on every backend for the
    /// same migrations, and equal before an upgrade and after its downgrade.
    pub async fn metadata(conn: &DatabaseConnection) -> Value {
        let mut products = BTreeMap::new();
        for r in rows(
            conn,
            "SELECT name, description, product_type, tag, status FROM products",
        )
        .await
        {
            let name = r.try_get::<String>("", "name").unwrap();
            products.insert(
                name,
                json!({
                    "description": text(&r, "description"),
                    "product_type": text(&r, "product_type"),
                    "tag": text(&r, "tag"),
                    "status": text(&r, "status"),
                }),
            );
        }
        let mut blocks = BTreeMap::new();
        for r in rows(
            conn,
            "SELECT name, description, tag, status FROM product_blocks",
        )
        .await
        {
            let name = r.try_get::<String>("", "name").unwrap();
            blocks.insert(
                name,
                json!({"description": text(&r, "description"), "tag": text(&r, "tag"), "status": text(&r, "status")}),
            );
        }
        let mut resource_types = BTreeMap::new();
        for r in rows(
            conn,
            "SELECT resource_type, description FROM resource_types",
        )
        .await
        {
            resource_types.insert(
                r.try_get::<String>("", "resource_type").unwrap(),
                text(&r, "description"),
            );
        }
        let list = |sql: &'static str, cols: &'static [&'static str]| async move {
            let mut out: Vec<Vec<Value>> = rows(conn, sql)
                .await
                .iter()
                .map(|r| {
                    cols.iter()
                        .map(|c| match r.try_get::<Option<i32>>("", c) {
                            Ok(Some(n)) => json!(n),
                            _ => text(r, c),
                        })
                        .collect()
                })
                .collect();
            out.sort_by_key(|v| serde_json::to_string(v).unwrap());
            out
        };
        json!({
            "products": products,
            "product_blocks": blocks,
            "resource_types": resource_types,
            "fixed_inputs": list(
                "SELECT p.name AS product, f.name AS name, f.value AS value FROM fixed_inputs f JOIN products p ON p.product_id = f.product_id",
                &["product", "name", "value"],
            ).await,
            "product_product_blocks": list(
                "SELECT p.name AS product, b.name AS block FROM product_product_blocks x JOIN products p ON p.product_id = x.product_id JOIN product_blocks b ON b.product_block_id = x.product_block_id",
                &["product", "block"],
            ).await,
            "product_block_relations": list(
                "SELECT a.name AS parent, b.name AS child, r.min AS min, r.max AS max FROM product_block_relations r JOIN product_blocks a ON a.product_block_id = r.in_use_by_id JOIN product_blocks b ON b.product_block_id = r.depends_on_id",
                &["parent", "child", "min", "max"],
            ).await,
            "product_block_resource_types": list(
                "SELECT b.name AS block, t.resource_type AS resource_type FROM product_block_resource_types x JOIN product_blocks b ON b.product_block_id = x.product_block_id JOIN resource_types t ON t.resource_type_id = x.resource_type_id",
                &["block", "resource_type"],
            ).await,
        })
    }
}
