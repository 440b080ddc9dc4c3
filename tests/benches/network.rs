//! Loading and saving L2VPNs of the network catalogue on SQLite and PostgreSQL: nested blocks
//! (circuit -> SAPs), blocks shared with other subscriptions (each SAP's port belongs to a port
//! subscription, each port's node to a node subscription) and a bounded list (2 to 8 SAPs).
//!
//! For N = 1, 10, 100 and 1000 active L2VPNs with two SAPs each:
//! - `load/N`: `L2vpn::<Active>::from_subscriptions` of N ids, reading the ports and nodes
//!   they use too;
//! - `save_unchanged/N`: `save_all` of the N loaded L2VPNs, unchanged (it reads, then writes
//!   nothing);
//! - `save_changed/N`: `save_all` after changing each one's speed (the circuit's value rows are
//!   replaced as a whole: 4 rows per L2VPN);
//! - `insert/N`: N new L2VPNs, each from `from_product` (one query each, as an app creates
//!   them), then one `save_all`; what it created is deleted after each iteration, outside the
//!   timed part;
//! - `round_trip`: `SELECT 1`, the cost of one query.
//!
//! The number of queries of each is printed once per N: it does not grow with N, except that
//! more than 500 rows of a table (changed subscription rows included) take several statements.
//!
//! Run: `cargo bench -p tests --bench network` (PostgreSQL as for the tests; without it only
//! SQLite is measured).

use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use network::{L2vpn, L2vpnInactive, Port, SapBlock, VirtualCircuitBlock, VlanRanges};
use orch_core::{Active, BlockMeta, SubscriptionMeta};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tests::{Backend, TestDb, counting};
use uuid::Uuid;

const SIZES: [usize; 4] = [1, 10, 100, 1000];

/// On PostgreSQL, vacuums and analyzes the subscription tables, as autovacuum does in a running
/// database: each size's saves replace and add thousands of rows within seconds, and the dead
/// tuples and stale statistics they leave would slow the next size's queries, measuring this
/// benchmark's churn rather than orch.
async fn settle(conn: &DatabaseConnection) {
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        conn.execute_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "VACUUM ANALYZE subscriptions, subscription_instances, \
             subscription_instance_values, subscription_instance_relations",
        ))
        .await
        .expect("VACUUM ANALYZE");
    }
}

/// A new active L2VPN with a SAP on each of `ports`, from the meta of a new subscription.
fn l2vpn(mut meta: SubscriptionMeta<Active>, ports: &[Port], i: usize) -> L2vpn {
    meta.description = format!("bench l2vpn {i}");
    let saps = ports
        .iter()
        .map(|p| SapBlock {
            port: p.port.clone(),
            vlan: VlanRanges::single(100 + (i % 3000) as u16).unwrap(),
            ims_id: i as i64,
            meta: BlockMeta::new(),
        })
        .collect();
    L2vpn {
        virtual_circuit: VirtualCircuitBlock {
            saps,
            speed: 1000,
            speed_policer: true,
            ims_id: i as i64,
            nrm_id: i as i64,
            meta: BlockMeta::new(),
        },
        meta,
    }
}

/// `n` new active L2VPNs, each with a SAP on each of `ports`, from a template's meta (new ids).
fn l2vpns(template: &SubscriptionMeta<Active>, ports: &[Port], n: usize) -> Vec<L2vpn> {
    (0..n)
        .map(|i| {
            let mut meta = template.clone();
            meta.subscription_id = Uuid::new_v4();
            l2vpn(meta, ports, i)
        })
        .collect()
}

/// The customer of the L2VPNs `insert` creates, so that they can be deleted again.
const INSERTED: &str = "bench-insert";

/// `n` new L2VPNs as an app creates them: each from `from_product`, then one `save_all`.
async fn insert(conn: &DatabaseConnection, ports: &[Port], n: usize) {
    let mut new = Vec::with_capacity(n);
    for i in 0..n {
        let vpn: L2vpnInactive = L2vpn::from_product(conn, "l2vpn", INSERTED).await.unwrap();
        new.push(l2vpn(vpn.meta.into_lifecycle::<Active>(), ports, i));
    }
    L2vpn::save_all(conn, &mut new).await.unwrap();
}

/// Deletes what `insert` created (instances, values and relations go with their subscription).
async fn delete_inserted(conn: &DatabaseConnection) {
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        format!("DELETE FROM subscriptions WHERE customer_id = '{INSERTED}'"),
    ))
    .await
    .expect("delete the inserted L2VPNs");
}

