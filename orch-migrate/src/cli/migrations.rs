//! Applying, rolling back and reading the record: `up`, `down`, `status`, `history`,
//! `current`, `stamp` and `unstamp`.
//!
//! Everything but `up` and `down` without `--sql` only reads: none of them creates
//! `seaql_migrations` as sea-orm-migration's status queries do.

use std::path::Path;

use sea_orm_migration::MigratorTraitSelf;

use super::Ctx;
use crate::{adopt, apply, present, schema};

/// `up`: applies pending migrations, or prints them as a script to run by hand.
pub(super) async fn up(ctx: &Ctx<'_>, num: Option<u32>, sql: bool) -> anyhow::Result<u8> {
    if sql {
        let record = ctx.record().await?;
        let mut pending: Vec<String> = record.pending().map(|r| r.name.clone()).collect();
        // `up` records the core schema of an orchestrator-core database as applied
        let mut record_only = Vec::new();
        if let Some(core) = adopt::adoptable(ctx.conn, ctx.migrator).await? {
            pending.retain(|p| *p != core);
            record_only.push(core);
        }
        let todo: Vec<_> = ctx
            .migrator
            .migrations()
            .into_iter()
            .filter(|m| pending.iter().any(|p| p == m.name()))
            .take(num.map_or(usize::MAX, |n| n as usize))
            .collect();
        let backend = ctx.conn.get_database_backend();
        let script = apply::sql(&todo, backend, apply::Direction::Up, &record_only).await?;
        print!("{script}");
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

/// How far `down` goes.
pub(super) enum Until {
    /// This many, newest first.
    Count(u32),
    /// Every migration applied after this one, which stays applied.
    After(String),
}

/// `down`: rolls back applied migrations, or prints them as a script to run by hand.
pub(super) async fn down(ctx: &Ctx<'_>, until: Until, sql: bool) -> anyhow::Result<u8> {
    let record = ctx.record().await?;
    let applied: Vec<&str> = record.applied().map(|r| r.name.as_str()).collect();
    let num = match until {
        Until::Count(n) => n,
        Until::After(target) => {
            let Some(at) = applied.iter().position(|a| *a == target) else {
                anyhow::bail!(
                    "--to {target}: not an applied migration; applied: {}",
                    if applied.is_empty() {
                        "none".to_owned()
                    } else {
                        applied.join(", ")
                    }
                );
            };
            let n = applied.len() - at - 1;
            if n == 0 {
                println!("Nothing to roll back: {target} is the newest applied migration");
                return Ok(0);
            }
            u32::try_from(n)?
        }
    };
    if sql {
        let todo: Vec<_> = ctx
            .migrator
            .migrations()
            .into_iter()
            .filter(|m| applied.contains(&m.name()))
            .rev()
            .take(num as usize)
            .collect();
        let backend = ctx.conn.get_database_backend();
        print!(
            "{}",
            apply::sql(&todo, backend, apply::Direction::Down, &[]).await?
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
    for r in ctx.record().await?.rows {
        match (r.applied_at, r.known) {
            (Some(_), true) => println!("applied  {}", r.name),
            (None, _) => println!("pending  {}", r.name),
            (Some(_), false) => println!("applied  {} (not in the migrations directory)", r.name),
        }
    }
    Ok(0)
}

/// `history`: every migration, oldest first, with when it was applied and what it does.
pub(super) async fn history(ctx: &Ctx<'_>) -> anyhow::Result<u8> {
    let dir = Path::new(ctx.app.migrations_dir);
    let rows = ctx.record().await?.rows;
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for r in rows {
        let when = match r.applied_at {
            Some(t) => format!("applied {}", time(t)),
            None => format!("{:<31}", "pending"),
        };
        let about = if !r.known {
            "(not in the migrations directory)".to_owned()
        } else if let Some(about) = schema::about(&r.name) {
            about.to_owned()
        } else {
            message(dir, &r.name)
        };
        println!("{when}  {:<width$}  {about}", r.name);
    }
    Ok(0)
}

/// `current`: the newest applied migration, and whether any are pending.
pub(super) async fn current(ctx: &Ctx<'_>) -> anyhow::Result<u8> {
    let record = ctx.record().await?;
    let pending = record.pending().count();
    let behind = match pending {
        0 => "(head)".to_owned(),
        n => format!("({n} pending)"),
    };
    match record.rows.iter().rfind(|r| r.applied_at.is_some()) {
        None => println!("none {behind}"),
        Some(r) if !r.known => println!("{} (not in the migrations directory)", r.name),
        Some(r) => println!(
            "{} {behind}, applied {}",
            r.name,
            time(r.applied_at.unwrap_or_default())
        ),
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

/// One migration as the binary and the database know it.
pub(super) struct Row {
    pub(super) name: String,
    /// When it was applied (Unix seconds), if it was.
    pub(super) applied_at: Option<i64>,
    /// Whether this binary has it.
    pub(super) known: bool,
}

/// The binary's migrations in order, then those only the database records.
pub(super) struct Record {
    pub(super) rows: Vec<Row>,
}

impl Record {
    fn applied(&self) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(|r| r.known && r.applied_at.is_some())
    }

    fn pending(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.applied_at.is_none())
    }
}

impl Ctx<'_> {
    /// What is applied and what is pending, read without writing.
    pub(super) async fn record(&self) -> anyhow::Result<Record> {
        let records = self.migrator.records(self.conn).await?;
        let known: Vec<String> = self
            .migrator
            .migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        let mut rows: Vec<Row> = known
            .iter()
            .map(|name| Row {
                name: name.clone(),
                applied_at: records.iter().find(|(r, _)| r == name).map(|(_, t)| *t),
                known: true,
            })
            .collect();
        rows.extend(
            records
                .into_iter()
                .filter(|(r, _)| !known.contains(r))
                .map(|(name, t)| Row {
                    name,
                    applied_at: Some(t),
                    known: false,
                }),
        );
        Ok(Record { rows })
    }
}

/// A Unix time as UTC, to the second.
fn time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// What a migration does: the first line of its module's documentation (the message it was
/// generated with), else its name without the time.
fn message(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(format!("{name}.rs")))
        .ok()
        .and_then(|text| {
            text.lines()
                .next()
                .and_then(|l| l.strip_prefix("//! "))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| name.get(17..).unwrap_or(name).replace('_', " "))
}
