//! Creates orchestrator-core's 17 metadata, subscription and process tables.
//!
//! The result on PostgreSQL is the schema orchestrator-core 5.5 has after `db upgrade heads`, for
//! these tables: the same names, columns in the same order (orchestrator-core inserts into
//! `workflows` positionally), types, nullability, defaults, primary keys, unique constraints,
//! indexes and foreign keys with the same names and `ON DELETE` rules, the `increment_version()`
//! function and its two triggers. orch and orchestrator-core can therefore share one database.
//! The workflows that orchestrator-core's own migrations insert are not seeded.
//!
//! The same statements, built with sea-query, create the equivalent schema on SQLite and MariaDB
//! (or MySQL). Only the version triggers, and the `uuid-ossp` extension and the trigger function
//! on PostgreSQL, are raw SQL per backend.
//!
//! # Column types per backend
//!
//! | orchestrator-core (PostgreSQL)   | SQLite                                 | MariaDB / MySQL                       | Rust (sea-orm)       |
//! |----------------------------------|----------------------------------------|---------------------------------------|----------------------|
//! | `uuid`                           | `uuid_text`, holds a 16-byte BLOB      | `binary(16)`                          | `Uuid`               |
//! | `uuid` primary key, `DEFAULT uuid_generate_v4()` | no default             | no default                            | `Uuid`               |
//! | `character varying(n)`          | `varchar(n)` (length not enforced)     | `varchar(n)`                          | `String`             |
//! | `character varying(10000)` `failed_reason`, `(50000)` `traceback` | `varchar(n)` | `text` (row size limit)     | `String`             |
//! | `character varying`, unique or indexed (`name`s, `customer_id`) | `varchar` | `varchar(255)` (index key limit) | `String`            |
//! | `character varying`, not indexed (`fixed_inputs.value`, `workflows.target`) | `varchar` | `text`            | `String`             |
//! | `integer`                        | `integer`                              | `int`                                 | `i32`                |
//! | `boolean`                        | `boolean` (0/1)                        | `bool` (`tinyint(1)`)                 | `bool`               |
//! | `timestamp with time zone`       | `timestamp_with_timezone_text`, RFC 3339 text in UTC | `datetime(6)`, UTC      | `DateTimeUtc`        |
//! | `DEFAULT CURRENT_TIMESTAMP`      | `DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))` | `DEFAULT CURRENT_TIMESTAMP(6)` | |
//! | `jsonb`                          | `jsonb_text`                           | `json` (`longtext` checked by `json_valid`) | `Json`         |
//!
//! Notes on the choices:
//!
//! - **UUIDs.** sea-orm binds a `Uuid` as a 16-byte BLOB on SQLite and as `binary(16)` on MySQL,
//!   so the columns keep sea-query's `Uuid` type (`uuid_text` only names the type; SQLite stores
//!   the BLOB as it is). Neither backend has a UUID v4 function (`randomblob(16)` would not set
//!   the version bits, MariaDB's `UUID()` is version 1 and text), and sea-orm could not read a
//!   generated key back there anyway, so uuid primary keys have **no default** on SQLite and
//!   MariaDB: the application generates every id (`Uuid::new_v4()`), exactly as
//!   orchestrator-core's domain layer does. Inserting without an id fails there with a NOT NULL
//!   violation instead of producing an id nobody sees.
//! - **Timestamps.** SQLite's `CURRENT_TIMESTAMP` is `YYYY-MM-DD HH:MM:SS`, while sea-orm (sqlx)
//!   writes a `DateTimeUtc` as RFC 3339, `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`. Both read back, but
//!   SQLite compares the text, and `' '` sorts before `'T'`: rows filled in by the default would
//!   sort before every row written by the application. The SQLite default therefore writes the
//!   same RFC 3339 form, in UTC with millisecond precision. On MariaDB `datetime(6)` avoids the
//!   year-2038 limit of `timestamp`; its values are in UTC because sqlx sets the session time
//!   zone to `+00:00` (other clients must do the same for `CURRENT_TIMESTAMP(6)` to be UTC).
//! - **Strings.** MySQL needs a length for indexed `varchar`s and limits a row to 65535 bytes
//!   (4 bytes per character in `utf8mb4`). Unbounded names and customer ids become
//!   `varchar(255)`; unbounded values that are not indexed, the 10000-character `failed_reason`
//!   and the 50000-character `traceback` become `text`. `subscription_instance_values.value`
//!   stays `varchar(10000)`. SQLite accepts any length in any `varchar`.
//! - **MariaDB tables** are `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`: names are
//!   case-sensitive and compared exactly, as on PostgreSQL.
//! - **`subscription_metadata`** has no primary key, as in orchestrator-core (the entity declares
//!   `subscription_id` as its key; see `orch_core::entity::subscription_metadata`).
//!
//! # Version triggers
//!
//! `subscriptions.version` and `subscription_customer_descriptions.version` start at 1 and go up
//! by one with every UPDATE statement that touches the row:
//!
//! - PostgreSQL: orchestrator-core's `increment_version()` (`NEW.version := OLD.version + 1`) in
//!   `BEFORE UPDATE ... FOR EACH ROW` triggers.
//! - MariaDB: `BEFORE UPDATE ... FOR EACH ROW SET NEW.version = OLD.version + 1`.
//! - SQLite cannot assign `NEW` in a trigger, so an `AFTER UPDATE ... FOR EACH ROW WHEN
//!   NEW.version = OLD.version` trigger runs `UPDATE ... SET version = OLD.version + 1` on the
//!   row. Recursive triggers are off by default in SQLite, and the `WHEN` clause stops the
//!   trigger's own UPDATE from firing it again if they are turned on. One difference remains: an
//!   UPDATE that sets `version` explicitly to another value keeps that value on SQLite, where
//!   PostgreSQL and MariaDB ignore it and store `OLD.version + 1`.
//!
//! sea-orm updates SQLite rows with `UPDATE ... RETURNING` (its default feature
//! `sqlite-use-returning-for-3_35`, switched on through sea-orm-migration), and `RETURNING` does
//! not see what an AFTER trigger changed. The `subscriptions` and
//! `subscription_customer_descriptions` entities therefore read `version` again after an update
//! on SQLite, so that `ActiveModel::update` returns the stored version on every backend.
//!
//! # Atomicity
//!
//! The migration runs in one transaction: on PostgreSQL and SQLite a failure leaves nothing
//! behind. MariaDB commits every DDL statement implicitly; after a failure there, `down` drops
//! whatever was created (every drop is `IF EXISTS`).

