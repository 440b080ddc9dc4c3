//! Who uses a subscription's blocks, asked of one subscription while
//! `subscription_instance_relations` holds 1,000, 10,000 and 100,000 relations of other
//! subscriptions, on PostgreSQL, with and without orch's index of relations by
//! `depends_on_id` (the core schema's second migration; dropped in the same process for the
//! baseline):
//!
//! - `check_dependants/N`: the in-use check before a transition (a user group used by one
//!   active user, asked whether it can be terminated);
//! - `load_json/N`: the subscription domain-model endpoint's document of the group, whose
//!   blocks list the instances that use them (`in_use_by_ids`).
//!
//! The on-save check that a deleted block is not used elsewhere asks the same of
//! `depends_on_id`.
//!
//! Run: `cargo bench -p tests --bench dependants` (needs PostgreSQL, see the README).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use orch_core::SubscriptionLifecycle;
use orch_core::subscription::{check_dependants, load_json};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tests::{Backend, TestDb};
use uuid::Uuid;
use workshop as _;

const INDEX: &str = "ix_subscription_instance_relations_depends_on_id";

/// A "User Group" subscription used by one active "User internal" subscription; returns the
/// group's id.
async fn group_and_user(conn: &DatabaseConnection) -> Uuid {
    let (group, user) = (Uuid::new_v4(), Uuid::new_v4());
    let (g, u) = (Uuid::new_v4(), Uuid::new_v4());
    conn.execute_unprepared(&format!(
        "INSERT INTO subscriptions (subscription_id, description, status, product_id, customer_id, insync) \
         SELECT '{group}', 'the group', 'initial', product_id, 'c', true FROM products WHERE name = 'User Group'; \
         INSERT INTO subscriptions (subscription_id, description, status, product_id, customer_id, insync) \
         SELECT '{user}', 'a user', 'active', product_id, 'c', true FROM products WHERE name = 'User internal'; \
         INSERT INTO subscription_instances (subscription_instance_id, subscription_id, product_block_id) \
         SELECT '{g}', '{group}', product_block_id FROM product_blocks WHERE name = 'UserGroupBlock'; \
         INSERT INTO subscription_instances (subscription_instance_id, subscription_id, product_block_id) \
         SELECT '{u}', '{user}', product_block_id FROM product_blocks WHERE name = 'UserBlock'; \
         INSERT INTO subscription_instance_relations (in_use_by_id, depends_on_id, order_id, domain_model_attr) \
         VALUES ('{u}', '{g}', 0, 'group')"
    ))
    .await
    .unwrap();
    group
}

/// Grows the relations to `total`: subscriptions of 20 group blocks each, chained by 19
/// relations, none touching the measured group.
async fn grow_to(conn: &DatabaseConnection, total: usize) {
    let have: i64 = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) FROM subscription_instance_relations",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    let subscriptions = (total - have as usize).div_ceil(19);
    conn.execute_unprepared(&format!(
        "CREATE TEMP TABLE filler AS \
         SELECT gen_random_uuid() AS subscription_id FROM generate_series(1, {subscriptions}); \
         INSERT INTO subscriptions (subscription_id, description, status, product_id, customer_id, insync) \
         SELECT f.subscription_id, 'filler', 'active', p.product_id, 'c', true \
         FROM filler f, products p WHERE p.name = 'User Group'; \
         CREATE TEMP TABLE filler_instances AS \
         SELECT gen_random_uuid() AS id, f.subscription_id, k FROM filler f, generate_series(1, 20) k; \
         INSERT INTO subscription_instances (subscription_instance_id, subscription_id, product_block_id) \
         SELECT i.id, i.subscription_id, b.product_block_id FROM filler_instances i, product_blocks b \
         WHERE b.name = 'UserGroupBlock'; \
         INSERT INTO subscription_instance_relations (in_use_by_id, depends_on_id, order_id, domain_model_attr) \
         SELECT a.id, b.id, 0, 'filler' FROM filler_instances a JOIN filler_instances b \
         ON b.subscription_id = a.subscription_id AND b.k = a.k + 1; \
         DROP TABLE filler; DROP TABLE filler_instances; ANALYZE"
    ))
    .await
    .unwrap();
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(TestDb::migrated(
        Backend::Postgres,
        workshop::migrations::migrations,
    )) else {
        eprintln!("PostgreSQL is not reachable: nothing to measure");
        return;
    };
    let conn = &db.conn;
    let group = rt.block_on(group_and_user(conn));
    let mut bench = c.benchmark_group("dependants/postgres");
    bench.sample_size(20);
    for n in [1_000usize, 10_000, 100_000] {
        rt.block_on(grow_to(conn, n));
        for indexed in [true, false] {
            let ddl = if indexed {
                format!(
                    "CREATE INDEX IF NOT EXISTS {INDEX} ON subscription_instance_relations (depends_on_id)"
                )
            } else {
                format!("DROP INDEX IF EXISTS {INDEX}")
            };
            rt.block_on(conn.execute_unprepared(&ddl)).unwrap();
            let label = if indexed { "indexed" } else { "unindexed" };
            bench.bench_with_input(
                BenchmarkId::new(format!("check_dependants/{label}"), n),
                &n,
                |b, _| {
                    b.to_async(&rt).iter(|| async {
                        let refused =
                            check_dependants(conn, group, SubscriptionLifecycle::Terminated)
                                .await
                                .expect_err("an active user uses the group");
                        assert!(refused.to_string().contains("a user"), "{refused}");
                    })
                },
            );
            bench.bench_with_input(
                BenchmarkId::new(format!("load_json/{label}"), n),
                &n,
                |b, _| {
                    b.to_async(&rt).iter(|| async {
                        let document = load_json(conn, group).await.unwrap();
                        assert!(document.to_string().contains("in_use_by_ids"));
                    })
                },
            );
        }
        rt.block_on(conn.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {INDEX} ON subscription_instance_relations (depends_on_id)"
        )))
        .unwrap();
    }
    bench.finish();
}

criterion_group!(dependants_benches, benches);
criterion_main!(dependants_benches);
