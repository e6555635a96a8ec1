//! Retention against DynamoDB Local: the prune walk, DynamoDB Local's own TTL,
//! and `prune` end to end under `cargo lambda watch`.

use crate::support::fixtures::{row, seed};
use crate::support::{StopAfter, TestTable, Watcher, dynamodb_endpoint};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use domain::Retention;
use domain::testing::{OPERATION_STARTED, REPORT_CREATED};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use storage::testing;
use storage::{PrunePlan, PruneReport, QueryOptions, StopSignal};
use tokio::task::block_in_place;

/// Never stops.
struct Unbounded;
impl StopSignal for Unbounded {
    fn should_stop(&self) -> bool {
        false
    }
}

/// TTL's grace period, as the template's default.
const GRACE: Duration = Duration::from_secs(48 * 3600);

/// "now" on a millisecond boundary, for exact edges.
fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::milliseconds(1))
        .expect("truncate")
}

/// A row whose TTL is a day away, so DynamoDB Local's TTL (real clock) never
/// races the test: prune must act on `occurred_at`, whatever `expires_at` says.
fn ttl_proof_row(event_id: &str, occurred: DateTime<Utc>) -> domain::Milestone {
    let mut row = row(REPORT_CREATED, "tenant-p", "ws-p", event_id, occurred);
    row.expires_at = (Utc::now() + TimeDelta::days(1)).timestamp();
    row
}

async fn remaining_ids(table: &TestTable) -> BTreeSet<String> {
    table.event_ids().await.into_iter().collect()
}

async fn prune(table: &TestTable, plan: PrunePlan, stop: &impl StopSignal) -> PruneReport {
    let report = table
        .ledger()
        .prune(plan, stop, QueryOptions::default())
        .await;
    assert_eq!(report.partitions_failed, 0, "{report:?}");
    report
}

