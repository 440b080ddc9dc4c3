//! `subscription_instance_relations`: which instance uses (`in_use_by_id`) which other instance
//! (`depends_on_id`), through which field of the user and at which position in it.

use sea_orm::entity::prelude::*;

/// One row of `subscription_instance_relations`; the primary key is
/// `(in_use_by_id, depends_on_id, order_id)`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscription_instance_relations")]
pub struct Model {
    /// The using (parent) instance.
    #[sea_orm(primary_key, auto_increment = false)]
    pub in_use_by_id: Uuid,
    /// The used (child) instance, possibly of another subscription.
    #[sea_orm(primary_key, auto_increment = false)]
    pub depends_on_id: Uuid,
    /// 0-based position of the child within `domain_model_attr` of the parent.
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_id: i32,
    /// The field of the parent block that holds the child (at most 255 characters).
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub domain_model_attr: Option<String>,
}

/// The foreign keys of `subscription_instance_relations`, both to `subscription_instances` (so
/// there is no `Related<subscription_instances::Entity>`: join with one of these).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `subscription_instance_relations_in_use_by_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::subscription_instances::Entity",
        from = "Column::InUseById",
        to = "super::subscription_instances::Column::SubscriptionInstanceId",
        on_delete = "Cascade",
        fk_name = "subscription_instance_relations_in_use_by_id_fkey"
    )]
    InUseBy,
    /// `subscription_instance_relations_depends_on_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::subscription_instances::Entity",
        from = "Column::DependsOnId",
        to = "super::subscription_instances::Column::SubscriptionInstanceId",
        on_delete = "Cascade",
        fk_name = "subscription_instance_relations_depends_on_id_fkey"
    )]
    DependsOn,
}

impl ActiveModelBehavior for ActiveModel {}
