//! orch's products API on a real orchestrator-core 5.5.0 database after the workshop
//! (`data/orchestrator-core-workshop-db.sql`), compared body for body with what
//! orchestrator-core answered to the same requests on that database
//! (`data/orchestrator-core-api-responses.json`): the same ids, so nothing needs mapping.
//!
//! Lists are compared in any order: orch sorts them by name (a deliberate addition, see the
//! README), orchestrator-core returns them in the database's order. The five domain-model
//! answers for subscriptions are left out: the dump holds the products but
//! not those subscriptions. `filter_owner_relations` is tested in `api_domain_model.rs`.

#![allow(missing_docs)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tests::TestDb;
use tower::ServiceExt;
use workshop as _;

const RESPONSES: &str = include_str!("../data/orchestrator-core-api-responses.json");

#[tokio::test]
async fn answers_as_orchestrator_core_on_its_own_database() {
    let Some(db) = TestDb::orchestrator_core_workshop().await else {
        return;
    };
    let app = orch_core::api::router(db.conn.clone());
    let recorded: Value = serde_json::from_str(RESPONSES).unwrap();
    let mut compared = 0;
    for r in recorded["responses"].as_array().unwrap() {
        let path = r["path"].as_str().unwrap();
        let expected = &r["body"];
        let is_subscription =
            path.starts_with("/api/subscriptions/domain-model/") && r["status"] == 200;
        if is_subscription {
            continue;
        }
        let request = Request::get(path).body(Body::empty()).unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        assert_eq!(
            status.as_u16() as u64,
            r["status"].as_u64().unwrap(),
            "{path}"
        );
        if status == StatusCode::TEMPORARY_REDIRECT {
            let location = response.headers()[header::LOCATION]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(
                r["location"].as_str().unwrap().ends_with(&location),
                "{path}: {location} vs {}",
                r["location"]
            );
            compared += 1;
            continue;
        }
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body: Value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{path}: {e}: {}", String::from_utf8_lossy(&body)));
        assert_eq!(canonical(&body), canonical(expected), "{path}");
        compared += 1;
    }
    assert_eq!(compared, 25, "every answer but the five subscriptions");
}

/// `v` with every list sorted, so that two answers compare whatever their lists' order.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(canonical).collect();
            items.sort_by_key(|i| i.to_string());
            Value::Array(items)
        }
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
        }
        other => other.clone(),
    }
}
