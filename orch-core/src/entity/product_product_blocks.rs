//! `product_product_blocks`: links a product to its root product blocks.

use sea_orm::entity::prelude::*;

/// One row of `product_product_blocks`; the primary key is both columns.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_product_blocks")]
pub struct Model {
    /// The product.
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_id: Uuid,
    /// One of its root blocks.
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_block_id: Uuid,
}

/// The foreign keys of `product_product_blocks`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `product_product_blocks_product_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::products::Entity",
        from = "Column::ProductId",
        to = "super::products::Column::ProductId",
        on_delete = "Cascade",
        fk_name = "product_product_blocks_product_id_fkey"
    )]
    Products,
    /// `product_product_blocks_product_block_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::product_blocks::Entity",
        from = "Column::ProductBlockId",
        to = "super::product_blocks::Column::ProductBlockId",
        on_delete = "Cascade",
        fk_name = "product_product_blocks_product_block_id_fkey"
    )]
    ProductBlocks,
}

impl Related<super::products::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Products.def()
    }
}

impl Related<super::product_blocks::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductBlocks.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
