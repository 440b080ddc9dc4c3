//! The `orch-migrate` command line, black-box: the real binary (`orch-migrate-test`, the CLI over
//! the workshop's products) runs against real databases, and each test checks the exit code,
//! the message, and what was (or was not) written to the database and the migrations directory.

#![allow(missing_docs)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use orch_migrate::render;
use sea_orm::ConnectionTrait;
use serde_json::Value;
use support::{CORE, INDEX, WORKSHOP, count, recorded, state, tables};
use tests::{Backend, TestDb};
use workshop as _;

const BIN: &str = env!("CARGO_BIN_EXE_orch-migrate-test");
const WORKSHOP_ANSWERS: &str = include_str!("../../examples/workshop/answers.toml");

/// Which app migrations the binary runs with (`ORCH_TEST_APP_MIGRATIONS`).
#[derive(Clone, Copy)]
enum App {
    /// The workshop's committed migration after the core schema.
    Workshop,
    /// The core schema only: the database lacks the workshop's products, so `generate` writes.
    CoreOnly,
}

/// A working directory (no `.env`) with a migrations directory inside.
struct Workdir {
    cwd: tempfile::TempDir,
}

/// What a run printed and returned.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts the exit code, showing the output when it differs.
    fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(expected),
            "exit code\n--- stdout:\n{}--- stderr:\n{}",
            self.stdout,
            self.stderr
        );
        self.no_panic()
    }

    fn no_panic(&self) -> &Self {
        for text in [&self.stdout, &self.stderr] {
            assert!(
                !text.contains("panicked") && !text.contains("backtrace"),
                "a panic:\n{text}"
            );
        }
        self
    }

    /// Asserts a failure with exactly one line on stderr, `error: ...`, and returns it.
    fn one_line_error(&self) -> &str {
        self.code(1);
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line on stderr:\n{}", self.stderr);
        assert!(lines[0].starts_with("error: "), "{}", lines[0]);
        assert_eq!(self.stdout, "", "nothing on stdout");
        lines[0]
    }
}

impl Workdir {
    fn new() -> Workdir {
        Workdir {
            cwd: tempfile::tempdir().expect("temporary directory"),
        }
    }

    fn path(&self) -> &Path {
        self.cwd.path()
    }

    fn migrations(&self) -> PathBuf {
        self.cwd.path().join("migrations")
    }

    /// The command, with a clean environment for the CLI: no `DATABASE_URL` unless given, no log
    /// filter, backtraces on (so that a panic would show).
    fn command(&self, url: Option<&str>, app: App, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .current_dir(self.path())
            .env_remove("DATABASE_URL")
            .env_remove("ORCH_LOG")
            .env_remove("RUST_LOG")
            .env("RUST_BACKTRACE", "1")
            .env("NO_COLOR", "1")
            .env("ORCH_TEST_MIGRATIONS_DIR", self.migrations())
            .env(
                "ORCH_TEST_APP_MIGRATIONS",
                match app {
                    App::Workshop => "workshop",
                    App::CoreOnly => "none",
                },
            );
        if let Some(url) = url {
            cmd.env("DATABASE_URL", url);
        }
        cmd
    }

    fn run(&self, url: &str, app: App, args: &[&str]) -> Run {
        self.run_with(Some(url), app, args)
    }

    fn run_with(&self, url: Option<&str>, app: App, args: &[&str]) -> Run {
        Run::from(
            self.command(url, app, args)
                .output()
                .expect("run orch-migrate-test"),
        )
    }

    /// The files in the migrations directory, sorted.
    fn written(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.migrations()) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temporary path")
}

/// A database with the core schema applied through the CLI (`up` over the core only).
async fn core_db(backend: Backend, work: &Workdir) -> Option<TestDb> {
    let db = TestDb::new(backend).await?;
    let run = work.run(&db.url, App::CoreOnly, &["up"]);
    run.code(0);
    assert_eq!(run.stdout, format!("Applied {CORE}\nApplied {INDEX}\n"));
    Some(db)
}

// ---------------------------------------------------------------------------------------------
// connecting

#[test]
fn an_unsupported_url_scheme_is_one_line() {
    let work = Workdir::new();
    let run = work.run(
        "oracle://scott:tiger@db.example/orcl",
        App::Workshop,
        &["status"],
    );
    assert_eq!(
        run.one_line_error(),
        "error: unsupported database URL `oracle://scott:***@db.example/orcl`: expected sqlite://, postgres:// or mysql://"
    );
    assert!(!run.stderr.contains("tiger"), "the password is masked");
    assert_eq!(work.written(), Vec::<String>::new());
}

#[test]
fn an_unreachable_server_is_one_line_at_once() {
    let work = Workdir::new();
    for (url, masked) in [
        (
            "postgres://postgres:secret@127.0.0.1:1/orch",
            "postgres://postgres:***@127.0.0.1:1/orch",
        ),
        (
            "mysql://root:secret@127.0.0.1:1/orch",
            "mysql://root:***@127.0.0.1:1/orch",
        ),
    ] {
        let started = Instant::now();
        let run = work.run(url, App::Workshop, &["up"]);
        let line = run.one_line_error();
        assert!(
            line.starts_with(&format!("error: cannot connect to {masked}: ")),
            "{line}"
        );
        assert!(line.contains("Connection refused"), "says why: {line}");
        assert!(!line.contains("secret"), "{line}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "a refused connection is reported at once, not after the pool's timeout ({:?})",
            started.elapsed()
        );
    }
}

#[test]
fn an_sqlite_file_in_a_missing_directory_is_one_line() {
    let work = Workdir::new();
    let run = work.run(
        "sqlite:///nonexistent-orch-dir/orch.db",
        App::Workshop,
        &["status"],
    );
    let line = run.one_line_error();
    assert!(
        line.starts_with("error: cannot connect to sqlite:///nonexistent-orch-dir/orch.db"),
        "{line}"
    );
    assert!(line.contains("unable to open database file"), "{line}");
}

/// Without `.env` and without `DATABASE_URL` the CLI uses its default SQLite file; with a
/// `.env` it reads `DATABASE_URL` from there.
#[test]
fn a_missing_env_file_is_fine_and_an_env_file_is_read() {
    let work = Workdir::new();
    let run = work.run_with(None, App::Workshop, &["status"]);
    run.code(0);
    assert_eq!(
        run.stdout,
        format!("pending  {CORE}\npending  {INDEX}\npending  {WORKSHOP}\n"),
        "{}",
        run.stderr
    );
    assert!(
        work.path().join("orchestrator.db").exists(),
        "the default database"
    );

    let other = Workdir::new();
    std::fs::write(
        other.path().join(".env"),
        "# for orch-migrate\nDATABASE_URL=sqlite://from-dotenv.db\n",
    )
    .unwrap();
    let run = other.run_with(None, App::Workshop, &["up", "-n", "1"]);
    run.code(0);
    assert_eq!(run.stdout, format!("Applied {CORE}\n"));
    assert!(other.path().join("from-dotenv.db").exists());
    assert!(!other.path().join("orchestrator.db").exists());
}

// ---------------------------------------------------------------------------------------------
// generate

/// The 17 questions the workshop's products raise on an empty catalogue.
fn workshop_questions() -> Vec<&'static str> {
    vec![
        r#"products."User Group".description"#,
        r#"products."User Group".tag"#,
        r#"products."User external".description"#,
        r#"products."User external".tag"#,
        r#"products."User internal".description"#,
        r#"products."User internal".tag"#,
        r#"products."User external".fixed_inputs.affiliation"#,
        r#"products."User internal".fixed_inputs.affiliation"#,
        "product_blocks.UserBlock.description",
        "product_blocks.UserBlock.tag",
        "product_blocks.UserGroupBlock.description",
        "product_blocks.UserGroupBlock.tag",
        "resource_types.age",
        "resource_types.group_id",
        "resource_types.group_name",
        "resource_types.user_id",
        "resource_types.username",
    ]
}