fn backend(c: &mut Criterion, rt: &tokio::runtime::Runtime, backend: Backend) {
    let Some(db) = rt.block_on(TestDb::new(backend)) else {
        eprintln!("{backend} is not reachable: not measured");
        return;
    };
    let migrator = orch_migrate::Migrator::new(network::migrations::migrations);
    // two nodes, a port on each (and a core link and an L2VPN) as the demo builds them
    let (ports, template) = rt.block_on(async {
        orch_migrate::apply::up(&db.conn, &db.url, &migrator, None)
            .await
            .unwrap();
        let demo = network::demo::demo(&db.conn).await.unwrap();
        let vpn: L2vpnInactive = L2vpn::from_product(&db.conn, "l2vpn", "bench")
            .await
            .unwrap();
        (demo.saved.ports, vpn.meta.into_lifecycle::<Active>())
    });
    let largest = SIZES[SIZES.len() - 1];
    let mut stored = l2vpns(&template, &ports, largest);
    rt.block_on(L2vpn::save_all(&db.conn, &mut stored)).unwrap();
    let ids: Vec<Uuid> = stored.iter().map(|s| s.meta.subscription_id).collect();

    let name = match backend {
        Backend::Postgres => "postgres",
        _ => "sqlite",
    };
    let mut group = c.benchmark_group(format!("network/{name}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let conn = rt.block_on(db.connect());
    group.bench_function("round_trip", |b| {
        b.to_async(rt).iter(|| async {
            conn.query_one_raw(Statement::from_string(
                conn.get_database_backend(),
                "SELECT 1",
            ))
            .await
            .unwrap()
        })
    });

    for n in SIZES {
        rt.block_on(settle(&conn));
        let ids = &ids[..n];
        let mut counted = rt.block_on(db.connect());
        let count = counting(&mut counted);
        let (load_q, unchanged_q, changed_q, insert_q, changed_stats) = rt.block_on(async {
            let mut loaded = L2vpn::<Active>::from_subscriptions(&counted, ids)
                .await
                .unwrap();
            let load_q = count.swap(0, Ordering::Relaxed);
            let stats = L2vpn::save_all(&counted, &mut loaded).await.unwrap();
            assert_eq!(stats.statements, 0, "nothing changed");
            let unchanged_q = count.swap(0, Ordering::Relaxed);
            for s in &mut loaded {
                s.virtual_circuit.speed += 1;
            }
            let changed_stats = L2vpn::save_all(&counted, &mut loaded).await.unwrap();
            let changed_q = count.swap(0, Ordering::Relaxed);
            insert(&counted, &ports, n).await;
            let insert_q = count.swap(0, Ordering::Relaxed);
            delete_inserted(&counted).await;
            (load_q, unchanged_q, changed_q, insert_q, changed_stats)
        });
        println!(
            "{name} N = {n}: load {load_q} queries; save unchanged {unchanged_q}; \
             save changed {changed_q} ({} statements, {} values written); insert {insert_q}",
            changed_stats.statements, changed_stats.values_written
        );

        group.bench_with_input(BenchmarkId::new("load", n), &n, |b, _| {
            b.to_async(rt)
                .iter(|| L2vpn::<Active>::from_subscriptions(&conn, ids))
        });
        // the loaded subscriptions, taken out for each save and put back with their new versions
        let loaded = RefCell::new(
            rt.block_on(L2vpn::<Active>::from_subscriptions(&conn, ids))
                .unwrap(),
        );
        group.bench_with_input(BenchmarkId::new("save_unchanged", n), &n, |b, _| {
            b.to_async(rt).iter(|| async {
                let mut subs = loaded.take();
                let stats = L2vpn::save_all(&conn, &mut subs).await.unwrap();
                loaded.replace(subs);
                stats
            })
        });
        group.bench_with_input(BenchmarkId::new("save_changed", n), &n, |b, _| {
            b.to_async(rt).iter(|| async {
                let mut subs = loaded.take();
                for s in subs.iter_mut() {
                    s.virtual_circuit.speed += 1;
                }
                let stats = L2vpn::save_all(&conn, &mut subs).await.unwrap();
                loaded.replace(subs);
                stats
            })
        });
        group.bench_with_input(BenchmarkId::new("insert", n), &n, |b, _| {
            b.to_async(rt).iter_custom(|iters| {
                let (conn, ports) = (&conn, &ports);
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let start = Instant::now();
                        insert(conn, ports, n).await;
                        total += start.elapsed();
                        delete_inserted(conn).await;
                        settle(conn).await;
                    }
                    total
                }
            })
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    backend(c, &rt, Backend::Sqlite);
    backend(c, &rt, Backend::Postgres);
}

criterion_group!(network_benches, benches);
criterion_main!(network_benches);
