//! `generate` and `check` on PostgreSQL for synthetic registries of N = 10, 100, 500 and 5000
//! products (each with a root block and one or two child blocks, 3-6 resource types per block
//! and one fixed input), built at run time as descriptors.
//!
//! - `generate/N`: snapshot + diff + questions + plan + render against a database with the core
//!   schema only, i.e. the first migration of the whole catalogue;
//! - `check/N`: snapshot + diff against a database that holds the catalogue (no change);
//! - `round_trip`: `SELECT 1`, the baseline cost of one query in the same process.
//!
//! The number of queries each of the first two runs is printed once per N: it does not grow
//! with N.
//!
//! Run: `cargo bench -p tests --bench generate` (needs PostgreSQL, see the README).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use orch_core::{
    BlockDescriptor, BlockRef, Cardinality, FieldDescriptor, FieldShape, ProductTypeDescriptor,
    RegisteredProduct, Registry, Target,
};
use orch_migrate::answers::Answer;
use orch_migrate::catalog::Catalog;
use orch_migrate::diff::{Renames, diff};
use orch_migrate::generate::prepare;
use orch_migrate::questions::{Kind, Prompter, Question};
use orch_migrate::render;
use orch_migrate::snapshot::snapshot;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tests::pipeline::{apply, core_schema};
use tests::{Backend, TestDb};

