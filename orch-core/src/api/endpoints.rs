//! The JSON endpoints, at orchestrator-core's paths (`/api/products/` with its trailing slash,
//! `/api/products/{product_id}` without), plus the two list endpoints orchestrator-core lacks.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use utoipa::IntoParams;
use uuid::Uuid;

use super::ApiState;
use super::error::ApiError;
use super::load::{self, ProductFilter};
use super::schema::{Problem, ProductBlockSchema, ProductSchema, ResourceTypeSchema};

/// The filters of `GET /api/products/`.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProductQuery {
    /// Only products with exactly this tag (an empty value filters nothing).
    tag: Option<String>,
    /// Only products of exactly this product type (an empty value filters nothing).
    product_type: Option<String>,
}

impl ProductQuery {
    /// Reads the filters as orchestrator-core (FastAPI) does: a repeated parameter takes its
    /// last value, unknown parameters are ignored, and an empty value filters nothing.
    fn from_pairs(pairs: Vec<(String, String)>) -> ProductQuery {
        let mut query = ProductQuery::default();
        for (key, value) in pairs {
            let value = Some(value).filter(|v| !v.is_empty());
            match key.as_str() {
                "tag" => query.tag = value,
                "product_type" => query.product_type = value,
                _ => {}
            }
        }
        query
    }
}

/// Parses a path id, answering 422 in orchestrator-core's error shape when it is not a UUID.
/// A path id, or FastAPI's 422 for it, with pydantic's message (`parameter` names it in `loc`).
fn parse_id(raw: &str, parameter: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| {
        let error = uuid_error(raw);
        ApiError::validation(
            "uuid_parsing",
            ["path", parameter],
            format!("Input should be a valid UUID, {error}"),
            raw,
            Some(serde_json::json!({ "error": error })),
        )
    })
}

/// Why `raw` is not a UUID, in the words pydantic uses (those of the Rust `uuid` crate of its
/// build), found the way that crate finds it: the first character that is not a hex digit or a
/// hyphen, else a wrong length without hyphens, a wrong number of groups, or a group of the
/// wrong length.
fn uuid_error(raw: &str) -> String {
    let (body, offset, simple) =
        if let Some(b) = raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            (b, 1, false)
        } else if let Some(b) = raw.strip_prefix("urn:uuid:") {
            (b, "urn:uuid:".len(), false)
        } else {
            (raw, 0, true)
        };
    let mut hyphens = Vec::new();
    for (index, c) in body.char_indices() {
        if c == '-' {
            hyphens.push(index);
        } else if !c.is_ascii_hexdigit() {
            return format!("invalid character: found `{c}` at {}", index + offset + 1);
        }
    }
    if hyphens.is_empty() && simple {
        return format!(
            "invalid length: expected length 32 for simple format, found {}",
            raw.len()
        );
    }
    if hyphens.len() != 4 {
        return format!(
            "invalid group count: expected 5, found {}",
            hyphens.len() + 1
        );
    }
    const STARTS: [usize; 5] = [0, 9, 14, 19, 24];
    const LENGTHS: [usize; 5] = [8, 4, 4, 4, 12];
    for (group, hyphen) in hyphens.iter().enumerate() {
        if *hyphen != STARTS[group + 1] - 1 {
            return format!(
                "invalid group length in group {group}: expected {}, found {}",
                LENGTHS[group],
                hyphen - STARTS[group]
            );
        }
    }
    format!(
        "invalid group length in group 4: expected 12, found {}",
        body.len() - STARTS[4]
    )
}

/// Lists products, optionally filtered by tag and product type.
///
/// Each product comes with its root product blocks (with their resource types), its fixed
/// inputs and its workflows (without soft-deleted ones), as orchestrator-core's
/// `GET /api/products/` answers. Products are sorted by name.
#[utoipa::path(
    get,
    path = "/api/products/",
    tag = "Product",
    params(ProductQuery),
    responses(
        (status = OK, description = "The matching products", body = Vec<ProductSchema>),
        (status = UNPROCESSABLE_ENTITY, description = "A malformed query string", body = Problem),
        (status = SERVICE_UNAVAILABLE, description = "The database cannot be reached", body = Problem),
    )
)]
pub(crate) async fn list_products(
    State(state): State<ApiState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Vec<ProductSchema>>, ApiError> {
    let Query(pairs) =
        query.map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.body_text()))?;
    let query = ProductQuery::from_pairs(pairs);
    // no stored tag or type holds a NUL (PostgreSQL cannot store one, and `generate` refuses
    // it everywhere); PostgreSQL would reject the parameter itself
    if [&query.tag, &query.product_type]
        .into_iter()
        .flatten()
        .any(|v| v.contains('\0'))
    {
        return Ok(Json(Vec::new()));
    }
    let filter = ProductFilter {
        product_id: None,
        tag: query.tag,
        product_type: query.product_type,
    };
    Ok(Json(load::products(&state.db, &filter).await?))
}

