//! `orch_migrate::apply` on real databases: concurrent runs under the lock, all-or-nothing
//! migrations, and adopting an existing orchestrator-core database.

#![allow(missing_docs)]

mod support;

use orch_core::migration::OwnedOp;
use orch_core::migration::prelude::*;
use orch_migrate::{Migrator, apply};
use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::ConnectionTrait;
use sea_orm_migration::MigratorTraitSelf;
use support::{CORE, INDEX, WORKSHOP, count, recorded, state, tables};
use tests::{Backend, TestDb};
use workshop as _;

const REFERENCE_SQL: &str = include_str!("../data/orchestrator-core-schema.sql");

/// Like `tests::per_backend!`, on a multi-threaded runtime, so that concurrent runs really
/// run at the same time.
macro_rules! per_backend_mt {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$name(tests::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    super::$name(tests::Backend::Postgres).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn mariadb() {
                    super::$name(tests::Backend::MySql).await
                }
            }
        )*
    };
}

fn workshop_migrator() -> Migrator {
    Migrator::new(workshop::migrations::migrations)
}

// ---------------------------------------------------------------------------------------------
// the lock

/// Two `up` runs started at the same moment, each on its own connection, both succeed and
/// apply each migration exactly once between them.
async fn concurrent_ups_apply_each_migration_once(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let mut runs = Vec::new();
    for _ in 0..2 {
        let conn = db.connect().await;
        let url = db.url.clone();
        let barrier = barrier.clone();
        runs.push(tokio::spawn(async move {
            barrier.wait().await;
            let result = apply::up(&conn, &url, &workshop_migrator(), None).await;
            conn.close().await.ok();
            result
        }));
    }
    let mut applied = Vec::new();
    for run in runs {
        let names = run
            .await
            .expect("the task")
            .unwrap_or_else(|e| panic!("both runs succeed on {backend}: {e:#}"));
        applied.extend(names);
    }
    applied.sort();
    assert_eq!(
        applied,
        [CORE, INDEX, WORKSHOP],
        "each applied once on {backend}"
    );
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX, WORKSHOP]);
    assert_eq!(count(&db.conn, "seaql_migrations").await, 3);
    assert_eq!(count(&db.conn, "products").await, 3, "not twice");
    assert_eq!(count(&db.conn, "fixed_inputs").await, 2);
}

// ---------------------------------------------------------------------------------------------
// all or nothing

struct HalfDone;

const HALF_DONE: &str = "m20990101_000000_half_done";

impl MigrationName for HalfDone {
    fn name(&self) -> &str {
        HALF_DONE
    }
}

/// Creates a product, then fails: the second of three fixed inputs, which run as one
/// statement, names a product that does not exist.
const UP: &[Op] = &[
    Op::CreateProduct {
        name: "Half done",
        product_type: "Half",
        description: "created by the first step",
        tag: "HALF",
        status: "active",
    },
    Op::CreateFixedInput {
        product: "Half done",
        name: "size",
        value: "small",
    },
    Op::CreateFixedInput {
        product: "No such product",
        name: "speed",
        value: "fast",
    },
    Op::CreateFixedInput {
        product: "Half done",
        name: "colour",
        value: "red",
    },
];

// written like a generated module, whose signature async_trait needs without `<'_>`
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for HalfDone {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, UP).await
    }
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        const DOWN: &[Op] = &[Op::DeleteProduct { name: "Half done" }];
        run(manager, DOWN).await
    }
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

fn half_done() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(HalfDone)]
}

