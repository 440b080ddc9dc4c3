//! Running a list of [`Op`]s inside a migration.

use std::cell::RefCell;
use std::fmt;
use std::sync::OnceLock;

use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
use sea_orm_migration::{DbErr, SchemaManager};

use super::op::{Op, OwnedOp};
use super::sql::{Stmt, batches, statements};

/// What an observer is told before each step runs.
#[derive(Clone, Copy)]
pub struct Step<'a> {
    /// 0-based index of the step in its list.
    pub index: usize,
    /// Number of steps in the list.
    pub total: usize,
    /// The step, described.
    pub op: &'a dyn fmt::Display,
}

static OBSERVER: OnceLock<fn(Step<'_>)> = OnceLock::new();

/// Installs a function called before every step of every migration in this process, so that a
/// command line can show progress. Only the first call has an effect.
pub fn observe(observer: fn(Step<'_>)) {
    let _ = OBSERVER.set(observer);
}

tokio::task_local! {
    static CAPTURED: RefCell<Vec<OwnedOp>>;
}

/// Runs `future` (a migration's `up` or `down`) with [`run`] recording the steps it is given
/// instead of running them, and returns them with the future's output: what a migration would
/// do, read without doing it, so that a tool can compare it with the database (is its effect
/// already there?). Statements a migration executes itself, outside `run`, are not captured:
/// give it a connection that records them (a mock) to see those.
pub async fn capture<F: Future>(future: F) -> (F::Output, Vec<OwnedOp>) {
    CAPTURED
        .scope(RefCell::new(Vec::new()), async {
            let output = future.await;
            let steps = CAPTURED.with(|s| s.take());
            (output, steps)
        })
        .await
}

/// Runs `ops` in order on the migration's connection (and so inside its transaction),
/// set-based: consecutive steps of one kind share a statement (see [`batches`]).
///
/// An error names the step that failed: `step 4/19 (create fixed input ...): <database error>`.
///
/// Generated modules pass `&[Op]` (`&'static str` names); tools and tests may pass the owned
/// `&[OwnedOp]` a plan makes.
pub async fn run<S, L>(manager: &SchemaManager<'_>, ops: &[Op<S, L>]) -> Result<(), DbErr>
where
    S: AsRef<str> + fmt::Display + fmt::Debug,
    L: AsRef<[S]>,
{
    let captured = CAPTURED.try_with(|steps| {
        steps
            .borrow_mut()
            .extend(ops.iter().map(|op| op.map(|s| s.as_ref().to_owned())));
    });
    if captured.is_ok() {
        return Ok(());
    }
    let conn = manager.get_connection();
    let backend = manager.get_database_backend();
    let total = ops.len();
    let step_error = |index: usize, e: &DbErr| {
        DbErr::Migration(format!(
            "step {}/{total} ({}): {}",
            index + 1,
            ops[index],
            short_error(&e.to_string())
        ))
    };
    for batch in batches(ops, backend) {
        if let Some(observer) = OBSERVER.get() {
            for index in batch.steps.clone() {
                observer(Step {
                    index,
                    total,
                    op: &ops[index],
                });
            }
        }
        if batch.steps.len() == 1 {
            execute(conn, &batch.statements, backend)
                .await
                .map_err(|e| step_error(batch.steps.start, &e))?;
            continue;
        }
        // a savepoint, so that a failed batch can be rolled back alone and its steps run one
        // at a time: the error then names the step that failed, as without batches
        let savepoint = conn.begin().await?;
        match execute(&savepoint, &batch.statements, backend).await {
            Ok(()) => savepoint.commit().await?,
            Err(_) => {
                savepoint.rollback().await?;
                for index in batch.steps {
                    execute(conn, &statements(&ops[index], backend), backend)
                        .await
                        .map_err(|e| step_error(index, &e))?;
                }
            }
        }
    }
    Ok(())
}

/// Runs `statements` in order, stopping at the first error.
async fn execute(
    conn: &impl ConnectionTrait,
    statements: &[Stmt],
    backend: DbBackend,
) -> Result<(), DbErr> {
    for stmt in statements {
        conn.execute_raw(stmt.build(backend)).await?;
    }
    Ok(())
}

/// The driver's message on one line of at most 300 characters: some drivers repeat the value
/// that failed, which can be kilobytes long.
fn short_error(message: &str) -> String {
    const MAX: usize = 300;
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}... ({} characters)", &line[..cut], line.chars().count()),
        None => line,
    }
}
