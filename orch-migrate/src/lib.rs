//! orch-migrate: the orchestrator database schema, and migrations of it to the registered
//! domain models.
//!
//! - [`schema`]: the core schema migrations (orchestrator-core's tables, on SQLite, PostgreSQL and
//!   MariaDB).
//! - [`migrator`]: the core schema migrations followed by an app's own migrations.
//! - [`db`]: connecting, with one-line errors.
//! - [`cli`]: the `orch-migrate` command line, reusable by any app in a few lines.

pub mod cli;
pub mod db;
pub mod migrator;
pub mod schema;

pub use cli::App;
pub use migrator::Migrator;
