//! The roll-up protocol's races, each on DynamoDB Local: the orderings the
//! model checker (`shared/protocol-model`) found, played against the real
//! store. Each test fails with its race put back in the code.

use crate::support::fixtures::{row, seed};
use crate::support::{TestTable, Watcher, dynamodb_endpoint};
use chrono::{DateTime, TimeDelta, Utc};
use domain::Arrival;
use domain::rollup::Rollup;
use domain::testing::REPORT_CREATED;
use domain::{
    Aggregation, Milestone, PurgeRequest, Retention, Summary, TenantId, Window, WindowKey,
};
use storage::{Ledger, PutOutcome, QueryOptions, RollupWrite, Sources, StopSignal, testing};

struct Never;

impl StopSignal for Never {
    fn should_stop(&self) -> bool {
        false
    }
}

fn days(n: u64) -> Retention {
    Retention::from_days(n).expect("valid")
}

/// A row of `workspace` at `at`, kept `kept` (its TTL from the retention it
/// was recorded under).
fn kept_for(id: &str, workspace: &str, at: DateTime<Utc>, kept: TimeDelta) -> Milestone {
    let mut milestone = row(REPORT_CREATED, "t", workspace, id, at);
    milestone.expires_at = (at + kept).timestamp();
    milestone
}

/// The summary of `key` at `now` as a summary reads it (roll-ups first),
/// and as raw rows alone would answer it.
async fn both_ways(
    ledger: &Ledger,
    key: WindowKey,
    now: DateTime<Utc>,
    retention: Retention,
) -> (Summary, Summary) {
    let read = |sources| async move {
        ledger
            .read_summary(
                Aggregation::new(Window::ending_at(key, now), now, retention),
                sources,
                QueryOptions::default(),
            )
            .await
            .expect("read")
            .summary
    };
    (read(Sources::Rollups).await, read(Sources::RawRows).await)
}

/// The summary a summary reads equals the raw one: totals and distinct
/// workspaces first (a short failure message), then the whole answer.
fn assert_exact(summary: &Summary, raw: &Summary) {
    assert_eq!(
        (summary.total, summary.active_workspaces),
        (raw.total, raw.active_workspaces)
    );
    assert_eq!(summary, raw);
}

/// A version counter that restarts (ABA). A late row recorded under a
/// 7-day retention bumps a shard; the day's head is built from it, and
/// rebuilt after that row expires. If the shard expired with the row (its
/// TTL from the row's retention), TTL deletes it, and the next late row on
/// that shard starts the counter again at the value the head holds: the
/// head would match and miss the new row. Every shard lives past the
/// longest retention, so the counter goes on, and the head is stale.
#[tokio::test]
async fn a_version_counter_never_starts_again_under_a_head_built_from_it() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let thirty = days(30);
    let day = (domain::now_millis() - TimeDelta::days(10)).date_naive();
    let start = Rollup::of_day(day).start();
    seed(
        &ledger,
        vec![kept_for(
            "a",
            "w-a",
            start + TimeDelta::hours(1),
            TimeDelta::days(30),
        )],
    )
    .await;
    let late = kept_for("b", "w-b", start + TimeDelta::hours(23), TimeDelta::days(7));
    let bumped = start + TimeDelta::days(1) + TimeDelta::hours(1);
    assert_eq!(
        ledger
            .record(&late, Arrival::Late { at: bumped })
            .await
            .expect("late put"),
        PutOutcome::Recorded
    );
    let shards = testing::day_version_shards(&ledger, day)
        .await
        .expect("versions");
    let bumped_shards: Vec<(String, u64)> = shards.into_iter().collect();
    let [(shard, 1)] = &bumped_shards[..] else {
        panic!("one day shard bumped once: {bumped_shards:?}")
    };
    let built = ledger
        .roll_up_day(day, start + TimeDelta::days(2), thirty)
        .await
        .expect("build");
    assert!(
        matches!(built, RollupWrite::Stored { rows: 2, .. }),
        "{built:?}"
    );
    // The late row expires; the writer rebuilds the day from the other, at
    // the same version; then TTL runs.
    let later = DateTime::from_timestamp(late.expires_at, 0).expect("time") + TimeDelta::hours(2);
    let rebuilt = ledger
        .roll_up_day(day, later, thirty)
        .await
        .expect("rebuild");
    assert!(matches!(rebuilt, RollupWrite::Stored { .. }), "{rebuilt:?}");
    // (DynamoDB Local may have expired it already, on its own.)
    testing::expire_items_at(&ledger, later).await.expect("TTL");
    assert_eq!(table.event_ids().await, ["a"], "the late row expired");
    // Another late row lands on the same shard (one in 16 do).
    seed(
        &ledger,
        vec![kept_for(
            "c",
            "w-c",
            start + TimeDelta::hours(12),
            TimeDelta::days(30),
        )],
    )
    .await;
    testing::bump_day_shard(&ledger, day, shard, later)
        .await
        .expect("bump");
    let (summary, raw) = both_ways(
        &ledger,
        WindowKey::Month,
        later + TimeDelta::minutes(1),
        thirty,
    )
    .await;
    assert_eq!(raw.total, 2, "the first row and the new late one");
    assert_exact(&summary, &raw);
}

