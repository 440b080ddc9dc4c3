//! The workshop's domain-model migrations, written by `orch-migrate generate`.
//!
//! This file is generated: `generate` rewrites it from the `m*.rs` files in this directory.

use orch_core::migration::MigrationTrait;

/// The migrations of this directory, oldest first.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![]
}
