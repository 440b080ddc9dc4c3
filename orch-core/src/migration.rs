//! What generated migration modules need: sea-orm-migration's traits, re-exported so that an
//! app's migrations depend on orch-core alone.

pub use sea_orm_migration::async_trait;
pub use sea_orm_migration::{DbErr, MigrationName, MigrationTrait, SchemaManager};

/// A function listing an app's domain-model migrations, oldest first; what the generated
/// `migrations/mod.rs` provides and what `orch-migrate` runs after its core schema migrations.
pub type MigrationList = fn() -> Vec<Box<dyn MigrationTrait>>;
