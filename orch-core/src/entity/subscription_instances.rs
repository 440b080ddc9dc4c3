//! `subscription_instances`: one instance of a product block inside a subscription.

use sea_orm::entity::prelude::*;

/// One row of `subscription_instances`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscription_instances")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subscription_instance_id: Uuid,
    /// The subscription that owns the instance.
    pub subscription_id: Uuid,
    /// The block this is an instance of.
    pub product_block_id: Uuid,
    /// Free label (at most 255 characters).
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub label: Option<String>,
}

/// The foreign keys of `subscription_instances` and the tables that point at it.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `subscription_instances_subscription_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::subscriptions::Entity",
        from = "Column::SubscriptionId",
        to = "super::subscriptions::Column::SubscriptionId",
        on_delete = "Cascade",
        fk_name = "subscription_instances_subscription_id_fkey"
    )]
    Subscriptions,
    /// `subscription_instances_product_block_id_fkey` (no action).
    #[sea_orm(
        belongs_to = "super::product_blocks::Entity",
        from = "Column::ProductBlockId",
        to = "super::product_blocks::Column::ProductBlockId",
        fk_name = "subscription_instances_product_block_id_fkey"
    )]
    ProductBlocks,
    /// `subscription_instance_values.subscription_instance_id` (ON DELETE CASCADE).
    #[sea_orm(has_many = "super::subscription_instance_values::Entity")]
    SubscriptionInstanceValues,
    /// `subscription_instance_relations.in_use_by_id` (ON DELETE CASCADE): one row per instance
    /// this instance uses.
    #[sea_orm(
        has_many = "super::subscription_instance_relations::Entity",
        via_rel = "Relation::InUseBy"
    )]
    RelationsAsInUseBy,
    /// `subscription_instance_relations.depends_on_id` (ON DELETE CASCADE): one row per instance
    /// that uses this instance.
    #[sea_orm(
        has_many = "super::subscription_instance_relations::Entity",
        via_rel = "Relation::DependsOn"
    )]
    RelationsAsDependsOn,
}

impl Related<super::subscriptions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Subscriptions.def()
    }
}

impl Related<super::product_blocks::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductBlocks.def()
    }
}

impl Related<super::subscription_instance_values::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SubscriptionInstanceValues.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