fn ids(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn prune_deletes_exactly_the_rows_before_the_cutoff() {
    let table = TestTable::create().await;
    let now = now();
    let plan = PrunePlan::new(now, Retention::default(), 7, GRACE, false);
    let cutoff = plan.cutoff;
    seed(
        &table.ledger(),
        vec![
            ttl_proof_row("due-1ms", cutoff - TimeDelta::milliseconds(1)),
            ttl_proof_row("due-1d", cutoff - TimeDelta::days(1)),
            ttl_proof_row("due-200d", cutoff - TimeDelta::days(200)),
            ttl_proof_row("at-cutoff", cutoff),
            ttl_proof_row("after-1ms", cutoff + TimeDelta::milliseconds(1)),
            ttl_proof_row("recent", now - TimeDelta::hours(1)),
        ],
    )
    .await;

    let report = prune(&table, plan, &Unbounded).await;
    assert!(report.finished && !report.dry_run);
    assert_eq!(
        (report.rows_due, report.rows_deleted, report.rows_left),
        (3, 3, 0)
    );
    assert_eq!(
        remaining_ids(&table).await,
        ids(&["at-cutoff", "after-1ms", "recent"])
    );

    // A re-run finds nothing more to do.
    let again = prune(&table, plan, &Unbounded).await;
    assert_eq!((again.rows_due, again.rows_deleted), (0, 0));
}

#[tokio::test]
async fn shortened_retention_deletes_rows_whose_ttl_is_still_in_the_future() {
    let table = TestTable::create().await;
    let now = now();
    // Written under the default 90-day retention: their TTLs are weeks away.
    let rows = vec![
        row(
            OPERATION_STARTED,
            "t",
            "w",
            "40-days-old",
            now - TimeDelta::days(40),
        ),
        row(
            OPERATION_STARTED,
            "t",
            "w",
            "20-days-old",
            now - TimeDelta::days(20),
        ),
    ];
    assert!(rows.iter().all(|r| r.expires_at > now.timestamp()));
    seed(&table.ledger(), rows).await;

    let shortened = Retention::from_days(30).expect("valid");
    let report = prune(
        &table,
        PrunePlan::new(now, shortened, 7, GRACE, false),
        &Unbounded,
    )
    .await;
    assert_eq!((report.rows_due, report.rows_deleted), (1, 1));
    assert_eq!(remaining_ids(&table).await, ids(&["20-days-old"]));
}

#[tokio::test]
async fn many_due_rows_across_days_and_shards_are_deleted_in_batches() {
    let table = TestTable::create().await;
    let now = now();
    let plan = PrunePlan::new(now, Retention::default(), 7, GRACE, false);
    let mut rows = Vec::new();
    let mut keep = BTreeSet::new();
    for i in 0..80 {
        // 20 days before the cutoff, four rows a day, landing on every shard.
        rows.push(ttl_proof_row(
            &format!("due-{i}"),
            plan.cutoff - TimeDelta::hours(1 + 6 * i),
        ));
    }
    for i in 0..30 {
        let id = format!("keep-{i}");
        rows.push(ttl_proof_row(
            &id,
            plan.cutoff + TimeDelta::hours(1 + 2 * i),
        ));
        keep.insert(id);
    }
    seed(&table.ledger(), rows).await;

    let report = prune(&table, plan, &Unbounded).await;
    assert!(report.finished);
    assert_eq!(
        (report.rows_due, report.rows_deleted, report.rows_left),
        (80, 80, 0)
    );
    // The walk covers every day from (now - 365 - 7 days) to the cutoff day.
    let days = plan.partition_count() / usize::from(storage::WRITE_SHARDS);
    assert_eq!(report.days_examined as usize, days);
    assert_eq!(days, 365 + 7 - 90 + 1);
    assert_eq!(remaining_ids(&table).await, keep);
}

#[tokio::test]
async fn a_run_stopped_by_its_deadline_is_completed_by_the_next() {
    let table = TestTable::create().await;
    let now = now();
    let plan = PrunePlan::new(now, Retention::default(), 7, GRACE, false);
    let partitions = plan.partition_count();
    let mut rows = Vec::new();
    for i in 0..12 {
        // Early days (examined by the first run) and the last days before the cutoff (not).
        rows.push(ttl_proof_row(
            &format!("old-{i}"),
            plan.cutoff - TimeDelta::days(200 + i),
        ));
        rows.push(ttl_proof_row(
            &format!("late-{i}"),
            plan.cutoff - TimeDelta::hours(2 + i),
        ));
    }
    rows.push(ttl_proof_row("keep", now - TimeDelta::days(1)));
    seed(&table.ledger(), rows).await;

    // Stop 10 days (40 partitions) short of the cutoff.
    let first = prune(&table, plan, &StopAfter::new(partitions - 40)).await;
    assert!(!first.finished);
    assert_eq!(first.rows_deleted, 12, "{first:?}");
    assert_eq!(remaining_ids(&table).await.len(), 13);

    let second = prune(&table, plan, &Unbounded).await;
    assert!(second.finished);
    assert_eq!(second.rows_deleted, 12);
    assert_eq!(remaining_ids(&table).await, ids(&["keep"]));
}

#[tokio::test]
async fn dry_run_deletes_nothing_and_reports_the_same_counts() {
    let table = TestTable::create().await;
    let now = now();
    let mut rows: Vec<domain::Milestone> = (0..30)
        .map(|i| ttl_proof_row(&format!("due-{i}"), now - TimeDelta::days(91 + i)))
        .collect();
    rows.push(ttl_proof_row("keep", now - TimeDelta::days(3)));
    seed(&table.ledger(), rows).await;

    let dry = prune(
        &table,
        PrunePlan::new(now, Retention::default(), 7, GRACE, true),
        &Unbounded,
    )
    .await;
    assert!(dry.dry_run && dry.finished);
    assert_eq!((dry.rows_due, dry.rows_deleted, dry.rows_left), (30, 0, 30));
    assert_eq!(remaining_ids(&table).await.len(), 31);

    let real = prune(
        &table,
        PrunePlan::new(now, Retention::default(), 7, GRACE, false),
        &Unbounded,
    )
    .await;
    assert_eq!(
        (real.rows_due, real.days_examined),
        (dry.rows_due, dry.days_examined)
    );
    assert_eq!(real.rows_deleted, 30);
}

#[tokio::test]
async fn dynamodb_local_ttl_removes_an_expired_row() {
    // Layer one of retention: TTL deletes expired items by itself, eventually.
    // (Layer two, prune, enforces the exact cutoff; reads are exact regardless.)
    let table = TestTable::create().await;
    let mut expired = row(
        REPORT_CREATED,
        "t",
        "w",
        "expired",
        Utc::now() - TimeDelta::hours(1),
    );
    expired.expires_at = Utc::now().timestamp() - 60;
    let live = row(
        REPORT_CREATED,
        "t",
        "w",
        "live",
        Utc::now() - TimeDelta::hours(1),
    );
    seed(&table.ledger(), vec![expired, live]).await;

    let limit = Duration::from_secs(180);
    let started = Instant::now();
    loop {
        let ids = remaining_ids(&table).await;
        if !ids.contains("expired") {
            assert!(ids.contains("live"), "TTL must leave unexpired rows alone");
            break;
        }
        assert!(
            started.elapsed() < limit,
            "DynamoDB Local's TTL did not remove the expired row within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn schedule_event(time: &str) -> String {
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/schedule-event.json"
    ))
    .expect("schedule fixture");
    let mut event: serde_json::Value = serde_json::from_str(&fixture).expect("fixture is JSON");
    event["time"] = time.into();
    event.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_through_cargo_lambda_watch() {
    let table = TestTable::create().await;
    let now = Utc::now();
    let mut rows: Vec<domain::Milestone> = (0..5)
        .map(|i| ttl_proof_row(&format!("due-{i}"), now - TimeDelta::days(95 + i)))
        .collect();
    rows.push(ttl_proof_row("keep-89d", now - TimeDelta::days(89)));
    rows.push(ttl_proof_row("keep-recent", now - TimeDelta::hours(1)));
    seed(&table.ledger(), rows).await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);

    // A manual dry run reports and deletes nothing.
    let reply = block_in_place(|| watcher.invoke("prune", r#"{"dry_run": true}"#));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let report = reply.json();
    assert_eq!(
        (report["dry_run"].as_bool(), report["finished"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(
        (report["rows_due"].as_u64(), report["rows_deleted"].as_u64()),
        (Some(5), Some(0))
    );
    assert_eq!(remaining_ids(&table).await.len(), 7);

    // Forged schedule times (1970, far future) change nothing: the function
    // keeps its own clock. Each case has due rows of its own to delete, so
    // each one proves it deleted exactly those and kept the live rows.
    for (round, time) in ["1970-01-01T00:00:00Z", "2099-12-31T23:59:59Z"]
        .into_iter()
        .enumerate()
    {
        if round > 0 {
            let due: Vec<domain::Milestone> = (0..5)
                .map(|i| ttl_proof_row(&format!("due-{round}-{i}"), now - TimeDelta::days(95 + i)))
                .collect();
            seed(&table.ledger(), due).await;
        }
        assert_eq!(
            remaining_ids(&table).await.len(),
            7,
            "time {time}: 5 due + 2 live"
        );
        let reply = block_in_place(|| watcher.invoke("prune", &schedule_event(time)));
        assert_eq!(reply.status, 200, "{}", reply.body);
        let report = reply.json();
        assert_eq!(report["dry_run"], false);
        assert_eq!(report["rows_deleted"], 5, "time {time}: {report}");
        assert_eq!(
            remaining_ids(&table).await,
            ids(&["keep-89d", "keep-recent"]),
            "time {time}"
        );
    }

    // The fixture itself, as EventBridge sends it: nothing left to delete.
    let reply =
        block_in_place(|| watcher.invoke("prune", &schedule_event("2026-11-27T03:00:00Z"))).json();
    assert_eq!(
        (reply["rows_due"].as_u64(), reply["finished"].as_bool()),
        (Some(0), Some(true))
    );

    // Any other payload is a clear error that deletes nothing.
    let reply = block_in_place(|| watcher.invoke("prune", r#"{"cutoff": "2030-01-01"}"#));
    assert!(reply.status >= 400, "{}", reply.body);
    let error = reply.json();
    assert_eq!(error["errorType"], "InvalidInput", "{}", reply.body);
    assert!(
        error["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("dry_run") && m.contains("nothing was deleted")),
        "the message names what is accepted and that nothing was deleted: {}",
        reply.body
    );
    assert_eq!(remaining_ids(&table).await.len(), 2);
}

/// A row re-recorded under the same key between prune's read and its delete
/// (after TTL or another run removed the one read) is never deleted: the
/// delete is conditional on the row still being the one that was read.
#[tokio::test]
async fn a_row_re_recorded_between_read_and_delete_is_never_deleted() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = Utc::now();
    let as_read = ttl_proof_row("same-key", now - TimeDelta::days(95));
    // What the table holds by the time the delete is sent: the same tenant
    // and event id, recorded again with another time.
    let re_recorded = ttl_proof_row("same-key", now - TimeDelta::days(2));
    seed(&ledger, vec![re_recorded.clone()]).await;

    let result = testing::delete_as_read(&ledger, &as_read)
        .await
        .expect("delete");
    assert_eq!(result, testing::DeleteResult::Changed);
    assert_eq!(
        remaining_ids(&table).await,
        ids(&["same-key"]),
        "the live row stays"
    );

    // The row as it now is, read again, is deleted.
    let result = testing::delete_as_read(&ledger, &re_recorded)
        .await
        .expect("delete");
    assert_eq!(result, testing::DeleteResult::Deleted);
    assert!(remaining_ids(&table).await.is_empty());
}

/// TTL first: a row past the cutoff that expired under its own TTL within the
/// grace period is left to TTL (free); one TTL left behind for longer, and one
/// outside a shortened retention (TTL still ahead), are deleted.
///
/// The run's clock is 200 days ahead of the real one, so every TTL here is
/// still in the real future and DynamoDB Local's own TTL never races the test.
#[tokio::test]
async fn rows_expired_under_their_ttl_are_left_to_ttl_for_the_grace_period() {
    let table = TestTable::create().await;
    let run_now = now() + TimeDelta::days(200);
    let plan = PrunePlan::new(run_now, Retention::default(), 7, GRACE, false);
    let past_cutoff = plan.cutoff - TimeDelta::days(3);
    let with_ttl = |id: &str, expires: DateTime<Utc>| {
        let mut r = row(REPORT_CREATED, "t", "w", id, past_cutoff);
        r.expires_at = expires.timestamp();
        r
    };
    seed(
        &table.ledger(),
        vec![
            with_ttl("ttl-1h-ago", run_now - TimeDelta::hours(1)),
            with_ttl("ttl-47h-ago", run_now - TimeDelta::hours(47)),
            with_ttl("ttl-49h-ago", run_now - TimeDelta::hours(49)),
            with_ttl("ttl-ahead", run_now + TimeDelta::days(30)),
            ttl_proof_row("live", run_now - TimeDelta::days(10)),
        ],
    )
    .await;
    let report = prune(&table, plan, &Unbounded).await;
    assert_eq!(report.rows_left_to_ttl, 2, "{report:?}");
    assert_eq!((report.rows_due, report.rows_deleted), (2, 2), "{report:?}");
    assert_eq!(
        remaining_ids(&table).await,
        ids(&["live", "ttl-1h-ago", "ttl-47h-ago"])
    );
}

/// An index row without a readable time cannot be judged or deleted: it is
/// counted as unreadable, and the walk and its partition go on.
#[tokio::test]
async fn an_unreadable_index_row_is_counted_not_fatal() {
    let table = TestTable::create().await;
    let now = now();
    let plan = PrunePlan::new(now, Retention::default(), 7, GRACE, false);
    let due = ttl_proof_row("due", plan.cutoff - TimeDelta::days(1));
    let mut broken = testing::encode(&due);
    broken.insert(
        testing::attr::EVENT_ID.into(),
        aws_sdk_dynamodb::types::AttributeValue::S("other".into()),
    );
    broken.insert(
        testing::attr::EVENT_KEY.into(),
        aws_sdk_dynamodb::types::AttributeValue::S("ffffffffffffffffffffffffffffffff".into()),
    );
    let time_key = match &broken[testing::attr::TIME_KEY] {
        aws_sdk_dynamodb::types::AttributeValue::S(s) => s.clone(),
        other => panic!("{other:?}"),
    };
    // Inside the day's sort-key range, so the walk reads it, but no instant.
    let date = &time_key[..11];
    broken.insert(
        testing::attr::TIME_KEY.into(),
        aws_sdk_dynamodb::types::AttributeValue::S(format!(
            "{date}25:61:00.000Z#ffffffffffffffffffffffffffffffff"
        )),
    );
    testing::put_raw(&table.ledger(), broken)
        .await
        .expect("put");
    seed(&table.ledger(), vec![due]).await;

    let report = prune(&table, plan, &Unbounded).await;
    assert_eq!(report.rows_unreadable, 1, "{report:?}");
    assert_eq!((report.rows_due, report.rows_deleted), (1, 1), "{report:?}");
    assert!(report.finished);
}
