//! Faults at the wire: a DynamoDB endpoint that accepts connections and never
//! answers. Every function must end on its own, inside its Lambda timeout,
//! because its client has attempt and operation timeouts (wiring::Timeouts).

use crate::support::Watcher;
use serde_json::json;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Accepts every connection, reads what arrives and never writes a byte.
/// The sockets stay open until the endpoint is dropped.
struct HangingEndpoint {
    address: String,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl HangingEndpoint {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::clone(&held);
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let reader = stream.try_clone();
                if let Ok(mut guard) = keep.lock() {
                    guard.push(stream);
                }
                // Drain the request so the client is left waiting for a reply.
                if let Ok(mut reader) = reader {
                    std::thread::spawn(move || {
                        let mut buffer = [0u8; 4096];
                        while matches!(reader.read(&mut buffer), Ok(n) if n > 0) {}
                    });
                }
            }
        });
        Self { address, held }
    }

    fn connections(&self) -> usize {
        self.held.lock().map(|g| g.len()).unwrap_or(0)
    }
}

/// The template's Lambda timeouts (checked against the template in `template.rs`).
const RECORD_TIMEOUT: Duration = Duration::from_secs(10);
const SUMMARY_TIMEOUT: Duration = Duration::from_secs(20);
/// The watcher's deadline for this test: prune must stop inside it on its own.
const PRUNE_TEST_DEADLINE_SECONDS: u32 = 30;

#[test]
fn every_function_ends_on_its_own_when_dynamodb_hangs() {
    let endpoint = HangingEndpoint::start();
    let mut watcher = Watcher::start_with_timeout(
        &endpoint.address,
        "hanging-table",
        90,
        PRUNE_TEST_DEADLINE_SECONDS,
    );

    // Warm each function with a request that never reaches DynamoDB, so the
    // measured calls below are the calls, not the first build or start.
    let warm = watcher.invoke("record", "{}").json();
    assert_eq!(warm["status"], "rejected", "{warm}");
    let warm = watcher.request("GET", "summary", "/summary?window=1y");
    assert_eq!(warm.status, 400, "{}", warm.body);

    let payload = json!({
        "event": domain::testdata::REPORT_CREATED, "tenant_id": "t", "workspace_id": "w",
        "actor_id": "a", "event_id": "hang-1", "metadata": {"report_type": "usage"},
        "occurred_at": chrono::Utc::now().to_rfc3339()
    });
    let started = Instant::now();
    let reply = watcher.invoke("record", &payload.to_string());
    let took = started.elapsed();
    assert!(
        took < RECORD_TIMEOUT,
        "record took {took:?}, past its {RECORD_TIMEOUT:?} Lambda timeout"
    );
    let body = reply.json();
    assert!(
        body.get("errorType").is_some() && body.get("status").is_none(),
        "record must end as a function error (so Lambda retries it): {} {}",
        reply.status,
        reply.body
    );
    assert!(endpoint.connections() > 0, "the hang was reached");

    let started = Instant::now();
    let reply = watcher.request("GET", "summary", "/summary?window=7d");
    let took = started.elapsed();
    assert!(
        took < SUMMARY_TIMEOUT,
        "summary took {took:?}, past its {SUMMARY_TIMEOUT:?} Lambda timeout"
    );
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert_eq!(reply.json()["error"]["code"], "internal");

    let started = Instant::now();
    let reply = watcher.invoke("prune", r#"{"dry_run": false}"#);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(u64::from(PRUNE_TEST_DEADLINE_SECONDS)),
        "prune took {took:?}, past its deadline"
    );
    let body = reply.json();
    let timed_out = body["errorMessage"]
        .as_str()
        .is_some_and(|m| m.to_lowercase().contains("timed out"));
    assert!(
        !timed_out,
        "prune must stop itself, not be killed: {}",
        reply.body
    );
    assert!(
        body.get("errorType").is_some() || body["finished"] == json!(false),
        "prune reports that it did not finish: {}",
        reply.body
    );
    assert!(
        !body["errorType"]
            .as_str()
            .is_some_and(|t| t.contains("InvalidInput")),
        "{}",
        reply.body
    );
}
