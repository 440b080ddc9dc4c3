//! Applying and rolling back migrations: one at a time, each in its own transaction, under a
//! lock so that two runs started together apply each migration once; and the same migrations
//! as SQL text for review (`--sql`), without touching the database.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use orch_core::migration::{Step, observe};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, MockDatabase, MockExecResult, Statement,
};
use sea_orm_migration::{MigrationTrait, MigratorTraitSelf, SchemaManager};

use crate::db;
use crate::migrator::Migrator;
use crate::schema;

/// The tables of the core schema: a database that has them all is an orchestrator database.
pub const CORE_TABLES: [&str; 17] = [
    "products",
    "product_blocks",
    "resource_types",
    "fixed_inputs",
    "product_product_blocks",
    "product_block_relations",
    "product_block_resource_types",
    "workflows",
    "products_workflows",
    "subscriptions",
    "subscription_instances",
    "subscription_instance_values",
    "subscription_instance_relations",
    "subscription_customer_descriptions",
    "subscription_metadata",
    "processes",
    "processes_subscriptions",
];

/// Holds the migration lock until dropped.
pub struct MigrationLock {
    _conn: Option<DatabaseConnection>,
    _file: Option<std::fs::File>,
}

const LOCK_NAME: &str = "orch_migrate";
const PG_LOCK_KEY: i64 = 0x006f_7263_686d_6967; // "orchmig"

/// Takes the lock that serialises migration runs on one database, waiting for another run to
/// finish. PostgreSQL: an advisory lock; MariaDB: `GET_LOCK`; SQLite: a lock file next to the
/// database file (`<file>.migrate-lock`).
pub async fn lock(url: &str, backend: DbBackend) -> anyhow::Result<MigrationLock> {
    match backend {
        DbBackend::Sqlite => {
            let Some(lock_path) = sqlite_lock_path(url) else {
                return Ok(MigrationLock {
                    _conn: None,
                    _file: None,
                });
            };
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
                .map_err(|e| {
                    anyhow::anyhow!("cannot open lock file {}: {e}", lock_path.display())
                })?;
            let file = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
                .await?
                .map_err(|e| anyhow::anyhow!("cannot lock {}: {e}", lock_path.display()))?;
            Ok(MigrationLock {
                _conn: None,
                _file: Some(file),
            })
        }
        _ => {
            // a dedicated connection: advisory locks belong to a session
            let conn = db::connect_single(url).await?;
            let sql = match backend {
                DbBackend::Postgres => format!("SELECT pg_advisory_lock({PG_LOCK_KEY})"),
                _ => format!("SELECT GET_LOCK('{LOCK_NAME}', 3600)"),
            };
            match backend {
                DbBackend::Postgres => {
                    conn.execute_unprepared(&sql).await?;
                }
                _ => {
                    // GET_LOCK answers 0 when it timed out and NULL on an error, instead of
                    // failing: going on would run unlocked
                    let got = conn
                        .query_one_raw(Statement::from_string(backend, sql))
                        .await?
                        .map(|row| row.try_get_by_index::<Option<i64>>(0))
                        .transpose()?
                        .flatten();
                    if got != Some(1) {
                        anyhow::bail!(
                            "cannot take the migration lock `{LOCK_NAME}`: another run has held it for an hour"
                        );
                    }
                }
            }
            Ok(MigrationLock {
                _conn: Some(conn),
                _file: None,
            })
        }
    }
}

/// The lock file of an SQLite database: next to the file the URL names, after following
/// symlinks, so that two runs that reach one file through two paths take one lock.
fn sqlite_lock_path(url: &str) -> Option<PathBuf> {
    let path = orch_core::db_url::sqlite_file(url)?;
    // the file exists by now (the connection created it); a path that cannot be resolved is
    // used as given
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    let mut lock = path.into_os_string();
    lock.push(".migrate-lock");
    Some(PathBuf::from(lock))
}

/// The core schema migration that `up` would record as applied instead of running it (see
/// [`adopt`]): when the database has every core table and no record of that migration.
/// Read-only, for `up --sql`.
pub async fn adoptable(
    db: &DatabaseConnection,
    migrator: &Migrator,
) -> anyhow::Result<Option<String>> {
    let Some(core_name) = schema::migrations().first().map(|m| m.name().to_owned()) else {
        return Ok(None);
    };
    if migrator.recorded(db).await?.contains(&core_name) {
        return Ok(None);
    }
    let manager = SchemaManager::new(db);
    for t in CORE_TABLES {
        if !manager.has_table(t).await? {
            return Ok(None);
        }
    }
    Ok(Some(core_name))
}

