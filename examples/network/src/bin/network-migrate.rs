//! `network-migrate`: orch-migrate's command line over the network catalogue, in the few lines
//! any app writes for its own products.
//!
//! ```text
//! cargo run -p network --bin network-migrate -- up
//! cargo run -p network --bin network-migrate -- generate "Add a product" \
//!     --answers examples/network/answers.toml
//! ```

use std::process::ExitCode;

use network as _; // link the products, or the registry is empty

fn main() -> ExitCode {
    orch_migrate::cli::main(orch_migrate::app!(network::migrations::migrations))
}
