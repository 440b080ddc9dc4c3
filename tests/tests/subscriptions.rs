//! Subscriptions of the workshop's products on SQLite, PostgreSQL and MariaDB: create from a
//! product, save, load, move through the lifecycles, shared blocks, and the rows
//! orchestrator-core expects.

#![allow(missing_docs)]

use orch_core::subscription::SubscriptionError;
use orch_core::{Active, Initial, Provisioning, Terminated};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tests::{Backend, TestDb};
use workshop::{Affiliation, User, UserGroup, UserGroupBlock, UserGroupInactive, UserInactive};

async fn workshop_db(backend: Backend) -> Option<TestDb> {
    TestDb::migrated(backend, workshop::migrations::migrations).await
}

async fn scalar(conn: &DatabaseConnection, sql: &str) -> i64 {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// An active user group, saved.
async fn active_group(conn: &DatabaseConnection, name: &str) -> UserGroup {
    let mut group: UserGroupInactive = UserGroup::from_product(conn, "User Group", "customer-1")
        .await
        .unwrap();
    group.user_group.group_name = Some(name.into());
    group.save(conn).await.unwrap();
    let group = group.transition::<Provisioning>(conn).await.unwrap();
    let mut group = {
        let mut g = group;
        g.user_group.group_id = Some(7);
        g
    }
    .transition::<Active>(conn)
    .await
    .unwrap();
    group.save(conn).await.unwrap();
    group
}

async fn the_workshop_flow(backend: Backend) {
    let Some(db) = workshop_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let group = active_group(conn, "admins").await;
    assert_eq!(group.user_group.group_name, "admins");
    assert!(
        group.meta.start_date.is_some(),
        "moving to active sets start_date"
    );

    let mut user: UserInactive = User::from_product(conn, "User internal", "customer-1")
        .await
        .unwrap();
    assert_eq!(
        user.affiliation,
        Affiliation::Internal,
        "fixed input from the database"
    );
    assert!(user.user.username.is_none());
    // the user's group is the group subscription's block
    user.user.group = group.user_group.clone().into_lifecycle().unwrap();
    user.user.username = Some("alice".into());
    user.user.age = Some(0);
    user.save(conn).await.unwrap();

    let loaded = User::<Initial>::from_subscription(conn, user.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(loaded, user, "load returns exactly what was saved");
    assert_eq!(
        loaded.user.group.meta.owner_subscription_id,
        Some(group.meta.subscription_id)
    );

    // moving to active needs a user id
    let before = loaded.clone();
    let refused = loaded.transition::<Active>(conn).await.unwrap_err();
    assert!(
        matches!(&refused.error, SubscriptionError::Missing(m) if m.missing == ["user.user_id"]),
        "{refused}"
    );
    assert_eq!(refused.missing(), ["user.user_id"]);
    // refused, the subscription is handed back as it was
    let loaded = refused.subscription;
    assert_eq!(loaded, before);
    let mut user = loaded.transition::<Provisioning>(conn).await.unwrap();
    user.user.user_id = Some(42);
    let mut user: User = user.transition::<Active>(conn).await.unwrap();
    let stats = user.save(conn).await.unwrap();
    assert_eq!(stats.subscriptions_updated, 1);
    assert_eq!(user.meta.version, 2, "inserted, then changed once");
    let active = User::<Active>::from_subscription(conn, user.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(active, user);
    assert_eq!(active.user.user_id, 42);

    // saving again without changes writes nothing
    let mut again = active.clone();
    let stats = again.save(conn).await.unwrap();
    assert_eq!(stats.statements, 0, "{stats:?}");
    assert_eq!(again.meta.version, active.meta.version);

    // the wrong lifecycle or type is an error that says which to use
    let err = User::<Initial>::from_subscription(conn, user.meta.subscription_id)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("load it as User<Active>"), "{err}");
    let err = UserGroup::<Active>::from_subscription(conn, user.meta.subscription_id)
        .await
        .unwrap_err();
    assert!(matches!(err, SubscriptionError::WrongType { .. }), "{err}");

    // terminating the group while an active user uses it is refused, naming the user
    let err = group
        .clone()
        .transition::<Terminated>(conn)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("Unsafe status change"), "{msg}");
    assert!(
        msg.contains(&user.meta.subscription_id.to_string()),
        "{msg}"
    );

    // the rows are orchestrator-core's
    let rel = scalar(
        conn,
        "SELECT COUNT(*) FROM subscription_instance_relations WHERE domain_model_attr = 'group' AND order_id = 0",
    )
    .await;
    assert_eq!(rel, 1);
    let age = scalar(
        conn,
        "SELECT COUNT(*) FROM subscription_instance_values v JOIN resource_types t ON t.resource_type_id = v.resource_type_id WHERE t.resource_type = 'age' AND v.value = '0'",
    )
    .await;
    assert_eq!(age, 1);
    let json = user.to_json();
    assert_eq!(json["user"]["group"]["group_name"], "admins");
    assert_eq!(json["status"], "active");
}

async fn a_block_used_by_another_subscription_cannot_be_removed(backend: Backend) {
    let Some(db) = workshop_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let mut group = active_group(conn, "ops").await;
    let mut user: UserInactive = User::from_product(conn, "User external", "c")
        .await
        .unwrap();
    user.user.group = group.user_group.clone().into_lifecycle().unwrap();
    user.save(conn).await.unwrap();
    // replacing the group's block would cut the user's relation to it
    group.user_group = UserGroupBlock {
        group_name: "other".into(),
        group_id: 8,
        meta: Default::default(),
    };
    let err = group.save(conn).await.unwrap_err();
    assert!(matches!(err, SubscriptionError::InUse { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&user.meta.subscription_id.to_string()),
        "{err}"
    );
}

async fn concurrent_saves_do_not_overwrite_each_other(backend: Backend) {
    let Some(db) = workshop_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let group = active_group(conn, "a").await;
    let id = group.meta.subscription_id;
    let mut first = UserGroup::<Active>::from_subscription(conn, id)
        .await
        .unwrap();
    let mut second = UserGroup::<Active>::from_subscription(conn, id)
        .await
        .unwrap();
    first.user_group.group_name = "first".into();
    first.save(conn).await.unwrap();
    second.user_group.group_name = "second".into();
    let err = second.save(conn).await.unwrap_err();
    assert!(matches!(err, SubscriptionError::Conflict { .. }), "{err}");
    let stored = UserGroup::<Active>::from_subscription(conn, id)
        .await
        .unwrap();
    assert_eq!(stored.user_group.group_name, "first");
}

/// A batch larger than every backend's parameter limit allows in one statement (10 columns x
/// 10,500 rows; SQLite takes 32,766 parameters, PostgreSQL and MySQL 65,535) is saved and
/// loaded in parts, not refused with "too many SQL variables".
async fn batches_beyond_the_parameter_limit(backend: Backend) {
    let Some(db) = workshop_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let template: UserGroupInactive = UserGroup::from_product(conn, "User Group", "customer-1")
        .await
        .unwrap();
    const N: usize = 10_500;
    let mut groups: Vec<UserGroupInactive> = (0..N)
        .map(|i| {
            let mut g = template.clone();
            g.meta.subscription_id = uuid::Uuid::new_v4();
            g.user_group.meta = Default::default();
            g.user_group.group_name = Some(format!("g{i}"));
            g
        })
        .collect();
    let stats = UserGroup::save_all(conn, &mut groups).await.unwrap();
    assert_eq!(stats.subscriptions_inserted, N);
    assert_eq!(stats.instances_inserted, N);
    let ids: Vec<uuid::Uuid> = groups.iter().map(|g| g.meta.subscription_id).collect();
    let loaded = UserGroup::<Initial>::from_subscriptions(conn, &ids)
        .await
        .unwrap();
    assert_eq!(loaded, groups, "loaded in parts, in the order asked for");
    for g in &mut groups {
        g.user_group.group_id = Some(1);
    }
    let stats = UserGroup::save_all(conn, &mut groups).await.unwrap();
    assert_eq!(stats.values_written, N);
    assert_eq!(stats.subscriptions_updated, 0, "values only: the rows stay");
    assert!(groups.iter().all(|g| g.meta.version == 1));
    for g in &mut groups {
        g.meta.note = Some("batch".into());
    }
    let stats = UserGroup::save_all(conn, &mut groups).await.unwrap();
    assert_eq!(stats.subscriptions_updated, N);
    assert!(groups.iter().all(|g| g.meta.version == 2));
}

tests::per_backend!(
    batches_beyond_the_parameter_limit,
    the_workshop_flow,
    a_block_used_by_another_subscription_cannot_be_removed,
    concurrent_saves_do_not_overwrite_each_other
);

/// Two batches that save the same 20 subscriptions at the same moment, from two connections:
/// one wins and the other fails with `Conflict`, every time, and no subscription ends up with a
/// mix of both or with its version raised twice. The rows read (subscriptions, instances,
/// values) are locked from the comparison to the commit, so the loser waits and then sees the
/// winner's change. Even rounds change a value only (`version` stays), odd rounds the
/// subscription's description too (`version` rises once).
async fn racing_batches_save_each_subscription_once(backend: Backend) {
    let Some(db) = workshop_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(
            active_group(conn, &format!("g{i}"))
                .await
                .meta
                .subscription_id,
        );
    }
    for round in 0..5 {
        let load = || UserGroup::<Active>::from_subscriptions(conn, &ids);
        let (mut a, mut b) = (load().await.unwrap(), load().await.unwrap());
        let loaded_version = a[0].meta.version;
        let header = round % 2 == 1;
        for (x, y) in a.iter_mut().zip(b.iter_mut()) {
            x.user_group.group_name = format!("a{round}");
            y.user_group.group_name = format!("b{round}");
            if header {
                x.meta.description = format!("a{round}");
                y.meta.description = format!("b{round}");
            }
        }
        let other = db.connect().await;
        let (ra, rb) = tokio::join!(
            UserGroup::save_all(conn, &mut a),
            UserGroup::save_all(&other, &mut b)
        );
        let winner = match (&ra, &rb) {
            (Ok(_), Err(SubscriptionError::Conflict { .. })) => "a",
            (Err(SubscriptionError::Conflict { .. }), Ok(_)) => "b",
            _ => panic!("round {round}: one batch must win, one conflict: {ra:?} / {rb:?}"),
        };
        let stored = load().await.unwrap();
        for s in &stored {
            assert_eq!(s.user_group.group_name, format!("{winner}{round}"));
            assert_eq!(
                s.meta.version,
                loaded_version + i32::from(header),
                "raised once with the row, never with a value"
            );
        }
    }
}

#[tokio::test]
async fn racing_batches_save_each_subscription_once_postgres() {
    racing_batches_save_each_subscription_once(Backend::Postgres).await;
}

#[tokio::test]
async fn racing_batches_save_each_subscription_once_mysql() {
    racing_batches_save_each_subscription_once(Backend::MySql).await;
}

/// On SQLite, from two pools (as from two processes): one waits its turn or gets `Conflict`,
/// never the driver's "database is locked".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_batches_save_each_subscription_once_sqlite() {
    racing_batches_save_each_subscription_once(Backend::Sqlite).await;
}

