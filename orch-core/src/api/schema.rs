//! The JSON bodies of the API: orchestrator-core's `ProductSchema`, `ProductBlockSchema`,
//! `ResourceTypeSchema`, `FixedInputSchema` and `WorkflowSchema`, field for field, so that its
//! clients read orch's answers unchanged.
//!
//! Datetimes are Unix epoch seconds as floats with microseconds, as orchestrator-core's
//! `OrchestratorBaseModel` writes them (`datetime.timestamp()`), documented in the OpenAPI
//! document as `{type: number, format: unix-timestamp}` like orchestrator-core's; UUIDs are
//! strings.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entity::{fixed_inputs, product_blocks, products, resource_types, workflows};

/// Unix epoch seconds with microseconds, as Python's `datetime.timestamp()` computes them
/// (whole microseconds divided by 10⁶), so both give the same float for the same instant.
pub(crate) fn epoch(at: DateTime<Utc>) -> f64 {
    at.timestamp_micros() as f64 / 1e6
}

/// A product with its root product blocks, fixed inputs and workflows.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProductSchema {
    /// Primary key.
    pub product_id: Uuid,
    /// Unique product name, the key of the product in the model registry.
    pub name: String,
    /// Human-readable description.
    pub description: String,
    /// The product type; several products may share one.
    pub product_type: String,
    /// Product lifecycle: `active`, `pre production`, `phase out` or `end of life`.
    pub status: String,
    /// Short tag (at most 20 characters).
    pub tag: String,
    /// When the product was created, Unix epoch seconds.
    #[schema(format = "unix-timestamp")]
    pub created_at: f64,
    /// When the product stops being offered, Unix epoch seconds.
    #[schema(format = "unix-timestamp")]
    pub end_date: Option<f64>,
    /// The product's root blocks (not the blocks they depend on), by name.
    pub product_blocks: Vec<ProductBlockSchema>,
    /// The product's fixed inputs, by name.
    pub fixed_inputs: Vec<FixedInputSchema>,
    /// The workflows that may run on the product's subscriptions, soft-deleted ones left out,
    /// by name.
    pub workflows: Vec<WorkflowSchema>,
}

impl ProductSchema {
    pub(crate) fn from_row(p: products::Model) -> ProductSchema {
        ProductSchema {
            product_id: p.product_id,
            name: p.name,
            description: p.description,
            product_type: p.product_type,
            status: p.status,
            tag: p.tag,
            created_at: epoch(p.created_at),
            end_date: p.end_date.map(epoch),
            product_blocks: Vec::new(),
            fixed_inputs: Vec::new(),
            workflows: Vec::new(),
        }
    }
}

/// A product block with its resource types.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProductBlockSchema {
    /// Primary key.
    pub product_block_id: Uuid,
    /// Unique block name.
    pub name: String,
    /// Human-readable description.
    pub description: String,
    /// Short tag, if any.
    pub tag: Option<String>,
    /// Block lifecycle, a product lifecycle value. The column is nullable while
    /// orchestrator-core's schema requires a value (it answers 500 for such a row); orch
    /// reports what the database holds, `null`, rather than fail or invent a lifecycle.
    pub status: Option<String>,
    /// The block's resource types, by name.
    pub resource_types: Vec<ResourceTypeSchema>,
    /// When the block was created, Unix epoch seconds.
    #[schema(format = "unix-timestamp")]
    pub created_at: f64,
    /// When the block stops being used, Unix epoch seconds.
    #[schema(format = "unix-timestamp")]
    pub end_date: Option<f64>,
}

impl ProductBlockSchema {
    pub(crate) fn from_row(b: product_blocks::Model) -> ProductBlockSchema {
        ProductBlockSchema {
            product_block_id: b.product_block_id,
            name: b.name,
            description: b.description,
            tag: b.tag,
            status: b.status,
            resource_types: Vec::new(),
            created_at: epoch(b.created_at),
            end_date: b.end_date.map(epoch),
        }
    }
}

/// A resource type: the name of a block field that holds a value.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ResourceTypeSchema {
    /// Unique name, the field name on a block.
    pub resource_type: String,
    /// Human-readable description, if any.
    pub description: Option<String>,
    /// Primary key.
    pub resource_type_id: Uuid,
}

impl ResourceTypeSchema {
    pub(crate) fn from_row(r: resource_types::Model) -> ResourceTypeSchema {
        ResourceTypeSchema {
            resource_type: r.resource_type,
            description: r.description,
            resource_type_id: r.resource_type_id,
        }
    }
}

/// A constant every subscription of a product shares.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FixedInputSchema {
    /// Primary key.
    pub fixed_input_id: Uuid,
    /// The field name on the product model.
    pub name: String,
    /// The value, always a string.
    pub value: String,
    /// The product it belongs to.
    pub product_id: Uuid,
    /// When the row was created, Unix epoch seconds.
    #[schema(format = "unix-timestamp")]
    pub created_at: f64,
}

impl FixedInputSchema {
    pub(crate) fn from_row(f: fixed_inputs::Model) -> FixedInputSchema {
        FixedInputSchema {
            fixed_input_id: f.fixed_input_id,
            name: f.name,
            value: f.value,
            product_id: f.product_id,
            created_at: epoch(f.created_at),
        }
    }
}

/// A workflow that may run on a product's subscriptions.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WorkflowSchema {
    /// Unique workflow name.
    pub name: String,
    /// What it does to a subscription: `CREATE`, `MODIFY`, `TERMINATE`, `SYSTEM`, `VALIDATE` or
    /// `RECONCILE`.
    pub target: String,
    /// Whether it is a task (runs without a subscription).
    pub is_task: bool,
    /// Human-readable description.
    pub description: Option<String>,
    /// When the row was created, Unix epoch seconds.
    #[schema(format = "unix-timestamp")]
    pub created_at: f64,
    /// Primary key.
    pub workflow_id: Uuid,
    /// The workflow's steps; orchestrator-core fills them only from its Python registry, never
    /// from the database, so this is always `null`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub steps: Option<Vec<serde_json::Value>>,
}

impl WorkflowSchema {
    pub(crate) fn from_row(w: workflows::Model) -> WorkflowSchema {
        WorkflowSchema {
            name: w.name,
            target: w.target,
            is_task: w.is_task,
            description: Some(w.description),
            created_at: epoch(w.created_at),
            workflow_id: w.workflow_id,
            steps: None,
        }
    }
}

/// The body of every error answer, as orchestrator-core's error handlers write it, so that
/// clients show the same messages.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Problem {
    /// What went wrong, for people.
    pub detail: Option<String>,
    /// The HTTP status code, repeated.
    pub status: u16,
    /// The status's reason phrase (`Not Found`, `Service Unavailable`, ...).
    pub title: String,
}