/// One product by id, with its blocks, fixed inputs and workflows.
#[utoipa::path(
    get,
    path = "/api/products/{product_id}",
    tag = "Product",
    params(("product_id" = Uuid, Path, description = "The product's id")),
    responses(
        (status = OK, description = "The product", body = ProductSchema),
        (status = NOT_FOUND, description = "No product has this id", body = Problem,
            example = json!({"detail": "Product id 00000000-0000-0000-0000-000000000000 not found", "status": 404, "title": "Not Found"})),
        (status = UNPROCESSABLE_ENTITY, description = "The id is not a UUID", body = Problem),
        (status = SERVICE_UNAVAILABLE, description = "The database cannot be reached", body = Problem),
    )
)]
pub(crate) async fn get_product(
    State(state): State<ApiState>,
    Path(product_id): Path<String>,
) -> Result<Json<ProductSchema>, ApiError> {
    let id = parse_id(&product_id, "product_id")?;
    let filter = ProductFilter {
        product_id: Some(id),
        ..ProductFilter::default()
    };
    load::products(&state.db, &filter)
        .await?
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("Product id {id} not found")))
}

/// Lists all product blocks with their resource types, sorted by name (orch only:
/// orchestrator-core lists blocks through GraphQL).
#[utoipa::path(
    get,
    path = "/api/product_blocks/",
    tag = "Product block",
    responses(
        (status = OK, description = "All product blocks", body = Vec<ProductBlockSchema>),
        (status = SERVICE_UNAVAILABLE, description = "The database cannot be reached", body = Problem),
    )
)]
pub(crate) async fn list_product_blocks(
    State(state): State<ApiState>,
) -> Result<Json<Vec<ProductBlockSchema>>, ApiError> {
    Ok(Json(load::product_blocks(&state.db, None).await?))
}

/// One product block by id, with its resource types.
#[utoipa::path(
    get,
    path = "/api/product_blocks/{product_block_id}",
    tag = "Product block",
    params(("product_block_id" = Uuid, Path, description = "The product block's id")),
    responses(
        (status = OK, description = "The product block", body = ProductBlockSchema),
        (status = NOT_FOUND, description = "No product block has this id", body = Problem,
            example = json!({"detail": "Not Found", "status": 404, "title": "Not Found"})),
        (status = UNPROCESSABLE_ENTITY, description = "The id is not a UUID", body = Problem),
        (status = SERVICE_UNAVAILABLE, description = "The database cannot be reached", body = Problem),
    )
)]
pub(crate) async fn get_product_block(
    State(state): State<ApiState>,
    Path(product_block_id): Path<String>,
) -> Result<Json<ProductBlockSchema>, ApiError> {
    let id = parse_id(&product_block_id, "product_block_id")?;
    load::product_blocks(&state.db, Some(id))
        .await?
        .pop()
        .map(Json)
        // orchestrator-core's words for an unknown block
        .ok_or_else(|| ApiError::not_found("Not Found"))
}

/// Lists all resource types, sorted by name (orch only: orchestrator-core lists them through
/// GraphQL).
#[utoipa::path(
    get,
    path = "/api/resource_types/",
    tag = "Resource type",
    responses(
        (status = OK, description = "All resource types", body = Vec<ResourceTypeSchema>),
        (status = SERVICE_UNAVAILABLE, description = "The database cannot be reached", body = Problem),
    )
)]
pub(crate) async fn list_resource_types(
    State(state): State<ApiState>,
) -> Result<Json<Vec<ResourceTypeSchema>>, ApiError> {
    Ok(Json(load::resource_types(&state.db, None).await?))
}

/// One resource type by id.
#[utoipa::path(
    get,
    path = "/api/resource_types/{resource_type_id}",
    tag = "Resource type",
    params(("resource_type_id" = Uuid, Path, description = "The resource type's id")),
    responses(
        (status = OK, description = "The resource type", body = ResourceTypeSchema),
        (status = NOT_FOUND, description = "No resource type has this id", body = Problem,
            example = json!({"detail": "Not Found", "status": 404, "title": "Not Found"})),
        (status = UNPROCESSABLE_ENTITY, description = "The id is not a UUID", body = Problem),
        (status = SERVICE_UNAVAILABLE, description = "The database cannot be reached", body = Problem),
    )
)]
pub(crate) async fn get_resource_type(
    State(state): State<ApiState>,
    Path(resource_type_id): Path<String>,
) -> Result<Json<ResourceTypeSchema>, ApiError> {
    let id = parse_id(&resource_type_id, "resource_type_id")?;
    load::resource_types(&state.db, Some(id))
        .await?
        .pop()
        .map(Json)
        // orchestrator-core's words for an unknown resource type
        .ok_or_else(|| ApiError::not_found("Not Found"))
}

