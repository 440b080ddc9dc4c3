//! What orch writes for a subscription, read back with plain SQL on SQLite, PostgreSQL and
//! MariaDB: the rows orchestrator-core reads. Values are strings as Python's `str()` writes them
//! (`True`/`False`, enums by value, decimal integers), one row per list element and none for an
//! absent optional, relations with `order_id` and `domain_model_attr` (none from the
//! subscription to its root blocks), instances owned by their subscription, and the
//! subscription's `status`, `insync` and `version` columns.

#![allow(missing_docs)]

mod subscription_models;

use std::collections::{BTreeMap, BTreeSet};

use orch_core::{Active, Initial, Provisioning};
use sea_orm::DatabaseConnection;
use subscription_models::*;
use tests::Backend;
use uuid::Uuid;

orch_core::register_products! {
    "Rich A" => Rich,
    "Rich B" => Rich,
    "Chain" => Chain,
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| (*s).to_owned()).collect()
}

/// `status`, `insync`, `version`, whether `start_date` is set, `customer_id`, `product_id`,
/// `description` and `note` of a subscription row.
async fn subscription_row(
    conn: &DatabaseConnection,
    id: Uuid,
) -> (
    String,
    bool,
    i32,
    bool,
    String,
    Uuid,
    String,
    Option<String>,
) {
    let rows = query(
        conn,
        "SELECT status, insync, version, start_date IS NOT NULL AS started, customer_id, product_id, description, note \
         FROM subscriptions WHERE subscription_id = $1",
        vec![id.into()],
    )
    .await;
    let r = &rows[0];
    let started: bool = r
        .try_get::<bool>("", "started")
        .or_else(|_| r.try_get::<i64>("", "started").map(|n| n != 0))
        .or_else(|_| r.try_get::<i32>("", "started").map(|n| n != 0))
        .unwrap();
    (
        r.try_get("", "status").unwrap(),
        r.try_get("", "insync").unwrap(),
        r.try_get("", "version").unwrap(),
        started,
        r.try_get("", "customer_id").unwrap(),
        r.try_get("", "product_id").unwrap(),
        r.try_get("", "description").unwrap(),
        r.try_get("", "note").unwrap(),
    )
}

/// The relations held by `parent`: (domain_model_attr, order_id, depends_on_id), sorted.
async fn relations_of(conn: &DatabaseConnection, parent: Uuid) -> Vec<(String, i32, Uuid)> {
    let mut out: Vec<(String, i32, Uuid)> = query(
        conn,
        "SELECT domain_model_attr AS attr, order_id AS ord, depends_on_id AS child \
         FROM subscription_instance_relations WHERE in_use_by_id = $1",
        vec![parent.into()],
    )
    .await
    .iter()
    .map(|r| {
        (
            r.try_get("", "attr").unwrap(),
            r.try_get("", "ord").unwrap(),
            r.try_get("", "child").unwrap(),
        )
    })
    .collect();
    out.sort();
    out
}

fn id_of<L>(meta: &orch_core::BlockMeta<L>) -> Uuid {
    meta.subscription_instance_id
}

