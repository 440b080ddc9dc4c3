//! Test models with every kind of field, shared by the subscription test binaries, and the
//! database they need: the core schema and the metadata of whatever the binary registered,
//! generated with `orch-migrate`'s pipeline and applied.
//!
//! Each test file registers the products itself (`register_products!`), so each binary's
//! registry holds exactly these models.

#![allow(dead_code)] // each test crate uses a part

use std::collections::BTreeMap;
use std::net::IpAddr;

use orch_core::{FieldValue, SUBSCRIPTION_MODEL_REGISTRY, block_union, product, product_block};
use orch_migrate::answers::Answer;
use orch_migrate::catalog::Catalog;
use orch_migrate::generate::prepare;
use orch_migrate::questions::{Kind, Prompter, Question};
use orch_migrate::snapshot::snapshot;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};
use tests::pipeline::{apply, core_schema};
use tests::{Backend, TestDb};
use uuid::Uuid;

/// A string enum: stored by value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FieldValue)]
pub(crate) enum Colour {
    /// `red`.
    Red,
    /// `dark blue`.
    #[value = "dark blue"]
    DarkBlue,
    /// `green`.
    Green,
}

/// An integer enum: stored as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FieldValue)]
pub(crate) enum Speed {
    /// `0`.
    #[value = 0]
    Zero,
    /// `100`.
    #[value = 100]
    Hundred,
    /// `10000`.
    #[value = 10000]
    TenThousand,
}

/// One resource type of every scalar kind.
#[product_block(name = "ScalarsBlock")]
pub(crate) struct ScalarsBlock {
    #[required_from(provisioning)]
    pub s_text: String,
    #[required_from(provisioning)]
    pub s_empty: String,
    #[required_from(provisioning)]
    pub s_i8: i8,
    #[required_from(provisioning)]
    pub s_i16: i16,
    #[required_from(provisioning)]
    pub s_i32: i32,
    #[required_from(provisioning)]
    pub s_i64: i64,
    #[required_from(provisioning)]
    pub s_u8: u8,
    #[required_from(provisioning)]
    pub s_u16: u16,
    #[required_from(provisioning)]
    pub s_u32: u32,
    #[required_from(provisioning)]
    pub s_u64: u64,
    #[required_from(provisioning)]
    pub s_bool: bool,
    #[required_from(active)]
    pub s_f64: f64,
    #[required_from(active)]
    pub s_uuid: Uuid,
    #[required_from(active)]
    pub s_ip: IpAddr,
    #[required_from(active)]
    pub s_colour: Colour,
    #[required_from(active)]
    pub s_speed: Speed,
}

/// Lists and optional values.
#[product_block(name = "ListsBlock")]
pub(crate) struct ListsBlock {
    pub l_i64: Vec<i64>,
    pub l_u8: Vec<u8>,
    pub l_bool: Vec<bool>,
    pub l_text: Vec<String>,
    pub l_colour: Vec<Colour>,
    pub l_speed: Vec<Speed>,
    pub o_text: Option<String>,
    pub o_i32: Option<i32>,
    pub o_bool: Option<bool>,
    pub o_ip: Option<IpAddr>,
}

/// A small block used in many places.
#[product_block(name = "LeafBlock")]
pub(crate) struct LeafBlock {
    #[required_from(active)]
    pub leaf_n: i64,
    pub leaf_note: Option<String>,
}

/// The other member of the union.
#[product_block(name = "OtherBlock")]
pub(crate) struct OtherBlock {
    pub other_name: Option<String>,
}

/// A leaf or another block.
#[block_union]
pub(crate) enum AnyLeaf {
    Leaf(LeafBlock),
    Other(OtherBlock),
}

/// A block two levels down.
#[product_block(name = "DeepBlock")]
pub(crate) struct DeepBlock {
    pub deep_tag: Option<String>,
    pub leaf: LeafBlock,
}

/// Nested blocks in every shape.
#[product_block(name = "NestBlock")]
pub(crate) struct NestBlock {
    pub inner: LeafBlock,
    pub maybe: Option<LeafBlock>,
    #[items(min = 2)]
    pub leaves: Vec<LeafBlock>,
    pub any: Option<AnyLeaf>,
    pub mixed: Vec<AnyLeaf>,
    pub deep: DeepBlock,
}

/// An optional root block.
#[product_block(name = "ExtraBlock")]
pub(crate) struct ExtraBlock {
    pub extra_n: Option<u32>,
}

/// Every kind of field.
#[product(product_type = "Rich")]
pub(crate) struct Rich {
    pub rich_mode: Colour,
    pub rich_flag: bool,
    pub scalars: ScalarsBlock,
    pub lists: ListsBlock,
    pub nest: NestBlock,
    pub extra: Option<ExtraBlock>,
}

