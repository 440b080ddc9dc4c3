//! `subscription_customer_descriptions`: a customer's own description of a subscription, at most
//! one per customer and subscription.
//!
//! `version` starts at 1 and is incremented by the database on every UPDATE of a row, like
//! `subscriptions.version`.

use sea_orm::entity::prelude::*;
use sea_orm::{DbBackend, QuerySelect};

/// One row of `subscription_customer_descriptions`; `(customer_id, subscription_id)` is unique.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscription_customer_descriptions")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The subscription described.
    pub subscription_id: Uuid,
    /// The customer whose description this is.
    pub customer_id: String,
    /// The description (at most 2000 characters).
    #[sea_orm(column_type = "String(StringLen::N(2000))")]
    pub description: String,
    /// When the row was created; defaults to the current time.
    pub created_at: DateTimeUtc,
    /// Row version: 1 on insert, incremented by a trigger on every UPDATE.
    pub version: i32,
}

/// The foreign key of `subscription_customer_descriptions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `subscription_customer_descriptions_subscription_id_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::subscriptions::Entity",
        from = "Column::SubscriptionId",
        to = "super::subscriptions::Column::SubscriptionId",
        on_delete = "Cascade",
        fk_name = "subscription_customer_descriptions_subscription_id_fkey"
    )]
    Subscriptions,
}

impl Related<super::subscriptions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Subscriptions.def()
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
            let stored = Entity::find_by_id(model.id)
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