async fn the_rows_are_orchestrator_cores(backend: Backend) {
    let Some(db) = database(backend).await else {
        return;
    };
    let conn = &db.conn;
    let mut sub: Rich<Initial> = Rich::from_product(conn, "Rich A", "customer-7")
        .await
        .unwrap();
    fill(&mut sub, true);
    sub.meta.note = Some("   ".into());
    sub.save(conn).await.unwrap();
    let id = sub.meta.subscription_id;

    // the subscription row
    let (status, insync, version, started, customer, product, description, note) =
        subscription_row(conn, id).await;
    assert_eq!(
        (status.as_str(), insync, version, started),
        ("initial", false, 1, false)
    );
    assert_eq!(customer, "customer-7");
    assert_eq!(product, sub.meta.product.product_id);
    assert_eq!(description, sub.meta.description);
    assert_eq!(
        note, None,
        "a blank note is stored as NULL, as orchestrator-core does"
    );

    // one instance per block, owned by the subscription, with its block's id
    let mut blocks: Vec<String> = query(
        conn,
        "SELECT b.name AS name FROM subscription_instances i \
         JOIN product_blocks b ON b.product_block_id = i.product_block_id \
         WHERE i.subscription_id = $1",
        vec![id.into()],
    )
    .await
    .iter()
    .map(|r| r.try_get("", "name").unwrap())
    .collect();
    blocks.sort();
    let mut expected = strings(&[
        "ScalarsBlock",
        "ListsBlock",
        "NestBlock",
        "LeafBlock", // inner
        "LeafBlock", // maybe
        "LeafBlock", // leaves
        "LeafBlock",
        "LeafBlock",
        "LeafBlock", // any
        "LeafBlock", // mixed
        "OtherBlock",
        "LeafBlock",
        "DeepBlock",
        "LeafBlock",
        "ExtraBlock",
    ]);
    expected.sort();
    assert_eq!(blocks, expected);
    let labels: BTreeSet<Option<String>> = query(
        conn,
        "SELECT label FROM subscription_instances WHERE subscription_id = $1",
        vec![id.into()],
    )
    .await
    .iter()
    .map(|r| r.try_get("", "label").unwrap())
    .collect();
    assert!(
        labels.contains(&Some("the inner leaf".to_owned())),
        "{labels:?}"
    );
    assert!(labels.contains(&Some(format!("scalars {TRICKY}"))));

    // values as Python's str() writes them
    let scalars = stored_values(conn, id_of(&sub.scalars.meta)).await;
    let expected: BTreeMap<String, Vec<String>> = [
        ("s_text", vec![TRICKY]),
        ("s_empty", vec![""]),
        ("s_i8", vec!["-128"]),
        ("s_i16", vec!["-1"]),
        ("s_i32", vec!["0"]),
        ("s_i64", vec!["-9223372036854775808"]),
        ("s_u8", vec!["255"]),
        ("s_u16", vec!["0"]),
        ("s_u32", vec!["4294967295"]),
        ("s_u64", vec!["18446744073709551615"]),
        ("s_bool", vec!["False"]),
        ("s_f64", vec!["0.1"]),
        ("s_uuid", vec!["01234567-89ab-cdef-fedc-ba9876543210"]),
        ("s_ip", vec!["2001:db8::1"]),
        ("s_colour", vec!["dark blue"]),
        ("s_speed", vec!["0"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), strings(&v)))
    .collect();
    assert_eq!(scalars, expected);

    // one row per list element, in order, duplicates included; no row for None
    let lists = stored_values(conn, id_of(&sub.lists.meta)).await;
    let expected: BTreeMap<String, Vec<String>> = [
        ("l_i64", vec!["3", "0", "-1", "3", "0", "10", "2"]),
        ("l_u8", vec!["0", "0", "255", "1"]),
        ("l_bool", vec!["True", "False", "False", "True", "False"]),
        ("l_text", vec!["b", "", "a", "b", "A"]),
        ("l_colour", vec!["green", "red", "green", "dark blue"]),
        ("l_speed", vec!["10000", "0", "100", "0"]),
        ("o_text", vec![""]),
        ("o_bool", vec!["False"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), strings(&v)))
    .collect();
    assert_eq!(lists, expected, "no rows for o_i32 and o_ip");
    let absent = count(
        conn,
        "SELECT COUNT(*) FROM subscription_instance_values v \
         JOIN resource_types t ON t.resource_type_id = v.resource_type_id \
         WHERE t.resource_type IN ('o_i32', 'o_ip', 'leaf_note') AND v.subscription_instance_id = $1",
        vec![id_of(&sub.nest.maybe.as_ref().unwrap().meta).into()],
    )
    .await;
    assert_eq!(absent, 0);

    // relations: field name and position, restarting at 0 for each field
    let n = &sub.nest;
    let AnyLeaf::Leaf(any) = n.any.as_ref().unwrap() else {
        panic!("variant true holds a leaf")
    };
    let mixed: Vec<Uuid> = n
        .mixed
        .iter()
        .map(|m| match m {
            AnyLeaf::Leaf(l) => id_of(&l.meta),
            AnyLeaf::Other(o) => id_of(&o.meta),
        })
        .collect();
    let mut expected = vec![
        ("any".to_owned(), 0, id_of(&any.meta)),
        ("deep".to_owned(), 0, id_of(&n.deep.meta)),
        ("inner".to_owned(), 0, id_of(&n.inner.meta)),
        ("leaves".to_owned(), 0, id_of(&n.leaves[0].meta)),
        ("leaves".to_owned(), 1, id_of(&n.leaves[1].meta)),
        ("leaves".to_owned(), 2, id_of(&n.leaves[2].meta)),
        (
            "maybe".to_owned(),
            0,
            id_of(&n.maybe.as_ref().unwrap().meta),
        ),
        ("mixed".to_owned(), 0, mixed[0]),
        ("mixed".to_owned(), 1, mixed[1]),
        ("mixed".to_owned(), 2, mixed[2]),
    ];
    expected.sort();
    assert_eq!(relations_of(conn, id_of(&n.meta)).await, expected);
    assert_eq!(
        relations_of(conn, id_of(&n.deep.meta)).await,
        [("leaf".to_owned(), 0, id_of(&n.deep.leaf.meta))]
    );
    let all = count(
        conn,
        "SELECT COUNT(*) FROM subscription_instance_relations r \
         JOIN subscription_instances i ON i.subscription_instance_id = r.in_use_by_id \
         WHERE i.subscription_id = $1",
        vec![id.into()],
    )
    .await;
    assert_eq!(all, 11);
    // nothing points at the root blocks: the subscription holds them through ownership only
    for root in [
        id_of(&sub.scalars.meta),
        id_of(&sub.lists.meta),
        id_of(&n.meta),
        id_of(&sub.extra.as_ref().unwrap().meta),
    ] {
        let users = count(
            conn,
            "SELECT COUNT(*) FROM subscription_instance_relations WHERE depends_on_id = $1",
            vec![root.into()],
        )
        .await;
        assert_eq!(users, 0);
    }

    // moving to active: status, start date, and the version the database keeps
    let mut active: Rich<Active> = sub
        .transition::<Provisioning>(conn)
        .await
        .unwrap()
        .transition::<Active>(conn)
        .await
        .unwrap();
    active.meta.insync = true;
    active.save(conn).await.unwrap();
    let (status, insync, version, started, ..) = subscription_row(conn, id).await;
    assert_eq!(
        (status.as_str(), insync, version, started),
        ("active", true, 2, true)
    );
    assert_eq!(active.meta.version, 2);
}

