//! The products JSON API and the metadata pages (`orch_core::api::router`), over HTTP
//! in-process, after the workshop's migration, on every backend: the JSON is orchestrator-core's
//! (field names, values, epoch-float datetimes, UUID strings) with the rows orchestrator-core's
//! own migration writes (`data/workshop-metadata.json`), filters combine like orchestrator-core's,
//! errors have its shape (404, 422, 503), the number of queries does not grow with the number
//! of products, and the pages escape what they show.

#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::Utc;
use http_body_util::BodyExt;
use orch_core::entity::{
    fixed_inputs, product_blocks, product_product_blocks, products, products_workflows,
    resource_types, workflows,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectOptions, ConnectionTrait, Database,
    DatabaseConnection, EntityTrait, QueryFilter,
};
use serde_json::{Value, json};
use tests::{Backend, TestDb};
use tower::ServiceExt;
use uuid::Uuid;
use workshop as _;

const RECORDED: &str = include_str!("../data/workshop-metadata.json");

/// A fresh database with the core schema and the workshop's committed migration applied.
async fn migrated(backend: Backend) -> Option<TestDb> {
    TestDb::migrated(backend, workshop::migrations::migrations).await
}

/// One HTTP answer.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        assert_eq!(
            self.headers[header::CONTENT_TYPE],
            "application/json",
            "{}",
            self.text()
        );
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

async fn get(app: &Router, uri: &str) -> Answer {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: body.to_vec(),
    }
}

/// `GET uri`, expecting 200 and JSON.
async fn ok_json(app: &Router, uri: &str) -> Value {
    let answer = get(app, uri).await;
    assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.text());
    answer.json()
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("a JSON list")
        .iter()
        .map(|p| p["name"].as_str().expect("a name"))
        .collect()
}

/// Checks the ids and timestamps (UUID strings; epoch floats within the last hour) and
/// replaces them with `"<uuid>"` and `"<epoch>"`, so that the rest compares exactly, keys
/// included.
fn placeholders(value: &Value) -> Value {
    let now = Utc::now().timestamp() as f64;
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if k.ends_with("_id") {
                        let s = v.as_str().unwrap_or_else(|| panic!("{k} is a string: {v}"));
                        Uuid::parse_str(s).unwrap_or_else(|e| panic!("{k} = {s}: {e}"));
                        json!("<uuid>")
                    } else if k == "created_at" {
                        let t = v.as_f64().filter(|_| v.is_f64());
                        let t = t.unwrap_or_else(|| panic!("created_at is a float: {v}"));
                        assert!((now - t).abs() < 3600.0, "created_at {t} is about now");
                        json!("<epoch>")
                    } else {
                        placeholders(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(placeholders).collect()),
        other => other.clone(),
    }
}

/// orchestrator-core's resource type, block and product JSON for the recorded workshop rows,
/// with placeholders for ids and timestamps.
struct Expected {
    recorded: Value,
}

impl Expected {
    fn new() -> Expected {
        Expected {
            recorded: serde_json::from_str(RECORDED).unwrap(),
        }
    }

    fn resource_type(&self, name: &str) -> Value {
        json!({
            "resource_type": name,
            "description": self.recorded["resource_types"][name]["description"],
            "resource_type_id": "<uuid>",
        })
    }

    fn resource_types(&self) -> Value {
        let mut all: Vec<&String> = self.recorded["resource_types"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        all.sort();
        Value::Array(all.into_iter().map(|n| self.resource_type(n)).collect())
    }

    fn block(&self, name: &str) -> Value {
        let b = &self.recorded["product_blocks"][name];
        let mut rts: Vec<&str> = b["resource_types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        rts.sort();
        json!({
            "product_block_id": "<uuid>",
            "name": name,
            "description": b["description"],
            "tag": b["tag"],
            "status": b["status"],
            "resource_types": rts.iter().map(|r| self.resource_type(r)).collect::<Vec<_>>(),
            "created_at": "<epoch>",
            "end_date": b["end_date"],
        })
    }

    fn product(&self, name: &str) -> Value {
        let p = &self.recorded["products"][name];
        let fixed: Vec<Value> = p["fixed_inputs"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                json!({"fixed_input_id": "<uuid>", "name": k, "value": v, "product_id": "<uuid>", "created_at": "<epoch>"})
            })
            .collect();
        let blocks: Vec<Value> = p["product_blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| self.block(b.as_str().unwrap()))
            .collect();
        json!({
            "product_id": "<uuid>",
            "name": name,
            "description": p["description"],
            "product_type": p["product_type"],
            "status": p["status"],
            "tag": p["tag"],
            "created_at": "<epoch>",
            "end_date": p["end_date"],
            "product_blocks": blocks,
            "fixed_inputs": fixed,
            "workflows": p["workflows"],
        })
    }
}

async fn product_id(conn: &DatabaseConnection, name: &str) -> Uuid {
    products::Entity::find()
        .filter(products::Column::Name.eq(name))
        .one(conn)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("product {name}"))
        .product_id
}

async fn block_id(conn: &DatabaseConnection, name: &str) -> Uuid {
    product_blocks::Entity::find()
        .filter(product_blocks::Column::Name.eq(name))
        .one(conn)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("block {name}"))
        .product_block_id
}

