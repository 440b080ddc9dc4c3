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
fn parse_id(raw: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{what} id '{raw}' is not a valid UUID: {e}"),
        )
    })
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
    let id = parse_id(&product_id, "Product")?;
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
        (status = NOT_FOUND, description = "No product block has this id", body = Problem),
        (status = UNPROCESSABLE_ENTITY, description = "The id is not a UUID", body = Problem),
        (status = SERVICE_UNAVAILABLE, description = "The database cannot be reached", body = Problem),
    )
)]
pub(crate) async fn get_product_block(
    State(state): State<ApiState>,
    Path(product_block_id): Path<String>,
) -> Result<Json<ProductBlockSchema>, ApiError> {
    let id = parse_id(&product_block_id, "Product block")?;
    load::product_blocks(&state.db, Some(id))
        .await?
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("Product block id {id} not found")))
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
        (status = NOT_FOUND, description = "No resource type has this id", body = Problem),
        (status = UNPROCESSABLE_ENTITY, description = "The id is not a UUID", body = Problem),
        (status = SERVICE_UNAVAILABLE, description = "The database cannot be reached", body = Problem),
    )
)]
pub(crate) async fn get_resource_type(
    State(state): State<ApiState>,
    Path(resource_type_id): Path<String>,
) -> Result<Json<ResourceTypeSchema>, ApiError> {
    let id = parse_id(&resource_type_id, "Resource type")?;
    load::resource_types(&state.db, Some(id))
        .await?
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("Resource type id {id} not found")))
}

/// A subscription's domain model, loaded through its product's registered type: the
/// subscription's fields, fixed inputs and blocks, each block with `in_use_by_ids` and
/// `in_use_by_relations`, as orchestrator-core's endpoint answers.
#[utoipa::path(
    get,
    path = "/api/subscriptions/domain-model/{subscription_id}",
    tag = "Subscription",
    params(("subscription_id" = Uuid, Path, description = "The subscription's id")),
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
) -> Result<Json<serde_json::Value>, ApiError> {
    use crate::subscription::SubscriptionError;
    let id = parse_id(&subscription_id, "Subscription")?;
    match crate::subscription::load_json(&state.db, id).await {
        Ok(json) => Ok(Json(json)),
        Err(SubscriptionError::NotFound(id)) => Err(ApiError::not_found(format!(
            "Subscription with id: {id}, does not exist"
        ))),
        Err(SubscriptionError::Db(e)) => Err(e.into()),
        Err(e) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
