//! The summary read against DynamoDB Local, and `summary` end to end under `cargo lambda watch`.

use crate::support::fixtures::{row, seed};
use crate::support::{TestTable, Watcher, dynamodb_endpoint};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use domain::testing::OPERATION_STARTED;
use domain::{Aggregation, CATALOG, Retention, Summary, Window, WindowKey};
use serde_json::json;
use std::sync::LazyLock;
use storage::{Ledger, QueryOptions, ReadStats};
use tokio::task::block_in_place;

/// The summaries' "now": half past an hour, so every window has partial edge
/// buckets, and 30 to 90 minutes ahead of the real clock, because DynamoDB
/// Local's TTL runs on the real clock: the "expired" row (expired as of this
/// `now`) must stay present, and no seeded row may be deleted under the test.
fn now() -> DateTime<Utc> {
    static NOW: LazyLock<DateTime<Utc>> = LazyLock::new(|| {
        Utc::now()
            .duration_trunc(TimeDelta::hours(1))
            .expect("truncate")
            + TimeDelta::minutes(90)
    });
    *NOW
}

/// Hourly rows in the dataset, going back 40 days.
const HOURS: i64 = 960;
/// The event of the edge and exclusion rows: the catalog's last.
const EDGE_EVENT: &str = CATALOG[CATALOG.len() - 1].name;

/// Per-family counts when the window holds hourly rows `1..=hours` (row `h` is
/// event `h mod catalog length`) and `edge` edge rows of [`EDGE_EVENT`].
fn expected(hours: i64, edge: u64) -> Vec<u64> {
    let mut counts = vec![0; CATALOG.len()];
    for h in 1..=hours {
        counts[h as usize % CATALOG.len()] += 1;
    }
    counts[CATALOG.len() - 1] += edge;
    counts
}

/// 960 hourly rows going back 40 days (event, tenant and workspace cycle with
/// the hour: 12 (tenant, workspace) pairs but 4 distinct workspaces), plus edge and exclusion rows.
fn dataset() -> Vec<domain::Milestone> {
    let n = now();
    let mut rows: Vec<domain::Milestone> = (1..=HOURS)
        .map(|h| {
            let event = CATALOG[h as usize % CATALOG.len()].name;
            let tenant = format!("t{}", h % 3);
            let workspace = format!("w{}", h % 4);
            row(
                event,
                &tenant,
                &workspace,
                &format!("bulk-{h}"),
                n - TimeDelta::hours(h),
            )
        })
        .collect();
    let edge = EDGE_EVENT;
    // Exactly at `now`: the window is [start, now), so it never counts.
    rows.push(row(edge, "edge", "we1", "at-now", n));
    // Just inside every window's end.
    rows.push(row(
        edge,
        "edge",
        "we1",
        "just-before-now",
        n - TimeDelta::milliseconds(1),
    ));
    // Just outside the 7d window's start (inside 30d and 90d).
    rows.push(row(
        edge,
        "edge",
        "we1",
        "just-before-7d",
        n - TimeDelta::days(7) - TimeDelta::milliseconds(1),
    ));
    // Expired a second ago but still present (TTL has not deleted it yet): never counts.
    let mut expired = row(edge, "expired", "wx", "expired", n - TimeDelta::hours(2));
    expired.expires_at = n.timestamp() - 1;
    rows.push(expired);
    // Older than the retention: never counts.
    rows.push(row(
        edge,
        "old",
        "wo",
        "too-old",
        n - TimeDelta::days(90) - TimeDelta::seconds(1),
    ));
    // In the future (clock skew): never counts.
    rows.push(row(edge, "future", "wf", "future", n + TimeDelta::hours(1)));
    rows
}

async fn summarize(ledger: &Ledger, key: WindowKey) -> (Summary, ReadStats) {
    // 3 per page: the 24h window's 26 items over 8 partitions put at least 4
    // in one of them, whatever the time of day, so pages are always followed.
    let options = QueryOptions {
        page_limit: Some(3),
        concurrency: 8,
    };
    let window = Window::ending_at(key, now());
    let mut aggregation = Aggregation::new(window, now(), Retention::default());
    let stats = ledger
        .read_range(window.start, window.end, options, |rows| {
            aggregation.add_all(rows)
        })
        .await
        .expect("summary");
    (aggregation.finish(), stats)
}