/// Another writer playing orchestrator-core: it updates value rows in place and leaves the
/// subscription row (and so `version`) alone.
async fn set_value(conn: &DatabaseConnection, subscription: uuid::Uuid, rt: &str, value: &str) {
    let backend = conn.get_database_backend();
    let sql = "UPDATE subscription_instance_values SET value = $1 \
               WHERE resource_type_id = (SELECT resource_type_id FROM resource_types WHERE resource_type = $2) \
               AND subscription_instance_id IN \
               (SELECT subscription_instance_id FROM subscription_instances WHERE subscription_id = $3)";
    let sql = if backend == sea_orm::DbBackend::Postgres {
        sql.to_owned()
    } else {
        sql.replace("$1", "?").replace("$2", "?").replace("$3", "?")
    };
    let result = conn
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [value.into(), rt.into(), subscription.into()],
        ))
        .await
        .unwrap();
    assert_eq!(result.rows_affected(), 1, "{rt}");
}

/// Another writer changes the group's id after orch loaded the group; orch changes its name and
/// saves: both changes are kept, and `version` is where the other writer left it.
async fn another_writers_change_to_another_value_survives(backend: Backend) {
    let Some(db) = workshop_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let id = active_group(conn, "a").await.meta.subscription_id;
    let mut group = UserGroup::<Active>::from_subscription(conn, id)
        .await
        .unwrap();
    let version = group.meta.version;
    set_value(conn, id, "group_id", "4242").await;
    group.user_group.group_name = "renamed by orch".into();
    let stats = group.save(conn).await.unwrap();
    assert_eq!((stats.values_written, stats.subscriptions_updated), (1, 0));
    let stored = UserGroup::<Active>::from_subscription(conn, id)
        .await
        .unwrap();
    assert_eq!(stored.user_group.group_name, "renamed by orch");
    assert_eq!(
        stored.user_group.group_id, 4242,
        "the other writer's value is kept"
    );
    assert_eq!(stored.meta.version, version);
    // saved again without a change: the other writer's value is still not overwritten
    assert_eq!(group.save(conn).await.unwrap(), Default::default());
    group.user_group.group_name = "again".into();
    group.save(conn).await.unwrap();
    let stored = UserGroup::<Active>::from_subscription(conn, id)
        .await
        .unwrap();
    assert_eq!(stored.user_group.group_id, 4242);
}