use orch_core::migration::{DbErr, MigrationName, MigrationTrait, SchemaManager, async_trait};
use sea_orm::{ConnectionTrait, DbBackend, DeriveIden};
use sea_query::{
    ColumnDef, ColumnType, Expr, ForeignKey, ForeignKeyAction, ForeignKeyCreateStatement, Index,
    IndexCreateStatement, IntoIden, IntoTableRef, Keyword, StringLen, Table, TableCreateStatement,
};

/// The migration's name in `seaql_migrations`.
pub const NAME: &str = "m20250101_000001_create_orchestrator_core_tables";

/// The names of the two version triggers, with their tables.
pub(crate) const VERSION_TRIGGERS: [(&str, &str, &str); 2] = [
    (
        "subscriptions_increment_version_trigger",
        "subscriptions",
        "subscription_id",
    ),
    (
        "subscription_customer_descriptions_increment_version_trigger",
        "subscription_customer_descriptions",
        "id",
    ),
];

/// orchestrator-core's `increment_version()` trigger function (PostgreSQL).
pub(crate) const PG_INCREMENT_VERSION: &str = r#"CREATE OR REPLACE FUNCTION increment_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$"#;

/// Creates orchestrator-core's tables; see the [module documentation](self) for what is created
/// on which backend.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        NAME
    }
}

