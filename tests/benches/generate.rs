//! `generate` and `check` on PostgreSQL for synthetic registries of N = 10, 100, 500, 5000 and
//! 10,000 products (each with a root block and one or two child blocks, 3-6 resource types per
//! block and one fixed input), built at run time as descriptors.
//!
//! - `generate/N`: the whole work of the command after connecting, as `generate::generate`
//!   does it: the migration-record checks, the catalogue built from the registry, snapshot,
//!   diff, questions, plan, render, and writing the module and `mod.rs` (into a temporary
//!   directory, emptied between iterations outside the timed part), against a database with
//!   the core schema only: the first migration of the whole catalogue;
//! - `check/N`: `check::check` as the command runs it (migration records, the directory, the
//!   catalogue, snapshot, diff) against a database that holds the catalogue (no change);
//! - `round_trip`: `SELECT 1`, the baseline cost of one query in the same process;
//! - `process/*`: whole processes of the CLI test binary (the workshop's `orch-migrate`) on a
//!   migrated database: `--version` (start and exit, the baseline), `check`, and `generate`
//!   with nothing to do; connecting, the runtime and the registry included.
//!
//! The number of queries each of the first two runs is printed once per N, with the peak
//! resident memory of a process that runs one `generate` (this bench, as a child).
//!
//! Run: `cargo bench -p tests --bench generate` (needs PostgreSQL, see the README).

use std::sync::atomic::Ordering;

use std::path::Path;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use orch_core::Registry;
use orch_migrate::catalog::Catalog;
use orch_migrate::generate::{self, Options, Outcome, prepare};
use orch_migrate::snapshot::snapshot;
use orch_migrate::{Migrator, check};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tests::memory::peak_during;
use tests::pipeline::{apply, core_schema};
use tests::synthetic::{Auto, synthetic};
use tests::{Backend, TestDb, counting};

/// The whole `generate` command after connecting: writes the module into `dir` and returns
/// its size in bytes.
async fn generate(conn: &DatabaseConnection, registry: &Registry, dir: &Path) -> u64 {
    let options = Options {
        message: "synthetic catalogue",
        now: chrono::DateTime::from_timestamp(1_764_065_700, 0).unwrap(),
        migrations_dir: dir,
        write_template: None,
        app: "orch-migrate",
    };
    match generate::generate(conn, &Migrator::core_only(), registry, &options, &mut Auto)
        .await
        .expect("generate")
    {
        Outcome::Written { path, .. } => std::fs::metadata(path).unwrap().len(),
        Outcome::NothingToDo => panic!("the catalogue is new"),
    }
}

/// Empties the migrations directory `generate` writes into.
fn empty_dir(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
}

/// The whole `check` command after connecting: is everything clean?
async fn check(conn: &DatabaseConnection, registry: &Registry, dir: &Path) -> bool {
    check::check(conn, &Migrator::core_only(), registry, Some(dir))
        .await
        .expect("check")
        .is_clean()
}

/// The CLI test binary: `orch-migrate` over the workshop.
const BIN: &str = env!("CARGO_BIN_EXE_orch-migrate-test");

/// Runs the CLI test binary to the end, checking its exit code.
fn process(url: &str, dir: &Path, args: &[&str]) {
    let out = std::process::Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", url)
        .env("ORCH_TEST_MIGRATIONS_DIR", dir)
        .env("ORCH_TEST_APP_MIGRATIONS", "workshop")
        .output()
        .expect("run the CLI");
    assert!(out.status.success(), "{args:?}: {out:?}");
}

/// Set to N in a child process of this bench: generate the first migration of N products once
/// and print the process's peak resident memory, so that it counts that work alone.
const ONE_GENERATE: &str = "ORCH_BENCH_GENERATE_ONE";

/// The child's part: one `generate` of `n` products against a new database; prints
/// `peak_kib <KiB>` (the process's peak resident memory, registry and pool included).
fn one_generate(rt: &tokio::runtime::Runtime, n: usize) {
    let db = rt
        .block_on(TestDb::new(Backend::Postgres))
        .expect("PostgreSQL");
    let registry = synthetic(n);
    let dir = tempfile::tempdir().unwrap();
    let (memory, _) = peak_during(|| {
        rt.block_on(async {
            core_schema(&db.conn).await;
            generate(&db.conn, &registry, dir.path()).await
        })
    });
    let (before, peak) = memory.expect("Linux's /proc/self/status");
    println!("before_kib {before}\npeak_kib {peak}");
}

/// Generate's peak memory for `n` products, measured in a child process of this bench.
fn generate_peak_mib(n: usize) -> u64 {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env(ONE_GENERATE, n.to_string())
        .output()
        .expect("run the bench binary as a child");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let kib: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("peak_kib "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak in {text}"));
    kib / 1024
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    if let Some(n) = std::env::var(ONE_GENERATE)
        .ok()
        .and_then(|n| n.parse().ok())
    {
        return one_generate(&rt, n);
    }
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
    let dir = tempfile::tempdir().unwrap();
    for n in [10usize, 100, 500, 5000, 10_000] {
        let registry = synthetic(n);
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
            let desired = Catalog::from_registry(&registry);
            let actual = snapshot(&full_conn).await.unwrap();
            let (_, plan, _) = prepare(&desired, &actual, &mut Auto).unwrap().unwrap();
            apply(&full_conn, &plan.up).await.unwrap();
            assert!(
                check(&full_conn, &registry, dir.path()).await,
                "the applied catalogue checks clean"
            );
        });
        let queries_generate = counting(&mut empty_conn);
        let queries_check = counting(&mut full_conn);
        let bytes = rt.block_on(generate(&empty_conn, &registry, dir.path()));
        empty_dir(dir.path());
        println!(
            "N = {n}: generate's process peaks at {} MiB resident (a process of its own, \
             the registry and the pool included)",
            generate_peak_mib(n)
        );
        rt.block_on(check(&full_conn, &registry, dir.path()));
        println!(
            "N = {n}: generate runs {} queries and writes {} KiB; check runs {} queries",
            queries_generate.load(Ordering::Relaxed),
            bytes / 1024,
            queries_check.load(Ordering::Relaxed),
        );
        group.bench_with_input(BenchmarkId::new("generate", n), &n, |b, _| {
            b.to_async(&rt).iter_batched(
                || empty_dir(dir.path()),
                |()| generate(&empty_conn, &registry, dir.path()),
                BatchSize::PerIteration,
            )
        });
        empty_dir(dir.path());
        group.bench_with_input(BenchmarkId::new("check", n), &n, |b, _| {
            b.to_async(&rt)
                .iter(|| check(&full_conn, &registry, dir.path()))
        });
    }
    // whole processes on a database at the workshop's models
    let workshop = rt
        .block_on(TestDb::migrated(
            Backend::Postgres,
            workshop::migrations::migrations,
        ))
        .expect("PostgreSQL");
    let answers = dir.path().join("answers.toml");
    std::fs::write(
        &answers,
        include_str!("../../examples/workshop/answers.toml"),
    )
    .unwrap();
    let answers = answers.to_str().unwrap();
    let workshop_dir = dir.path().join("migrations");
    std::fs::create_dir_all(&workshop_dir).unwrap();
    for (name, args) in [
        ("process/version", &["--version"][..]),
        ("process/check", &["check"][..]),
        (
            "process/generate_nothing_to_do",
            &["generate", "again", "--answers", answers][..],
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| process(&workshop.url, &workshop_dir, args))
        });
    }
    group.finish();
}

criterion_group!(generate_benches, benches);
criterion_main!(generate_benches);