/// Fills every empty value of a template: descriptions and tags from their keys, the fixed
/// input from the product's name.
fn fill(template: &str) -> String {
    fn walk(path: &mut Vec<String>, table: &mut toml::Table, filled: &mut usize) {
        for (key, value) in table.iter_mut() {
            path.push(key.clone());
            match value {
                toml::Value::Table(t) => walk(path, t, filled),
                toml::Value::String(s) => {
                    assert_eq!(s, "", "{path:?} is empty in the template");
                    *s = match path.iter().map(String::as_str).collect::<Vec<_>>()[..] {
                        [.., "tag"] => format!("T{filled}"),
                        ["products", p, "fixed_inputs", "affiliation"] => {
                            p.strip_prefix("User ").unwrap().to_owned()
                        }
                        _ => format!("{} (filled in)", path.join(" ")),
                    };
                    *filled += 1;
                }
                other => panic!("unexpected placeholder {other:?} at {path:?}"),
            }
            path.pop();
        }
    }
    let mut table: toml::Table = template.parse().expect("the template is TOML");
    let mut filled = 0;
    walk(&mut Vec::new(), &mut table, &mut filled);
    assert_eq!(filled, 17, "every question has a placeholder");
    toml::to_string(&table).unwrap()
}

/// Without a terminal and without answers, `generate` lists every open question and writes
/// nothing; `--write-template` writes them all to a file, which filled in and passed with
/// `--answers` generates the module.
#[tokio::test]
async fn generate_lists_every_open_question_then_uses_the_filled_template() {
    let work = Workdir::new();
    let Some(db) = core_db(Backend::Sqlite, &work).await else {
        return;
    };
    let before = state(&db.conn).await;

    let run = work.run(&db.url, App::CoreOnly, &["generate", "Add users"]);
    run.code(1);
    assert!(
        run.stderr
            .starts_with("error: 17 question(s) need an answer; nothing was written:\n"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.lines().filter(|l| l.starts_with("  - ")).count(),
        17,
        "one line per question:\n{}",
        run.stderr
    );
    for key in workshop_questions() {
        assert!(
            run.stderr.contains(&format!("  - {key}: ")),
            "{key} is listed:\n{}",
            run.stderr
        );
    }
    assert!(
        run.stderr.contains("--write-template FILE"),
        "{}",
        run.stderr
    );
    assert_eq!(work.written(), Vec::<String>::new(), "nothing written");

    let template = work.path().join("template.toml");
    let run = work.run(
        &db.url,
        App::CoreOnly,
        &["generate", "Add users", "--write-template", arg(&template)],
    );
    run.code(1);
    assert!(
        run.stderr.contains(&format!(
            "A template with every question was written to {}",
            template.display()
        )),
        "{}",
        run.stderr
    );
    assert_eq!(work.written(), Vec::<String>::new(), "still no module");
    let text = std::fs::read_to_string(&template).expect("the template");
    assert!(text.contains("# Tag of new product \"User Group\" (at most 20 characters)"));
    assert!(text.contains("[products.\"User internal\".fixed_inputs]"));

    let filled = fill(&text);
    let answers = work.write("answers.toml", &filled);
    let run = work.run(
        &db.url,
        App::CoreOnly,
        &[
            "generate",
            "Add users",
            "--answers",
            arg(&answers),
            "--timestamp",
            "20270102030405",
        ],
    );
    run.code(0);
    let module = "m20270102_030405_add_users";
    assert_eq!(
        work.written(),
        vec![format!("{module}.rs"), "mod.rs".into()]
    );
    let path = work
        .migrations()
        .canonicalize()
        .unwrap()
        .join(format!("{module}.rs"));
    assert!(
        run.stdout
            .starts_with(&format!("Wrote {} (", path.display())),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("create products: \"User Group\", \"User external\", \"User internal\""),
        "{}",
        run.stderr
    );

    // the module is what the pipeline plans for the same answers and time
    let registry = orch_core::SUBSCRIPTION_MODEL_REGISTRY.get().unwrap();
    let (_, plan) = tests::pipeline::plan(&db.conn, registry, &filled)
        .await
        .unwrap();
    let at = chrono::NaiveDateTime::parse_from_str("20270102030405", "%Y%m%d%H%M%S")
        .unwrap()
        .and_utc();
    let rendered = render::migration(&plan, "Add users", at, "orch-migrate-test");
    assert_eq!(rendered.module, module);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), rendered.source);
    assert_eq!(
        std::fs::read_to_string(work.migrations().join("mod.rs")).unwrap(),
        render::MOD_RS
    );
    assert!(
        rendered.source.contains("tag: \"T"),
        "the filled tags are used"
    );
    assert_eq!(state(&db.conn).await, before, "generate does not apply");
}

/// Every problem of an answers file is reported at once, and nothing is written.
#[tokio::test]
async fn answers_file_problems_are_listed_together() {
    let work = Workdir::new();
    let Some(db) = core_db(Backend::Sqlite, &work).await else {
        return;
    };
    let before = state(&db.conn).await;
    let bad = work.write(
        "bad.toml",
        r#"
[products."User internal"]
description = "user administration - internal"
colour = "red"
fixed_inputs = { affiliation = "partner" }

[products."User Admin"]
tag = "ADMIN"

[product_blocks.UserBlock]
tag = "THIS_TAG_IS_TOO_LONG_FOR_IT"
"#,
    );
    let run = work.run(
        &db.url,
        App::CoreOnly,
        &["generate", "Add users", "--answers", arg(&bad)],
    );
    run.code(1);
    // `products."User Admin"` is about a product the models do not have: ignored, not a problem
    let expected = [
        format!("error: {}: 3 problems:", bad.display()),
        r#"  - product_blocks.UserBlock.tag: the tag "THIS_TAG_IS_TOO_LONG_FOR_IT" has 27 characters; at most 20 fit"#.into(),
        r#"  - products."User internal".colour: unknown key: see the answers file format in the README"#.into(),
        r#"  - products."User internal".fixed_inputs.affiliation: `partner` is not a valid Affiliation: expected one of: internal, external"#.into(),
    ];
    assert_eq!(
        run.stderr.lines().collect::<Vec<_>>(),
        expected.iter().map(String::as_str).collect::<Vec<_>>(),
        "{}",
        run.stderr
    );
    assert_eq!(work.written(), Vec::<String>::new());

    let malformed = work.write("malformed.toml", "[products.\"User internal\"\ntag = \n");
    let run = work.run(
        &db.url,
        App::CoreOnly,
        &["generate", "Add users", "--answers", arg(&malformed)],
    );
    run.code(1);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert_eq!(
        lines[0],
        format!("error: {}: 1 problem:", malformed.display())
    );
    assert!(
        lines[1].starts_with("  - TOML parse error at line 1"),
        "{}",
        lines[1]
    );

    let missing = work.path().join("missing.toml");
    let run = work.run(
        &db.url,
        App::CoreOnly,
        &["generate", "Add users", "--answers", arg(&missing)],
    );
    let line = run.one_line_error();
    assert!(
        line.starts_with(&format!(
            "error: cannot read answers file {}: ",
            missing.display()
        )),
        "{line}"
    );
    assert_eq!(work.written(), Vec::<String>::new());
    assert_eq!(state(&db.conn).await, before);
}

/// `generate` refuses a database that is behind the migrations directory (a migration not
/// applied) or ahead of it (an applied migration the directory lacks); `check` and `status`
/// report the second.
async fn generate_refuses_a_database_behind_or_ahead(backend: Backend) {
    let work = Workdir::new();
    let Some(db) = core_db(backend, &work).await else {
        return;
    };
    let answers = work.write("answers.toml", WORKSHOP_ANSWERS);
    let generate = ["generate", "Add users", "--answers", arg(&answers)];

    // behind: the workshop's migration is in the directory but not applied
    let before = state(&db.conn).await;
    let run = work.run(&db.url, App::Workshop, &generate);
    assert_eq!(
        run.one_line_error(),
        format!(
            "error: the database is behind the migrations directory: {WORKSHOP} not applied yet; \
             run `up` first, so that the new migration does not repeat them"
        )
    );
    assert_eq!(work.written(), Vec::<String>::new());
    assert_eq!(state(&db.conn).await, before);

    // ahead: the database records a migration the directory lacks
    work.run(&db.url, App::Workshop, &["up"]).code(0);
    let other = "m20300101_000000_from_another_branch";
    db.conn
        .execute_unprepared(&format!(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('{other}', 0)"
        ))
        .await
        .unwrap();
    let before = state(&db.conn).await;
    let run = work.run(&db.url, App::Workshop, &generate);
    assert_eq!(
        run.one_line_error(),
        format!(
            "error: the database is ahead of the migrations directory: {other} applied but not \
             found here; update your checkout, or roll them back with the code that has them"
        )
    );
    assert_eq!(work.written(), Vec::<String>::new());

    let run = work.run(&db.url, App::Workshop, &["check"]);
    run.code(2);
    assert_eq!(
        run.stdout,
        format!("Applied migrations missing from the migrations directory: {other}\n")
    );
    let run = work.run(&db.url, App::Workshop, &["status"]);
    run.code(0);
    assert_eq!(
        run.stdout,
        format!(
            "applied  {CORE}\napplied  {INDEX}\napplied  {WORKSHOP}\napplied  {other} (not in the migrations directory)\n"
        )
    );
    assert_eq!(state(&db.conn).await, before);
}