/// A rebuild at the same version (after a counted row expired) writes its
/// workspace chunks beside the ones a summary holding the older head is
/// about to read, never over them: the summary reads the old set whole (or,
/// once the writer's sweep took it, none, and reads the day raw).
#[tokio::test]
async fn a_rebuild_at_the_same_version_never_overwrites_the_chunks_a_summary_reads() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let day = (domain::now_millis() - TimeDelta::days(10)).date_naive();
    let start = Rollup::of_day(day).start();
    let short = kept_for("b", "w-b", start + TimeDelta::hours(2), TimeDelta::days(3));
    seed(
        &ledger,
        vec![
            kept_for("a", "w-a", start + TimeDelta::hours(1), TimeDelta::days(30)),
            short.clone(),
        ],
    )
    .await;
    let built = ledger
        .roll_up_day(day, start + TimeDelta::days(1), days(30))
        .await
        .expect("build");
    assert!(
        matches!(built, RollupWrite::Stored { rows: 2, .. }),
        "{built:?}"
    );
    // A summary has read the head (two rows, two workspaces) ...
    let held = testing::current_head_chunks(&ledger, day)
        .await
        .expect("read")
        .expect("a head");
    // ... when the writer, its clock past the short row's TTL, rebuilds.
    let later =
        DateTime::from_timestamp(short.expires_at, 0).expect("time") + TimeDelta::minutes(1);
    let rebuilt = ledger
        .roll_up_day(day, later, days(30))
        .await
        .expect("rebuild");
    assert!(matches!(rebuilt, RollupWrite::Stored { .. }), "{rebuilt:?}");
    let read = testing::chunk_set_digests(&ledger, day, held)
        .await
        .expect("read");
    assert!(
        read.is_none_or(|digests| digests == 2),
        "the held head's chunks hold {read:?} workspaces, not its two"
    );
}

/// The writer leaves a purged day alone until every delete the purge can
/// still have in flight has landed: a delete lands at most the longest
/// invocation of a function that deletes rows (its template timeout) after
/// the bump before it, and the writer's clock may run ahead by the skew.
#[tokio::test]
async fn the_writer_leaves_a_purged_day_alone_until_every_delete_in_flight_has_landed() {
    use crate::template::{at, number, properties, template};
    use domain::rollup::CLOCK_SKEW_SECONDS;
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let day = (domain::now_millis() - TimeDelta::days(5)).date_naive();
    let start = Rollup::of_day(day).start();
    seed(
        &ledger,
        vec![kept_for(
            "a",
            "w-a",
            start + TimeDelta::hours(1),
            TimeDelta::days(90),
        )],
    )
    .await;
    let before_bump = domain::now_millis();
    let request = PurgeRequest {
        tenant_id: TenantId::parse("t").expect("id"),
        actor_id: None,
    };
    let run = ledger
        .purge(&request, before_bump, &Never)
        .await
        .expect("purge");
    assert_eq!((run.rows_deleted, run.days_invalidated), (1, 1), "{run:?}");
    let template = template();
    let longest = ["RecordFunction", "PruneFunction", "PurgeFunction"]
        .iter()
        .map(|function| number(at(properties(&template, function), &["Timeout"])))
        .max()
        .expect("three functions");
    let ahead = TimeDelta::seconds(i64::try_from(longest).expect("seconds") + CLOCK_SKEW_SECONDS)
        - TimeDelta::seconds(1);
    let write = ledger
        .roll_up_day(day, before_bump + ahead, Retention::default())
        .await
        .expect("writer");
    assert_eq!(write, RollupWrite::Settling);
}

