//! The metadata pages in a real browser: headless Chromium, driven through ChromeDriver
//! (WebDriver, with `fantoccini`), loads `/metadata/products` from the router served on a free
//! loopback port, and a person's interactions are replayed: the products and their tags are
//! shown, typing into the filter box narrows the list, a block link leads to the block's row.
//! Screenshots at 1280x800 are saved under `<target>/test-output/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`/usr/bin/chromium`,
//! `/usr/bin/chromedriver`; other paths with `ORCH_CHROMIUM` and `ORCH_CHROMEDRIVER`). Without
//! them the test skips with a message, except under `CI=true`, where it fails (`.ci/run`
//! installs them).

#![allow(missing_docs)]

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tests::{Backend, TestDb, is_ci};
use workshop as _;

/// Chromium and ChromeDriver, or `None` (skip) when one is missing outside CI.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let find = |var: &str, default: &str| {
        PathBuf::from(std::env::var(var).unwrap_or_else(|_| default.to_owned()))
    };
    let chromium = find("ORCH_CHROMIUM", "/usr/bin/chromium");
    let driver = find("ORCH_CHROMEDRIVER", "/usr/bin/chromedriver");
    let missing: Vec<String> = [&chromium, &driver]
        .into_iter()
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        return Some((chromium, driver));
    }
    let msg = format!(
        "browser test needs {} (Debian: apt-get install chromium chromium-driver)",
        missing.join(" and ")
    );
    if is_ci() {
        panic!("{msg}; CI is set, so a missing browser fails the run");
    }
    tests::skip(&msg);
    None
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// ChromeDriver on a free port, in a process group of its own, which is killed (ChromeDriver
/// and the browsers it started) when dropped, also when the test panics.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(path: &Path) -> Driver {
        let port = free_port();
        let mut command = Command::new(path);
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let driver = Driver { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "ChromeDriver did not listen on port {port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // the group's id is ChromeDriver's pid; a browser left by a failed session goes too
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where screenshots go: `<target>/test-output/`.
fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("test-output");
    std::fs::create_dir_all(&dir).expect("create the test output directory");
    dir
}

/// Width and height of a PNG, from its header.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let word = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

/// The rows of the table as (text, displayed), in page order.
async fn rows(client: &Client) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let rows: Vec<Element> = client
        .find_all(Locator::Css("#items tbody tr"))
        .await
        .expect("rows");
    for row in rows {
        let shown = row.is_displayed().await.expect("displayed");
        // the text of a hidden element is empty in WebDriver; read the DOM's instead
        let text = row
            .prop("textContent")
            .await
            .expect("text")
            .unwrap_or_default();
        out.push((text, shown));
    }
    out
}

/// The names of the displayed product rows.
async fn visible_names(client: &Client) -> Vec<String> {
    let mut names = Vec::new();
    for row in client
        .find_all(Locator::Css("#items tbody tr"))
        .await
        .unwrap()
    {
        if row.is_displayed().await.unwrap() {
            names.push(
                row.find(Locator::Css(".name"))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap(),
            );
        }
    }
    names
}

/// Types `text` into the filter box (after clearing it) and returns the displayed names.
async fn filter(client: &Client, text: &str) -> Vec<String> {
    let input = client.find(Locator::Id("filter")).await.unwrap();
    input.clear().await.unwrap();
    // clearing fires no input event; an empty key press does not either: type and erase a space
    input.send_keys(" \u{E003}").await.unwrap();
    if !text.is_empty() {
        input.send_keys(text).await.unwrap();
    }
    visible_names(client).await
}

