//! The PHP client (clients/php) in a minimal Laravel application against the
//! real functions: record and summary under `cargo lambda watch`, DynamoDB
//! Local behind the fault proxy (whose outage switch the PHP tests flip). Runs
//! the whole PHPUnit suite (Debian's PHPUnit, installed by `scripts/test`) and
//! fails unless every test ran and passed.

use crate::support::fault_proxy::{FaultPlan, FaultProxy};
use crate::support::{TestTable, Watcher, dynamodb_endpoint};
use std::path::PathBuf;
use std::process::Command;
use tokio::task::block_in_place;

fn client_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../clients/php")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_php_client_against_the_functions() {
    let phpunit = std::env::var("PHPUNIT").unwrap_or_else(|_| {
        panic!("PHPUNIT is not set: run the PHP suite with scripts/test or scripts/test-php, which install it")
    });
    let table = TestTable::create().await;
    let proxy = FaultProxy::start(&dynamodb_endpoint(), FaultPlan::default());
    let mut watcher = Watcher::start(&proxy.endpoint, &table.name, 90);
    // Start both functions before PHP's bounded calls reach them.
    let warm = block_in_place(|| watcher.invoke("record", "{}"));
    assert_eq!(warm.status, 200, "{}", warm.body);
    let warm = block_in_place(|| watcher.request("GET", "summary", "/summary?window=24h"));
    assert_eq!(warm.status, 200, "{}", warm.body);

    let endpoint = watcher.invoke_endpoint();
    let output = block_in_place(|| {
        Command::new(&phpunit)
            .current_dir(client_dir())
            .args([
                "--configuration",
                "phpunit.xml.dist",
                "--do-not-cache-result",
            ])
            .env("ADOPTION_LEDGER_LAMBDA_ENDPOINT", &endpoint)
            .env(
                "ADOPTION_LEDGER_SUMMARY_URL",
                format!("{endpoint}/lambda-url/summary"),
            )
            .env("ADOPTION_LEDGER_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("LEDGER_TEST_DYNAMODB", dynamodb_endpoint())
            .env("LEDGER_TEST_TABLE", &table.name)
            .env("LEDGER_TEST_FAULT_PROXY", &proxy.endpoint)
            .output()
    })
    .expect("run phpunit");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{text}");
    assert!(output.status.success(), "the PHP suite failed:\n{text}");
    // PHPUnit's closing line: every test ran, none skipped or incomplete.
    let closing = text
        .lines()
        .find(|l| l.starts_with("OK ("))
        .unwrap_or_else(|| panic!("no PHPUnit closing line:\n{text}"));
    let tests: u32 = closing
        .trim_start_matches("OK (")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(tests >= 34, "only {tests} PHP tests ran: {closing}");
}
