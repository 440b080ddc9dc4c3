//! The core schema: orchestrator-core's metadata, subscription and process tables.

use orch_core::migration::MigrationTrait;

/// The core schema migrations, oldest first.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![]
}
