//! `product_blocks`: the building blocks of products, each with its resource types and the
//! blocks it depends on.

use sea_orm::entity::prelude::*;

/// One row of `product_blocks`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_blocks")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_block_id: Uuid,
    /// Unique block name, the `name` of the block's declaration.
    #[sea_orm(unique)]
    pub name: String,
    /// Human-readable description (at most 2000 characters).
    #[sea_orm(column_type = "String(StringLen::N(2000))")]
    pub description: String,
    /// Short tag (at most 20 characters).
    #[sea_orm(column_type = "String(StringLen::N(20))", nullable)]
    pub tag: Option<String>,
    /// Lifecycle of the block, by convention a product lifecycle value.
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub status: Option<String>,
    /// When the row was created; defaults to the current time.
    pub created_at: DateTimeUtc,
    /// When the block stops being used.
    pub end_date: Option<DateTimeUtc>,
}

/// The tables that point at `product_blocks`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `product_product_blocks.product_block_id` (ON DELETE CASCADE).
    #[sea_orm(has_many = "super::product_product_blocks::Entity")]
    ProductProductBlocks,
    /// `product_block_resource_types.product_block_id` (ON DELETE CASCADE).
    #[sea_orm(has_many = "super::product_block_resource_types::Entity")]
    ProductBlockResourceTypes,
    /// `product_block_relations.in_use_by_id` (ON DELETE CASCADE): the relations in which this
    /// block is the user, i.e. one row per block this block depends on.
    #[sea_orm(
        has_many = "super::product_block_relations::Entity",
        via_rel = "Relation::InUseBy"
    )]
    RelationsAsInUseBy,
    /// `product_block_relations.depends_on_id` (ON DELETE CASCADE): the relations in which this
    /// block is used, i.e. one row per block that depends on this block.
    #[sea_orm(
        has_many = "super::product_block_relations::Entity",
        via_rel = "Relation::DependsOn"
    )]
    RelationsAsDependsOn,
    /// `subscription_instances.product_block_id` (no action: a block with instances cannot be
    /// deleted).
    #[sea_orm(has_many = "super::subscription_instances::Entity")]
    SubscriptionInstances,
}

impl Related<super::product_product_blocks::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductProductBlocks.def()
    }
}

impl Related<super::product_block_resource_types::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductBlockResourceTypes.def()
    }
}

impl Related<super::subscription_instances::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SubscriptionInstances.def()
    }
}

/// The products that have this block as a root block, through `product_product_blocks`.
impl Related<super::products::Entity> for Entity {
    fn to() -> RelationDef {
        super::product_product_blocks::Relation::Products.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::product_product_blocks::Relation::ProductBlocks
                .def()
                .rev(),
        )
    }
}

/// The resource types of this block, through `product_block_resource_types`.
impl Related<super::resource_types::Entity> for Entity {
    fn to() -> RelationDef {
        super::product_block_resource_types::Relation::ResourceTypes.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::product_block_resource_types::Relation::ProductBlocks
                .def()
                .rev(),
        )
    }
}

impl ActiveModelBehavior for ActiveModel {}
