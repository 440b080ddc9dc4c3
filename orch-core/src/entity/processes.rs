//! `processes`: one run of a workflow or task, with its status and the step it is at.

use sea_orm::entity::prelude::*;

/// One row of `processes`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "processes")]
pub struct Model {
    /// Primary key (the process id).
    #[sea_orm(primary_key, auto_increment = false)]
    pub pid: Uuid,
    /// Who has to act next (at most 50 characters); defaults to `SYSTEM`.
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub assignee: String,
    /// Process status (`created`, `running`, `completed`, `failed`, ...; at most 50 characters).
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub last_status: String,
    /// Name of the last step run (at most 255 characters).
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub last_step: Option<String>,
    /// When the process started; defaults to the current time.
    pub started_at: DateTimeUtc,
    /// When the process last changed; defaults to the current time, the application updates it.
    pub last_modified_at: DateTimeUtc,
    /// Why the process failed (at most 10000 characters).
    #[sea_orm(column_type = "String(StringLen::N(10000))", nullable)]
    pub failed_reason: Option<String>,
    /// The traceback of the failure (at most 50000 characters).
    #[sea_orm(column_type = "String(StringLen::N(50000))", nullable)]
    pub traceback: Option<String>,
    /// Who started the process (at most 255 characters).
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub created_by: Option<String>,
    /// Whether this runs a task; defaults to `false`.
    pub is_task: bool,
    /// The workflow run.
    pub workflow_id: Uuid,
    /// Free note (at most 5000 characters); orchestrator-core writes an empty note as NULL.
    #[sea_orm(column_type = "String(StringLen::N(5000))", nullable)]
    pub note: Option<String>,
}

/// The foreign key of `processes` and the table that points at it.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `processes_workflow_id_fkey` (no action).
    #[sea_orm(
        belongs_to = "super::workflows::Entity",
        from = "Column::WorkflowId",
        to = "super::workflows::Column::WorkflowId",
        fk_name = "processes_workflow_id_fkey"
    )]
    Workflows,
    /// `processes_subscriptions.pid` (ON DELETE CASCADE).
    #[sea_orm(has_many = "super::processes_subscriptions::Entity")]
    ProcessesSubscriptions,
}

impl Related<super::workflows::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Workflows.def()
    }
}

impl Related<super::processes_subscriptions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProcessesSubscriptions.def()
    }
}

/// The subscriptions this process ran on, through `processes_subscriptions`.
impl Related<super::subscriptions::Entity> for Entity {
    fn to() -> RelationDef {
        super::processes_subscriptions::Relation::Subscriptions.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::processes_subscriptions::Relation::Processes
                .def()
                .rev(),
        )
    }
}

impl ActiveModelBehavior for ActiveModel {}
