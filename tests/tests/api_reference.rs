//! orch's products API on a real orchestrator-core 5.5.0 database after the workshop
//! (`data/orchestrator-core-workshop-db.sql`), compared body for body with what
//! orchestrator-core answered to the same requests on that database
//! (`data/orchestrator-core-api-responses.json`): the same ids, so nothing needs mapping.
//!
//! Lists are compared in any order: orch sorts them by name (a deliberate addition, see the
//! README), orchestrator-core returns them in the database's order. The dump holds the products
//! but not the five subscriptions of the domain-model answers: [`subscriptions_from`] writes
//! them from those answers themselves (their ids, blocks, values and relations, with plain
//! SQL), and orch's answers for them are compared too.

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
    let recorded: Value = serde_json::from_str(RESPONSES).unwrap();
    subscriptions_from(&db.conn, &recorded).await;
    let app = orch_core::api::router(db.conn.clone());
    let mut compared = 0;
    for r in recorded["responses"].as_array().unwrap() {
        let path = r["path"].as_str().unwrap();
        let expected = &r["body"];
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
    assert_eq!(compared, 30, "every answer");
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

/// Writes the subscriptions of the recorded domain-model answers into the database, as
/// orchestrator-core stored them: the subscription rows, each block instance once (with its
/// owner, label and values), and the relations between them.
async fn subscriptions_from(conn: &sea_orm::DatabaseConnection, recorded: &Value) {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{
        Alias, Expr, ExprTrait, PostgresQueryBuilder, Query, QueryStatementBuilder, SimpleExpr,
    };
    const META: [&str; 6] = [
        "name",
        "subscription_instance_id",
        "owner_subscription_id",
        "label",
        "in_use_by_ids",
        "in_use_by_relations",
    ];
    let bodies: Vec<&Value> = recorded["responses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == 200 && r["path"].as_str().unwrap().contains("domain-model"))
        .map(|r| &r["body"])
        .collect();
    assert_eq!(bodies.len(), 5);
    let time = |v: &Value| {
        v.as_f64()
            .map(|t| chrono::DateTime::from_timestamp_micros((t * 1e6).round() as i64).unwrap())
    };
    let uuid = |v: &Value| uuid::Uuid::parse_str(v.as_str().unwrap()).unwrap();
    let insert = |table: &str, columns: &[&str], values: Vec<SimpleExpr>| {
        let (sql, values) = Query::insert()
            .into_table(Alias::new(table))
            .columns(columns.iter().map(|c| Alias::new(*c)))
            .values_panic(values)
            .to_owned()
            .build(PostgresQueryBuilder);
        sea_orm::Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, sql, values)
    };
    let id_of = |table: &str, id: &str, column: &str, name: &str| -> SimpleExpr {
        SimpleExpr::SubQuery(
            None,
            Box::new(
                Query::select()
                    .column(Alias::new(id))
                    .from(Alias::new(table))
                    .and_where(Expr::col(Alias::new(column)).eq(name))
                    .to_owned()
                    .into_sub_query_statement(),
            ),
        )
    };
    for b in &bodies {
        conn.execute_raw(insert(
            "subscriptions",
            &[
                "subscription_id",
                "description",
                "status",
                "product_id",
                "customer_id",
                "insync",
                "start_date",
                "end_date",
                "note",
                "version",
            ],
            vec![
                uuid(&b["subscription_id"]).into(),
                b["description"].as_str().into(),
                b["status"].as_str().into(),
                uuid(&b["product"]["product_id"]).into(),
                b["customer_id"].as_str().into(),
                b["insync"].as_bool().into(),
                time(&b["start_date"]).into(),
                time(&b["end_date"]).into(),
                b["note"].as_str().into(),
                (b["version"].as_i64().unwrap() as i32).into(),
            ],
        ))
        .await
        .unwrap();
    }
    let mut instances = std::collections::BTreeSet::new();
    let mut relations = std::collections::BTreeSet::new();
    let mut stack: Vec<&Value> = bodies
        .iter()
        .flat_map(|b| b.as_object().unwrap().values())
        .filter(|v| v.get("subscription_instance_id").is_some())
        .collect();
    while let Some(block) = stack.pop() {
        let id = uuid(&block["subscription_instance_id"]);
        if !instances.insert(id) {
            continue;
        }
        conn.execute_raw(insert(
            "subscription_instances",
            &[
                "subscription_instance_id",
                "subscription_id",
                "product_block_id",
                "label",
            ],
            vec![
                id.into(),
                uuid(&block["owner_subscription_id"]).into(),
                id_of(
                    "product_blocks",
                    "product_block_id",
                    "name",
                    block["name"].as_str().unwrap(),
                ),
                block["label"].as_str().into(),
            ],
        ))
        .await
        .unwrap();
        for (field, value) in block.as_object().unwrap() {
            if META.contains(&field.as_str()) {
                continue;
            }
            if value.get("subscription_instance_id").is_some() {
                relations.insert((id, field.clone(), uuid(&value["subscription_instance_id"])));
                stack.push(value);
                continue;
            }
            let items: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                Value::Null => Vec::new(),
                one => vec![one],
            };
            for item in items {
                let text = match item {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                conn.execute_raw(insert(
                    "subscription_instance_values",
                    &[
                        "subscription_instance_value_id",
                        "subscription_instance_id",
                        "resource_type_id",
                        "value",
                    ],
                    vec![
                        uuid::Uuid::now_v7().into(),
                        id.into(),
                        id_of("resource_types", "resource_type_id", "resource_type", field),
                        text.into(),
                    ],
                ))
                .await
                .unwrap();
            }
        }
    }
    for (parent, field, child) in relations {
        conn.execute_raw(insert(
            "subscription_instance_relations",
            &[
                "in_use_by_id",
                "depends_on_id",
                "order_id",
                "domain_model_attr",
            ],
            vec![parent.into(), child.into(), 0i32.into(), field.into()],
        ))
        .await
        .unwrap();
    }
}