/// Python's `datetime.timestamp()` of a stored time.
fn epoch(at: chrono::DateTime<Utc>) -> f64 {
    at.timestamp_micros() as f64 / 1e6
}

async fn lists_products_as_orchestrator_core(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let app = orch_core::api::router(db.conn.clone());
    let list = ok_json(&app, "/api/products/").await;
    assert_eq!(
        names(&list),
        ["User Group", "User external", "User internal"],
        "sorted by name"
    );
    let expected = Expected::new();
    for product in list.as_array().unwrap() {
        let name = product["name"].as_str().unwrap();
        assert_eq!(
            placeholders(product),
            expected.product(name),
            "{name} on {backend}"
        );
        // the ids and times are the database's, and they fit together
        let row = products::Entity::find_by_id(product_id(&db.conn, name).await)
            .one(&db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(product["product_id"], json!(row.product_id.to_string()));
        assert_eq!(product["created_at"], json!(epoch(row.created_at)));
        for f in product["fixed_inputs"].as_array().unwrap() {
            assert_eq!(f["product_id"], product["product_id"]);
        }
        for b in product["product_blocks"].as_array().unwrap() {
            let id = block_id(&db.conn, b["name"].as_str().unwrap()).await;
            assert_eq!(b["product_block_id"], json!(id.to_string()));
        }
    }
    let rts = ok_json(&app, "/api/resource_types/").await;
    assert_eq!(placeholders(&rts), expected.resource_types());
    let blocks = ok_json(&app, "/api/product_blocks/").await;
    assert_eq!(
        placeholders(&blocks),
        json!([
            expected.block("UserBlock"),
            expected.block("UserGroupBlock")
        ])
    );
}

async fn each_item_by_id(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let app = orch_core::api::router(db.conn.clone());
    for (list, item_id) in [
        ("/api/products/", "product_id"),
        ("/api/product_blocks/", "product_block_id"),
        ("/api/resource_types/", "resource_type_id"),
    ] {
        let all = ok_json(&app, list).await;
        assert!(!all.as_array().unwrap().is_empty());
        for item in all.as_array().unwrap() {
            let id = item[item_id].as_str().unwrap();
            let one = ok_json(&app, &format!("{list}{id}")).await;
            assert_eq!(&one, item, "{list}{id} is the list's item");
        }
    }
}

async fn filters_combine_exactly(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let app = orch_core::api::router(db.conn.clone());
    for (query, expected) in [
        ("tag=USER_EXT", &["User external"][..]),
        ("tag=GROUP", &["User Group"]),
        ("product_type=User", &["User external", "User internal"]),
        ("product_type=User&tag=USER_INT", &["User internal"]),
        ("product_type=User&tag=GROUP", &[]),
        ("tag=user_ext", &[]),
        ("tag=USER", &[]),
        ("product_type=UserGroup", &["User Group"]),
        ("tag=", &["User Group", "User external", "User internal"]),
        (
            "unknown=1",
            &["User Group", "User external", "User internal"],
        ),
        ("tag=GROUP&tag=USER_INT", &["User internal"]),
    ] {
        let list = ok_json(&app, &format!("/api/products/?{query}")).await;
        assert_eq!(names(&list), expected, "?{query} on {backend}");
    }
}

async fn workflows_without_deleted_ones(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let internal = product_id(&db.conn, "User internal").await;
    let now = Utc::now();
    for (name, deleted, is_task) in [
        ("create_user", false, false),
        ("validate_user", false, true),
        ("old_workflow", true, false),
    ] {
        let id = Uuid::new_v4();
        workflows::ActiveModel {
            workflow_id: Set(id),
            name: Set(name.into()),
            target: Set(if is_task { "SYSTEM" } else { "CREATE" }.into()),
            description: Set(format!("{name} description")),
            created_at: Set(now),
            deleted_at: Set(deleted.then_some(now)),
            is_task: Set(is_task),
        }
        .insert(&db.conn)
        .await
        .unwrap();
        products_workflows::ActiveModel {
            product_id: Set(internal),
            workflow_id: Set(id),
        }
        .insert(&db.conn)
        .await
        .unwrap();
    }
    let app = orch_core::api::router(db.conn.clone());
    let product = ok_json(&app, &format!("/api/products/{internal}")).await;
    assert_eq!(
        placeholders(&product["workflows"]),
        json!([
            {"name": "create_user", "target": "CREATE", "is_task": false, "description": "create_user description",
             "created_at": "<epoch>", "workflow_id": "<uuid>", "steps": null},
            {"name": "validate_user", "target": "SYSTEM", "is_task": true, "description": "validate_user description",
             "created_at": "<epoch>", "workflow_id": "<uuid>", "steps": null},
        ]),
        "on {backend}"
    );
    let external = ok_json(&app, "/api/products/?tag=USER_EXT").await;
    assert_eq!(external[0]["workflows"], json!([]));
}

async fn unknown_and_malformed_ids(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let app = orch_core::api::router(db.conn.clone());
    let unknown = Uuid::new_v4();
    // orchestrator-core's texts: its product route names the id, the others say "Not Found"
    for (path, parameter, detail) in [
        (
            "products",
            "product_id",
            format!("Product id {unknown} not found"),
        ),
        ("product_blocks", "product_block_id", "Not Found".to_owned()),
        ("resource_types", "resource_type_id", "Not Found".to_owned()),
    ] {
        let answer = get(&app, &format!("/api/{path}/{unknown}")).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(
            answer.json(),
            json!({"detail": detail, "status": 404, "title": "Not Found"})
        );
        // FastAPI's 422 body, as generated clients parse it
        let answer = get(&app, &format!("/api/{path}/not-a-uuid")).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            answer.json(),
            json!({"detail": [{"type": "uuid_parsing", "loc": ["path", parameter],
                "msg": "Input should be a valid UUID, invalid character: found `n` at 1",
                "input": "not-a-uuid", "ctx": {"error": "invalid character: found `n` at 1"}}]})
        );
    }
    // HEAD is a 405, as in orchestrator-core, not the GET handler without its body
    let request = Request::head("/api/products/").body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()[header::ALLOW], "GET");
}