/// A migration whose third step fails leaves no row of the steps before it behind, stays
/// pending, and the error names the migration and the failing step, though that step ran in
/// one statement with the steps beside it.
async fn a_failing_step_leaves_nothing_behind(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let migrator = Migrator::new(half_done);
    for attempt in 1..=2 {
        let e = apply::up(&db.conn, &db.url, &migrator, None)
            .await
            .expect_err("the second step fails");
        let msg = format!("{e:#}");
        assert!(
            msg.starts_with(&format!("{HALF_DONE} failed and was rolled back: ")),
            "{msg}"
        );
        assert!(
            msg.contains(
                r#"step 3/4 (create fixed input "speed" = "fast" on product "No such product"): "#
            ),
            "names the failing step: {msg}"
        );
        assert!(
            !msg.contains("MariaDB commits schema changes"),
            "a domain migration changes rows only: {msg}"
        );
        assert_eq!(count(&db.conn, "products").await, 0, "attempt {attempt}");
        assert_eq!(count(&db.conn, "fixed_inputs").await, 0);
        assert_eq!(
            recorded(&db.conn).await,
            [CORE, INDEX],
            "the core schema was applied before"
        );
        let pending: Vec<String> = migrator
            .get_pending_migrations(&db.conn)
            .await
            .unwrap()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        assert_eq!(pending, [HALF_DONE]);
    }
}

struct FailingDown;

const FAILING_DOWN: &str = "m20990101_000001_failing_down";

impl MigrationName for FailingDown {
    fn name(&self) -> &str {
        FAILING_DOWN
    }
}

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for FailingDown {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        const UP: &[Op] = &[Op::CreateProduct {
            name: "Undone",
            product_type: "Half",
            description: "created by up",
            tag: "UNDONE",
            status: "active",
        }];
        run(manager, UP).await
    }
    /// Deletes the product, then fails.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        const DOWN: &[Op] = &[
            Op::DeleteProduct { name: "Undone" },
            Op::CreateFixedInput {
                product: "No such product",
                name: "speed",
                value: "fast",
            },
        ];
        run(manager, DOWN).await
    }
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

/// A `down` whose second step fails leaves the first step undone: the product it deleted is
/// back, and the migration is still applied.
async fn a_failing_down_leaves_nothing_behind(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let migrator = Migrator::new(|| vec![Box::new(FailingDown)]);
    apply::up(&db.conn, &db.url, &migrator, None).await.unwrap();
    let before = state(&db.conn).await;
    let e = apply::down(&db.conn, &db.url, &migrator, Some(1))
        .await
        .expect_err("the second step fails");
    let msg = format!("{e:#}");
    assert!(
        msg.starts_with(&format!("rolling back {FAILING_DOWN} failed: ")),
        "{msg}"
    );
    assert!(msg.contains("step 2/2"), "{msg}");
    assert_eq!(state(&db.conn).await, before, "the deleted product is back");
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX, FAILING_DOWN]);
}

// ---------------------------------------------------------------------------------------------
// the index of relations by depends_on_id

/// How many indexes of `subscription_instance_relations` start with `depends_on_id`.
async fn depends_on_indexes(conn: &sea_orm::DatabaseConnection) -> i64 {
    let sql = match conn.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'subscription_instance_relations' \
             AND indexdef LIKE '%(depends_on_id)'"
        }
        sea_orm::DbBackend::MySql => {
            "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() \
             AND table_name = 'subscription_instance_relations' AND column_name = 'depends_on_id' \
             AND seq_in_index = 1"
        }
        _ => {
            "SELECT COUNT(*) FROM pragma_index_list('subscription_instance_relations') l \
             JOIN pragma_index_info(l.name) i ON i.seqno = 0 WHERE i.name = 'depends_on_id'"
        }
    };
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

/// The core schema's second migration indexes relations by `depends_on_id` (MariaDB has the
/// foreign key's index already, and gets no second one); rolling it back removes the index and
/// nothing else, and applying it again brings it back.
async fn relations_are_indexed_by_depends_on_id(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let migrator = Migrator::core_only();
    apply::up(&db.conn, &db.url, &migrator, Some(1))
        .await
        .unwrap();
    let without = depends_on_indexes(&db.conn).await;
    assert_eq!(without, i64::from(backend == Backend::MySql), "{backend}");
    apply::up(&db.conn, &db.url, &migrator, None).await.unwrap();
    assert_eq!(depends_on_indexes(&db.conn).await, 1, "{backend}");
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX]);
    apply::down(&db.conn, &db.url, &migrator, Some(1))
        .await
        .unwrap();
    assert_eq!(depends_on_indexes(&db.conn).await, without, "{backend}");
    assert_eq!(recorded(&db.conn).await, [CORE]);
}

