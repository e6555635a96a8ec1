//! Offboarding and erasure end to end: the purge function under `cargo
//! lambda watch` on DynamoDB Local, summaries through the summary function,
//! the writer, prune's tombstones, and faults at the wire.

use crate::support::fault_proxy::{FaultPlan, FaultProxy};
use crate::support::fixtures::{row, seed};
use crate::support::{TestTable, Watcher, dynamodb_endpoint};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use domain::testing::{OPERATION_STARTED, REPORT_CREATED};
use domain::{ActorId, Aggregation, Milestone, Retention, Summary, Window, WindowKey};
use serde_json::{Value, json};
use storage::{Ledger, QueryOptions};
use tokio::task::block_in_place;

fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::milliseconds(1))
        .expect("truncate")
}

/// `count` rows of `tenant` over the last `days` days, half an hour off any
/// hour edge, across `actors` and 5 workspaces.
fn history(
    tenant: &str,
    count: usize,
    days: i64,
    actors: &[&str],
    now: DateTime<Utc>,
) -> Vec<Milestone> {
    let step = TimeDelta::days(days) / count as i32;
    (0..count)
        .map(|i| {
            let mut r = row(
                [OPERATION_STARTED, REPORT_CREATED][i % 2],
                tenant,
                &format!("{tenant}-w{}", i % 5),
                &format!("{tenant}-{i}"),
                now - TimeDelta::hours(2) - TimeDelta::minutes(30) - step * i as i32,
            );
            r.actor_id = ActorId::parse(actors[i % actors.len()]).expect("actor");
            r
        })
        .collect()
}

/// The summary of whatever rows the table holds, read raw.
async fn raw_summary(ledger: &Ledger, key: WindowKey, now: DateTime<Utc>) -> Summary {
    let window = Window::ending_at(key, now);
    let mut aggregation = Aggregation::new(window, now, Retention::default());
    ledger
        .read_range(window.start, window.end, QueryOptions::default(), |rows| {
            aggregation.add_all(rows)
        })
        .await
        .expect("read");
    aggregation.finish()
}

const WINDOWS: [WindowKey; 4] = [
    WindowKey::Day,
    WindowKey::Week,
    WindowKey::Month,
    WindowKey::Quarter,
];

/// Every window's answer through the summary function equals the raw
/// summary of the rows left (counts per family and active workspaces).
async fn assert_summaries_exact(watcher: &mut Watcher, ledger: &Ledger, when: &str) {
    for key in WINDOWS {
        let reply = block_in_place(|| {
            watcher.request(
                "GET",
                "summary",
                &format!("/summary?window={}", key.as_str()),
            )
        });
        assert_eq!(reply.status, 200, "{when}: {}", reply.body);
        let body = reply.json();
        let exact = raw_summary(ledger, key, Utc::now()).await;
        assert_eq!(body["total"], exact.total, "{when} {key:?}: {body}");
        assert_eq!(
            body["active_workspaces"], exact.active_workspaces,
            "{when} {key:?}: {body}"
        );
        let counts: Vec<u64> = body["families"]
            .as_array()
            .expect("families")
            .iter()
            .map(|f| f["count"].as_u64().unwrap_or(0))
            .collect();
        let expected: Vec<u64> = exact.families.iter().map(|f| f.count).collect();
        assert_eq!(counts, expected, "{when} {key:?}");
    }
}

/// The event ids of the rows the table holds for `tenant`.
async fn ids_of(table: &TestTable, tenant: &str) -> Vec<String> {
    let mut ids: Vec<String> = table
        .rows()
        .await
        .iter()
        .filter_map(|item| storage::testing::decode(item).ok())
        .filter(|m| m.tenant_id.as_str() == tenant)
        .map(|m| m.event_id.as_str().to_owned())
        .collect();
    ids.sort();
    ids
}

fn purge(watcher: &mut Watcher, request: &Value) -> Value {
    block_in_place(|| watcher.invoke("purge", &request.to_string())).json()
}

