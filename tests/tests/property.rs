//! Property test of `generate`: for random catalogues and random changes to them, on a database
//! with subscriptions, generating and applying gives a database that `check` finds clean, in
//! which every instance has every required value and child block, and whose downgrade restores
//! the metadata exactly as it was; the subscription data no step of the change names is the same
//! after up and after down as before.
//!
//! Catalogues have text and integer resource types, single, optional and list fields, list
//! bounds with minimums and maximums; changes include renames, which are answered yes or no.
//! Subscriptions are seeded with plain SQL (every field filled, lists with two elements), not
//! with the steps a migration uses. SQLite runs the most cases, PostgreSQL and MariaDB fewer.

#![allow(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};

use orch_core::{Cardinality, ValueType};
use orch_migrate::answers::Answer;
use orch_migrate::catalog::{
    Block, BlockField, BlockResourceType, Catalog, FixedInput, Product, Relation, ResourceType,
};
use orch_migrate::diff::{Renames, diff};
use orch_migrate::generate::prepare;
use orch_migrate::questions::{Kind, Prompter, Question};
use orch_migrate::snapshot::snapshot;
use proptest::prelude::*;
use sea_orm::sea_query::{Alias, Expr, QueryStatementBuilder, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tests::pipeline::{apply, core_schema, metadata};
use tests::{Backend, TestDb};
use uuid::Uuid;

/// A fixed input: its name and the name it had before, if renamed.
type FixedInputSpec = (String, Option<String>);

/// A catalogue in compact form: what the random strategies produce.
#[derive(Debug, Clone)]
struct Spec {
    /// name -> (product type, fixed inputs, root block index)
    products: BTreeMap<String, (String, Vec<FixedInputSpec>, usize)>,
    /// per block: resource types (name, cardinality, renamed_from) and children
    blocks: Vec<BlockSpec>,
}

#[derive(Debug, Clone)]
struct BlockSpec {
    rts: Vec<(String, Cardinality, Option<String>)>,
    /// The block fields.
    children: Vec<ChildSpec>,
}

/// A block field: (field name, child index (always greater, so no cycles), cardinality, min
/// and max items).
type ChildSpec = (String, usize, Cardinality, Option<u32>, Option<u32>);

const RTS: [&str; 8] = ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"];

fn block_name(i: usize) -> String {
    format!("B{i}")
}

fn card() -> impl Strategy<Value = Cardinality> {
    prop_oneof![
        3 => Just(Cardinality::One),
        1 => Just(Cardinality::Optional),
        1 => Just(Cardinality::List),
    ]
}

fn block_spec(i: usize, n: usize) -> impl Strategy<Value = BlockSpec> {
    let rts = proptest::sample::subsequence(RTS.to_vec(), 1..4)
        .prop_flat_map(|names| {
            let k = names.len();
            (Just(names), proptest::collection::vec(card(), k))
        })
        .prop_map(|(names, cards)| {
            names
                .into_iter()
                .zip(cards)
                .map(|(n, c)| (n.to_owned(), c, None))
                .collect::<Vec<_>>()
        });
    let children = if i + 1 < n {
        proptest::collection::vec(((i + 1)..n, card(), 0u32..3, 0u32..3), 0..2)
            .prop_map(|cs| {
                cs.into_iter()
                    .enumerate()
                    .map(|(j, (c, card, min, extra))| {
                        let list = card == Cardinality::List;
                        let min = (list && min > 0).then_some(min);
                        // a maximum of at least 2, so the seeded two-element lists fit
                        let max = (list && extra > 0).then(|| min.unwrap_or(0).max(2) + extra - 1);
                        (format!("child{j}"), c, card, min, max)
                    })
                    .collect::<Vec<_>>()
            })
            .boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (rts, children).prop_map(|(rts, children)| BlockSpec { rts, children })
}

fn spec() -> impl Strategy<Value = Spec> {
    (2usize..5)
        .prop_flat_map(|n| {
            let blocks: Vec<_> = (0..n).map(|i| block_spec(i, n)).collect();
            let products = proptest::collection::btree_map(
                "P[0-4]",
                (
                    prop_oneof![Just("TypeA"), Just("TypeB")],
                    proptest::sample::subsequence(vec!["f0", "f1"], 0..3),
                    0..n,
                ),
                1..4,
            );
            (blocks, products)
        })
        .prop_map(|(blocks, products)| Spec {
            products: products
                .into_iter()
                .map(|(name, (ty, fis, root))| {
                    (
                        name,
                        (
                            ty.to_owned(),
                            fis.into_iter().map(|f| (f.to_owned(), None)).collect(),
                            root,
                        ),
                    )
                })
                .collect(),
            blocks,
        })
}

/// One edit of a catalogue; a list of them is a random model change.
#[derive(Debug, Clone)]
enum Edit {
    DropProduct(usize),
    AddProduct(String, usize),
    SetType(usize),
    DropFixedInput(usize),
    AddFixedInput(usize),
    RenameFixedInput(usize),
    DropRt(usize, usize),
    AddRt(usize, usize, Cardinality),
    RenameRt(usize, usize),
    DropChild(usize),
    AddChild(usize, Cardinality, u32),
    MoveRoot(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::DropProduct),
        ("Q[0-2]", any::<usize>()).prop_map(|(n, r)| Edit::AddProduct(n, r)),
        any::<usize>().prop_map(Edit::SetType),
        any::<usize>().prop_map(Edit::DropFixedInput),
        any::<usize>().prop_map(Edit::AddFixedInput),
        any::<usize>().prop_map(Edit::RenameFixedInput),
        (any::<usize>(), any::<usize>()).prop_map(|(b, r)| Edit::DropRt(b, r)),
        (any::<usize>(), any::<usize>(), card()).prop_map(|(b, r, c)| Edit::AddRt(b, r, c)),
        (any::<usize>(), any::<usize>()).prop_map(|(b, r)| Edit::RenameRt(b, r)),
        any::<usize>().prop_map(Edit::DropChild),
        (any::<usize>(), card(), 0u32..3).prop_map(|(b, c, m)| Edit::AddChild(b, c, m)),
        (any::<usize>(), any::<usize>()).prop_map(|(p, b)| Edit::MoveRoot(p, b)),
    ]
}

fn edited(spec: &Spec, edits: &[Edit]) -> Spec {
    let mut s = spec.clone();
    // renames only make sense relative to the database: clear the old hints
    for (_, (_, fis, _)) in s.products.iter_mut() {
        for f in fis.iter_mut() {
            f.1 = None;
        }
    }
    for b in &mut s.blocks {
        for r in &mut b.rts {
            r.2 = None;
        }
    }
    let n = s.blocks.len();
    for e in edits {
        let keys: Vec<String> = s.products.keys().cloned().collect();
        let pick = |i: &usize| keys.get(i % keys.len().max(1)).cloned();
        match e {
            Edit::DropProduct(i) if s.products.len() > 1 => {
                let k = pick(i).unwrap();
                s.products.remove(&k);
            }
            Edit::AddProduct(name, root) => {
                s.products.entry(name.clone()).or_insert((
                    "TypeC".into(),
                    vec![("f0".into(), None)],
                    root % n,
                ));
            }
            Edit::SetType(i) => {
                if let Some(k) = pick(i) {
                    let p = s.products.get_mut(&k).unwrap();
                    p.0 = if p.0 == "TypeA" {
                        "TypeB".into()
                    } else {
                        "TypeA".into()
                    };
                }
            }
            Edit::DropFixedInput(i) => {
                if let Some(k) = pick(i) {
                    s.products.get_mut(&k).unwrap().1.pop();
                }
            }
            Edit::AddFixedInput(i) => {
                if let Some(k) = pick(i) {
                    let fis = &mut s.products.get_mut(&k).unwrap().1;
                    if !fis.iter().any(|f| f.0 == "f2") {
                        fis.push(("f2".into(), None));
                    }
                }
            }
            Edit::RenameFixedInput(i) => {
                if let Some(k) = pick(i) {
                    let in_db: Vec<String> = spec
                        .products
                        .get(&k)
                        .map(|p| p.1.iter().map(|f| f.0.clone()).collect())
                        .unwrap_or_default();
                    let fis = &mut s.products.get_mut(&k).unwrap().1;
                    if !fis.iter().any(|f| f.0 == "f9")
                        && !in_db.iter().any(|f| f == "f9")
                        && let Some(f) = fis.iter_mut().find(|f| in_db.contains(&f.0))
                    {
                        let old = f.0.clone();
                        *f = ("f9".into(), Some(old));
                    }
                }
            }
            Edit::DropRt(b, r) => {
                let rts = &mut s.blocks[b % n].rts;
                if rts.len() > 1 {
                    rts.remove(r % rts.len());
                }
            }
            Edit::AddRt(b, r, c) => {
                let name = RTS[r % RTS.len()];
                let rts = &mut s.blocks[b % n].rts;
                if !rts.iter().any(|x| x.0 == name) {
                    rts.push((name.into(), *c, None));
                }
            }
            Edit::RenameRt(b, r) => {
                let rts = &mut s.blocks[b % n].rts;
                let new = format!("renamed_{}", b % n);
                if !rts.iter().any(|x| x.0 == new) {
                    let i = r % rts.len();
                    if rts[i].2.is_none() && !rts[i].0.starts_with("renamed") {
                        let old = rts[i].0.clone();
                        rts[i].0 = new;
                        rts[i].2 = Some(old);
                    }
                }
            }
            Edit::DropChild(b) => {
                s.blocks[b % n].children.pop();
            }
            Edit::AddChild(b, c, min) => {
                let b = b % n;
                if b + 1 < n {
                    let children = &mut s.blocks[b].children;
                    let name = format!("child{}", children.len() + 5);
                    let min = (*c == Cardinality::List && *min > 0).then_some(*min);
                    children.push((name, n - 1, *c, min, None));
                }
            }
            Edit::MoveRoot(p, b) => {
                if let Some(k) = pick(p) {
                    s.products.get_mut(&k).unwrap().2 = b % n;
                }
            }
            _ => {}
        }
    }
    s
}

/// `r0`-`r3` hold text, `r4`-`r7` (and renamed ones) integers.
fn value_type(rt: &str) -> ValueType {
    if rt.starts_with('r') && rt[1..].parse::<u8>().is_ok_and(|n| n < 4) {
        ValueType::of::<String>()
    } else {
        ValueType::of::<i64>()
    }
}

fn string_type() -> ValueType {
    ValueType::of::<String>()
}

/// The catalogue the models of `spec` describe (only blocks reachable from a product).
fn catalog(spec: &Spec) -> Catalog {
    let mut c = Catalog::default();
    let mut reachable = BTreeSet::new();
    let mut stack: Vec<usize> = spec.products.values().map(|p| p.2).collect();
    while let Some(i) = stack.pop() {
        if reachable.insert(i) {
            stack.extend(spec.blocks[i].children.iter().map(|c| c.1));
        }
    }
    for (name, (ty, fis, root)) in &spec.products {
        c.products.insert(
            name.clone(),
            Product {
                product_type: ty.clone(),
                fixed_inputs: fis
                    .iter()
                    .map(|(f, old)| {
                        (
                            f.clone(),
                            FixedInput {
                                value_type: Some(string_type()),
                                renamed_from: old.iter().cloned().collect(),
                                ..FixedInput::default()
                            },
                        )
                    })
                    .collect(),
                blocks: [block_name(*root)].into(),
                block_fields: vec![BlockField {
                    name: "root".into(),
                    blocks: vec![block_name(*root)],
                    cardinality: Cardinality::One,
                    min_items: None,
                    max_items: None,
                    renamed_from: vec![],
                }],
                ..Product::default()
            },
        );
    }
    for i in reachable {
        let b = &spec.blocks[i];
        let mut block = Block::default();
        for (rt, card, old) in &b.rts {
            c.resource_types
                .entry(rt.clone())
                .or_insert(ResourceType::default());
            block.resource_types.insert(
                rt.clone(),
                BlockResourceType {
                    value_type: Some(value_type(rt)),
                    cardinality: Some(*card),
                    always_required: *card == Cardinality::One,
                    renamed_from: old.iter().cloned().collect(),
                    required_from: None,
                    values: 0,
                },
            );
        }
        for (field, child, card, min, max) in &b.children {
            block.block_fields.push(BlockField {
                name: field.clone(),
                blocks: vec![block_name(*child)],
                cardinality: *card,
                min_items: *min,
                max_items: *max,
                renamed_from: vec![],
            });
        }
        for child in block.block_fields.iter().flat_map(|f| f.blocks.clone()) {
            let fields: Vec<&BlockField> = block
                .block_fields
                .iter()
                .filter(|f| f.blocks.contains(&child))
                .collect();
            let rel = match fields.as_slice() {
                [f] if f.cardinality == Cardinality::List => Relation {
                    min: f.min_items.map(|m| m as i32),
                    max: f.max_items.map(|m| m as i32),
                },
                _ => Relation::default(),
            };
            block.depends_on.insert(child, rel);
        }
        c.blocks.insert(block_name(i), block);
    }
    c
}

/// Answers every question: descriptions and values from the key, tags short, possible renames
/// yes or no depending on the key (so both occur), destructive changes accepted.
struct Auto;

/// A value of `vt`'s type for the question `key`.
fn value_for(vt: &ValueType, key: &str, n: usize) -> String {
    match vt.kind {
        orch_core::ValueKind::Int => (key.len() + n).to_string(),
        _ => format!("value {n} of {key}"),
    }
}

impl Prompter for Auto {
    fn ask(&mut self, q: &Question) -> anyhow::Result<Option<Answer>> {
        let key = q.key.to_string();
        Ok(Some(match &q.kind {
            Kind::Description => Answer::Text(format!("about {} 'quoted' \\ :x", q.key)),
            Kind::Tag => Answer::Text(format!("T{}", q.key.0.len())),
            Kind::Value(vt) | Kind::OptionalValue(vt) => Answer::Text(value_for(vt, &key, 0)),
            Kind::Values(vt) => Answer::List(vec![value_for(vt, &key, 2), value_for(vt, &key, 1)]),
            Kind::Rename(options) if key.len().is_multiple_of(2) => {
                Answer::Text(options[0].clone())
            }
            Kind::Rename(_) => Answer::Bool(false),
            Kind::Confirm => Answer::Bool(true),
            Kind::Status => Answer::Text("active".into()),
        }))
    }
}

async fn exec(conn: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Inserts one row with `sea-query`, values bound.
async fn insert(conn: &DatabaseConnection, table: &str, columns: &[&str], values: Vec<SimpleExpr>) {
    let stmt = sea_orm::sea_query::Query::insert()
        .into_table(Alias::new(table))
        .columns(columns.iter().map(|c| Alias::new(*c)))
        .values_panic(values)
        .to_owned();
    let backend = conn.get_database_backend();
    let (sql, values) = match backend {
        sea_orm::DbBackend::Postgres => stmt.build(sea_orm::sea_query::PostgresQueryBuilder),
        sea_orm::DbBackend::MySql => stmt.build(sea_orm::sea_query::MysqlQueryBuilder),
        _ => stmt.build(sea_orm::sea_query::SqliteQueryBuilder),
    };
    conn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap_or_else(|e| panic!("insert into {table}: {e}"));
}

/// The id of the row of `table` whose `column` is `name`.
fn id_of(table: &str, id: &str, column: &str, name: &str) -> SimpleExpr {
    use sea_orm::sea_query::ExprTrait as _;
    SimpleExpr::SubQuery(
        None,
        Box::new(
            sea_orm::sea_query::Query::select()
                .column(Alias::new(id))
                .from(Alias::new(table))
                .and_where(Expr::col(Alias::new(column)).eq(name))
                .to_owned()
                .into_sub_query_statement(),
        ),
    )
}

/// One instance of `block` in `subscription`, with every field filled: one value per single or
/// optional resource type, two per list, one child per single or optional block field and
/// the larger of two and the minimum per list field (within the maximum). Written with plain
/// SQL, as another writer would, not with the steps a migration uses.
async fn seed_instance(
    conn: &DatabaseConnection,
    desired: &Catalog,
    subscription: Uuid,
    block: &str,
    label: String,
) -> Uuid {
    let id = Uuid::new_v4();
    insert(
        conn,
        "subscription_instances",
        &[
            "subscription_instance_id",
            "subscription_id",
            "product_block_id",
            "label",
        ],
        vec![
            id.into(),
            subscription.into(),
            id_of("product_blocks", "product_block_id", "name", block),
            label.clone().into(),
        ],
    )
    .await;
    let b = &desired.blocks[block];
    for (rt, r) in &b.resource_types {
        let vt = r.value_type.expect("typed");
        let n = if r.cardinality == Some(Cardinality::List) {
            2
        } else {
            1
        };
        for k in 0..n {
            insert(
                conn,
                "subscription_instance_values",
                &[
                    "subscription_instance_value_id",
                    "subscription_instance_id",
                    "resource_type_id",
                    "value",
                ],
                vec![
                    Uuid::now_v7().into(),
                    id.into(),
                    id_of("resource_types", "resource_type_id", "resource_type", rt),
                    value_for(&vt, &format!("{label}.{rt}"), k).into(),
                ],
            )
            .await;
        }
    }
    for f in &b.block_fields {
        let count = match f.cardinality {
            Cardinality::List => f
                .min_items
                .unwrap_or(0)
                .max(2)
                .min(f.max_items.unwrap_or(u32::MAX)),
            _ => 1,
        };
        for order in 0..count {
            let child = Box::pin(seed_instance(
                conn,
                desired,
                subscription,
                &f.blocks[0],
                format!("{label}.{}[{order}]", f.name),
            ))
            .await;
            insert(
                conn,
                "subscription_instance_relations",
                &[
                    "in_use_by_id",
                    "depends_on_id",
                    "order_id",
                    "domain_model_attr",
                ],
                vec![
                    id.into(),
                    child.into(),
                    (order as i32).into(),
                    f.name.clone().into(),
                ],
            )
            .await;
        }
    }
    id
}

/// One subscription per product with every field filled (see [`seed_instance`]).
async fn populate(conn: &DatabaseConnection, desired: &Catalog) {
    for (name, p) in &desired.products {
        let subscription = Uuid::new_v4();
        insert(
            conn,
            "subscriptions",
            &[
                "subscription_id",
                "description",
                "status",
                "product_id",
                "customer_id",
                "insync",
            ],
            vec![
                subscription.into(),
                format!("sub {name}").into(),
                "active".into(),
                id_of("products", "product_id", "name", name),
                "customer".into(),
                true.into(),
            ],
        )
        .await;
        for b in &p.blocks {
            seed_instance(conn, desired, subscription, b, format!("{name}:{b}")).await;
        }
    }
}

/// The subscription data as (subscription, instance label, block, resource type, value) and
/// (subscription, label, block) rows, sorted: free of ids, comparable across up and down.
async fn data(conn: &DatabaseConnection) -> (Vec<[String; 5]>, Vec<[String; 3]>) {
    let text = |r: &sea_orm::QueryResult, c: &str| {
        r.try_get::<Option<String>>("", c)
            .unwrap()
            .unwrap_or_default()
    };
    let mut values: Vec<[String; 5]> = exec(
        conn,
        "SELECT s.description AS sub, i.label AS label, b.name AS block, \
         t.resource_type AS rt, v.value AS value FROM subscription_instance_values v \
         JOIN subscription_instances i ON i.subscription_instance_id = v.subscription_instance_id \
         JOIN subscriptions s ON s.subscription_id = i.subscription_id \
         JOIN product_blocks b ON b.product_block_id = i.product_block_id \
         JOIN resource_types t ON t.resource_type_id = v.resource_type_id",
    )
    .await
    .iter()
    .map(|r| ["sub", "label", "block", "rt", "value"].map(|c| text(r, c)))
    .collect();
    values.sort();
    let mut instances: Vec<[String; 3]> = exec(
        conn,
        "SELECT s.description AS sub, i.label AS label, b.name AS block \
         FROM subscription_instances i \
         JOIN subscriptions s ON s.subscription_id = i.subscription_id \
         JOIN product_blocks b ON b.product_block_id = i.product_block_id",
    )
    .await
    .iter()
    .map(|r| ["sub", "label", "block"].map(|c| text(r, c)))
    .collect();
    instances.sort();
    (values, instances)
}

/// [`data`] without the rows of anything a step of `ops` names: a block, a resource type, or
/// the subscriptions of a product.
fn untouched(
    (values, instances): &(Vec<[String; 5]>, Vec<[String; 3]>),
    ops: &[orch_core::migration::OwnedOp],
) -> (Vec<[String; 5]>, Vec<[String; 3]>) {
    let named = std::cell::RefCell::new(BTreeSet::new());
    for op in ops {
        op.map(|s: &String| named.borrow_mut().insert(s.clone()));
    }
    let named = named.into_inner();
    let product = |sub: &str| sub.strip_prefix("sub ").unwrap_or(sub).to_owned();
    (
        values
            .iter()
            .filter(|[sub, _, block, rt, _]| {
                !named.contains(&product(sub)) && !named.contains(block) && !named.contains(rt)
            })
            .cloned()
            .collect(),
        instances
            .iter()
            .filter(|[sub, _, block]| !named.contains(&product(sub)) && !named.contains(block))
            .cloned()
            .collect(),
    )
}

/// Every instance has a value for each single resource type and its single child blocks.
async fn assert_complete(conn: &DatabaseConnection, desired: &Catalog) {
    for (name, b) in &desired.blocks {
        for (rt, r) in &b.resource_types {
            if r.cardinality != Some(Cardinality::One) {
                continue;
            }
            let sql = format!(
                "SELECT COUNT(*) AS n FROM subscription_instances i \
                 JOIN product_blocks b ON b.product_block_id = i.product_block_id \
                 WHERE b.name = '{name}' AND NOT EXISTS (SELECT 1 FROM subscription_instance_values v \
                 JOIN resource_types t ON t.resource_type_id = v.resource_type_id \
                 WHERE v.subscription_instance_id = i.subscription_instance_id AND t.resource_type = '{rt}')"
            );
            let n: i64 = exec(conn, &sql).await[0].try_get("", "n").unwrap();
            assert_eq!(n, 0, "instances of {name} without {rt}");
        }
        for f in &b.block_fields {
            if f.backfill_count() == 0 {
                continue;
            }
            let sql = format!(
                "SELECT COUNT(*) AS n FROM subscription_instances i \
                 JOIN product_blocks b ON b.product_block_id = i.product_block_id \
                 WHERE b.name = '{name}' AND NOT EXISTS (SELECT 1 FROM subscription_instance_relations r \
                 WHERE r.in_use_by_id = i.subscription_instance_id AND r.domain_model_attr = '{}')",
                f.name
            );
            let n: i64 = exec(conn, &sql).await[0].try_get("", "n").unwrap();
            assert_eq!(n, 0, "instances of {name} without {}", f.name);
        }
    }
}

async fn clean(conn: &DatabaseConnection, desired: &Catalog) {
    let actual = snapshot(conn).await.unwrap();
    let changes = diff(desired, &actual, &Renames::declared(desired, &actual));
    assert!(changes.is_empty(), "check is not clean: {changes:#?}");
}

async fn round_trip(backend: Backend, v1: Spec, edits: Vec<Edit>) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let conn = &db.conn;
    core_schema(conn).await;
    let desired1 = catalog(&v1);
    let actual0 = snapshot(conn).await.unwrap();
    let (_, plan1, _) = prepare(&desired1, &actual0, &mut Auto).unwrap().unwrap();
    apply(conn, &plan1.up).await.unwrap();
    clean(conn, &desired1).await;
    populate(conn, &desired1).await;
    assert_complete(conn, &desired1).await;
    let before = metadata(conn).await;
    let data_before = data(conn).await;

    let v2 = edited(&v1, &edits);
    let desired2 = catalog(&v2);
    let actual1 = snapshot(conn).await.unwrap();
    let (_, plan2, _) = prepare(&desired2, &actual1, &mut Auto).unwrap().unwrap();
    apply(conn, &plan2.up).await.unwrap_or_else(|e| {
        panic!("up failed: {e}\nplan: {:#?}", plan2.up);
    });
    clean(conn, &desired2).await;
    assert_complete(conn, &desired2).await;
    let kept = untouched(&data_before, &plan2.up);
    assert_eq!(
        untouched(&data(conn).await, &plan2.up),
        kept,
        "up leaves the data it does not name as it was\nup: {:#?}",
        plan2.up
    );

    apply(conn, &plan2.down).await.unwrap_or_else(|e| {
        panic!("down failed: {e}\nplan: {:#?}", plan2.down);
    });
    assert_eq!(
        metadata(conn).await,
        before,
        "down restores the metadata\nup: {:#?}\ndown: {:#?}",
        plan2.up,
        plan2.down
    );
    assert_eq!(
        untouched(&data(conn).await, &plan2.up),
        kept,
        "down leaves the data up does not name as it was\ndown: {:#?}",
        plan2.down
    );
    if plan2.data_loss.is_empty() {
        // nothing was lost, so the old models fit the database again
        clean(conn, &desired1).await;
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn generate_up_check_down_on_sqlite(v1 in spec(), edits in proptest::collection::vec(edit(), 1..6)) {
        runtime().block_on(round_trip(Backend::Sqlite, v1, edits));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn generate_up_check_down_on_postgres(v1 in spec(), edits in proptest::collection::vec(edit(), 1..6)) {
        runtime().block_on(round_trip(Backend::Postgres, v1, edits));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn generate_up_check_down_on_mariadb(v1 in spec(), edits in proptest::collection::vec(edit(), 1..6)) {
        runtime().block_on(round_trip(Backend::MySql, v1, edits));
    }
}
