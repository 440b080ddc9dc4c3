//! `subscription_metadata`: free JSON metadata of a subscription, at most one row per
//! subscription.
//!
//! The table has **no primary key in the database** (orchestrator-core's migration creates none,
//! only the index `ix_subscription_metadata_subscription_id`), but orchestrator-core's model and
//! code treat `subscription_id` as one. sea-orm needs a primary key to find, update and delete
//! rows, so this entity declares `subscription_id` as the primary key; the database does not
//! enforce it, so keep to one row per subscription when writing.

use sea_orm::entity::prelude::*;

/// One row of `subscription_metadata`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscription_metadata")]
pub struct Model {
    /// The subscription; the primary key of this entity only (see the module documentation).
    #[sea_orm(primary_key, auto_increment = false)]
    pub subscription_id: Uuid,
    /// The metadata (`jsonb` on PostgreSQL).
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: Json,
}

/// The foreign key of `subscription_metadata`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `subscription_metadata_subscription_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::subscriptions::Entity",
        from = "Column::SubscriptionId",
        to = "super::subscriptions::Column::SubscriptionId",
        on_delete = "Cascade",
        fk_name = "subscription_metadata_subscription_id_fkey"
    )]
    Subscriptions,
}

impl Related<super::subscriptions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Subscriptions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
