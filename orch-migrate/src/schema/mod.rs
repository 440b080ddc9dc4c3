//! The core schema: orchestrator-core's metadata, subscription and process tables.
//!
//! [`m20250101_000001_create_orchestrator_core_tables`] creates all of them; its documentation
//! lists the column types on each backend. [`m20250101_000002_index_relations_by_depends_on_id`]
//! adds the one index orch needs that orchestrator-core's schema lacks.

use orch_core::migration::MigrationTrait;

pub mod m20250101_000001_create_orchestrator_core_tables;
pub mod m20250101_000002_index_relations_by_depends_on_id;

/// The core schema migrations, oldest first. [`Migrator`](crate::Migrator) runs them before an
/// app's own migrations, which build on these tables.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20250101_000001_create_orchestrator_core_tables::Migration),
        Box::new(m20250101_000002_index_relations_by_depends_on_id::Migration),
    ]
}

/// Whether `name` is one of the core schema migrations, which live in orch-migrate and never in
/// an app's migrations directory.
pub fn is_core(name: &str) -> bool {
    about(name).is_some()
}

/// What a core schema migration does, in one line, for `history`; `None` for any other name.
pub fn about(name: &str) -> Option<&'static str> {
    if name == m20250101_000001_create_orchestrator_core_tables::NAME {
        Some("orch's core schema: orchestrator-core's tables")
    } else if name == m20250101_000002_index_relations_by_depends_on_id::NAME {
        Some("orch's core schema: the index of relations by depends_on_id")
    } else {
        None
    }
}
