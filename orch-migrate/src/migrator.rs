//! The list of migrations to run: orch's core schema first, then the app's domain-model
//! migrations.

use orch_core::migration::{MigrationList, MigrationTrait};
use sea_orm_migration::MigratorTraitSelf;

/// Runs the core schema migrations followed by the migrations of one app.
#[derive(Clone, Copy)]
pub struct Migrator {
    app: MigrationList,
}

impl Migrator {
    /// A migrator for an app whose generated `migrations::migrations` lists its own migrations.
    pub fn new(app: MigrationList) -> Self {
        Self { app }
    }

    /// A migrator with the core schema only.
    pub fn core_only() -> Self {
        Self { app: Vec::new }
    }
}

impl MigratorTraitSelf for Migrator {
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        let mut all = crate::schema::migrations();
        all.extend((self.app)());
        all
    }
}
