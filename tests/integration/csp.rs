//! The package's Blade component under a strict Content-Security-Policy, on
//! both tested Laravels: each root serves a host page
//! (clients/php/tests/Browser/server.php, PHP's built-in server, chrooted)
//! with `script-src 'nonce-…'` and the nonce handed to `Vite::useCspNonce()`,
//! over the summary function under `cargo lambda watch`; web/test/csp.test.mjs
//! checks in headless Chromium that the widget shows its cards with no
//! violation, and that the same page without the nonce is refused.

use crate::php::Root;
use crate::support::served::{Served, free_port};
use crate::support::{TestTable, Watcher, dynamodb_endpoint};
use std::path::PathBuf;
use std::process::Command;
use tokio::task::block_in_place;

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the browser tests with scripts/test, which installs Chromium and playwright-core")
    })
}

/// PHP's built-in server in a root (chroot execs env, which execs php: one
/// process to stop).
fn php_server(root: &Root, summary_url: &str) -> Served {
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let mut command = root.command("php", &["-S", &address, "tests/Browser/server.php"]);
    command
        .env("ADOPTION_LEDGER_SUMMARY_URL", summary_url)
        .env("ADOPTION_LEDGER_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local");
    Served::start(command, port, &format!("php -S in {}", root.suite))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_component_runs_under_a_strict_csp_with_vites_nonce_on_both_laravels() {
    let chromium = required_env("CHROMIUM");
    let playwright = required_env("PLAYWRIGHT_CORE");
    let table = TestTable::create().await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    for payload in devkit::demo::history(chrono::Utc::now(), 2) {
        let reply = block_in_place(|| watcher.invoke("record", &payload.to_string())).json();
        assert_eq!(reply["status"], "recorded", "{payload}");
    }
    let warm = block_in_place(|| watcher.request("GET", "summary", "/summary?window=7d"));
    assert_eq!(warm.status, 200, "{}", warm.body);
    let summary_url = format!("{}/lambda-url/summary", watcher.invoke_endpoint());

    let roots = Root::all();
    assert_eq!(roots.len(), 2, "both tested Laravels");
    for root in roots {
        let root = root.with_workdir("/srv/adoption-ledger-csp");
        root.prepare();
        let server = php_server(&root, &summary_url);
        let output = block_in_place(|| {
            Command::new("node")
                .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web/test/csp.test.mjs"))
                .env("PAGE_URL", &server.url)
                .env("LABEL", &root.suite)
                .env("PLAYWRIGHT_CORE", &playwright)
                .env("CHROMIUM", &chromium)
                .output()
        })
        .expect("run node");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        println!("{text}");
        assert!(
            output.status.success(),
            "CSP browser tests failed on {}:\n{text}",
            root.suite
        );
        assert!(text.contains("all CSP browser tests passed"), "{text}");
    }
}