/// Tenants A and B over 20 days, rolled up. Purging A leaves no row of A and
/// every row of B, and every window's summary equals B's alone, before and
/// after the writer rebuilds the days A lost rows from. Again: 0 deleted.
#[tokio::test(flavor = "multi_thread")]
async fn purging_a_tenant_leaves_summaries_of_the_other_alone_exact() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    let a = history("t-a", 400, 20, &["u-1", "u-2"], now);
    let b = history("t-b", 300, 20, &["u-1", "u-3"], now);
    let b_ids = {
        let mut ids: Vec<String> = b.iter().map(|m| m.event_id.as_str().to_owned()).collect();
        ids.sort();
        ids
    };
    seed(&ledger, a.into_iter().chain(b).collect()).await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    let built = block_in_place(|| watcher.invoke("rollup", "{}")).json();
    assert!(built["days_built"].as_u64().unwrap_or(0) >= 19, "{built}");

    let answer = purge(
        &mut watcher,
        &json!({"scope": "tenant", "tenant_id": "t-a"}),
    );
    assert_eq!(answer["status"], "done", "{answer}");
    assert_eq!(answer["rows_deleted"], 400, "{answer}");
    assert!(
        answer["days_invalidated"].as_u64().unwrap_or(0) >= 19,
        "{answer}"
    );
    assert!(
        ids_of(&table, "t-a").await.is_empty(),
        "no row of A is left"
    );
    assert_eq!(ids_of(&table, "t-b").await, b_ids, "B's rows are unchanged");
    // At once: the rolled-up days A lost rows from are read raw.
    assert_summaries_exact(&mut watcher, &ledger, "right after the purge").await;

    // The writer rebuilds them once they settled (its clock injected).
    let later = now + domain::rollup::SETTLE + TimeDelta::minutes(1);
    let days = domain::rollup::due_days(later, Retention::default());
    let run = ledger
        .roll_up_days(&days, later, Retention::default(), || false)
        .await
        .expect("rebuild");
    assert!(run.failed.is_empty(), "{:?}", run.failed);
    assert!(
        run.days_built >= 19,
        "the purged days were rebuilt: {run:?}"
    );
    assert_summaries_exact(&mut watcher, &ledger, "after the writer rebuilt").await;

    let again = purge(
        &mut watcher,
        &json!({"scope": "tenant", "tenant_id": "t-a"}),
    );
    assert_eq!(again["status"], "done", "{again}");
    assert_eq!(again["rows_deleted"], 0, "{again}");
    // The one log line per invocation carries counts, never an id.
    let output = watcher.output();
    let lines: Vec<Value> = output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "purge")
        .collect();
    assert_eq!(lines.len(), 2, "{output}");
    for line in &lines {
        let text = line.to_string();
        assert!(!text.contains("t-a") && !text.contains("u-1"), "{text}");
    }
}

/// A person's rows within one tenant go; their rows in another tenant, and
/// other people's rows, stay.
#[tokio::test(flavor = "multi_thread")]
async fn purging_an_actor_removes_only_that_persons_rows_in_that_tenant() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    let a = history("t-a", 90, 10, &["u-1", "u-2", "u-3"], now);
    let b = history("t-b", 30, 10, &["u-1"], now);
    seed(&ledger, a.into_iter().chain(b).collect()).await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    let answer = purge(
        &mut watcher,
        &json!({"scope": "actor", "tenant_id": "t-a", "actor_id": "u-1"}),
    );
    assert_eq!(answer["status"], "done", "{answer}");
    assert_eq!(answer["rows_deleted"], 30, "{answer}");
    let left: Vec<(String, String)> = table
        .rows()
        .await
        .iter()
        .filter_map(|item| storage::testing::decode(item).ok())
        .map(|m| {
            (
                m.tenant_id.as_str().to_owned(),
                m.actor_id.as_str().to_owned(),
            )
        })
        .collect();
    assert_eq!(left.len(), 60 + 30);
    assert!(!left.contains(&("t-a".into(), "u-1".into())));
    assert_eq!(left.iter().filter(|(t, _)| t == "t-b").count(), 30);
    assert_summaries_exact(&mut watcher, &ledger, "after an actor purge").await;
}

