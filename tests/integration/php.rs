//! The PHP client (clients/php) in a minimal Laravel application against the
//! real functions: record, purge and summary under `cargo lambda watch`,
//! DynamoDB Local behind the fault proxy (whose outage switch the PHP tests
//! flip). Runs the whole PHPUnit suite on both Laravels the package is
//! tested on, each in a Debian root that `scripts/test` builds with
//! debootstrap and runs with chroot: trixie (PHP 8.4, Laravel 10.48,
//! PHPUnit 11.5) and sid (PHP 8.4, Laravel 13, PHPUnit 13), each a test of
//! its own on a table and watcher of its own, and fails unless every test
//! the suites declare ran and passed on each (so the same number on both). The Filament widget's suite runs in the
//! trixie root, on Filament 3.2 and Livewire 3.8 from
//! `../shared/php-vendor`. The package's README must name the major versions
//! each run used (a point or minor release never fails this test; a new
//! major does).

use crate::support::fault_proxy::{FaultPlan, FaultProxy};
use crate::support::{TestTable, Watcher, dynamodb_endpoint};
use std::path::PathBuf;
use std::process::Command;
use tokio::task::block_in_place;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The repository files the suite reads (the package, and the docs its
/// snippet test compares), as a root sees them.
const IN_ROOT: &str = "/srv/adoption-ledger";

/// Filament's and Livewire's packages for the widget's tests, beside the
/// repository (`../shared`), and where a root sees them.
const FILAMENT: &str = "php-vendor/filament-3.2.121";
const FILAMENT_IN_ROOT: &str = "/srv/php-vendor/filament-3.2.121";

/// One Debian root the suite runs in: its suite name, its folder, and where
/// in it the repository's files are copied (each test its own).
#[derive(Debug, Clone)]
pub(crate) struct Root {
    pub(crate) suite: String,
    dir: PathBuf,
    workdir: String,
    /// Whether the Filament widget's suite runs here (and its packages are copied in).
    filament: bool,
}

impl Root {
    /// The roots `scripts/test` built, from `PHP_ROOTS` ("trixie=DIR sid=DIR").
    pub(crate) fn all() -> Vec<Root> {
        let roots = std::env::var("PHP_ROOTS").unwrap_or_else(|_| {
            panic!("PHP_ROOTS is not set: run the PHP suite with scripts/test or scripts/test-php, which build the Debian roots")
        });
        roots
            .split_whitespace()
            .map(|pair| {
                let (suite, dir) = pair
                    .split_once('=')
                    .unwrap_or_else(|| panic!("PHP_ROOTS holds {pair:?}, not SUITE=DIR"));
                Root {
                    suite: suite.to_owned(),
                    dir: PathBuf::from(dir),
                    workdir: IN_ROOT.to_owned(),
                    filament: suite == "trixie",
                }
            })
            .collect()
    }

    /// The same root, with the repository's files copied to `workdir`
    /// instead, so that tests running side by side keep apart (and without
    /// Filament, whose suite runs in the PHP suite's copy).
    pub(crate) fn with_workdir(mut self, workdir: &str) -> Self {
        self.workdir = workdir.to_owned();
        self.filament = false;
        self
    }

    /// Whether the Filament widget's suite runs here.
    fn has_filament(&self) -> bool {
        self.filament
    }

    /// A command in the package's folder inside the root.
    pub(crate) fn command(&self, program: &str, args: &[&str]) -> Command {
        // No shell: `env -C` changes into the package's folder inside the root.
        let mut command = Command::new("chroot");
        command
            .arg(&self.dir)
            .args([
                "/usr/bin/env",
                "-C",
                &format!("{}/clients/php", self.workdir),
                program,
            ])
            .args(args);
        command
    }

    /// Copies README.md, docs/ and clients/php into the root, afresh, and
    /// Filament's packages where its suite runs.
    pub(crate) fn prepare(&self) {
        let target = self.dir.join(self.workdir.trim_start_matches('/'));
        let _ = std::fs::remove_dir_all(&target);
        std::fs::create_dir_all(target.join("clients")).expect("create the copy's folders");
        let mut copies = vec![
            (repo_root().join("README.md"), target.join("README.md")),
            (repo_root().join("docs"), target.join("docs")),
            (repo_root().join("clients/php"), target.join("clients/php")),
        ];
        if self.has_filament() {
            let from = repo_root().join("../shared").join(FILAMENT);
            assert!(
                from.join("SOURCES.tsv").is_file(),
                "{} is missing: the Filament widget's tests need ../shared/{FILAMENT} beside the repository",
                from.display()
            );
            let to = self.dir.join(FILAMENT_IN_ROOT.trim_start_matches('/'));
            let _ = std::fs::remove_dir_all(&to);
            std::fs::create_dir_all(to.parent().expect("a parent")).expect("create php-vendor");
            copies.push((from, to));
        }
        for (from, to) in copies {
            let status = Command::new("cp")
                .arg("-a")
                .arg(&from)
                .arg(&to)
                .status()
                .expect("run cp");
            assert!(
                status.success(),
                "copy {} into {}",
                from.display(),
                to.display()
            );
        }
    }

    /// The versions this root runs, read from it.
    fn versions(&self) -> Versions {
        let probe = "require 'Illuminate/autoload.php'; echo PHP_VERSION, ' ', Illuminate\\Foundation\\Application::VERSION;";
        let output = self
            .command("php", &["-r", probe])
            .output()
            .expect("run php");
        assert!(output.status.success(), "{}: {output:?}", self.suite);
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let (php, laravel) = text
            .trim()
            .split_once(' ')
            .unwrap_or_else(|| panic!("{}: no versions in {text:?}", self.suite));
        let output = self
            .command("phpunit", &["--version"])
            .output()
            .expect("run phpunit --version");
        let text = String::from_utf8_lossy(&output.stdout);
        let phpunit = text
            .split_whitespace()
            .skip_while(|word| *word != "PHPUnit")
            .nth(1)
            .unwrap_or_else(|| panic!("no PHPUnit version in {text:?}"));
        Versions {
            php: php.to_owned(),
            laravel: laravel.to_owned(),
            phpunit: phpunit.to_owned(),
        }
    }
}

#[derive(Debug)]
struct Versions {
    php: String,
    laravel: String,
    phpunit: String,
}

fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

impl Versions {
    /// What the README's row for this root must say: each major, as
    /// "Laravel 13." (the minor it last ran follows).
    fn majors(&self) -> [String; 3] {
        [
            format!("PHP {}.", major(&self.php)),
            format!("Laravel {}.", major(&self.laravel)),
            format!("PHPUnit {}.", major(&self.phpunit)),
        ]
    }
}

/// Runs `testsuites` on `root` against functions of its own; returns the
/// number of tests that passed.
async fn run_suite(root: &Root, testsuites: &str) -> u32 {
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
    let label = format!("{} ({testsuites})", root.suite);
    let output = block_in_place(|| {
        let mut command = root.command(
            "phpunit",
            &[
                "--configuration",
                "phpunit.xml.dist",
                "--testsuite",
                testsuites,
            ],
        );
        command
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
            .env("LEDGER_TEST_FAULT_PROXY", &proxy.endpoint);
        if root.has_filament() {
            command.env("ADOPTION_LEDGER_TEST_FILAMENT", FILAMENT_IN_ROOT);
        }
        command.output()
    })
    .expect("run phpunit");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{label}:\n{text}");
    assert!(
        output.status.success(),
        "the PHP suite failed on {label}:\n{text}"
    );
    // PHPUnit's closing line: every test ran, none skipped, incomplete,
    // deprecated or with an issue.
    let closing = text
        .lines()
        .find(|l| l.starts_with("OK ("))
        .unwrap_or_else(|| panic!("no clean PHPUnit closing line on {label}:\n{text}"));
    closing
        .trim_start_matches("OK (")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The README's row for a root: the table line that names its Debian suite.
fn readme_row<'a>(readme: &'a str, suite: &str) -> &'a str {
    readme
        .lines()
        .find(|line| line.starts_with('|') && line.contains(&format!("({suite})")))
        .unwrap_or_else(|| panic!("clients/php/README.md has no versions row for ({suite})"))
}

