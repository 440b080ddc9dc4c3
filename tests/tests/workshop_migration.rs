//! The tutorial in Rust: generating the workshop's migration with its answers file and applying
//! it gives exactly the rows orchestrator-core's own migration writes
//! (`data/workshop-metadata.json`, recorded from orchestrator-core 5.5.0), on every backend.

#![allow(missing_docs)]

use orch_migrate::apply;
use orch_migrate::render;
use serde_json::{Value, json};
use tests::pipeline::{apply as apply_ops, core_schema, metadata, plan};
use tests::{Backend, TestDb};
use workshop as _;

const ANSWERS: &str = include_str!("../../examples/workshop/answers.toml");
const RECORDED: &str = include_str!("../data/workshop-metadata.json");

/// orchestrator-core's rows in the shape of `tests::pipeline::metadata`.
fn expected() -> Value {
    let rec: Value = serde_json::from_str(RECORDED).unwrap();
    let mut products = serde_json::Map::new();
    for (name, p) in rec["products"].as_object().unwrap() {
        products.insert(
            name.clone(),
            json!({"description": p["description"], "product_type": p["product_type"], "tag": p["tag"], "status": p["status"]}),
        );
    }
    let mut blocks = serde_json::Map::new();
    for (name, b) in rec["product_blocks"].as_object().unwrap() {
        blocks.insert(
            name.clone(),
            json!({"description": b["description"], "tag": b["tag"], "status": b["status"]}),
        );
    }
    let mut rts = serde_json::Map::new();
    for (name, r) in rec["resource_types"].as_object().unwrap() {
        rts.insert(name.clone(), r["description"].clone());
    }
    let sorted = |v: &Value| {
        let mut rows: Vec<Value> = v.as_array().unwrap().clone();
        rows.sort_by_key(|r| serde_json::to_string(r).unwrap());
        Value::Array(rows)
    };
    json!({
        "products": products,
        "product_blocks": blocks,
        "resource_types": rts,
        "fixed_inputs": sorted(&rec["fixed_inputs"]),
        "product_product_blocks": sorted(&rec["product_product_blocks"]),
        "product_block_relations": sorted(&rec["product_block_relations"]),
        "product_block_resource_types": sorted(&rec["product_block_resource_types"]),
    })
}

async fn generated_rows_match_orchestrator_core(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    core_schema(&db.conn).await;
    let empty = metadata(&db.conn).await;
    let registry = orch_core::SUBSCRIPTION_MODEL_REGISTRY.get().unwrap();
    let (changes, p) = plan(&db.conn, registry, ANSWERS).await.unwrap();
    assert_eq!(changes.create_products.len(), 3);
    apply_ops(&db.conn, &p.up).await.unwrap();
    assert_eq!(metadata(&db.conn).await, expected(), "on {backend}");
    let (again, _) = plan(&db.conn, registry, ANSWERS).await.unwrap();
    assert!(
        again.is_empty(),
        "a second generate finds nothing to do: {again:?}"
    );
    apply_ops(&db.conn, &p.down).await.unwrap();
    assert_eq!(
        metadata(&db.conn).await,
        empty,
        "down restores the empty catalogue"
    );
}

async fn the_committed_module_applies_and_checks_clean(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let migrator = orch_migrate::Migrator::new(workshop::migrations::migrations);
    let applied = apply::up(&db.conn, &db.url, &migrator, None).await.unwrap();
    assert_eq!(
        applied.len(),
        3,
        "core schema (two) and the workshop migration"
    );
    assert_eq!(metadata(&db.conn).await, expected());
    let registry = orch_core::SUBSCRIPTION_MODEL_REGISTRY.get().unwrap();
    let report = orch_migrate::check::check(&db.conn, &migrator, registry, None)
        .await
        .unwrap();
    assert!(report.is_clean(), "{}", report.text());
    assert_eq!(report.exit_code(), 0);
    let rolled = apply::down(&db.conn, &db.url, &migrator, Some(1))
        .await
        .unwrap();
    assert_eq!(rolled.len(), 1);
    let report = orch_migrate::check::check(&db.conn, &migrator, registry, None)
        .await
        .unwrap();
    assert_eq!(report.exit_code(), 2, "{}", report.text());
}

tests::per_backend!(
    generated_rows_match_orchestrator_core,
    the_committed_module_applies_and_checks_clean
);

/// The committed module is what `generate` writes today for the same answers and time: the
/// generator is deterministic and the example is up to date.
#[tokio::test]
async fn the_committed_module_is_what_generate_writes() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    core_schema(&db.conn).await;
    let registry = orch_core::SUBSCRIPTION_MODEL_REGISTRY.get().unwrap();
    let (_, p) = plan(&db.conn, registry, ANSWERS).await.unwrap();
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/workshop/src/migrations"
    );
    let modules = orch_migrate::files::existing_modules(std::path::Path::new(dir)).unwrap();
    assert_eq!(modules.len(), 1);
    let at = chrono::NaiveDateTime::parse_from_str(&modules[0][1..16], "%Y%m%d_%H%M%S")
        .unwrap()
        .and_utc();
    let rendered = render::migration(&p, "Add User and UserGroup products", at, "orch-migrate");
    assert_eq!(rendered.module, modules[0]);
    let committed = std::fs::read_to_string(format!("{dir}/{}.rs", modules[0])).unwrap();
    assert_eq!(rendered.source, committed);
    let committed_mod = std::fs::read_to_string(format!("{dir}/mod.rs")).unwrap();
    assert_eq!(render::MOD_RS, committed_mod);
}
