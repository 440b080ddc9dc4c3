//! `product_block_relations`: which product block uses (`in_use_by_id`) which other block
//! (`depends_on_id`).

use sea_orm::entity::prelude::*;

/// One row of `product_block_relations`; the primary key is `(in_use_by_id, depends_on_id)`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_block_relations")]
pub struct Model {
    /// The using (parent) block.
    #[sea_orm(primary_key, auto_increment = false)]
    pub in_use_by_id: Uuid,
    /// The used (child) block; may equal `in_use_by_id` for self-relations.
    #[sea_orm(primary_key, auto_increment = false)]
    pub depends_on_id: Uuid,
    /// Minimum number of children; never read or written by orchestrator-core.
    pub min: Option<i32>,
    /// Maximum number of children; never read or written by orchestrator-core.
    pub max: Option<i32>,
}

/// The foreign keys of `product_block_relations`, both to `product_blocks` (so there is no
/// `Related<product_blocks::Entity>`: join with one of these).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `product_block_relations_in_use_by_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::product_blocks::Entity",
        from = "Column::InUseById",
        to = "super::product_blocks::Column::ProductBlockId",
        on_delete = "Cascade",
        fk_name = "product_block_relations_in_use_by_id_fkey"
    )]
    InUseBy,
    /// `product_block_relations_depends_on_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::product_blocks::Entity",
        from = "Column::DependsOnId",
        to = "super::product_blocks::Column::ProductBlockId",
        on_delete = "Cascade",
        fk_name = "product_block_relations_depends_on_id_fkey"
    )]
    DependsOn,
}

impl ActiveModelBehavior for ActiveModel {}
