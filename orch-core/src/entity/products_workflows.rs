//! `products_workflows`: links a product to the workflows that may run on its subscriptions.

use sea_orm::entity::prelude::*;

/// One row of `products_workflows`; the primary key is both columns.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products_workflows")]
pub struct Model {
    /// The product.
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_id: Uuid,
    /// One of its workflows.
    #[sea_orm(primary_key, auto_increment = false)]
    pub workflow_id: Uuid,
}

/// The foreign keys of `products_workflows`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `products_workflows_product_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::products::Entity",
        from = "Column::ProductId",
        to = "super::products::Column::ProductId",
        on_delete = "Cascade",
        fk_name = "products_workflows_product_id_fkey"
    )]
    Products,
    /// `products_workflows_workflow_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::workflows::Entity",
        from = "Column::WorkflowId",
        to = "super::workflows::Column::WorkflowId",
        on_delete = "Cascade",
        fk_name = "products_workflows_workflow_id_fkey"
    )]
    Workflows,
}

impl Related<super::products::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Products.def()
    }
}

impl Related<super::workflows::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Workflows.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