// ---------------------------------------------------------------------------------------------
// set-based

/// Products in the large migration: more than two statements' worth of each kind of step.
const LARGE: usize = 2_500;

struct Large;

const LARGE_NAME: &str = "m20990101_000002_large";

impl MigrationName for Large {
    fn name(&self) -> &str {
        LARGE_NAME
    }
}

/// `LARGE` products, each with a fixed input and a root block: 10,000 steps up, 5,000 down.
fn large_steps(up: bool) -> Vec<OwnedOp> {
    let product = |i: usize| format!("product {i:05} 'quoted'");
    let block = |i: usize| format!("Block{i:05}");
    if !up {
        let products = (0..LARGE).map(|i| Op::DeleteProduct { name: product(i) });
        let blocks = (0..LARGE).map(|i| Op::DeleteProductBlock { name: block(i) });
        return products.chain(blocks).collect();
    }
    let mut ops: Vec<OwnedOp> = (0..LARGE)
        .map(|i| Op::CreateProduct {
            name: product(i),
            product_type: "Large".into(),
            description: format!("product {i}"),
            tag: "LARGE".into(),
            status: "active".into(),
        })
        .collect();
    ops.extend((0..LARGE).map(|i| Op::CreateFixedInput {
        product: product(i),
        name: "speed".into(),
        value: format!("{i}G"),
    }));
    ops.extend((0..LARGE).map(|i| Op::CreateProductBlock {
        name: block(i),
        description: format!("block {i}"),
        tag: None,
        status: Some("active".into()),
    }));
    ops.extend((0..LARGE).map(|i| Op::LinkProductBlock {
        product: product(i),
        block: block(i),
    }));
    ops
}

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Large {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &large_steps(true)).await
    }
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &large_steps(false)).await
    }
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

/// A migration of 10,000 steps runs in a few statements per kind of step (one per
/// `STEPS_PER_STATEMENT` steps), every row found by name and every value bound (the names
/// carry quotes); its rollback likewise.
async fn steps_of_one_kind_share_statements(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let mut conn = db.connect().await;
    let statements = tests::counting(&mut conn);
    let taken = |statements: &AtomicUsize| statements.swap(0, Ordering::Relaxed);
    let migrator = Migrator::new(|| vec![Box::new(Large)]);
    apply::up(&conn, &db.url, &migrator, Some(2)).await.unwrap();
    let core = taken(&statements);
    apply::up(&conn, &db.url, &migrator, None).await.unwrap();
    let up = taken(&statements);
    assert!(
        up < 60,
        "10,000 steps in 12 inserts, with the run's own reads and record: {up} statements"
    );
    assert!(core > up, "fewer than the core schema's {core}");
    assert_eq!(count(&db.conn, "products").await, LARGE as i64);
    assert_eq!(count(&db.conn, "fixed_inputs").await, LARGE as i64);
    assert_eq!(
        count(&db.conn, "product_product_blocks").await,
        LARGE as i64
    );
    let linked: Vec<(String, String, String)> = db
        .conn
        .query_all_raw(sea_orm::Statement::from_string(
            db.conn.get_database_backend(),
            "SELECT p.name, b.name, f.value FROM products p \
             JOIN product_product_blocks pb ON pb.product_id = p.product_id \
             JOIN product_blocks b ON b.product_block_id = pb.product_block_id \
             JOIN fixed_inputs f ON f.product_id = p.product_id \
             WHERE p.name = 'product 01234 ''quoted'''",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).unwrap(),
                row.try_get_by_index(1).unwrap(),
                row.try_get_by_index(2).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        linked,
        [(
            "product 01234 'quoted'".to_owned(),
            "Block01234".to_owned(),
            "1234G".to_owned()
        )],
        "each row found its own product and block by name"
    );

    apply::down(&conn, &db.url, &migrator, Some(1))
        .await
        .unwrap();
    let down = taken(&statements);
    assert!(down < 40, "5,000 deletes by name: {down} statements");
    assert_eq!(count(&db.conn, "products").await, 0);
    assert_eq!(count(&db.conn, "product_blocks").await, 0);
    assert_eq!(count(&db.conn, "fixed_inputs").await, 0);
    conn.close().await.ok();
}