/// Another writer changes the group's name after orch loaded the group; orch changes the name
/// too, and its id: the save is a `Conflict` and writes nothing, not even the id.
async fn both_changing_one_value_is_a_conflict(backend: Backend) {
    let Some(db) = workshop_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let id = active_group(conn, "a").await.meta.subscription_id;
    let mut group = UserGroup::<Active>::from_subscription(conn, id)
        .await
        .unwrap();
    set_value(conn, id, "group_name", "theirs").await;
    group.user_group.group_name = "ours".into();
    group.user_group.group_id = 99;
    let err = group.save(conn).await.unwrap_err();
    assert!(matches!(err, SubscriptionError::Conflict { .. }), "{err}");
    let stored = UserGroup::<Active>::from_subscription(conn, id)
        .await
        .unwrap();
    assert_eq!(stored.user_group.group_name, "theirs");
    assert_eq!(
        stored.user_group.group_id, 7,
        "nothing of the save was written"
    );
    // loaded again, the change goes through
    let mut fresh = stored;
    fresh.user_group.group_name = "ours".into();
    fresh.save(conn).await.unwrap();
}

/// A block another writer deleted after the load is a `Conflict` when the program changes it.
async fn a_block_deleted_by_another_writer_is_a_conflict(backend: Backend) {
    let Some(db) = workshop_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let id = active_group(conn, "a").await.meta.subscription_id;
    let mut group = UserGroup::<Active>::from_subscription(conn, id)
        .await
        .unwrap();
    let instance = group.user_group.meta.subscription_instance_id;
    let delete = match backend {
        Backend::Postgres => {
            "DELETE FROM subscription_instances WHERE subscription_instance_id = $1"
        }
        _ => "DELETE FROM subscription_instances WHERE subscription_instance_id = ?",
    };
    conn.execute_raw(sea_orm::Statement::from_sql_and_values(
        conn.get_database_backend(),
        delete,
        [instance.into()],
    ))
    .await
    .unwrap();
    group.user_group.group_name = "ours".into();
    let err = group.save(conn).await.unwrap_err();
    assert!(matches!(err, SubscriptionError::Conflict { .. }), "{err}");
    // the group was the database's only subscription, and this its only block
    let left = scalar(conn, "SELECT COUNT(*) FROM subscription_instances").await;
    assert_eq!(left, 0, "not recreated");
}

