//! Applying and rolling back: `up`, `down`, `status`, `stamp` and `unstamp`.

use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTraitSelf;

use super::Ctx;
use crate::migrator::Migrator;
use crate::{adopt, apply, present};

/// `up`: applies pending migrations, or prints their SQL.
pub(super) async fn up(ctx: &Ctx<'_>, num: Option<u32>, sql: bool) -> anyhow::Result<u8> {
    let backend = ctx.conn.get_database_backend();
    if sql {
        let mut pending = pending(ctx.migrator, ctx.conn).await?;
        // `up` records the core schema of an orchestrator-core database as applied
        if let Some(core) = adopt::adoptable(ctx.conn, ctx.migrator).await? {
            println!(
                "-- {core} is not run: the database has orchestrator-core's tables, so `up` records it as applied\n"
            );
            pending.retain(|p| *p != core);
        }
        let todo: Vec<_> = ctx
            .migrator
            .migrations()
            .into_iter()
            .filter(|m| pending.contains(&m.name().to_owned()))
            .take(num.map_or(usize::MAX, |n| n as usize))
            .collect();
        print!(
            "{}",
            apply::sql(&todo, backend, apply::Direction::Up).await?
        );
        return Ok(0);
    }
    let applied = apply::up_report(ctx.conn, ctx.url, ctx.migrator, num).await?;
    if applied.is_empty() {
        println!("Nothing to apply: the database is up to date");
    }
    for m in applied {
        if m.already_present {
            println!("Recorded {}: already present in the database", m.name);
        } else {
            println!("Applied {}", m.name);
        }
    }
    Ok(0)
}

/// `down`: rolls back applied migrations, or prints their SQL.
pub(super) async fn down(ctx: &Ctx<'_>, num: u32, sql: bool) -> anyhow::Result<u8> {
    let backend = ctx.conn.get_database_backend();
    if sql {
        let applied = applied(ctx.migrator, ctx.conn).await?;
        let todo: Vec<_> = ctx
            .migrator
            .migrations()
            .into_iter()
            .filter(|m| applied.contains(&m.name().to_owned()))
            .rev()
            .take(num as usize)
            .collect();
        print!(
            "{}",
            apply::sql(&todo, backend, apply::Direction::Down).await?
        );
        return Ok(0);
    }
    let rolled = apply::down(ctx.conn, ctx.url, ctx.migrator, Some(num)).await?;
    if rolled.is_empty() {
        println!("Nothing to roll back");
    }
    for m in rolled {
        println!("Rolled back {m}");
    }
    Ok(0)
}

/// `status`: the applied and pending migrations.
pub(super) async fn status(ctx: &Ctx<'_>) -> anyhow::Result<u8> {
    let recorded = ctx.migrator.recorded(ctx.conn).await?;
    let known: Vec<String> = ctx
        .migrator
        .migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    for name in &known {
        let status = if recorded.contains(name) {
            "applied"
        } else {
            "pending"
        };
        println!("{status:<8} {name}");
    }
    for name in recorded.iter().filter(|r| !known.contains(r)) {
        println!("applied  {name} (not in the migrations directory)");
    }
    Ok(0)
}

/// `stamp`: records a migration without running it.
pub(super) async fn stamp(ctx: &Ctx<'_>, migration: String, force: bool) -> anyhow::Result<u8> {
    present::stamp(ctx.conn, ctx.url, ctx.migrator, &migration, force).await?;
    println!("Recorded {migration} as applied; nothing was run");
    Ok(0)
}

/// `unstamp`: removes a record without rolling back.
pub(super) async fn unstamp(ctx: &Ctx<'_>, migration: String) -> anyhow::Result<u8> {
    present::unstamp(ctx.conn, ctx.url, ctx.migrator, &migration).await?;
    println!("Removed the record of {migration}; nothing was rolled back");
    Ok(0)
}

// `--sql` and `status` only read: they must not create `seaql_migrations` as
// sea-orm-migration's status queries do.
async fn pending(migrator: &Migrator, conn: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let recorded = migrator.recorded(conn).await?;
    Ok(migrator
        .migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .filter(|m| !recorded.contains(m))
        .collect())
}

async fn applied(migrator: &Migrator, conn: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let recorded = migrator.recorded(conn).await?;
    Ok(migrator
        .migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .filter(|m| recorded.contains(m))
        .collect())
}
