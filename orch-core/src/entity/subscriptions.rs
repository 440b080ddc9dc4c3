//! `subscriptions`: one instance of a product for a customer, with its lifecycle status.
//!
//! `version` starts at 1 and is incremented by the database on every UPDATE of a row (a trigger
//! on each backend), so a writer can detect that someone else changed the subscription.

use sea_orm::entity::prelude::*;
use sea_orm::{DbBackend, QuerySelect};

/// One row of `subscriptions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subscription_id: Uuid,
    /// Human-readable description (at most 2000 characters).
    #[sea_orm(column_type = "String(StringLen::N(2000))")]
    pub description: String,
    /// Subscription lifecycle (`initial`, `provisioning`, `active`, ...), indexed.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub status: String,
    /// The product this is a subscription on.
    pub product_id: Uuid,
    /// The customer, an opaque string, indexed.
    pub customer_id: String,
    /// Whether the subscription is in sync with the network; has no default.
    pub insync: bool,
    /// When the subscription became active.
    pub start_date: Option<DateTimeUtc>,
    /// When the subscription was terminated.
    pub end_date: Option<DateTimeUtc>,
    /// Free note (at most 5000 characters); orchestrator-core writes an empty note as NULL.
    #[sea_orm(column_type = "String(StringLen::N(5000))", nullable)]
    pub note: Option<String>,
    /// Row version: 1 on insert, incremented by a trigger on every UPDATE.
    pub version: i32,
}

/// The foreign key of `subscriptions` and the tables that point at it.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `subscriptions_product_id_fkey` (no action).
    #[sea_orm(
        belongs_to = "super::products::Entity",
        from = "Column::ProductId",
        to = "super::products::Column::ProductId",
        fk_name = "subscriptions_product_id_fkey"
    )]
    Products,
    /// `subscription_instances.subscription_id` (ON DELETE CASCADE).
    #[sea_orm(has_many = "super::subscription_instances::Entity")]
    SubscriptionInstances,
    /// `subscription_customer_descriptions.subscription_id` (ON DELETE CASCADE).
    #[sea_orm(has_many = "super::subscription_customer_descriptions::Entity")]
    SubscriptionCustomerDescriptions,
    /// `subscription_metadata.subscription_id` (ON DELETE CASCADE), at most one row.
    #[sea_orm(has_one = "super::subscription_metadata::Entity")]
    SubscriptionMetadata,
    /// `processes_subscriptions.subscription_id` (no action: a subscription with processes
    /// cannot be deleted before their links are).
    #[sea_orm(has_many = "super::processes_subscriptions::Entity")]
    ProcessesSubscriptions,
}

impl Related<super::products::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Products.def()
    }
}

impl Related<super::subscription_instances::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SubscriptionInstances.def()
    }
}

impl Related<super::subscription_customer_descriptions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SubscriptionCustomerDescriptions.def()
    }
}

impl Related<super::subscription_metadata::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SubscriptionMetadata.def()
    }
}

impl Related<super::processes_subscriptions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProcessesSubscriptions.def()
    }
}

/// The processes that ran on this subscription, through `processes_subscriptions`.
impl Related<super::processes::Entity> for Entity {
    fn to() -> RelationDef {
        super::processes_subscriptions::Relation::Processes.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::processes_subscriptions::Relation::Subscriptions
                .def()
                .rev(),
        )
    }
}

#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    /// Reads `version` again after an update on SQLite, so that `update` and `save` return the
    /// stored version on every backend.
    ///
    /// SQLite cannot change the row in a BEFORE trigger, so its version trigger runs AFTER the
    /// update, and sea-orm reads the updated row with `RETURNING`, which does not see changes
    /// made by triggers. PostgreSQL and MariaDB bump the version before the row is written.
    async fn after_save<C>(mut model: Model, db: &C, insert: bool) -> Result<Model, DbErr>
    where
        C: ConnectionTrait,
    {
        if !insert && db.get_database_backend() == DbBackend::Sqlite {
            let stored = Entity::find_by_id(model.subscription_id)
                .select_only()
                .column(Column::Version)
                .into_tuple::<i32>()
                .one(db)
                .await?;
            if let Some(version) = stored {
                model.version = version;
            }
        }
        Ok(model)
    }
}
