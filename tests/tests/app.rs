//! An app of one's own, built as the README's "Your own app" says, outside this workspace:
//! `cargo new`, `init --backend postgres`, its own models, `up`, `generate`, `up`, then the
//! undo loop (roll back, delete the file, build, generate again) and a binary that is behind its
//! directory. The app builds no SQLite or MySQL driver.
//!
//! The app is compiled into `target/app-test` (Cargo holds this workspace's target directory
//! while the tests run), with this workspace's `Cargo.lock`, so that it builds the same
//! versions; the first run builds its dependencies once.

#![allow(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tests::{Backend, TestDb};

const INIT: &str = env!("CARGO_BIN_EXE_orch-migrate-test");
const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

const PRODUCTS: &str = r#"//! A firewall, the app's own model.

use orch_core::{FieldValue, product, product_block, register_products};

/// Who made the box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FieldValue)]
pub enum Vendor {
    /// Stored as `juniper`.
    Juniper,
    /// Stored as `fortinet`.
    Fortinet,
}

/// The firewall itself.
#[product_block(name = "FirewallBlock")]
pub struct FirewallBlock {
    /// Its host name.
    #[required_from(provisioning)]
    pub hostname: String,
    /// Its AS number, once active.
    #[required_from(active)]
    pub asn: i64,
}

/// The "Firewall" product type.
#[product(product_type = "Firewall")]
pub struct Firewall {
    /// The vendor.
    pub vendor: Vendor,
    /// The firewall.
    pub firewall: FirewallBlock,
}

register_products! {
    "Firewall Juniper" => Firewall,
}
"#;

const ANSWERS: &str = r#"[products."Firewall Juniper"]
description = "a Juniper firewall"
tag = "FW"

[products."Firewall Juniper".fixed_inputs]
vendor = "juniper"

[product_blocks.FirewallBlock]
description = "a firewall"
tag = "FWB"