/// Clocks differ: a writer whose clock runs ahead (here: 11 minutes, to
/// keep the test clear of DynamoDB Local's own TTL) leaves out a row that
/// has expired by its clock but not by a summary's. A summary never takes
/// a head built after its own `now`; it reads that day raw.
#[tokio::test]
async fn a_summary_never_takes_a_head_built_after_its_own_clock() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    // The summary's clock is the real one: DynamoDB Local expires items
    // past their TTL itself, and the row must still be there to count.
    let summary_at = domain::now_millis();
    let day = (summary_at - TimeDelta::days(3)).date_naive();
    let start = Rollup::of_day(day).start();
    let expiring = start + TimeDelta::hours(2);
    seed(
        &ledger,
        vec![
            kept_for("a", "w-a", start + TimeDelta::hours(1), TimeDelta::days(30)),
            // Expires 10 minutes after the summary's clock.
            kept_for(
                "b",
                "w-b",
                expiring,
                summary_at + TimeDelta::minutes(10) - expiring,
            ),
        ],
    )
    .await;
    let built = ledger
        .roll_up_day(day, summary_at + TimeDelta::minutes(11), days(30))
        .await
        .expect("build");
    assert!(matches!(built, RollupWrite::Stored { .. }), "{built:?}");
    let (summary, raw) = both_ways(&ledger, WindowKey::Month, summary_at, days(30)).await;
    assert_eq!(raw.total, 2, "both rows are live by the summary's clock");
    assert_exact(&summary, &raw);
}

/// A tenant purge deletes the rows it cannot read (their actor is not an
/// id) by their key; the writer counts such a row (it reads no actor). The
/// day the row's index key names is bumped before the delete, so no head
/// keeps counting a row that is gone.
#[tokio::test]
async fn a_tenant_purge_stales_the_day_of_a_row_it_cannot_read() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = domain::now_millis();
    let day = (now - TimeDelta::days(5)).date_naive();
    let start = Rollup::of_day(day).start();
    let mut unreadable = testing::encode(&kept_for(
        "a",
        "w-a",
        start + TimeDelta::hours(1),
        TimeDelta::days(90),
    ));
    unreadable.insert(
        testing::attr::ACTOR_ID.into(),
        AttributeValue::S("not an id!".into()),
    );
    testing::put_raw(&ledger, unreadable).await.expect("put");
    let built = ledger
        .roll_up_day(day, now, Retention::default())
        .await
        .expect("build");
    assert!(
        matches!(built, RollupWrite::Stored { rows: 1, .. }),
        "{built:?}"
    );
    let (counted, _) = both_ways(&ledger, WindowKey::Week, now, Retention::default()).await;
    assert_eq!(counted.total, 1, "the head counts the row");
    let request = PurgeRequest {
        tenant_id: TenantId::parse("t").expect("id"),
        actor_id: None,
    };
    let run = ledger.purge(&request, now, &Never).await.expect("purge");
    assert_eq!(run.rows_deleted, 1, "{run:?}");
    let (summary, raw) = both_ways(&ledger, WindowKey::Week, now, Retention::default()).await;
    assert_eq!(raw.total, 0);
    assert_exact(&summary, &raw);
}

