//! Creating, saving, loading and changing subscriptions on PostgreSQL and SQLite, measured
//! against orchestrator-core 5.5.0's figures for the same work (21 s to create and save 1,000,
//! 2.8 s to load 1,000 — 46 s with 500 products registered — and 25 s to load, change and save
//! 1,000).
//!
//! Per backend, on a database with the workshop's products and the models below:
//! - `create_save_1000/save_all`: 1,000 new "User internal" subscriptions (`from_product`,
//!   username, age, the shared user group's block) saved with one `save_all`;
//! - `create_save_1000/from_products`: the same 1,000 made with one `from_products` (one query
//!   for the product and its fixed inputs) and saved with one `save_all`;
//! - `create_save_1000/one_at_a_time`: the same, each saved with its own `save`, for
//!   comparison;
//! - `load_1000`: `User::<Active>::from_subscriptions` of 1,000 active users;
//! - `load_modify_save_1000`: load the 1,000, change each one's age, `save_all`;
//! - `list_100/load`, `list_100/modify_save`, `list_100/create_save`: one subscription whose
//!   root block has two sub-blocks and a list of 100 (orchestrator-core's "horizontal
//!   references" benchmark, with 100 instead of 10 for the save);
//! - `chain_10/load_top`: the top of a chain of 10 subscriptions, each one's block using the
//!   previous one's ("vertical references");
//! - `load_1000_with_500_products`: `load_1000` again after 500 more products (metadata and a
//!   subscription each) were added to the database. The registry holds those 500 products in
//!   every case: the binary registers them.
//!
//! Each case runs once first with a query counter (`set_metric_callback`) and prints its
//! number of statements. Subscriptions a case creates are deleted after each run, outside the
//! measured time.
//!
//! Run: `cargo bench -p tests --bench subscriptions` (PostgreSQL as for the tests; without it
//! only SQLite is measured).

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use orch_core::{
    Active, Initial, Product, Registry, SUBSCRIPTION_MODEL_REGISTRY, ValueKind, product,
    product_block,
};
use orch_migrate::answers::Answer;
use orch_migrate::catalog::Catalog;
use orch_migrate::generate::prepare;
use orch_migrate::questions::{Kind, Prompter, Question};
use orch_migrate::snapshot::snapshot;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tests::pipeline::apply;
use tests::{Backend, TestDb, counting};
use uuid::Uuid;
use workshop::{User, UserGroup, UserGroupBlock, UserInactive};

/// A block of the horizontal benchmark's list.
#[product_block(name = "BenchSubBlock")]
struct BenchSubBlock {
    #[required_from(provisioning)]
    sub_int: i64,
    sub_str: Option<String>,
}

/// The root block of the horizontal benchmark.
#[product_block(name = "BenchRootBlock")]
struct BenchRootBlock {
    root_int: Option<i64>,
    root_list: Vec<i64>,
    sub_block: BenchSubBlock,
    sub_block_2: BenchSubBlock,
    sub_block_list: Vec<BenchSubBlock>,
}

/// One subscription with many blocks.
#[product(product_type = "BenchHorizontal")]
struct BenchHorizontal {
    block: BenchRootBlock,
}

/// A link of the vertical benchmark's chain: `prev` is the previous subscription's block.
#[product_block(name = "BenchChainBlock")]
struct BenchChainBlock {
    #[required_from(provisioning)]
    chain_depth: i64,
    #[items(max = 1)]
    prev: Vec<BenchChainBlock>,
}

/// A chain of subscriptions.
#[product(product_type = "BenchVertical")]
struct BenchVertical {
    chain: BenchChainBlock,
}

/// The block of the 500 synthetic products.
#[product_block(name = "SyntheticBlock")]
struct SyntheticBlock {
    syn_text: Option<String>,
    syn_int: Option<i64>,
    syn_flags: Vec<bool>,
}

/// The product type of the 500 synthetic products.
#[product(product_type = "Synthetic")]
struct Synthetic {
    syn_speed: i64,
    syn_block: SyntheticBlock,
}

orch_core::register_products! {
    "Bench horizontal" => BenchHorizontal,
    "Bench vertical" => BenchVertical,
}