// `&SchemaManager` without `<'_>`: async_trait only matches the trait's lifetimes when the impl
// elides them the same way.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        // Also on SQLite, whose DDL is transactional; MariaDB commits DDL anyway.
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let conn = manager.get_connection();
        if backend == DbBackend::Postgres {
            conn.execute_unprepared(r#"CREATE EXTENSION IF NOT EXISTS "uuid-ossp""#)
                .await?;
            conn.execute_unprepared(PG_INCREMENT_VERSION).await?;
        }
        let types = Types(backend);
        for table in tables(types) {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        for (trigger, table, key) in VERSION_TRIGGERS {
            conn.execute_unprepared(&create_version_trigger(backend, trigger, table, key))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let conn = manager.get_connection();
        for (trigger, table, _) in VERSION_TRIGGERS {
            let sql = match backend {
                // On PostgreSQL a missing table is an error even with IF EXISTS on the trigger.
                DbBackend::Postgres => format!(
                    r#"DO $$ BEGIN IF to_regclass('{table}') IS NOT NULL THEN DROP TRIGGER IF EXISTS "{trigger}" ON "{table}"; END IF; END $$"#
                ),
                DbBackend::MySql => format!("DROP TRIGGER IF EXISTS `{trigger}`"),
                _ => format!(r#"DROP TRIGGER IF EXISTS "{trigger}""#),
            };
            conn.execute_unprepared(&sql).await?;
        }
        // Dependents first: the reverse of the creation order.
        for table in tables(Types(backend)).iter().rev() {
            let name = table
                .get_table_name()
                .expect("every table has a name")
                .clone();
            manager
                .drop_table(Table::drop().table(name).if_exists().to_owned())
                .await?;
        }
        if backend == DbBackend::Postgres {
            // The uuid-ossp extension stays: other schemas may use it.
            conn.execute_unprepared("DROP FUNCTION IF EXISTS increment_version()")
                .await?;
        }
        Ok(())
    }
}

/// The SQL of one version trigger on `backend`; `key` is the table's primary key column.
fn create_version_trigger(backend: DbBackend, trigger: &str, table: &str, key: &str) -> String {
    match backend {
        DbBackend::Postgres => format!(
            r#"CREATE TRIGGER "{trigger}" BEFORE UPDATE ON "{table}" FOR EACH ROW EXECUTE FUNCTION increment_version()"#
        ),
        DbBackend::MySql => format!(
            "CREATE TRIGGER `{trigger}` BEFORE UPDATE ON `{table}` FOR EACH ROW SET NEW.version = OLD.version + 1"
        ),
        _ => format!(
            r#"CREATE TRIGGER "{trigger}" AFTER UPDATE ON "{table}" FOR EACH ROW WHEN NEW.version = OLD.version BEGIN UPDATE "{table}" SET version = OLD.version + 1 WHERE "{key}" = NEW."{key}"; END"#
        ),
    }
}

/// The column types of one backend (see the table in the module documentation).
#[derive(Clone, Copy)]
struct Types(DbBackend);

impl Types {
    fn mysql(self) -> bool {
        self.0 == DbBackend::MySql
    }

    /// A `CREATE TABLE`, with MariaDB's engine, character set and collation.
    fn table(self, name: impl IntoIden) -> TableCreateStatement {
        let mut table = Table::create();
        table.table(name);
        if self.mysql() {
            table
                .engine("InnoDB")
                .character_set("utf8mb4")
                .collate("utf8mb4_bin");
        }
        table
    }

    /// A uuid primary key, `DEFAULT uuid_generate_v4()` on PostgreSQL.
    fn uuid_pk(self, name: impl IntoIden) -> ColumnDef {
        let mut col = ColumnDef::new_with_type(name, ColumnType::Uuid);
        col.not_null().primary_key();
        if self.0 == DbBackend::Postgres {
            col.default(Expr::cust("uuid_generate_v4()"));
        }
        col
    }

    /// A `NOT NULL` uuid column.
    fn uuid(self, name: impl IntoIden) -> ColumnDef {
        ColumnDef::new_with_type(name, ColumnType::Uuid)
            .not_null()
            .to_owned()
    }

    /// A nullable `varchar(len)`.
    fn varchar(self, name: impl IntoIden, len: u32) -> ColumnDef {
        ColumnDef::new_with_type(name, ColumnType::String(StringLen::N(len)))
    }

    /// A nullable `varchar(len)` too long for MySQL's row size: `text` there.
    fn long_varchar(self, name: impl IntoIden, len: u32) -> ColumnDef {
        let ty = if self.mysql() {
            ColumnType::Text
        } else {
            ColumnType::String(StringLen::N(len))
        };
        ColumnDef::new_with_type(name, ty)
    }

    /// A `NOT NULL` unbounded `varchar` that is unique or indexed: `varchar(255)` on MySQL.
    fn varchar_key(self, name: impl IntoIden) -> ColumnDef {
        let len = if self.mysql() {
            StringLen::N(255)
        } else {
            StringLen::None
        };
        ColumnDef::new_with_type(name, ColumnType::String(len))
            .not_null()
            .to_owned()
    }

    /// A `NOT NULL` unbounded `varchar` that is not indexed: `text` on MySQL.
    fn varchar_unbounded(self, name: impl IntoIden) -> ColumnDef {
        let ty = if self.mysql() {
            ColumnType::Text
        } else {
            ColumnType::String(StringLen::None)
        };
        ColumnDef::new_with_type(name, ty).not_null().to_owned()
    }

    /// A nullable `timestamp with time zone`.
    fn timestamp(self, name: impl IntoIden) -> ColumnDef {
        let ty = if self.mysql() {
            ColumnType::custom("datetime(6)")
        } else {
            ColumnType::TimestampWithTimeZone
        };
        ColumnDef::new_with_type(name, ty)
    }

    /// A `NOT NULL` `timestamp with time zone DEFAULT CURRENT_TIMESTAMP`.
    fn timestamp_now(self, name: impl IntoIden) -> ColumnDef {
        let now = match self.0 {
            DbBackend::MySql => Expr::Keyword(Keyword::Custom("CURRENT_TIMESTAMP(6)".into())),
            DbBackend::Sqlite => Expr::cust("strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')"),
            _ => Expr::current_timestamp(),
        };
        self.timestamp(name).not_null().default(now).to_owned()
    }

    /// A `NOT NULL` boolean.
    fn boolean(self, name: impl IntoIden) -> ColumnDef {
        ColumnDef::new_with_type(name, ColumnType::Boolean)
            .not_null()
            .to_owned()
    }

    /// A nullable integer.
    fn integer(self, name: impl IntoIden) -> ColumnDef {
        ColumnDef::new_with_type(name, ColumnType::Integer)
    }

    /// A `NOT NULL` `jsonb`.
    fn jsonb(self, name: impl IntoIden) -> ColumnDef {
        ColumnDef::new_with_type(name, ColumnType::JsonBinary)
            .not_null()
            .to_owned()
    }
}

/// A named primary key over several columns (PostgreSQL's default name is `<table>_pkey`).
fn primary_key<C: IntoIden>(name: &str, cols: impl IntoIterator<Item = C>) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).primary();
    for col in cols {
        index.col(col.into_iden());
    }
    index
}

/// A named unique constraint.
fn unique<C: IntoIden>(name: &str, cols: impl IntoIterator<Item = C>) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).unique();
    for col in cols {
        index.col(col.into_iden());
    }
    index
}

/// A named foreign key, `ON DELETE CASCADE` or the default (no action).
fn foreign_key(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    cascade: bool,
) -> ForeignKeyCreateStatement {
    let mut fk = ForeignKey::create();
    fk.name(name).from(from.0, from.1).to(to.0, to.1);
    if cascade {
        fk.on_delete(ForeignKeyAction::Cascade);
    }
    fk
}

