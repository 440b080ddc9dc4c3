//! Subscriptions of models with every kind of field, on SQLite, PostgreSQL and MariaDB: what is
//! saved loads back exactly (values, list order, absent options, nested blocks, lists of
//! blocks, unions, labels, blocks of other subscriptions), a save writes only what changed,
//! removed blocks lose their rows, and every error names what is wrong.

#![allow(missing_docs)]

mod subscription_models;

use std::sync::atomic::Ordering;

use orch_core::subscription::{ProductRef, SaveStats, SubscriptionError};
use orch_core::{Active, Initial, Provisioning, SubscriptionLifecycle, Terminated};
use sea_orm::{ConnectionTrait, DatabaseConnection, Value};
use subscription_models::*;
use tests::Backend;
use tests::counting;
use uuid::Uuid;

orch_core::register_products! {
    "Rich A" => Rich,
    "Rich B" => Rich,
    "Chain" => Chain,
    "Strict" => Strict,
}

/// A new subscription of `product` with every field set, saved.
async fn saved(conn: &DatabaseConnection, product: &str, variant: bool) -> Rich<Initial> {
    let mut rich: Rich<Initial> = Rich::from_product(conn, product, "customer").await.unwrap();
    fill(&mut rich, variant);
    rich.save(conn).await.unwrap();
    rich
}

/// The value rows of a subscription: (value row id, instance id), sorted.
async fn value_rows(conn: &DatabaseConnection, id: Uuid) -> Vec<(Uuid, Uuid)> {
    let mut out: Vec<(Uuid, Uuid)> = query(
        conn,
        "SELECT v.subscription_instance_value_id AS v, v.subscription_instance_id AS i \
         FROM subscription_instance_values v \
         JOIN subscription_instances i ON i.subscription_instance_id = v.subscription_instance_id \
         WHERE i.subscription_id = $1",
        vec![id.into()],
    )
    .await
    .iter()
    .map(|r| (r.try_get("", "v").unwrap(), r.try_get("", "i").unwrap()))
    .collect();
    out.sort();
    out
}

async fn stored_version(conn: &DatabaseConnection, id: Uuid) -> i32 {
    query(
        conn,
        "SELECT version FROM subscriptions WHERE subscription_id = $1",
        vec![id.into()],
    )
    .await[0]
        .try_get_by_index(0)
        .unwrap()
}

fn ids(values: &[(Uuid, Uuid)], instance: Uuid, of_instance: bool) -> Vec<Uuid> {
    values
        .iter()
        .filter(|(_, i)| (*i == instance) == of_instance)
        .map(|(v, _)| *v)
        .collect()
}