// "Synthetic 000" to "Synthetic 499": what `register_products!` does, with generated names.
macro_rules! synthetic_hundreds {
    ($($h:literal)*) => { $( synthetic_tens!($h; 0 1 2 3 4 5 6 7 8 9); )* };
}
macro_rules! synthetic_tens {
    ($h:literal; $($t:literal)*) => { $( synthetic_units!($h $t; 0 1 2 3 4 5 6 7 8 9); )* };
}
macro_rules! synthetic_units {
    ($h:literal $t:literal; $($u:literal)*) => {
        $(
            orch_core::__private::inventory::submit! {
                orch_core::registry::ProductRegistration {
                    name: concat!("Synthetic ", $h, $t, $u),
                    product_type: <Synthetic as Product>::descriptor,
                    location: orch_core::registry::Location { file: file!(), line: line!() },
                }
            }
        )*
    };
}
synthetic_hundreds!(0 1 2 3 4);

const SYNTHETIC: usize = 500;
const N: usize = 1000;
const LIST: usize = 100;
const CHAIN: usize = 10;
/// The customer of subscriptions a case creates and deletes again.
const TEMPORARY: &str = "bench-temporary";

/// Answers every question of `generate` without a person.
struct Auto;

impl Prompter for Auto {
    fn ask(&mut self, q: &Question) -> anyhow::Result<Option<Answer>> {
        Ok(Some(match &q.kind {
            Kind::Description => Answer::Text(format!("description of {}", q.key)),
            Kind::Tag => Answer::Text("BENCH".into()),
            Kind::Value(vt) => Answer::Text(match (vt.choices.first(), vt.kind) {
                (Some(choice), _) => (*choice).to_owned(),
                (None, ValueKind::Int | ValueKind::Float) => "1".into(),
                (None, _) => "x".into(),
            }),
            Kind::Rename(_) => Answer::Bool(false),
            Kind::Confirm => Answer::Bool(true),
            Kind::Status => Answer::Text("active".into()),
            Kind::OptionalValue(_) | Kind::Values(_) => return Ok(None),
        }))
    }
}

/// Generates and applies the metadata of `registry`'s products that the database lacks.
async fn metadata(conn: &DatabaseConnection, registry: &Registry) {
    let desired = Catalog::from_registry(registry);
    let actual = snapshot(conn).await.expect("snapshot");
    let (_, plan, _) = prepare(&desired, &actual, &mut Auto)
        .expect("prepare")
        .expect("every question answered");
    apply(conn, &plan.up).await.expect("apply");
}

/// The global registry without the synthetic products.
fn without_synthetic() -> Registry {
    let global = SUBSCRIPTION_MODEL_REGISTRY.get().expect("valid registry");
    Registry::from_products(
        global
            .products()
            .filter(|p| !p.name.starts_with("Synthetic "))
            .copied(),
    )
    .expect("valid registry")
}

async fn execute(conn: &DatabaseConnection, sql: &str) {
    conn.execute_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Deletes what a case created (instances, values and relations go with their subscription).
///
/// On PostgreSQL it then vacuums and analyzes the tables, as autovacuum does in a running
/// database: without that, the thousands of rows each round inserts and deletes within seconds
/// leave dead tuples and stale statistics that slow the next case's queries several times over,
/// which measures the churn of this benchmark rather than orch.
async fn clean(conn: &DatabaseConnection) {
    execute(
        conn,
        &format!("DELETE FROM subscriptions WHERE customer_id = '{TEMPORARY}'"),
    )
    .await;
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        execute(
            conn,
            "VACUUM ANALYZE subscriptions, subscription_instances, \
             subscription_instance_values, subscription_instance_relations",
        )
        .await;
    }
}

/// The time of `iters` runs of `work`, deleting what each run created outside the measured time.
async fn measured_then_cleaned<F, Fut, T>(
    conn: &DatabaseConnection,
    iters: u64,
    mut work: F,
) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        work().await;
        total += start.elapsed();
        clean(conn).await;
    }
    total
}

