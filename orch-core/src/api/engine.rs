//! What orchestrator-ui's page header asks about the workflow engine, answered truthfully for a
//! server that has none.
//!
//! Every page's header calls `GET /api/settings/status` (the engine's lock and running
//! processes) and `GET /api/processes/status-counts` (its failed-tasks badge). orch runs no
//! workflows: the first is answered 501, so the UI shows "Engine status is unavailable"
//! instead of an engine that runs; the second counts the rows of `processes`, which are real,
//! written by orchestrator-core when it shares the database, and none otherwise.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;

use super::ApiState;
use super::error::ApiError;
use super::schema::Problem;
use crate::entity::processes;

/// Processes and tasks by status, as orchestrator-core's `ProcessStatusCounts`: only the
/// statuses that occur, each with its number of rows.
#[derive(Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProcessStatusCounts {
    /// Workflow runs (`is_task` false) by `last_status`.
    pub process_counts: BTreeMap<String, i64>,
    /// Task runs (`is_task` true) by `last_status`.
    pub task_counts: BTreeMap<String, i64>,
}

/// The counts of `processes` by kind and status, in one query.
#[utoipa::path(
    get,
    path = "/api/processes/status-counts",
    operation_id = "get_process_status_counts",
    tag = "Process",
    responses(
        (status = OK, description = "Processes and tasks by status", body = ProcessStatusCounts,
            example = json!({"process_counts": {"completed": 12, "failed": 1}, "task_counts": {}})),
        (status = SERVICE_UNAVAILABLE, description = "The database cannot be reached", body = Problem),
    )
)]
pub(crate) async fn status_counts(
    State(state): State<ApiState>,
) -> Result<Json<ProcessStatusCounts>, ApiError> {
    let rows: Vec<(bool, String, i64)> = processes::Entity::find()
        .select_only()
        .column(processes::Column::IsTask)
        .column(processes::Column::LastStatus)
        .column_as(processes::Column::Pid.count(), "n")
        .group_by(processes::Column::IsTask)
        .group_by(processes::Column::LastStatus)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut counts = ProcessStatusCounts::default();
    for (is_task, status, n) in rows {
        let map = if is_task {
            &mut counts.task_counts
        } else {
            &mut counts.process_counts
        };
        map.insert(status, n);
    }
    Ok(Json(counts))
}

/// The engine's status: orch has no engine, so there is none to report.
#[utoipa::path(
    get,
    path = "/api/settings/status",
    operation_id = "get_global_status_api_settings_status_get",
    tag = "Process",
    responses(
        (status = NOT_IMPLEMENTED, description = "orch runs no workflow engine", body = Problem),
    )
)]
pub(crate) async fn engine_status() -> ApiError {
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "orch runs no workflow engine, so it has no engine status to report; an \
         orchestrator-core that shares the database reports its own",
    )
}
