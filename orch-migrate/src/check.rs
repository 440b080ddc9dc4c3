//! `check`: whether the registry, the migrations directory and the database agree, for CI.

use std::path::Path;

use orch_core::Registry;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTraitSelf;

use crate::catalog::Catalog;
use crate::diff::{self, Changes, Renames};
use crate::files::Drift;
use crate::generate::summary;
use crate::migrator::Migrator;
use crate::snapshot::snapshot;

/// What `check` found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    /// Migrations in the directory that the database has not applied.
    pub pending_migrations: Vec<String>,
    /// Migrations the database has applied that the directory lacks.
    pub unknown_applied_migrations: Vec<String>,
    /// Migration files in the migrations directory that this binary was not built with (a
    /// generated module not compiled yet, or a file `mod.rs` does not list).
    pub unbuilt_migrations: Vec<String>,
    /// Migrations this binary has whose file is gone from a directory `migrations!()` lists (a
    /// migration undone by deleting it, with the binary not rebuilt since).
    pub deleted_migrations: Vec<String>,
    /// Whether the registry is empty: a forgotten `register_products!`, or a binary that does
    /// not link the crate that has it. The changes are not compared then.
    pub no_products_registered: bool,
    /// What a new migration would have to change (renames declared on the models applied).
    pub changes: Changes,
}

impl Report {
    /// Whether everything agrees.
    pub fn is_clean(&self) -> bool {
        !self.no_products_registered
            && self.unbuilt_migrations.is_empty()
            && self.deleted_migrations.is_empty()
            && self.pending_migrations.is_empty()
            && self.unknown_applied_migrations.is_empty()
            && self.changes.is_empty()
    }

    /// The exit code: 0 clean, 2 migrations to apply (or unknown ones applied, or files the
    /// binary lacks), 3 models that differ from the database with nothing pending (a migration
    /// must be generated), 4 no product registered at all.
    pub fn exit_code(&self) -> u8 {
        if self.is_clean() {
            0
        } else if self.no_products_registered {
            4
        } else if !self.pending_migrations.is_empty()
            || !self.unknown_applied_migrations.is_empty()
            || !self.unbuilt_migrations.is_empty()
            || !self.deleted_migrations.is_empty()
        {
            2
        } else {
            3
        }
    }

    /// A readable report.
    pub fn text(&self) -> String {
        if self.is_clean() {
            return "The database and the models agree; no migration is pending.\n".into();
        }
        let mut out = String::new();
        if self.no_products_registered {
            out.push_str(
                "No product is registered: the models were not compared. Call \
                 `register_products!` in the crate with the models, and link that crate into this \
                 binary (`use my_products as _;`).\n",
            );
        }
        if !self.unbuilt_migrations.is_empty() {
            out.push_str(&format!(
                "Migration files this binary was not built with (rebuild it; or, if `mod.rs` does \
                 not list them, remove them or run `generate` to list them): {}\n",
                self.unbuilt_migrations.join(", ")
            ));
        }
        if !self.deleted_migrations.is_empty() {
            out.push_str(&format!(
                "Migrations this binary has whose file is gone (rebuild it): {}\n",
                self.deleted_migrations.join(", ")
            ));
        }
        if !self.pending_migrations.is_empty() {
            out.push_str(&format!(
                "Migrations not applied yet (run `up`): {}\n",
                self.pending_migrations.join(", ")
            ));
        }
        if !self.unknown_applied_migrations.is_empty() {
            out.push_str(&format!(
                "Applied migrations missing from the migrations directory: {}\n",
                self.unknown_applied_migrations.join(", ")
            ));
        }
        if !self.changes.is_empty() {
            out.push_str(&format!(
                "The models differ from the database{} (run `generate`):\n{}",
                if self.pending_migrations.is_empty() {
                    ""
                } else {
                    " (some of it may be what the pending migrations do)"
                },
                summary(&self.changes)
            ));
        }
        out
    }
}

/// Compares the registry, the migrations directory (`migrations_dir`, when given) and the
/// database. Read-only.
pub async fn check(
    db: &DatabaseConnection,
    migrator: &Migrator,
    registry: &Registry,
    migrations_dir: Option<&Path>,
) -> anyhow::Result<Report> {
    let known: Vec<String> = migrator
        .migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    // read-only, and exact when the database is ahead of the directory (sea-orm-migration's
    // status queries create the table, and fail on unknown applied migrations)
    let stored = migrator.recorded(db).await?;
    let applied: Vec<String> = known
        .iter()
        .filter(|k| stored.contains(k))
        .cloned()
        .collect();
    let drift = match migrations_dir {
        Some(dir) => Drift::of(dir, &known)?,
        None => Drift::default(),
    };
    let mut report = Report {
        pending_migrations: known
            .iter()
            .filter(|k| !applied.contains(k))
            .cloned()
            .collect(),
        unknown_applied_migrations: stored.into_iter().filter(|s| !known.contains(s)).collect(),
        unbuilt_migrations: drift.unbuilt,
        deleted_migrations: drift.deleted,
        no_products_registered: registry.is_empty(),
        ..Report::default()
    };
    let core_applied = crate::schema::migrations()
        .iter()
        .all(|m| applied.iter().any(|a| a == m.name()));
    if core_applied && !report.no_products_registered {
        let desired = Catalog::from_registry(registry);
        let actual = snapshot(db).await?;
        let renames = Renames::declared(&desired, &actual);
        report.changes = diff::diff(&desired, &actual, &renames);
    }
    Ok(report)
}
