//! Applying the first migration of a synthetic catalogue of N = 10, 100, 500 and 5000 products
//! (`tests::synthetic`, the catalogue of the `generate` bench), on PostgreSQL, SQLite and
//! MariaDB:
//!
//! - `up/N`: the whole `up` command after connecting (`apply::up`: the lock, the pending
//!   migrations, the check that the database does not hold the migration's effect already, the
//!   steps in one transaction, set-based, and the record), rolled back outside the timed part;
//! - `run/N`: the steps alone, as `run` does them inside `up` (in one transaction, set-based),
//!   without the command around them (lock, records, the check for an effect already there);
//! - `stepwise/N`: the same steps one statement list per step, as `run` did before it batched
//!   them (and as Alembic runs orchestrator-core's migrations), in one transaction with the
//!   record: the baseline, in the same process, up to N = 500;
//! - `round_trip`: `SELECT 1`, the cost of one statement.
//!
//! The statements each runs are counted and printed once per N.
//!
//! Run: `cargo bench -p tests --bench apply` (needs the three backends, see the README).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use orch_core::migration::sql::statements;
use orch_core::migration::{
    DbErr, MigrationName, MigrationTrait, OwnedOp, SchemaManager, async_trait, run,
};
use orch_migrate::catalog::Catalog;
use orch_migrate::generate::prepare;
use orch_migrate::snapshot::snapshot;
use orch_migrate::{Migrator, apply};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};
use tests::pipeline::core_schema;
use tests::synthetic::{Auto, synthetic};
use tests::{Backend, TestDb, counting};

const NAME: &str = "m20990101_000000_synthetic_catalogue";

/// A list of steps, shared, so that taking it is not part of the measured work.
type Steps = Arc<Vec<OwnedOp>>;

/// The steps of the migration being measured: a generated module's `UP` and `DOWN`, planned at
/// run time for each N.
static STEPS: Mutex<Option<(Steps, Steps)>> = Mutex::new(None);

/// The upgrade's (`true`) or downgrade's steps.
fn steps(up: bool) -> Steps {
    let guard = STEPS.lock().unwrap();
    let (u, d) = guard.as_ref().expect("planned");
    if up { u.clone() } else { d.clone() }
}

struct Planned;

impl MigrationName for Planned {
    fn name(&self) -> &str {
        NAME
    }
}

// written like a generated module, whose signature async_trait needs without `<'_>`
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Planned {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &steps(true)).await
    }
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &steps(false)).await
    }
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

fn migrator() -> Migrator {
    Migrator::new(|| vec![Box::new(Planned)])
}

/// The steps of the upgrade one statement list per step, with the record, in one transaction.
async fn stepwise(conn: &DatabaseConnection) {
    let backend = conn.get_database_backend();
    let up = steps(true);
    let txn = conn.begin().await.unwrap();
    for op in up.iter() {
        for stmt in statements(op, backend) {
            txn.execute_raw(stmt.build(backend)).await.unwrap();
        }
    }
    let record = sea_orm::sea_query::Query::insert()
        .into_table("seaql_migrations")
        .columns(["version", "applied_at"])
        .values_panic([NAME.into(), chrono::Utc::now().timestamp().into()])
        .to_owned();
    txn.execute(&record).await.unwrap();
    txn.commit().await.unwrap();
}

/// Undoes either way of applying, outside the timed part, and on PostgreSQL vacuums what it
/// deleted, as autovacuum would between real migrations: thousands of rows inserted and
/// deleted every second otherwise leave the planner's statistics stale and the tables bloated,
/// and each round would measure the rounds before it.
async fn roll_back(conn: &DatabaseConnection, url: &str) {
    let rolled = apply::down(conn, url, &migrator(), Some(1)).await.unwrap();
    assert_eq!(rolled, [NAME]);
    vacuum(conn).await;
}

async fn vacuum(conn: &DatabaseConnection) {
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        conn.execute_unprepared(
            "VACUUM ANALYZE products, fixed_inputs, product_blocks, resource_types, \
             product_product_blocks, product_block_relations, product_block_resource_types, \
             seaql_migrations",
        )
        .await
        .unwrap();
    }
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for backend in [Backend::Postgres, Backend::Sqlite, Backend::MySql] {
        let Some(db) = rt.block_on(TestDb::new(backend)) else {
            eprintln!("{backend} is not reachable: nothing to measure");
            continue;
        };
        let mut conn = rt.block_on(db.connect());
        let statements = counting(&mut conn);
        rt.block_on(core_schema(&conn));
        let mut group = c.benchmark_group(format!("apply/{backend}"));
        group.sample_size(10);
        group.bench_function("round_trip", |b| {
            b.to_async(&rt).iter(|| async {
                conn.query_one_raw(Statement::from_string(
                    conn.get_database_backend(),
                    "SELECT 1",
                ))
                .await
                .unwrap()
            })
        });
        for n in [10usize, 100, 500, 5000] {
            rt.block_on(async {
                let desired = Catalog::from_registry(&synthetic(n));
                let actual = snapshot(&conn).await.unwrap();
                let (_, plan, _) = prepare(&desired, &actual, &mut Auto).unwrap().unwrap();
                *STEPS.lock().unwrap() = Some((Arc::new(plan.up), Arc::new(plan.down)));
            });
            let count = steps(true).len();
            statements.store(0, Ordering::Relaxed);
            rt.block_on(apply::up(&conn, &db.url, &migrator(), None))
                .unwrap();
            let batched = statements.swap(0, Ordering::Relaxed);
            rt.block_on(roll_back(&conn, &db.url));
            statements.store(0, Ordering::Relaxed);
            rt.block_on(stepwise(&conn));
            let one_by_one = statements.swap(0, Ordering::Relaxed);
            rt.block_on(roll_back(&conn, &db.url));
            println!(
                "{backend} N = {n}: {count} steps; up runs {batched} statements, \
                 stepwise {one_by_one}"
            );
            group.bench_with_input(BenchmarkId::new("up", n), &n, |b, _| {
                b.iter_custom(|iters| {
                    let mut total = std::time::Duration::ZERO;
                    for _ in 0..iters {
                        let start = std::time::Instant::now();
                        rt.block_on(apply::up(&conn, &db.url, &migrator(), None))
                            .unwrap();
                        total += start.elapsed();
                        rt.block_on(roll_back(&conn, &db.url));
                    }
                    total
                })
            });
            group.bench_with_input(BenchmarkId::new("run", n), &n, |b, _| {
                b.iter_custom(|iters| {
                    let (up, down) = (steps(true), steps(false));
                    let mut total = std::time::Duration::ZERO;
                    for _ in 0..iters {
                        let start = std::time::Instant::now();
                        rt.block_on(tests::pipeline::apply(&conn, &up)).unwrap();
                        total += start.elapsed();
                        rt.block_on(tests::pipeline::apply(&conn, &down)).unwrap();
                        rt.block_on(vacuum(&conn));
                    }
                    total
                })
            });
            if n <= 500 {
                group.bench_with_input(BenchmarkId::new("stepwise", n), &n, |b, _| {
                    b.iter_custom(|iters| {
                        let mut total = std::time::Duration::ZERO;
                        for _ in 0..iters {
                            let start = std::time::Instant::now();
                            rt.block_on(stepwise(&conn));
                            total += start.elapsed();
                            rt.block_on(roll_back(&conn, &db.url));
                        }
                        total
                    })
                });
            }
        }
        group.finish();
    }
}

criterion_group!(apply_benches, benches);
criterion_main!(apply_benches);
