//! `workflows`: the workflows and tasks that processes run, linked to the products they apply to.
//!
//! Column order matters here: orchestrator-core's own migrations insert into this table
//! positionally (`workflow_id, name, target, description, created_at`).

use sea_orm::entity::prelude::*;

/// One row of `workflows`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workflows")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub workflow_id: Uuid,
    /// Unique workflow name (the function name in orchestrator-core).
    #[sea_orm(unique)]
    pub name: String,
    /// What the workflow does to a subscription: `CREATE`, `MODIFY`, `TERMINATE`, `SYSTEM`,
    /// `VALIDATE` or `RECONCILE`.
    pub target: String,
    /// Human-readable description (at most 2000 characters).
    #[sea_orm(column_type = "String(StringLen::N(2000))")]
    pub description: String,
    /// When the row was created; defaults to the current time.
    pub created_at: DateTimeUtc,
    /// When the workflow was soft-deleted; deleted workflows are hidden from products.
    pub deleted_at: Option<DateTimeUtc>,
    /// Whether this is a task (runs without a subscription); defaults to `false`.
    pub is_task: bool,
}

/// The tables that point at `workflows`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `products_workflows.workflow_id` (ON DELETE CASCADE).
    #[sea_orm(has_many = "super::products_workflows::Entity")]
    ProductsWorkflows,
    /// `processes.workflow_id` (no action: a workflow with processes cannot be deleted).
    #[sea_orm(has_many = "super::processes::Entity")]
    Processes,
}

impl Related<super::products_workflows::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductsWorkflows.def()
    }
}

impl Related<super::processes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Processes.def()
    }
}

/// The products this workflow applies to, through `products_workflows`.
impl Related<super::products::Entity> for Entity {
    fn to() -> RelationDef {
        super::products_workflows::Relation::Products.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::products_workflows::Relation::Workflows.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