// ---------------------------------------------------------------------------------------------
// check

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("check --format json prints JSON ({e}):\n{}", run.stdout))
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("an array: {v}"))
        .iter()
        .map(|s| s.as_str().expect("a name").to_owned())
        .collect()
}

/// `check` exits 2 while migrations are pending, 3 when the models differ from a database that
/// has applied everything it knows, and 0 when all agree; `--format json` says the same.
async fn check_exit_codes(backend: Backend) {
    let work = Workdir::new();
    let Some(db) = TestDb::new(backend).await else {
        return;
    };

    let run = work.run(&db.url, App::Workshop, &["check"]);
    run.code(2);
    assert_eq!(
        run.stdout,
        format!("Migrations not applied yet (run `up`): {CORE}, {INDEX}, {WORKSHOP}\n")
    );
    assert_eq!(
        tables(&db.conn).await,
        Vec::<String>::new(),
        "check only reads"
    );
    let run = work.run(&db.url, App::Workshop, &["check", "--format", "json"]);
    run.code(2);
    let report = json(&run);
    assert_eq!(report["clean"], false);
    assert_eq!(report["exit_code"], 2);
    assert_eq!(
        names(&report["pending_migrations"]),
        [CORE, INDEX, WORKSHOP]
    );
    assert_eq!(
        names(&report["unknown_applied_migrations"]),
        Vec::<String>::new()
    );
    assert!(report["changes"].is_object());

    // the core schema only: nothing pending for an app without migrations, but the models differ
    work.run(&db.url, App::CoreOnly, &["up"]).code(0);
    let run = work.run(&db.url, App::CoreOnly, &["check"]);
    run.code(3);
    assert!(
        run.stdout
            .starts_with("The models differ from the database (run `generate`):\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  create products: \"User Group\", \"User external\", \"User internal\"\n"),
        "{}",
        run.stdout
    );
    let report = json(&work.run(&db.url, App::CoreOnly, &["check", "--format", "json"]));
    assert_eq!(report["exit_code"], 3);
    assert_eq!(report["clean"], false);
    assert_eq!(names(&report["pending_migrations"]), Vec::<String>::new());
    assert_eq!(
        names(&report["changes"]["create_products"]),
        ["User Group", "User external", "User internal"]
    );
    assert_eq!(
        names(&report["changes"]["create_resource_types"]),
        ["age", "group_id", "group_name", "user_id", "username"]
    );

    // with the workshop's migration: pending, then applied and clean
    let run = work.run(&db.url, App::Workshop, &["check"]);
    run.code(2);
    assert!(
        run.stdout.starts_with(&format!(
            "Migrations not applied yet (run `up`): {WORKSHOP}\n"
        )),
        "{}",
        run.stdout
    );
    let run = work.run(&db.url, App::Workshop, &["up"]);
    run.code(0);
    assert_eq!(run.stdout, format!("Applied {WORKSHOP}\n"));
    let run = work.run(&db.url, App::Workshop, &["check"]);
    run.code(0);
    assert_eq!(
        run.stdout,
        "The database and the models agree; no migration is pending.\n"
    );
    let run = work.run(&db.url, App::Workshop, &["check", "--format", "json"]);
    run.code(0);
    let report = json(&run);
    assert_eq!(report["clean"], true);
    assert_eq!(report["exit_code"], 0);
    assert_eq!(names(&report["pending_migrations"]), Vec::<String>::new());
    assert_eq!(
        names(&report["unknown_applied_migrations"]),
        Vec::<String>::new()
    );
    for (change, list) in report["changes"].as_object().unwrap() {
        assert_eq!(list, &serde_json::json!([]), "no {change}");
    }
}

// ---------------------------------------------------------------------------------------------
// up, down, status

/// How each backend writes the first table and the first products: on PostgreSQL and SQLite
/// one insert from a table of values, whose rows get ids made by the database; on MariaDB one
/// multi-row `VALUES`.
fn flavour(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Sqlite => (
            r#"CREATE TABLE "products" ( "product_id" uuid_text NOT NULL PRIMARY KEY, "name" varchar NOT NULL,"#,
            r#"INSERT INTO "products" ("product_id", "name", "description", "product_type", "tag", "status") WITH "v" ("name", "description", "product_type", "tag", "status") AS (VALUES ('User Group', 'user group administration', 'UserGroup', 'GROUP', 'active'), "#,
        ),
        Backend::Postgres => (
            r#"CREATE TABLE "products" ( "product_id" uuid NOT NULL DEFAULT (uuid_generate_v4()) PRIMARY KEY, "name" varchar NOT NULL,"#,
            r#"INSERT INTO "products" ("product_id", "name", "description", "product_type", "tag", "status") WITH "v" ("name", "description", "product_type", "tag", "status") AS (VALUES ('User Group', 'user group administration', 'UserGroup', 'GROUP', 'active'), "#,
        ),
        Backend::MySql => (
            "CREATE TABLE `products` ( `product_id` binary(16) NOT NULL PRIMARY KEY, `name` varchar(255) NOT NULL,",
            "INSERT INTO `products` (`product_id`, `name`, `description`, `product_type`, `tag`, `status`) VALUES (UNHEX(REPLACE(UUID(), '-', '')), 'User Group', 'user group administration', 'UserGroup', 'GROUP', 'active'), ",
        ),
    }
}

/// `up --sql` and `down --sql` print the SQL of the backend the URL names and leave the
/// database exactly as it was; the script is complete: run by hand, it applies (and rolls back)
/// the migrations and records them, so that `status` and `check` agree with it afterwards.
async fn sql_is_printed_not_run(backend: Backend) {
    let work = Workdir::new();
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let (create, insert) = flavour(backend);

    let run = work.run(&db.url, App::Workshop, &["up", "--sql"]);
    run.code(0);
    let begin = match backend {
        Backend::MySql => "START TRANSACTION;",
        _ => "BEGIN;",
    };
    assert!(
        run.stdout.contains(&format!("\n-- up {CORE}\n{begin}\n")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("\n{create}")),
        "{}",
        run.stdout
    );
    let (quote, other) = match backend {
        Backend::MySql => ('`', '"'),
        _ => ('"', '`'),
    };
    assert!(
        !run.stdout.contains(&format!("{other}products{other}")),
        "names are quoted with {quote} only"
    );
    assert!(
        run.stdout
            .contains(&format!("\n-- up {WORKSHOP}\n{begin}\n{insert}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("'USER_INT'"),
        "values are written inline"
    );
    assert_eq!(
        tables(&db.conn).await,
        Vec::<String>::new(),
        "not even seaql_migrations is created"
    );

    let script = run.stdout.clone();

    let run = work.run(&db.url, App::Workshop, &["up", "--sql", "-n", "1"]);
    run.code(0);
    assert!(run.stdout.contains(&format!("-- up {CORE}\n")));
    assert!(!run.stdout.contains(WORKSHOP), "only the next one");

    // run by hand, the script is `up`: tables, rows and records
    db.conn.execute_unprepared(&script).await.unwrap();
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX, WORKSHOP]);
    assert_eq!(count(&db.conn, "products").await, 3);
    work.run(&db.url, App::Workshop, &["check"]).code(0);
    let run = work.run(&db.url, App::Workshop, &["up"]);
    assert_eq!(run.stdout, "Nothing to apply: the database is up to date\n");
    let before = state(&db.conn).await;

    let run = work.run(&db.url, App::Workshop, &["up", "--sql"]);
    run.code(0);
    assert_eq!(run.stdout, "", "nothing pending, nothing to print");

    let run = work.run(&db.url, App::Workshop, &["down", "--sql"]);
    run.code(0);
    assert!(
        run.stdout
            .contains(&format!("\n-- down {WORKSHOP}\n{begin}\n")),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(CORE), "one by default");
    let delete = match backend {
        Backend::MySql => "DELETE FROM `products` WHERE `name` IN ('User Group', ",
        _ => r#"DELETE FROM "products" WHERE "name" IN ('User Group', "#,
    };
    assert!(run.stdout.contains(delete), "{}", run.stdout);

    let run = work.run(&db.url, App::Workshop, &["down", "--sql", "-n", "3"]);
    run.code(0);
    let down_core = format!("-- down {CORE}\n");
    assert!(run.stdout.contains(&down_core), "{}", run.stdout);
    assert!(
        run.stdout.find(WORKSHOP) < run.stdout.find(&down_core),
        "newest first"
    );
    let drop = match backend {
        Backend::MySql => "DROP TABLE IF EXISTS `products`;",
        _ => r#"DROP TABLE IF EXISTS "products";"#,
    };
    assert!(run.stdout.contains(drop), "{}", run.stdout);
    assert_eq!(state(&db.conn).await, before, "down --sql runs nothing");

    // run by hand, `down --sql` is `down`: the rows and the record go
    let run = work.run(&db.url, App::Workshop, &["down", "--sql"]);
    db.conn.execute_unprepared(&run.stdout).await.unwrap();
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX]);
    assert_eq!(count(&db.conn, "products").await, 0);
    work.run(&db.url, App::Workshop, &["check"]).code(2);
}

