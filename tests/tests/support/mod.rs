//! Reading a test database's state, shared by the CLI and apply tests.

#![allow(dead_code)] // each test crate uses a part

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

/// The workshop's committed migration.
pub(crate) const WORKSHOP: &str = "m20261125_093019_add_user_and_usergroup_products";
/// The core schema migration.
pub(crate) const CORE: &str = "m20250101_000001_create_orchestrator_core_tables";
/// The core schema's second migration: the index of relations by `depends_on_id`.
pub(crate) const INDEX: &str = "m20250101_000002_index_relations_by_depends_on_id";

async fn strings(conn: &DatabaseConnection, sql: &str) -> Vec<String> {
    let rows = conn
        .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("a text column"))
        .collect();
    out.sort();
    out
}

/// The tables of the database, sorted.
pub(crate) async fn tables(conn: &DatabaseConnection) -> Vec<String> {
    let sql = match conn.get_database_backend() {
        DbBackend::Postgres => "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'",
        DbBackend::MySql => {
            "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE()"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    strings(conn, sql).await
}

/// The versions `seaql_migrations` records, sorted; empty without the table.
pub(crate) async fn recorded(conn: &DatabaseConnection) -> Vec<String> {
    if !tables(conn).await.iter().any(|t| t == "seaql_migrations") {
        return Vec::new();
    }
    strings(conn, "SELECT version FROM seaql_migrations").await
}

/// The number of rows of `table`.
pub(crate) async fn count(conn: &DatabaseConnection, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    conn.query_one_raw(Statement::from_string(conn.get_database_backend(), &sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("one row")
        .try_get_by_index::<i64>(0)
        .expect("a count")
}

/// Everything a migration command could change: the tables, the recorded migrations and the
/// metadata rows (when the core schema exists). Equal before and after a command that must
/// not write.
pub(crate) async fn state(conn: &DatabaseConnection) -> Value {
    let tables = tables(conn).await;
    let metadata = if tables.iter().any(|t| t == "products") {
        tests::pipeline::metadata(conn).await
    } else {
        Value::Null
    };
    json!({
        "tables": tables,
        "recorded": recorded(conn).await,
        "metadata": metadata,
    })
}
