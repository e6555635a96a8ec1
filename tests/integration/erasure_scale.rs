//! Erasure at a size one invocation cannot cover, on DynamoDB Local: a
//! person's purge resumes where its last invocation stopped (the cursor
//! lives in the person's tombstone), and prune walks every open tombstone of
//! a large tenant in turn, each from where it stopped, so none waits behind
//! another.

use crate::support::fixtures::row;
use crate::support::{StopAfter, TestTable};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use domain::testing::REPORT_CREATED;
use domain::{ActorId, EventId, Milestone, PurgeRequest, TenantId};
use std::time::{Duration, Instant};
use storage::{Deadline, PrunePlan, StopSignal};

/// Rows a purge reads per page of the tenant's partition (storage's own).
const PAGE_ROWS: u64 = 500;

fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::milliseconds(1))
        .expect("truncate")
}

/// `count` rows of `tenant`, by `others` in turn, except the `mine` rows whose
/// event keys sort last in the partition (the order a walk reads): those are
/// `person`'s, the rows a walk that starts over each time never reaches.
fn tenant_rows(
    tenant: &str,
    count: usize,
    person: &str,
    mine: usize,
    at: DateTime<Utc>,
) -> Vec<Milestone> {
    let mut ids: Vec<(String, String)> = (0..count)
        .map(|i| {
            let id = format!("{tenant}-{i}");
            let key = storage::testing::event_key(&EventId::parse(&id).expect("id"));
            (key, id)
        })
        .collect();
    ids.sort();
    let others = ["u-a", "u-b", "u-c", "u-d"];
    ids.iter()
        .enumerate()
        .map(|(i, (_, id))| {
            let mut r = row(
                REPORT_CREATED,
                tenant,
                "ws-1",
                id,
                at - TimeDelta::seconds(i as i64),
            );
            let actor = if i >= count - mine {
                person
            } else {
                others[i % others.len()]
            };
            r.actor_id = ActorId::parse(actor).expect("actor");
            r
        })
        .collect()
}

async fn actors_left(table: &TestTable, person: &str) -> usize {
    table
        .rows()
        .await
        .iter()
        .filter(|item| {
            item.get(storage::testing::attr::ACTOR_ID)
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some(person)
        })
        .count()
}

/// The bound: a purge invocation reads at least one page before it checks
/// its deadline again, so a tenant of `rows` rows takes at most
/// `ceil(rows / 500)` invocations however slow the store, plus one to mark
/// it done. (docs/operations.md computes the 1,000,000-row case from the
/// rate measured here.)
fn computed_invocations(rows: u64) -> u64 {
    rows.div_ceil(PAGE_ROWS) + 1
}

#[tokio::test(flavor = "multi_thread")]
async fn a_persons_purge_in_a_30000_row_tenant_resumes_and_finishes_within_the_computed_invocations()
 {
    const ROWS: usize = 30_000;
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let at = now() - TimeDelta::hours(3);
    let rows = tenant_rows("t-big", ROWS, "u-leaver", 10, at);
    let loaded = storage::testing::load(&ledger, &rows, 8)
        .await
        .expect("seed");
    assert_eq!(loaded, ROWS);
    assert_eq!(actors_left(&table, "u-leaver").await, 10);

    let request = PurgeRequest {
        tenant_id: TenantId::parse("t-big").expect("id"),
        actor_id: Some(ActorId::parse("u-leaver").expect("id")),
    };
    let bound = computed_invocations(ROWS as u64);
    let started = Instant::now();
    let mut invocations = 0;
    let mut pages = 0;
    loop {
        invocations += 1;
        assert!(
            invocations <= bound,
            "not done within the computed {bound} invocations of 1 s ({pages} pages read)"
        );
        // A 1 s budget, as a Lambda's deadline with its margin.
        let budget = Deadline {
            deadline: Instant::now() + Duration::from_secs(1),
            margin: Duration::ZERO,
        };
        let run = ledger
            .purge(&request, now(), &budget)
            .await
            .expect("tombstone written");
        assert!(run.error.is_none(), "{run:?}");
        pages += run.pages_read;
        if run.finished {
            break;
        }
        assert!(
            run.pages_read > 0,
            "every invocation makes progress: {run:?}"
        );
    }
    let elapsed = started.elapsed();
    println!(
        "erasure_scale: a person's purge of a {ROWS}-row tenant: {invocations} invocations of 1 s (bound {bound}), {pages} pages, {:.1} s, {:.0} rows/s",
        elapsed.as_secs_f64(),
        ROWS as f64 / elapsed.as_secs_f64()
    );
    assert!(
        invocations > 1,
        "the tenant is larger than one invocation reads: the resume is what this test proves"
    );
    assert_eq!(
        actors_left(&table, "u-leaver").await,
        0,
        "the rows at the end of the order are gone"
    );
    assert_eq!(table.rows().await.len(), ROWS - 10, "and no other row");
    let tombstones = storage::testing::tombstones(&ledger)
        .await
        .expect("tombstones");
    assert!(tombstones[0].done_at.is_some(), "done");
}

