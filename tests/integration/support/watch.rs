//! The functions as real Lambda processes under `cargo lambda watch`, on a free
//! port, stopped (with everything they started) on every exit path.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The first invocation compiles the function: allow for a cold build on two cores.
const FIRST_INVOKE_TIMEOUT: Duration = Duration::from_secs(900);
const INVOKE_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct Watcher {
    child: Child,
    port: u16,
    /// The local secret store's name of the erasure keyring the functions read.
    pub erasure_key_secret: String,
    log_path: PathBuf,
    agent: ureq::Agent,
    warmed: std::collections::HashSet<String>,
}

/// A response from the watcher: status, content type, `Retry-After` and body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
    pub body: String,
}

impl Reply {
    /// `cargo lambda watch`'s own bare 500 (a problem JSON with no detail),
    /// not a function's answer.
    pub fn is_emulator_500(&self) -> bool {
        self.status == 500
            && serde_json::from_str::<serde_json::Value>(&self.body).is_ok_and(|body| {
                body["type"] == "https://httpstatuses.com/500" && body.get("detail").is_none()
            })
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cargo_lambda_on_path() -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join("cargo-lambda").is_file()))
        .unwrap_or(false)
}

impl Watcher {
    /// Starts `cargo lambda watch` with the environment the template gives the functions.
    pub fn start(dynamodb_endpoint: &str, table_name: &str, retention_days: u16) -> Self {
        Self::start_with_timeout(dynamodb_endpoint, table_name, retention_days, 300, &[])
    }

    /// As [`Watcher::start`], with the watcher killing any invocation after
    /// `timeout_seconds`, and extra environment variables for the functions.
    /// (`cargo lambda watch` hands every function a deadline 600 s away,
    /// whatever its timeout.)
    pub fn start_with_timeout(
        dynamodb_endpoint: &str,
        table_name: &str,
        retention_days: u16,
        timeout_seconds: u32,
        extra_env: &[(&str, &str)],
    ) -> Self {
        assert!(
            cargo_lambda_on_path(),
            "cargo-lambda is not on PATH. `scripts/test` installs it into .tools/venv and puts it on PATH."
        );
        let port = free_port();
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| workspace_root().join("target"));
        let log_dir = target.join("e2e-logs");
        std::fs::create_dir_all(&log_dir).expect("create log dir");
        let log_path = log_dir.join(format!("{table_name}.log"));
        let log = File::create(&log_path).expect("create watcher log");
        // The erasure keyring the functions read at start, in the local
        // secret store: the test keyring, under a name of this watcher's own.
        let secret = format!("erasure-key-{table_name}-{port}");
        super::secrets::create_secret(&secret, domain::testing::ERASURE_KEYRING_JSON);
        let env = [
            format!("TABLE_NAME={table_name}"),
            format!("ERASURE_KEY_SECRET={secret}"),
            format!(
                "AWS_ENDPOINT_URL_SECRETS_MANAGER={}",
                super::secrets::secrets_endpoint()
            ),
            format!("RETENTION_DAYS={retention_days}"),
            format!("AWS_ENDPOINT_URL_DYNAMODB={dynamodb_endpoint}"),
            "AWS_REGION=us-east-1".into(),
            "AWS_ACCESS_KEY_ID=local".into(),
            "AWS_SECRET_ACCESS_KEY=local".into(),
            "RUST_LOG=info".into(),
            // As deployed (LoggingConfig: JSON): one JSON object per log line.
            "AWS_LAMBDA_LOG_FORMAT=JSON".into(),
        ]
        .into_iter()
        .chain(extra_env.iter().map(|(k, v)| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(",");
        let child = Command::new("cargo")
            .args([
                "lambda",
                "watch",
                "--quiet",
                "--ignore-changes",
                "--timeout",
                &timeout_seconds.to_string(),
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &port.to_string(), "--env-var", &env])
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            // Its own process group, so stopping it also stops the function processes it spawned.
            .process_group(0)
            .spawn()
            .expect("spawn cargo lambda watch");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let watcher = Self {
            child,
            port,
            erasure_key_secret: secret.clone(),
            log_path,
            agent,
            warmed: Default::default(),
        };
        watcher.wait_until_listening(Duration::from_secs(60));
        watcher
    }

    fn wait_until_listening(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not listen within {limit:?}; log: {}",
                self.log_path.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn timeout_for(&mut self, function: &str) -> Duration {
        if self.warmed.insert(function.to_owned()) {
            FIRST_INVOKE_TIMEOUT
        } else {
            INVOKE_TIMEOUT
        }
    }

    /// Invokes `function` through the Lambda Invoke API, as the AWS SDKs do.
    pub fn invoke(&mut self, function: &str, payload: &str) -> Reply {
        let timeout = self.timeout_for(function);
        let url = format!(
            "http://127.0.0.1:{}/2015-03-31/functions/{function}/invocations",
            self.port
        );
        let result = self
            .agent
            .post(&url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .send(payload);
        self.reply(result, &url)
    }

    /// Calls an HTTP function through the watcher's `/lambda-url/<function>/…` path.
    ///
    /// A GET that `cargo lambda watch` itself answers with its own bare 500
    /// (its problem JSON, no detail) is sent again, at most twice: the
    /// emulator (1.9.2) hands the function's response body to the waiting
    /// request in another task and answers the function at once, so under
    /// load it can lose a body the function did send (the function's log
    /// line says `ok`). Our functions' own 500s have another body and are
    /// never retried.
    pub fn request(&mut self, method: &str, function: &str, path_and_query: &str) -> Reply {
        let mut reply = self.request_once(method, function, path_and_query);
        for _ in 0..2 {
            if !(method == "GET" && reply.is_emulator_500()) {
                break;
            }
            eprintln!(
                "cargo lambda watch answered its own 500 to GET {path_and_query} ({}); sending it again",
                reply.body
            );
            reply = self.request_once(method, function, path_and_query);
        }
        reply
    }

    fn request_once(&mut self, method: &str, function: &str, path_and_query: &str) -> Reply {
        let timeout = self.timeout_for(function);
        let url = format!(
            "http://127.0.0.1:{}/lambda-url/{function}{path_and_query}",
            self.port
        );
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .body(())
            .expect("request");
        let result = self
            .agent
            .configure_request(request)
            .timeout_global(Some(timeout))
            .build();
        let result = self.agent.run(result);
        self.reply(result, &url)
    }

    fn reply(
        &self,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        url: &str,
    ) -> Reply {
        let mut response = result
            .unwrap_or_else(|e| panic!("{url}: {e}; watcher log: {}", self.log_path.display()));
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (content_type, retry_after) = (header("content-type"), header("retry-after"));
        let body = response.body_mut().read_to_string().expect("read body");
        Reply {
            status: response.status().as_u16(),
            content_type,
            retry_after,
            body,
        }
    }

    /// The Lambda Invoke API endpoint the watcher serves, for AWS SDK clients.
    pub fn invoke_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Everything the watcher and its functions printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    fn print_log_tail(&self) {
        let Ok(file) = File::open(&self.log_path) else {
            return;
        };
        let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
        eprintln!("--- last lines of {} ---", self.log_path.display());
        for line in lines.iter().skip(lines.len().saturating_sub(40)) {
            eprintln!("{line}");
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.print_log_tail();
        }
        let group = format!("-{}", self.child.id());
        let signal = |name: &str| {
            let _ = Command::new("kill")
                .args([name, "--", &group])
                .stderr(Stdio::null())
                .status();
        };
        signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever is left in the group (a function process, a cargo build) goes too.
        signal("-KILL");
        let _ = self.child.wait();
    }
}