/// A new user in `group`, ready to save.
async fn new_user(
    conn: &DatabaseConnection,
    group: &UserGroupBlock<Initial>,
    customer: &str,
    i: usize,
) -> UserInactive {
    let mut user: UserInactive = User::from_product(conn, "User internal", customer)
        .await
        .unwrap();
    user.user.group = group.clone();
    user.user.username = Some(format!("user {i}"));
    user.user.age = Some(20 + (i % 50) as i64);
    user
}

/// 1,000 new users, saved with one `save_all`.
async fn create_save_all(conn: &DatabaseConnection, group: &UserGroupBlock<Initial>) {
    let mut users = Vec::with_capacity(N);
    for i in 0..N {
        users.push(new_user(conn, group, TEMPORARY, i).await);
    }
    User::save_all(conn, &mut users).await.unwrap();
}

/// 1,000 new users made with one `from_products` (one query), saved with one `save_all`.
async fn create_batch_save_all(conn: &DatabaseConnection, group: &UserGroupBlock<Initial>) {
    let mut users: Vec<UserInactive> =
        User::from_products(conn, (0..N).map(|_| ("User internal", TEMPORARY)))
            .await
            .unwrap();
    for (i, user) in users.iter_mut().enumerate() {
        user.user.group = group.clone();
        user.user.username = Some(format!("user {i}"));
        user.user.age = Some(20 + (i % 50) as i64);
    }
    User::save_all(conn, &mut users).await.unwrap();
}

/// 1,000 new users, each saved with its own `save`.
async fn create_save_each(conn: &DatabaseConnection, group: &UserGroupBlock<Initial>) {
    for i in 0..N {
        let mut user = new_user(conn, group, TEMPORARY, i).await;
        user.save(conn).await.unwrap();
    }
}

async fn load_users(conn: &DatabaseConnection, ids: &[Uuid]) -> Vec<User> {
    let users = User::<Active>::from_subscriptions(conn, ids).await.unwrap();
    assert_eq!(users.len(), ids.len());
    users
}

async fn load_modify_save(conn: &DatabaseConnection, ids: &[Uuid]) {
    let mut users = load_users(conn, ids).await;
    for user in &mut users {
        user.user.age = Some(user.user.age.unwrap_or(0) + 1);
    }
    let stats = User::save_all(conn, &mut users).await.unwrap();
    // one value of each: its row only, not the subscription's
    assert_eq!(stats.values_written, ids.len());
}

/// A new horizontal subscription with `LIST` blocks in its list, saved.
async fn create_horizontal(conn: &DatabaseConnection, customer: &str) -> Uuid {
    let mut sub: BenchHorizontal<Initial> =
        BenchHorizontal::from_product(conn, "Bench horizontal", customer)
            .await
            .unwrap();
    sub.block.root_int = Some(1);
    sub.block.root_list = vec![3, 1, 2];
    sub.block.sub_block.sub_int = Some(1);
    sub.block.sub_block_2.sub_int = Some(2);
    for i in 0..LIST {
        sub.block.sub_block_list.push(BenchSubBlock {
            sub_int: Some(i as i64),
            sub_str: Some(format!("sub block {i}")),
            meta: Default::default(),
        });
    }
    sub.save(conn).await.unwrap();
    sub.meta.subscription_id
}

async fn load_horizontal(conn: &DatabaseConnection, id: Uuid) -> BenchHorizontal<Initial> {
    let sub = BenchHorizontal::<Initial>::from_subscription(conn, id)
        .await
        .unwrap();
    assert_eq!(sub.block.sub_block_list.len(), LIST);
    sub
}

async fn modify_save_horizontal(conn: &DatabaseConnection, id: Uuid) {
    let mut sub = load_horizontal(conn, id).await;
    for block in &mut sub.block.sub_block_list {
        block.sub_int = block.sub_int.map(|n| n + 1);
    }
    let stats = sub.save(conn).await.unwrap();
    // the changed value of each block, not its other one
    assert_eq!(stats.values_written, LIST);
}

async fn load_top(conn: &DatabaseConnection, id: Uuid) {
    let top = BenchVertical::<Initial>::from_subscription(conn, id)
        .await
        .unwrap();
    let mut depth = 1;
    let mut block = &top.chain;
    while let [prev] = block.prev.as_slice() {
        block = prev;
        depth += 1;
    }
    assert_eq!(depth, CHAIN);
}