/// A subscription's domain model, loaded through its product's registered type: the
/// subscription's fields, fixed inputs and blocks, each block with `in_use_by_ids` and
/// `in_use_by_relations`, as orchestrator-core's endpoint answers. With `filter_owner_relations`
/// (the default, as in orchestrator-core) a block's `in_use_by_ids` leaves out the blocks of
/// this same subscription; `in_use_by_relations` always lists them all.
#[utoipa::path(
    get,
    path = "/api/subscriptions/domain-model/{subscription_id}",
    operation_id = "get_subscription_domain_model",
    tag = "Subscription",
    params(
        ("subscription_id" = Uuid, Path, description = "The subscription's id"),
        ("filter_owner_relations" = Option<bool>, Query,
            description = "Leave this subscription's own blocks out of `in_use_by_ids` (default true)"),
    ),
    responses(
        (status = OK, description = "The domain model", body = serde_json::Value),
        (status = NOT_FOUND, description = "No subscription has this id", body = Problem),
        (status = UNPROCESSABLE_ENTITY, description = "The id is not a UUID", body = Problem),
        (status = SERVICE_UNAVAILABLE, description = "The database cannot be reached", body = Problem),
    )
)]
pub(crate) async fn subscription_domain_model(
    State(state): State<ApiState>,
    Path(subscription_id): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    use crate::subscription::SubscriptionError;
    let Query(pairs) =
        query.map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.body_text()))?;
    let id = parse_id(&subscription_id, "subscription_id")?;
    // the last value counts, as with FastAPI
    let filter = match pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "filter_owner_relations")
    {
        None => true,
        Some((_, v)) => parse_bool(v).ok_or_else(|| {
            ApiError::validation(
                "bool_parsing",
                ["query", "filter_owner_relations"],
                "Input should be a valid boolean, unable to interpret input".into(),
                v,
                None,
            )
        })?,
    };
    match crate::subscription::load_json(&state.db, id).await {
        Ok(mut json) => {
            if filter {
                filter_owner_relations(&mut json);
            }
            // orchestrator-core's schema has these keys, always null here; a field of the
            // product type with one of these names keeps its value
            if let serde_json::Value::Object(map) = &mut json {
                for key in ["product_id", "name", "tag"] {
                    map.entry(key).or_insert(serde_json::Value::Null);
                }
            }
            Ok(Json(json))
        }
        Err(SubscriptionError::NotFound(id)) => Err(ApiError::not_found(format!(
            "Subscription with id: {id}, not found"
        ))),
        Err(SubscriptionError::Db(e)) => Err(e.into()),
        Err(e) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
        )),
    }
}

/// A boolean as pydantic reads one from a query string.
fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "on" | "t" | "true" | "y" | "yes" => Some(true),
        "0" | "off" | "f" | "false" | "n" | "no" => Some(false),
        _ => None,
    }
}

/// Leaves the instances of the subscription itself (and its id) out of every block's
/// `in_use_by_ids`, as orchestrator-core's `filter_owner_relations` does.
fn filter_owner_relations(json: &mut serde_json::Value) {
    use serde_json::Value;
    fn own_ids(v: &Value, out: &mut std::collections::HashSet<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(id)) = map.get("subscription_instance_id")
                    && map.contains_key("in_use_by_ids")
                {
                    out.insert(id.clone());
                }
                map.values().for_each(|v| own_ids(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| own_ids(v, out)),
            _ => {}
        }
    }
    fn filter(v: &mut Value, own: &std::collections::HashSet<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::Array(ids)) = map.get_mut("in_use_by_ids") {
                    ids.retain(|id| id.as_str().is_none_or(|id| !own.contains(id)));
                }
                map.values_mut().for_each(|v| filter(v, own));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| filter(v, own)),
            _ => {}
        }
    }
    let mut own = std::collections::HashSet::new();
    if let Some(id) = json["subscription_id"].as_str() {
        own.insert(id.to_owned());
    }
    if let serde_json::Value::Object(map) = &*json {
        map.values().for_each(|v| own_ids(v, &mut own));
    }
    filter(json, &own);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_errors_in_pydantic_words() {
        for (raw, error) in [
            ("not-a-uuid", "invalid character: found `n` at 1"),
            (
                "123",
                "invalid length: expected length 32 for simple format, found 3",
            ),
            ("1234-5678", "invalid group count: expected 5, found 2"),
            (
                "00000000-000-0000-0000-000000000000",
                "invalid group length in group 1: expected 4, found 3",
            ),
            (
                "00000000-0000-0000-0000-0000000000000",
                "invalid group length in group 4: expected 12, found 13",
            ),
            ("{0000000x}", "invalid character: found `x` at 9"),
        ] {
            assert_eq!(uuid_error(raw), error, "{raw}");
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn filters_read_like_fastapi() {
        let q = ProductQuery::from_pairs(pairs(&[
            ("tag", "A"),
            ("tag", "B"),
            ("product_type", ""),
            ("other", "x"),
        ]));
        assert_eq!(q.tag.as_deref(), Some("B"));
        assert_eq!(q.product_type, None);
    }
}