tests::per_backend!(
    header_calls_tell_the_truth,
    lists_products_as_orchestrator_core,
    each_item_by_id,
    filters_combine_exactly,
    workflows_without_deleted_ones,
    unknown_and_malformed_ids,
    a_fixed_number_of_queries,
    a_closed_pool_is_503,
    pages_show_the_catalogue_escaped,
);

/// The trailing slash is part of the path, as in orchestrator-core; the other form redirects
/// (307, like FastAPI) with its query string, and nothing else answers.
#[tokio::test]
async fn trailing_slashes_like_orchestrator_core() {
    let db = migrated(Backend::Sqlite).await.unwrap();
    let app = orch_core::api::router(db.conn.clone());
    let id = product_id(&db.conn, "User Group").await;
    for (from, to) in [
        (
            "/api/products?tag=GROUP",
            "/api/products/?tag=GROUP".to_owned(),
        ),
        ("/api/product_blocks", "/api/product_blocks/".to_owned()),
        ("/api/resource_types", "/api/resource_types/".to_owned()),
        (
            &format!("/api/products/{id}/"),
            format!("/api/products/{id}"),
        ),
        ("/metadata/products/", "/metadata/products".to_owned()),
    ] {
        let answer = get(&app, from).await;
        assert_eq!(answer.status, StatusCode::TEMPORARY_REDIRECT, "{from}");
        assert_eq!(answer.headers[header::LOCATION], to.as_str(), "{from}");
        assert_eq!(get(&app, &to).await.status, StatusCode::OK, "{to}");
    }
    assert_eq!(
        get(&app, "/api/nothing").await.status,
        StatusCode::NOT_FOUND
    );
}

/// Loading is one query per table, however many products, blocks and fixed inputs there are.
async fn a_fixed_number_of_queries(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let count = Arc::new(AtomicUsize::new(0));
    let mut conn = db.connect().await;
    let counter = count.clone();
    conn.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let app = orch_core::api::router(conn);
    let queries = |uri: &'static str| {
        let (app, count) = (app.clone(), count.clone());
        async move {
            count.store(0, Ordering::SeqCst);
            let answer = get(&app, uri).await;
            assert_eq!(answer.status, StatusCode::OK, "{uri}");
            count.load(Ordering::SeqCst)
        }
    };
    let uris = [
        "/api/products/",
        "/api/products/?product_type=User",
        "/api/product_blocks/",
        "/api/resource_types/",
        "/metadata/products",
        "/metadata/product_blocks",
        "/metadata/resource_types",
    ];
    let mut before = Vec::new();
    for uri in uris {
        before.push(queries(uri).await);
    }
    // products: products, blocks, their resource types, inputs, workflows; blocks: blocks and
    // resource types; pages: those, the block relations and all resource types
    assert_eq!(before, [5, 5, 2, 1, 9, 9, 9], "queries for {uris:?}");

    // twenty more products, each with two fixed inputs, a root block and a workflow
    let user_block = block_id(&db.conn, "UserBlock").await;
    let now = Utc::now();
    for i in 0..20 {
        let id = Uuid::new_v4();
        products::ActiveModel {
            product_id: Set(id),
            name: Set(format!("User {i}")),
            description: Set(format!("user {i}")),
            product_type: Set("User".into()),
            tag: Set(format!("U{i}")),
            status: Set("active".into()),
            created_at: Set(now),
            end_date: Set(None),
        }
        .insert(&db.conn)
        .await
        .unwrap();
        for name in ["affiliation", "region"] {
            fixed_inputs::ActiveModel {
                fixed_input_id: Set(Uuid::new_v4()),
                name: Set(name.into()),
                value: Set(format!("{name} {i}")),
                created_at: Set(now),
                product_id: Set(id),
            }
            .insert(&db.conn)
            .await
            .unwrap();
        }
        product_product_blocks::ActiveModel {
            product_id: Set(id),
            product_block_id: Set(user_block),
        }
        .insert(&db.conn)
        .await
        .unwrap();
        let workflow = Uuid::new_v4();
        workflows::ActiveModel {
            workflow_id: Set(workflow),
            name: Set(format!("create_user_{i}")),
            target: Set("CREATE".into()),
            description: Set("create".into()),
            created_at: Set(now),
            deleted_at: Set(None),
            is_task: Set(false),
        }
        .insert(&db.conn)
        .await
        .unwrap();
        products_workflows::ActiveModel {
            product_id: Set(id),
            workflow_id: Set(workflow),
        }
        .insert(&db.conn)
        .await
        .unwrap();
    }
    let mut after = Vec::new();
    for uri in uris {
        after.push(queries(uri).await);
    }
    assert_eq!(
        before, after,
        "queries per request for {uris:?} on {backend}"
    );
    assert_eq!(
        ok_json(&app, "/api/products/?product_type=User")
            .await
            .as_array()
            .unwrap()
            .len(),
        22
    );
}