/// `history` lists every migration with when it was applied and what it does, `current` the
/// newest applied one, and `down --to` rolls back everything after a migration, refusing one
/// that is not applied with the list of those that are.
async fn history_current_and_down_to(backend: Backend) {
    let work = Workdir::new();
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let run = work.run(&db.url, App::Workshop, &["current"]);
    assert_eq!(run.code(0).stdout, "none (3 pending)\n");
    let run = work.run(&db.url, App::Workshop, &["history"]);
    let pending = format!("{:<31}", "pending");
    assert_eq!(
        run.code(0).stdout,
        format!(
            "{pending}  {CORE}   orch's core schema: orchestrator-core's tables\n\
             {pending}  {INDEX}  orch's core schema: the index of relations by depends_on_id\n\
             {pending}  {WORKSHOP}   add user and usergroup products\n"
        ),
        "without the file, the message is the module's name"
    );
    assert_eq!(
        tables(&db.conn).await,
        Vec::<String>::new(),
        "both only read"
    );

    work.run(&db.url, App::Workshop, &["up"]).code(0);
    let run = work.run(&db.url, App::Workshop, &["current"]);
    let out = &run.code(0).stdout;
    assert!(
        out.starts_with(&format!("{WORKSHOP} (head), applied 20")),
        "{out}"
    );
    assert!(out.ends_with(" UTC\n"), "{out}");
    let run = work.run(&db.url, App::Workshop, &["history"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(
        lines[0].starts_with("applied 20") && lines[0].contains(CORE),
        "{}",
        lines[0]
    );

    let run = work.run(
        &db.url,
        App::Workshop,
        &["down", "--to", "m20990101_000000_nope"],
    );
    assert_eq!(
        run.one_line_error(),
        format!(
            "error: --to m20990101_000000_nope: not an applied migration; applied: {CORE}, {INDEX}, {WORKSHOP}"
        )
    );
    let run = work.run(&db.url, App::Workshop, &["down", "--to", WORKSHOP]);
    assert_eq!(
        run.code(0).stdout,
        format!("Nothing to roll back: {WORKSHOP} is the newest applied migration\n")
    );
    let run = work.run(&db.url, App::Workshop, &["down", "--to", INDEX, "--sql"]);
    assert!(
        run.code(0)
            .stdout
            .contains(&format!("-- down {WORKSHOP}\n"))
    );
    assert!(!run.stdout.contains(&format!("-- down {INDEX}")));
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX, WORKSHOP]);
    let run = work.run(&db.url, App::Workshop, &["down", "--to", INDEX]);
    assert_eq!(run.code(0).stdout, format!("Rolled back {WORKSHOP}\n"));
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX]);
    let run = work.run(&db.url, App::Workshop, &["current"]);
    assert!(
        run.code(0)
            .stdout
            .starts_with(&format!("{INDEX} (1 pending), applied "))
    );
    let run = work.run(&db.url, App::Workshop, &["down", "--to", INDEX, "-n", "2"]);
    run.code(2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

/// `completions` prints a script for the shell, naming the app's binary, without a database.
#[test]
fn completions_need_no_database() {
    let work = Workdir::new();
    let run = work.run(
        "postgres://nobody@127.0.0.1:1/none",
        App::Workshop,
        &["completions", "bash"],
    );
    run.code(0);
    assert!(
        run.stdout.contains("_orch-migrate-test()") || run.stdout.contains("orch__migrate__test"),
        "{}",
        &run.stdout[..200.min(run.stdout.len())]
    );
    assert!(run.stdout.contains("history"), "every command");
    let run = work.run("sqlite://x.db", App::Workshop, &["completions", "nosh"]);
    run.code(2);
    assert!(!work.path().join("x.db").exists());
    let run = work.run("sqlite://x.db", App::Workshop, &["-V"]);
    assert_eq!(
        run.code(0).stdout,
        format!("orch-migrate-test {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// On an orchestrator-core database `up --sql` leaves out the core schema, which `up` records
/// as applied instead of running; then `up` adopts the database and `check` is clean.
#[tokio::test]
async fn an_orchestrator_core_database_is_adopted_by_up() {
    let work = Workdir::new();
    let Some(db) = orchestrator_core_schema().await else {
        return;
    };
    let before = state(&db.conn).await;

    let run = work.run(&db.url, App::Workshop, &["up", "--sql"]);
    run.code(0);
    assert!(
        run.stdout.contains(&format!(
            "\n-- {CORE} is not run: the database has orchestrator-core's tables, so `up` records it as applied\n\
             INSERT INTO \"seaql_migrations\" (\"version\", \"applied_at\") VALUES ('{CORE}', "
        )),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("CREATE TABLE \"products\""),
        "{}",
        run.stdout
    );
    assert_eq!(state(&db.conn).await, before, "up --sql runs nothing");

    // run by hand, the script adopts the database as `up` does
    let script = run.stdout.clone();
    db.conn.execute_unprepared(&script).await.unwrap();
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX, WORKSHOP]);
    work.run(&db.url, App::Workshop, &["check"]).code(0);
}

/// A PostgreSQL database with orchestrator-core's schema as its own migrations leave it.
async fn orchestrator_core_schema() -> Option<TestDb> {
    let db = TestDb::new(Backend::Postgres).await?;
    db.conn
        .execute_unprepared(include_str!("../data/orchestrator-core-schema.sql"))
        .await
        .expect("load data/orchestrator-core-schema.sql");
    Some(db)
}

/// `up` adopts the same database, saying so.
#[tokio::test]
async fn an_orchestrator_core_database_is_adopted_by_up_itself() {
    let work = Workdir::new();
    let Some(db) = orchestrator_core_schema().await else {
        return;
    };
    let run = work.run(&db.url, App::Workshop, &["up"]);
    run.code(0);
    assert_eq!(run.stdout, format!("Applied {INDEX}\nApplied {WORKSHOP}\n"));
    assert!(
        run.stderr
            .contains("Adopted an existing orchestrator-core database"),
        "{}",
        run.stderr
    );
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX, WORKSHOP]);
    work.run(&db.url, App::Workshop, &["check"]).code(0);
}