const CASCADE: bool = true;
const NO_ACTION: bool = false;

/// The 17 tables, each after the tables it references.
fn tables(t: Types) -> Vec<TableCreateStatement> {
    vec![
        t.table(Products::Table)
            .col(t.uuid_pk(Products::ProductId))
            .col(t.varchar_key(Products::Name))
            .col(t.varchar(Products::Description, 2000).not_null())
            .col(t.varchar(Products::ProductType, 255).not_null())
            .col(t.varchar(Products::Tag, 20).not_null())
            .col(t.varchar(Products::Status, 255).not_null())
            .col(t.timestamp_now(Products::CreatedAt))
            .col(t.timestamp(Products::EndDate))
            .index(&mut unique("products_name_key", [Products::Name]))
            .to_owned(),
        t.table(ProductBlocks::Table)
            .col(t.uuid_pk(ProductBlocks::ProductBlockId))
            .col(t.varchar_key(ProductBlocks::Name))
            .col(t.varchar(ProductBlocks::Description, 2000).not_null())
            .col(t.varchar(ProductBlocks::Tag, 20))
            .col(t.varchar(ProductBlocks::Status, 255))
            .col(t.timestamp_now(ProductBlocks::CreatedAt))
            .col(t.timestamp(ProductBlocks::EndDate))
            .index(&mut unique(
                "product_blocks_name_key",
                [ProductBlocks::Name],
            ))
            .to_owned(),
        t.table(ResourceTypes::Table)
            .col(t.uuid_pk(ResourceTypes::ResourceTypeId))
            .col(t.varchar(ResourceTypes::ResourceType, 510).not_null())
            .col(t.varchar(ResourceTypes::Description, 2000))
            .index(&mut unique(
                "resource_types_resource_type_key",
                [ResourceTypes::ResourceType],
            ))
            .to_owned(),
        t.table(Workflows::Table)
            .col(t.uuid_pk(Workflows::WorkflowId))
            .col(t.varchar_key(Workflows::Name))
            .col(t.varchar_unbounded(Workflows::Target))
            .col(t.varchar(Workflows::Description, 2000).not_null())
            .col(t.timestamp_now(Workflows::CreatedAt))
            .col(t.timestamp(Workflows::DeletedAt))
            .col(t.boolean(Workflows::IsTask).default(false))
            .index(&mut unique("workflows_name_key", [Workflows::Name]))
            .to_owned(),
        t.table(FixedInputs::Table)
            .col(t.uuid_pk(FixedInputs::FixedInputId))
            .col(t.varchar_key(FixedInputs::Name))
            .col(t.varchar_unbounded(FixedInputs::Value))
            .col(t.timestamp_now(FixedInputs::CreatedAt))
            .col(t.uuid(FixedInputs::ProductId))
            .index(&mut unique(
                "fixed_inputs_name_product_id_key",
                [FixedInputs::Name, FixedInputs::ProductId],
            ))
            .foreign_key(&mut foreign_key(
                "fixed_inputs_product_id_fkey",
                (FixedInputs::Table, FixedInputs::ProductId),
                (Products::Table, Products::ProductId),
                CASCADE,
            ))
            .to_owned(),
        t.table(ProductProductBlocks::Table)
            .col(t.uuid(ProductProductBlocks::ProductId))
            .col(t.uuid(ProductProductBlocks::ProductBlockId))
            .primary_key(&mut primary_key(
                "product_product_blocks_pkey",
                [
                    ProductProductBlocks::ProductId,
                    ProductProductBlocks::ProductBlockId,
                ],
            ))
            .foreign_key(&mut foreign_key(
                "product_product_blocks_product_id_fkey",
                (ProductProductBlocks::Table, ProductProductBlocks::ProductId),
                (Products::Table, Products::ProductId),
                CASCADE,
            ))
            .foreign_key(&mut foreign_key(
                "product_product_blocks_product_block_id_fkey",
                (
                    ProductProductBlocks::Table,
                    ProductProductBlocks::ProductBlockId,
                ),
                (ProductBlocks::Table, ProductBlocks::ProductBlockId),
                CASCADE,
            ))
            .to_owned(),
        t.table(ProductBlockRelations::Table)
            .col(t.uuid(ProductBlockRelations::InUseById))
            .col(t.uuid(ProductBlockRelations::DependsOnId))
            .col(t.integer(ProductBlockRelations::Min))
            .col(t.integer(ProductBlockRelations::Max))
            .primary_key(&mut primary_key(
                "product_block_relations_pkey",
                [
                    ProductBlockRelations::InUseById,
                    ProductBlockRelations::DependsOnId,
                ],
            ))
            .foreign_key(&mut foreign_key(
                "product_block_relations_in_use_by_id_fkey",
                (
                    ProductBlockRelations::Table,
                    ProductBlockRelations::InUseById,
                ),
                (ProductBlocks::Table, ProductBlocks::ProductBlockId),
                CASCADE,
            ))
            .foreign_key(&mut foreign_key(
                "product_block_relations_depends_on_id_fkey",
                (
                    ProductBlockRelations::Table,
                    ProductBlockRelations::DependsOnId,
                ),
                (ProductBlocks::Table, ProductBlocks::ProductBlockId),
                CASCADE,
            ))
            .to_owned(),
        t.table(ProductBlockResourceTypes::Table)
            .col(t.uuid(ProductBlockResourceTypes::ProductBlockId))
            .col(t.uuid(ProductBlockResourceTypes::ResourceTypeId))
            .primary_key(&mut primary_key(
                "product_block_resource_types_pkey",
                [
                    ProductBlockResourceTypes::ProductBlockId,
                    ProductBlockResourceTypes::ResourceTypeId,
                ],
            ))
            .foreign_key(&mut foreign_key(
                "product_block_resource_types_product_block_id_fkey",
                (
                    ProductBlockResourceTypes::Table,
                    ProductBlockResourceTypes::ProductBlockId,
                ),
                (ProductBlocks::Table, ProductBlocks::ProductBlockId),
                CASCADE,
            ))
            .foreign_key(&mut foreign_key(
                "product_block_resource_types_resource_type_id_fkey",
                (
                    ProductBlockResourceTypes::Table,
                    ProductBlockResourceTypes::ResourceTypeId,
                ),
                (ResourceTypes::Table, ResourceTypes::ResourceTypeId),
                CASCADE,
            ))
            .to_owned(),
        t.table(ProductsWorkflows::Table)
            .col(t.uuid(ProductsWorkflows::ProductId))
            .col(t.uuid(ProductsWorkflows::WorkflowId))
            .primary_key(&mut primary_key(
                "products_workflows_pkey",
                [ProductsWorkflows::ProductId, ProductsWorkflows::WorkflowId],
            ))
            .foreign_key(&mut foreign_key(
                "products_workflows_product_id_fkey",
                (ProductsWorkflows::Table, ProductsWorkflows::ProductId),
                (Products::Table, Products::ProductId),
                CASCADE,
            ))
            .foreign_key(&mut foreign_key(
                "products_workflows_workflow_id_fkey",
                (ProductsWorkflows::Table, ProductsWorkflows::WorkflowId),
                (Workflows::Table, Workflows::WorkflowId),
                CASCADE,
            ))
            .to_owned(),
        t.table(Subscriptions::Table)
            .col(t.uuid_pk(Subscriptions::SubscriptionId))
            .col(t.varchar(Subscriptions::Description, 2000).not_null())
            .col(t.varchar(Subscriptions::Status, 255).not_null())
            .col(t.uuid(Subscriptions::ProductId))
            .col(t.varchar_key(Subscriptions::CustomerId))
            .col(t.boolean(Subscriptions::Insync))
            .col(t.timestamp(Subscriptions::StartDate))
            .col(t.timestamp(Subscriptions::EndDate))
            .col(t.varchar(Subscriptions::Note, 5000))
            .col(t.integer(Subscriptions::Version).not_null().default(1))
            .foreign_key(&mut foreign_key(
                "subscriptions_product_id_fkey",
                (Subscriptions::Table, Subscriptions::ProductId),
                (Products::Table, Products::ProductId),
                NO_ACTION,
            ))
            .to_owned(),
        t.table(SubscriptionInstances::Table)
            .col(t.uuid_pk(SubscriptionInstances::SubscriptionInstanceId))
            .col(t.uuid(SubscriptionInstances::SubscriptionId))
            .col(t.uuid(SubscriptionInstances::ProductBlockId))
            .col(t.varchar(SubscriptionInstances::Label, 255))
            .foreign_key(&mut foreign_key(
                "subscription_instances_subscription_id_fkey",
                (
                    SubscriptionInstances::Table,
                    SubscriptionInstances::SubscriptionId,
                ),
                (Subscriptions::Table, Subscriptions::SubscriptionId),
                CASCADE,
            ))
            .foreign_key(&mut foreign_key(
                "subscription_instances_product_block_id_fkey",
                (
                    SubscriptionInstances::Table,
                    SubscriptionInstances::ProductBlockId,
                ),
                (ProductBlocks::Table, ProductBlocks::ProductBlockId),
                NO_ACTION,
            ))
            .to_owned(),
        t.table(SubscriptionInstanceValues::Table)
            .col(t.uuid_pk(SubscriptionInstanceValues::SubscriptionInstanceValueId))
            .col(t.uuid(SubscriptionInstanceValues::SubscriptionInstanceId))
            .col(t.uuid(SubscriptionInstanceValues::ResourceTypeId))
            .col(
                t.varchar(SubscriptionInstanceValues::Value, 10000)
                    .not_null(),
            )
            .foreign_key(&mut foreign_key(
                "subscription_instance_values_subscription_instance_id_fkey",
                (
                    SubscriptionInstanceValues::Table,
                    SubscriptionInstanceValues::SubscriptionInstanceId,
                ),
                (
                    SubscriptionInstances::Table,
                    SubscriptionInstances::SubscriptionInstanceId,
                ),
                CASCADE,
            ))
            .foreign_key(&mut foreign_key(
                "subscription_instance_values_resource_type_id_fkey",
                (
                    SubscriptionInstanceValues::Table,
                    SubscriptionInstanceValues::ResourceTypeId,
                ),
                (ResourceTypes::Table, ResourceTypes::ResourceTypeId),
                NO_ACTION,
            ))
            .to_owned(),
        t.table(SubscriptionInstanceRelations::Table)
            .col(t.uuid(SubscriptionInstanceRelations::InUseById))
            .col(t.uuid(SubscriptionInstanceRelations::DependsOnId))
            .col(t.integer(SubscriptionInstanceRelations::OrderId).not_null())
            .col(t.varchar(SubscriptionInstanceRelations::DomainModelAttr, 255))
            .primary_key(&mut primary_key(
                "subscription_instance_relations_pkey",
                [
                    SubscriptionInstanceRelations::InUseById,
                    SubscriptionInstanceRelations::DependsOnId,
                    SubscriptionInstanceRelations::OrderId,
                ],
            ))
            .foreign_key(&mut foreign_key(
                "subscription_instance_relations_in_use_by_id_fkey",
                (
                    SubscriptionInstanceRelations::Table,
                    SubscriptionInstanceRelations::InUseById,
                ),
                (
                    SubscriptionInstances::Table,
                    SubscriptionInstances::SubscriptionInstanceId,
                ),
                CASCADE,
            ))
            .foreign_key(&mut foreign_key(
                "subscription_instance_relations_depends_on_id_fkey",
                (
                    SubscriptionInstanceRelations::Table,
                    SubscriptionInstanceRelations::DependsOnId,
                ),
                (
                    SubscriptionInstances::Table,
                    SubscriptionInstances::SubscriptionInstanceId,
                ),
                CASCADE,
            ))
            .to_owned(),
        t.table(SubscriptionCustomerDescriptions::Table)
            .col(t.uuid_pk(SubscriptionCustomerDescriptions::Id))
            .col(t.uuid(SubscriptionCustomerDescriptions::SubscriptionId))
            .col(t.varchar_key(SubscriptionCustomerDescriptions::CustomerId))
            .col(
                t.varchar(SubscriptionCustomerDescriptions::Description, 2000)
                    .not_null(),
            )
            .col(t.timestamp_now(SubscriptionCustomerDescriptions::CreatedAt))
            .col(
                t.integer(SubscriptionCustomerDescriptions::Version)
                    .not_null()
                    .default(1),
            )
            .index(&mut unique(
                "uniq_customer_subscription_description",
                [
                    SubscriptionCustomerDescriptions::CustomerId,
                    SubscriptionCustomerDescriptions::SubscriptionId,
                ],
            ))
            .foreign_key(&mut foreign_key(
                "subscription_customer_descriptions_subscription_id_fkey",
                (
                    SubscriptionCustomerDescriptions::Table,
                    SubscriptionCustomerDescriptions::SubscriptionId,
                ),
                (Subscriptions::Table, Subscriptions::SubscriptionId),
                CASCADE,
            ))
            .to_owned(),
        t.table(SubscriptionMetadata::Table)
            .col(t.uuid(SubscriptionMetadata::SubscriptionId))
            .col(t.jsonb(SubscriptionMetadata::Metadata))
            .foreign_key(&mut foreign_key(
                "subscription_metadata_subscription_id_fkey",
                (
                    SubscriptionMetadata::Table,
                    SubscriptionMetadata::SubscriptionId,
                ),
                (Subscriptions::Table, Subscriptions::SubscriptionId),
                CASCADE,
            ))
            .to_owned(),
        t.table(Processes::Table)
            .col(t.uuid_pk(Processes::Pid))
            .col(
                t.varchar(Processes::Assignee, 50)
                    .not_null()
                    .default("SYSTEM"),
            )
            .col(t.varchar(Processes::LastStatus, 50).not_null())
            .col(t.varchar(Processes::LastStep, 255))
            .col(t.timestamp_now(Processes::StartedAt))
            .col(t.timestamp_now(Processes::LastModifiedAt))
            .col(t.long_varchar(Processes::FailedReason, 10000))
            .col(t.long_varchar(Processes::Traceback, 50000))
            .col(t.varchar(Processes::CreatedBy, 255))
            .col(t.boolean(Processes::IsTask).default(false))
            .col(t.uuid(Processes::WorkflowId))
            .col(t.varchar(Processes::Note, 5000))
            .foreign_key(&mut foreign_key(
                "processes_workflow_id_fkey",
                (Processes::Table, Processes::WorkflowId),
                (Workflows::Table, Workflows::WorkflowId),
                NO_ACTION,
            ))
            .to_owned(),
        t.table(ProcessesSubscriptions::Table)
            .col(t.uuid_pk(ProcessesSubscriptions::Id))
            .col(t.uuid(ProcessesSubscriptions::Pid))
            .col(t.uuid(ProcessesSubscriptions::SubscriptionId))
            .col(t.timestamp_now(ProcessesSubscriptions::CreatedAt))
            .col(
                t.varchar(ProcessesSubscriptions::WorkflowTarget, 255)
                    .default("CREATE"),
            )
            .foreign_key(&mut foreign_key(
                "processes_subscriptions_pid_fkey",
                (ProcessesSubscriptions::Table, ProcessesSubscriptions::Pid),
                (Processes::Table, Processes::Pid),
                CASCADE,
            ))
            .foreign_key(&mut foreign_key(
                "processes_subscriptions_subscription_id_fkey",
                (
                    ProcessesSubscriptions::Table,
                    ProcessesSubscriptions::SubscriptionId,
                ),
                (Subscriptions::Table, Subscriptions::SubscriptionId),
                NO_ACTION,
            ))
            .to_owned(),
    ]
}