/// The test methods the package's suites declare (PHPUnit runs each once:
/// no data providers), so a run that passes exactly this many ran them all.
fn declared_tests(dirs: &[&str]) -> u32 {
    let mut count = 0;
    for dir in dirs {
        let path = repo_root().join("clients/php/tests").join(dir);
        for entry in std::fs::read_dir(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        {
            let file = entry.expect("entry").path();
            if file.extension().is_some_and(|e| e == "php") {
                let text = std::fs::read_to_string(&file).expect("read a test file");
                assert!(
                    !text.contains("DataProvider"),
                    "{}: a data provider makes the count differ",
                    file.display()
                );
                count += text.matches("public function test").count() as u32;
            }
        }
    }
    count
}

/// One Laravel: its root's versions against the README, then every test of
/// the main suites (and the Filament widget's, where it runs), against
/// functions of its own. Each Laravel is a test of its own, so the two run
/// side by side.
async fn the_suite_on(suite: &str) {
    let readme = std::fs::read_to_string(repo_root().join("clients/php/README.md"))
        .expect("clients/php/README.md");
    let roots = Root::all();
    assert_eq!(
        roots.iter().map(|r| r.suite.as_str()).collect::<Vec<_>>(),
        ["trixie", "sid"],
        "the two Laravels the package is tested on"
    );
    let root = roots
        .into_iter()
        .find(|r| r.suite == suite)
        .expect("the root");
    root.prepare();
    let versions = root.versions();
    println!("{}: {versions:?}", root.suite);
    let row = readme_row(&readme, &root.suite);
    for major in versions.majors() {
        assert!(
            row.contains(&major),
            "clients/php/README.md's row for {} must name {major} (the suite ran {versions:?}): {row}",
            root.suite
        );
    }
    let declared = declared_tests(&["Unit", "Laravel"]);
    assert!(declared >= 70, "only {declared} PHP tests declared");
    assert_eq!(
        run_suite(&root, "unit,laravel").await,
        declared,
        "every declared test ran and passed on {suite}: the same suite on both Laravels"
    );
    if root.has_filament() {
        let declared = declared_tests(&["Filament"]);
        assert!(
            declared >= 6,
            "only {declared} Filament widget tests declared"
        );
        assert_eq!(
            run_suite(&root, "filament").await,
            declared,
            "every Filament widget test on {suite}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_php_client_against_the_functions_on_laravel_10_and_filament_3() {
    the_suite_on("trixie").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_php_client_against_the_functions_on_laravel_13() {
    the_suite_on("sid").await;
}
