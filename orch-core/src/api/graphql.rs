//! orchestrator-core's GraphQL API (`POST /api/graphql`), which orchestrator-ui reads every page
//! through.
//!
//! The types and field names are orchestrator-core's (`docs/orchestrator-core-graphql.md` in
//! the repository). So far it answers `version`, which the UI's header asks on every page; the
//! metadata and subscription connections are to come. A malformed document, an unknown field or
//! a query deeper or larger than the limits below is a GraphQL error (`{"errors": [...]}`),
//! never a 500; a body that is not JSON is a 400 with the same shape.

use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, SimpleObject};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// How deep a query may nest: the UI's deepest document (a subscription's blocks) is 6 levels.
pub const MAX_DEPTH: usize = 16;

/// How many fields a query may select, counting each once: the UI's largest document selects
/// under 100.
pub const MAX_COMPLEXITY: usize = 2_000;

/// The largest request body read, in bytes: the UI's documents are a few KiB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The application versions the API reports: the orchestrator-core API whose schema and read
/// endpoints orch answers (orchestrator-ui compares its version with the one it needs), then
/// orch's own.
pub fn application_versions() -> Vec<String> {
    vec![
        "orchestrator-core: 5.5.0".to_owned(),
        format!("orch: {}", env!("CARGO_PKG_VERSION")),
    ]
}

/// `version`'s answer, named as orchestrator-core names it.
#[derive(SimpleObject)]
#[graphql(name = "VersionType")]
struct VersionType {
    /// `"<name>: <semver>"` entries, the first orchestrator-core's.
    application_versions: Vec<String>,
}

/// The root query.
pub struct Query;

#[Object]
impl Query {
    /// The versions of the API and of orch.
    async fn version(&self) -> VersionType {
        VersionType {
            application_versions: application_versions(),
        }
    }
}

/// The schema with its limits.
pub type OrchSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Builds the schema once per router.
pub fn schema() -> OrchSchema {
    Schema::build(Query, EmptyMutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// `POST /api/graphql`: the body is `{"query", "variables"?, "operationName"?}`.
pub(crate) async fn handle(
    State(schema): State<OrchSchema>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        // over MAX_BODY_BYTES (the router's body limit), or a body that could not be read
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request is larger than {MAX_BODY_BYTES} bytes"),
            );
        }
        Err(e) => return error(e.status(), e.body_text()),
    };
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("The body is not a GraphQL request in JSON: {e}"),
            );
        }
    };
    Json(schema.execute(request).await).into_response()
}

/// A GraphQL-shaped error outside execution.
fn error(status: StatusCode, message: String) -> Response {
    (
        status,
        Json(serde_json::json!({ "data": null, "errors": [{ "message": message }] })),
    )
        .into_response()
}