/// A named (non-unique unless `unique`) index on `table`.
fn index<T: IntoTableRef, C: IntoIden>(
    name: &str,
    table: T,
    cols: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col.into_iden());
    }
    index
}

/// The indexes created after the tables, by orchestrator-core's names.
fn indexes() -> Vec<IndexCreateStatement> {
    use ProcessesSubscriptions as PS;
    use SubscriptionCustomerDescriptions as SCD;
    use SubscriptionInstanceValues as SIV;
    use SubscriptionInstances as SI;
    vec![
        index(
            "ix_processes_is_task",
            Processes::Table,
            [Processes::IsTask],
        ),
        index("ix_processes_pid", Processes::Table, [Processes::Pid]),
        index("ix_processes_subscriptions_pid", PS::Table, [PS::Pid]),
        index(
            "ix_processes_subscriptions_subscription_id",
            PS::Table,
            [PS::SubscriptionId],
        ),
        index("ix_products_tag", Products::Table, [Products::Tag]),
        index(
            "ix_subscription_customer_descriptions_customer_id",
            SCD::Table,
            [SCD::CustomerId],
        ),
        index(
            "ix_subscription_customer_descriptions_subscription_id",
            SCD::Table,
            [SCD::SubscriptionId],
        ),
        index(
            "ix_subscription_instance_values_resource_type_id",
            SIV::Table,
            [SIV::ResourceTypeId],
        ),
        index(
            "ix_subscription_instance_values_subscription_instance_id",
            SIV::Table,
            [SIV::SubscriptionInstanceId],
        ),
        index(
            "ix_subscription_instances_product_block_id",
            SI::Table,
            [SI::ProductBlockId],
        ),
        index(
            "ix_subscription_instances_subscription_id",
            SI::Table,
            [SI::SubscriptionId],
        ),
        index(
            "ix_subscription_metadata_subscription_id",
            SubscriptionMetadata::Table,
            [SubscriptionMetadata::SubscriptionId],
        ),
        index(
            "ix_subscriptions_customer_id",
            Subscriptions::Table,
            [Subscriptions::CustomerId],
        ),
        index(
            "ix_subscriptions_product_id",
            Subscriptions::Table,
            [Subscriptions::ProductId],
        ),
        index(
            "ix_subscriptions_status",
            Subscriptions::Table,
            [Subscriptions::Status],
        ),
        index(
            "processes_subscriptions_ix",
            PS::Table,
            [PS::Pid, PS::SubscriptionId],
        ),
        index(
            "product_block_relation_i_d_ix",
            ProductBlockRelations::Table,
            [
                ProductBlockRelations::InUseById,
                ProductBlockRelations::DependsOnId,
            ],
        )
        .unique()
        .to_owned(),
        index(
            "siv_si_rt_ix",
            SIV::Table,
            [
                SIV::SubscriptionInstanceValueId,
                SIV::SubscriptionInstanceId,
                SIV::ResourceTypeId,
            ],
        ),
        index(
            "subscription_customer_ix",
            Subscriptions::Table,
            [Subscriptions::SubscriptionId, Subscriptions::CustomerId],
        ),
        index(
            "subscription_instance_s_pb_ix",
            SI::Table,
            [
                SI::SubscriptionInstanceId,
                SI::SubscriptionId,
                SI::ProductBlockId,
            ],
        ),
        index(
            "subscription_product_ix",
            Subscriptions::Table,
            [Subscriptions::SubscriptionId, Subscriptions::ProductId],
        ),
        index(
            "subscription_relation_i_d_o_ix",
            SubscriptionInstanceRelations::Table,
            [
                SubscriptionInstanceRelations::InUseById,
                SubscriptionInstanceRelations::DependsOnId,
                SubscriptionInstanceRelations::OrderId,
            ],
        )
        .unique()
        .to_owned(),
    ]
}