tests::per_backend!(
    another_writers_change_to_another_value_survives,
    both_changing_one_value_is_a_conflict,
    a_block_deleted_by_another_writer_is_a_conflict
);

/// The blocks a block holds, compared three ways too: another writer points the user at another
/// group after orch loaded the user. orch changing only a value keeps that; orch pointing the
/// user at a group as well is a `Conflict` and writes nothing.
async fn another_writers_change_to_a_relation(backend: Backend) {
    let Some(db) = workshop_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let first = active_group(conn, "first").await;
    let second = active_group(conn, "second").await;
    let third = active_group(conn, "third").await;
    let mut user: UserInactive = User::from_product(conn, "User internal", "customer-1")
        .await
        .unwrap();
    user.user.group = first.user_group.clone().into_lifecycle().unwrap();
    user.user.username = Some("u".into());
    user.save(conn).await.unwrap();
    let id = user.meta.subscription_id;
    let user_block = user.user.meta.subscription_instance_id;
    let repoint = |group: &UserGroup| {
        let backend = conn.get_database_backend();
        let sql = if backend == sea_orm::DbBackend::Postgres {
            "UPDATE subscription_instance_relations SET depends_on_id = $1 \
             WHERE in_use_by_id = $2 AND domain_model_attr = 'group'"
        } else {
            "UPDATE subscription_instance_relations SET depends_on_id = ? \
             WHERE in_use_by_id = ? AND domain_model_attr = 'group'"
        };
        sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [
                group.user_group.meta.subscription_instance_id.into(),
                user_block.into(),
            ],
        )
    };
    let group_of = |u: &User<Initial>| u.user.group.meta.subscription_instance_id;

    let mut loaded = User::<Initial>::from_subscription(conn, id).await.unwrap();
    conn.execute_raw(repoint(&second)).await.unwrap();
    loaded.user.username = Some("renamed".into());
    loaded.save(conn).await.unwrap();
    let stored = User::<Initial>::from_subscription(conn, id).await.unwrap();
    assert_eq!(stored.user.username.as_deref(), Some("renamed"));
    assert_eq!(
        group_of(&stored),
        second.user_group.meta.subscription_instance_id,
        "the other writer's relation is kept"
    );

    let mut loaded = stored;
    conn.execute_raw(repoint(&first)).await.unwrap();
    loaded.user.group = third.user_group.clone().into_lifecycle().unwrap();
    loaded.user.username = Some("again".into());
    let err = loaded.save(conn).await.unwrap_err();
    assert!(matches!(err, SubscriptionError::Conflict { .. }), "{err}");
    let stored = User::<Initial>::from_subscription(conn, id).await.unwrap();
    assert_eq!(
        group_of(&stored),
        first.user_group.meta.subscription_instance_id
    );
    assert_eq!(
        stored.user.username.as_deref(),
        Some("renamed"),
        "nothing written"
    );
}

