//! `products`: the sellable products, each with its product type, fixed inputs, root product
//! blocks and workflows.

use sea_orm::entity::prelude::*;

/// One row of `products`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_id: Uuid,
    /// Unique product name, the key of the product in the subscription model registry.
    #[sea_orm(unique)]
    pub name: String,
    /// Human-readable description (at most 2000 characters).
    #[sea_orm(column_type = "String(StringLen::N(2000))")]
    pub description: String,
    /// The product type (at most 255 characters); several products may share one.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub product_type: String,
    /// Short tag (at most 20 characters), indexed.
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub tag: String,
    /// Product lifecycle (`active`, `pre production`, `phase out`, `end of life`).
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub status: String,
    /// When the row was created; defaults to the current time.
    pub created_at: DateTimeUtc,
    /// When the product stops being offered.
    pub end_date: Option<DateTimeUtc>,
}

/// The tables that point at `products`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `fixed_inputs.product_id` (ON DELETE CASCADE).
    #[sea_orm(has_many = "super::fixed_inputs::Entity")]
    FixedInputs,
    /// `product_product_blocks.product_id` (ON DELETE CASCADE).
    #[sea_orm(has_many = "super::product_product_blocks::Entity")]
    ProductProductBlocks,
    /// `products_workflows.product_id` (ON DELETE CASCADE).
    #[sea_orm(has_many = "super::products_workflows::Entity")]
    ProductsWorkflows,
    /// `subscriptions.product_id` (no action: a product with subscriptions cannot be deleted).
    #[sea_orm(has_many = "super::subscriptions::Entity")]
    Subscriptions,
}

impl Related<super::fixed_inputs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FixedInputs.def()
    }
}

impl Related<super::product_product_blocks::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductProductBlocks.def()
    }
}

impl Related<super::products_workflows::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductsWorkflows.def()
    }
}

impl Related<super::subscriptions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Subscriptions.def()
    }
}

/// The root product blocks of a product, through `product_product_blocks`.
impl Related<super::product_blocks::Entity> for Entity {
    fn to() -> RelationDef {
        super::product_product_blocks::Relation::ProductBlocks.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::product_product_blocks::Relation::Products
                .def()
                .rev(),
        )
    }
}

/// The workflows of a product, through `products_workflows`.
impl Related<super::workflows::Entity> for Entity {
    fn to() -> RelationDef {
        super::products_workflows::Relation::Workflows.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::products_workflows::Relation::Products.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
