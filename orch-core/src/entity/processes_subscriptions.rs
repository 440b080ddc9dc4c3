//! `processes_subscriptions`: links a process to the subscriptions it ran on.

use sea_orm::entity::prelude::*;

/// One row of `processes_subscriptions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "processes_subscriptions")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The process.
    pub pid: Uuid,
    /// The subscription it ran on.
    pub subscription_id: Uuid,
    /// When the row was created; defaults to the current time.
    pub created_at: DateTimeUtc,
    /// The target of the workflow (at most 255 characters); defaults to `CREATE`. Deprecated in
    /// orchestrator-core, kept for compatibility.
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub workflow_target: Option<String>,
}

/// The foreign keys of `processes_subscriptions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `processes_subscriptions_pid_fkey` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::processes::Entity",
        from = "Column::Pid",
        to = "super::processes::Column::Pid",
        on_delete = "Cascade",
        fk_name = "processes_subscriptions_pid_fkey"
    )]
    Processes,
    /// `processes_subscriptions_subscription_id_fkey` (no action).
    #[sea_orm(
        belongs_to = "super::subscriptions::Entity",
        from = "Column::SubscriptionId",
        to = "super::subscriptions::Column::SubscriptionId",
        fk_name = "processes_subscriptions_subscription_id_fkey"
    )]
    Subscriptions,
}

impl Related<super::processes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Processes.def()
    }
}

impl Related<super::subscriptions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Subscriptions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