/// Each bad input gets a typed rejection naming its field, and deletes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn bad_purge_requests_are_rejected_and_delete_nothing() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    seed(&ledger, history("t-a", 20, 5, &["u-1"], now)).await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    for (request, code, field) in [
        (json!({}), "missing_field", "scope"),
        // The scope is named, never implied: a lost actor id is no tenant purge.
        (json!({"tenant_id": "t-a"}), "missing_field", "scope"),
        (
            json!({"scope": "actor", "tenant_id": "t-a"}),
            "missing_field",
            "actor_id",
        ),
        (
            json!({"scope": "actor", "tenant_id": "t-a", "actor_id": ""}),
            "identifier_length",
            "actor_id",
        ),
        (
            json!({"scope": "actor", "actor_id": "u-1"}),
            "missing_field",
            "tenant_id",
        ),
        (
            json!({"scope": "tenant", "tenant_id": "#day"}),
            "identifier_charset",
            "tenant_id",
        ),
        (
            json!({"scope": "tenant", "tenant_id": "#rollup"}),
            "identifier_charset",
            "tenant_id",
        ),
        (
            json!({"scope": "tenant", "tenant_id": "t-a", "workspace_id": "t-a-w1"}),
            "unknown_field",
            "workspace_id",
        ),
        (
            json!({"scope": "actor", "tenant_id": "t-a", "actor_id": 7}),
            "wrong_type",
            "actor_id",
        ),
    ] {
        let answer = purge(&mut watcher, &request);
        assert_eq!(answer["status"], "rejected", "{request}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{request}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{request}: {answer}");
    }
    assert_eq!(ids_of(&table, "t-a").await.len(), 20, "nothing was deleted");
    assert!(
        storage::testing::tombstones(&ledger)
            .await
            .expect("read")
            .is_empty(),
        "no tombstone either"
    );
}

