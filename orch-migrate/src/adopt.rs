//! Adopting a core schema that `up` did not record: an orchestrator-core database (recorded as
//! applied, not created again), or what an interrupted first `up` left (`recover` drops it).
//!
//! Both start from [`inspect`]: which of the core tables and version triggers the database has.
//! A schema is adopted only when it has all of them; without its version triggers two writers
//! of one subscription would both "win".

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use crate::apply::locked;
use crate::migrator::Migrator;
use crate::schema;
use crate::schema::m20250101_000001_create_orchestrator_core_tables::VERSION_TRIGGERS;

/// The tables of the core schema, in the order the core schema creates them.
pub const CORE_TABLES: [&str; 17] = [
    "products",
    "product_blocks",
    "resource_types",
    "fixed_inputs",
    "product_product_blocks",
    "product_block_relations",
    "product_block_resource_types",
    "workflows",
    "products_workflows",
    "subscriptions",
    "subscription_instances",
    "subscription_instance_values",
    "subscription_instance_relations",
    "subscription_customer_descriptions",
    "subscription_metadata",
    "processes",
    "processes_subscriptions",
];

/// The tables orch manages in a database: the core schema's and its migration record. The
/// destructive commands (`fresh`, `reset`, `refresh`) drop these and no other.
pub fn managed_tables() -> Vec<&'static str> {
    let mut all = CORE_TABLES.to_vec();
    all.push("seaql_migrations");
    all
}

/// Drops the tables orch manages ([`managed_tables`]) that exist, and nothing else: a database
/// shared with orchestrator-core keeps `engine_settings`, `process_steps`, `alembic_version` and
/// a user's own tables. Takes the migration lock. A table of someone else's that references one
/// of them (a foreign key) stops it with the database's error, before that table is dropped.
/// Returns the tables dropped.
pub async fn drop_managed(db: &DatabaseConnection, url: &str) -> anyhow::Result<Vec<&'static str>> {
    locked(url, db.get_database_backend(), async {
        let manager = SchemaManager::new(db);
        let mut dropped = Vec::new();
        // the migration record first, then the core tables in reverse order of creation
        for t in managed_tables().into_iter().rev() {
            if manager.has_table(t).await? {
                manager
                    .drop_table(sea_orm::sea_query::Table::drop().table(t).to_owned())
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot drop {t}: {e}"))?;
                dropped.push(t);
            }
        }
        if db.get_database_backend() == DbBackend::Postgres {
            // the version triggers' function, unless something else still uses it
            let _ = db
                .execute_unprepared("DROP FUNCTION IF EXISTS increment_version() RESTRICT")
                .await;
        }
        Ok(dropped)
    })
    .await
}

/// What a database has of the core schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreSchema {
    /// Whether `seaql_migrations` records the core schema migration.
    pub recorded: bool,
    /// The core tables it has, in creation order.
    pub tables: Vec<&'static str>,
    /// The core tables it lacks.
    pub missing_tables: Vec<&'static str>,
    /// The version triggers it lacks (on tables it has or not).
    pub missing_triggers: Vec<&'static str>,
    /// Whether it has orchestrator-core's own `alembic_version` table.
    pub alembic: bool,
    /// On PostgreSQL, when every table is there and the core schema is not recorded: what the
    /// core schema migration creates (a
    /// column with its type, nullability and default, a constraint, an index, a trigger, the
    /// trigger function) that the database lacks, one line each.
    pub missing_definitions: Vec<String>,
}

impl CoreSchema {
    /// No core table at all: `up` creates the schema.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// Every table and trigger (and, on PostgreSQL, every definition).
    pub fn is_complete(&self) -> bool {
        self.missing_tables.is_empty()
            && self.missing_triggers.is_empty()
            && self.missing_definitions.is_empty()
    }

    /// What is missing, for a message.
    pub fn missing(&self) -> String {
        let mut parts = Vec::new();
        if !self.missing_tables.is_empty() {
            parts.push(format!(
                "{} of the {} core tables ({})",
                self.missing_tables.len(),
                CORE_TABLES.len(),
                self.missing_tables.join(", ")
            ));
        }
        if !self.missing_triggers.is_empty() {
            parts.push(format!(
                "the version trigger(s) {}",
                self.missing_triggers.join(", ")
            ));
        }
        if !self.missing_definitions.is_empty() {
            parts.push(format!(
                "{} definition(s) of the core schema (listed below)",
                self.missing_definitions.len()
            ));
        }
        parts.join(" and ")
    }

