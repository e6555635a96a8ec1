//! The adoption widget in a real browser: the demo page (scripts/lib/demo_server.py)
//! over the summary function under `cargo lambda watch`, with the demo milestones
//! recorded through record, driven by web/test/widget.test.mjs in headless
//! Chromium (playwright-core; both installed by `scripts/test`).

use crate::support::served::{Served, free_port};
use crate::support::{TestTable, Watcher, dynamodb_endpoint};
use std::path::PathBuf;
use std::process::Command;
use tokio::task::block_in_place;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the browser tests with scripts/test, which installs Chromium and playwright-core")
    })
}

/// The demo page server.
fn demo_server(summary_url: &str) -> Served {
    let port = free_port();
    let mut command = Command::new("python3");
    command
        .arg(repo().join("scripts/lib/demo_server.py"))
        .args(["--port", &port.to_string(), "--summary-url", summary_url]);
    Served::start(command, port, "the demo server")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_shows_the_summary_in_a_real_browser() {
    let chromium = required_env("CHROMIUM");
    let playwright = required_env("PLAYWRIGHT_CORE");
    let table = TestTable::create().await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);

    // Two weeks of the demo history scripts/dev records (90 days there),
    // through record: every family, trends to draw.
    let demo = devkit::demo::history(chrono::Utc::now(), 14);
    assert!(demo.len() > 100, "a history, not a handful: {}", demo.len());
    for payload in &demo {
        let reply = block_in_place(|| watcher.invoke("record", &payload.to_string())).json();
        assert_eq!(reply["status"], "recorded", "{payload}");
    }
    // Warm the summary function (its first call starts the process).
    let warm = block_in_place(|| watcher.request("GET", "summary", "/summary?window=7d"));
    assert_eq!(warm.status, 200, "{}", warm.body);

    let server = demo_server(&format!("{}/lambda-url/summary", watcher.invoke_endpoint()));
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("target"));
    let screenshots = target.join("widget-screenshots");
    std::fs::create_dir_all(&screenshots).expect("screenshot dir");
    let mut command = Command::new("node");
    command
        .arg(repo().join("web/test/widget.test.mjs"))
        .env("PAGE_URL", &server.url)
        .env("PLAYWRIGHT_CORE", &playwright)
        .env("CHROMIUM", &chromium)
        .env("SCREENSHOT_DIR", &screenshots);
    // The README's screenshot, regenerated on request: UPDATE_SCREENSHOT=1 scripts/test widget
    if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
        command.env("DOCS_SCREENSHOT", repo().join("docs/widget.png"));
    }
    let output = block_in_place(|| command.output()).expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{text}");
    assert!(output.status.success(), "browser tests failed:\n{text}");
    assert!(text.contains("all browser tests passed"), "{text}");
    for window in ["24h", "7d", "30d", "90d"] {
        assert!(
            screenshots.join(format!("widget-{window}.png")).is_file(),
            "screenshot of {window}"
        );
    }
}
