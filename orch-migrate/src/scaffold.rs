//! `init`: makes an existing crate an orch app in one command.
//!
//! It creates what every app needs and nobody should have to work out: the migrations
//! directory listed by `orch_core::migrations!()`, a build script that rebuilds when a
//! migration is added, the migrate binary named after the app, a starting `products` module,
//! and in `Cargo.toml` the dependencies with only the backends asked for, the sqlx-core patch
//! orch needs until sqlx 0.9.1, and the profile settings that keep debug binaries small. A
//! file that exists is never overwritten: what it lacks is printed instead.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A backend an app builds a driver for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Backend {
    /// SQLite files.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL and MariaDB.
    Mysql,
}

impl Backend {
    fn feature(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        }
    }
}

/// Where the app gets orch from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A checkout on this machine (the workspace root).
    Path(PathBuf),
    /// A git repository, optionally at a revision.
    Git {
        /// The repository URL.
        url: String,
        /// A commit, tag or branch.
        rev: Option<String>,
    },
}

impl Source {
    /// The checkout this binary was built from.
    pub fn this_checkout() -> Source {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        Source::Path(crate_dir.parent().unwrap_or(crate_dir).to_path_buf())
    }

    /// The dependency table for `member` (`orch-core`, `vendor/sqlx-core`), as inline TOML.
    fn locate(&self, member: &str) -> String {
        match self {
            Source::Path(root) => {
                format!("path = {}", quote(&root.join(member).to_string_lossy()))
            }
            Source::Git { url, rev } => {
                let mut s = format!("git = {}", quote(url));
                if let Some(rev) = rev {
                    let _ = write!(s, ", rev = {}", quote(rev));
                }
                s
            }
        }
    }
}

/// What `init` did: the files it created, and what the user must still do by hand.
#[derive(Debug, Default)]
pub struct Report {
    /// The migrate binary's name.
    pub bin: String,
    /// Files created, relative to the crate.
    pub created: Vec<String>,
    /// Files that existed and were changed (a line appended), relative to the crate.
    pub changed: Vec<String>,
    /// What is left to do, each a paragraph.
    pub todo: Vec<String>,
}

/// Makes the crate at `dir` an orch app building drivers for `backends`.
pub fn init(dir: &Path, backends: &[Backend], source: &Source) -> anyhow::Result<Report> {
    let manifest_path = dir.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}; run init in a crate (`cargo new my-app` makes one)",
            manifest_path.display()
        )
    })?;
    let table: toml::Table = manifest
        .parse()
        .map_err(|e| anyhow::anyhow!("{}: {e}", manifest_path.display()))?;
    let Some(package) = table
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
    else {
        anyhow::bail!(
            "{} has no [package] name: run init in the app's crate, not a workspace root",
            manifest_path.display()
        );
    };
    if backends.is_empty() {
        anyhow::bail!("name at least one backend: --backend postgres (or sqlite, mysql)");
    }
    let lib = package.replace('-', "_");
    let bin = format!("{package}-migrate");
    let mut report = Report {
        bin: bin.clone(),
        ..Report::default()
    };

    let mut create = |rel: &str, text: &str| -> anyhow::Result<bool> {
        let path = dir.join(rel);
        if path.exists() {
            return Ok(false);
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        report.created.push(rel.to_owned());
        Ok(true)
    };

    create("src/migrations/mod.rs", crate::render::MOD_RS)?;
    if !create("build.rs", BUILD_RS)? {
        let text = std::fs::read_to_string(dir.join("build.rs")).unwrap_or_default();
        if !text.contains("src/migrations") {
            report.todo.push(
                "build.rs exists: add `println!(\"cargo::rerun-if-changed=src/migrations\");` \
                 to its main, so that a migration added since the last build is compiled in"
                    .into(),
            );
        }
    }
    create(&format!("src/bin/{bin}.rs"), &migrate_main(&bin, &lib))?;
    let lib_rs = dir.join("src/lib.rs");
    if create("src/lib.rs", &lib_rs_text(package))? {
        create("src/products.rs", PRODUCTS_RS)?;
    } else {
        let text = std::fs::read_to_string(&lib_rs)?;
        if !text.contains("mod migrations") {
            std::fs::write(&lib_rs, format!("{text}\npub mod migrations;\n"))?;
            report.changed.push("src/lib.rs".into());
        }
        if !text.contains("register_products!") && !dir.join("src/products.rs").exists() {
            report.todo.push(
                "src/lib.rs existed: declare your products there (or in a module of it) and \
                 list them with `orch_core::register_products!`"
                    .into(),
            );
        }
    }

    let additions = cargo_additions(&table, backends, source);
    if additions.dependencies.is_empty() && additions.tables.is_empty() {
        // everything there already
    } else if manifest.trim_end().ends_with("[dependencies]") {
        // `cargo new`: an empty dependency table at the end takes the lines as they are
        let mut text = manifest.trim_end().to_owned();
        text.push('\n');
        text.push_str(&additions.dependencies);
        text.push_str(&additions.tables);
        std::fs::write(&manifest_path, text)?;
        report.changed.push("Cargo.toml".into());
    } else {
        report.todo.push(format!(
            "add to Cargo.toml (under [dependencies], and as tables; in a workspace, [patch] \
             and [profile] go in the workspace's Cargo.toml):\n\n{}{}",
            additions.dependencies, additions.tables
        ));
    }
    Ok(report)
}