    /// The missing definitions, one line each after a newline, for the end of a message.
    fn details(&self) -> String {
        self.missing_definitions
            .iter()
            .map(|d| format!("\n  - {d}"))
            .collect()
    }
}

/// Reads what `db` has of the core schema. Read-only.
pub async fn inspect(db: &DatabaseConnection, migrator: &Migrator) -> anyhow::Result<CoreSchema> {
    let recorded = migrator
        .recorded(db)
        .await?
        .iter()
        .any(|m| m == schema::m20250101_000001_create_orchestrator_core_tables::NAME);
    let manager = SchemaManager::new(db);
    let (mut tables, mut missing_tables) = (Vec::new(), Vec::new());
    for t in CORE_TABLES {
        if manager.has_table(t).await? {
            tables.push(t);
        } else {
            missing_tables.push(t);
        }
    }
    let triggers = triggers(db).await?;
    let missing_triggers = VERSION_TRIGGERS
        .iter()
        .filter(|(name, table, _)| !triggers.iter().any(|(n, t)| n == name && t == table))
        .map(|(name, _, _)| *name)
        .collect();
    // only for a schema about to be adopted: a recorded one was made by orch
    let missing_definitions = if !recorded
        && missing_tables.is_empty()
        && db.get_database_backend() == DbBackend::Postgres
    {
        let expected = postgres_expected(db).await?;
        let actual = postgres_definitions(db).await?;
        expected.difference(&actual).cloned().collect()
    } else {
        Vec::new()
    };
    Ok(CoreSchema {
        recorded,
        tables,
        missing_tables,
        missing_triggers,
        alembic: manager.has_table("alembic_version").await?,
        missing_definitions,
    })
}

/// The definitions the core schema migration makes on PostgreSQL, as [`postgres_definitions`]
/// reads them: the migration runs in a scratch schema inside a transaction that is rolled back,
/// so nothing of it stays.
async fn postgres_expected(
    db: &DatabaseConnection,
) -> anyhow::Result<std::collections::BTreeSet<String>> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await?;
    let scratch = format!("orch_verify_{}", uuid::Uuid::new_v4().simple());
    txn.execute_unprepared(&format!("CREATE SCHEMA {scratch}"))
        .await?;
    // new objects go to the scratch schema; public's functions (uuid-ossp) stay visible, so
    // defaults read as they do in the database
    txn.execute_unprepared(&format!("SET LOCAL search_path TO {scratch}, public"))
        .await?;
    let manager = SchemaManager::new(&txn);
    let created = schema::m20250101_000001_create_orchestrator_core_tables::Migration
        .up(&manager)
        .await;
    let definitions = match created {
        Ok(()) => postgres_definitions(&txn).await,
        Err(e) => Err(e.into()),
    };
    txn.rollback().await?;
    definitions
}

/// The definitions of the core tables in the current schema of a PostgreSQL connection, one
/// readable line each, free of the schema's name: columns (type, length, precision,
/// nullability, default), constraints, indexes, triggers and the version trigger function.
async fn postgres_definitions<C: ConnectionTrait>(
    db: &C,
) -> anyhow::Result<std::collections::BTreeSet<String>> {
    let list = CORE_TABLES
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let queries = [
        format!(
            "SELECT format('column %s.%s: %s%s%s %s%s', table_name, column_name, data_type,
                    '(' || character_maximum_length || ')',
                    CASE WHEN data_type LIKE 'timestamp%' THEN '(' || datetime_precision || ')' END,
                    CASE is_nullable WHEN 'YES' THEN 'NULL' ELSE 'NOT NULL' END,
                    ' DEFAULT ' || column_default)
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name IN ({list})"
        ),
        format!(
            "SELECT format('constraint %s.%s: %s', t.relname, c.conname, pg_get_constraintdef(c.oid))
             FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
             WHERE t.relnamespace = current_schema()::regnamespace AND t.relname IN ({list})"
        ),
        format!(
            "SELECT format('index %s.%s: %s', tablename, indexname, indexdef)
             FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ({list})"
        ),
        format!(
            "SELECT format('trigger %s.%s: %s', c.relname, t.tgname, pg_get_triggerdef(t.oid))
             FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
             WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
               AND c.relname IN ({list})"
        ),
        // the body without whitespace and a final `;` (`END` and `END;` are the same)
        "SELECT format('function %s(): %s', p.proname,
                       rtrim(btrim(regexp_replace(p.prosrc, '\\s+', ' ', 'g')), ' ;'))
         FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace
           AND p.proname = 'increment_version'"
            .to_owned(),
    ];
    let schema: String = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_schema()::text",
        ))
        .await?
        .map(|r| r.try_get_by_index::<String>(0))
        .transpose()?
        .unwrap_or_default();
    let qualified = format!("{schema}.");
    let mut lines = std::collections::BTreeSet::new();
    for sql in queries {
        for row in db
            .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await?
        {
            let line: String = row.try_get_by_index(0)?;
            lines.insert(line.replace(&qualified, ""));
        }
    }
    Ok(lines)
}

