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
use crate::present::{self, Presence};
use crate::schema;

/// Holds the migration lock until released or dropped.
///
/// Dropping it releases an SQLite lock file at once, but a server lock only when its
/// connection is closed, which the pool does later on the runtime; [`MigrationLock::release`]
/// closes it before it returns, so that the next run in the same process does not wait.
pub struct MigrationLock {
    _conn: Option<DatabaseConnection>,
    _file: Option<std::fs::File>,
}

impl MigrationLock {
    /// Releases the lock now.
    pub async fn release(self) {
        if let Some(conn) = self._conn {
            conn.close().await.ok();
        }
    }
}

/// Runs `work` under the migration lock and releases the lock when it is done, failed or not,
/// so that the next run in the same process never waits for a lock nobody holds. (`work` is a
/// future: nothing of it runs before the lock is taken.)
pub async fn locked<T>(
    url: &str,
    backend: DbBackend,
    work: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    let held = lock(url, backend).await?;
    let result = work.await;
    held.release().await;
    result
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
/// applied or recorded (see [`up_report`]), in order.
pub async fn up(
    db: &DatabaseConnection,
    url: &str,
    migrator: &Migrator,
    steps: Option<u32>,
) -> anyhow::Result<Vec<String>> {
    Ok(up_report(db, url, migrator, steps)
        .await?
        .into_iter()
        .map(|a| a.name)
        .collect())
}

/// A migration `up` took care of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The migration.
    pub name: String,
    /// Whether its effect was already in the database, so that it was recorded, not run.
    pub already_present: bool,
}

/// Applies pending migrations (all, or the next `steps`), one at a time, each in its own
/// transaction, under the lock. A domain-model migration whose effect the database already has
/// (see [`crate::present`]) is recorded without running; one the database holds part of, or
/// contradicts, stops `up` before it writes anything for it, listing every difference.
pub async fn up_report(
    db: &DatabaseConnection,
    url: &str,
    migrator: &Migrator,
    steps: Option<u32>,
) -> anyhow::Result<Vec<Applied>> {
    locked(
        url,
        db.get_database_backend(),
        up_locked(db, migrator, steps),
    )
    .await
}

/// [`up_report`] under the lock.
async fn up_locked(
    db: &DatabaseConnection,
    migrator: &Migrator,
    steps: Option<u32>,
) -> anyhow::Result<Vec<Applied>> {
    let adopted = crate::adopt::adopt(db, migrator).await?;
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
    let finish = |pb: &ProgressBar| {
        pb.finish_and_clear();
        *CURRENT.lock().expect("progress lock") = None;
    };
    let migrations = migrator.migrations();
    // what the database holds, read again only after a migration ran
    let mut snapshot: Option<crate::catalog::Catalog> = None;
    let mut applied = Vec::new();
    for name in &todo {
        let core = schema::migrations().iter().any(|m| m.name() == name);
        if !core
            && let Some(m) = migrations.iter().find(|m| m.name() == name)
            && let Some(steps) = present::steps(m.as_ref(), db.get_database_backend()).await
        {
            if snapshot.is_none() {
                snapshot = Some(crate::snapshot::snapshot(db).await?);
            }
            let actual = snapshot.as_ref().expect("read above");
            match present::presence(&steps, actual) {
                Presence::Absent => {}
                Presence::Present => {
                    migrator.record(db, name).await?;
                    applied.push(Applied {
                        name: name.clone(),
                        already_present: true,
                    });
                    pb.inc(1);
                    continue;
                }
                Presence::Partial(differences) => {
                    finish(&pb);
                    anyhow::bail!(
                        "{}",
                        present::PartlyPresent {
                            name: name.clone(),
                            differences
                        }
                    );
                }
            }
        }
        pb.set_message(format!("applying {name}"));
        let result = migrator.up(db, Some(1)).await;
        pb.inc(1);
        snapshot = None;
        if let Err(e) = result {
            finish(&pb);
            if core && db.get_database_backend() == DbBackend::MySql {
                anyhow::bail!(
                    "{name} failed: {e}. MariaDB commits each table as it creates it, so the core \
                     schema may be half-built: run `recover`, then `up` again"
                );
            }
            anyhow::bail!("{name} failed and was rolled back: {e}");
        }
        applied.push(Applied {
            name: name.clone(),
            already_present: false,
        });
    }
    finish(&pb);
    Ok(applied)
}

