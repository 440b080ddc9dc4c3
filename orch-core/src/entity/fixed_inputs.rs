//! `fixed_inputs`: per-product constants (name and string value) that every subscription of the
//! product shares.

use sea_orm::entity::prelude::*;

/// One row of `fixed_inputs`; `(name, product_id)` is unique.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fixed_inputs")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub fixed_input_id: Uuid,
    /// The field name on the product model.
    pub name: String,
    /// The value, always stored as a string and typed by the product model.
    pub value: String,
    /// When the row was created; defaults to the current time.
    pub created_at: DateTimeUtc,
    /// The product the input belongs to.
    pub product_id: Uuid,
}

/// The foreign keys of `fixed_inputs`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `fixed_inputs_product_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::products::Entity",
        from = "Column::ProductId",
        to = "super::products::Column::ProductId",
        on_delete = "Cascade",
        fk_name = "fixed_inputs_product_id_fkey"
    )]
    Products,
}

impl Related<super::products::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Products.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