/// When the database already has orchestrator-core's tables but no record of orch's core
/// schema migration (an orchestrator-core database), records that migration as applied instead
/// of failing on existing tables. Returns whether it did.
pub async fn adopt(db: &DatabaseConnection, migrator: &Migrator) -> anyhow::Result<bool> {
    let core = schema::migrations();
    let Some(core_name) = core.first().map(|m| m.name().to_owned()) else {
        return Ok(false);
    };
    let manager = SchemaManager::new(db);
    let mut missing = Vec::new();
    for t in CORE_TABLES {
        if !manager.has_table(t).await? {
            missing.push(t);
        }
    }
    if missing.len() == CORE_TABLES.len() {
        return Ok(false);
    }
    if migrator.recorded(db).await?.contains(&core_name) {
        return Ok(false);
    }
    if !missing.is_empty() {
        // refused before writing anything, not even `seaql_migrations`
        anyhow::bail!(
            "the database has {} of the {} core tables, without: {}. An earlier `up` was probably \
             interrupted while it created them (MariaDB commits each table at once): run `recover` \
             to drop the empty tables it left, then `up` again",
            CORE_TABLES.len() - missing.len(),
            CORE_TABLES.len(),
            missing.join(", ")
        );
    }
    migrator.install(db).await?;
    let stmt = sea_orm::sea_query::Query::insert()
        .into_table("seaql_migrations")
        .columns(["version", "applied_at"])
        .values_panic([core_name.into(), chrono::Utc::now().timestamp().into()])
        .to_owned();
    db.execute(&stmt).await?;
    Ok(true)
}

/// Drops the core tables that an interrupted first `up` left behind, so that `up` can create
/// the schema again: MariaDB commits each `CREATE TABLE` at once, so a run killed half-way
/// leaves some tables and no record. Only when the core schema is not recorded as applied and
/// every table it would drop is empty; otherwise nothing is dropped and the error says why.
/// Returns the tables dropped.
pub async fn recover(
    db: &DatabaseConnection,
    url: &str,
    migrator: &Migrator,
) -> anyhow::Result<Vec<&'static str>> {
    let _lock = lock(url, db.get_database_backend()).await?;
    let core = schema::migrations();
    let Some(core_name) = core.first().map(|m| m.name().to_owned()) else {
        return Ok(Vec::new());
    };
    if migrator.recorded(db).await?.contains(&core_name) {
        anyhow::bail!(
            "the core schema is recorded as applied ({core_name}): there is nothing to recover"
        );
    }
    let manager = SchemaManager::new(db);
    let mut present = Vec::new();
    for t in CORE_TABLES {
        if manager.has_table(t).await? {
            present.push(t);
        }
    }
    if present.len() == CORE_TABLES.len() {
        anyhow::bail!(
            "every core table exists: this is a whole orchestrator schema, which `up` adopts; \
             recover drops only what an interrupted `up` left"
        );
    }
    let mut holding = Vec::new();
    for t in &present {
        let count = sea_orm::sea_query::Query::select()
            .expr(sea_orm::sea_query::Expr::cust("COUNT(*)"))
            .from(*t)
            .to_owned();
        let rows: i64 = db
            .query_one(&count)
            .await?
            .map(|r| r.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or_default();
        if rows > 0 {
            holding.push(format!("{t} ({rows} rows)"));
        }
    }
    if !holding.is_empty() {
        anyhow::bail!(
            "not recovering: these tables hold data, so they were not left by an interrupted \
             `up`: {}",
            holding.join(", ")
        );
    }
    // in reverse order of creation, so that no foreign key points at a dropped table
    for t in present.iter().rev() {
        manager
            .drop_table(sea_orm::sea_query::Table::drop().table(*t).to_owned())
            .await?;
    }
    Ok(present)
}