fn counts(summary: &Summary) -> Vec<u64> {
    summary.families.iter().map(|f| f.count).collect()
}

#[tokio::test]
async fn summary_counts_are_exact_across_days_shards_tenants_and_pages() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    seed(&ledger, dataset()).await;

    // 24h: hours 1..=24 cycle through the catalog, plus the edge-event row 1 ms before now.
    let (day, stats) = summarize(&ledger, WindowKey::Day).await;
    assert_eq!(counts(&day), expected(24, 1));
    // Distinct workspace ids: w0..w3 across every tenant, and the edge rows' we1.
    assert_eq!((day.total, day.active_workspaces), (25, 5));
    // The expired row was returned by DynamoDB and filtered out: 24 + 1 + 1 items read.
    assert_eq!(stats.items, 26);
    assert_eq!(stats.partitions, 2 * u32::from(storage::WRITE_SHARDS));
    assert!(
        stats.queries > stats.partitions,
        "pages must have been followed: {stats:?}"
    );
    let edge_family = &day.families[CATALOG.len() - 1];
    assert_eq!(edge_family.buckets.len(), 25);
    // Hour h holds event h % CATALOG.len(): the row 24 h back is that event's.
    assert_eq!(
        day.families[24 % CATALOG.len()].buckets[0].count,
        1,
        "the partial first hour holds the row 24 h back"
    );
    assert_eq!(
        edge_family.buckets[24].count, 1,
        "the partial last hour holds the row 1 ms back"
    );
    assert_eq!(
        edge_family.last_seen_at,
        Some(now() - TimeDelta::milliseconds(1))
    );
    // The first event's latest row: the first hour back that is a multiple of the catalog's length.
    assert_eq!(
        day.families[0].last_seen_at,
        Some(now() - TimeDelta::hours(CATALOG.len() as i64))
    );

    // 7d: hours 1..=168 give (33,34,34,34,33); the row 1 ms before the start stays out.
    let (week, stats) = summarize(&ledger, WindowKey::Week).await;
    assert_eq!(counts(&week), expected(168, 1));
    assert_eq!((week.total, week.active_workspaces), (169, 5));
    assert_eq!(week.families[0].buckets.len(), 8);
    assert_eq!(stats.partitions, 8 * u32::from(storage::WRITE_SHARDS));

    // 30d: hours 1..=720, 144 per event, plus both edge rows.
    let (month, _) = summarize(&ledger, WindowKey::Month).await;
    assert_eq!(counts(&month), expected(720, 2));
    assert_eq!((month.total, month.active_workspaces), (722, 5));

    // 90d: all 960 hourly rows, plus both edge rows; the too-old row stays out.
    let (quarter, _) = summarize(&ledger, WindowKey::Quarter).await;
    assert_eq!(counts(&quarter), expected(HOURS, 2));
    assert_eq!((quarter.total, quarter.active_workspaces), (962, 5));
    let bucket_sum: u64 = quarter
        .families
        .iter()
        .flat_map(|f| &f.buckets)
        .map(|b| b.count)
        .sum();
    assert_eq!(bucket_sum, quarter.total);
}

/// A validator for one schema of the committed OpenAPI document (`docs/summary.openapi.json`).
fn openapi_validator(schema: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/summary.openapi.json"
    ))
    .expect("docs/summary.openapi.json");
    let document: serde_json::Value =
        serde_json::from_str(&text).expect("OpenAPI document is JSON");
    assert_eq!(document["openapi"], "3.1.0");
    // OpenAPI 3.1 schemas are JSON Schema 2020-12: validate against the
    // document's own components so every $ref resolves as it does for clients.
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{schema}"),
        "components": document["components"],
    });
    jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .expect("OpenAPI schema compiles")
}

