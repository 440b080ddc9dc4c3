//! See what the migrations did: orchestrator-core's products JSON API and readable metadata
//! pages, as one axum router (cargo feature `api`).
//!
//! [`router`] answers at orchestrator-core's paths with its JSON field names, so its clients
//! (the orchestrator UI, scripts, generated clients) work unchanged against orch's tables:
//!
//! | path | answer |
//! |---|---|
//! | `GET /api/products/?tag=&product_type=` | products with root blocks, fixed inputs, workflows |
//! | `GET /api/products/{product_id}` | one product |
//! | `GET /api/product_blocks/` | all blocks with resource types (orch only) |
//! | `GET /api/product_blocks/{product_block_id}` | one block |
//! | `GET /api/resource_types/` | all resource types (orch only) |
//! | `GET /api/resource_types/{resource_type_id}` | one resource type |
//! | `GET /api/subscriptions/domain-model/{subscription_id}` | a subscription's blocks and values |
//! | `GET /api/processes/status-counts` | `processes` rows by kind and status (orchestrator-ui's header) |
//! | `GET /api/settings/status` | 501: orch runs no workflow engine ([`engine`]) |
//! | `POST /api/graphql` | orchestrator-core's GraphQL API, so far `version` ([`graphql`]) |
//! | `GET /api/openapi.json` | the OpenAPI document of the above ([`openapi`]) |
//! | `GET /metadata/products`, `/metadata/product_blocks`, `/metadata/resource_types` | HTML pages with a filter box |
//!
//! Datetimes are Unix epoch floats and UUIDs strings, as orchestrator-core writes them. Errors
//! are `{"detail": ..., "status": ..., "title": ...}`: 404 for an unknown id, 503 (with
//! `Retry-After`) when the database cannot be reached, 500 for any other database error; a path
//! or query value of the wrong type is FastAPI's 422, `{"detail": [{type, loc, msg, input}]}`. Like orchestrator-core (FastAPI), a path with the other trailing slash
//! is redirected (307) to the registered one, query string included.
//!
//! Every request reads with a fixed number of queries, whatever the number of products.
//!
//! Requests are served as many at a time as the pool has connections; the others wait their
//! turn for up to [`QUEUE_WAIT`] (then 503), so a burst is queued instead of failing. A URI
//! over [`MAX_URI_BYTES`] is a 414, a method other than GET a 405, both with the error body;
//! an SQLite file deleted while the server runs is a 503.
//!
//! Mount it in an app:
//!
//! ```no_run
//! # async fn serve(db: sea_orm::DatabaseConnection) -> std::io::Result<()> {
//! let app = orch_core::api::router(db);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! The router has no fallback, so it can be merged into an app's own router. It allows no other
//! web origin; [`cors::cors`] is the layer that lets listed ones (orchestrator-ui's) read it.

use axum::Router;
use axum::body::Bytes;
use axum::extract::OriginalUri;
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod cors;
mod endpoints;
pub mod engine;
pub mod error;
pub mod graphql;
mod guard;
mod html;
mod load;
pub mod schema;
pub mod server;

pub use error::ApiError;
pub use guard::{MAX_URI_BYTES, QUEUE_WAIT};

/// What every handler gets: the database pool (cheap to clone).
#[derive(Clone)]
pub(crate) struct ApiState {
    db: DatabaseConnection,
}

/// The OpenAPI document's fixed parts; the paths come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "orch",
        description = "orchestrator-core's products API, read from orch's tables. Datetimes are \
                       Unix epoch seconds (floats), UUIDs strings; errors are \
                       `{detail, status, title}`."
    ),
    tags(
        (name = "Product", description = "Products with their blocks, fixed inputs and workflows"),
        (name = "Product block", description = "Product blocks with their resource types"),
        (name = "Resource type", description = "Resource types"),
        (name = "Subscription", description = "Subscriptions as domain models"),
        (name = "Process", description = "What orchestrator-ui's header asks of the workflow engine orch does not have"),
    )
)]
struct ApiDoc;

/// The JSON routes, documented: the single source of both the router and the document.
fn documented() -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(endpoints::list_products))
        .routes(routes!(endpoints::get_product))
        .routes(routes!(endpoints::list_product_blocks))
        .routes(routes!(endpoints::get_product_block))
        .routes(routes!(endpoints::list_resource_types))
        .routes(routes!(endpoints::get_resource_type))
        .routes(routes!(endpoints::subscription_domain_model))
        .routes(routes!(engine::status_counts))
        .routes(routes!(engine::engine_status))
}

/// The OpenAPI document of the JSON endpoints, as served at `/api/openapi.json`, for tools
/// that generate clients or check them without running a server.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().split_for_parts().1
}

/// The API and the metadata pages over `db`, ready to serve or to merge into an app's router.
///
/// The database must have orchestrator-core's tables (`orch-migrate up`); the router only
/// reads them.
pub fn router(db: DatabaseConnection) -> Router {
    let (api, doc) = documented().split_for_parts();
    let doc: Bytes = serde_json::to_vec(&doc)
        .expect("an OpenAPI document serializes")
        .into();
    let mut router = api
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], doc) }
            }),
        )
        .route(
            "/api/graphql",
            axum::routing::post(graphql::handle)
                .with_state(graphql::schema())
                .layer(axum::extract::DefaultBodyLimit::max(
                    graphql::MAX_BODY_BYTES,
                )),
        )
        .route("/metadata/products", get(html::products))
        .route("/metadata/product_blocks", get(html::product_blocks))
        .route("/metadata/resource_types", get(html::resource_types))
        .route(
            "/metadata",
            get(|| async { Redirect::temporary("metadata/products") }),
        )
        .route(
            "/metadata/",
            get(|| async { Redirect::temporary("products") }),
        );
    // orchestrator-core (FastAPI) redirects a path with the other trailing slash to the
    // registered one; so does orch, instead of answering 404
    for path in [
        "/api/products",
        "/api/products/{id}/",
        "/api/product_blocks",
        "/api/product_blocks/{id}/",
        "/api/resource_types",
        "/api/resource_types/{id}/",
        "/api/subscriptions/domain-model/{id}/",
        "/metadata/products/",
        "/metadata/product_blocks/",
        "/metadata/resource_types/",
    ] {
        router = router.route(path, get(toggle_trailing_slash));
    }
    let guard = guard::Guard::new(&db);
    router
        .layer(axum::middleware::from_fn_with_state(guard, guard::guard))
        .with_state(ApiState { db })
}

/// Redirects (307, like FastAPI) to the same path with the trailing slash added or removed,
/// keeping the query string. Uses the original URI, so it also works when an app nests the
/// router under a prefix.
async fn toggle_trailing_slash(OriginalUri(uri): OriginalUri) -> impl IntoResponse {
    let path = uri.path();
    let mut target = match path.strip_suffix('/') {
        Some(stripped) => stripped.to_owned(),
        None => format!("{path}/"),
    };
    if let Some(query) = uri.query() {
        target.push('?');
        target.push_str(query);
    }
    Redirect::temporary(&target)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_lists_every_json_path() {
        let doc = super::openapi();
        let paths: Vec<&str> = doc.paths.paths.keys().map(String::as_str).collect();
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
    }
}