/// The triggers in `db`'s schema, as (trigger, table).
async fn triggers(db: &DatabaseConnection) -> anyhow::Result<Vec<(String, String)>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT t.tgname::text, c.relname::text FROM pg_trigger t \
             JOIN pg_class c ON c.oid = t.tgrelid \
             WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
        }
        DbBackend::MySql => {
            "SELECT CAST(TRIGGER_NAME AS CHAR), CAST(EVENT_OBJECT_TABLE AS CHAR) \
             FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"
        }
        _ => "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'",
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some((
                r.try_get_by_index::<String>(0).ok()?,
                r.try_get_by_index::<String>(1).ok()?,
            ))
        })
        .collect())
}

/// The core schema migration that `up` would record as applied instead of running it (see
/// [`adopt`]): when the database has the whole core schema and no record of it. Read-only,
/// for `up --sql`.
pub async fn adoptable(
    db: &DatabaseConnection,
    migrator: &Migrator,
) -> anyhow::Result<Option<String>> {
    let core = inspect(db, migrator).await?;
    Ok((!core.recorded && core.is_complete())
        .then(|| schema::m20250101_000001_create_orchestrator_core_tables::NAME.to_owned()))
}

/// When the database already has the whole core schema but no record of orch's core schema
/// migration (an orchestrator-core database), records that migration as applied instead of
/// failing on existing tables. Returns whether it did. A schema with only part of the tables
/// or without the version triggers is refused before anything is written, naming what it
/// lacks and the command that clears it.
pub async fn adopt(db: &DatabaseConnection, migrator: &Migrator) -> anyhow::Result<bool> {
    let core = inspect(db, migrator).await?;
    if core.recorded || core.is_empty() {
        return Ok(false);
    }
    if !core.is_complete() {
        // refused before writing anything, not even `seaql_migrations`
        if core.alembic {
            anyhow::bail!(
                "this orchestrator-core database lacks part of the core schema: {}. Bring it up to \
                 date with orchestrator-core's own migrations (`db upgrade heads`), create what \
                 is missing with `complete`, or record the core schema as applied anyway with \
                 `stamp {} --force`{}",
                core.missing(),
                schema::m20250101_000001_create_orchestrator_core_tables::NAME,
                core.details()
            );
        }
        anyhow::bail!(
            "the database has part of the core schema, without {}. An earlier `up` was probably \
             interrupted while it created it (MariaDB commits each table at once): run `recover` \
             to drop what it left, then `up` again{}",
            core.missing(),
            core.details()
        );
    }
    migrator
        .record(
            db,
            schema::m20250101_000001_create_orchestrator_core_tables::NAME,
        )
        .await?;
    Ok(true)
}

/// Drops the core tables that an interrupted first `up` left behind, so that `up` can create
/// the schema again: MariaDB commits each `CREATE TABLE` at once, so a run killed half-way
/// leaves some tables (or all of them without their triggers) and no record. Only when the
/// core schema is not recorded, is incomplete, is not orchestrator-core's (no
/// `alembic_version`), and every table it would drop is empty; otherwise nothing is dropped
/// and the error says why. Returns the tables dropped.
pub async fn recover(
    db: &DatabaseConnection,
    url: &str,
    migrator: &Migrator,
) -> anyhow::Result<Vec<&'static str>> {
    locked(url, db.get_database_backend(), async {
    let core = inspect(db, migrator).await?;
    if core.recorded {
        anyhow::bail!(
            "the core schema is recorded as applied ({}): there is nothing to recover",
            schema::m20250101_000001_create_orchestrator_core_tables::NAME
        );
    }
    if core.is_complete() {
        anyhow::bail!(
            "the database has the whole core schema: `up` adopts it as it is; recover drops only \
             what an interrupted `up` left"
        );
    }
    if core.alembic {
        anyhow::bail!(
            "the database has orchestrator-core's alembic_version table: its tables are \
             orchestrator-core's, not what an interrupted `up` left, so recover drops nothing"
        );
    }
    let mut holding = Vec::new();
    for t in &core.tables {
        let count = sea_orm::sea_query::Query::select()
            .expr(sea_orm::sea_query::Expr::cust("COUNT(*)"))
            .from(*t)
            .to_owned();
        let rows: i64 = db
            .query_one(&count)
            .await?
            .map(|r| r.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or_default();
        if rows > 0 {
            holding.push(format!("{t} ({rows} rows)"));
        }
    }
    if !holding.is_empty() {
        anyhow::bail!(
            "not recovering: these tables hold data, so they were not left by an interrupted \
             `up`: {}",
            holding.join(", ")
        );
    }
    let manager = SchemaManager::new(db);
    // in reverse order of creation, so that no foreign key points at a dropped table
    for t in core.tables.iter().rev() {
        manager
            .drop_table(sea_orm::sea_query::Table::drop().table(*t).to_owned())
            .await?;
    }
    Ok(core.tables)
    })
    .await
}