// The names of the tables and columns, as this migration creates them. They are frozen here
// rather than taken from the entities, so that later changes to the entities cannot change what
// this migration does.

#[derive(DeriveIden, Clone, Copy)]
enum Products {
    Table,
    ProductId,
    Name,
    Description,
    ProductType,
    Tag,
    Status,
    CreatedAt,
    EndDate,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProductBlocks {
    Table,
    ProductBlockId,
    Name,
    Description,
    Tag,
    Status,
    CreatedAt,
    EndDate,
}

#[derive(DeriveIden, Clone, Copy)]
enum ResourceTypes {
    Table,
    ResourceTypeId,
    ResourceType,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum Workflows {
    Table,
    WorkflowId,
    Name,
    Target,
    Description,
    CreatedAt,
    DeletedAt,
    IsTask,
}

#[derive(DeriveIden, Clone, Copy)]
enum FixedInputs {
    Table,
    FixedInputId,
    Name,
    Value,
    CreatedAt,
    ProductId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProductProductBlocks {
    Table,
    ProductId,
    ProductBlockId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProductBlockRelations {
    Table,
    InUseById,
    DependsOnId,
    Min,
    Max,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProductBlockResourceTypes {
    Table,
    ProductBlockId,
    ResourceTypeId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProductsWorkflows {
    Table,
    ProductId,
    WorkflowId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Subscriptions {
    Table,
    SubscriptionId,
    Description,
    Status,
    ProductId,
    CustomerId,
    Insync,
    StartDate,
    EndDate,
    Note,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum SubscriptionInstances {
    Table,
    SubscriptionInstanceId,
    SubscriptionId,
    ProductBlockId,
    Label,
}

#[derive(DeriveIden, Clone, Copy)]
enum SubscriptionInstanceValues {
    Table,
    SubscriptionInstanceValueId,
    SubscriptionInstanceId,
    ResourceTypeId,
    Value,
}

#[derive(DeriveIden, Clone, Copy)]
enum SubscriptionInstanceRelations {
    Table,
    InUseById,
    DependsOnId,
    OrderId,
    DomainModelAttr,
}

#[derive(DeriveIden, Clone, Copy)]
enum SubscriptionCustomerDescriptions {
    Table,
    Id,
    SubscriptionId,
    CustomerId,
    Description,
    CreatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum SubscriptionMetadata {
    Table,
    SubscriptionId,
    Metadata,
}

#[derive(DeriveIden, Clone, Copy)]
enum Processes {
    Table,
    Pid,
    Assignee,
    LastStatus,
    LastStep,
    StartedAt,
    LastModifiedAt,
    FailedReason,
    Traceback,
    CreatedBy,
    IsTask,
    WorkflowId,
    Note,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProcessesSubscriptions {
    Table,
    Id,
    Pid,
    SubscriptionId,
    CreatedAt,
    WorkflowTarget,
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_query::{MysqlQueryBuilder, PostgresQueryBuilder, SqliteQueryBuilder};

    fn create_products(backend: DbBackend) -> String {
        let table = &tables(Types(backend))[0];
        match backend {
            DbBackend::Postgres => table.to_string(PostgresQueryBuilder),
            DbBackend::MySql => table.to_string(MysqlQueryBuilder),
            _ => table.to_string(SqliteQueryBuilder),
        }
    }

    #[test]
    fn products_ddl_per_backend() {
        assert_eq!(
            create_products(DbBackend::Postgres),
            r#"CREATE TABLE "products" ( "product_id" uuid NOT NULL DEFAULT (uuid_generate_v4()) PRIMARY KEY, "name" varchar NOT NULL, "description" varchar(2000) NOT NULL, "product_type" varchar(255) NOT NULL, "tag" varchar(20) NOT NULL, "status" varchar(255) NOT NULL, "created_at" timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP, "end_date" timestamp with time zone, CONSTRAINT "products_name_key" UNIQUE ("name") )"#
        );
        assert_eq!(
            create_products(DbBackend::Sqlite),
            r#"CREATE TABLE "products" ( "product_id" uuid_text NOT NULL PRIMARY KEY, "name" varchar NOT NULL, "description" varchar(2000) NOT NULL, "product_type" varchar(255) NOT NULL, "tag" varchar(20) NOT NULL, "status" varchar(255) NOT NULL, "created_at" timestamp_with_timezone_text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')), "end_date" timestamp_with_timezone_text, CONSTRAINT "products_name_key" UNIQUE ("name") )"#
        );
        assert_eq!(
            create_products(DbBackend::MySql),
            "CREATE TABLE `products` ( `product_id` binary(16) NOT NULL PRIMARY KEY, `name` varchar(255) NOT NULL, `description` varchar(2000) NOT NULL, `product_type` varchar(255) NOT NULL, `tag` varchar(20) NOT NULL, `status` varchar(255) NOT NULL, `created_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `end_date` datetime(6), UNIQUE KEY `products_name_key` (`name`) ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
        );
    }

    #[test]
    fn sqlite_version_trigger_only_fires_when_version_is_untouched() {
        assert_eq!(
            create_version_trigger(DbBackend::Sqlite, "t", "subscriptions", "subscription_id"),
            r#"CREATE TRIGGER "t" AFTER UPDATE ON "subscriptions" FOR EACH ROW WHEN NEW.version = OLD.version BEGIN UPDATE "subscriptions" SET version = OLD.version + 1 WHERE "subscription_id" = NEW."subscription_id"; END"#
        );
    }

    #[test]
    fn tables_are_created_after_the_tables_they_reference() {
        let names: Vec<String> = tables(Types(DbBackend::Postgres))
            .iter()
            .map(|t| t.to_string(PostgresQueryBuilder))
            .collect();
        assert_eq!(names.len(), 17);
        for (i, sql) in names.iter().enumerate() {
            for referenced in sql.split(r#"REFERENCES ""#).skip(1) {
                let referenced = referenced.split('"').next().unwrap();
                let pos = names
                    .iter()
                    .position(|s| s.starts_with(&format!(r#"CREATE TABLE "{referenced}""#)))
                    .unwrap_or_else(|| panic!("{referenced} is not created"));
                assert!(
                    pos < i,
                    "{referenced} is created after a table referencing it"
                );
            }
        }
    }
}