tests::per_backend!(another_writers_change_to_a_relation);

/// `transition` moves in memory and writes nothing; `transition_and_save` moves and saves in one
/// transaction. Either, refused, hands the subscription back as it was: for a missing field
/// (named), and for a save that fails (another writer's change), with nothing written.
async fn transitions_hand_the_subscription_back(backend: Backend) {
    let Some(db) = workshop_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let mut group: UserGroupInactive = UserGroup::from_product(conn, "User Group", "c")
        .await
        .unwrap();
    group.user_group.group_name = Some("net".into());
    group.save(conn).await.unwrap();
    let id = group.meta.subscription_id;

    // in memory: nothing written
    let moved = group
        .clone()
        .transition::<Provisioning>(conn)
        .await
        .unwrap();
    assert_eq!(moved.to_json()["status"], "provisioning");
    assert!(
        UserGroup::<Initial>::from_subscription(conn, id)
            .await
            .is_ok()
    );

    // and save: written, in the new lifecycle
    let group = group
        .transition_and_save::<Provisioning>(conn)
        .await
        .unwrap();
    let stored = UserGroup::<Provisioning>::from_subscription(conn, id)
        .await
        .unwrap();
    assert_eq!(stored, group);

    // refused for a missing field: handed back, nothing written
    let refused = group
        .clone()
        .transition_and_save::<Active>(conn)
        .await
        .unwrap_err();
    assert_eq!(refused.missing(), ["user_group.group_id"]);
    assert_eq!(refused.subscription, group);
    let mut group = refused.subscription;

    // refused by the save (another writer set the same value since): handed back, nothing
    // written
    let mut other = UserGroup::<Provisioning>::from_subscription(conn, id)
        .await
        .unwrap();
    other.user_group.group_id = Some(5);
    other.save(conn).await.unwrap();
    group.user_group.group_id = Some(9);
    let before = group.clone();
    let refused = group.transition_and_save::<Active>(conn).await.unwrap_err();
    assert!(
        matches!(refused.error, SubscriptionError::Conflict { .. }),
        "{refused}"
    );
    assert_eq!(refused.subscription, before, "as it was, dates unset");
    let stored = UserGroup::<Provisioning>::from_subscription(conn, id)
        .await
        .unwrap();
    assert_eq!(stored.user_group.group_id, Some(5), "theirs");
    assert_eq!(stored.meta.version, other.meta.version);
    // `?` turns a refusal into its SubscriptionError
    let as_error = || async {
        UserGroup::<Provisioning>::from_subscription(conn, id)
            .await?
            .transition::<Terminated>(conn)
            .await?;
        Ok::<(), SubscriptionError>(())
    };
    as_error().await.unwrap();
}

