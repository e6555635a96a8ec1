//! The PHP client (clients/php) in a minimal Laravel application against the
//! real functions: record, purge and summary under `cargo lambda watch`,
//! DynamoDB Local behind the fault proxy (whose outage switch the PHP tests
//! flip). Runs the whole PHPUnit suite on both Laravels the package is
//! tested on: the host's (Debian 12: PHP 8.2, Laravel 8.83, PHPUnit 9.6) and
//! a Debian 13 root's (PHP 8.4, Laravel 10.48, PHPUnit 11.5; built by
//! `scripts/test` into `.tools/trixie` and run with chroot), each on a table
//! and watcher of its own, and fails unless every test ran and passed on
//! both. The versions each run used are read from it, and the package's
//! README must name them.

use crate::support::fault_proxy::{FaultPlan, FaultProxy};
use crate::support::{TestTable, Watcher, dynamodb_endpoint};
use std::path::{Path, PathBuf};
use std::process::Command;
use tokio::task::block_in_place;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where one PHP runs: the host, or a root it is chrooted into.
#[derive(Debug, Clone)]
enum Php {
    Host { phpunit: String },
    Root { root: PathBuf },
}

/// The repository files the suite reads (the package, and the docs its
/// snippet test compares), as the root sees them.
const IN_ROOT: &str = "/srv/adoption-ledger";

impl Php {
    fn label(&self) -> &'static str {
        match self {
            Php::Host { .. } => "Debian 12 (host)",
            Php::Root { .. } => "Debian 13 (.tools/trixie)",
        }
    }

    /// A command in the package's folder: on the host, or in the root after
    /// a fresh copy of the files the suite reads.
    fn command(&self, program: &str, args: &[&str]) -> Command {
        match self {
            Php::Host { .. } => {
                let mut command = Command::new(program);
                command
                    .args(args)
                    .current_dir(repo_root().join("clients/php"));
                command
            }
            Php::Root { root } => {
                // No shell: `env -C` changes into the package's folder inside the root.
                let mut command = Command::new("chroot");
                command
                    .arg(root)
                    .args([
                        "/usr/bin/env",
                        "-C",
                        &format!("{IN_ROOT}/clients/php"),
                        program,
                    ])
                    .args(args);
                command
            }
        }
    }

    /// Copies README.md, docs/ and clients/php into the root, afresh.
    fn prepare(&self) {
        let Php::Root { root } = self else { return };
        let target = root.join(IN_ROOT.trim_start_matches('/'));
        let _ = std::fs::remove_dir_all(&target);
        std::fs::create_dir_all(target.join("clients")).expect("create the copy's folders");
        for (from, to) in [
            ("README.md", "README.md"),
            ("docs", "docs"),
            ("clients/php", "clients/php"),
        ] {
            let status = Command::new("cp")
                .arg("-a")
                .arg(repo_root().join(from))
                .arg(target.join(to))
                .status()
                .expect("run cp");
            assert!(status.success(), "copy {from} into {}", target.display());
        }
    }

    fn phpunit(&self) -> &str {
        match self {
            Php::Host { phpunit } => phpunit,
            Php::Root { .. } => "phpunit",
        }
    }

    /// "PHP x, Laravel y, PHPUnit z", read from this PHP.
    fn versions(&self) -> String {
        let probe = "require 'Illuminate/autoload.php'; echo 'PHP ', PHP_VERSION, ', Laravel ', Illuminate\\Foundation\\Application::VERSION;";
        let output = self
            .command("php", &["-r", probe])
            .output()
            .expect("run php");
        assert!(output.status.success(), "{}: {output:?}", self.label());
        let php_laravel = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let output = self
            .command(self.phpunit(), &["--version"])
            .output()
            .expect("run phpunit --version");
        let text = String::from_utf8_lossy(&output.stdout);
        let phpunit = text
            .split_whitespace()
            .skip_while(|word| *word != "PHPUnit")
            .nth(1)
            .unwrap_or_else(|| panic!("no PHPUnit version in {text:?}"));
        format!("{php_laravel}, PHPUnit {phpunit}")
    }
}

/// Runs the whole suite on `php` against functions of its own; returns the
/// number of tests that passed.
async fn run_suite(php: &Php) -> u32 {
    let table = TestTable::create().await;
    let proxy = FaultProxy::start(&dynamodb_endpoint(), FaultPlan::default());
    let mut watcher = Watcher::start(&proxy.endpoint, &table.name, 90);
    // Start the functions before PHP's bounded calls reach them.
    let warm = block_in_place(|| watcher.invoke("record", "{}"));
    assert_eq!(warm.status, 200, "{}", warm.body);
    let warm = block_in_place(|| watcher.invoke("purge", "{}"));
    assert_eq!(warm.status, 200, "{}", warm.body);
    let warm = block_in_place(|| watcher.request("GET", "summary", "/summary?window=24h"));
    assert_eq!(warm.status, 200, "{}", warm.body);

    let endpoint = watcher.invoke_endpoint();
    let output = block_in_place(|| {
        php.command(
            php.phpunit(),
            &[
                "--configuration",
                "phpunit.xml.dist",
                "--do-not-cache-result",
            ],
        )
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
    println!("{}:\n{text}", php.label());
    assert!(
        output.status.success(),
        "the PHP suite failed on {}:\n{text}",
        php.label()
    );
    // PHPUnit's closing line: every test ran, none skipped, incomplete or
    // with an issue.
    let closing = text
        .lines()
        .find(|l| l.starts_with("OK ("))
        .unwrap_or_else(|| panic!("no clean PHPUnit closing line on {}:\n{text}", php.label()));
    closing
        .trim_start_matches("OK (")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_php_client_against_the_functions_on_both_laravels() {
    let phpunit = std::env::var("PHPUNIT").unwrap_or_else(|_| {
        panic!("PHPUNIT is not set: run the PHP suite with scripts/test or scripts/test-php, which install it")
    });
    let root = std::env::var("PHP_TRIXIE_ROOT").unwrap_or_else(|_| {
        panic!("PHP_TRIXIE_ROOT is not set: run the PHP suite with scripts/test or scripts/test-php, which build the Debian trixie root")
    });
    let readme = std::fs::read_to_string(repo_root().join("clients/php/README.md"))
        .expect("clients/php/README.md");
    let mut counts = Vec::new();
    for php in [
        Php::Host { phpunit },
        Php::Root {
            root: Path::new(&root).to_owned(),
        },
    ] {
        php.prepare();
        let versions = php.versions();
        println!("{}: {versions}", php.label());
        assert!(
            readme.contains(&versions),
            "clients/php/README.md must name the versions the suite ran on: {versions} ({})",
            php.label()
        );
        counts.push(run_suite(&php).await);
    }
    assert!(
        counts[0] >= 43,
        "only {} PHP tests ran on Debian 12",
        counts[0]
    );
    assert_eq!(counts[0], counts[1], "the same suite on both Laravels");
}