/// One link of a chain of subscriptions: `prev` is the root block of the previous one.
#[product_block(name = "ChainBlock")]
pub(crate) struct ChainBlock {
    #[required_from(provisioning)]
    pub chain_depth: i64,
    #[items(max = 1)]
    pub prev: Vec<ChainBlock>,
}

/// A chain of subscriptions.
#[product(product_type = "Chain")]
pub(crate) struct Chain {
    pub chain: ChainBlock,
}

/// A block with values only a person can give.
#[product_block(name = "StrictBlock")]
pub(crate) struct StrictBlock {
    pub strict_value: String,
    pub either: AnyLeaf,
}

/// A product whose block only a person can fill: optional, so that `from_product` can make
/// the subscription (a required one is a compile error, `tests/ui/not_creatable.rs`).
#[product(product_type = "Strict")]
pub(crate) struct Strict {
    pub strict: Option<StrictBlock>,
}

/// The fixed inputs of the registered products.
pub(crate) const FIXED_INPUTS: &[(&str, &str, &str)] = &[
    ("Rich A", "rich_mode", "red"),
    ("Rich A", "rich_flag", "True"),
    ("Rich B", "rich_mode", "dark blue"),
    ("Rich B", "rich_flag", "False"),
];

/// Answers every question of `generate` without a person.
pub(crate) struct Auto;

impl Prompter for Auto {
    fn ask(&mut self, q: &Question) -> anyhow::Result<Option<Answer>> {
        let k: Vec<&str> = q.key.0.iter().map(String::as_str).collect();
        Ok(Some(match (&q.kind, k.as_slice()) {
            (Kind::Value(_), ["products", product, "fixed_inputs", name]) => {
                let value = FIXED_INPUTS
                    .iter()
                    .find(|(p, n, _)| p == product && n == name)
                    .map_or("0", |(_, _, v)| v);
                Answer::Text(value.into())
            }
            (Kind::Value(vt), _) => Answer::Text(vt.choices.first().copied().unwrap_or("0").into()),
            (Kind::Description, _) => Answer::Text(format!("description of {}", q.key)),
            (Kind::Tag, _) => Answer::Text("T".into()),
            (Kind::Rename(_), _) => Answer::Bool(false),
            (Kind::Confirm, _) => Answer::Bool(true),
            (Kind::Status, _) => Answer::Text("active".into()),
            // optional: existing instances stay without
            (Kind::OptionalValue(_) | Kind::Values(_), _) => return Ok(None),
        }))
    }
}

/// Creates the metadata of every registered product in `conn` (which has the core schema).
pub(crate) async fn create_metadata(conn: &DatabaseConnection) {
    let registry = SUBSCRIPTION_MODEL_REGISTRY.get().expect("valid registry");
    let desired = Catalog::from_registry(registry);
    let actual = snapshot(conn).await.expect("snapshot");
    let (_, plan, _) = prepare(&desired, &actual, &mut Auto)
        .expect("prepare")
        .expect("every question answered");
    apply(conn, &plan.up).await.expect("apply the metadata");
}

/// A new database on `backend` with the core schema and the metadata of the registered
/// products, or `None` when the server is not reachable outside CI.
pub(crate) async fn database(backend: Backend) -> Option<TestDb> {
    let db = TestDb::new(backend).await?;
    core_schema(&db.conn).await;
    create_metadata(&db.conn).await;
    Some(db)
}

/// `$1`, `$2`, ... placeholders for PostgreSQL, `?` for the others.
fn placeholders(conn: &DatabaseConnection, sql: &str) -> String {
    match conn.get_database_backend() {
        sea_orm::DbBackend::Postgres => sql.to_owned(),
        _ => {
            let mut out = String::with_capacity(sql.len());
            let mut chars = sql.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                    while chars.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                    }
                    out.push('?');
                } else {
                    out.push(c);
                }
            }
            out
        }
    }
}

