//! The list of migrations to run: orch's core schema first, then the app's domain-model
//! migrations.

use orch_core::migration::{MigrationList, MigrationTrait};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryOrder};
use sea_orm_migration::{MigratorTraitSelf, SchemaManager, seaql_migrations};

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

    /// The names the database records as applied, oldest first, including any this migrator
    /// does not know. Read-only: unlike sea-orm-migration's own queries it never creates the
    /// `seaql_migrations` table (a database without it has applied nothing), and it does not
    /// fail when the database is ahead of the migrations directory.
    pub async fn recorded(&self, db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
        Ok(self
            .records(db)
            .await?
            .into_iter()
            .map(|(name, _)| name)
            .collect())
    }

    /// [`recorded`](Self::recorded) with the time each was applied (Unix seconds), for
    /// `history` and `current`.
    pub async fn records(&self, db: &DatabaseConnection) -> Result<Vec<(String, i64)>, DbErr> {
        let table = self.migration_table_name().to_string();
        if !SchemaManager::new(db).has_table(&table).await? {
            return Ok(Vec::new());
        }
        Ok(seaql_migrations::Entity::find()
            .order_by_asc(seaql_migrations::Column::Version)
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.version, m.applied_at))
            .collect())
    }
}

impl Migrator {
    /// Records `name` as applied without running it (creating the record table if needed).
    pub async fn record(&self, db: &DatabaseConnection, name: &str) -> Result<(), DbErr> {
        self.install(db).await?;
        let stmt = sea_orm::sea_query::Query::insert()
            .into_table(self.migration_table_name())
            .columns(["version", "applied_at"])
            .values_panic([name.into(), chrono::Utc::now().timestamp().into()])
            .to_owned();
        db.execute(&stmt).await?;
        Ok(())
    }

    /// Removes the record of `name` without rolling it back.
    pub async fn unrecord(&self, db: &DatabaseConnection, name: &str) -> Result<(), DbErr> {
        let stmt = sea_orm::sea_query::Query::delete()
            .from_table(self.migration_table_name())
            .and_where(sea_orm::sea_query::Expr::col("version").eq(name))
            .to_owned();
        db.execute(&stmt).await?;
        Ok(())
    }
}

impl MigratorTraitSelf for Migrator {
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        let mut all = crate::schema::migrations();
        all.extend((self.app)());
        all
    }
}
