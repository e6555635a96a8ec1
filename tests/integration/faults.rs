//! Faults at the wire: a DynamoDB endpoint that accepts connections and never
//! answers. Every function must end on its own, inside its Lambda timeout,
//! because its client has attempt and operation timeouts (wiring::Timeouts).

use crate::support::Watcher;
use crate::support::fault_proxy::{FaultPlan, FaultProxy};
use serde_json::json;
use std::time::{Duration, Instant};

/// The template's Lambda timeouts (checked against the template in `template.rs`).
const RECORD_TIMEOUT: Duration = Duration::from_secs(10);
const SUMMARY_TIMEOUT: Duration = Duration::from_secs(20);
/// The watcher kills an invocation after this: prune must stop before it, on its own.
const PRUNE_TEST_DEADLINE_SECONDS: u32 = 40;

#[test]
fn every_function_ends_on_its_own_when_dynamodb_hangs() {
    // Every request hangs: the proxy accepts the connection and never answers.
    let endpoint = FaultProxy::start(
        &crate::support::dynamodb_endpoint(),
        FaultPlan {
            hang: 1.0,
            ..FaultPlan::default()
        },
    );
    // The watcher hands prune a deadline 600 s away; a safety margin of
    // 600 - 20 s makes prune's own stop point 20 s after the invocation
    // starts, through the real setting and the real deadline code.
    let margin = (600 - 20).to_string();
    let mut watcher = Watcher::start_with_timeout(
        &endpoint.endpoint,
        "hanging-table",
        90,
        PRUNE_TEST_DEADLINE_SECONDS,
        &[("PRUNE_SAFETY_MARGIN_SECONDS", &margin)],
    );

    // Warm each function with a request that never reaches DynamoDB, so the
    // measured calls below are the calls, not the first build or start.
    let warm = watcher.invoke("record", "{}").json();
    assert_eq!(warm["status"], "rejected", "{warm}");
    let warm = watcher.request("GET", "summary", "/summary?window=1y");
    assert_eq!(warm.status, 400, "{}", warm.body);

    let payload = json!({
        "event": domain::testing::REPORT_CREATED, "tenant_id": "t", "workspace_id": "w",
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
    assert!(endpoint.count(|c| &c.hung) > 0, "the hang was reached");

    let started = Instant::now();
    let reply = watcher.request("GET", "summary", "/summary?window=7d");
    let took = started.elapsed();
    assert!(
        took < SUMMARY_TIMEOUT,
        "summary took {took:?}, past its {SUMMARY_TIMEOUT:?} Lambda timeout"
    );
    // The roll-up read times out (and fails open to raw reads), then the raw
    // reads time out too: past the read budget, a clear 503, inside the timeout.
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.json()["error"]["code"], "summary_unavailable");
    assert_eq!(reply.retry_after.as_deref(), Some("60"));

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
    // Its own report: the partitions it could not read (PartitionsFailed),
    // or a stop at its deadline (finished: false); never another error.
    assert!(
        body["errorType"] == "PartitionsFailed" || body["finished"] == json!(false),
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

/// A client as the functions build it (wiring), pointed at `endpoint`.
pub(crate) fn function_client(
    endpoint: &str,
    timeouts: wiring::Timeouts,
) -> aws_sdk_dynamodb::Client {
    let env = [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint),
    ];
    wiring::dynamodb_client_from(
        |name| {
            env.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        },
        timeouts,
    )
    .expect("client")
}

/// How many rows the fault tests use; `FAULT_TEST_SCALE=10` runs ten times as many.
fn scale() -> usize {
    std::env::var("FAULT_TEST_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// Under 20 % throttling and 5 % lost responses (applied, then a 500), prune
/// removes every due row within 3 runs, and never a live one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_under_throttling_and_lost_responses_removes_every_due_row_within_three_runs() {
    use crate::support::TestTable;
    use crate::support::fixtures::{row, seed};
    use chrono::{TimeDelta, Utc};
    use storage::{PrunePlan, QueryOptions, StopSignal};

    struct Unbounded;
    impl StopSignal for Unbounded {
        fn should_stop(&self) -> bool {
            false
        }
    }

    let table = TestTable::create().await;
    let now = Utc::now();
    let due = 500 * scale();
    let live = 100 * scale();
    let mut rows = Vec::new();
    for i in 0..due {
        // Past the 90-day retention, spread over 60 days; TTLs still ahead
        // (a shortened retention), so only prune can remove them.
        let mut r = row(
            domain::testing::REPORT_CREATED,
            "t",
            "w",
            &format!("due-{i}"),
            now - TimeDelta::days(91) - TimeDelta::minutes(173 * i as i64 % (60 * 1440)),
        );
        r.expires_at = (now + TimeDelta::days(1)).timestamp();
        rows.push(r);
    }
    for i in 0..live {
        rows.push(row(
            domain::testing::REPORT_CREATED,
            "t",
            "w",
            &format!("live-{i}"),
            now - TimeDelta::days(89) + TimeDelta::minutes(97 * i as i64 % (80 * 1440)),
        ));
    }
    seed(&table.ledger(), rows).await;

    let proxy = FaultProxy::start(
        &crate::support::dynamodb_endpoint(),
        FaultPlan {
            throttle: 0.20,
            fail_after_apply: 0.05,
            hang: 0.0,
            cancel_transactions: 0.0,
            fail_batch_gets: 0.0,
            close_first: 0,
            delay: Duration::ZERO,
            seed: 13,
        },
    );
    let ledger = storage::Ledger::new(
        function_client(&proxy.endpoint, wiring::Timeouts::PRUNE),
        &table.name,
    )
    .with_erasure_keys(domain::testing::erasure_keyring());
    let plan = PrunePlan::new(
        now,
        domain::Retention::default(),
        7,
        Duration::from_secs(48 * 3600),
        false,
    );
    let mut runs = Vec::new();
    for _ in 0..3 {
        let report = ledger
            .prune(plan, &Unbounded, QueryOptions::default())
            .await;
        let done = report.finished && report.partitions_failed == 0 && report.rows_left == 0;
        runs.push(report);
        if done {
            break;
        }
    }
    let remaining: Vec<String> = table.event_ids().await;
    let due_left = remaining.iter().filter(|id| id.starts_with("due-")).count();
    let live_left = remaining
        .iter()
        .filter(|id| id.starts_with("live-"))
        .count();
    eprintln!(
        "prune under faults: {} run(s), throttled {}, lost after apply {}, forwarded {}: {runs:?}",
        runs.len(),
        proxy.count(|c| &c.throttled),
        proxy.count(|c| &c.failed_after_apply),
        proxy.count(|c| &c.forwarded),
    );
    assert!(
        proxy.count(|c| &c.throttled) > 0 && proxy.count(|c| &c.failed_after_apply) > 0,
        "the faults were injected"
    );
    assert_eq!(due_left, 0, "every due row removed within 3 runs: {runs:?}");
    assert_eq!(live_left, live, "never a live row");
}

/// Record through the same faults, under `cargo lambda watch`: the caller
/// retries a function error as Lambda's async retries would, and every
/// milestone lands exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_under_throttling_and_lost_responses_lands_every_milestone_exactly_once() {
    use crate::support::TestTable;
    use tokio::task::block_in_place;

    let table = TestTable::create().await;
    let proxy = FaultProxy::start(
        &crate::support::dynamodb_endpoint(),
        FaultPlan {
            throttle: 0.20,
            fail_after_apply: 0.05,
            hang: 0.0,
            cancel_transactions: 0.0,
            fail_batch_gets: 0.0,
            close_first: 0,
            delay: Duration::ZERO,
            seed: 7,
        },
    );
    let mut watcher = Watcher::start(&proxy.endpoint, &table.name, 90);
    let milestones = 1000 * scale();
    let occurred_at = chrono::Utc::now().to_rfc3339();
    let mut function_errors = 0;
    for i in 0..milestones {
        let payload = json!({
            "event": domain::testing::REPORT_CREATED, "tenant_id": "t", "workspace_id": "w",
            "actor_id": "a", "event_id": format!("m-{i}"), "metadata": {"report_type": "usage"},
            "occurred_at": occurred_at
        })
        .to_string();
        // Lambda retries a failed async invocation twice; allow a few more.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let reply = block_in_place(|| watcher.invoke("record", &payload)).json();
            match reply["status"].as_str() {
                Some("recorded" | "duplicate") => break,
                _ if reply.get("errorType").is_some() && attempts < 6 => function_errors += 1,
                _ => panic!("milestone {i} not landed after {attempts} attempts: {reply}"),
            }
        }
    }
    let items = table.rows().await;
    let mut ids: Vec<String> = items
        .iter()
        .map(|item| {
            storage::testing::decode(item)
                .expect("row")
                .event_id
                .as_str()
                .to_owned()
        })
        .collect();
    ids.sort();
    ids.dedup();
    eprintln!(
        "record under faults: {milestones} milestones, {function_errors} function error(s) retried, throttled {}, lost after apply {}",
        proxy.count(|c| &c.throttled),
        proxy.count(|c| &c.failed_after_apply),
    );
    assert!(
        proxy.count(|c| &c.failed_after_apply) > 0,
        "faults injected"
    );
    assert_eq!(
        items.len(),
        milestones,
        "exactly once: no row twice, none lost"
    );
    assert_eq!(ids.len(), milestones);
}

/// Prune's deadline, through the real handler under `cargo lambda watch`: on
/// a slow store (every request delayed) with a deadline close at hand, the
/// run stops before its deadline and reports `finished: false`, keeping what
/// it deleted; the next run, with time enough, resumes and finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_stops_at_its_deadline_on_a_slow_store_and_the_next_run_resumes() {
    use crate::support::TestTable;
    use crate::support::fixtures::{row, seed};
    use chrono::{TimeDelta, Utc};
    use tokio::task::block_in_place;

    let table = TestTable::create().await;
    let now = Utc::now();
    // Due rows on the oldest and on the newest days of the walk, so a stopped
    // first run has deleted some and left the others.
    let mut rows = Vec::new();
    for i in 0..10 {
        for (prefix, age) in [("old", 360 - i), ("new", 92 + i)] {
            let mut r = row(
                domain::testing::REPORT_CREATED,
                "t",
                "w",
                &format!("{prefix}-{i}"),
                now - TimeDelta::days(age),
            );
            r.expires_at = (now + TimeDelta::days(1)).timestamp();
            rows.push(r);
        }
    }
    rows.push(row(
        domain::testing::REPORT_CREATED,
        "t",
        "w",
        "live",
        now - TimeDelta::days(1),
    ));
    seed(&table.ledger(), rows).await;
    let slow = FaultProxy::start(
        &crate::support::dynamodb_endpoint(),
        FaultPlan {
            delay: Duration::from_millis(120),
            ..FaultPlan::default()
        },
    );
    // The watcher hands every invocation a deadline 600 s away: a margin of
    // 596 s leaves the first run 4 s, far less than the ~1,130 slow Queries need.
    let mut hurried = Watcher::start_with_timeout(
        &slow.endpoint,
        &table.name,
        90,
        120,
        &[("PRUNE_SAFETY_MARGIN_SECONDS", "596")],
    );
    // The whole walk needs about 1,130 / 16 x 120 ms = 8.5 s: only the
    // deadline stops it sooner, and `finished: false` says it did.
    let first = block_in_place(|| hurried.invoke("prune", r#"{"dry_run": false}"#)).json();
    assert_eq!(first["finished"], false, "{first}");
    assert!(first.get("errorType").is_none(), "{first}");
    let deleted_first = first["rows_deleted"].as_u64().unwrap_or(0);
    assert!((10..20).contains(&deleted_first), "{first}");
    drop(hurried);

    let mut patient = Watcher::start(&crate::support::dynamodb_endpoint(), &table.name, 90);
    let second = block_in_place(|| patient.invoke("prune", r#"{"dry_run": false}"#)).json();
    assert_eq!(second["finished"], true, "{second}");
    assert_eq!(
        second["rows_deleted"].as_u64().unwrap_or(0) + deleted_first,
        20,
        "{first} then {second}"
    );
    let left: Vec<String> = table.event_ids().await;
    assert_eq!(left, ["live"]);
}

/// A summary whose reads overrun its budget (roll-ups being rebuilt after a
/// deploy, or a slow store) answers a clear 503 with `Retry-After` inside
/// the budget, never a timeout. Here: every DynamoDB request takes 300 ms, a
/// 90-day window needs hundreds of them, and the budget is 1 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_over_its_read_budget_answers_503_with_retry_after() {
    use crate::support::{TestTable, dynamodb_endpoint};
    use tokio::task::block_in_place;
    let table = TestTable::create().await;
    let slow = FaultProxy::start(
        &dynamodb_endpoint(),
        FaultPlan {
            delay: Duration::from_millis(300),
            ..FaultPlan::default()
        },
    );
    let mut watcher = Watcher::start_with_timeout(
        &slow.endpoint,
        &table.name,
        90,
        300,
        &[("SUMMARY_READ_BUDGET_MS", "1000")],
    );
    let warm = block_in_place(|| watcher.request("GET", "summary", "/summary?window=1y"));
    assert_eq!(warm.status, 400, "{}", warm.body);
    let started = Instant::now();
    let reply = block_in_place(|| watcher.request("GET", "summary", "/summary?window=90d"));
    let took = started.elapsed();
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.json()["error"]["code"], "summary_unavailable");
    assert_eq!(reply.retry_after.as_deref(), Some("60"));
    assert!(
        took < Duration::from_secs(5),
        "answered in {took:?}, budget 1 s"
    );
}

/// Late rows of one day under contention: 60 late rows of yesterday arrive
/// from 6 callers at once while the proxy cancels 30 % of transactions as
/// `TransactionConflict`. Record retries the cancellations itself, so (nearly)
/// no invocation fails; the rest are retried as Lambda would; every row lands
/// exactly once, and the day's version counts each late put once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_rows_under_transaction_conflicts_all_land_exactly_once() {
    use crate::support::{TestTable, dynamodb_endpoint};
    use tokio::task::block_in_place;
    let table = TestTable::create().await;
    let proxy = FaultProxy::start(
        &dynamodb_endpoint(),
        FaultPlan {
            cancel_transactions: 0.30,
            seed: 5,
            ..FaultPlan::default()
        },
    );
    let mut watcher = Watcher::start(&proxy.endpoint, &table.name, 90);
    let warm = block_in_place(|| watcher.invoke("record", "{}"));
    assert_eq!(warm.status, 200, "{}", warm.body);
    let url = format!(
        "{}/2015-03-31/functions/record/invocations",
        watcher.invoke_endpoint()
    );
    let yesterday = (chrono::Utc::now() - chrono::TimeDelta::days(1))
        .date_naive()
        .and_hms_opt(10, 0, 0)
        .expect("time")
        .and_utc();
    let payloads: Vec<String> = (0..60)
        .map(|i| {
            json!({
                "event": domain::testing::REPORT_CREATED, "tenant_id": "t-late", "workspace_id": format!("w{}", i % 5),
                "actor_id": "a", "event_id": format!("late-{i}"), "metadata": {"report_type": "usage"},
                "occurred_at": (yesterday + chrono::TimeDelta::seconds(i)).to_rfc3339()
            })
            .to_string()
        })
        .collect();
    let send = |payload: &str| -> String {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .new_agent();
        let mut response = agent.post(&url).send(payload).expect("invoke");
        let body: serde_json::Value =
            serde_json::from_str(&response.body_mut().read_to_string().expect("body"))
                .expect("json");
        body["status"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("function error: {body}"))
    };
    let first_tries: Vec<String> = block_in_place(|| {
        std::thread::scope(|scope| {
            let callers: Vec<_> = payloads
                .chunks(10)
                .map(|chunk| scope.spawn(|| chunk.iter().map(|p| send(p)).collect::<Vec<_>>()))
                .collect();
            callers
                .into_iter()
                .flat_map(|caller| caller.join().expect("caller"))
                .collect()
        })
    });
    let failed: Vec<usize> = first_tries
        .iter()
        .enumerate()
        .filter(|(_, status)| status.as_str() != "recorded")
        .map(|(i, _)| i)
        .collect();
    println!(
        "late rows under 30 % transaction conflicts: {} of {} invocations failed on their first try ({:.1} %), {} transactions cancelled",
        failed.len(),
        payloads.len(),
        100.0 * failed.len() as f64 / payloads.len() as f64,
        proxy.count(|c| &c.cancelled)
    );
    assert!(
        proxy.count(|c| &c.cancelled) > 10,
        "the conflicts were injected"
    );
    assert!(
        failed.len() * 10 <= payloads.len(),
        "record absorbs conflicts: at most 10 % function errors, got {failed:?}"
    );
    // What Lambda would do with the rest: retry until recorded (or duplicate).
    for i in failed {
        let status = (0..5)
            .map(|_| block_in_place(|| send(&payloads[i])))
            .find(|s| s == "recorded" || s == "duplicate");
        assert!(status.is_some(), "late-{i} never landed");
    }
    let mut ids = table.event_ids().await;
    ids.dedup();
    assert_eq!(ids.len(), payloads.len(), "every row exactly once");
    // Each landed late row bumped exactly one version shard of its day, and
    // the bumps spread: no single hot item.
    let shards = storage::testing::day_version_shards(&table.ledger(), yesterday.date_naive())
        .await
        .expect("versions");
    println!("version shards bumped: {shards:?}");
    assert_eq!(shards.values().sum::<u64>(), payloads.len() as u64);
    assert!(
        shards.len() == 4 && shards.values().all(|bumps| *bumps < 30),
        "60 late rows spread over the day's 4 shards: {shards:?}"
    );
}

/// Roll-ups only save reading: when every roll-up read fails at the wire
/// (each BatchGetItem answered 500, retries and all), a summary reads every
/// span raw, says why in `rollup_error`, and is exact: equal to a summary of
/// raw rows alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_whose_rollup_reads_fail_is_read_raw_and_exact() {
    use crate::support::fixtures::{row, seed};
    use crate::support::{TestTable, dynamodb_endpoint};
    use chrono::TimeDelta;
    use domain::{Aggregation, Retention, Window, WindowKey};
    use storage::{QueryOptions, Sources};
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = domain::now_millis();
    let rows = (0..40)
        .map(|i| {
            row(
                domain::testing::REPORT_CREATED,
                "t",
                &format!("w{}", i % 7),
                &format!("e-{i}"),
                now - TimeDelta::hours(4 * i + 1),
            )
        })
        .collect();
    seed(&ledger, rows).await;
    let due = domain::rollup::Due::at(now, Retention::default());
    let run = ledger
        .roll_up(&due, now, Retention::default(), || false)
        .await
        .expect("roll up");
    assert!(run.days_built >= 5, "{run:?}");
    let failing = FaultProxy::start(
        &dynamodb_endpoint(),
        FaultPlan {
            fail_batch_gets: 1.0,
            ..FaultPlan::default()
        },
    );
    let through_proxy = storage::Ledger::new(
        function_client(&failing.endpoint, wiring::Timeouts::SUMMARY),
        &table.name,
    );
    let aggregation = || {
        Aggregation::new(
            Window::ending_at(WindowKey::Week, now),
            now,
            Retention::default(),
        )
    };
    let read = through_proxy
        .read_summary(aggregation(), Sources::Rollups, QueryOptions::default())
        .await
        .expect("answered from raw rows");
    assert!(
        read.rollup_error.is_some(),
        "the failure is kept for the log"
    );
    assert!(
        failing
            .counts
            .failed_batch_gets
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );
    assert_eq!((read.stats.rollup_days, read.stats.rollup_hours), (0, 0));
    let raw = ledger
        .read_summary(aggregation(), Sources::RawRows, QueryOptions::default())
        .await
        .expect("raw");
    assert!(raw.summary.total > 0);
    assert_eq!(read.summary, raw.summary);
}