/// Prune deletes the rows of days a shortened retention no longer keeps;
/// a roll-up may count them (their TTL has not passed). It bumps their day
/// first: lengthened again, the retention brings the day back without a
/// head that counts rows that are gone.
#[tokio::test]
async fn prune_stales_the_days_it_deletes_rows_from() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = domain::now_millis();
    let day = (now - TimeDelta::days(10)).date_naive();
    let start = Rollup::of_day(day).start();
    seed(
        &ledger,
        vec![kept_for(
            "a",
            "w-a",
            start + TimeDelta::hours(1),
            TimeDelta::days(30),
        )],
    )
    .await;
    let built = ledger.roll_up_day(day, now, days(30)).await.expect("build");
    assert!(
        matches!(built, RollupWrite::Stored { rows: 1, .. }),
        "{built:?}"
    );
    let plan = storage::PrunePlan::new(
        now,
        days(7),
        7,
        std::time::Duration::from_secs(48 * 3600),
        false,
    );
    let report = ledger.prune(plan, &Never, QueryOptions::default()).await;
    assert_eq!(report.rows_deleted, 1, "{report:?}");
    let (summary, raw) = both_ways(&ledger, WindowKey::Month, now, days(30)).await;
    assert_eq!(raw.total, 0);
    assert_exact(&summary, &raw);
}