/// Creates what an adopted PostgreSQL core schema lacks of the definitions
/// [`CoreSchema::missing_definitions`] lists, where that touches no data: the trigger function,
/// constraints, indexes and triggers, in one transaction (all or nothing). A missing or
/// different column is not completed: it is refused with the list, since changing a column's
/// type can fail on, or change, the rows it holds. Takes the migration lock. Returns the
/// statements run.
pub async fn complete(
    db: &DatabaseConnection,
    url: &str,
    migrator: &Migrator,
) -> anyhow::Result<Vec<String>> {
    use sea_orm::TransactionTrait;
    locked(url, db.get_database_backend(), async {
        if db.get_database_backend() != DbBackend::Postgres {
            anyhow::bail!(
                "complete works on PostgreSQL, where the core schema is checked definition by \
                 definition; on this backend run `recover` for a half-built schema"
            );
        }
        let core = inspect(db, migrator).await?;
        if core.recorded {
            anyhow::bail!("the core schema is recorded as applied: there is nothing to complete");
        }
        if !core.missing_tables.is_empty() {
            anyhow::bail!(
                "the database lacks core tables ({}): complete adds definitions to the tables \
                 there are, not tables",
                core.missing_tables.join(", ")
            );
        }
        let columns: Vec<&String> = core
            .missing_definitions
            .iter()
            .filter(|d| d.starts_with("column "))
            .collect();
        if !columns.is_empty() {
            anyhow::bail!(
                "not completing: these columns are missing or differ, and changing a column can \
                 fail on or change its rows; fix them by hand (or with orchestrator-core's own \
                 migrations):{}",
                columns
                    .iter()
                    .map(|c| format!("\n  - {c}"))
                    .collect::<String>()
            );
        }
        let txn = db.begin().await?;
        let mut run = Vec::new();
        // the function before the triggers that call it; keys before the foreign keys that
        // need them, and before indexes (a key makes its own index)
        for phase in ["function ", "key", "constraint ", "index ", "trigger "] {
            let missing = postgres_expected(db)
                .await?
                .difference(&postgres_definitions(&txn).await?)
                .cloned()
                .collect::<Vec<_>>();
            for line in missing {
                let Some(sql) = definition_sql(&line, phase) else {
                    continue;
                };
                txn.execute_unprepared(&sql)
                    .await
                    .map_err(|e| anyhow::anyhow!("{sql}: {e}"))?;
                run.push(sql);
            }
        }
        txn.commit().await?;
        Ok(run)
    })
    .await
}

/// The statement that creates the definition `line` (as [`postgres_definitions`] writes it), if
/// it belongs to `phase`: `"key"` for primary keys and unique constraints, `"constraint "` for
/// the other constraints.
fn definition_sql(line: &str, phase: &str) -> Option<String> {
    let (what, definition) = line.split_once(": ")?;
    let (kind, name) = what.split_once(' ')?;
    let (table, object) = name.split_once('.').unwrap_or((name, ""));
    let is_key = definition.starts_with("PRIMARY KEY") || definition.starts_with("UNIQUE");
    match (kind, phase) {
        ("function", "function ") => Some(
            schema::m20250101_000001_create_orchestrator_core_tables::PG_INCREMENT_VERSION
                .to_owned(),
        ),
        ("constraint", "key") if is_key => Some(format!(
            "ALTER TABLE {table} ADD CONSTRAINT {object} {definition}"
        )),
        ("constraint", "constraint ") if !is_key => Some(format!(
            "ALTER TABLE {table} ADD CONSTRAINT {object} {definition}"
        )),
        ("index", "index ") | ("trigger", "trigger ") => Some(definition.to_owned()),
        _ => None,
    }
}