/// What `Cargo.toml` lacks: dependency lines, and whole tables.
struct Additions {
    dependencies: String,
    tables: String,
}

fn cargo_additions(table: &toml::Table, backends: &[Backend], source: &Source) -> Additions {
    let has_dep = |name: &str| {
        table
            .get("dependencies")
            .and_then(|d| d.get(name))
            .is_some()
    };
    let mut features: Vec<&str> = backends.iter().map(|b| b.feature()).collect();
    features.sort();
    features.dedup();
    let list = |extra: &[&str]| {
        features
            .iter()
            .chain(extra)
            .map(|f| quote(f))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut dependencies = String::new();
    if !has_dep("orch-core") {
        let _ = writeln!(
            dependencies,
            "orch-core = {{ {}, default-features = false, features = [{}] }}",
            source.locate("orch-core"),
            list(&[])
        );
    }
    if !has_dep("orch-migrate") {
        let _ = writeln!(
            dependencies,
            "orch-migrate = {{ {}, default-features = false, features = [{}] }}",
            source.locate("orch-migrate"),
            list(&["serve"])
        );
    }
    let mut tables = String::new();
    let patched = table
        .get("patch")
        .and_then(|p| p.get("crates-io"))
        .and_then(|c| c.get("sqlx-core"))
        .is_some();
    if !patched {
        let _ = write!(
            tables,
            "\n# sqlx-core 0.9.0 without TCP_NODELAY stalls every larger PostgreSQL and MySQL \
             statement\n# by ~40 ms; orch's vendored copy has the fix. Drop this once sqlx 0.9.1 \
             is out.\n[patch.crates-io]\nsqlx-core = {{ {} }}\n",
            source.locate("vendor/sqlx-core")
        );
    }
    let profile = table.get("profile").and_then(|p| p.get("dev"));
    if profile.is_none() {
        tables.push_str(
            "\n# debug binaries a quarter of the size: line tables for your code, none for \
             dependencies\n[profile.dev]\ndebug = \"line-tables-only\"\n\n\
             [profile.dev.package.\"*\"]\ndebug = false\n",
        );
    }
    Additions {
        dependencies,
        tables,
    }
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

const BUILD_RS: &str = "\
//! `orch_core::migrations!()` lists src/migrations when the crate compiles: a migration file
//! added since the last build makes Cargo build again.

fn main() {
    println!(\"cargo::rerun-if-changed=src/migrations\");
}
";

fn migrate_main(bin: &str, lib: &str) -> String {
    format!(
        "//! `{bin}`: orch's command line over this app's products and migrations: generate, up,
//! down, status, history, check, serve and the rest (`{bin} --help`).

use std::process::ExitCode;

use {lib} as _; // link the products, or the registry is empty

fn main() -> ExitCode {{
    orch_migrate::cli::main(orch_migrate::app!({lib}::migrations::migrations))
}}
"
    )
}

fn lib_rs_text(package: &str) -> String {
    format!(
        "//! The products of {package}, and the migrations that bring a database to them.

pub mod migrations;
pub mod products;
"
    )
}

const PRODUCTS_RS: &str = "\
//! The product blocks and products of this app. Replace the example with your own, then run
//! `generate \"<what changed>\"` and `up` with the app's migrate binary.

use orch_core::{product, product_block, register_products};

/// An example block: a host name required from provisioning, an id from active.
#[product_block(name = \"ExampleBlock\")]
pub struct ExampleBlock {
    /// The host name.
    #[required_from(provisioning)]
    pub hostname: String,
    /// The id in another system, once active.
    #[required_from(active)]
    pub external_id: i64,
}

/// An example product type.
#[product(product_type = \"Example\")]
pub struct Example {
    /// Its block.
    pub example: ExampleBlock,
}

register_products! {
    \"Example\" => Example,
}
";

#[cfg(test)]
mod tests {
    use super::*;

    fn new_crate(name: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
                 [dependencies]\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("src/main.rs"), "fn main() {}\n").unwrap();
        dir
    }

    #[test]
    fn a_new_crate_gets_everything_and_a_second_run_changes_nothing() {
        let dir = new_crate("my-fw");
        let source = Source::Path("/opt/orch".into());
        let r = init(dir.path(), &[Backend::Postgres], &source).unwrap();
        assert_eq!(
            r.created,
            [
                "src/migrations/mod.rs",
                "build.rs",
                "src/bin/my-fw-migrate.rs",
                "src/lib.rs",
                "src/products.rs"
            ]
        );
        assert_eq!(r.changed, ["Cargo.toml"]);
        assert!(r.todo.is_empty(), "{:?}", r.todo);
        let manifest = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
        let t: toml::Table = manifest.parse().unwrap();
        let core = &t["dependencies"]["orch-core"];
        assert_eq!(core["path"].as_str(), Some("/opt/orch/orch-core"));
        assert_eq!(core["default-features"].as_bool(), Some(false));
        assert_eq!(core["features"].as_array().unwrap().len(), 1);
        assert_eq!(
            t["dependencies"]["orch-migrate"]["features"].to_string(),
            r#"["postgres", "serve"]"#
        );
        assert_eq!(
            t["patch"]["crates-io"]["sqlx-core"]["path"].as_str(),
            Some("/opt/orch/vendor/sqlx-core")
        );
        assert_eq!(
            t["profile"]["dev"]["package"]["*"]["debug"].as_bool(),
            Some(false)
        );
        let main = std::fs::read_to_string(dir.path().join("src/bin/my-fw-migrate.rs")).unwrap();
        assert!(main.contains("use my_fw as _;"));
        assert!(main.contains("orch_migrate::app!(my_fw::migrations::migrations)"));
        for rs in [
            "src/bin/my-fw-migrate.rs",
            "src/lib.rs",
            "src/products.rs",
            "build.rs",
        ] {
            let text = std::fs::read_to_string(dir.path().join(rs)).unwrap();
            syn::parse_file(&text).unwrap_or_else(|e| panic!("{rs}: {e}"));
        }

        let again = init(dir.path(), &[Backend::Postgres], &source).unwrap();
        assert!(again.created.is_empty() && again.changed.is_empty() && again.todo.is_empty());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap(),
            manifest
        );
    }

    #[test]
    fn an_existing_crate_is_told_what_to_add() {
        let dir = new_crate("fw");
        let p = dir.path();
        std::fs::write(
            p.join("Cargo.toml"),
            "[package]\nname = \"fw\"\nversion = \"0.1.0\"\n\n[dependencies]\nserde = \"1\"\n\n\
             [features]\nx = []\n",
        )
        .unwrap();
        std::fs::write(p.join("src/lib.rs"), "pub mod models;\n").unwrap();
        std::fs::write(p.join("build.rs"), "fn main() {}\n").unwrap();
        let git = Source::Git {
            url: "https://example.invalid/orch.git".into(),
            rev: Some("v0.1.0".into()),
        };
        let r = init(p, &[Backend::Sqlite, Backend::Mysql], &git).unwrap();
        assert_eq!(r.changed, ["src/lib.rs"]);
        assert!(
            std::fs::read_to_string(p.join("src/lib.rs"))
                .unwrap()
                .ends_with("\npub mod migrations;\n")
        );
        assert_eq!(r.todo.len(), 3, "{:#?}", r.todo);
        assert!(r.todo[0].contains("rerun-if-changed=src/migrations"));
        assert!(r.todo[1].contains("register_products!"));
        assert!(r.todo[2].contains(
            "orch-core = { git = \"https://example.invalid/orch.git\", rev = \"v0.1.0\", \
             default-features = false, features = [\"mysql\", \"sqlite\"] }"
        ));
        assert!(r.todo[2].contains("sqlx-core = { git = \"https://example.invalid/orch.git\""));
        assert!(
            !p.join("src/products.rs").exists(),
            "the crate has its own models"
        );

        let e = init(&p.join("nowhere"), &[Backend::Sqlite], &git).unwrap_err();
        assert!(e.to_string().contains("cargo new"), "{e}");
        let e = init(p, &[], &git).unwrap_err();
        assert!(e.to_string().contains("--backend postgres"), "{e}");
    }
}