[resource_types]
asn = "AS number"
hostname = "host name"
"#;

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Out {
    let o = cmd.output().expect("run");
    Out {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn ok(out: Out) -> Out {
    assert_eq!(
        out.code,
        Some(0),
        "--- stdout:\n{}--- stderr:\n{}",
        out.stdout,
        out.stderr
    );
    out
}

struct App {
    dir: PathBuf,
    target: PathBuf,
    url: String,
}

impl App {
    fn cargo(&self, args: &[&str]) -> Out {
        run(Command::new(env!("CARGO"))
            .args(args)
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .env_remove("CARGO_BUILD_TARGET_DIR")
            .env_remove("RUSTFLAGS"))
    }

    fn build(&self) {
        ok(self.cargo(&["build", "--quiet", "--bin", "fw-migrate"]));
    }

    fn migrate(&self, args: &[&str]) -> Out {
        run(Command::new(self.target.join("debug/fw-migrate"))
            .args(args)
            .current_dir(&self.dir)
            .env("DATABASE_URL", &self.url)
            .env("NO_COLOR", "1")
            .env_remove("ORCH_LOG"))
    }

    fn migrations(&self) -> Vec<String> {
        orch_migrate::files::existing_modules(&self.dir.join("src/migrations")).unwrap()
    }
}

#[tokio::test]
async fn an_app_of_ones_own_from_cargo_new_to_the_undo_loop() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fw");
    let app = App {
        dir: dir.clone(),
        target: Path::new(WORKSPACE).join("target/app-test"),
        url: db.url.clone(),
    };

    // cargo new, then init
    ok(run(Command::new(env!("CARGO"))
        .args(["new", "--vcs", "none", "--quiet"])
        .arg(&dir)));
    let init = ok(run(Command::new(INIT)
        .env("ORCH_TEST_MIGRATIONS_DIR", tmp.path().join("unused"))
        .args(["init", "--backend", "postgres"])
        .arg(&dir)));
    assert!(
        init.stdout
            .contains("Created src/migrations/mod.rs, build.rs, src/bin/fw-migrate.rs"),
        "{}",
        init.stdout
    );
    assert!(
        init.stdout.contains("Changed Cargo.toml"),
        "{}",
        init.stdout
    );
    assert!(!init.stdout.contains("To do"), "{}", init.stdout);
    std::fs::copy(
        Path::new(WORKSPACE).join("Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    // the example products init writes compile as they are
    app.build();
    std::fs::write(dir.join("src/products.rs"), PRODUCTS).unwrap();
    std::fs::write(dir.join("answers.toml"), ANSWERS).unwrap();

    // a PostgreSQL-only app builds neither other driver
    let tree = ok(app.cargo(&["tree", "--quiet", "-e", "normal", "--prefix", "none"]));
    for other in ["sqlx-sqlite", "libsqlite3-sys", "sqlx-mysql"] {
        assert!(
            !tree
                .stdout
                .lines()
                .any(|l| l.starts_with(&format!("{other} "))),
            "{other} in\n{}",
            tree.stdout
        );
    }
    assert!(tree.stdout.lines().any(|l| l.starts_with("sqlx-postgres ")));

    app.build();
    let v = ok(app.migrate(&["-V"]));
    assert_eq!(v.stdout, "fw-migrate 0.1.0\n");
    let sqlite = app.migrate(&["--database-url", "sqlite://fw.db", "status"]);
    assert_eq!(sqlite.code, Some(1));
    assert!(
        sqlite.stderr.contains(
            "this binary was built without SQLite: enable the `sqlite` feature of orch-core and orch-migrate"
        ),
        "{}",
        sqlite.stderr
    );

    // up, generate, build, up
    let up = ok(app.migrate(&["up"]));
    assert_eq!(
        up.stdout,
        "Applied m20250101_000001_create_orchestrator_core_tables\n\
         Applied m20250101_000002_index_relations_by_depends_on_id\n"
    );
    let generate = |message: &str| {
        ok(app.migrate(&[
            "generate",
            message,
            "--answers",
            "answers.toml",
            "--no-input",
        ]))
    };
    let g = generate("Add the firewall");
    assert!(
        g.stdout.contains("Review it, then run `fw-migrate up`"),
        "{}",
        g.stdout
    );
    let first = app.migrations();
    assert_eq!(first.len(), 1);
    let source =
        std::fs::read_to_string(dir.join(format!("src/migrations/{}.rs", first[0]))).unwrap();
    assert!(source.contains("Generated by `fw-migrate generate`"));

    // the binary is behind its directory until it is built again
    let stale = app.migrate(&["up"]);
    assert_eq!(stale.code, Some(1));
    assert!(
        stale.stderr.contains(&format!(
            "the migrations directory has {} which this binary was built without: rebuild fw-migrate",
            first[0]
        )),
        "{}",
        stale.stderr
    );
    app.build();
    let up = ok(app.migrate(&["up"]));
    assert_eq!(up.stdout, format!("Applied {}\n", first[0]));
    ok(app.migrate(&["check"]));
    let history = ok(app.migrate(&["history"]));
    assert!(
        history.stdout.contains("Add the firewall"),
        "{}",
        history.stdout
    );

    // undo: roll back, delete the file, build; the build does not break
    ok(app.migrate(&["down"]));
    std::fs::remove_file(dir.join(format!("src/migrations/{}.rs", first[0]))).unwrap();
    app.build();
    let status = ok(app.migrate(&["status"]));
    assert_eq!(
        status.stdout,
        "applied  m20250101_000001_create_orchestrator_core_tables\n\
         applied  m20250101_000002_index_relations_by_depends_on_id\n"
    );

    // and generate again, with the same answers file
    std::thread::sleep(std::time::Duration::from_millis(1100)); // a new module name
    generate("Add the firewall again");
    app.build();
    ok(app.migrate(&["up"]));
    ok(app.migrate(&["check"]));
    assert_eq!(app.migrations().len(), 1);
}