/// Asserts a 503 in orchestrator-core's shape with a `Retry-After`, for every JSON endpoint and
/// as an HTML page for the metadata pages.
async fn assert_unavailable(app: &Router, why: &str) {
    let id = Uuid::new_v4();
    for uri in [
        "/api/products/".to_owned(),
        format!("/api/products/{id}"),
        "/api/product_blocks/".to_owned(),
        format!("/api/product_blocks/{id}"),
        "/api/resource_types/".to_owned(),
        format!("/api/resource_types/{id}"),
    ] {
        let answer = get(app, &uri).await;
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{uri} ({why}): {}",
            answer.text()
        );
        assert_eq!(
            answer.json(),
            json!({"detail": "The database is unavailable, try again later", "status": 503, "title": "Service Unavailable"}),
            "{uri} ({why})"
        );
        assert!(answer.headers.contains_key(header::RETRY_AFTER));
    }
    for page in ["products", "product_blocks", "resource_types"] {
        let answer = get(app, &format!("/metadata/{page}")).await;
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{page} ({why})"
        );
        assert!(
            answer.text().contains("503 Service Unavailable"),
            "{}",
            answer.text()
        );
    }
    // the OpenAPI document needs no database
    assert_eq!(get(app, "/api/openapi.json").await.status, StatusCode::OK);
}

/// A pool that was closed (the app shutting down its database) answers 503, never panics.
async fn a_closed_pool_is_503(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let conn = db.connect().await;
    let app = orch_core::api::router(conn.clone());
    assert_eq!(get(&app, "/api/products/").await.status, StatusCode::OK);
    conn.close_by_ref().await.unwrap();
    assert_unavailable(&app, &format!("closed pool on {backend}")).await;
}

