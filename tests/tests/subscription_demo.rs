//! `workshop demo` on SQLite: the function the binary calls creates a user group and a user in
//! it, saves, loads, moves both to active and prints both as JSON; on a database without
//! orchestrator-core's tables or without the workshop's products it fails with one line that
//! says what to run.

#![allow(missing_docs)]

use orch_core::Active;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;
use tests::{Backend, TestDb};
use workshop::demo::{DEMO_CUSTOMER, DEMO_GROUP_ID, DEMO_USER_ID, demo};
use workshop::{User, UserGroup};

/// The JSON value printed after the line `header`.
fn json_after(out: &str, header: &str) -> Value {
    let at = out
        .find(header)
        .unwrap_or_else(|| panic!("{header:?} in {out}"));
    let rest = &out[at + header.len()..];
    serde_json::Deserializer::from_str(rest)
        .into_iter::<Value>()
        .next()
        .expect("a JSON value")
        .expect("valid JSON")
}

#[tokio::test]
async fn the_demo_creates_saves_loads_and_activates_a_group_and_a_user() {
    let db = TestDb::migrated(Backend::Sqlite, workshop::migrations::migrations)
        .await
        .unwrap();

    let out = demo(&db.conn).await.unwrap();
    assert!(out.starts_with("Created user group "), "{out}");
    assert!(out.contains("Saved both: versions 1 and 1"), "{out}");
    assert!(
        out.contains(
            "moved them to active with group_id 1001 and user_id 2001, saved: versions 2 and 2"
        ),
        "{out}"
    );

    // what it printed is what is stored
    let rows = db
        .conn
        .query_all_raw(Statement::from_string(
            db.conn.get_database_backend(),
            "SELECT subscription_id, status, version FROM subscriptions",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row.try_get::<String>("", "status").unwrap(), "active");
        assert_eq!(row.try_get::<i32>("", "version").unwrap(), 2);
    }
    let ids: Vec<uuid::Uuid> = rows
        .iter()
        .map(|r| r.try_get("", "subscription_id").unwrap())
        .collect();
    let group_id = ids
        .iter()
        .find(|id| out.contains(&format!("UserGroup {id}:")))
        .copied()
        .expect("the group's id is printed");
    let user_id = ids.into_iter().find(|id| *id != group_id).unwrap();
    let group = UserGroup::<Active>::from_subscription(&db.conn, group_id)
        .await
        .unwrap();
    let user = User::<Active>::from_subscription(&db.conn, user_id)
        .await
        .unwrap();
    assert_eq!(group.user_group.group_id, DEMO_GROUP_ID);
    assert_eq!(user.user.user_id, DEMO_USER_ID);
    assert_eq!(
        user.user.group, group.user_group,
        "the user is in the group"
    );
    assert_eq!(group.meta.customer_id, DEMO_CUSTOMER);
    assert!(group.meta.start_date.is_some() && user.meta.start_date.is_some());

    let printed_group = json_after(&out, &format!("UserGroup {group_id}:"));
    let printed_user = json_after(&out, &format!("User {user_id}:"));
    assert_eq!(printed_group, group.to_json());
    assert_eq!(printed_user, user.to_json());
    assert_eq!(printed_user["status"], "active");
    assert_eq!(printed_user["affiliation"], "internal");
    assert_eq!(printed_user["user"]["username"], "demo-user");
    assert_eq!(printed_user["user"]["user_id"], 2001);
    assert_eq!(printed_user["user"]["group"]["group_id"], 1001);
    assert_eq!(
        printed_user["user"]["group"]["owner_subscription_id"],
        group_id.to_string()
    );

    // again: two more subscriptions, nothing else changes
    demo(&db.conn).await.unwrap();
    let n = db
        .conn
        .query_one_raw(Statement::from_string(
            db.conn.get_database_backend(),
            "SELECT COUNT(*) FROM subscriptions WHERE status = 'active'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(n, 4);
}

#[tokio::test]
async fn without_the_tables_the_demo_says_what_to_run() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let err = demo(&db.conn).await.unwrap_err().to_string();
    assert!(
        err.starts_with("the database lacks orchestrator-core's tables (")
            && err.ends_with("): run `cargo run -p orch-migrate -- up` first"),
        "{err}"
    );
    assert!(!err.contains('\n'), "one line: {err}");
}

#[tokio::test]
async fn without_the_workshop_products_the_demo_says_what_to_run() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    tests::pipeline::core_schema(&db.conn).await;
    let err = demo(&db.conn).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "the database has no product \"User Group\": the workshop's migration is not applied: \
         run `cargo run -p orch-migrate -- up` first"
    );
}
