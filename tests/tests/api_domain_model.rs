//! `GET /api/subscriptions/domain-model/{id}`: a saved subscription as orchestrator-core's JSON,
//! through the product's registered type, on every backend.

#![allow(missing_docs)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use orch_core::{Active, Provisioning};
use serde_json::Value;
use tests::{Backend, TestDb};
use tower::ServiceExt;
use workshop::{User, UserGroup};

async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

async fn domain_model_of_a_user(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let conn = &db.conn;
    let migrator = orch_migrate::Migrator::new(workshop::migrations::migrations);
    orch_migrate::apply::up(conn, &db.url, &migrator, None)
        .await
        .unwrap();
    let mut group = UserGroup::from_product(conn, "User Group", "c1")
        .await
        .unwrap();
    group.user_group.group_name = Some("net <ops> & \"co\"".into());
    group.user_group.group_id = Some(7);
    let mut group: UserGroup<Active> = group.into_lifecycle().unwrap();
    group.save(conn).await.unwrap();
    let mut user = User::from_product(conn, "User external", "c1")
        .await
        .unwrap();
    user.user.group = group.user_group.clone().into_lifecycle().unwrap();
    user.user.username = Some("bob".into());
    let mut user: User<Provisioning> = user.into_lifecycle().unwrap();
    user.save(conn).await.unwrap();

    let app = orch_core::api::router(conn.clone());
    let (status, json) = get(
        &app,
        &format!(
            "/api/subscriptions/domain-model/{}",
            user.meta.subscription_id
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["status"], "provisioning");
    assert_eq!(json["product"]["name"], "User external");
    assert_eq!(json["affiliation"], "external");
    assert_eq!(json["user"]["name"], "UserBlock");
    assert_eq!(json["user"]["username"], "bob");
    assert_eq!(json["user"]["user_id"], Value::Null);
    assert_eq!(json["user"]["age"], Value::Null);
    assert_eq!(json["user"]["group"]["group_name"], "net <ops> & \"co\"");
    assert_eq!(
        json["user"]["group"]["group_id"], 7,
        "integers stay numbers"
    );
    assert_eq!(
        json["user"]["group"]["owner_subscription_id"],
        group.meta.subscription_id.to_string()
    );
    // the group block is used by the user's block, which is this subscription's own: left out
    // of `in_use_by_ids` by default (orchestrator-core's `filter_owner_relations`), always in
    // `in_use_by_relations`
    assert_eq!(
        json["user"]["group"]["in_use_by_ids"],
        serde_json::json!([])
    );
    assert_eq!(
        json["user"]["group"]["in_use_by_relations"][0]["subscription_id"],
        user.meta.subscription_id.to_string()
    );
    for key in ["product_id", "name", "tag"] {
        assert_eq!(
            json[key],
            Value::Null,
            "orchestrator-core's top-level {key}"
        );
    }
    let path = format!(
        "/api/subscriptions/domain-model/{}",
        user.meta.subscription_id
    );
    for off in ["false", "0", "no", "OFF"] {
        let (status, unfiltered) = get(&app, &format!("{path}?filter_owner_relations={off}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            unfiltered["user"]["group"]["in_use_by_ids"],
            serde_json::json!([user.user.meta.subscription_instance_id.to_string()]),
            "{off}"
        );
        assert_eq!(
            unfiltered["user"]["group"]["in_use_by_relations"],
            json["user"]["group"]["in_use_by_relations"]
        );
    }
    let (_, filtered) = get(&app, &format!("{path}?filter_owner_relations=true")).await;
    assert_eq!(filtered, json);
    // the group's own domain model: its block is used by another subscription, so it stays
    let (_, of_group) = get(
        &app,
        &format!(
            "/api/subscriptions/domain-model/{}",
            group.meta.subscription_id
        ),
    )
    .await;
    assert_eq!(
        of_group["user_group"]["in_use_by_ids"],
        serde_json::json!([user.user.meta.subscription_instance_id.to_string()])
    );
    let (status, bad) = get(&app, &format!("{path}?filter_owner_relations=maybe")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad,
        serde_json::json!({"detail": [{"type": "bool_parsing", "loc": ["query", "filter_owner_relations"],
            "msg": "Input should be a valid boolean, unable to interpret input", "input": "maybe"}]})
    );
    // the same fields as the typed model's JSON
    let typed = user.to_json();
    for key in [
        "subscription_id",
        "customer_id",
        "description",
        "insync",
        "version",
    ] {
        assert_eq!(json[key], typed[key], "{key}");
    }

    let missing = uuid::Uuid::new_v4();
    let (status, json) = get(&app, &format!("/api/subscriptions/domain-model/{missing}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        json["detail"],
        format!("Subscription with id: {missing}, not found")
    );
    let (status, _) = get(&app, "/api/subscriptions/domain-model/not-a-uuid").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

tests::per_backend!(domain_model_of_a_user);