/// A core schema that fails half-way (a later table's name is taken by another kind of object)
/// leaves no table behind on PostgreSQL and SQLite, where DDL is transactional, and says it
/// was rolled back; on MariaDB, which commits each table, it says what to do instead. After the
/// blocker is gone, `up` succeeds.
async fn a_failing_core_schema(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let (block, unblock): (&[&str], &str) = match backend {
        Backend::Postgres => (
            &["CREATE SEQUENCE processes_subscriptions"],
            "DROP SEQUENCE processes_subscriptions",
        ),
        Backend::Sqlite => (
            &[
                "CREATE TABLE blocker (x INTEGER)",
                "CREATE INDEX processes_subscriptions ON blocker (x)",
            ],
            "DROP INDEX processes_subscriptions",
        ),
        // the version trigger's name taken on another table: every table is created (and
        // committed), then the trigger fails
        Backend::MySql => (
            &[
                "CREATE TABLE blocker (x INTEGER)",
                "CREATE TRIGGER subscriptions_increment_version_trigger BEFORE UPDATE ON blocker \
                 FOR EACH ROW SET NEW.x = OLD.x",
            ],
            "DROP TRIGGER subscriptions_increment_version_trigger",
        ),
    };
    for sql in block {
        db.conn.execute_unprepared(sql).await.unwrap();
    }
    let before = tables(&db.conn).await;
    let e = apply::up(&db.conn, &db.url, &workshop_migrator(), None)
        .await
        .expect_err("the core schema fails");
    let msg = format!("{e:#}");
    if backend == Backend::MySql {
        assert!(
            msg.starts_with(&format!("{CORE} failed: ")) && msg.contains("run `recover`"),
            "{msg}"
        );
        db.conn.execute_unprepared(unblock).await.unwrap();
        // all 17 tables, without their version triggers: not adopted
        let e = apply::up(&db.conn, &db.url, &workshop_migrator(), None)
            .await
            .expect_err("the tables it left are in the way");
        let msg = format!("{e:#}");
        assert!(
            msg.contains(
                "without the version trigger(s) subscriptions_increment_version_trigger, \
                 subscription_customer_descriptions_increment_version_trigger"
            ) && msg.contains("run `recover`"),
            "{msg}"
        );
        let dropped = orch_migrate::adopt::recover(&db.conn, &db.url, &workshop_migrator())
            .await
            .unwrap();
        assert!(!dropped.is_empty());
    } else {
        assert!(
            msg.starts_with(&format!("{CORE} failed and was rolled back: ")),
            "{msg}"
        );
        let mut after = tables(&db.conn).await;
        after.retain(|t| t != "seaql_migrations");
        assert_eq!(after, before, "no core table is left");
        db.conn.execute_unprepared(unblock).await.unwrap();
    }
    assert_eq!(
        apply::up(&db.conn, &db.url, &workshop_migrator(), None)
            .await
            .unwrap(),
        [CORE, INDEX, WORKSHOP]
    );
}

// ---------------------------------------------------------------------------------------------
// adopting an existing database

/// An orchestrator-core database: its 17 tables, and alembic's version table.
async fn orchestrator_core_db() -> Option<TestDb> {
    let db = TestDb::new(Backend::Postgres).await?;
    db.conn
        .execute_unprepared(REFERENCE_SQL)
        .await
        .expect("load data/orchestrator-core-schema.sql");
    db.conn
        .execute_unprepared(
            "CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY); \
             INSERT INTO alembic_version VALUES ('4c5859620539')",
        )
        .await
        .unwrap();
    Some(db)
}