async fn blocks_of_other_subscriptions_stay_theirs(backend: Backend) {
    let Some(db) = database(backend).await else {
        return;
    };
    let conn = &db.conn;
    let mut first: Chain<Initial> = Chain::from_product(conn, "Chain", "c").await.unwrap();
    first.chain.chain_depth = Some(0);
    first.save(conn).await.unwrap();
    let mut second: Chain<Initial> = Chain::from_product(conn, "Chain", "c").await.unwrap();
    second.chain.chain_depth = Some(1);
    second.chain.prev = vec![first.chain.clone()];
    second.save(conn).await.unwrap();

    let owner = |i: Uuid| async move {
        query(
            conn,
            "SELECT subscription_id FROM subscription_instances WHERE subscription_instance_id = $1",
            vec![i.into()],
        )
        .await[0]
            .try_get_by_index::<Uuid>(0)
            .unwrap()
    };
    let (a, b) = (id_of(&first.chain.meta), id_of(&second.chain.meta));
    assert_eq!(owner(a).await, first.meta.subscription_id);
    assert_eq!(owner(b).await, second.meta.subscription_id);
    assert_eq!(relations_of(conn, b).await, [("prev".to_owned(), 0, a)]);
    let owned = count(
        conn,
        "SELECT COUNT(*) FROM subscription_instances WHERE subscription_id = $1",
        vec![second.meta.subscription_id.into()],
    )
    .await;
    assert_eq!(owned, 1, "the second subscription owns its own block only");
    assert_eq!(
        stored_values(conn, a).await,
        BTreeMap::from([("chain_depth".to_owned(), strings(&["0"]))])
    );
}

tests::per_backend!(
    the_rows_are_orchestrator_cores,
    blocks_of_other_subscriptions_stay_theirs
);
