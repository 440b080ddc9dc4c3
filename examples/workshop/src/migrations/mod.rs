//! The domain-model migrations of this app, oldest first: every `m*.rs` file in this directory,
//! listed when the crate compiles. Deleting a migration that is not applied yet is the whole
//! undo; a build script with `cargo::rerun-if-changed=` this directory rebuilds when one is added.

orch_core::migrations!();
