//! `orch-migrate` over the workshop's products for the CLI tests, as an app writes it, with two
//! knobs the tests need (read from the environment):
//!
//! - `ORCH_TEST_MIGRATIONS_DIR` (required): where `generate` writes modules, so that a test
//!   writes into a temporary directory and never into the committed example;
//! - `ORCH_TEST_APP_MIGRATIONS`: `workshop` (default) for the workshop's committed migrations,
//!   or `none` for the core schema only, so that `generate` has something to write.

use std::process::ExitCode;

use orch_core::migration::MigrationList;
use workshop as _; // link the products so that their registrations are seen

fn main() -> ExitCode {
    let Ok(dir) = std::env::var("ORCH_TEST_MIGRATIONS_DIR") else {
        eprintln!("error: set ORCH_TEST_MIGRATIONS_DIR to the directory generate writes into");
        return ExitCode::FAILURE;
    };
    let migrations: MigrationList = match std::env::var("ORCH_TEST_APP_MIGRATIONS").as_deref() {
        Ok("none") => Vec::new,
        Ok("workshop") | Err(_) => workshop::migrations::migrations,
        Ok(other) => {
            eprintln!("error: ORCH_TEST_APP_MIGRATIONS={other:?}: expected workshop or none");
            return ExitCode::FAILURE;
        }
    };
    orch_migrate::cli::main(orch_migrate::App {
        name: "orch-migrate-test",
        version: env!("CARGO_PKG_VERSION"),
        migrations,
        // the CLI keeps the directory for the whole run: leaking one string is fine
        migrations_dir: Box::leak(dir.into_boxed_str()),
    })
}