/// `status` lists applied and pending migrations through `up -n`, `down`, `reset`, `fresh` and
/// `refresh`.
async fn status_follows_up_and_down(backend: Backend) {
    let work = Workdir::new();
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let status = |expected: [&str; 3]| {
        let run = work.run(&db.url, App::Workshop, &["status"]);
        run.code(0);
        assert_eq!(
            run.stdout,
            format!(
                "{:<8} {CORE}\n{:<8} {INDEX}\n{:<8} {WORKSHOP}\n",
                expected[0], expected[1], expected[2]
            )
        );
    };
    status(["pending", "pending", "pending"]);
    assert_eq!(
        tables(&db.conn).await,
        Vec::<String>::new(),
        "status only reads"
    );

    let run = work.run(&db.url, App::Workshop, &["up", "-n", "1"]);
    run.code(0);
    assert_eq!(run.stdout, format!("Applied {CORE}\n"));
    status(["applied", "pending", "pending"]);
    assert_eq!(recorded(&db.conn).await, [CORE]);

    let run = work.run(&db.url, App::Workshop, &["up"]);
    assert_eq!(run.stdout, format!("Applied {INDEX}\nApplied {WORKSHOP}\n"));
    status(["applied", "applied", "applied"]);
    let run = work.run(&db.url, App::Workshop, &["up"]);
    run.code(0);
    assert_eq!(run.stdout, "Nothing to apply: the database is up to date\n");

    let run = work.run(&db.url, App::Workshop, &["down"]);
    run.code(0);
    assert_eq!(run.stdout, format!("Rolled back {WORKSHOP}\n"));
    status(["applied", "applied", "pending"]);
    assert_eq!(count(&db.conn, "products").await, 0);

    let run = work.run(&db.url, App::Workshop, &["reset"]);
    assert!(
        run.one_line_error().contains("pass --yes to confirm"),
        "{}",
        run.stderr
    );
    status(["applied", "applied", "pending"]);
    let run = work.run(&db.url, App::Workshop, &["reset", "--yes"]);
    run.code(0);
    assert_eq!(run.stdout, "Rolled back 2 migration(s)\n");
    status(["pending", "pending", "pending"]);
    assert_eq!(
        tables(&db.conn).await,
        Vec::<String>::new(),
        "reset uninstalls"
    );
    let run = work.run(&db.url, App::Workshop, &["down"]);
    run.code(0);
    assert_eq!(run.stdout, "Nothing to roll back\n");

    // `down` with nothing to roll back left the (empty) migration table
    let run = work.run(&db.url, App::Workshop, &["fresh", "--yes"]);
    run.code(0);
    assert_eq!(
        run.stdout,
        "Dropped 1 table(s) and applied 3 migration(s); other tables were kept\n"
    );
    status(["applied", "applied", "applied"]);
    let run = work.run(&db.url, App::Workshop, &["refresh", "--yes"]);
    run.code(0);
    assert_eq!(run.stdout, "Rolled back 3 and applied 3 migration(s)\n");
    status(["applied", "applied", "applied"]);
    assert_eq!(count(&db.conn, "products").await, 3);
}

/// Two `up` processes started together on a fresh database apply each migration once: one
/// waits for the other's lock, then finds nothing left to do.
async fn two_processes_up_at_once(backend: Backend) {
    let work = Workdir::new();
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let children: Vec<_> = (0..2)
        .map(|_| {
            work.command(Some(&db.url), App::Workshop, &["up"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start orch-migrate-test")
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().unwrap()))
        .collect();
    let mut applied = Vec::new();
    for run in &runs {
        run.code(0);
        for line in run.stdout.lines() {
            match line.strip_prefix("Applied ") {
                Some(name) => applied.push(name.to_owned()),
                None => assert_eq!(line, "Nothing to apply: the database is up to date"),
            }
        }
    }
    applied.sort();
    assert_eq!(
        applied,
        [CORE, INDEX, WORKSHOP],
        "each applied exactly once"
    );
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX, WORKSHOP]);
    assert_eq!(count(&db.conn, "seaql_migrations").await, 3);
    assert_eq!(count(&db.conn, "products").await, 3);
}

tests::per_backend!(
    generate_refuses_a_database_behind_or_ahead,
    check_exit_codes,
    sql_is_printed_not_run,
    history_current_and_down_to,
    status_follows_up_and_down,
    two_processes_up_at_once,
);

// ---------------------------------------------------------------------------------------------
// generate at a terminal

/// `generate` in a pseudo-terminal: the answers file answers the products, the person the
/// rest (an invalid tag is refused and asked again, the fixed input is picked from its enum),
/// and accepts saving; the module is written and the file holds both sets of answers.
#[cfg(unix)]
#[tokio::test]
async fn generate_asks_at_a_terminal_and_saves_the_answers() {
    let work = Workdir::new();
    let Some(db) = core_db(Backend::Sqlite, &work).await else {
        return;
    };
    let answers = work.write(
        "answers.toml",
        r#"[products."User Group"]
description = "user group administration"
tag = "GROUP"

[products."User internal"]
description = "user administration - internal"
tag = "USER_INT"

[products."User external"]
description = "user administration - external"
tag = "USER_EXT"
"#,
    );
    let mut cmd = work.command(
        Some(&db.url),
        App::CoreOnly,
        &[
            "generate",
            "Add users",
            "--answers",
            arg(&answers),
            "--timestamp",
            "20270102030405",
        ],
    );
    cmd.env("TERM", "xterm");
    let answers_path = answers.clone();
    // rexpect blocks: drive it on a thread of its own
    let transcript = tokio::task::spawn_blocking(move || drive_terminal(cmd))
        .await
        .unwrap();

    let module = "m20270102_030405_add_users";
    assert_eq!(
        work.written(),
        vec![format!("{module}.rs"), "mod.rs".into()],
        "{transcript}"
    );
    let source = std::fs::read_to_string(work.migrations().join(format!("{module}.rs"))).unwrap();
    for expected in [
        "description: \"a block of users\"",
        "tag: Some(\"UB\")",
        "value: \"external\",",
        "value: \"internal\",",
        "description: Some(\"user's age\")",
    ] {
        assert!(source.contains(expected), "{expected} in the module");
    }

    // the file now answers everything: generating again from it asks nothing
    let saved = std::fs::read_to_string(&answers_path).unwrap();
    let table: toml::Table = saved.parse().unwrap();
    assert_eq!(
        table["products"]["User Group"]["tag"].as_str(),
        Some("GROUP"),
        "kept"
    );
    assert_eq!(
        table["products"]["User external"]["fixed_inputs"]["affiliation"].as_str(),
        Some("external")
    );
    assert_eq!(
        table["products"]["User internal"]["fixed_inputs"]["affiliation"].as_str(),
        Some("internal")
    );
    assert_eq!(
        table["product_blocks"]["UserBlock"]["tag"].as_str(),
        Some("UB")
    );
    assert_eq!(table["resource_types"]["age"].as_str(), Some("user's age"));
    let registry = orch_core::SUBSCRIPTION_MODEL_REGISTRY.get().unwrap();
    let (_, plan) = tests::pipeline::plan(&db.conn, registry, &saved)
        .await
        .unwrap();
    let at = chrono::NaiveDateTime::parse_from_str("20270102030405", "%Y%m%d%H%M%S")
        .unwrap()
        .and_utc();
    assert_eq!(
        render::migration(&plan, "Add users", at, "orch-migrate-test").source,
        source
    );
}

/// Answers the prompts of `generate` and returns what the terminal showed.
///
/// Keys go out only once their prompt is on the screen (a menu: once its last item is), and
/// each write is flushed: rexpect buffers what `send` writes.
#[cfg(unix)]
fn drive_terminal(cmd: Command) -> String {
    use rexpect::process::wait::WaitStatus;
    use rexpect::session::PtySession;

    struct Terminal {
        p: PtySession,
        shown: String,
    }
    impl Terminal {
        fn expect(&mut self, text: &str) {
            match self.p.exp_string(text) {
                Ok(before) => {
                    self.shown.push_str(&before);
                    self.shown.push_str(text);
                }
                Err(e) => panic!("waiting for {text:?}: {e}\nshown so far:\n{}", self.shown),
            }
        }
        fn keys(&mut self, keys: &str) {
            self.p.send(keys).unwrap();
            self.p.flush().unwrap();
        }
        /// Answers a text prompt.
        fn answer(&mut self, prompt: &str, text: &str) {
            self.expect(prompt);
            self.keys(&format!("{text}\r"));
        }
    }

    let p = rexpect::session::spawn_command(cmd, Some(30_000)).expect("spawn in a pty");
    let mut t = Terminal {
        p,
        shown: String::new(),
    };
    // the fixed inputs, a menu of the enum's values: `j` moves down from "internal"
    t.expect("for product \"User external\" (Affiliation: one of internal, external):");
    t.expect("> internal\r\n  external\r\n");
    t.keys("j");
    t.expect("  internal\r\n> external\r\n");
    t.keys("\r");
    t.expect("for product \"User internal\" (Affiliation: one of internal, external):");
    t.expect("> internal\r\n  external\r\n");
    t.keys("\r");
    t.answer(
        "Description of new product block \"UserBlock\"",
        "a block of users",
    );
    t.answer(
        "Tag of new product block \"UserBlock\"",
        "A_TAG_MUCH_TOO_LONG_FOR_ORCH",
    );
    // refused, and asked again
    t.expect("has 28 characters; at most 20 fit");
    t.answer("Tag of new product block \"UserBlock\"", "UBX");
    for (prompt, text) in [
        (
            "Description of new product block \"UserGroupBlock\"",
            "a group of users",
        ),
        ("Tag of new product block \"UserGroupBlock\"", "UGB"),
        ("Description of new resource type \"age\"", "user's age"),
        ("Description of new resource type \"group_id\"", "group id"),
        (
            "Description of new resource type \"group_name\"",
            "group name",
        ),
        ("Description of new resource type \"user_id\"", "user id"),
        ("Description of new resource type \"username\"", "user name"),
    ] {
        t.answer(prompt, text);
    }
    // the migration is shown before anything is written
    t.expect("The migration m20270102_030405_add_users:");
    t.expect("create products: ");
    t.expect("Upgrade, ");
    t.expect("Downgrade, ");
    t.expect("Write this migration?");
    t.expect("stop without writing");
    // change an answer: the file's six come first, then the terminal's, by key
    t.keys("j");
    t.expect("> change an answer");
    t.keys("\r");
    t.expect("Which answer?");
    t.expect("resource_types.username = \"user name\"");
    t.keys("jjjjjjj");
    t.expect("> product_blocks.UserBlock.tag = \"UBX\"");
    t.keys("\r");
    // asked again; an empty answer says why it is refused
    t.expect("Tag of new product block \"UserBlock\"");
    t.keys("\r");
    t.expect("this question needs an answer");
    t.answer("Tag of new product block \"UserBlock\"", "UB");
    // shown again, without asking the other questions again
    t.expect("Upgrade, ");
    t.expect("Write this migration?");
    t.expect("stop without writing");
    t.keys("\r");
    t.expect("Wrote ");
    t.expect("to generate again without questions?");
    t.keys("y");
    t.expect("Saved answers to ");
    let rest = t.p.exp_eof().unwrap_or_default();
    t.shown.push_str(&rest);
    match t.p.process().wait() {
        Ok(WaitStatus::Exited(_, 0)) => {}
        other => panic!("generate exited with {other:?}:\n{}", t.shown),
    }
    t.shown
}