/// Rolls back the last `steps` applied migrations. Returns the names rolled back, newest first.
pub async fn down(
    db: &DatabaseConnection,
    url: &str,
    migrator: &Migrator,
    steps: Option<u32>,
) -> anyhow::Result<Vec<String>> {
    locked(
        url,
        db.get_database_backend(),
        down_locked(db, migrator, steps),
    )
    .await
}

/// [`down`] under the lock.
async fn down_locked(
    db: &DatabaseConnection,
    migrator: &Migrator,
    steps: Option<u32>,
) -> anyhow::Result<Vec<String>> {
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

/// A script of what `up` (or `down`) would run on `backend`, for a DBA to run by hand: each
/// migration in its own transaction with its record in `seaql_migrations` (created first when
/// missing), values written inline. `record_only` are migrations `up` would record without
/// running (an adopted orchestrator-core schema). Produced by running the migrations against a
/// recording mock database: nothing touches a real one. Empty when there is nothing to do.
pub async fn sql(
    migrations: &[Box<dyn MigrationTrait>],
    backend: DbBackend,
    direction: Direction,
    record_only: &[String],
) -> anyhow::Result<String> {
    if migrations.is_empty() && record_only.is_empty() {
        return Ok(String::new());
    }
    let table = sea_orm_migration::seaql_migrations::Entity;
    let (begin, now) = match backend {
        DbBackend::MySql => ("START TRANSACTION", "UNIX_TIMESTAMP()"),
        DbBackend::Postgres => ("BEGIN", "CAST(EXTRACT(EPOCH FROM now()) AS bigint)"),
        _ => ("BEGIN", "CAST(strftime('%s', 'now') AS integer)"),
    };
    let q = |name: &str| match backend {
        DbBackend::MySql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    };
    let record = |name: &str| {
        format!(
            "INSERT INTO {} ({}, {}) VALUES ('{}', {now});\n",
            q("seaql_migrations"),
            q("version"),
            q("applied_at"),
            name.replace('\'', "''")
        )
    };
    let mut out = format!(
        "-- {} by hand: each migration in its own transaction, with its record in \
         seaql_migrations.\n\n",
        match direction {
            Direction::Up => "What `up` runs",
            Direction::Down => "What `down` runs",
        }
    );
    if direction == Direction::Up {
        let mut create = sea_orm::Schema::new(backend).create_table_from_entity(table);
        create.if_not_exists();
        out.push_str(&statement_text(&backend.build(&create)));
        out.push_str(";\n\n");
    }
    for name in record_only {
        out.push_str(&format!(
            "-- {name} is not run: the database has orchestrator-core's tables, so `up` records \
             it as applied\n{}\n",
            record(name)
        ));
    }
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
            "-- {} {}\n{begin};\n",
            match direction {
                Direction::Up => "up",
                Direction::Down => "down",
            },
            m.name()
        ));
        for t in mock.into_transaction_log() {
            // the savepoints `run` takes around each batch show as nested transactions: the
            // script has one transaction per migration, and a failed statement stops it
            for s in t.statements().iter().filter(|s| !is_transaction_control(s)) {
                out.push_str(&statement_text(s));
                out.push_str(";\n");
            }
        }
        match direction {
            Direction::Up => out.push_str(&record(m.name())),
            Direction::Down => out.push_str(&format!(
                "DELETE FROM {} WHERE {} = '{}';\n",
                q("seaql_migrations"),
                q("version"),
                m.name().replace('\'', "''")
            )),
        }
        out.push_str("COMMIT;\n\n");
    }
    Ok(out)
}

/// Whether `s` begins or ends a transaction, as the mock database logs them.
fn is_transaction_control(s: &Statement) -> bool {
    let sql = s.sql.trim_start().to_ascii_uppercase();
    [
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "START TRANSACTION",
        "SAVEPOINT",
        "RELEASE SAVEPOINT",
    ]
    .iter()
    .any(|keyword| sql.starts_with(keyword))
}

fn statement_text(s: &Statement) -> String {
    s.to_string()
}