/// The database dropped under a running server (PostgreSQL terminates its sessions) is a 503,
/// and the server answers again once... never: the database is gone, but it does not panic.
#[tokio::test]
async fn a_dropped_postgres_database_is_503() {
    let Some(db) = migrated(Backend::Postgres).await else {
        return;
    };
    let app = orch_core::api::router(db.conn.clone());
    assert_eq!(get(&app, "/api/products/").await.status, StatusCode::OK);
    let (server, name) = db.url.rsplit_once('/').unwrap();
    let admin = Database::connect(format!("{server}/postgres"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .await
        .unwrap();
    admin.close().await.unwrap();
    assert_unavailable(&app, "dropped database").await;
}

/// A server that does not answer (nothing listens on the port) is a 503 after the pool's
/// acquire timeout, not a hang or a panic.
#[tokio::test]
async fn an_unreachable_server_is_503() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    for url in [
        format!("postgres://postgres@127.0.0.1:{port}/orch"),
        format!("mysql://root@127.0.0.1:{port}/orch"),
    ] {
        let mut options = ConnectOptions::new(url.clone());
        options
            .connect_lazy(true)
            .acquire_timeout(Duration::from_millis(500))
            .connect_timeout(Duration::from_millis(500))
            .sqlx_logging(false);
        let conn = Database::connect(options).await.unwrap();
        let app = orch_core::api::router(conn);
        assert_unavailable(&app, &url).await;
    }
}

/// The OpenAPI document is generated from the handlers: every JSON path, with its parameters,
/// its answers and orchestrator-core's schema names and datetime format.
#[tokio::test]
async fn the_openapi_document_lists_the_paths() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let app = orch_core::api::router(db.conn.clone());
    let doc = ok_json(&app, "/api/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        paths,
        [
            "/api/processes/status-counts",
            "/api/product_blocks/",
            "/api/product_blocks/{product_block_id}",
            "/api/products/",
            "/api/products/{product_id}",
            "/api/resource_types/",
            "/api/resource_types/{resource_type_id}",
            "/api/settings/status",
            "/api/subscriptions/domain-model/{subscription_id}",
        ]
    );
    // orchestrator-core's operationIds, so that generated clients keep their method names
    let reference: Value =
        serde_json::from_str(include_str!("../data/orchestrator-core-openapi.json")).unwrap();
    for path in [
        "/api/products/",
        "/api/products/{product_id}",
        "/api/product_blocks/{product_block_id}",
        "/api/resource_types/{resource_type_id}",
        "/api/subscriptions/domain-model/{subscription_id}",
        "/api/processes/status-counts",
        "/api/settings/status",
    ] {
        assert_eq!(
            doc["paths"][path]["get"]["operationId"],
            reference["paths"][path]["get"]["operationId"],
            "{path}"
        );
    }
    let list = &doc["paths"]["/api/products/"]["get"];
    let params: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["tag", "product_type"]);
    assert_eq!(
        list["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"],
        "#/components/schemas/ProductSchema"
    );
    let one = &doc["paths"]["/api/products/{product_id}"]["get"];
    assert_eq!(one["parameters"][0]["name"], "product_id");
    assert_eq!(one["parameters"][0]["in"], "path");
    assert_eq!(one["parameters"][0]["schema"]["format"], "uuid");
    for status in ["200", "404", "422", "503"] {
        assert!(one["responses"][status].is_object(), "{status}");
    }
    let schemas = &doc["components"]["schemas"];
    for name in [
        "ProductSchema",
        "ProductBlockSchema",
        "ResourceTypeSchema",
        "FixedInputSchema",
        "WorkflowSchema",
        "Problem",
    ] {
        assert!(schemas[name].is_object(), "{name}");
    }
    let product = &schemas["ProductSchema"]["properties"];
    assert_eq!(product["created_at"]["type"], "number");
    assert_eq!(product["created_at"]["format"], "unix-timestamp");
    let mut fields: Vec<&str> = product
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "created_at",
            "description",
            "end_date",
            "fixed_inputs",
            "name",
            "product_blocks",
            "product_id",
            "product_type",
            "status",
            "tag",
            "workflows"
        ]
    );
}

/// The row of `<tr id="{id}"...>` up to its `</tr>`.
fn row<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<tr id=\"{id}\""))
        .unwrap_or_else(|| panic!("row {id}"));
    let end = start + html[start..].find("</tr>").unwrap();
    &html[start..end]
}

