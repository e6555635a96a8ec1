//! `record` end to end: a real Lambda process under `cargo lambda watch`,
//! invoked through the Lambda Invoke API, against DynamoDB Local.

use crate::support::{TestTable, Watcher, dynamodb_endpoint};
use domain::testing::{DIAGNOSTICS_OPENED, OPERATION_STARTED, REPORT_CREATED};
use serde_json::{Value, json};
use storage::testing;
use tokio::task::block_in_place;

/// One `occurred_at` for the whole run: a replay must send the same content.
fn occurred_at() -> &'static str {
    static AT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        (chrono::Utc::now() - chrono::TimeDelta::minutes(5))
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    });
    &AT
}

fn milestone(event_id: &str, workspace: &str) -> String {
    json!({
        "occurred_at": occurred_at(),
        "event": DIAGNOSTICS_OPENED,
        "tenant_id": "tenant-e2e",
        "workspace_id": workspace,
        "actor_id": "user-7",
        "event_id": event_id,
        "subject": {"type": "operation_run", "id": "run-3"},
        "metadata": {"surface": "operation_run_viewer"}
    })
    .to_string()
}

fn status(reply: &Value) -> &str {
    reply["status"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_through_the_invoke_api() {
    let table = TestTable::create().await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    let mut invoke = |payload: &str| {
        let reply = block_in_place(|| watcher.invoke("record", payload));
        if reply.status == 200 {
            assert_conforms_to_response_schema(&reply.json());
        }
        reply
    };

    // Accepted.
    let reply = invoke(&milestone("diag:run-3", "ws-1"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"status": "recorded", "event_id": "diag:run-3"})
    );

    // Replay with the same content: a duplicate.
    let reply = invoke(&milestone("diag:run-3", "ws-1")).json();
    assert_eq!(
        reply,
        json!({"status": "duplicate", "event_id": "diag:run-3"})
    );

    // A first-one-wins event (the catalog's `resend`) sent again with other
    // content, a reload later the same day: a duplicate, and the first row stands.
    let mut reload: Value = serde_json::from_str(&milestone("diag:run-3", "ws-2")).expect("json");
    reload["occurred_at"] = json!(
        (chrono::Utc::now() - chrono::TimeDelta::milliseconds(1))
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    );
    let reply = invoke(&reload.to_string()).json();
    assert_eq!(
        reply,
        json!({"status": "duplicate", "event_id": "diag:run-3"})
    );

    // Same event_id, different content, for an event whose id names one
    // milestone (same content only): a conflict.
    let report = |workspace: &str| {
        json!({
            "event": REPORT_CREATED, "tenant_id": "tenant-e2e", "workspace_id": workspace,
            "actor_id": "user-7", "event_id": "report:rep-3", "occurred_at": occurred_at(),
            "subject": {"type": "stored_report", "id": "rep-3"}, "metadata": {"report_type": "usage"}
        })
        .to_string()
    };
    assert_eq!(status(&invoke(&report("ws-1")).json()), "recorded");
    let reply = invoke(&report("ws-2")).json();
    assert_eq!(status(&reply), "rejected");
    assert_eq!(reply["error"]["code"], "idempotency_conflict");
    assert_eq!(reply["error"]["field"], "event_id");

    // Rejected by the catalog: a normal response naming code and field.
    let mut bad = serde_json::from_str::<Value>(&milestone("e-bad", "ws-1")).expect("json");
    bad["metadata"]["surface"] = "admin_console".into();
    let reply = invoke(&bad.to_string());
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json()["error"],
        json!({
            "code": "metadata_value_not_allowed", "field": "metadata.surface",
            "message": "must be one of: tenant_dashboard, operation_run_viewer"
        })
    );

    // Wrong shapes are typed rejections, not crashes.
    for (payload, code, field) in [
        ("[1, 2, 3]".to_owned(), "not_an_object", "$"),
        (format!("\"{OPERATION_STARTED}\""), "not_an_object", "$"),
        (r#"{"event": 5}"#.to_owned(), "wrong_type", "event"),
        (
            r#"{"event":"EVENT","tenant_id":"t","workspace_id":"w","actor_id":"a","metadata":{"report_type":"x"},"email":"a@b.c"}"#
                .replace("EVENT", REPORT_CREATED),
            "unknown_field",
            "email",
        ),
    ] {
        let reply = invoke(&payload).json();
        assert_eq!(
            (
                status(&reply),
                reply["error"]["code"].as_str(),
                reply["error"]["field"].as_str()
            ),
            ("rejected", Some(code), Some(field)),
            "{payload}"
        );
    }
    let oversized = json!({"event": REPORT_CREATED, "padding": "x".repeat(9000)}).to_string();
    assert_eq!(
        invoke(&oversized).json()["error"]["code"],
        "payload_too_large"
    );

    // Non-JSON never reaches the handler: the runtime answers a function error
    // (deployed, Lambda's Invoke API refuses it before the function runs).
    let reply = invoke("this is not json");
    assert!(
        reply.status >= 400,
        "non-JSON must not succeed: {} {}",
        reply.status,
        reply.body
    );

    // No crash loop: the same process keeps serving.
    let reply = invoke(&milestone("diag:run-4", "ws-1")).json();
    assert_eq!(status(&reply), "recorded");

    // The process printed its metrics as CloudWatch EMF documents, one batch per invocation.
    // The runtime flushes metrics after posting the response, so poll (bounded) for the last batch.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let emitted = loop {
        let totals = emf_totals(&watcher.output());
        let complete = totals.get(&("Recorded".into(), None)) == Some(&3.0);
        if complete || std::time::Instant::now() > deadline {
            break totals;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(
        emitted.get(&("Recorded".into(), None)),
        Some(&3.0),
        "{emitted:?}"
    );
    assert_eq!(emitted.get(&("Duplicate".into(), None)), Some(&2.0));
    assert_eq!(emitted.get(&("RejectedTotal".into(), None)), Some(&7.0));
    assert_eq!(
        emitted.get(&("Rejected".into(), Some("not_an_object".into()))),
        Some(&2.0)
    );
    assert_eq!(
        emitted.get(&("Rejected".into(), Some("idempotency_conflict".into()))),
        Some(&1.0)
    );
    assert_eq!(emitted.get(&("Failed".into(), None)), None);

    // The table holds exactly the three accepted rows, unchanged by the
    // first-wins duplicate and by the conflict.
    let items = table.rows().await;
    let rows: Vec<_> = items
        .iter()
        .map(|i| testing::decode(i).expect("stored rows map back"))
        .collect();
    let mut ids: Vec<&str> = rows.iter().map(|m| m.event_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["diag:run-3", "diag:run-4", "report:rep-3"]);
    for milestone in &rows {
        assert_eq!(milestone.workspace_id.as_str(), "ws-1");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_without_event_id_or_occurred_at_is_rejected_and_writes_nothing() {
    let table = TestTable::create().await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    for field in ["event_id", "occurred_at"] {
        let mut payload: Value =
            serde_json::from_str(&milestone("diag:run-9", "ws-1")).expect("json");
        payload.as_object_mut().expect("object").remove(field);
        let reply = block_in_place(|| watcher.invoke("record", &payload.to_string())).json();
        assert_eq!(status(&reply), "rejected");
        assert_eq!(
            (
                reply["error"]["code"].as_str(),
                reply["error"]["field"].as_str()
            ),
            (Some("missing_field"), Some(field))
        );
    }
    assert!(table.rows().await.is_empty());
}

/// Sums the EMF documents in a process's output by (metric, code dimension),
/// checking each document's structure on the way.
fn emf_totals(output: &str) -> std::collections::BTreeMap<(String, Option<String>), f64> {
    let mut totals = std::collections::BTreeMap::new();
    for line in output.lines().filter(|l| l.starts_with(r#"{"_aws""#)) {
        let doc: Value = serde_json::from_str(line).expect("EMF document is JSON");
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "AdoptionLedger");
        assert!(doc["_aws"]["Timestamp"].is_u64());
        let dimensions = directive["Dimensions"][0]
            .as_array()
            .expect("dimension set");
        assert!(
            dimensions.iter().all(|d| d == "function" || d == "code"),
            "bounded dimensions only: {line}"
        );
        assert_eq!(doc["function"], "record");
        for metric in directive["Metrics"].as_array().expect("metrics") {
            let name = metric["Name"].as_str().expect("name").to_owned();
            let value = doc[&name].as_f64().expect("metric value at the root");
            let code = doc["code"].as_str().map(str::to_owned);
            *totals.entry((name, code)).or_insert(0.0) += value;
        }
    }
    totals
}

/// The configured retention, end to end: at 30 days, a 31-day-old milestone
/// is rejected and a 29-day-old one is stored with a TTL of `occurred_at` + 30 days.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_honours_a_non_default_retention() {
    let table = TestTable::create().await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 30);
    let at = |days: i64, event_id: &str| {
        let mut payload: Value = serde_json::from_str(&milestone(event_id, "ws-1")).expect("json");
        let occurred = chrono::Utc::now() - chrono::TimeDelta::days(days);
        payload["occurred_at"] = occurred.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string().into();
        (payload.to_string(), occurred)
    };
    let (too_old, _) = at(31, "old-31");
    let reply = block_in_place(|| watcher.invoke("record", &too_old)).json();
    assert_conforms_to_response_schema(&reply);
    assert_eq!(
        reply["error"]["code"], "occurred_before_retention",
        "{reply}"
    );

    let (inside, occurred) = at(29, "inside-29");
    let reply = block_in_place(|| watcher.invoke("record", &inside)).json();
    assert_conforms_to_response_schema(&reply);
    assert_eq!(status(&reply), "recorded", "{reply}");
    // A 29-day-old milestone is late: it also bumped its day's version item.
    let items = table.rows().await;
    assert_eq!(items.len(), 1);
    let expires_at = testing::decode(&items[0]).expect("row").expires_at;
    let exact = domain::OccurredAt::from_instant(occurred).instant() + chrono::TimeDelta::days(30);
    let ceiling = exact.timestamp() + i64::from(exact.timestamp_subsec_nanos() > 0);
    assert_eq!(
        expires_at, ceiling,
        "TTL = occurred_at + 30 days, rounded up"
    );
}

/// Every response record gives is valid under the published response schema.
fn assert_conforms_to_response_schema(reply: &Value) {
    static SCHEMA: std::sync::LazyLock<jsonschema::Validator> = std::sync::LazyLock::new(|| {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/record-response.schema.json"
        ))
        .expect("docs/record-response.schema.json");
        let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
        jsonschema::validator_for(&schema).expect("valid schema")
    });
    let errors: Vec<String> = SCHEMA.iter_errors(reply).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{reply} breaks the response schema: {errors:?}"
    );
}