/// A first `up` that stopped half-way through the core schema (MariaDB commits each table at
/// once; played here by dropping the last tables and the record) makes `up` refuse with a
/// message that names `recover`; `recover` drops the empty tables that run left, and `up` then
/// completes. `recover` refuses a database whose tables hold rows.
async fn a_half_built_core_schema_is_recovered(backend: Backend) {
    let work = Workdir::new();
    let Some(db) = core_db(backend, &work).await else {
        return;
    };
    for t in [
        "processes_subscriptions",
        "processes",
        "subscription_metadata",
    ] {
        db.conn
            .execute_unprepared(&format!("DROP TABLE {t}"))
            .await
            .unwrap();
    }
    db.conn
        .execute_unprepared("DELETE FROM seaql_migrations")
        .await
        .unwrap();
    let run = work.run(&db.url, App::Workshop, &["up"]);
    let line = run.one_line_error();
    assert!(line.contains("without 3 of the 17 core tables"), "{line}");
    assert!(line.contains("run `recover`"), "{line}");

    let run = work.run(&db.url, App::Workshop, &["recover"]);
    run.code(0);
    assert!(
        run.stdout.starts_with("Dropped 14 empty core table(s)"),
        "{}",
        run.stdout
    );
    assert_eq!(tables(&db.conn).await, ["seaql_migrations"]);
    let run = work.run(&db.url, App::Workshop, &["up"]);
    run.code(0);
    assert_eq!(
        run.stdout,
        format!("Applied {CORE}\nApplied {INDEX}\nApplied {WORKSHOP}\n")
    );

    let run = work.run(&db.url, App::Workshop, &["recover"]);
    assert!(
        run.one_line_error().contains("recorded as applied"),
        "{}",
        run.stderr
    );
    // a half-built schema with data in it is not dropped
    db.conn
        .execute_unprepared("DROP TABLE processes_subscriptions")
        .await
        .unwrap();
    db.conn
        .execute_unprepared("DELETE FROM seaql_migrations")
        .await
        .unwrap();
    let run = work.run(&db.url, App::Workshop, &["recover"]);
    let line = run.one_line_error();
    assert!(line.contains("products (3 rows)"), "{line}");
    assert_eq!(count(&db.conn, "products").await, 3);
}

tests::per_backend!(a_half_built_core_schema_is_recovered);

/// While another run holds the migration lock, `down` and `up` wait for it and do nothing; once
/// it is released they run. On SQLite the lock is taken through a symlink to the database file,
/// so that it also shows that two paths to one file share one lock.
async fn a_held_lock_makes_up_and_down_wait(backend: Backend) {
    let work = Workdir::new();
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    work.run(&db.url, App::Workshop, &["up"]).code(0);
    let lock_url = match orch_core::db_url::sqlite_file(&db.url) {
        Some(file) => {
            let link = work.path().join("link.db");
            std::os::unix::fs::symlink(&file, &link).unwrap();
            format!("sqlite://{}", link.display())
        }
        None => db.url.clone(),
    };
    for (args, done) in [
        (["down"], format!("Rolled back {WORKSHOP}\n")),
        (["up"], format!("Applied {WORKSHOP}\n")),
    ] {
        let before = recorded(&db.conn).await;
        let held = orch_migrate::apply::lock(&lock_url, backend.db_backend())
            .await
            .unwrap();
        let mut child = work
            .command(Some(&db.url), App::Workshop, &args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // far longer than the command takes when it need not wait (well under a second)
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(
            child.try_wait().unwrap().is_none(),
            "`{}` waits for the lock",
            args[0]
        );
        assert_eq!(
            recorded(&db.conn).await,
            before,
            "and changes nothing meanwhile"
        );
        held.release().await;
        let output = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        let run = Run::from(output);
        run.code(0);
        assert_eq!(run.stdout, done);
    }
}

tests::per_backend!(a_held_lock_makes_up_and_down_wait);

/// `sqlite://` without a file is refused: it would migrate a private in-memory database, lose
/// it at exit and report success.
#[test]
fn an_sqlite_url_without_a_file_is_refused() {
    let work = Workdir::new();
    for url in ["sqlite://", "sqlite:"] {
        let run = work.run(url, App::Workshop, &["up"]);
        assert_eq!(
            run.one_line_error(),
            format!(
                "error: unsupported database URL `{url}`: it names no file: use sqlite://FILE \
                 (sqlite::memory: for a database that lives only as long as the process)"
            )
        );
    }
}

/// On a database at the models, `generate` prints `Nothing to do`, writes nothing and leaves the
/// database as it was.
#[tokio::test]
async fn a_second_generate_has_nothing_to_do() {
    let work = Workdir::new();
    let Some(db) = TestDb::new(Backend::Sqlite).await else {
        return;
    };
    work.run(&db.url, App::Workshop, &["up"]).code(0);
    let answers = work.write("answers.toml", WORKSHOP_ANSWERS);
    let before = state(&db.conn).await;
    for args in [
        &["generate", "Again", "--answers", arg(&answers)][..],
        &["generate", "Again", "--no-input"][..],
    ] {
        let run = work.run(&db.url, App::Workshop, args);
        run.code(0);
        assert_eq!(run.stdout, "Nothing to do\n");
        assert_eq!(run.stderr, "");
    }
    assert_eq!(work.written(), Vec::<String>::new());
    assert_eq!(state(&db.conn).await, before);
}

/// `fresh`, `refresh` and `reset` drop only the tables orch manages: on a database shared with
/// orchestrator-core (its `engine_settings` and `alembic_version`) and with a user's own table,
/// those keep their rows. Without a terminal they refuse unless given `--yes`, naming the
/// database, and change nothing.
async fn destructive_commands_keep_other_tables(backend: Backend) {
    let work = Workdir::new();
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    work.run(&db.url, App::Workshop, &["up"]).code(0);
    for sql in [
        "CREATE TABLE engine_settings (global_lock BOOLEAN NOT NULL, running_processes INTEGER NOT NULL)",
        "INSERT INTO engine_settings VALUES (false, 0)",
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)",
        "INSERT INTO alembic_version VALUES ('bed6bc0b197a')",
        "CREATE TABLE my_inventory (id INTEGER NOT NULL, name VARCHAR(50))",
        "INSERT INTO my_inventory VALUES (1, 'rack 1')",
    ] {
        db.conn.execute_unprepared(sql).await.unwrap();
    }
    let others = ["alembic_version", "engine_settings", "my_inventory"];
    for command in ["fresh", "refresh", "reset"] {
        let before = state(&db.conn).await;
        let run = work.run(&db.url, App::Workshop, &[command]);
        let line = run.one_line_error();
        assert!(line.contains("pass --yes to confirm"), "{line}");
        assert!(
            line.contains(&orch_core::db_url::mask_password(&db.url)),
            "names the database: {line}"
        );
        assert_eq!(
            state(&db.conn).await,
            before,
            "{command} without --yes changes nothing"
        );
    }
    for command in ["fresh", "refresh", "reset"] {
        work.run(&db.url, App::Workshop, &[command, "--yes"])
            .code(0);
        let tables = tables(&db.conn).await;
        for t in others {
            assert!(
                tables.iter().any(|x| x == t),
                "{command} keeps {t}: {tables:?}"
            );
            assert_eq!(
                count(&db.conn, t).await,
                1,
                "{command} keeps the rows of {t}"
            );
        }
    }
    let mut left = tables(&db.conn).await;
    left.sort();
    assert_eq!(left, others, "reset leaves the other tables only");
}

