//! `network demo`: builds a small network on a database with the network catalogue and prints
//! it (see [`network::demo`]).
//!
//! ```text
//! cargo run -p network -- demo                       # network.db in the current directory
//! cargo run -p network -- demo --database-url postgres://postgres@127.0.0.1/network
//! ```
//!
//! The database gets orchestrator-core's schema and the catalogue's migrations first (what
//! `network-migrate up` does), so a fresh file or an empty database is enough.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use orch_migrate::{Migrator, apply, db};

/// The network catalogue, demonstrated.
#[derive(Debug, Parser)]
#[command(name = "network", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database, then create two nodes, a port on each, a core link and an L2VPN,
    /// move each to active, load them back and print them.
    Demo {
        /// Database URL: sqlite://FILE, postgres://USER@HOST/DB or mysql://USER@HOST/DB. Not
        /// read from DATABASE_URL, so that the demo never writes into another app's database.
        #[arg(long, default_value = "sqlite://network.db")]
        database_url: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo { database_url } => run_demo(&database_url).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

async fn run_demo(url: &str) -> Result<(), String> {
    let conn = db::connect(url).await.map_err(|e| e.to_string())?;
    let migrator = Migrator::new(network::migrations::migrations);
    let applied = apply::up(&conn, url, &migrator, None)
        .await
        .map_err(|e| format!("{e:#}"))?;
    for name in &applied {
        eprintln!("applied {name}");
    }
    let demo = network::demo::demo(&conn)
        .await
        .map_err(|e| e.to_string())?;
    print!("{demo}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from(["network", "demo"]).unwrap();
        assert!(
            matches!(cli.command, Command::Demo { database_url } if database_url == "sqlite://network.db")
        );
        assert!(Cli::try_parse_from(["network"]).is_err());
    }
}
