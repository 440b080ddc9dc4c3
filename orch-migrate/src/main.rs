//! `orch-migrate` for this workspace: the CLI over the workshop example's products and
//! migrations. An app writes the same three lines over its own crate.

use std::process::ExitCode;

use workshop as _; // link the products so that their registrations are seen

fn main() -> ExitCode {
    orch_migrate::cli::main(orch_migrate::app!(
        workshop::migrations::migrations,
        "../examples/workshop/src/migrations"
    ))
}