#[tokio::test(flavor = "multi_thread")]
async fn three_tombstones_in_one_large_tenant_all_make_progress_within_three_runs() {
    const ROWS: usize = 6_000;
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let at = now() - TimeDelta::hours(3);
    let mut rows = tenant_rows("t-big", ROWS, "u-x", 0, at);
    // Three people, a few rows each, spread through the partition.
    for (i, row) in rows.iter_mut().enumerate() {
        if i % 1000 == 999 {
            row.actor_id = ActorId::parse(["u-1", "u-2", "u-3"][(i / 1000) % 3]).expect("actor");
        }
    }
    storage::testing::load(&ledger, &rows, 8)
        .await
        .expect("seed");
    // Three purges an hour ago whose callers stopped before any walk (their
    // rows still there, as if they had raced the purge): prune closes them.
    let purged_at = now() - TimeDelta::hours(1);
    for person in ["u-1", "u-2", "u-3"] {
        let request = PurgeRequest {
            tenant_id: TenantId::parse("t-big").expect("id"),
            actor_id: Some(ActorId::parse(person).expect("id")),
        };
        let run = ledger
            .purge(&request, purged_at, &StopAfter::new(0))
            .await
            .expect("tombstone");
        assert_eq!(run.pages_read, 0, "nothing walked yet");
    }
    let plan = || {
        PrunePlan::new(
            now(),
            domain::Retention::default(),
            2,
            Duration::from_secs(48 * 3600),
            false,
        )
    };
    let walked = || async {
        storage::testing::tombstone_walks(&ledger)
            .await
            .expect("tombstones")
            .into_iter()
            .filter(|(t, _)| t.walked_at.is_some() || t.closed_at.is_some())
            .count()
    };
    let mut progressed = Vec::new();
    for run in 1..=3 {
        // A deadline that lets one walk read a few pages of the 12, no more.
        let stop = StopAfter::new(6);
        let closing = ledger.close_tombstones(&plan(), &stop).await;
        println!("erasure_scale: run {run}: {closing:?}");
        assert_eq!(closing.tombstones, 3);
        assert_eq!(
            closing.failed, 0,
            "progress is never a failure: {closing:?}"
        );
        assert_eq!(
            closing.taken, 1,
            "the deadline leaves time for one walk: {closing:?}"
        );
        assert_eq!(
            closing.waiting, 3,
            "the one walked in part and the two not reached: {closing:?}"
        );
        progressed.push(walked().await);
    }
    assert_eq!(
        progressed,
        [1, 2, 3],
        "each run takes the one walked least recently"
    );
    // And the walks finish: no run stops them, each resumes where it stopped.
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs <= 10, "the three walks never finished");
        let closing = ledger.close_tombstones(&plan(), &NeverStop).await;
        assert_eq!(closing.failed, 0, "{closing:?}");
        if walked_closed(&ledger).await == 3 {
            break;
        }
    }
    for person in ["u-1", "u-2", "u-3"] {
        assert_eq!(
            actors_left(&table, person).await,
            0,
            "{person}'s rows erased"
        );
    }
    assert_eq!(table.rows().await.len(), ROWS - 6);
    // Closed: walked no more.
    let again = ledger.close_tombstones(&plan(), &NeverStop).await;
    assert_eq!(
        (again.tombstones, again.taken, again.waiting),
        (3, 0, 0),
        "{again:?}"
    );
}

struct NeverStop;
impl StopSignal for NeverStop {
    fn should_stop(&self) -> bool {
        false
    }
}

async fn walked_closed(ledger: &storage::Ledger) -> usize {
    storage::testing::tombstone_walks(ledger)
        .await
        .expect("tombstones")
        .iter()
        .filter(|(t, _)| t.closed_at.is_some())
        .count()
}