/// What the cases work on.
struct Fixture {
    db: TestDb,
    /// The shared user group's block.
    group: UserGroupBlock<Initial>,
    /// 1,000 active users.
    users: Vec<Uuid>,
    horizontal: Uuid,
    top: Uuid,
}

async fn fixture(backend: Backend) -> Option<Fixture> {
    let db = TestDb::new(backend).await?;
    let conn = &db.conn;
    let migrator = orch_migrate::Migrator::new(workshop::migrations::migrations);
    orch_migrate::apply::up(conn, &db.url, &migrator, None)
        .await
        .expect("workshop migration");
    metadata(conn, &without_synthetic()).await;

    let mut group = UserGroup::from_product(conn, "User Group", "bench")
        .await
        .unwrap();
    group.user_group.group_name = Some("bench users".into());
    group.save(conn).await.unwrap();
    let mut group = group
        .transition::<orch_core::Provisioning>(conn)
        .await
        .unwrap();
    group.user_group.group_id = Some(1);
    let mut group: UserGroup = group.transition::<Active>(conn).await.unwrap();
    group.save(conn).await.unwrap();
    let group_block: UserGroupBlock<Initial> = group.user_group.into_lifecycle().unwrap();

    let mut users: Vec<User> = Vec::with_capacity(N);
    for i in 0..N {
        let mut user = new_user(conn, &group_block, "bench", i).await;
        user.user.user_id = Some(i as i64);
        let user = user.into_lifecycle::<Active>().unwrap();
        users.push(user);
    }
    User::save_all(conn, &mut users).await.unwrap();
    let users = users.iter().map(|u| u.meta.subscription_id).collect();

    let horizontal = create_horizontal(conn, "bench").await;

    let mut prev: Option<BenchChainBlock<Initial>> = None;
    let mut top = Uuid::nil();
    for depth in 0..CHAIN {
        let mut sub: BenchVertical<Initial> =
            BenchVertical::from_product(conn, "Bench vertical", "bench")
                .await
                .unwrap();
        sub.chain.chain_depth = Some(depth as i64);
        sub.chain.prev = prev.take().into_iter().collect();
        sub.save(conn).await.unwrap();
        prev = Some(sub.chain.clone());
        top = sub.meta.subscription_id;
    }
    Some(Fixture {
        db,
        group: group_block,
        users,
        horizontal,
        top,
    })
}

/// 500 more products in the database, with a subscription each.
async fn add_synthetic_products(conn: &DatabaseConnection) {
    let global = SUBSCRIPTION_MODEL_REGISTRY.get().expect("valid registry");
    metadata(conn, global).await;
    let mut subs = Vec::with_capacity(SYNTHETIC);
    for i in 0..SYNTHETIC {
        let mut sub: Synthetic<Initial> =
            Synthetic::from_product(conn, format!("Synthetic {i:03}"), "bench")
                .await
                .unwrap();
        sub.syn_block.syn_text = Some(format!("synthetic {i}"));
        sub.syn_block.syn_int = Some(i as i64);
        sub.syn_block.syn_flags = vec![true, false];
        subs.push(sub);
    }
    Synthetic::save_all(conn, &mut subs).await.unwrap();
    let products = tests_count(conn, "SELECT COUNT(*) FROM products").await;
    assert_eq!(products as usize, 5 + SYNTHETIC);
}

async fn tests_count(conn: &DatabaseConnection, sql: &str) -> i64 {
    conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// Runs `work` once on a counting connection and prints its number of statements.
fn print_queries<F, Fut>(
    rt: &tokio::runtime::Runtime,
    conn: &DatabaseConnection,
    label: &str,
    work: F,
) where
    F: FnOnce(DatabaseConnection) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut counted = conn.clone();
    let count = counting(&mut counted);
    rt.block_on(async {
        work(counted).await;
        clean(conn).await;
    });
    println!("{label}: {} statements", count.load(Ordering::Relaxed));
}