async fn every_field_kind_loads_back_exactly(backend: Backend) {
    let Some(db) = database(backend).await else {
        return;
    };
    let conn = &db.conn;
    for (product, variant) in [("Rich A", true), ("Rich B", false)] {
        let mut rich: Rich<Initial> = Rich::from_product(conn, product, "customer").await.unwrap();
        fill(&mut rich, variant);
        rich.meta.description = TRICKY.into();
        rich.meta.note = Some("a note".into());
        let stats = rich.save(conn).await.unwrap();
        assert_eq!(stats.subscriptions_inserted, 1, "{stats:?}");
        assert_eq!(stats.instances_inserted, FILLED_INSTANCES, "{stats:?}");
        assert_eq!(rich.meta.version, 1);
        let id = rich.meta.subscription_id;

        let loaded = Rich::<Initial>::from_subscription(conn, id).await.unwrap();
        assert_eq!(
            loaded, rich,
            "{product}: load returns exactly what was saved"
        );
        // the same, spelled out for what a sloppy store gets wrong
        let s = &loaded.scalars;
        assert_eq!(s.s_text.as_deref(), Some(TRICKY));
        assert_eq!(s.s_empty.as_deref(), Some(""));
        assert_eq!(
            (s.s_i8, s.s_i16, s.s_i32),
            (Some(i8::MIN), Some(-1), Some(0))
        );
        assert_eq!(
            (s.s_u8, s.s_u32, s.s_u64),
            (Some(255), Some(u32::MAX), Some(u64::MAX))
        );
        assert_eq!(s.s_bool, Some(false));
        assert_eq!(s.s_colour, Some(Colour::DarkBlue));
        assert_eq!(s.s_speed, Some(Speed::Zero));
        let l = &loaded.lists;
        assert_eq!(l.l_i64, [3, 0, -1, 3, 0, 10, 2], "save order, not sorted");
        assert_eq!(l.l_u8, [0, 0, 255, 1]);
        assert_eq!(l.l_bool, [true, false, false, true, false]);
        assert_eq!(l.l_text, ["b", "", "a", "b", "A"]);
        assert_eq!(
            l.l_colour,
            [Colour::Green, Colour::Red, Colour::Green, Colour::DarkBlue]
        );
        assert_eq!(
            l.l_speed,
            [Speed::TenThousand, Speed::Zero, Speed::Hundred, Speed::Zero]
        );
        assert_eq!(
            (l.o_text.as_deref(), l.o_i32, l.o_bool, l.o_ip),
            (Some(""), None, Some(false), None)
        );
        let n = &loaded.nest;
        let leaves: Vec<_> = n.leaves.iter().map(|l| l.leaf_n).collect();
        assert_eq!(
            leaves,
            [Some(30), Some(10), Some(20)],
            "block lists keep order"
        );
        assert!(matches!(
            (&n.any, variant),
            (Some(AnyLeaf::Leaf(_)), true) | (Some(AnyLeaf::Other(_)), false)
        ));
        assert!(matches!(
            n.mixed.as_slice(),
            [AnyLeaf::Leaf(a), AnyLeaf::Other(_), AnyLeaf::Leaf(b)] if a.leaf_n == Some(2) && b.leaf_n == Some(1)
        ));
        assert_eq!(n.deep.leaf.leaf_n, Some(7));
        assert_eq!(n.inner.meta.label.as_deref(), Some("the inner leaf"));
        assert_eq!(
            loaded.scalars.meta.label,
            Some(format!("scalars {TRICKY}")),
            "labels are kept"
        );
        assert_eq!(loaded.meta.description, TRICKY);
        assert_eq!(loaded.meta.note.as_deref(), Some("a note"));
        for owner in [
            loaded.scalars.meta.owner_subscription_id,
            loaded.nest.deep.leaf.meta.owner_subscription_id,
            loaded.nest.leaves[2].meta.owner_subscription_id,
        ] {
            assert_eq!(owner, Some(id));
        }

        // through the lifecycles: the active type has plain fields
        let provisioning = loaded.transition::<Provisioning>(conn).await.unwrap();
        let mut active: Rich<Active> = provisioning.transition::<Active>(conn).await.unwrap();
        assert!(active.meta.start_date.is_some());
        let stats = active.save(conn).await.unwrap();
        assert_eq!(
            stats,
            SaveStats {
                subscriptions_updated: 1,
                statements: 1,
                ..SaveStats::default()
            },
            "only the subscription row changes"
        );
        assert_eq!(active.meta.version, 2);
        let reloaded = Rich::<Active>::from_subscription(conn, id).await.unwrap();
        assert_eq!(reloaded, active);
        let scalars: &ScalarsBlock<Active> = &reloaded.scalars;
        assert_eq!(scalars.s_u64, u64::MAX);
        assert_eq!(scalars.s_f64, if variant { 0.1 } else { -2.5e-300 });
        assert_eq!(reloaded.nest.inner.leaf_n, 0);
        let json = reloaded.to_json();
        assert_eq!(json["status"], "active");
        assert_eq!(
            json["lists"]["l_i64"],
            serde_json::json!([3, 0, -1, 3, 0, 10, 2])
        );
        assert_eq!(json["scalars"]["s_colour"], "dark blue");
    }

    // a subscription with nothing optional
    let mut bare: Rich<Initial> = Rich::from_product(conn, "Rich A", "c").await.unwrap();
    bare.save(conn).await.unwrap();
    let loaded = Rich::<Initial>::from_subscription(conn, bare.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(loaded, bare);
    assert!(loaded.lists.l_i64.is_empty() && loaded.lists.o_text.is_none());
    assert!(loaded.nest.maybe.is_none() && loaded.nest.any.is_none() && loaded.extra.is_none());
}

async fn from_product_gives_defaults_and_writes_nothing(backend: Backend) {
    let Some(db) = database(backend).await else {
        return;
    };
    let conn = &db.conn;
    let a: Rich<Initial> = Rich::from_product(conn, "Rich A", "customer-a")
        .await
        .unwrap();
    assert_eq!(
        (a.rich_mode, a.rich_flag),
        (Colour::Red, true),
        "fixed inputs"
    );
    let b: Rich<Initial> = Rich::from_product(conn, "Rich B", "customer-b")
        .await
        .unwrap();
    assert_eq!((b.rich_mode, b.rich_flag), (Colour::DarkBlue, false));
    assert_eq!(b.meta.customer_id, "customer-b");
    assert_eq!(b.meta.product.name, "Rich B");
    assert_eq!(
        b.meta.description,
        "Initial subscription of description of products.\"Rich B\".description"
    );
    assert_eq!((b.meta.version, b.meta.insync), (1, false));
    assert!(b.meta.start_date.is_none() && b.meta.note.is_none());

    // a required block is a new block, an optional one is absent, a list has its minimum
    let id = a.meta.subscription_id;
    assert_eq!(a.nest.inner.leaf_n, None);
    assert_eq!(a.nest.inner.meta.owner_subscription_id, Some(id));
    assert_eq!(a.nest.deep.leaf.meta.owner_subscription_id, Some(id));
    assert!(a.nest.maybe.is_none() && a.nest.any.is_none() && a.extra.is_none());
    assert_eq!(a.nest.leaves.len(), 2, "#[items(min = 2)]");
    assert!(a.nest.mixed.is_empty());
    assert_ne!(
        a.nest.leaves[0].meta.subscription_instance_id,
        a.nest.leaves[1].meta.subscription_instance_id
    );
    assert_eq!(a.scalars.s_text, None);
    assert!(a.lists.l_i64.is_empty() && a.lists.o_bool.is_none());

    // nothing is written until saved
    let subscriptions = count(conn, "SELECT COUNT(*) FROM subscriptions", vec![]).await;
    let instances = count(conn, "SELECT COUNT(*) FROM subscription_instances", vec![]).await;
    assert_eq!((subscriptions, instances), (0, 0));

    // by product id too
    let by_id: Rich<Initial> = Rich::from_product(conn, a.meta.product.product_id, "c")
        .await
        .unwrap();
    assert_eq!(by_id.meta.product, a.meta.product);

    // a block with values only a person can give: optional, so from_product makes the
    // subscription without it, and the person's block is made with `new`
    let mut strict: Strict<Initial> = Strict::from_product(conn, "Strict", "c").await.unwrap();
    assert!(strict.strict.is_none());
    strict.strict = Some(StrictBlock::new(
        "given".into(),
        AnyLeaf::Other(OtherBlock::new()),
    ));
    strict.save(conn).await.unwrap();
    let loaded = Strict::<Initial>::from_subscription(conn, strict.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(loaded, strict);
    assert_eq!(loaded.strict.unwrap().strict_value, "given");
}

async fn a_save_writes_only_what_changed(backend: Backend) {
    let Some(db) = database(backend).await else {
        return;
    };
    let conn = &db.conn;
    let first = saved(conn, "Rich A", true).await;
    let id = first.meta.subscription_id;
    let scalars = first.scalars.meta.subscription_instance_id;
    let before = value_rows(conn, id).await;

    // one value: that value's row is written again, nothing else; the subscription's own row
    // did not change, so its `version` stays (as orchestrator-core's trigger keeps it)
    let mut sub = Rich::<Initial>::from_subscription(conn, id).await.unwrap();
    sub.scalars.s_i32 = Some(42);
    let stats = sub.save(conn).await.unwrap();
    assert_eq!(
        stats,
        SaveStats {
            values_written: 1,
            statements: 2,
            ..SaveStats::default()
        }
    );
    assert_eq!(sub.meta.version, 1, "a value is not the subscription's row");
    let after = value_rows(conn, id).await;
    assert_eq!(
        ids(&after, scalars, false),
        ids(&before, scalars, false),
        "the value rows of the other instances are untouched"
    );
    let kept = ids(&after, scalars, true)
        .iter()
        .filter(|v| ids(&before, scalars, true).contains(v))
        .count();
    assert_eq!(
        kept,
        ids(&before, scalars, true).len() - 1,
        "and so are the instance's other values"
    );
    assert_eq!(stored_values(conn, scalars).await["s_i32"], ["42"]);
    assert_eq!(
        Rich::<Initial>::from_subscription(conn, id).await.unwrap(),
        sub
    );

    // nothing changed: nothing written, same version
    let stats = sub.save(conn).await.unwrap();
    assert_eq!(stats, SaveStats::default());
    assert_eq!(sub.meta.version, 1);
    assert_eq!(stored_version(conn, id).await, 1);

    // a label
    sub.nest.inner.meta.label = None;
    let stats = sub.save(conn).await.unwrap();
    assert_eq!(
        stats,
        SaveStats {
            statements: 1,
            ..SaveStats::default()
        }
    );
    assert_eq!(sub.meta.version, 1);

    // the order of a list of values: that list's rows only
    sub.lists.l_i64.reverse();
    let stats = sub.save(conn).await.unwrap();
    assert_eq!(
        (stats.values_written, stats.relations_written),
        (sub.lists.l_i64.len(), 0)
    );
    assert_eq!(sub.meta.version, 1);

    // the order of a list of blocks: only the parent's relations
    sub.nest.leaves.swap(0, 2);
    let stats = sub.save(conn).await.unwrap();
    assert_eq!(
        stats,
        SaveStats {
            relations_written: 10,
            statements: 2,
            ..SaveStats::default()
        }
    );
    // the subscription row only
    sub.meta.description = "renamed".into();
    let stats = sub.save(conn).await.unwrap();
    assert_eq!(
        stats,
        SaveStats {
            subscriptions_updated: 1,
            statements: 1,
            ..SaveStats::default()
        }
    );
    assert_eq!(
        sub.meta.version, 2,
        "the subscription's own row changed, once"
    );
    let loaded = Rich::<Initial>::from_subscription(conn, id).await.unwrap();
    assert_eq!(loaded, sub);
    assert_eq!(loaded.lists.l_i64, [2, 10, 0, 3, -1, 0, 3]);
    let leaves: Vec<_> = loaded.nest.leaves.iter().map(|l| l.leaf_n).collect();
    assert_eq!(leaves, [Some(20), Some(10), Some(30)]);
    assert_eq!(stored_version(conn, id).await, 2);
}

async fn removed_blocks_lose_their_rows(backend: Backend) {
    let Some(db) = database(backend).await else {
        return;
    };
    let conn = &db.conn;
    let mut sub = saved(conn, "Rich B", false).await;
    let id = sub.meta.subscription_id;
    let instance_count = |conn: &DatabaseConnection, i: Uuid| {
        let conn = conn.clone();
        async move {
            let v: Vec<Value> = vec![i.into()];
            (
                count(
                    &conn,
                    "SELECT COUNT(*) FROM subscription_instances WHERE subscription_instance_id = $1",
                    v.clone(),
                )
                .await,
                count(
                    &conn,
                    "SELECT COUNT(*) FROM subscription_instance_values WHERE subscription_instance_id = $1",
                    v.clone(),
                )
                .await,
                count(
                    &conn,
                    "SELECT COUNT(*) FROM subscription_instance_relations WHERE depends_on_id = $1 OR in_use_by_id = $2",
                    vec![i.into(), i.into()],
                )
                .await,
            )
        }
    };

    // an optional block
    let maybe = sub
        .nest
        .maybe
        .as_ref()
        .unwrap()
        .meta
        .subscription_instance_id;
    assert_eq!(instance_count(conn, maybe).await, (1, 1, 1));
    sub.nest.maybe = None;
    let stats = sub.save(conn).await.unwrap();
    assert_eq!(
        stats,
        SaveStats {
            instances_deleted: 1,
            relations_written: 9,
            statements: 3,
            ..SaveStats::default()
        }
    );
    assert_eq!(instance_count(conn, maybe).await, (0, 0, 0));

    // one block of a list: the others keep their order, renumbered
    let third = sub.nest.leaves.remove(1).meta.subscription_instance_id;
    let stats = sub.save(conn).await.unwrap();
    assert_eq!(stats.instances_deleted, 1);
    assert_eq!(instance_count(conn, third).await, (0, 0, 0));
    let orders: Vec<i64> = query(
        conn,
        "SELECT order_id FROM subscription_instance_relations WHERE in_use_by_id = $1 AND domain_model_attr = 'leaves' ORDER BY order_id",
        vec![sub.nest.meta.subscription_instance_id.into()],
    )
    .await
    .iter()
    .map(|r| i64::from(r.try_get_by_index::<i32>(0).unwrap()))
    .collect();
    assert_eq!(orders, [0, 1]);

    // a block with children, replaced by a new one: both old instances go
    let old_deep = sub.nest.deep.meta.subscription_instance_id;
    let old_leaf = sub.nest.deep.leaf.meta.subscription_instance_id;
    sub.nest.deep = DeepBlock {
        deep_tag: None,
        leaf: leaf(Some(1), None),
        meta: Default::default(),
    };
    let stats = sub.save(conn).await.unwrap();
    assert_eq!((stats.instances_deleted, stats.instances_inserted), (2, 2));
    assert_eq!(instance_count(conn, old_deep).await, (0, 0, 0));
    assert_eq!(instance_count(conn, old_leaf).await, (0, 0, 0));

    // a root block
    let extra = sub.extra.take().unwrap().meta.subscription_instance_id;
    let stats = sub.save(conn).await.unwrap();
    assert_eq!(stats.instances_deleted, 1);
    assert_eq!(instance_count(conn, extra).await, (0, 0, 0));

    let loaded = Rich::<Initial>::from_subscription(conn, id).await.unwrap();
    assert_eq!(loaded, sub);
    assert_eq!(
        count(
            conn,
            "SELECT COUNT(*) FROM subscription_instances WHERE subscription_id = $1",
            vec![id.into()]
        )
        .await,
        (FILLED_INSTANCES - 3) as i64
    );
}

const PROVISIONING_FIELDS: [&str; 11] = [
    "scalars.s_text",
    "scalars.s_empty",
    "scalars.s_i8",
    "scalars.s_i16",
    "scalars.s_i32",
    "scalars.s_i64",
    "scalars.s_u8",
    "scalars.s_u16",
    "scalars.s_u32",
    "scalars.s_u64",
    "scalars.s_bool",
];

async fn transitions_name_every_missing_field(backend: Backend) {
    let Some(db) = database(backend).await else {
        return;
    };
    let conn = &db.conn;
    let mut sub: Rich<Initial> = Rich::from_product(conn, "Rich A", "c").await.unwrap();
    sub.nest.mixed = vec![AnyLeaf::Other(other(None)), AnyLeaf::Leaf(leaf(None, None))];
    sub.save(conn).await.unwrap();

    let err = sub
        .clone()
        .transition::<Provisioning>(conn)
        .await
        .unwrap_err();
    let SubscriptionError::Missing(missing) = &err.error else {
        panic!("{err}")
    };
    assert_eq!(missing.missing, PROVISIONING_FIELDS);
    assert_eq!(missing.target, SubscriptionLifecycle::Provisioning);

    let err = sub.clone().transition::<Active>(conn).await.unwrap_err();
    let SubscriptionError::Missing(missing) = &err.error else {
        panic!("{err}")
    };
    let mut expected: Vec<&str> = PROVISIONING_FIELDS.to_vec();
    expected.extend([
        "scalars.s_f64",
        "scalars.s_uuid",
        "scalars.s_ip",
        "scalars.s_colour",
        "scalars.s_speed",
        "nest.inner.leaf_n",
        "nest.leaves.0.leaf_n",
        "nest.leaves.1.leaf_n",
        "nest.mixed.1.leaf_n",
        "nest.deep.leaf.leaf_n",
    ]);
    assert_eq!(missing.missing, expected);
    let message = err.to_string();
    assert!(
        message.starts_with("Rich cannot move to lifecycle active: missing scalars.s_text, "),
        "{message}"
    );
    for path in &expected {
        assert!(message.contains(path), "{message} names {path}");
    }

    // with the provisioning fields, provisioning works and active names the rest
    fill(&mut sub, true);
    sub.scalars.s_f64 = None;
    sub.nest.deep.leaf.leaf_n = None;
    let provisioning = sub.clone().transition::<Provisioning>(conn).await.unwrap();
    let err = provisioning
        .clone()
        .transition::<Active>(conn)
        .await
        .unwrap_err();
    assert!(
        matches!(&err.error, SubscriptionError::Missing(m) if m.missing == ["scalars.s_f64", "nest.deep.leaf.leaf_n"]),
        "{err}"
    );
    // terminated requires nothing lifecycle-dependent
    let terminated = provisioning.transition::<Terminated>(conn).await.unwrap();
    assert!(terminated.meta.end_date.is_some());
    assert_eq!(terminated.scalars.s_f64, None);
}

async fn wrong_types_lifecycles_and_products_are_errors(backend: Backend) {
    let Some(db) = database(backend).await else {
        return;
    };
    let conn = &db.conn;
    let rich = saved(conn, "Rich A", true).await;
    let id = rich.meta.subscription_id;

    // wrong lifecycle
    let err = Rich::<Active>::from_subscription(conn, id)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SubscriptionError::WrongLifecycle {
                status: SubscriptionLifecycle::Initial,
                requested: SubscriptionLifecycle::Active,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!("subscription {id} is initial: load it as Rich<Initial> instead of Rich<Active>")
    );

    // wrong type, loading and creating
    let err = Chain::<Initial>::from_subscription(conn, id)
        .await
        .unwrap_err();
    let SubscriptionError::WrongType {
        product,
        registered,
        requested,
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(product, "Rich A");
    assert!(
        registered.ends_with("Rich") && requested.ends_with("Chain"),
        "{err}"
    );
    let err = Chain::from_product(conn, "Rich B", "c").await.unwrap_err();
    assert!(matches!(err, SubscriptionError::WrongType { .. }), "{err}");
    let err = Rich::<Initial>::from_subscriptions(conn, &[id, Uuid::nil()])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Subscription with id: {}, does not exist", Uuid::nil())
    );

    // no such product
    let err = Rich::from_product(conn, "Nope", "c").await.unwrap_err();
    assert!(
        matches!(&err, SubscriptionError::ProductNotFound(ProductRef::Name(n)) if n == "Nope"),
        "{err}"
    );
    let err = Rich::from_product(conn, Uuid::nil(), "c")
        .await
        .unwrap_err();
    assert!(
        matches!(err, SubscriptionError::ProductNotFound(ProductRef::Id(_))),
        "{err}"
    );

    // a product in the database that no model is registered for
    let ghost = Uuid::new_v4();
    conn.execute_raw(sea_orm::Statement::from_sql_and_values(
        conn.get_database_backend(),
        match conn.get_database_backend() {
            sea_orm::DbBackend::Postgres => "INSERT INTO products (product_id, name, description, product_type, tag, status) VALUES ($1, 'Ghost', 'not registered', 'Rich', 'GHOST', 'active')",
            _ => "INSERT INTO products (product_id, name, description, product_type, tag, status) VALUES (?, 'Ghost', 'not registered', 'Rich', 'GHOST', 'active')",
        },
        [ghost.into()],
    ))
    .await
    .unwrap();
    let err = Rich::from_product(conn, "Ghost", "c").await.unwrap_err();
    assert!(
        matches!(&err, SubscriptionError::NotRegistered(n) if n == "Ghost"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "'Ghost' is not found within the SUBSCRIPTION_MODEL_REGISTRY"
    );
    // a stored subscription of it
    query(
        conn,
        "UPDATE subscriptions SET product_id = $1 WHERE subscription_id = $2",
        vec![ghost.into(), id.into()],
    )
    .await;
    let err = Rich::<Initial>::from_subscription(conn, id)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SubscriptionError::NotRegistered(n) if n == "Ghost"),
        "{err}"
    );

    // an unknown subscription
    let unknown = Uuid::new_v4();
    let err = Rich::<Initial>::from_subscription(conn, unknown)
        .await
        .unwrap_err();
    assert!(
        matches!(err, SubscriptionError::NotFound(i) if i == unknown),
        "{err}"
    );
}

async fn a_batch_load_equals_individual_loads(backend: Backend) {
    let Some(db) = database(backend).await else {
        return;
    };
    let conn = &db.conn;
    let mut subs: Vec<Rich<Initial>> = Vec::new();
    for i in 0..24 {
        let product = if i % 3 == 0 { "Rich B" } else { "Rich A" };
        let mut sub: Rich<Initial> = Rich::from_product(conn, product, format!("c{i}"))
            .await
            .unwrap();
        if i % 4 != 3 {
            fill(&mut sub, i % 2 == 0);
            sub.lists.l_i64.push(i);
            sub.nest.leaves.truncate(2 + (i as usize % 2));
            sub.nest.mixed.truncate(i as usize % 4);
        }
        subs.push(sub);
    }
    let stats = Rich::save_all(conn, &mut subs).await.unwrap();
    assert_eq!(stats.subscriptions_inserted, 24);
    assert!(stats.statements < 10, "batched: {stats:?}");

    let mut ids: Vec<Uuid> = subs.iter().map(|s| s.meta.subscription_id).collect();
    ids.reverse();
    let mut counted = db.connect().await;
    let queries = counting(&mut counted);
    let batch = Rich::<Initial>::from_subscriptions(&counted, &ids)
        .await
        .unwrap();
    let batch_queries = queries.swap(0, Ordering::Relaxed);
    assert_eq!(batch.len(), ids.len());
    for (loaded, id) in batch.iter().zip(&ids) {
        assert_eq!(loaded.meta.subscription_id, *id, "in the order asked for");
        let one = Rich::<Initial>::from_subscription(&counted, *id)
            .await
            .unwrap();
        assert_eq!(&one, loaded);
        let saved = subs.iter().find(|s| s.meta.subscription_id == *id).unwrap();
        assert_eq!(saved, loaded);
    }
    let one_queries = queries.load(Ordering::Relaxed) / ids.len();
    assert_eq!(
        batch_queries, one_queries,
        "a batch takes as many queries as one subscription"
    );
}

async fn a_chain_of_ten_subscriptions(backend: Backend) {
    let Some(db) = database(backend).await else {
        return;
    };
    let conn = &db.conn;
    let mut chain: Vec<Chain<Initial>> = Vec::new();
    for depth in 0..10 {
        let mut sub: Chain<Initial> = Chain::from_product(conn, "Chain", "c").await.unwrap();
        sub.chain.chain_depth = Some(depth);
        if let Some(prev) = chain.last() {
            sub.chain.prev = vec![prev.chain.clone()];
        }
        let stats = sub.save(conn).await.unwrap();
        assert_eq!(stats.instances_inserted, 1, "only its own block: {stats:?}");
        chain.push(sub);
    }
    let ids: Vec<Uuid> = chain.iter().map(|s| s.meta.subscription_id).collect();

    let mut counted = db.connect().await;
    let queries = counting(&mut counted);
    let top = Chain::<Initial>::from_subscription(&counted, ids[9])
        .await
        .unwrap();
    let top_queries = queries.swap(0, Ordering::Relaxed);
    Chain::<Initial>::from_subscription(&counted, ids[0])
        .await
        .unwrap();
    assert_eq!(
        top_queries,
        queries.load(Ordering::Relaxed),
        "ten levels take as many queries as one"
    );
    assert_eq!(&top, &chain[9]);
    let mut block = &top.chain;
    for depth in (0..10).rev() {
        assert_eq!(block.chain_depth, Some(depth));
        assert_eq!(block.meta.owner_subscription_id, Some(ids[depth as usize]));
        match block.prev.as_slice() {
            [prev] => block = prev,
            [] => assert_eq!(depth, 0),
            more => panic!("{} previous blocks", more.len()),
        }
    }
    let relations = count(
        conn,
        "SELECT COUNT(*) FROM subscription_instance_relations WHERE domain_model_attr = 'prev'",
        vec![],
    )
    .await;
    assert_eq!(relations, 9);
}

async fn a_shared_block_is_read_only_where_it_is_used(backend: Backend) {
    let Some(db) = database(backend).await else {
        return;
    };
    let conn = &db.conn;
    let mut owner: Chain<Initial> = Chain::from_product(conn, "Chain", "c").await.unwrap();
    owner.chain.chain_depth = Some(1);
    owner.save(conn).await.unwrap();
    let mut user: Chain<Initial> = Chain::from_product(conn, "Chain", "c").await.unwrap();
    user.chain.prev = vec![owner.chain.clone()];
    user.save(conn).await.unwrap();

    // changed where it is used: not saved
    let mut user = Chain::<Initial>::from_subscription(conn, user.meta.subscription_id)
        .await
        .unwrap();
    user.chain.prev[0].chain_depth = Some(99);
    user.chain.prev[0].meta.label = Some("not mine".into());
    let stats = user.save(conn).await.unwrap();
    assert_eq!(stats, SaveStats::default(), "nothing of its own changed");
    let stored = Chain::<Initial>::from_subscription(conn, owner.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(stored, owner);
    let reloaded = Chain::<Initial>::from_subscription(conn, user.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(
        reloaded.chain.prev[0], owner.chain,
        "the owner's block as stored"
    );

    // changed by its owner: the user sees it
    owner.chain.chain_depth = Some(2);
    owner.save(conn).await.unwrap();
    let reloaded = Chain::<Initial>::from_subscription(conn, user.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(reloaded.chain.prev[0].chain_depth, Some(2));

    // the user's own root cannot be another subscription's block
    let mut thief: Chain<Initial> = Chain::from_product(conn, "Chain", "c").await.unwrap();
    thief.chain = owner.chain.clone();
    let err = thief.save(conn).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("chain: a block of another subscription cannot be a root block"),
        "{err}"
    );
}

/// New list items and union members made with `new` (only what every lifecycle requires) are
/// saved and loaded back like the blocks `from_product` made, in order.
async fn new_list_items_and_union_members(backend: Backend) {
    let Some(db) = database(backend).await else {
        return;
    };
    let conn = &db.conn;
    let mut a: Rich<Initial> = Rich::from_product(conn, "Rich A", "c").await.unwrap();
    let mut leaf = LeafBlock::new();
    leaf.leaf_note = Some("third".into());
    a.nest.leaves.push(leaf);
    a.nest.mixed.push(AnyLeaf::Other(OtherBlock::new()));
    a.nest.mixed.push(AnyLeaf::Leaf(LeafBlock::new()));
    a.nest.maybe = Some(LeafBlock::new());
    a.save(conn).await.unwrap();
    let loaded = Rich::<Initial>::from_subscription(conn, a.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(loaded, a);
    assert_eq!(loaded.nest.leaves.len(), 3);
    assert_eq!(loaded.nest.leaves[2].leaf_note.as_deref(), Some("third"));
    assert!(matches!(
        loaded.nest.mixed.as_slice(),
        [AnyLeaf::Other(_), AnyLeaf::Leaf(_)]
    ));
}

tests::per_backend!(
    new_list_items_and_union_members,
    every_field_kind_loads_back_exactly,
    from_product_gives_defaults_and_writes_nothing,
    a_save_writes_only_what_changed,
    removed_blocks_lose_their_rows,
    transitions_name_every_missing_field,
    wrong_types_lifecycles_and_products_are_errors,
    a_batch_load_equals_individual_loads,
    a_chain_of_ten_subscriptions,
    a_shared_block_is_read_only_where_it_is_used,
);