fn text(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn block(
    name: String,
    seed: usize,
    rts: usize,
    children: &[&'static BlockDescriptor],
) -> &'static BlockDescriptor {
    let mut fields: Vec<FieldDescriptor> = Vec::new();
    for m in 0..rts {
        let name = text(format!("rt{:03}", (seed * 13 + m * 7) % 300));
        if fields.iter().all(|f| f.name != name) {
            fields.push(FieldDescriptor::new(name, FieldShape::value::<String>()));
        }
    }
    for (j, child) in children.iter().enumerate() {
        let members: &'static [BlockRef] = Box::leak(Box::new([BlockRef::to(child)]));
        fields.push(FieldDescriptor::new(
            text(format!("child{j}")),
            FieldShape {
                cardinality: Cardinality::One,
                target: Target::Blocks {
                    union: None,
                    members,
                },
            },
        ));
    }
    Box::leak(Box::new(BlockDescriptor {
        name: text(name),
        rust_name: "Synthetic",
        module_path: "bench",
        fields: fields.leak(),
    }))
}

/// N products as descriptors, deterministic.
fn synthetic(n: usize) -> Registry {
    let products = (0..n).map(|i| {
        let children: Vec<&'static BlockDescriptor> = (0..1 + i % 2)
            .map(|j| {
                block(
                    format!("Block{i:05}c{j}"),
                    i * 3 + j + 1,
                    3 + (i + j) % 4,
                    &[],
                )
            })
            .collect();
        let root = block(format!("Block{i:05}"), i * 3, 3 + i % 4, &children);
        let members: &'static [BlockRef] = Box::leak(Box::new([BlockRef::to(root)]));
        let fields = vec![
            FieldDescriptor::new("speed", FieldShape::value::<String>()),
            FieldDescriptor::new(
                "root",
                FieldShape {
                    cardinality: Cardinality::One,
                    target: Target::Blocks {
                        union: None,
                        members,
                    },
                },
            ),
        ];
        let product_type: &'static ProductTypeDescriptor =
            Box::leak(Box::new(ProductTypeDescriptor {
                product_type: text(format!("Type{i:05}")),
                rust_name: "Synthetic",
                module_path: "bench",
                fields: fields.leak(),
            }));
        RegisteredProduct {
            name: text(format!("product {i:05}")),
            product_type,
            location: orch_core::registry::Location {
                file: file!(),
                line: line!(),
            },
        }
    });
    Registry::from_products(products).expect("valid synthetic registry")
}

/// Answers every question without a person.
struct Auto;

impl Prompter for Auto {
    fn ask(&mut self, q: &Question) -> anyhow::Result<Option<Answer>> {
        Ok(Some(match &q.kind {
            Kind::Description => Answer::Text(format!("description of {}", q.key)),
            Kind::Tag => Answer::Text("TAG".into()),
            Kind::Value(_) => Answer::Text("10G".into()),
            Kind::Rename(_) => Answer::Bool(false),
            Kind::Confirm => Answer::Bool(true),
            Kind::Status => Answer::Text("active".into()),
            Kind::OptionalValue(_) | Kind::Values(_) => return Ok(None),
        }))
    }
}

/// The work `generate` does once the registry is built: everything but writing the file.
async fn generate(conn: &DatabaseConnection, desired: &Catalog) -> String {
    let actual = snapshot(conn).await.expect("snapshot");
    let (_, plan, _) = prepare(desired, &actual, &mut Auto)
        .expect("prepare")
        .expect("every question answered");
    let at = chrono::DateTime::from_timestamp(1_764_065_700, 0).unwrap();
    render::migration(&plan, "synthetic catalogue", at).source
}

/// What `check` does: is there anything to generate?
async fn check(conn: &DatabaseConnection, desired: &Catalog) -> bool {
    let actual = snapshot(conn).await.expect("snapshot");
    diff(desired, &actual, &Renames::declared(desired, &actual)).is_empty()
}

fn counting(conn: &mut DatabaseConnection) -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    conn.set_metric_callback(move |_| {
        c.fetch_add(1, Ordering::Relaxed);
    });
    count
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some((empty, full)) = rt.block_on(async {
        Some((
            TestDb::new(Backend::Postgres).await?,
            TestDb::new(Backend::Postgres).await?,
        ))
    }) else {
        eprintln!("PostgreSQL is not reachable: nothing to measure");
        return;
    };
    let mut group = c.benchmark_group("postgres");
    group.sample_size(10);
    group.bench_function("round_trip", |b| {
        b.to_async(&rt).iter(|| async {
            empty
                .conn
                .query_one_raw(Statement::from_string(
                    empty.conn.get_database_backend(),
                    "SELECT 1",
                ))
                .await
                .unwrap()
        })
    });
    for n in [10usize, 100, 500, 5000] {
        let desired = Catalog::from_registry(&synthetic(n));
        let (mut empty_conn, mut full_conn) = rt.block_on(async {
            let (e, f) = (empty.connect().await, full.connect().await);
            // start each N from the core schema: reset both databases
            for conn in [&e, &f] {
                for t in ["products", "product_blocks", "resource_types"] {
                    let _ = conn.execute_unprepared(&format!("DELETE FROM {t}")).await;
                }
            }
            (e, f)
        });
        rt.block_on(async {
            if n == 10 {
                core_schema(&empty_conn).await;
                core_schema(&full_conn).await;
            }
            let actual = snapshot(&full_conn).await.unwrap();
            let (_, plan, _) = prepare(&desired, &actual, &mut Auto).unwrap().unwrap();
            apply(&full_conn, &plan.up).await.unwrap();
            assert!(
                check(&full_conn, &desired).await,
                "the applied catalogue checks clean"
            );
        });
        let queries_generate = counting(&mut empty_conn);
        let queries_check = counting(&mut full_conn);
        let source = rt.block_on(generate(&empty_conn, &desired));
        rt.block_on(check(&full_conn, &desired));
        println!(
            "N = {n}: generate runs {} queries and writes {} KiB; check runs {} queries",
            queries_generate.load(Ordering::Relaxed),
            source.len() / 1024,
            queries_check.load(Ordering::Relaxed),
        );
        group.bench_with_input(BenchmarkId::new("generate", n), &n, |b, _| {
            b.to_async(&rt).iter(|| generate(&empty_conn, &desired))
        });
        group.bench_with_input(BenchmarkId::new("check", n), &n, |b, _| {
            b.to_async(&rt).iter(|| check(&full_conn, &desired))
        });
    }
    group.finish();
}

criterion_group!(generate_benches, benches);
criterion_main!(generate_benches);