/// A connection the server closes with a request in flight breaks the call
/// (hyper: "connection closed before message completed"); the functions'
/// clients retry it as a transient error, within their three attempts. Here
/// the first two requests of a summary's client are dropped unanswered, and
/// the summary is read whole. (Stale pooled connections, which could make
/// every attempt meet one, are dropped after `wiring::POOL_IDLE_TIMEOUT`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_closed_in_transit_is_retried() {
    use crate::support::fixtures::{row, seed};
    use crate::support::{TestTable, dynamodb_endpoint};
    use chrono::TimeDelta;
    use domain::{Aggregation, Retention, Window, WindowKey};
    use storage::{QueryOptions, Sources};
    let table = TestTable::create().await;
    let now = domain::now_millis();
    seed(
        &table.ledger(),
        vec![row(
            domain::testing::REPORT_CREATED,
            "t",
            "w",
            "e-1",
            now - TimeDelta::hours(1),
        )],
    )
    .await;
    let closing = FaultProxy::start(
        &dynamodb_endpoint(),
        FaultPlan {
            close_first: 2,
            ..FaultPlan::default()
        },
    );
    let ledger = storage::Ledger::new(
        function_client(&closing.endpoint, wiring::Timeouts::SUMMARY),
        &table.name,
    );
    let read = ledger
        .read_summary(
            Aggregation::new(
                Window::ending_at(WindowKey::Day, now),
                now,
                Retention::default(),
            ),
            Sources::RawRows,
            QueryOptions {
                concurrency: 1,
                ..QueryOptions::default()
            },
        )
        .await
        .expect("read whole after the retries");
    assert_eq!(
        closing
            .counts
            .closed
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
    assert_eq!(read.summary.total, 1);
}
