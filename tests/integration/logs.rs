//! The logging promises, end to end under `cargo lambda watch` with the
//! deployed JSON log format: every function line is JSON, each invocation
//! writes exactly one outcome line, no actor id, metadata value, event id or
//! payload fragment appears anywhere, the operations guide's Logs Insights
//! queries use fields the code really logs, and every metric an alarm
//! watches is emitted with exactly the dimensions the alarm names.

use crate::support::{TestTable, Watcher, dynamodb_endpoint};
use domain::testing::REPORT_CREATED;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use tokio::task::block_in_place;
use wiring::emf::metric;

const ACTOR: &str = "actor-secret-4711";
const SUBJECT: &str = "subject-secret-99";
const EVENT_ID: &str = "evt-secret-123";
const METADATA_VALUE: &str = "secretreport.kind9";
const CALLER_KEY: &str = "jane@example.com";

/// One instant for every payload of the test: a replay must carry the same
/// `occurred_at` to be a duplicate (two clock reads can differ by a millisecond).
fn occurred_at() -> &'static str {
    static AT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        (chrono::Utc::now() - chrono::TimeDelta::minutes(3))
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    });
    &AT
}

fn payload(workspace: &str) -> Value {
    json!({
        "event": REPORT_CREATED, "tenant_id": "tenant-logs", "workspace_id": workspace,
        "actor_id": ACTOR, "event_id": EVENT_ID,
        "occurred_at": occurred_at(),
        "subject": {"type": "stored_report", "id": SUBJECT},
        "metadata": {"report_type": METADATA_VALUE}
    })
}

/// Every JSON line a watcher's functions printed: (log lines, EMF documents).
fn function_lines(output: &str) -> (Vec<Value>, Vec<Value>) {
    let (mut logs, mut metrics) = (Vec::new(), Vec::new());
    for line in output.lines().filter(|l| l.trim_start().starts_with('{')) {
        let value: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a function line is not JSON ({e}): {line}"));
        if value.get("_aws").is_some() {
            metrics.push(value);
        } else {
            logs.push(value);
        }
    }
    (logs, metrics)
}

fn request_id(line: &Value) -> Option<String> {
    line["span"]["requestId"]
        .as_str()
        .or_else(|| {
            line["spans"]
                .as_array()
                .and_then(|spans| spans.iter().find_map(|s| s["requestId"].as_str()))
        })
        .map(str::to_owned)
}

/// Each function's outcome message starts with its name ("record", "record
/// rejected", "summary failed", "prune", …).
fn function_of(line: &Value) -> String {
    line["fields"]["message"]
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The outcome lines of `function`, each checked to be its request's only one.
fn outcome_lines<'a>(logs: &'a [Value], function: &str) -> Vec<&'a Value> {
    let lines: Vec<&Value> = logs
        .iter()
        .filter(|l| l["fields"].get("outcome").is_some() && function_of(l) == function)
        .collect();
    let mut per_request: BTreeMap<String, usize> = BTreeMap::new();
    for line in &lines {
        let id = request_id(line).unwrap_or_else(|| panic!("no request id on {line}"));
        *per_request.entry(id).or_default() += 1;
    }
    for (id, count) in &per_request {
        assert_eq!(
            *count, 1,
            "{function}: request {id} wrote {count} outcome lines"
        );
    }
    lines
}