tests::per_backend!(transitions_hand_the_subscription_back);

/// `save` and `save_all` inside the caller's transaction (a workflow step's): the caller's
/// commit keeps what they wrote, the caller's rollback removes it, on every backend.
async fn saves_in_the_callers_transaction(backend: Backend) {
    use sea_orm::TransactionTrait;
    let Some(db) = workshop_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let count = || scalar(conn, "SELECT COUNT(*) FROM subscriptions");

    let txn = conn.begin().await.unwrap();
    let mut kept: UserGroupInactive = UserGroup::from_product(&txn, "User Group", "c")
        .await
        .unwrap();
    kept.save(&txn).await.unwrap();
    let mut more: Vec<UserGroupInactive> = Vec::new();
    for _ in 0..3 {
        more.push(
            UserGroup::from_product(&txn, "User Group", "c")
                .await
                .unwrap(),
        );
    }
    UserGroup::save_all(&txn, &mut more).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(count().await, 4);
    assert!(
        UserGroup::<Initial>::from_subscription(conn, kept.meta.subscription_id)
            .await
            .is_ok()
    );

    let txn = conn.begin().await.unwrap();
    let mut dropped: UserGroupInactive = UserGroup::from_product(&txn, "User Group", "c")
        .await
        .unwrap();
    dropped.save(&txn).await.unwrap();
    kept.user_group.group_name = Some("changed".into());
    kept.save(&txn).await.unwrap();
    let mut batch: Vec<UserGroupInactive> = vec![
        UserGroup::from_product(&txn, "User Group", "c")
            .await
            .unwrap(),
    ];
    UserGroup::save_all(&txn, &mut batch).await.unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(count().await, 4, "the rollback removed both new ones");
    let stored = UserGroup::<Initial>::from_subscription(conn, kept.meta.subscription_id)
        .await
        .unwrap();
    assert_eq!(stored.user_group.group_name, None, "and the change");
}

tests::per_backend!(saves_in_the_callers_transaction);

/// What `work` returns on a connection of its own, and the statements it ran there.
async fn statements_of<T, F, Fut>(db: &TestDb, work: F) -> (T, usize)
where
    F: FnOnce(DatabaseConnection) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut counted = db.connect().await;
    let n = Arc::new(AtomicUsize::new(0));
    let seen = n.clone();
    counted.set_metric_callback(move |_| {
        seen.fetch_add(1, Ordering::Relaxed);
    });
    let out = work(counted).await;
    (out, n.load(Ordering::Relaxed))
}