/// A milestone of a purged tenant that arrives after the purge (a late async
/// retry, a redrive) is refused by record as `purged` and never stored; one
/// that slipped in anyway (its put raced the purge: record read no tombstone
/// yet) is gone after the next scheduled prune, and its day's roll-up counts
/// it at no point once gone.
#[tokio::test(flavor = "multi_thread")]
async fn a_milestone_landing_after_the_purge_is_refused_and_a_racing_one_pruned() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    seed(&ledger, history("t-a", 40, 5, &["u-1"], now)).await;
    seed(&ledger, history("t-b", 10, 5, &["u-1"], now)).await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    let answer = purge(
        &mut watcher,
        &json!({"scope": "tenant", "tenant_id": "t-a"}),
    );
    assert_eq!(answer["status"], "done", "{answer}");

    // Lambda's async retry of a milestone that occurred before the purge.
    let late = json!({
        "event": REPORT_CREATED, "tenant_id": "t-a", "workspace_id": "t-a-w1",
        "actor_id": "u-1", "event_id": "in-flight", "metadata": {"report_type": "usage"},
        "occurred_at": (now - TimeDelta::hours(30)).to_rfc3339()
    });
    let refused = block_in_place(|| watcher.invoke("record", &late.to_string())).json();
    assert_eq!(refused["status"], "purged", "{refused}");
    assert_eq!(
        ids_of(&table, "t-a").await,
        Vec::<String>::new(),
        "never stored"
    );
    // The other tenant records as before.
    let mut other = late.clone();
    other["tenant_id"] = "t-b".into();
    let recorded = block_in_place(|| watcher.invoke("record", &other.to_string())).json();
    assert_eq!(recorded["status"], "recorded", "{recorded}");
    let line = watcher
        .output()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["fields"]["outcome"] == "purged")
        .expect("a purged outcome line");
    assert_eq!(
        line["level"], "INFO",
        "not a rejection, not a failure: {line}"
    );

    // A put that raced the purge (it read no tombstone, then landed after
    // the deletes), written straight to the table as it would have landed.
    let raced = row(
        REPORT_CREATED,
        "t-a",
        "t-a-w1",
        "raced",
        now - TimeDelta::hours(30),
    );
    seed(&ledger, vec![raced]).await;
    // A milestone that occurred more than record's clock skew after the
    // purge is the tenant's new life: kept. (Record accepts at most 5 minutes
    // ahead, so it is written straight to the table, as if recorded later.)
    seed(
        &ledger,
        vec![row(
            REPORT_CREATED,
            "t-a",
            "t-a-w1",
            "after",
            Utc::now() + domain::MAX_FUTURE_SKEW + TimeDelta::minutes(1),
        )],
    )
    .await;
    assert_eq!(ids_of(&table, "t-a").await, ["after", "raced"]);

    // Prune walks a tombstone once it settled (every record that could
    // have missed it has landed): as the daily run after the purge does.
    let aged =
        storage::testing::age_tombstones(&ledger, domain::rollup::SETTLE + TimeDelta::minutes(1))
            .await
            .expect("age the tombstone");
    assert_eq!(aged, 1);
    let report = block_in_place(|| watcher.invoke("prune", r#"{"dry_run": false}"#)).json();
    assert_eq!(report["finished"], true, "{report}");
    assert_eq!(report["tombstones"], 1, "{report}");
    assert_eq!(report["rows_erased"], 1, "{report}");
    assert_eq!(report["tombstones_closed"], 1, "{report}");
    assert_eq!(report["purges_unfinished"], 0, "{report}");
    assert_eq!(report["tombstones_failed"], 0, "{report}");
    assert_eq!(ids_of(&table, "t-a").await, ["after"]);
    // Closed: the next run walks it no more.
    let again = block_in_place(|| watcher.invoke("prune", r#"{"dry_run": false}"#)).json();
    assert_eq!(
        (
            again["tombstones"].as_u64(),
            again["tombstones_taken"].as_u64()
        ),
        (Some(1), Some(0)),
        "{again}"
    );
    assert_eq!(ids_of(&table, "t-b").await.len(), 11);
    assert_summaries_exact(&mut watcher, &ledger, "after prune honoured the tombstone").await;
}

/// A purged person's milestone sent after the purge is never stored,
/// whatever the retention did in between: the tombstone outlives the longest
/// retention a stack can have, so lengthening the retention from 7 to 365
/// days after the purge brings nothing back.
#[tokio::test(flavor = "multi_thread")]
async fn a_purged_persons_milestone_is_never_stored_even_after_the_retention_grows() {
    let table = TestTable::create().await;
    let now = now();
    let mut short = Watcher::start(&dynamodb_endpoint(), &table.name, 7);
    let answer = purge(
        &mut short,
        &json!({"scope": "actor", "tenant_id": "t-a", "actor_id": "u-gone"}),
    );
    assert_eq!(answer["status"], "done", "{answer}");
    drop(short);
    // The tombstone's TTL: past the purge plus the longest retention, not
    // the 7 days in force when it was written.
    let items = table.all_items().await;
    let expires: Vec<i64> = items
        .iter()
        .filter(|item| {
            item.get("tenant_id")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some("#purge")
        })
        .filter_map(|item| item.get("expires_at")?.as_n().ok()?.parse().ok())
        .collect();
    // The person's tombstone, and the tenant's marker that someone was erased.
    assert_eq!(expires.len(), 2, "{expires:?}");
    let longest = i64::from(domain::retention::MAX_RETENTION_DAYS) * 86_400;
    assert!(
        expires
            .iter()
            .all(|e| *e > Utc::now().timestamp() + longest),
        "the tombstone outlives every retention: {expires:?}"
    );

    let mut long = Watcher::start(&dynamodb_endpoint(), &table.name, 365);
    for (actor, days_ago, expected) in [
        // Inside the new, longer retention, but before the purge: erased.
        ("u-gone", 200, "purged"),
        ("u-gone", 1, "purged"),
        // Another person of the tenant, and the same person elsewhere: kept.
        ("u-kept", 1, "recorded"),
    ] {
        let milestone = json!({
            "event": REPORT_CREATED, "tenant_id": "t-a", "workspace_id": "t-a-w1",
            "actor_id": actor, "event_id": format!("{actor}-{days_ago}"),
            "metadata": {"report_type": "usage"},
            "occurred_at": (now - TimeDelta::days(days_ago)).to_rfc3339()
        });
        let answer = block_in_place(|| long.invoke("record", &milestone.to_string())).json();
        assert_eq!(
            answer["status"], expected,
            "{actor}, {days_ago} days ago: {answer}"
        );
    }
    let mut elsewhere = json!({
        "event": REPORT_CREATED, "tenant_id": "t-b", "workspace_id": "t-b-w1",
        "actor_id": "u-gone", "event_id": "elsewhere", "metadata": {"report_type": "usage"},
        "occurred_at": (now - TimeDelta::days(1)).to_rfc3339()
    });
    let answer = block_in_place(|| long.invoke("record", &elsewhere.to_string())).json();
    assert_eq!(answer["status"], "recorded", "another tenant: {answer}");
    // After the purge (beyond record's clock skew), the person's new life counts.
    elsewhere["tenant_id"] = "t-a".into();
    elsewhere["event_id"] = "later".into();
    elsewhere["occurred_at"] = Utc::now().to_rfc3339().into();
    let later = block_in_place(|| long.invoke("record", &elsewhere.to_string())).json();
    // Still within the skew after the purge: erased, by the same rule prune applies.
    assert_eq!(later["status"], "purged", "{later}");
    assert_eq!(ids_of(&table, "t-a").await, ["u-kept-1"]);
}

/// Under 20 % throttling and 5 % lost responses (applied, then failed) at
/// the wire, a purge of 5,000 rows finishes within 3 invocations, and no
/// row of the other tenant is lost.
#[tokio::test(flavor = "multi_thread")]
async fn a_purge_under_throttling_and_lost_responses_finishes_within_3_invocations() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    seed(&ledger, history("t-a", 5_000, 20, &["u-1", "u-2"], now)).await;
    seed(&ledger, history("t-b", 200, 20, &["u-1"], now)).await;
    let proxy = FaultProxy::start(
        &dynamodb_endpoint(),
        FaultPlan {
            throttle: 0.20,
            fail_after_apply: 0.05,
            seed: 11,
            ..FaultPlan::default()
        },
    );
    let mut watcher = Watcher::start(&proxy.endpoint, &table.name, 90);
    let mut invocations = 0;
    let mut deleted = 0;
    let status = loop {
        invocations += 1;
        let answer = purge(
            &mut watcher,
            &json!({"scope": "tenant", "tenant_id": "t-a"}),
        );
        println!("invocation {invocations}: {answer}");
        deleted += answer["rows_deleted"].as_u64().unwrap_or(0);
        if answer["status"] != "not_done" || invocations == 3 {
            break answer["status"].clone();
        }
    };
    assert_eq!(status, "done", "done within 3 invocations");
    assert!(
        proxy.count(|c| &c.throttled) > 100,
        "throttling was injected"
    );
    assert!(
        proxy.count(|c| &c.failed_after_apply) > 20,
        "responses were lost"
    );
    assert!(
        ids_of(&table, "t-a").await.is_empty(),
        "no row of A is left"
    );
    assert_eq!(
        ids_of(&table, "t-b").await.len(),
        200,
        "no row of B is lost"
    );
    // A delete whose response was lost is retried and finds the row gone:
    // counted as gone, not deleted, so the deleted count is at most 5,000.
    assert!((4_500..=5_000).contains(&deleted), "{deleted}");
}

/// With a short deadline, a 20,000-row tenant is purged over several
/// invocations, each stopping inside its budget; the last answers done.
#[tokio::test(flavor = "multi_thread")]
async fn a_large_tenant_is_purged_over_several_invocations_each_inside_its_deadline() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    seed(&ledger, history("t-big", 20_000, 30, &["u-1"], now)).await;
    // The watcher gives every invocation 600 s; a margin of 597 s leaves 3 s.
    let mut watcher = Watcher::start_with_timeout(
        &dynamodb_endpoint(),
        &table.name,
        90,
        60,
        &[("PURGE_SAFETY_MARGIN_SECONDS", "597")],
    );
    let mut answers = Vec::new();
    loop {
        let started = std::time::Instant::now();
        let answer = purge(
            &mut watcher,
            &json!({"scope": "tenant", "tenant_id": "t-big"}),
        );
        let took = started.elapsed();
        // The first invocation also starts the process; every later one
        // stops within its 3 s budget plus one page's work.
        assert!(
            answers.is_empty() || took < std::time::Duration::from_secs(8),
            "invocation {} took {took:?}: {answer}",
            answers.len() + 1
        );
        answers.push(answer.clone());
        match answer["status"].as_str() {
            Some("not_done") => {}
            Some("done") => break,
            other => panic!("unexpected answer {other:?}: {answer}"),
        }
        assert!(answers.len() < 40, "no progress: {answers:?}");
    }
    println!("20,000 rows purged over {} invocations", answers.len());
    assert!(
        answers.len() >= 2,
        "the deadline split the work: {answers:?}"
    );
    let deleted: u64 = answers
        .iter()
        .map(|a| a["rows_deleted"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(deleted, 20_000);
    assert!(ids_of(&table, "t-big").await.is_empty());
}