/// A shortened retention (30 days to 7) and two runs of every scheduled
/// function leave no window roll-up of a window the retention no longer
/// allows (each holds that window's counts and workspace digests).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shortened_retention_leaves_no_window_rollup_it_no_longer_allows() {
    use tokio::task::block_in_place;
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = domain::now_millis();
    let rows = (0..60)
        .map(|i| {
            kept_for(
                &format!("r{i}"),
                &format!("w{}", i % 6),
                now - TimeDelta::hours(12 * i + 3),
                TimeDelta::days(30),
            )
        })
        .collect();
    seed(&ledger, rows).await;
    let month_items = |keys: &[String]| keys.iter().filter(|k| k.starts_with("W#30d#")).count();
    let mut thirty = Watcher::start(&dynamodb_endpoint(), &table.name, 30);
    let built = block_in_place(|| thirty.invoke("rollup", "{}")).json();
    assert_eq!(built["finished"], true, "{built}");
    let keys = testing::window_rollup_keys(&ledger).await.expect("read");
    assert!(
        month_items(&keys) > 0,
        "the 30d window is rolled up: {keys:?}"
    );
    drop(thirty);
    let mut seven = Watcher::start(&dynamodb_endpoint(), &table.name, 7);
    for _ in 0..2 {
        let pruned = block_in_place(|| seven.invoke("prune", r#"{"dry_run": false}"#)).json();
        assert_eq!(pruned["finished"], true, "{pruned}");
        let rolled = block_in_place(|| seven.invoke("rollup", "{}")).json();
        assert_eq!(rolled["finished"], true, "{rolled}");
    }
    let keys = testing::window_rollup_keys(&ledger).await.expect("read");
    assert_eq!(month_items(&keys), 0, "{keys:?}");
    let bookkeeping = testing::bookkeeping_days(&ledger).await.expect("read");
    let floor = (now - TimeDelta::days(8)).date_naive();
    assert!(
        bookkeeping.keys().all(|day| *day >= floor) || bookkeeping.is_empty(),
        "roll-up items of days outside the 7 days: {bookkeeping:?}"
    );
}

/// A bump takes its time before it lands: a late row's is record's clock at
/// its start, and it can land after a later bump of the same shard. The
/// shard's `bumped_at` stays the later time (the earlier bump adds to the
/// counter only), so the writer leaves the day alone for `SETTLE` after the
/// latest bump. Put back `SET bumped_at = :now` unconditionally, and the
/// writer at 5 s short of `SETTLE` after the later bump builds the day.
#[tokio::test]
async fn a_bump_that_took_its_time_earlier_never_moves_the_settle_time_back() {
    use domain::rollup::SETTLE;
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = domain::now_millis();
    let day = (now - TimeDelta::days(3)).date_naive();
    let later = now - SETTLE + TimeDelta::seconds(5);
    // Purge's and prune's path: a bump of one shard, then one with a time
    // 10 s earlier landing after it.
    testing::bump_day_shard(&ledger, day, "00", later)
        .await
        .expect("bump");
    testing::bump_day_shard(&ledger, day, "00", later - TimeDelta::seconds(10))
        .await
        .expect("bump");
    let write = ledger
        .roll_up_day(day, now, Retention::default())
        .await
        .expect("writer");
    assert_eq!(
        write,
        RollupWrite::Settling,
        "the settle time runs from the later bump"
    );
    // Record's path (its transaction): every shard bumped at `later`, then a
    // late row whose time is 10 s earlier lands on one of them.
    let other = (now - TimeDelta::days(4)).date_naive();
    for shard in ["00", "01", "02", "03"] {
        testing::bump_day_shard(&ledger, other, shard, later)
            .await
            .expect("bump");
    }
    let late = row(
        REPORT_CREATED,
        "t",
        "w",
        "late",
        Rollup::of_day(other).start() + TimeDelta::hours(2),
    );
    let outcome = ledger
        .record(
            &late,
            Arrival::Late {
                at: later - TimeDelta::seconds(10),
            },
        )
        .await
        .expect("record");
    assert_eq!(outcome, PutOutcome::Recorded);
    let bumps = testing::day_version_bumps(&ledger, other)
        .await
        .expect("read");
    assert_eq!(bumps.len(), 4, "{bumps:?}");
    assert!(
        bumps.values().all(|at| *at == Some(later)),
        "no shard's bumped_at went back: {bumps:?}"
    );
    let counted: u64 = testing::day_version_shards(&ledger, other)
        .await
        .expect("read")
        .values()
        .sum();
    assert_eq!(counted, 5, "the late row's bump still counted");
}

/// Two writer runs never overlap. A second run that starts while a build
/// of the first is between its chunks and its head finds the lease held and
/// does nothing; the first stores its head, with every chunk it names, and
/// the summary is exact. Take the lease away, and the second run's sweep
/// deletes those chunks before their head is stored.
#[tokio::test]
async fn a_writer_run_never_sweeps_the_chunks_of_another_runs_build_in_flight() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = domain::now_millis();
    let day = (now - TimeDelta::days(2)).date_naive();
    let start = Rollup::of_day(day).start();
    seed(
        &ledger,
        (0..5)
            .map(|i| {
                kept_for(
                    &format!("r{i}"),
                    &format!("w{i}"),
                    start + TimeDelta::hours(i + 1),
                    TimeDelta::days(90),
                )
            })
            .collect(),
    )
    .await;
    let deadline = now + TimeDelta::minutes(5);
    let (write, second) =
        testing::roll_up_day_holding_the_lease(&ledger, day, now, deadline, || {
            ledger.run_writer(now, Retention::default(), deadline, || false)
        })
        .await
        .expect("the first run's build");
    assert!(
        matches!(write, RollupWrite::Stored { rows: 5, .. }),
        "{write:?}"
    );
    let second = second
        .expect("ran between chunks and head")
        .expect("second run");
    assert!(
        matches!(
            second,
            storage::WriterOutcome::Overlapping {
                held_until: Some(_)
            }
        ),
        "the second run found the lease held: {second:?}"
    );
    let head = testing::current_head_chunks(&ledger, day)
        .await
        .expect("read")
        .expect("the first run's head");
    assert_eq!(
        testing::chunk_set_digests(&ledger, day, head)
            .await
            .expect("read"),
        Some(5),
        "the head has every chunk it names"
    );
    let (summary, raw) = both_ways(&ledger, WindowKey::Week, now, Retention::default()).await;
    assert_exact(&summary, &raw);
    // Given back: the next run runs.
    let next = ledger
        .run_writer(now, Retention::default(), deadline, || false)
        .await
        .expect("next run");
    assert!(matches!(next, storage::WriterOutcome::Ran(_)), "{next:?}");
}

