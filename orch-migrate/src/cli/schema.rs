//! Repairing and rebuilding the schema: `recover`, `complete`, `fresh`, `refresh`, `reset`.

use super::Ctx;
use crate::{adopt, apply, db};

/// `recover`: drops what an interrupted first `up` left.
pub(super) async fn recover(ctx: &Ctx<'_>) -> anyhow::Result<u8> {
    let dropped = adopt::recover(ctx.conn, ctx.url, ctx.migrator).await?;
    if dropped.is_empty() {
        println!("Nothing to recover: the database has no core table");
    } else {
        println!(
            "Dropped {} empty core table(s) an interrupted `up` left: {}. Run `up` now.",
            dropped.len(),
            dropped.join(", ")
        );
    }
    Ok(0)
}

/// `complete`: creates what an adopted core schema lacks.
pub(super) async fn complete(ctx: &Ctx<'_>) -> anyhow::Result<u8> {
    let run = adopt::complete(ctx.conn, ctx.url, ctx.migrator).await?;
    if run.is_empty() {
        println!("Nothing to complete: the core schema has every definition");
    }
    for sql in run {
        println!("{sql}");
    }
    Ok(0)
}

/// `fresh`: drops orch's tables and applies everything.
pub(super) async fn fresh(ctx: &Ctx<'_>, yes: bool) -> anyhow::Result<u8> {
    let managed = adopt::managed_tables();
    confirm_destructive(
        yes,
        &format!(
            "drop the {} tables orch manages in {} ({}), with all their rows, and create them again",
            managed.len(),
            db::mask_password(ctx.url),
            managed.join(", ")
        ),
    )?;
    let dropped = adopt::drop_managed(ctx.conn, ctx.url).await?;
    let applied = apply::up(ctx.conn, ctx.url, ctx.migrator, None).await?;
    println!(
        "Dropped {} table(s) and applied {} migration(s); other tables were kept",
        dropped.len(),
        applied.len()
    );
    Ok(0)
}

/// `refresh`: rolls everything back and applies it again.
pub(super) async fn refresh(ctx: &Ctx<'_>, yes: bool) -> anyhow::Result<u8> {
    confirm_destructive(
        yes,
        &format!(
            "roll back every migration in {} (deleting what they created, the core tables included) and apply them again",
            db::mask_password(ctx.url)
        ),
    )?;
    let rolled = apply::down(ctx.conn, ctx.url, ctx.migrator, None).await?;
    let applied = apply::up(ctx.conn, ctx.url, ctx.migrator, None).await?;
    println!(
        "Rolled back {} and applied {} migration(s)",
        rolled.len(),
        applied.len()
    );
    Ok(0)
}

/// `reset`: rolls everything back.
pub(super) async fn reset(ctx: &Ctx<'_>, yes: bool) -> anyhow::Result<u8> {
    confirm_destructive(
        yes,
        &format!(
            "roll back every migration in {} (deleting what they created, the core tables included)",
            db::mask_password(ctx.url)
        ),
    )?;
    let rolled = apply::down(ctx.conn, ctx.url, ctx.migrator, None).await?;
    // the migration record goes too, as with sea-orm-migration's reset
    adopt::drop_managed(ctx.conn, ctx.url).await?;
    println!("Rolled back {} migration(s)", rolled.len());
    Ok(0)
}

/// Asks before a command that deletes data, naming the database and what goes; without a
/// terminal, `--yes` is the answer.
fn confirm_destructive(yes: bool, what: &str) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !console::Term::stderr().is_term() {
        anyhow::bail!("this would {what}: pass --yes to confirm (there is no terminal to ask on)");
    }
    let go = dialoguer::Confirm::new()
        .with_prompt(format!("This will {what}. Go on?"))
        .default(false)
        .interact()?;
    if go {
        Ok(())
    } else {
        anyhow::bail!("nothing was changed")
    }
}
