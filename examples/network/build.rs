//! The migrations directory is listed by `orch_core::migrations!()` when the crate compiles:
//! a migration file added since the last build makes Cargo build again.

fn main() {
    println!("cargo::rerun-if-changed=src/migrations");
}