/// Loading without naming the lifecycle (`AnyLifecycle<User>`) or the type (the workshop's
/// `Workshop` enum from `register_products!`): each subscription comes back as its product's
/// type in its stored lifecycle, one at a time or in one batch, equal to a typed load.
async fn any_subscription_loads_as_its_type_and_lifecycle(backend: Backend) {
    use orch_core::subscription::AnyLifecycle;
    use workshop::Workshop;
    let Some(db) = workshop_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let group = active_group(conn, "any").await;
    let mut user: UserInactive = User::from_product(conn, "User external", "c")
        .await
        .unwrap();
    user.user.group = group.user_group.clone().into_lifecycle().unwrap();
    user.save(conn).await.unwrap();
    let (g, u) = (group.meta.subscription_id, user.meta.subscription_id);

    let any = AnyLifecycle::<User>::from_subscription(conn, u)
        .await
        .unwrap();
    assert_eq!(any.status(), orch_core::SubscriptionLifecycle::Initial);
    assert!(matches!(&any, AnyLifecycle::Initial(loaded) if *loaded == user));
    let err = AnyLifecycle::<User>::from_subscription(conn, g)
        .await
        .unwrap_err();
    assert!(matches!(err, SubscriptionError::WrongType { .. }), "{err}");

    let both = Workshop::from_subscriptions(conn, &[u, g]).await.unwrap();
    match &both[..] {
        [
            Workshop::User(AnyLifecycle::Initial(loaded_user)),
            Workshop::UserGroup(AnyLifecycle::Active(loaded_group)),
        ] => {
            assert_eq!(*loaded_user, user);
            assert_eq!(*loaded_group, group);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(Workshop::from_subscription(conn, g).await.unwrap(), both[1]);
    // the same statements as a typed load of one type
    let ids = [u, g];
    let ((), any) = statements_of(&db, |c| async move {
        Workshop::from_subscriptions(&c, &ids).await.unwrap();
    })
    .await;
    let ((), typed) = statements_of(&db, |c| async move {
        User::<Initial>::from_subscriptions(&c, &ids[..1])
            .await
            .unwrap();
    })
    .await;
    assert_eq!(any, typed, "a load of any type and of one type");
    let missing = uuid::Uuid::new_v4();
    let err = Workshop::from_subscription(conn, missing)
        .await
        .unwrap_err();
    assert!(
        matches!(err, SubscriptionError::NotFound(id) if id == missing),
        "{err}"
    );
}

tests::per_backend!(any_subscription_loads_as_its_type_and_lifecycle);

/// `from_products` makes many subscriptions, of several products named or given by id, with
/// one query for all their products and fixed inputs; they save together and load back equal.
/// An unknown product, or one of another type, is refused as with `from_product`.
async fn many_subscriptions_from_one_query(backend: Backend) {
    let Some(db) = workshop_db(backend).await else {
        return;
    };
    let conn = &db.conn;
    let group = active_group(conn, "many").await;
    let requests = (0..300).map(|i| {
        let product = if i % 2 == 0 {
            "User internal"
        } else {
            "User external"
        };
        (product, format!("customer {i}"))
    });
    let (mut users, queries): (Vec<UserInactive>, _) = statements_of(&db, |c| async move {
        User::from_products(&c, requests).await.unwrap()
    })
    .await;
    assert_eq!(queries, 1, "one query for 300");
    assert_eq!(users.len(), 300);
    assert_eq!(users[0].affiliation, Affiliation::Internal);
    assert_eq!(users[1].affiliation, Affiliation::External);
    assert_eq!(users[7].meta.customer_id, "customer 7");
    let ids: std::collections::BTreeSet<_> = users.iter().map(|u| u.meta.subscription_id).collect();
    assert_eq!(ids.len(), 300);

    // by product id too, mixed with names
    let external = users[1].meta.product.product_id;
    let more: Vec<UserInactive> = User::from_products(
        conn,
        [(
            orch_core::subscription::ProductRef::Id(external),
            "x".to_owned(),
        )],
    )
    .await
    .unwrap();
    assert_eq!(more[0].meta.product.name, "User external");

    for (i, user) in users.iter_mut().enumerate() {
        user.user.group = group.user_group.clone().into_lifecycle().unwrap();
        user.user.username = Some(format!("user {i}"));
    }
    User::save_all(conn, &mut users).await.unwrap();
    let ids: Vec<_> = users.iter().map(|u| u.meta.subscription_id).collect();
    let loaded = User::<Initial>::from_subscriptions(conn, &ids)
        .await
        .unwrap();
    assert_eq!(loaded, users);

    let err = User::from_products(conn, [("User internal", "a"), ("No such product", "b")])
        .await
        .unwrap_err();
    assert!(
        matches!(err, SubscriptionError::ProductNotFound(_)),
        "{err}"
    );
    let err = User::from_products(conn, [("User Group", "a")])
        .await
        .unwrap_err();
    assert!(matches!(err, SubscriptionError::WrongType { .. }), "{err}");
}

tests::per_backend!(many_subscriptions_from_one_query);