/// Runs a query with parameters (written `$1`, `$2`, ... on every backend).
pub(crate) async fn query(
    conn: &DatabaseConnection,
    sql: &str,
    values: Vec<Value>,
) -> Vec<sea_orm::QueryResult> {
    let backend = conn.get_database_backend();
    conn.query_all_raw(Statement::from_sql_and_values(
        backend,
        placeholders(conn, sql),
        values,
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The single integer a query returns.
pub(crate) async fn count(conn: &DatabaseConnection, sql: &str, values: Vec<Value>) -> i64 {
    let rows = query(conn, sql, values).await;
    rows[0].try_get_by_index::<i64>(0).expect("a count")
}

/// The values of one instance by resource type, in the order the database returns them.
pub(crate) async fn stored_values(
    conn: &DatabaseConnection,
    instance: Uuid,
) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in query(
        conn,
        "SELECT t.resource_type AS rt, v.value AS value FROM subscription_instance_values v \
         JOIN resource_types t ON t.resource_type_id = v.resource_type_id \
         WHERE v.subscription_instance_id = $1 ORDER BY v.subscription_instance_value_id",
        vec![instance.into()],
    )
    .await
    {
        out.entry(row.try_get("", "rt").unwrap())
            .or_default()
            .push(row.try_get("", "value").unwrap());
    }
    out
}

/// Text that breaks naive quoting, placeholders and encodings.
pub(crate) const TRICKY: &str = "it's \"quoted\" \\ back\\slash\nnew line\ttab, ünïcødé 🚀, :param $1 ? %s '; DROP TABLE products; --";

/// A new leaf.
pub(crate) fn leaf<L: orch_core::Lifecycle>(
    n: orch_core::RequiredFromActive<L, i64>,
    note: Option<&str>,
) -> LeafBlock<L> {
    LeafBlock {
        leaf_n: n,
        leaf_note: note.map(str::to_owned),
        meta: Default::default(),
    }
}

/// A new other block.
pub(crate) fn other<L: orch_core::Lifecycle>(name: Option<&str>) -> OtherBlock<L> {
    OtherBlock {
        other_name: name.map(str::to_owned),
        meta: Default::default(),
    }
}

/// Gives every field of a new subscription a value: tricky text, extremes, zeros, `false`,
/// lists with duplicates in an order that is not sorted, labels. `variant` picks the union
/// member of `nest.any` (a leaf or the other block) and a few values.
pub(crate) fn fill(rich: &mut Rich<orch_core::Initial>, variant: bool) {
    let s = &mut rich.scalars;
    s.s_text = Some(TRICKY.into());
    s.s_empty = Some(String::new());
    s.s_i8 = Some(i8::MIN);
    s.s_i16 = Some(-1);
    s.s_i32 = Some(0);
    s.s_i64 = Some(if variant { i64::MIN } else { i64::MAX });
    s.s_u8 = Some(u8::MAX);
    s.s_u16 = Some(0);
    s.s_u32 = Some(u32::MAX);
    s.s_u64 = Some(u64::MAX);
    s.s_bool = Some(false);
    s.s_f64 = Some(if variant { 0.1 } else { -2.5e-300 });
    s.s_uuid = Some(Uuid::from_u128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210));
    s.s_ip = Some(if variant {
        "2001:db8::1".parse().unwrap()
    } else {
        "10.0.0.255".parse().unwrap()
    });
    s.s_colour = Some(Colour::DarkBlue);
    s.s_speed = Some(Speed::Zero);
    s.meta.label = Some(format!("scalars {TRICKY}"));

    let l = &mut rich.lists;
    l.l_i64 = vec![3, 0, -1, 3, 0, 10, 2];
    l.l_u8 = vec![0, 0, 255, 1];
    l.l_bool = vec![true, false, false, true, false];
    l.l_text = vec![
        "b".into(),
        String::new(),
        "a".into(),
        "b".into(),
        "A".into(),
    ];
    l.l_colour = vec![Colour::Green, Colour::Red, Colour::Green, Colour::DarkBlue];
    l.l_speed = vec![Speed::TenThousand, Speed::Zero, Speed::Hundred, Speed::Zero];
    l.o_text = Some(String::new());
    l.o_i32 = None;
    l.o_bool = Some(false);
    l.o_ip = None;

    let n = &mut rich.nest;
    n.inner.leaf_n = Some(0);
    n.inner.leaf_note = Some("inner".into());
    n.inner.meta.label = Some("the inner leaf".into());
    n.maybe = Some(leaf(Some(-5), None));
    // the two leaves from_product made, then one more; values not in order
    n.leaves[0].leaf_n = Some(30);
    n.leaves[1].leaf_n = Some(10);
    n.leaves[1].leaf_note = Some(String::new());
    n.leaves.push(leaf(Some(20), Some("third")));
    n.any = Some(if variant {
        AnyLeaf::Leaf(leaf(Some(1), Some("any leaf")))
    } else {
        AnyLeaf::Other(other(Some("any other")))
    });
    n.mixed = vec![
        AnyLeaf::Leaf(leaf(Some(2), None)),
        AnyLeaf::Other(other(None)),
        AnyLeaf::Leaf(leaf(Some(1), None)),
    ];
    n.deep.deep_tag = Some("deep".into());
    n.deep.leaf.leaf_n = Some(7);
    rich.extra = Some(ExtraBlock {
        extra_n: Some(0),
        meta: Default::default(),
    });
    if let Some(e) = &mut rich.extra {
        e.meta.label = Some("extra".into());
    }
}

/// How many instances a subscription filled by [`fill`] owns.
pub(crate) const FILLED_INSTANCES: usize = 3 // scalars, lists, nest
    + 1 // inner
    + 1 // maybe
    + 3 // leaves
    + 1 // any
    + 3 // mixed
    + 2 // deep, deep.leaf
    + 1; // extra