async fn page(app: &Router, name: &str) -> String {
    let answer = get(app, &format!("/metadata/{name}")).await;
    assert_eq!(answer.status, StatusCode::OK, "{name}");
    assert_eq!(
        answer.headers[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let html = answer.text();
    // self-contained: no external scripts, styles or fonts
    for external in ["src=\"http", "href=\"http", "<link", "@import", "url("] {
        assert!(!html.contains(external), "{name} page has {external}");
    }
    html
}

/// The pages show the workshop's catalogue with its relations, and escape names, descriptions
/// and values: markup in the database stays text.
async fn pages_show_the_catalogue_escaped(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let evil = Uuid::new_v4();
    products::ActiveModel {
        product_id: Set(evil),
        name: Set("<script>alert(\"x\")</script> & 'co'".into()),
        description: Set("<b>bold</b> \"quoted\"".into()),
        product_type: Set("Evil<T>".into()),
        tag: Set("A&B".into()),
        status: Set("pre production".into()),
        created_at: Set(Utc::now()),
        end_date: Set(None),
    }
    .insert(&db.conn)
    .await
    .unwrap();
    fixed_inputs::ActiveModel {
        fixed_input_id: Set(Uuid::new_v4()),
        name: Set("x\"><img src=x>".into()),
        value: Set("</td>".into()),
        created_at: Set(Utc::now()),
        product_id: Set(evil),
    }
    .insert(&db.conn)
    .await
    .unwrap();
    let bare = Uuid::new_v4();
    product_blocks::ActiveModel {
        product_block_id: Set(bare),
        name: Set("Bare<Block>".into()),
        description: Set("no tag, no status".into()),
        tag: Set(None),
        status: Set(None),
        created_at: Set(Utc::now()),
        end_date: Set(None),
    }
    .insert(&db.conn)
    .await
    .unwrap();
    resource_types::ActiveModel {
        resource_type_id: Set(Uuid::new_v4()),
        resource_type: Set("undescribed".into()),
        description: Set(None),
    }
    .insert(&db.conn)
    .await
    .unwrap();
    let app = orch_core::api::router(db.conn.clone());

    let html = page(&app, "products").await;
    for text in [
        "User Group",
        "User internal",
        "User external",
        "GROUP",
        "USER_INT",
        "USER_EXT",
        "user administration - external",
    ] {
        assert!(html.contains(text), "{text}");
    }
    let external = product_id(&db.conn, "User external").await;
    let user_block = block_id(&db.conn, "UserBlock").await;
    let group_block = block_id(&db.conn, "UserGroupBlock").await;
    let r = row(&html, &format!("product-{external}"));
    assert!(
        r.contains(">affiliation</span> = <span class=\"v\">external<"),
        "{r}"
    );
    assert!(r.contains(&format!(
        "href=\"product_blocks#block-{user_block}\" title=\"block UserBlock\">UserBlock</a>"
    )));
    assert!(r.contains("status-active"));
    let r = row(&html, &format!("product-{evil}"));
    for escaped in [
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;",
        "&lt;b&gt;bold&lt;/b&gt; &quot;quoted&quot;",
        "Evil&lt;T&gt;",
        "A&amp;B",
        "x&quot;&gt;&lt;img src=x&gt;",
        "&lt;/td&gt;",
    ] {
        assert!(r.contains(escaped), "{escaped} in {r}");
    }
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img"));
    assert!(!html.contains("<b>bold"));
    assert_eq!(
        html.matches("<script>").count(),
        1,
        "only the page's own script"
    );
    assert!(r.contains("status-pre-production"));

    let html = page(&app, "product_blocks").await;
    let r = row(&html, &format!("block-{user_block}"));
    for rt in ["age", "user_id", "username"] {
        assert!(r.contains(&format!(">{rt}</a>")), "{rt} in {r}");
    }
    assert!(
        r.contains(&format!(
            "href=\"product_blocks#block-{group_block}\" title=\"block UserGroupBlock\">UserGroupBlock</a>"
        )),
        "UserBlock depends on UserGroupBlock: {r}"
    );
    assert!(r.contains(">User external<") && r.contains(">User internal<"));
    let r = row(&html, &format!("block-{group_block}"));
    assert!(
        r.contains(&format!(
            "href=\"product_blocks#block-{user_block}\" title=\"block UserBlock\">UserBlock</a>"
        )),
        "UserGroupBlock is used by UserBlock: {r}"
    );
    assert!(r.contains(">User Group<"));
    assert!(r.contains(">group_id</a>") && r.contains(">group_name</a>"));
    let r = row(&html, &format!("block-{bare}"));
    assert!(r.contains("Bare&lt;Block&gt;"));
    assert!(
        r.contains("no status recorded"),
        "a NULL status shows as none: {r}"
    );

    let html = page(&app, "resource_types").await;
    for (name, description) in [
        ("age", "age of the user"),
        ("group_id", "id of the user group"),
        ("username", "name of the user"),
    ] {
        assert!(html.contains(&format!(">{name}</code>")), "{name}");
        assert!(html.contains(description), "{description}");
    }
    assert!(html.contains(">undescribed</code>"));

    // a block with a NULL status is reported as null, not an invented lifecycle
    let block = ok_json(&app, &format!("/api/product_blocks/{bare}")).await;
    assert_eq!(block["status"], Value::Null);
    assert_eq!(block["tag"], Value::Null);
    assert_eq!(block["resource_types"], json!([]));
}

/// A NUL in a filter matches nothing (no stored tag or type can hold one) instead of reaching
/// PostgreSQL, which rejects the parameter: it answered 500 and logged an error.
async fn a_nul_in_a_filter_matches_nothing(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let app = orch_core::api::router(db.conn.clone());
    for uri in [
        "/api/products/?tag=%00",
        "/api/products/?product_type=User%00",
        "/api/products/?tag=GROUP&product_type=%00",
    ] {
        assert_eq!(ok_json(&app, uri).await, json!([]), "{uri}");
    }
    assert_eq!(
        names(&ok_json(&app, "/api/products/?tag=GROUP").await),
        ["User Group"]
    );
}

/// A query the database cannot answer (a column dropped) is a 500 with orchestrator-core's
/// shape and a fixed message: the driver's text, which names columns, never reaches the client.
async fn a_database_error_is_500_without_the_drivers_message(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    db.conn
        .execute_unprepared("ALTER TABLE fixed_inputs DROP COLUMN value")
        .await
        .unwrap();
    let app = orch_core::api::router(db.conn.clone());
    let answer = get(&app, "/api/products/").await;
    assert_eq!(
        answer.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        answer.text()
    );
    assert_eq!(
        answer.json(),
        json!({"detail": "The database could not answer the query", "status": 500, "title": "Internal Server Error"})
    );
    assert!(!answer.text().contains("value"), "{}", answer.text());
}

/// Another method than GET is a 405 with the error body and `Allow`, and a URI over the limit
/// a 414 with the error body (both had empty bodies).
async fn other_methods_and_long_uris_have_the_error_body(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let app = orch_core::api::router(db.conn.clone());
    let request = Request::post("/api/products/").body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        response.headers()[header::ALLOW]
            .to_str()
            .unwrap()
            .contains("GET")
    );
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({"detail": "Method Not Allowed", "status": 405, "title": "Method Not Allowed"})
    );
    let long = format!(
        "/api/products/?tag={}",
        "x".repeat(orch_core::api::MAX_URI_BYTES)
    );
    let answer = get(&app, &long).await;
    assert_eq!(answer.status, StatusCode::URI_TOO_LONG);
    assert_eq!(answer.json()["status"], 414);
    let fits = format!("/api/products/?tag={}", "x".repeat(1000));
    assert_eq!(ok_json(&app, &fits).await, json!([]));
}

