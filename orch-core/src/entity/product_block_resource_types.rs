//! `product_block_resource_types`: links a product block to the resource types of its fields.

use sea_orm::entity::prelude::*;

/// One row of `product_block_resource_types`; the primary key is both columns.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_block_resource_types")]
pub struct Model {
    /// The block.
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_block_id: Uuid,
    /// One of its resource types.
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource_type_id: Uuid,
}

/// The foreign keys of `product_block_resource_types`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `product_block_resource_types_product_block_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::product_blocks::Entity",
        from = "Column::ProductBlockId",
        to = "super::product_blocks::Column::ProductBlockId",
        on_delete = "Cascade",
        fk_name = "product_block_resource_types_product_block_id_fkey"
    )]
    ProductBlocks,
    /// `product_block_resource_types_resource_type_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::resource_types::Entity",
        from = "Column::ResourceTypeId",
        to = "super::resource_types::Column::ResourceTypeId",
        on_delete = "Cascade",
        fk_name = "product_block_resource_types_resource_type_id_fkey"
    )]
    ResourceTypes,
}

impl Related<super::product_blocks::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductBlocks.def()
    }
}

impl Related<super::resource_types::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ResourceTypes.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
