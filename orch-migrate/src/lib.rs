//! orch-migrate: the orchestrator database schema, and migrations of it to the registered
//! domain models.
//!
//! - [`schema`]: the core schema migrations (orchestrator-core's tables, on SQLite, PostgreSQL and
//!   MariaDB).
//!
//! `generate` is a pipeline of one module per stage: [`snapshot`] reads the database into a
//! [`catalog::Catalog`], [`catalog`] builds the same from the registry, [`diff`] compares them,
//! [`questions`] asks what the models don't say (answers in [`answers`]), [`plan`] turns the
//! changes into upgrade and downgrade steps, [`render`] writes them as a Rust module, and
//! [`apply`] runs migrations. All but `snapshot` and `apply` are pure functions. [`check`]
//! reports drift for CI.
//! - [`migrator`]: the core schema migrations followed by an app's own migrations.
//! - [`adopt`]: taking over a core schema `up` did not record (orchestrator-core's), and
//!   clearing what an interrupted first `up` left; [`present`]: whether a migration's effect is
//!   already in the database, so that `up` records it instead of running it.
//! - [`files`]: the migrations directory, and whether the binary was built from it.
//! - [`scaffold`]: `init`, which makes a crate an orch app.
//! - [`db`]: connecting, with one-line errors.
//! - [`cli`]: the `orch-migrate` command line, reusable by any app in a few lines.

pub mod adopt;
pub mod answers;
pub mod apply;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod db;
pub mod diff;
pub mod files;
pub mod generate;
pub mod migrator;
pub mod plan;
pub mod present;
pub mod questions;
pub mod render;
pub mod scaffold;
pub mod schema;
pub mod snapshot;

pub use cli::App;
pub use migrator::Migrator;
