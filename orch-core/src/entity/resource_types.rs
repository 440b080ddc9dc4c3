//! `resource_types`: the names of block fields that hold values, shared by all blocks.

use sea_orm::entity::prelude::*;

/// One row of `resource_types`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resource_types")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource_type_id: Uuid,
    /// Unique name (at most 510 characters): the field name on a block.
    #[sea_orm(column_type = "String(StringLen::N(510))", unique)]
    pub resource_type: String,
    /// Human-readable description (at most 2000 characters).
    #[sea_orm(column_type = "String(StringLen::N(2000))", nullable)]
    pub description: Option<String>,
}

/// The tables that point at `resource_types`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `product_block_resource_types.resource_type_id` (ON DELETE CASCADE).
    #[sea_orm(has_many = "super::product_block_resource_types::Entity")]
    ProductBlockResourceTypes,
    /// `subscription_instance_values.resource_type_id` (no action: a resource type with values
    /// cannot be deleted).
    #[sea_orm(has_many = "super::subscription_instance_values::Entity")]
    SubscriptionInstanceValues,
}

impl Related<super::product_block_resource_types::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductBlockResourceTypes.def()
    }
}

impl Related<super::subscription_instance_values::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SubscriptionInstanceValues.def()
    }
}

/// The blocks that have this resource type, through `product_block_resource_types`.
impl Related<super::product_blocks::Entity> for Entity {
    fn to() -> RelationDef {
        super::product_block_resource_types::Relation::ProductBlocks.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::product_block_resource_types::Relation::ResourceTypes
                .def()
                .rev(),
        )
    }
}

impl ActiveModelBehavior for ActiveModel {}