tests::per_backend!(
    a_nul_in_a_filter_matches_nothing,
    a_database_error_is_500_without_the_drivers_message,
    other_methods_and_long_uris_have_the_error_body,
);

/// MariaDB's database dropped under a running server is a 503, as on PostgreSQL (it was a
/// 500: the pooled connections answer "table doesn't exist").
#[tokio::test]
async fn a_dropped_mariadb_database_is_503() {
    let Some(db) = migrated(Backend::MySql).await else {
        return;
    };
    let app = orch_core::api::router(db.conn.clone());
    assert_eq!(get(&app, "/api/products/").await.status, StatusCode::OK);
    let (server, name) = db.url.rsplit_once('/').unwrap();
    let admin = Database::connect(server.to_owned()).await.unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE `{name}`"))
        .await
        .unwrap();
    admin.close().await.unwrap();
    assert_unavailable(&app, "dropped database").await;
}

/// An SQLite file deleted under a running server is a 503, not the rows of the open file
/// (SQLite reads a deleted file for as long as it is open).
#[tokio::test]
async fn a_deleted_sqlite_file_is_503() {
    let Some(db) = migrated(Backend::Sqlite).await else {
        return;
    };
    let app = orch_core::api::router(db.conn.clone());
    assert_eq!(get(&app, "/api/products/").await.status, StatusCode::OK);
    let file = orch_core::db_url::sqlite_file(&db.url).unwrap();
    std::fs::remove_file(&file).unwrap();
    assert_unavailable(&app, "deleted file").await;
}

/// A burst of 1,000 simultaneous requests over a pool of 5 connections with a 1-second acquire
/// timeout: every request waits its turn and is answered 200 (77 of 1,000 were 503s, because
/// waiting requests timed out in the pool).
#[tokio::test]
async fn a_burst_waits_its_turn() {
    let Some(db) = migrated(Backend::Postgres).await else {
        return;
    };
    let mut options = ConnectOptions::new(db.url.clone());
    options
        .max_connections(5)
        .acquire_timeout(Duration::from_secs(1))
        .sqlx_logging(false);
    let conn = Database::connect(options).await.unwrap();
    let app = orch_core::api::router(conn.clone());
    let requests: Vec<_> = (0..1000)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { get(&app, "/api/products/").await.status })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::new();
    for r in requests {
        *statuses.entry(r.await.unwrap()).or_insert(0) += 1;
    }
    assert_eq!(
        statuses,
        std::collections::BTreeMap::from([(StatusCode::OK, 1000)])
    );
    conn.close().await.ok();
}

/// `req` with `headers`, answered by `app`: the status and headers.
async fn answer_with(app: &Router, req: Request<Body>) -> (StatusCode, HeaderMap) {
    let response = app.clone().oneshot(req).await.expect("infallible");
    (response.status(), response.headers().clone())
}

/// A browser on another origin reads the API only when that origin is listed (`serve
/// --allow-origin`): nothing by default, the listed origins exactly, every origin for `*`. A
/// preflight for orchestrator-ui's JSON POST is answered for a listed origin. The headers do
/// not depend on the database, so one backend shows them.
#[tokio::test]
async fn cors_only_for_listed_origins() {
    use orch_core::api::server::app;
    let db = migrated(Backend::Sqlite).await.unwrap();
    let ui = "http://localhost:3000";
    let get_from = |origin: &str| {
        Request::get("/api/products/")
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap()
    };
    let preflight = |origin: &str| {
        Request::options("/api/products/")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
            .body(Body::empty())
            .unwrap()
    };

    // by default: the answer, and no permission for the other origin
    let closed = app(db.conn.clone(), &[]).unwrap();
    let (status, headers) = answer_with(&closed, get_from(ui)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    let (_, headers) = answer_with(&closed, preflight(ui)).await;
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));

    // a listed origin, and only it
    let open = app(db.conn.clone(), &[ui.to_owned()]).unwrap();
    let (status, headers) = answer_with(&open, get_from(ui)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], ui);
    let (_, headers) = answer_with(&open, get_from("http://elsewhere.example")).await;
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    let (status, headers) = answer_with(&open, preflight(ui)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], ui);
    let methods = headers[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .unwrap();
    assert!(methods.contains("POST"), "{methods}");
    let allowed = headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("content-type"), "{allowed}");

    // every origin, when asked for
    let any = app(db.conn.clone(), &["*".to_owned()]).unwrap();
    let (_, headers) = answer_with(&any, get_from("http://elsewhere.example")).await;
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");

    // a mistyped origin is refused before serving, saying what an origin looks like
    let e = app(db.conn.clone(), &["localhost:3000".to_owned()]).unwrap_err();
    assert!(e.contains("http://") && e.contains("localhost:3000"), "{e}");
}

