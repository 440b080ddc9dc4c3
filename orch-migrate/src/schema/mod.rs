//! The core schema: orchestrator-core's metadata, subscription and process tables.
//!
//! [`m20250101_000001_create_orchestrator_core_tables`] creates all of them; its documentation
//! lists the column types on each backend.

use orch_core::migration::MigrationTrait;

pub mod m20250101_000001_create_orchestrator_core_tables;

/// The core schema migrations, oldest first. [`Migrator`](crate::Migrator) runs them before an
/// app's own migrations, which build on these tables.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(
        m20250101_000001_create_orchestrator_core_tables::Migration,
    )]
}

/// Whether `name` is one of the core schema migrations, which live in orch-migrate and never in
/// an app's migrations directory.
pub fn is_core(name: &str) -> bool {
    name == m20250101_000001_create_orchestrator_core_tables::NAME
}