fn bench_backend(c: &mut Criterion, rt: &tokio::runtime::Runtime, backend: Backend) {
    let Some(f) = rt.block_on(fixture(backend)) else {
        eprintln!("{backend} is not reachable: not measured");
        return;
    };
    // a connection of its own, so that the fixture's counters never see the cases
    let conn = rt.block_on(f.db.connect());
    let name = backend.to_string();

    let mut group = c.benchmark_group(format!("{name}/create_save_1000"));
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(N as u64));
    let g = &f.group;
    print_queries(
        rt,
        &conn,
        &format!("{name} create_save_1000/save_all"),
        |c| async move { create_save_all(&c, g).await },
    );
    group.bench_function("save_all", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let conn = conn.clone();
            async move { measured_then_cleaned(&conn, iters, || create_save_all(&conn, g)).await }
        })
    });
    print_queries(
        rt,
        &conn,
        &format!("{name} create_save_1000/from_products"),
        |c| async move { create_batch_save_all(&c, g).await },
    );
    group.bench_function("from_products", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let conn = conn.clone();
            async move {
                measured_then_cleaned(&conn, iters, || create_batch_save_all(&conn, g)).await
            }
        })
    });
    print_queries(
        rt,
        &conn,
        &format!("{name} create_save_1000/one_at_a_time"),
        |c| async move { create_save_each(&c, g).await },
    );
    group.bench_function("one_at_a_time", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let conn = conn.clone();
            async move { measured_then_cleaned(&conn, iters, || create_save_each(&conn, g)).await }
        })
    });
    group.finish();

    let mut group = c.benchmark_group(format!("{name}/users"));
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(N as u64));
    let users = &f.users;
    print_queries(rt, &conn, &format!("{name} load_1000"), |c| async move {
        load_users(&c, users).await;
    });
    group.bench_function("load_1000", |b| {
        b.to_async(rt).iter(|| load_users(&conn, users))
    });
    print_queries(
        rt,
        &conn,
        &format!("{name} load_modify_save_1000"),
        |c| async move { load_modify_save(&c, users).await },
    );
    group.bench_function("load_modify_save_1000", |b| {
        b.to_async(rt).iter(|| load_modify_save(&conn, users))
    });
    group.finish();

    let mut group = c.benchmark_group(format!("{name}/list_100"));
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let horizontal = f.horizontal;
    print_queries(
        rt,
        &conn,
        &format!("{name} list_100/load"),
        |c| async move {
            load_horizontal(&c, horizontal).await;
        },
    );
    group.bench_function("load", |b| {
        b.to_async(rt).iter(|| load_horizontal(&conn, horizontal))
    });
    print_queries(
        rt,
        &conn,
        &format!("{name} list_100/modify_save"),
        |c| async move { modify_save_horizontal(&c, horizontal).await },
    );
    group.bench_function("modify_save", |b| {
        b.to_async(rt)
            .iter(|| modify_save_horizontal(&conn, horizontal))
    });
    print_queries(
        rt,
        &conn,
        &format!("{name} list_100/create_save"),
        |c| async move {
            create_horizontal(&c, TEMPORARY).await;
        },
    );
    group.bench_function("create_save", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let conn = conn.clone();
            async move {
                measured_then_cleaned(&conn, iters, || create_horizontal(&conn, TEMPORARY)).await
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group(format!("{name}/chain_10"));
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let top = f.top;
    print_queries(
        rt,
        &conn,
        &format!("{name} chain_10/load_top"),
        |c| async move { load_top(&c, top).await },
    );
    group.bench_function("load_top", |b| b.to_async(rt).iter(|| load_top(&conn, top)));
    group.finish();

    rt.block_on(add_synthetic_products(&conn));
    let mut group = c.benchmark_group(format!("{name}/users"));
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(N as u64));
    print_queries(
        rt,
        &conn,
        &format!("{name} load_1000_with_500_products"),
        |c| async move {
            load_users(&c, users).await;
        },
    );
    group.bench_function("load_1000_with_500_products", |b| {
        b.to_async(rt).iter(|| load_users(&conn, users))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for backend in [Backend::Postgres, Backend::Sqlite] {
        bench_backend(c, &rt, backend);
    }
}

criterion_group!(subscription_benches, benches);
criterion_main!(subscription_benches);