/// orchestrator-ui's header asks every page for the engine's status and the processes by
/// status: orch has no engine and says so (501, so the UI shows the status as unavailable),
/// and counts the `processes` rows there are (orchestrator-core's, when it shares the
/// database), one query whatever their number.
async fn header_calls_tell_the_truth(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let app = orch_core::api::router(db.conn.clone());
    let status = get(&app, "/api/settings/status").await;
    assert_eq!(status.status, StatusCode::NOT_IMPLEMENTED, "on {backend}");
    let body = status.json();
    assert_eq!(body["status"], 501);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("no workflow engine"),
        "{body}"
    );
    assert_eq!(
        ok_json(&app, "/api/processes/status-counts").await,
        json!({"process_counts": {}, "task_counts": {}}),
        "no process yet, on {backend}"
    );

    let workflow = Uuid::new_v4();
    workflows::ActiveModel {
        workflow_id: Set(workflow),
        name: Set("create_user".into()),
        target: Set("CREATE".into()),
        description: Set("create a user".into()),
        created_at: Set(Utc::now()),
        deleted_at: Set(None),
        is_task: Set(false),
    }
    .insert(&db.conn)
    .await
    .unwrap();
    for (status, is_task) in [
        ("completed", false),
        ("completed", false),
        ("failed", false),
        ("failed", true),
        ("running", true),
    ] {
        orch_core::entity::processes::ActiveModel {
            pid: Set(Uuid::new_v4()),
            assignee: Set("SYSTEM".into()),
            last_status: Set(status.into()),
            last_step: Set(None),
            started_at: Set(Utc::now()),
            last_modified_at: Set(Utc::now()),
            failed_reason: Set(None),
            traceback: Set(None),
            created_by: Set(None),
            is_task: Set(is_task),
            workflow_id: Set(workflow),
            note: Set(None),
        }
        .insert(&db.conn)
        .await
        .unwrap();
    }
    assert_eq!(
        ok_json(&app, "/api/processes/status-counts").await,
        json!({
            "process_counts": {"completed": 2, "failed": 1},
            "task_counts": {"failed": 1, "running": 1},
        }),
        "on {backend}"
    );
}

/// `POST /api/graphql` with `body`: the status and the JSON answer.
async fn graphql(app: &Router, body: impl Into<Body>) -> (StatusCode, Value) {
    let request = Request::post("/api/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap();
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
    (status, json)
}

/// The GraphQL endpoint answers the `version` query orchestrator-ui's header sends on every
/// page, in the form it reads (`applicationVersions[0].split(' ')[1]` is a version), and every
/// bad request as a GraphQL error, never a 500: a malformed document, an unknown field, a query
/// too deep or too large, a body that is not JSON or is too big.
#[tokio::test]
async fn graphql_answers_version_and_refuses_bad_requests() {
    use orch_core::api::graphql::{MAX_BODY_BYTES, application_versions};
    let db = migrated(Backend::Sqlite).await.unwrap();
    let app = orch_core::api::router(db.conn.clone());
    let query = |q: &str| json!({ "query": q }).to_string();

    let (status, answer) = graphql(
        &app,
        query("query Versions { version { applicationVersions } }"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let versions = answer["data"]["version"]["applicationVersions"]
        .as_array()
        .unwrap();
    assert_eq!(versions[0], "orchestrator-core: 5.5.0");
    assert_eq!(
        versions[0].as_str().unwrap().split(' ').nth(1),
        Some("5.5.0")
    );
    assert_eq!(
        json!(application_versions()),
        answer["data"]["version"]["applicationVersions"]
    );
    assert!(answer.get("errors").is_none(), "{answer}");

    let refused = |answer: &Value| -> String {
        answer["errors"][0]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no error in {answer}"))
            .to_owned()
    };
    let (status, answer) = graphql(&app, query("{ version { ")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!refused(&answer).is_empty());
    let (_, answer) = graphql(&app, query("{ version { nope } }")).await;
    assert!(refused(&answer).contains("nope"), "{answer}");

    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {}name{} }} }} }} }}",
        "{ ofType ".repeat(20),
        " }".repeat(20)
    );
    let (status, answer) = graphql(&app, query(&deep)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(refused(&answer).contains("too deep"), "{answer}");
    let wide: String = (0..1_100)
        .map(|i| format!("a{i}: version {{ applicationVersions }} "))
        .collect();
    let (status, answer) = graphql(&app, query(&format!("{{ {wide} }}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(refused(&answer).contains("too complex"), "{answer}");

    let (status, answer) = graphql(&app, "version please").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        refused(&answer).contains("not a GraphQL request"),
        "{answer}"
    );
    let (status, answer) = graphql(&app, vec![b' '; MAX_BODY_BYTES + 1]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(refused(&answer).contains("larger than"), "{answer}");
}