/// Writer runs started together (a manual run beside the scheduled one,
/// a retried invocation), round after round with late rows between: each
/// runs whole or is refused as overlapping, and after every round each day's
/// current head has every chunk it names and the summary is exact. (The
/// race the lease closes is narrow here, so this seldom fails without it:
/// `a_writer_run_never_sweeps_the_chunks_of_another_runs_build_in_flight`
/// plays it deterministically.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writer_runs_started_together_leave_every_head_with_its_chunks() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let start = domain::now_millis();
    let days: Vec<chrono::NaiveDate> = (2..6)
        .map(|d| (start - TimeDelta::days(d)).date_naive())
        .collect();
    seed(
        &ledger,
        (0..40)
            .map(|i| {
                let day = days[i % days.len()];
                kept_for(
                    &format!("r{i}"),
                    &format!("w{}", i % 9),
                    Rollup::of_day(day).start() + TimeDelta::minutes(30 * i as i64 + 1),
                    TimeDelta::days(90),
                )
            })
            .collect(),
    )
    .await;
    for round in 0..5 {
        // Each round a little later, past the settle time of the last one's
        // late row.
        let now = start + TimeDelta::minutes(10 * round);
        let deadline = now + TimeDelta::minutes(5);
        let mut runs = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let ledger = ledger.clone();
            runs.spawn(async move {
                ledger
                    .run_writer(now, Retention::default(), deadline, || false)
                    .await
            });
        }
        let outcomes = runs.join_all().await;
        let ran = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(storage::WriterOutcome::Ran(_))))
            .count();
        let refused = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(storage::WriterOutcome::Overlapping { .. })))
            .count();
        assert!(
            ran >= 1 && ran + refused == 6,
            "round {round}: {outcomes:?}"
        );
        for day in &days {
            if let Some(head) = testing::current_head_chunks(&ledger, *day)
                .await
                .expect("read")
            {
                assert!(
                    testing::chunk_set_digests(&ledger, *day, head)
                        .await
                        .expect("read")
                        .is_some(),
                    "round {round}: the head of {day} lacks a chunk it names"
                );
            }
        }
        let (summary, raw) = both_ways(&ledger, WindowKey::Week, now, Retention::default()).await;
        assert_exact(&summary, &raw);
        // A late row of every day, for the next round to rebuild them all.
        for (i, day) in days.iter().enumerate() {
            let late = kept_for(
                &format!("late-{round}-{i}"),
                &format!("w-late-{i}"),
                Rollup::of_day(*day).start() + TimeDelta::hours(20),
                TimeDelta::days(90),
            );
            let put = ledger
                .record(&late, Arrival::Late { at: now })
                .await
                .expect("record");
            assert_eq!(put, PutOutcome::Recorded);
        }
    }
}

/// A window roll-up never replaces a newer build of the same start: a run
/// of another deploy (retention 90, its clock a minute behind) after a run
/// under 30 days leaves the newer one in place, and says so.
#[tokio::test]
async fn a_window_rollup_never_replaces_a_newer_one() {
    use chrono::DurationRound;
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let hour = domain::now_millis()
        .duration_trunc(TimeDelta::hours(1))
        .expect("hour");
    let newer = hour - TimeDelta::minutes(35);
    let older = newer - TimeDelta::minutes(1);
    seed(
        &ledger,
        vec![kept_for(
            "a",
            "w-a",
            older - TimeDelta::hours(30),
            TimeDelta::days(90),
        )],
    )
    .await;
    let keys = [WindowKey::Week, WindowKey::Month];
    let first = ledger
        .roll_up_windows(&keys, newer, days(30), || false)
        .await;
    assert!(first.error.is_none() && first.built > 0, "{first:?}");
    let second = ledger
        .roll_up_windows(&keys, older, days(90), || false)
        .await;
    assert!(second.error.is_none(), "{second:?}");
    assert_eq!(second.newer, first.built, "{second:?}");
    assert_eq!(second.built, 0, "{second:?}");
    let built = testing::window_rollups_built_at(&ledger)
        .await
        .expect("read");
    assert_eq!(built.len() as u32, first.built, "{built:?}");
    assert!(built.values().all(|at| *at == newer), "{built:?}");
}

/// `docs/invariants.md` names, for every rule of the protocol, the tests
/// on DynamoDB Local that hold it: each exists.
#[test]
fn every_rule_of_the_invariants_page_names_tests_that_exist() {
    crate::support::doc_tables::assert_every_line_names_tests_that_exist(
        "docs/invariants.md",
        ("## The rules that keep it", "| # | rule |"),
        10,
        None,
    );
}