fn assert_conforms(validator: &jsonschema::Validator, body: &serde_json::Value) {
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "response does not match the OpenAPI document: {errors:?}\n{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_through_cargo_lambda_watch() {
    let summary_schema = openapi_validator("Summary");
    let error_schema = openapi_validator("Error");
    let table = TestTable::create().await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    for (i, workspace) in ["w1", "w2", "w2"].iter().enumerate() {
        let payload = json!({
            "event": OPERATION_STARTED, "tenant_id": "t-1", "workspace_id": workspace, "actor_id": "a",
            "event_id": format!("op:run-{i}"), "metadata": {"operation_type": "sync"},
            "occurred_at": (Utc::now() - TimeDelta::minutes(1)).to_rfc3339()
        });
        let reply = block_in_place(|| watcher.invoke("record", &payload.to_string())).json();
        assert_eq!(reply["status"], "recorded");
    }

    // One index row this release cannot read (a retired event) in the window:
    // skipped and counted, never a 500.
    let mut retired = storage::testing::encode(&domain::Milestone {
        expires_at: (Utc::now() + TimeDelta::days(1)).timestamp(),
        ..crate::support::fixtures::row(
            OPERATION_STARTED,
            "t-1",
            "w9",
            "retired-1",
            Utc::now() - TimeDelta::minutes(2),
        )
    });
    retired.insert(
        storage::testing::attr::EVENT.into(),
        aws_sdk_dynamodb::types::AttributeValue::S("retired.event".into()),
    );
    storage::testing::put_raw(&table.ledger(), retired)
        .await
        .expect("put the unreadable row");

    let reply = block_in_place(|| watcher.request("GET", "summary", "/summary?window=24h"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    let body = reply.json();
    assert_conforms(&summary_schema, &body);
    assert_eq!(body["window"]["key"], "24h");
    assert_eq!(body["window"]["bucket"], "hour");
    assert_eq!(body["total"], 3);
    assert_eq!(body["active_workspaces"], 2);
    assert_eq!(body["families"][2]["event"], OPERATION_STARTED);
    assert_eq!(body["families"][2]["count"], 3);
    assert_eq!(
        body["families"][2]["buckets"].as_array().map(Vec::len),
        Some(25)
    );
    assert!(
        !reply.body.contains("t-1") && !reply.body.contains("run-"),
        "aggregate only: {}",
        reply.body
    );

    let reply = block_in_place(|| watcher.request("GET", "summary", "/summary"));
    assert_eq!(
        (reply.status, reply.json()["window"]["key"].as_str()),
        (200, Some("7d"))
    );
    assert_conforms(&summary_schema, &reply.json());

    let reply = block_in_place(|| watcher.request("GET", "summary", "/summary?window=1y"));
    assert_eq!(reply.status, 400);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        reply.json()["error"]["allowed_windows"],
        json!(["24h", "7d", "30d", "90d"])
    );
    assert_conforms(&error_schema, &reply.json());

    let reply = block_in_place(|| watcher.request("GET", "summary", "/events"));
    assert_eq!(
        (reply.status, reply.content_type.as_deref()),
        (404, Some("application/json"))
    );
    assert_conforms(&error_schema, &reply.json());

    let reply = block_in_place(|| watcher.request("DELETE", "summary", "/summary"));
    assert_eq!(
        (reply.status, reply.content_type.as_deref()),
        (405, Some("application/json"))
    );
    assert_conforms(&error_schema, &reply.json());
    // The skipped row was counted in the metric its alarm watches, and logged.
    // Metrics are flushed after the response: poll (bounded).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let output = watcher.output();
        let skipped_one = output
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .any(|doc| doc[wiring::emf::metric::SKIPPED_ROWS].as_f64() == Some(1.0));
        if skipped_one {
            // Its one outcome line says so, at warn: the 24h summary skipped one row.
            let logged = output
                .lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .any(|line| {
                    line["fields"]["message"] == "summary"
                        && line["fields"]["window"] == "24h"
                        && line["fields"]["skipped_rows"] == 1
                        && line["level"] == "WARN"
                });
            assert!(
                logged,
                "no warn summary line with skipped_rows = 1 in: {output}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no SkippedRows=1 metric in: {output}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The validators are not vacuous.
    assert!(!summary_schema.is_valid(&json!({"window": {}, "families": []})));
    assert!(!error_schema.is_valid(&json!({"error": {"code": "teapot", "message": "m"}})));
}