/// Where progress goes: a bar on a terminal, nothing otherwise.
fn progress_bar(total: usize) -> ProgressBar {
    let pb =
        ProgressBar::with_draw_target(Some(total as u64), indicatif::ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb
}

static CURRENT: std::sync::Mutex<Option<ProgressBar>> = std::sync::Mutex::new(None);

fn on_step(step: Step<'_>) {
    if let Ok(guard) = CURRENT.lock()
        && let Some(pb) = guard.as_ref()
    {
        pb.set_message(format!(
            "step {}/{}: {}",
            step.index + 1,
            step.total,
            step.op
        ));
        pb.tick();
    }
}

/// Applies pending migrations (all, or the next `steps`), one at a time. Returns the names
/// applied, in order.
pub async fn up(
    db: &DatabaseConnection,
    url: &str,
    migrator: &Migrator,
    steps: Option<u32>,
) -> anyhow::Result<Vec<String>> {
    let _lock = lock(url, db.get_database_backend()).await?;
    let adopted = adopt(db, migrator).await?;
    if adopted {
        eprintln!(
            "Adopted an existing orchestrator-core database: its core schema is recorded as applied"
        );
    }
    let pending: Vec<String> = migrator
        .get_pending_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let todo: Vec<String> = match steps {
        Some(n) => pending.into_iter().take(n as usize).collect(),
        None => pending,
    };
    observe(on_step);
    let pb = progress_bar(todo.len());
    *CURRENT.lock().expect("progress lock") = Some(pb.clone());
    let mut applied = Vec::new();
    for name in &todo {
        pb.set_message(format!("applying {name}"));
        let result = migrator.up(db, Some(1)).await;
        pb.inc(1);
        if let Err(e) = result {
            pb.finish_and_clear();
            *CURRENT.lock().expect("progress lock") = None;
            let core = schema::migrations().iter().any(|m| m.name() == name);
            if core && db.get_database_backend() == DbBackend::MySql {
                anyhow::bail!(
                    "{name} failed: {e}. MariaDB commits each table as it creates it, so the core \
                     schema may be half-built: run `recover`, then `up` again"
                );
            }
            anyhow::bail!("{name} failed and was rolled back: {e}");
        }
        applied.push(name.clone());
    }
    pb.finish_and_clear();
    *CURRENT.lock().expect("progress lock") = None;
    Ok(applied)
}

/// Rolls back the last `steps` applied migrations. Returns the names rolled back, newest first.
pub async fn down(
    db: &DatabaseConnection,
    url: &str,
    migrator: &Migrator,
    steps: Option<u32>,
) -> anyhow::Result<Vec<String>> {
    let _lock = lock(url, db.get_database_backend()).await?;
    let applied: Vec<String> = migrator
        .get_applied_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let todo: Vec<String> = applied
        .into_iter()
        .rev()
        .take(steps.map_or(usize::MAX, |n| n as usize))
        .collect();
    let mut done = Vec::new();
    for name in &todo {
        migrator
            .down(db, Some(1))
            .await
            .map_err(|e| anyhow::anyhow!("rolling back {name} failed: {e}"))?;
        done.push(name.clone());
    }
    Ok(done)
}

/// Which way to render migrations as SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `up`.
    Up,
    /// `down`.
    Down,
}

/// The SQL that running `migrations` would execute on `backend`, with values written inline,
/// produced by running them against a recording mock database: nothing touches a real one.
pub async fn sql(
    migrations: &[Box<dyn MigrationTrait>],
    backend: DbBackend,
    direction: Direction,
) -> anyhow::Result<String> {
    let mut out = String::new();
    for m in migrations {
        let mock = MockDatabase::new(backend)
            .append_exec_results((0..100_000).map(|_| MockExecResult {
                last_insert_id: 0,
                rows_affected: 0,
            }))
            .into_connection();
        let manager = SchemaManager::new(&mock);
        match direction {
            Direction::Up => m.up(&manager).await?,
            Direction::Down => m.down(&manager).await?,
        }
        out.push_str(&format!(
            "-- {} {}\n",
            match direction {
                Direction::Up => "up",
                Direction::Down => "down",
            },
            m.name()
        ));
        for t in mock.into_transaction_log() {
            for s in t.statements() {
                out.push_str(&statement_text(s));
                out.push_str(";\n");
            }
        }
        out.push('\n');
    }
    Ok(out)
}

fn statement_text(s: &Statement) -> String {
    s.to_string()
}