tests::per_backend!(destructive_commands_keep_other_tables);

// ---------------------------------------------------------------------------------------------
// beside orchestrator-core

/// [`state`] without the migration record (its table and rows): the other tables and the
/// metadata rows.
async fn rows(conn: &sea_orm::DatabaseConnection) -> Value {
    let mut s = state(conn).await;
    s["recorded"] = Value::Null;
    if let Some(tables) = s["tables"].as_array_mut() {
        tables.retain(|t| t != "seaql_migrations");
    }
    s
}

/// A real orchestrator-core 5.5.0 database after the workshop (its products made long ago by
/// `migrate-domain-models`): `up` adopts the core schema and records the workshop's migration as
/// already present instead of failing on `products_name_key`; `check` is clean and `generate`
/// has nothing to do. Nothing of orchestrator-core's is changed.
#[tokio::test]
async fn an_orchestrator_core_database_with_its_products_is_adopted() {
    let work = Workdir::new();
    let Some(db) = TestDb::orchestrator_core_workshop().await else {
        return;
    };
    let before = rows(&db.conn).await;
    let run = work.run(&db.url, App::Workshop, &["up"]);
    run.code(0);
    assert_eq!(
        run.stdout,
        format!("Applied {INDEX}\nRecorded {WORKSHOP}: already present in the database\n")
    );
    assert!(
        run.stderr
            .contains("Adopted an existing orchestrator-core database"),
        "{}",
        run.stderr
    );
    assert_eq!(
        rows(&db.conn).await,
        before,
        "no row of orchestrator-core's changed"
    );
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX, WORKSHOP]);
    assert_eq!(count(&db.conn, "engine_settings").await, 1);
    assert_eq!(count(&db.conn, "workflows").await, 7);

    work.run(&db.url, App::Workshop, &["check"]).code(0);
    let answers = work.write("answers.toml", WORKSHOP_ANSWERS);
    let run = work.run(
        &db.url,
        App::Workshop,
        &["generate", "x", "--answers", arg(&answers)],
    );
    run.code(0);
    assert_eq!(run.stdout, "Nothing to do\n");
    let run = work.run(&db.url, App::Workshop, &["up"]);
    assert_eq!(run.stdout, "Nothing to apply: the database is up to date\n");
}

/// The same database with a product's tag changed and a resource type unlinked: `up` writes
/// nothing and lists both differences by row; `stamp` refuses the same way, `stamp --force`
/// records it, and `unstamp` takes the record back (only the newest).
#[tokio::test]
async fn a_database_with_part_of_a_migration_is_refused_listing_every_difference() {
    let work = Workdir::new();
    let Some(db) = TestDb::orchestrator_core_workshop().await else {
        return;
    };
    for sql in [
        "UPDATE products SET tag = 'USER_INTERNAL' WHERE name = 'User internal'",
        "DELETE FROM product_block_resource_types WHERE resource_type_id = \
         (SELECT resource_type_id FROM resource_types WHERE resource_type = 'age')",
    ] {
        db.conn.execute_unprepared(sql).await.unwrap();
    }
    let before = rows(&db.conn).await;
    let differences = [
        r#"  - product "User internal": tag is "USER_INTERNAL", the migration has "USER_INT""#,
        r#"  - missing: link resource type "age" to block "UserBlock""#,
    ];
    let run = work.run(&db.url, App::Workshop, &["up"]);
    run.code(1);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines[1..],
        [
            format!(
                "error: {WORKSHOP}: the database holds part of what it makes, or something that \
                 contradicts it, so nothing was written:"
            )
            .as_str(),
            differences[0],
            differences[1],
            &format!(
                "Make the database match the migration, or record it as applied as it is with \
                 `stamp {WORKSHOP} --force`"
            ),
        ],
        "{}",
        run.stderr
    );
    assert_eq!(rows(&db.conn).await, before);
    assert_eq!(
        recorded(&db.conn).await,
        [CORE, INDEX],
        "the core schema was adopted, orch's index added"
    );

    let run = work.run(&db.url, App::Workshop, &["stamp", WORKSHOP]);
    run.code(1);
    assert!(
        run.stderr.contains(differences[0]) && run.stderr.contains(differences[1]),
        "{}",
        run.stderr
    );
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX]);

    let run = work.run(&db.url, App::Workshop, &["stamp", WORKSHOP, "--force"]);
    run.code(0);
    assert_eq!(
        run.stdout,
        format!("Recorded {WORKSHOP} as applied; nothing was run\n")
    );
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX, WORKSHOP]);
    assert_eq!(rows(&db.conn).await, before);

    let run = work.run(&db.url, App::Workshop, &["unstamp", CORE]);
    assert!(
        run.one_line_error()
            .contains("not the newest recorded migration"),
        "{}",
        run.stderr
    );
    let run = work.run(&db.url, App::Workshop, &["unstamp", WORKSHOP]);
    run.code(0);
    assert_eq!(recorded(&db.conn).await, [CORE, INDEX]);
    assert_eq!(rows(&db.conn).await, before, "nothing rolled back");
}

/// On every backend: the workshop's products made without orch's record of them (as by another
/// tool) are recorded, not made again; `stamp` of a migration with nothing in the database is
/// refused.
async fn a_migration_already_present_is_recorded(backend: Backend) {
    let work = Workdir::new();
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    work.run(&db.url, App::Workshop, &["up"]).code(0);
    db.conn
        .execute_unprepared(&format!(
            "DELETE FROM seaql_migrations WHERE version = '{WORKSHOP}'"
        ))
        .await
        .unwrap();
    let before = rows(&db.conn).await;
    let run = work.run(&db.url, App::Workshop, &["up"]);
    run.code(0);
    assert_eq!(
        run.stdout,
        format!("Recorded {WORKSHOP}: already present in the database\n")
    );
    assert_eq!(rows(&db.conn).await, before);

    let run = work.run(&db.url, App::Workshop, &["down"]);
    run.code(0);
    let run = work.run(&db.url, App::Workshop, &["stamp", WORKSHOP]);
    run.code(1);
    assert!(
        run.stderr
            .contains("none of what it makes is in the database"),
        "{}",
        run.stderr
    );
    let run = work.run(&db.url, App::Workshop, &["up"]);
    assert_eq!(run.stdout, format!("Applied {WORKSHOP}\n"));
}

tests::per_backend!(a_migration_already_present_is_recorded);