/// `fields.<name>` tokens in the operations guide's Logs Insights queries.
fn documented_query_fields() -> BTreeSet<String> {
    let guide = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/operations.md"
    ))
    .expect("docs/operations.md");
    let mut names = BTreeSet::new();
    for (i, _) in guide.match_indices("fields.") {
        let rest = &guide[i + "fields.".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        if !name.is_empty() {
            names.insert(name);
        }
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_keep_every_promise_the_docs_make() {
    let table = TestTable::create().await;
    let mut ok = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    // The same functions on a table that does not exist: every storage call fails.
    let mut broken = Watcher::start(&dynamodb_endpoint(), "no-such-table", 90);

    let mut unknown_key = payload("ws-1");
    unknown_key[CALLER_KEY] = json!(1);
    let record_calls = [
        payload("ws-1"),                                                // recorded
        payload("ws-1"),                                                // duplicate
        payload("ws-2"),                                                // idempotency_conflict
        unknown_key,                                                    // unknown_field
        json!({"event": REPORT_CREATED, "tenant_id": "bad tenant id"}), // identifier_charset
    ];
    for call in &record_calls {
        let reply = block_in_place(|| ok.invoke("record", &call.to_string()));
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let reply = block_in_place(|| ok.request("GET", "summary", "/summary?window=24h"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = block_in_place(|| ok.invoke("prune", r#"{"dry_run": true}"#));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = block_in_place(|| ok.invoke("rollup", "{}"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    // An erasure of the one person: the actor id is in the request only.
    let erasure =
        json!({"scope": "actor", "tenant_id": "tenant-logs", "actor_id": ACTOR}).to_string();
    let reply = block_in_place(|| ok.invoke("purge", &erasure)).json();
    assert_eq!(reply["status"], "done", "{reply}");
    assert_eq!(reply["rows_deleted"], 1, "{reply}");
    let refused =
        json!({"scope": "actor", "tenant_id": "tenant-logs", "actor_id": ACTOR, CALLER_KEY: 1});
    let reply = block_in_place(|| ok.invoke("purge", &refused.to_string())).json();
    assert_eq!(reply["status"], "rejected", "{reply}");

    let reply = block_in_place(|| broken.invoke("record", &payload("ws-1").to_string()));
    assert!(reply.json().get("errorType").is_some(), "{}", reply.body);
    let reply = block_in_place(|| broken.request("GET", "summary", "/summary?window=7d"));
    assert_eq!(reply.status, 500, "{}", reply.body);

    // Metrics are flushed after the response: poll (bounded) for the last documents.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (logs, metrics) = loop {
        let output = format!("{}\n{}", ok.output(), broken.output());
        let (logs, metrics) = function_lines(&output);
        let functions: BTreeSet<String> = metrics
            .iter()
            .filter_map(|m| m["function"].as_str().map(str::to_owned))
            .collect();
        let failed = metrics
            .iter()
            .filter(|m| m.get(metric::FAILED).is_some())
            .count();
        if (functions.len() == 5 && failed >= 2) || Instant::now() > deadline {
            // Nothing secret anywhere: function lines, metrics, the watchers' own lines.
            for secret in [
                ACTOR,
                SUBJECT,
                EVENT_ID,
                METADATA_VALUE,
                CALLER_KEY,
                "bad tenant id",
            ] {
                assert!(
                    !output.contains(secret),
                    "{secret:?} leaked into the logs:\n{output}"
                );
            }
            break (logs, metrics);
        }
        std::thread::sleep(Duration::from_millis(100));
    };

    // Exactly one outcome line per invocation that reached a handler.
    let record = outcome_lines(&logs, "record");
    assert_eq!(record.len(), record_calls.len() + 1, "{record:#?}");
    let outcomes: Vec<&str> = record
        .iter()
        .filter_map(|l| l["fields"]["outcome"].as_str())
        .collect();
    for expected in [
        "recorded",
        "duplicate",
        "idempotency_conflict",
        "unknown_field",
        "failed",
    ] {
        assert!(outcomes.contains(&expected), "{expected} in {outcomes:?}");
    }
    assert!(
        record.iter().any(|l| l["fields"]["field"] == "(other)"),
        "a caller-chosen key is logged as (other)"
    );
    assert_eq!(outcome_lines(&logs, "summary").len(), 2);
    assert_eq!(outcome_lines(&logs, "prune").len(), 1);
    assert_eq!(outcome_lines(&logs, "rollup").len(), 1);
    let purge = outcome_lines(&logs, "purge");
    assert_eq!(purge.len(), 2, "{purge:#?}");
    assert!(
        purge.iter().any(|l| l["fields"]["field"] == "(other)"),
        "a caller-chosen key is logged as (other)"
    );

    // The operations guide's queries use only fields some outcome line carries.
    let logged: BTreeSet<String> = logs
        .iter()
        .filter_map(|l| l["fields"].as_object())
        .flat_map(|f| f.keys().cloned())
        .collect();
    let documented = documented_query_fields();
    assert!(documented.len() >= 8, "{documented:?}");
    for name in &documented {
        assert!(
            logged.contains(name),
            "docs/operations.md queries fields.{name}, which no function logs ({logged:?})"
        );
    }

    // Each metric an alarm watches carries exactly the alarm's dimensions.
    let watched = [
        (metric::REJECTED_TOTAL, "record"),
        (metric::FAILED, "record"),
        (metric::FAILED, "summary"),
        (metric::SKIPPED_ROWS, "summary"),
        (metric::LEFT, "prune"),
        (metric::FAILED_PARTITIONS, "prune"),
        (metric::FINISHED, "prune"),
        (metric::SKIPPED_ROWS, "prune"),
        (metric::DAYS_FAILED, "rollup"),
        (metric::PURGES_UNFINISHED, "prune"),
        (metric::ROWS_PURGED, "purge"),
    ];
    for (name, function) in watched {
        let docs: Vec<&Value> = metrics
            .iter()
            .filter(|m| m.get(name).is_some() && m["function"] == function)
            .collect();
        assert!(!docs.is_empty(), "{function} never emitted {name}");
        for doc in docs {
            let directive = &doc["_aws"]["CloudWatchMetrics"][0];
            assert_eq!(directive["Namespace"], wiring::emf::NAMESPACE);
            assert_eq!(
                directive["Dimensions"],
                json!([[wiring::emf::FUNCTION_DIMENSION]]),
                "{function} {name}: {doc}"
            );
        }
    }
    let rejected: Vec<&Value> = metrics
        .iter()
        .filter(|m| m.get(metric::REJECTED).is_some())
        .collect();
    assert!(!rejected.is_empty());
    for doc in rejected {
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[wiring::emf::FUNCTION_DIMENSION, wiring::emf::CODE_DIMENSION]]),
            "{doc}"
        );
    }
}
