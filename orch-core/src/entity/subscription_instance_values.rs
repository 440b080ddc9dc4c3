//! `subscription_instance_values`: the value of one resource type (one field) of an instance;
//! list fields have several rows for the same resource type.

use sea_orm::entity::prelude::*;

/// One row of `subscription_instance_values`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscription_instance_values")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subscription_instance_value_id: Uuid,
    /// The instance the value belongs to.
    pub subscription_instance_id: Uuid,
    /// The field the value is for.
    pub resource_type_id: Uuid,
    /// The value as a string (at most 10000 characters); `''` stays `''`.
    #[sea_orm(column_type = "String(StringLen::N(10000))")]
    pub value: String,
}

/// The foreign keys of `subscription_instance_values`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `subscription_instance_values_subscription_instance_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::subscription_instances::Entity",
        from = "Column::SubscriptionInstanceId",
        to = "super::subscription_instances::Column::SubscriptionInstanceId",
        on_delete = "Cascade",
        fk_name = "subscription_instance_values_subscription_instance_id_fkey"
    )]
    SubscriptionInstances,
    /// `subscription_instance_values_resource_type_id_fkey` (no action).
    #[sea_orm(
        belongs_to = "super::resource_types::Entity",
        from = "Column::ResourceTypeId",
        to = "super::resource_types::Column::ResourceTypeId",
        fk_name = "subscription_instance_values_resource_type_id_fkey"
    )]
    ResourceTypes,
}

impl Related<super::subscription_instances::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SubscriptionInstances.def()
    }
}

impl Related<super::resource_types::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ResourceTypes.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
