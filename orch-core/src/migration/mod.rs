//! Domain-model migrations: the steps they consist of ([`Op`]), the SQL of each step per
//! backend ([`sql`]), and running them ([`run()`]).
//!
//! The modules that `orch-migrate generate` writes use only this module (through [`prelude`]),
//! so an app's migrations depend on orch-core alone.

mod op;
mod run;
pub mod sql;

pub use op::{Op, OwnedOp};
pub use run::{Step, capture, observe, run};
pub use sea_orm_migration::async_trait;
pub use sea_orm_migration::{DbErr, MigrationName, MigrationTrait, SchemaManager};

/// A function listing an app's domain-model migrations, oldest first; what the generated
/// `migrations/mod.rs` provides and what `orch-migrate` runs after its core schema migrations.
pub type MigrationList = fn() -> Vec<Box<dyn MigrationTrait>>;

/// Everything a generated migration module uses.
pub mod prelude {
    pub use super::{DbErr, MigrationName, MigrationTrait, Op, SchemaManager, async_trait, run};
}