async fn shown(client: &Client) -> String {
    client
        .find(Locator::Id("shown"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let png = client.screenshot().await.expect("screenshot");
    assert_eq!(png_size(&png), (1280, 800), "the viewport is 1280x800");
    let path = output_dir().join(name);
    std::fs::write(&path, &png).expect("write the screenshot");
    eprintln!("screenshot: {}", path.display());
    path
}

#[tokio::test]
async fn the_products_page_filters_in_a_real_browser() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };

    // the workshop's database, served on a free loopback port
    let db = TestDb::migrated(Backend::Sqlite, workshop::migrations::migrations)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let app = orch_core::api::router(db.conn.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let driver = Driver::start(&chromedriver);
    let profile = tempfile::tempdir().unwrap();
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-quic",
                "--no-first-run",
                "--disable-sync",
                "--hide-scrollbars",
                "--window-size=1280,800",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        },
    });
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities.as_object().unwrap().clone())
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session with headless Chromium");

    // the steps run in a task of their own, so that the session is closed even when one fails
    let steps = tokio::spawn(steps(client.clone(), addr));
    let outcome = tokio::time::timeout(Duration::from_secs(120), steps).await;
    let _ = client.close().await;
    drop(driver);
    server.abort();
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(failed)) => std::panic::resume_unwind(failed.into_panic()),
        Err(_) => panic!("the browser steps did not finish within two minutes"),
    }
}

/// What a person does on the pages, and what they see.
async fn steps(client: Client, addr: SocketAddr) {
    client
        .goto(&format!("http://{addr}/metadata/products"))
        .await
        .unwrap();
    assert_eq!(client.title().await.unwrap(), "Products · orch metadata");
    // make the viewport (not the window around it) 1280x800
    let frame = client
        .execute(
            "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight]",
            vec![],
        )
        .await
        .unwrap();
    let extra = |i: usize| u32::try_from(frame[i].as_u64().unwrap()).unwrap();
    client
        .set_window_size(1280 + extra(0), 800 + extra(1))
        .await
        .unwrap();
    // the viewport is what a 1280x800 screen shows, and nothing overflows it sideways
    let size = client
        .execute(
            "return [window.innerWidth, window.innerHeight, document.documentElement.scrollWidth]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        size,
        json!([1280, 800, 1280]),
        "inner width, height, scroll width"
    );

    // the three products, with their tags, all displayed
    let all = rows(&client).await;
    assert_eq!(all.len(), 3);
    for (name, tag) in [
        ("User Group", "GROUP"),
        ("User external", "USER_EXT"),
        ("User internal", "USER_INT"),
    ] {
        let (text, displayed) = all
            .iter()
            .find(|(text, _)| text.contains(name))
            .unwrap_or_else(|| panic!("a row for {name}: {all:?}"));
        assert!(text.contains(tag), "{name} shows {tag}: {text}");
        assert!(displayed, "{name} is displayed");
    }
    assert_eq!(
        visible_names(&client).await,
        ["User Group", "User external", "User internal"]
    );
    assert_eq!(shown(&client).await, "3 products");
    screenshot(&client, "metadata-products.png").await;

    // typing narrows the list
    assert_eq!(filter(&client, "EXT").await, ["User external"]);
    assert_eq!(shown(&client).await, "1 of 3 products");
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .ends_with("?q=EXT"),
        "the filter is kept in the address"
    );
    screenshot(&client, "metadata-products-filtered.png").await;
    // several words must all match, in any field: type and fixed input value
    assert_eq!(filter(&client, "user internal").await, ["User internal"]);
    assert_eq!(
        filter(&client, "userblock").await,
        ["User external", "User internal"]
    );
    assert_eq!(filter(&client, "zzz").await, Vec::<String>::new());
    let no_match = client.find(Locator::Id("no-match")).await.unwrap();
    assert!(no_match.is_displayed().await.unwrap());
    assert_eq!(filter(&client, "").await.len(), 3);
    assert!(!no_match.is_displayed().await.unwrap());

    // a reload keeps the filter
    client
        .goto(&format!("http://{addr}/metadata/products?q=group"))
        .await
        .unwrap();
    assert_eq!(visible_names(&client).await, ["User Group"]);

    // a block link leads to the block's row on the blocks page
    client
        .find(Locator::LinkText("UserGroupBlock"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let url = client.current_url().await.unwrap();
    assert_eq!(url.path(), "/metadata/product_blocks");
    let target = url.fragment().expect("a fragment").to_owned();
    let row = client.find(Locator::Id(&target)).await.unwrap();
    let text = row.text().await.unwrap();
    assert!(
        text.contains("UserGroupBlock") && text.contains("group_name"),
        "{text}"
    );
    assert_eq!(
        client.title().await.unwrap(),
        "Product blocks · orch metadata"
    );
    screenshot(&client, "metadata-product-blocks.png").await;
}