/// `up` on an orchestrator-core database records the core schema as applied instead of
/// failing on its tables, applies the app's migration, and `check` is clean.
#[tokio::test]
async fn an_orchestrator_core_database_is_adopted() {
    let Some(db) = orchestrator_core_db().await else {
        return;
    };
    let before = tables(&db.conn).await;
    assert_eq!(before.len(), 18);
    let migrator = workshop_migrator();
    let applied = apply::up(&db.conn, &db.url, &migrator, None).await.unwrap();
    assert_eq!(
        applied,
        [INDEX, WORKSHOP],
        "the core schema is adopted, not applied; orch's index is added"
    );
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX, WORKSHOP]);
    let mut after = tables(&db.conn).await;
    after.retain(|t| t != "seaql_migrations");
    assert_eq!(after, before, "no table created or dropped");
    assert_eq!(count(&db.conn, "products").await, 3);
    assert_eq!(count(&db.conn, "alembic_version").await, 1, "left alone");

    let registry = orch_core::SUBSCRIPTION_MODEL_REGISTRY.get().unwrap();
    let report = orch_migrate::check::check(&db.conn, &migrator, registry, None)
        .await
        .unwrap();
    assert!(report.is_clean(), "{}", report.text());

    // once adopted, a second run has nothing to do
    let again = apply::up(&db.conn, &db.url, &migrator, None).await.unwrap();
    assert_eq!(again, Vec::<String>::new());
}

/// A database with only some of the core tables is refused, naming the missing ones, and
/// nothing is applied: also when `products` is among them.
#[tokio::test]
async fn a_partial_orchestrator_database_is_refused() {
    for (drop, lacking, missing) in [
        (
            "DROP TABLE processes_subscriptions, processes, subscription_metadata",
            3,
            "subscription_metadata, processes, processes_subscriptions",
        ),
        ("DROP TABLE products CASCADE", 1, "products"),
    ] {
        let Some(db) = orchestrator_core_db().await else {
            return;
        };
        db.conn.execute_unprepared(drop).await.unwrap();
        let before = state(&db.conn).await;
        let e = apply::up(&db.conn, &db.url, &workshop_migrator(), None)
            .await
            .expect_err("refused");
        assert_eq!(
            format!("{e:#}"),
            format!(
                "this orchestrator-core database lacks part of the core schema: {lacking} of the \
                 17 core tables ({missing}). Bring it up to date with orchestrator-core's own \
                 migrations (`db upgrade heads`), create what is missing with `complete`, or \
                 record the core schema as applied anyway with `stamp {CORE} --force`"
            )
        );
        assert_eq!(
            state(&db.conn).await,
            before,
            "nothing written, not even seaql_migrations"
        );
        assert!(
            !tables(&db.conn)
                .await
                .contains(&"seaql_migrations".to_owned())
        );
    }
}

/// The same adoption on every backend: a core schema whose record was lost.
async fn an_unrecorded_core_schema_is_adopted(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    Migrator::core_only().up(&db.conn, None).await.unwrap();
    db.conn
        .execute_unprepared("DELETE FROM seaql_migrations")
        .await
        .unwrap();
    let before = state(&db.conn).await;
    assert!(
        orch_migrate::adopt::adopt(&db.conn, &workshop_migrator())
            .await
            .unwrap(),
        "adopted on {backend}"
    );
    assert_eq!(recorded(&db.conn).await, [CORE]);
    assert!(
        !orch_migrate::adopt::adopt(&db.conn, &workshop_migrator())
            .await
            .unwrap(),
        "only once"
    );
    let applied = apply::up(&db.conn, &db.url, &workshop_migrator(), None)
        .await
        .unwrap();
    assert_eq!(applied, [INDEX, WORKSHOP]);
    assert_ne!(state(&db.conn).await, before);
    assert_eq!(count(&db.conn, "products").await, 3);
}

per_backend_mt!(concurrent_ups_apply_each_migration_once);

tests::per_backend!(
    relations_are_indexed_by_depends_on_id,
    steps_of_one_kind_share_statements,
    a_failing_step_leaves_nothing_behind,
    a_failing_down_leaves_nothing_behind,
    a_failing_core_schema,
    an_unrecorded_core_schema_is_adopted
);