/// Adoption verifies, never assumes: orchestrator-core's database without one of the indexes
/// orch's core schema makes is refused before anything is written, naming the index and what to
/// do; `stamp --force` is the way to take it as it is.
#[tokio::test]
async fn an_orchestrator_core_database_without_an_index_is_not_adopted() {
    let work = Workdir::new();
    let Some(db) = TestDb::orchestrator_core_workshop().await else {
        return;
    };
    db.conn
        .execute_unprepared("DROP INDEX ix_subscription_instance_values_resource_type_id")
        .await
        .unwrap();
    let before = state(&db.conn).await;
    let run = work.run(&db.url, App::Workshop, &["up"]);
    run.code(1);
    assert!(
        run.stderr.starts_with(
            "error: this orchestrator-core database lacks part of the core schema: 1 definition(s) \
             of the core schema (listed below)."
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "\n  - index subscription_instance_values.ix_subscription_instance_values_resource_type_id: \
             CREATE INDEX ix_subscription_instance_values_resource_type_id ON \
             subscription_instance_values USING btree (resource_type_id)"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(
        state(&db.conn).await,
        before,
        "nothing written, not even the record table"
    );
    let run = work.run(&db.url, App::Workshop, &["stamp", CORE]);
    run.code(1);
    let run = work.run(&db.url, App::Workshop, &["stamp", CORE, "--force"]);
    run.code(0);
    let run = work.run(&db.url, App::Workshop, &["up"]);
    run.code(0);
    assert_eq!(
        run.stdout,
        format!("Applied {INDEX}\nRecorded {WORKSHOP}: already present in the database\n")
    );
}

/// `complete` creates what orchestrator-core's database lacks of the core schema (a foreign key,
/// an index, a version trigger), all in one transaction, so that `up` adopts it; a column that
/// differs is left to a person, with the list.
#[tokio::test]
async fn complete_creates_missing_definitions_but_not_columns() {
    let work = Workdir::new();
    let Some(db) = TestDb::orchestrator_core_workshop().await else {
        return;
    };
    for sql in [
        "ALTER TABLE fixed_inputs DROP CONSTRAINT fixed_inputs_product_id_fkey",
        "DROP INDEX ix_subscription_instance_values_resource_type_id",
        "DROP TRIGGER subscriptions_increment_version_trigger ON subscriptions",
    ] {
        db.conn.execute_unprepared(sql).await.unwrap();
    }
    let run = work.run(&db.url, App::Workshop, &["up"]);
    run.code(1);
    assert!(
        run.stderr
            .contains("create what is missing with `complete`"),
        "{}",
        run.stderr
    );
    let run = work.run(&db.url, App::Workshop, &["complete"]);
    run.code(0);
    assert_eq!(
        run.stdout,
        "ALTER TABLE fixed_inputs ADD CONSTRAINT fixed_inputs_product_id_fkey FOREIGN KEY (product_id) \
         REFERENCES products(product_id) ON DELETE CASCADE\n\
         CREATE INDEX ix_subscription_instance_values_resource_type_id ON subscription_instance_values \
         USING btree (resource_type_id)\n\
         CREATE TRIGGER subscriptions_increment_version_trigger BEFORE UPDATE ON subscriptions FOR EACH \
         ROW EXECUTE FUNCTION increment_version()\n"
    );
    let run = work.run(&db.url, App::Workshop, &["complete"]);
    assert_eq!(
        run.stdout,
        "Nothing to complete: the core schema has every definition\n"
    );
    work.run(&db.url, App::Workshop, &["up"]).code(0);
    work.run(&db.url, App::Workshop, &["check"]).code(0);

    let Some(other) = TestDb::orchestrator_core_workshop().await else {
        return;
    };
    other
        .conn
        .execute_unprepared("ALTER TABLE subscription_metadata ALTER COLUMN metadata DROP NOT NULL")
        .await
        .unwrap();
    let run = work.run(&other.url, App::Workshop, &["complete"]);
    run.code(1);
    assert!(
        run.stderr
            .contains("\n  - column subscription_metadata.metadata: jsonb NOT NULL"),
        "{}",
        run.stderr
    );
}

/// The binary and the migrations directory must agree before anything reads or changes which
/// migrations are applied: a migration file the binary was built without (generated or pulled,
/// not compiled yet) and one deleted while the binary still has it each stop `up`, `down`,
/// `status` and `generate` with "rebuild", changing nothing; `check` reports both (exit 2).
#[tokio::test]
async fn a_binary_built_from_another_directory_says_rebuild() {
    let work = Workdir::new();
    let Some(db) = TestDb::new(Backend::Sqlite).await else {
        return;
    };
    work.run(&db.url, App::Workshop, &["up"]).code(0);
    let before = state(&db.conn).await;
    std::fs::create_dir_all(work.migrations()).unwrap();
    let new = "m20990101_000000_pulled_from_a_branch";
    std::fs::write(work.migrations().join(format!("{new}.rs")), "").unwrap();
    let unbuilt = format!(
        "error: the migrations directory has {new} which this binary was built without: \
         rebuild orch-migrate-test (cargo build) and run it again"
    );
    for args in [
        &["up"][..],
        &["down"][..],
        &["status"][..],
        &["generate", "x", "--no-input"][..],
    ] {
        let run = work.run(&db.url, App::Workshop, args);
        assert_eq!(run.one_line_error(), unbuilt, "{args:?}");
    }
    let run = work.run(&db.url, App::Workshop, &["check", "--format", "json"]);
    run.code(2);
    assert_eq!(json(&run)["unbuilt_migrations"], serde_json::json!([new]));

    // the file goes; mod.rs lists the directory, so the binary's own migration must be there
    std::fs::remove_file(work.migrations().join(format!("{new}.rs"))).unwrap();
    std::fs::write(work.migrations().join("mod.rs"), render::MOD_RS).unwrap();
    let run = work.run(&db.url, App::Workshop, &["down"]);
    assert_eq!(
        run.one_line_error(),
        format!(
            "error: this binary has {WORKSHOP} whose file is gone from the migrations \
             directory: rebuild orch-migrate-test (cargo build) and run it again"
        )
    );
    let run = work.run(&db.url, App::Workshop, &["check"]);
    run.code(2);
    assert!(
        run.stdout
            .contains(&format!("whose file is gone (rebuild it): {WORKSHOP}")),
        "{}",
        run.stdout
    );
    assert_eq!(state(&db.conn).await, before, "nothing changed");
}

/// `serve` is part of every app's binary: it serves the app's own products (its registry is
/// the binary's), and names the binary in its messages when the database is missing.
#[tokio::test]
async fn the_app_binary_serves_its_products() {
    use std::io::{BufRead, Read, Write};
    let work = Workdir::new();
    let run = work.run("sqlite://missing.db", App::Workshop, &["serve"]);
    assert_eq!(
        run.one_line_error(),
        format!("error: no database file missing.db; create it with `orch-migrate-test up`")
    );
    assert!(!work.path().join("missing.db").exists());

    let Some(db) = TestDb::new(Backend::Sqlite).await else {
        return;
    };
    work.run(&db.url, App::Workshop, &["up"]).code(0);
    let mut child = work
        .command(
            Some(&db.url),
            App::Workshop,
            &["serve", "--bind", "127.0.0.1:0"],
        )
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut addr = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(url) = line.trim().strip_prefix("products API    http://") {
            addr = Some(url.trim_end_matches("/api/products/").to_owned());
            break;
        }
    }
    // keep reading: a closed pipe would stop the server at its next line
    let drain = std::thread::spawn(move || lines.count());
    let addr = addr.expect("serve prints its address");
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "GET /api/products/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    child.kill().ok();
    child.wait().ok();
    drain.join().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = &response[response.find("\r\n\r\n").unwrap() + 4..];
    let products: Value = serde_json::from_str(body).unwrap();
    let mut names: Vec<&str> = products
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["User Group", "User external", "User internal"]);
}

/// `generate --dry-run` shows the migration (changes, steps, and with `--sql` their statements
/// on the database's backend) and writes nothing: no module, no mod.rs, no database change.
#[tokio::test]
async fn generate_dry_run_shows_and_writes_nothing() {
    let work = Workdir::new();
    let Some(db) = core_db(Backend::Postgres, &work).await else {
        return;
    };
    let answers = work.write("answers.toml", WORKSHOP_ANSWERS);
    let before = state(&db.conn).await;
    let run = work.run(
        &db.url,
        App::CoreOnly,
        &[
            "generate",
            "Add users",
            "--answers",
            arg(&answers),
            "--timestamp",
            "20270102030405",
            "--dry-run",
            "--sql",
        ],
    );
    run.code(0);
    assert_eq!(
        run.stdout,
        format!(
            "Dry run: {}/m20270102_030405_add_users.rs was not written\n",
            work.migrations().display()
        )
    );
    for shown in [
        "The migration m20270102_030405_add_users:",
        "create products: \"User Group\", \"User external\", \"User internal\"",
        "Upgrade, ",
        "1. create product \"User Group\"",
        "INSERT INTO \"products\"",
        "gen_random_uuid()",
        "Downgrade, ",
    ] {
        assert!(run.stderr.contains(shown), "{shown}:\n{}", run.stderr);
    }
    assert_eq!(work.written(), Vec::<String>::new());
    assert_eq!(state(&db.conn).await, before);
}
