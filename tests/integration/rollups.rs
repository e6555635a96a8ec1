//! Closed-day roll-ups against DynamoDB Local: a summary made
//! of roll-ups and raw rows equals one made of raw rows alone, and a late row
//! (before or during a roll-up) makes the day's roll-up unusable.

use crate::support::TestTable;
use crate::support::fixtures::{row, seed};
use chrono::{DateTime, DurationRound, NaiveDate, TimeDelta, Utc};
use domain::Arrival;
use domain::rollup::Rollup;
use domain::testing::{OPERATION_STARTED, REPORT_CREATED};
use domain::{Aggregation, EventName, Milestone, Retention, Summary, Window, WindowKey};
use storage::{Ledger, PutOutcome, QueryOptions, RollupWrite, Sources, WindowRollupUse, testing};

fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::milliseconds(1))
        .expect("truncate")
}

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

/// As the summary function reads (`Ledger::read_summary`).
async fn mixed_summary(
    ledger: &Ledger,
    key: WindowKey,
    now: DateTime<Utc>,
) -> (Summary, storage::WindowStats) {
    let window = Window::ending_at(key, now);
    let aggregation = Aggregation::new(window, now, Retention::default());
    let read = ledger
        .read_summary(aggregation, Sources::Rollups, QueryOptions::default())
        .await
        .expect("read");
    assert!(read.rollup_error.is_none(), "{:?}", read.rollup_error);
    (read.summary, read.stats)
}

fn closed_days(now: DateTime<Utc>, count: i64) -> Vec<NaiveDate> {
    (1..=count)
        .map(|d| (now - TimeDelta::days(d)).date_naive())
        .collect()
}

#[tokio::test]
async fn summaries_from_rollups_equal_summaries_from_raw_rows() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    let rows = (0..600)
        .map(|i| {
            let event = [OPERATION_STARTED, REPORT_CREATED][i % 2];
            row(
                event,
                &format!("t{}", i % 3),
                &format!("w{}", i % 11),
                &format!("r-{i}"),
                now - TimeDelta::minutes(97 * i as i64 + 3),
            )
        })
        .collect();
    seed(&ledger, rows).await;
    for day in closed_days(now, 45) {
        let write = ledger
            .roll_up_day(day, now, Retention::default())
            .await
            .expect("roll up");
        assert!(
            matches!(write, RollupWrite::Stored { late_rows: 0, .. }),
            "{write:?}"
        );
    }
    for (key, stats) in assert_every_window_alike(&ledger, now, "rolled up").await {
        if key != WindowKey::Day {
            assert!(stats.rollup_days > 0, "{key:?} used roll-ups");
        }
    }
}

/// A lengthened retention (30 days to 90): rows written under 30 days carry a
/// 30-day TTL. A roll-up never counts a row already past its TTL, stops being
/// used when a row it counted expires, and the writer rebuilds it then; the
/// summary equals the raw one at every step (injected clocks).
#[tokio::test]
async fn rows_that_expired_under_a_shorter_retention_never_count() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    let thirty = |mut r: domain::Milestone| {
        r.expires_at = (r.occurred_at.instant() + TimeDelta::days(30)).timestamp();
        r
    };
    let expired_day = (now - TimeDelta::days(35)).date_naive();
    let live_day = (now - TimeDelta::days(20)).date_naive();
    let at = |day: NaiveDate, hour: u32| day.and_hms_opt(hour, 0, 0).expect("time").and_utc();
    let mut rows = Vec::new();
    for hour in 0..6 {
        rows.push(thirty(row(
            REPORT_CREATED,
            "t",
            "w1",
            &format!("old-{hour}"),
            at(expired_day, hour),
        )));
        rows.push(thirty(row(
            OPERATION_STARTED,
            "t",
            "w2",
            &format!("new-{hour}"),
            at(live_day, hour),
        )));
    }
    seed(&ledger, rows).await;
    let run = ledger
        .roll_up_days(&[live_day, expired_day], now, Retention::default(), || {
            false
        })
        .await
        .expect("writer");
    assert_eq!(run.days_built, 2);
    let usable = ledger
        .usable_rollups(&[expired_day, live_day])
        .await
        .expect("read")
        .days;
    assert_eq!(
        usable[&expired_day].total(),
        0,
        "its rows expired before the build"
    );
    assert_eq!(usable[&live_day].total(), 6);

    let (mixed, stats) = mixed_summary(&ledger, WindowKey::Quarter, now).await;
    let raw = raw_summary(&ledger, WindowKey::Quarter, now).await;
    assert_eq!(
        serde_json::to_value(&raw).expect("json"),
        serde_json::to_value(&mixed).expect("json")
    );
    assert_eq!(raw.total, 6);
    assert!(stats.rollup_days >= 2, "{stats:?}");

    // Eleven days on, the live day's rows have expired too: its roll-up is
    // not taken, the summary stays exact, and the writer rebuilds the day.
    let later = now + TimeDelta::days(11);
    let (mixed, _) = mixed_summary(&ledger, WindowKey::Quarter, later).await;
    let raw = raw_summary(&ledger, WindowKey::Quarter, later).await;
    assert_eq!(
        serde_json::to_value(&raw).expect("json"),
        serde_json::to_value(&mixed).expect("json")
    );
    assert_eq!(raw.total, 0);
    let run = ledger
        .roll_up_days(
            &[live_day, expired_day],
            later,
            Retention::default(),
            || false,
        )
        .await
        .expect("writer");
    assert_eq!(
        run.days_built, 1,
        "only the day whose roll-up stopped being exact"
    );
}

/// A shortened retention (90 days to 30): the writer's next run deletes the
/// roll-up and day-version items of every day now outside it, and keeps
/// those of the days inside it.
#[tokio::test]
async fn after_a_shortened_retention_no_bookkeeping_outside_it_remains() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    let days: Vec<NaiveDate> = [45, 44, 43, 10, 9]
        .iter()
        .map(|d| (now - TimeDelta::days(*d)).date_naive())
        .collect();
    let rows = days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let at = day.and_hms_opt(12, 0, 0).expect("time").and_utc();
            row(REPORT_CREATED, "t", "w1", &format!("b-{i}"), at)
        })
        .collect();
    seed(&ledger, rows).await;
    for day in &days {
        ledger
            .roll_up_day(*day, now, Retention::default())
            .await
            .expect("roll up");
    }
    // A late row gives one old day a version item too.
    let late = row(
        OPERATION_STARTED,
        "t",
        "w2",
        "late-old",
        days[1].and_hms_opt(13, 0, 0).expect("time").and_utc(),
    );
    ledger
        .record(&late, Arrival::of(late.occurred_at, now))
        .await
        .expect("late row");
    let before = testing::bookkeeping_days(&ledger).await.expect("scan");
    assert_eq!(before.keys().copied().collect::<Vec<_>>(), {
        let mut sorted = days.clone();
        sorted.sort();
        sorted
    });

    let thirty = Retention::from_days(30).expect("valid");
    let run = ledger
        .roll_up_days(&domain::rollup::due_days(now, thirty), now, thirty, || {
            false
        })
        .await
        .expect("writer");
    assert!(run.cleanup_error.is_none(), "{:?}", run.cleanup_error);
    let floor = (now - thirty.duration()).date_naive();
    let after = testing::bookkeeping_days(&ledger).await.expect("scan");
    assert!(after.keys().all(|day| *day >= floor), "{after:?}");
    assert!(
        after.contains_key(&days[3]) && after.contains_key(&days[4]),
        "{after:?}"
    );
    let removed: u32 = before
        .iter()
        .filter(|(day, _)| **day < floor)
        .map(|(_, items)| items)
        .sum();
    assert_eq!(run.bookkeeping_deleted, removed);
}

/// Roll-ups only save reading: a corrupt version, head or chunk, or a head
/// whose chunk is gone, is counted and its day read raw, so the summary
/// stays exact.
#[tokio::test]
async fn an_unreadable_rollup_is_counted_and_its_day_read_raw() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    let rows = (0..120)
        .map(|i| {
            row(
                [OPERATION_STARTED, REPORT_CREATED][i % 2],
                "t",
                &format!("w{}", i % 7),
                &format!("u-{i}"),
                now - TimeDelta::hours(i as i64 + 30),
            )
        })
        .collect();
    seed(&ledger, rows).await;
    let days = closed_days(now, 6);
    for day in &days {
        ledger
            .roll_up_day(*day, now, Retention::default())
            .await
            .expect("roll up");
    }
    let (_, before) = mixed_summary(&ledger, WindowKey::Week, now).await;
    for (day, part) in days.iter().skip(1).zip([
        testing::RollupPart::Version,
        testing::RollupPart::Head,
        testing::RollupPart::FirstChunk,
        testing::RollupPart::MissingChunk,
    ]) {
        testing::corrupt_rollup(&ledger, *day, part)
            .await
            .expect("corrupt");
    }
    let raw = raw_summary(&ledger, WindowKey::Week, now).await;
    let (mixed, stats) = mixed_summary(&ledger, WindowKey::Week, now).await;
    assert_eq!(
        serde_json::to_value(&raw).expect("json"),
        serde_json::to_value(&mixed).expect("json")
    );
    assert_eq!(stats.rollups_unreadable, 4, "{stats:?}");
    assert_eq!(stats.rollup_days, before.rollup_days - 4, "{stats:?}");
}

#[tokio::test]
async fn a_late_row_after_a_rollup_makes_it_unusable_until_rebuilt() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    let day = (now - TimeDelta::days(3)).date_naive();
    let at = day.and_hms_opt(12, 0, 0).expect("time").and_utc();
    seed(&ledger, vec![row(REPORT_CREATED, "t", "w1", "on-time", at)]).await;
    ledger
        .roll_up_day(day, now, Retention::default())
        .await
        .expect("roll up");
    assert!(
        ledger
            .usable_rollups(&[day])
            .await
            .expect("read")
            .days
            .contains_key(&day)
    );

    // A redrive lands a milestone of that day: late, so it bumps the day's version.
    let late = row(REPORT_CREATED, "t", "w2", "late", at + TimeDelta::hours(1));
    assert_eq!(
        ledger
            .record(&late, Arrival::of(late.occurred_at, now))
            .await
            .expect("record"),
        PutOutcome::Recorded
    );
    // The version items outlive the longest retention there is (365 days
    // from the day's end, and a day): a counter never starts again under a
    // head built from it, whatever the retention does meanwhile.
    let day_end = (day + TimeDelta::days(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    assert_eq!(
        testing::day_version_expires_at(&ledger, day)
            .await
            .expect("read"),
        vec![(day_end + TimeDelta::days(366)).timestamp()],
        "one late row bumped one day shard (and no hour shard)"
    );
    assert!(
        !ledger
            .usable_rollups(&[day])
            .await
            .expect("read")
            .days
            .contains_key(&day),
        "a roll-up missing a row is never used"
    );
    let (mixed, _) = mixed_summary(&ledger, WindowKey::Week, now).await;
    assert_eq!(mixed.total, 2);
    assert_eq!(mixed.active_workspaces, 2);

    // A replay of the late milestone is a duplicate, through the same transaction.
    assert_eq!(
        ledger
            .record(&late, Arrival::of(late.occurred_at, now))
            .await
            .expect("record"),
        PutOutcome::Duplicate
    );
    // Minutes after a late row the index may not show it yet: the writer waits.
    let early = ledger
        .roll_up_day(day, now, Retention::default())
        .await
        .expect("roll up");
    assert_eq!(early, RollupWrite::Settling);
    let rebuilt = ledger
        .roll_up_day(day, now + domain::rollup::SETTLE, Retention::default())
        .await
        .expect("roll up");
    assert!(
        matches!(rebuilt, RollupWrite::Stored { rows: 2, .. }),
        "{rebuilt:?}"
    );
    let rollups = ledger.usable_rollups(&[day]).await.expect("read").days;
    assert_eq!(rollups[&day].total(), 2);
    assert_eq!(rollups[&day].workspaces.len(), 2);
}

#[tokio::test]
async fn a_late_row_during_a_rollup_means_the_rollup_is_never_stored() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    let day = (now - TimeDelta::days(2)).date_naive();
    let at = day.and_hms_opt(8, 0, 0).expect("time").and_utc();
    seed(
        &ledger,
        vec![row(OPERATION_STARTED, "t", "w1", "first", at)],
    )
    .await;
    let late = row(
        OPERATION_STARTED,
        "t",
        "w2",
        "late",
        at + TimeDelta::hours(2),
    );
    let (write, put) =
        testing::roll_up_day_with_late_write(&ledger, day, &late, now, Retention::default())
            .await
            .expect("interleaved");
    assert_eq!(put, PutOutcome::Recorded);
    assert_eq!(write, RollupWrite::Superseded);
    assert!(
        ledger
            .usable_rollups(&[day])
            .await
            .expect("read")
            .days
            .is_empty()
    );
    let (mixed, _) = mixed_summary(&ledger, WindowKey::Week, now).await;
    assert_eq!(mixed.total, 2, "the late row counts at once");
}

/// The writer and the summary as real Lambda processes: `rollup` builds the
/// closed days, and `summary` answers from them exactly what the raw rows say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollup_and_summary_through_cargo_lambda_watch() {
    use crate::support::{Watcher, dynamodb_endpoint};
    use tokio::task::block_in_place;

    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    // Whole hours away from any window edge, so the watcher's own "now" (a
    // few seconds later) sees the same rows.
    let rows = (0..300)
        .map(|i| {
            row(
                [OPERATION_STARTED, REPORT_CREATED][i % 2],
                "t",
                &format!("w{}", i % 9),
                &format!("e-{i}"),
                now - TimeDelta::hours(2 + 5 * i as i64) - TimeDelta::minutes(30),
            )
        })
        .collect();
    seed(&ledger, rows).await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    let report = block_in_place(|| watcher.invoke("rollup", "{}")).json();
    assert_eq!(report["finished"], true, "{report}");
    assert!(report["days_built"].as_u64().unwrap_or(0) >= 60, "{report}");
    let again = block_in_place(|| watcher.invoke("rollup", "{}")).json();
    assert_eq!(again["days_built"], 0, "nothing left to build: {again}");

    for key in [WindowKey::Week, WindowKey::Month, WindowKey::Quarter] {
        let reply = block_in_place(|| {
            watcher.request(
                "GET",
                "summary",
                &format!("/summary?window={}", key.as_str()),
            )
        });
        assert_eq!(reply.status, 200, "{}", reply.body);
        let body = reply.json();
        let raw = raw_summary(&ledger, key, now).await;
        assert_eq!(body["total"], raw.total, "{key:?}");
        assert_eq!(body["active_workspaces"], raw.active_workspaces, "{key:?}");
        let counts: Vec<u64> = body["families"]
            .as_array()
            .expect("families")
            .iter()
            .map(|f| f["count"].as_u64().unwrap_or(0))
            .collect();
        let expected: Vec<u64> = raw.families.iter().map(|f| f.count).collect();
        assert_eq!(counts, expected, "{key:?}");
    }
    // The 30-day and 90-day answers took their whole closed days from
    // roll-ups: day roll-ups, or the window's own (built from them).
    let lines: Vec<serde_json::Value> = watcher
        .output()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "summary")
        .collect();
    for key in ["30d", "90d"] {
        let line = lines
            .iter()
            .find(|line| line["fields"]["window"] == key)
            .expect("a summary line");
        let fields = &line["fields"];
        assert!(
            fields["window_rollup"] == "used" || fields["rollup_days"].as_u64() >= Some(29),
            "{key}: {line}"
        );
    }
}

/// A day with 100,000 distinct workspaces is stored in chunks and read back
/// exactly (five chunk items of 20,000 digests, each far under 400 KB).
#[tokio::test]
async fn a_day_with_100k_workspaces_is_stored_and_read_back_exactly() {
    use domain::rollup::Rollup;
    use domain::{EventName, IndexedMilestone, OccurredAt, TenantId, WorkspaceId};
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let day = (now() - TimeDelta::days(4)).date_naive();
    let mut rollup = Rollup::of_day(day);
    for i in 0..100_000 {
        let occurred = day
            .and_hms_opt((i % 24) as u32, 0, 0)
            .expect("time")
            .and_utc();
        assert!(rollup.add(
            &IndexedMilestone {
                event: EventName::parse(REPORT_CREATED).expect("event"),
                tenant_id: TenantId::parse("t").expect("id"),
                workspace_id: WorkspaceId::parse(&format!("ws-{i}")).expect("id"),
                occurred_at: OccurredAt::from_instant(occurred),
                expires_at: (occurred + TimeDelta::days(90)).timestamp(),
            },
            now(),
        ));
    }
    assert!(
        testing::store_rollup(&ledger, &rollup, Retention::default())
            .await
            .expect("store")
    );
    let read = ledger.usable_rollups(&[day]).await.expect("read");
    assert_eq!(read.items, 1 + 5, "the head and five chunks");
    let back = &read.days[&day];
    assert_eq!(back.workspaces, rollup.workspaces);
    assert_eq!(back.total(), 100_000);
}

/// The midnight race, with injected clocks: a put decided on-time at
/// 23:59:59.999 (no version bump) and landing after midnight is in the
/// day's roll-up, because the writer waits 15 minutes after the day closed.
#[tokio::test]
async fn the_midnight_race_never_leaves_a_row_out_of_its_rollup() {
    use domain::rollup::{ROLLUP_LAG, due_days};
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let day = (now() - TimeDelta::days(2)).date_naive();
    let midnight = (day + TimeDelta::days(1))
        .and_hms_opt(0, 0, 0)
        .expect("t")
        .and_utc();
    let last_ms = midnight - TimeDelta::milliseconds(1);
    // record decides by its own clock, still on `day`: an on-time put.
    let racing = row(REPORT_CREATED, "t", "w1", "racing", last_ms);
    // The writer at 00:14:59.999 does not roll the day up yet...
    let early = midnight + ROLLUP_LAG - TimeDelta::milliseconds(1);
    assert!(!due_days(early, Retention::default()).contains(&day));
    // ...the put lands (up to record's 10 s timeout later)...
    assert_eq!(
        ledger
            .record(&racing, Arrival::of(racing.occurred_at, last_ms))
            .await
            .expect("record"),
        PutOutcome::Recorded
    );
    assert!(
        table.all_items().await.len() == 1,
        "an on-time put bumps no version"
    );
    // ...and the writer at 00:15 includes it.
    assert!(due_days(midnight + ROLLUP_LAG, Retention::default()).contains(&day));
    let write = ledger
        .roll_up_day(day, midnight + ROLLUP_LAG, Retention::default())
        .await
        .expect("roll up");
    assert_eq!(
        write,
        RollupWrite::Stored {
            late_rows: 0,
            rows: 1
        }
    );
    let read = ledger.usable_rollups(&[day]).await.expect("read");
    assert_eq!(read.days[&day].total(), 1);
}

/// A shortened retention: roll-ups built under 90 days are never used for a
/// day outside the new 30-day window, and summaries stay exact.
#[tokio::test]
async fn a_shortened_retention_never_reads_a_rollup_outside_it() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    let rows = (0..120)
        .map(|i| {
            row(
                OPERATION_STARTED,
                "t",
                &format!("w{}", i % 5),
                &format!("s-{i}"),
                now - TimeDelta::hours(12 * i + 5),
            )
        })
        .collect();
    seed(&ledger, rows).await;
    for day in closed_days(now, 59) {
        ledger
            .roll_up_day(day, now, Retention::default())
            .await
            .expect("roll up");
    }
    // A 90-day window at a 30-day retention: the window reaches 60 days past
    // the retention, where 29 stored roll-ups wait to be (wrongly) used.
    let window = Window::ending_at(WindowKey::Quarter, now);
    let retention = Retention::from_days(30).expect("valid");
    let floor = now - retention.duration();
    let stored = ledger.usable_rollups(&window.days()).await.expect("read");
    let outside = stored.days.values().filter(|r| r.start() < floor).count();
    assert!(
        outside >= 28,
        "roll-ups outside the retention exist: {outside}"
    );
    let read = ledger
        .read_summary(
            Aggregation::new(window, now, retention),
            Sources::Rollups,
            QueryOptions::default(),
        )
        .await
        .expect("read");
    // Only the closed days inside the retention are whole in the window.
    let inside = window
        .days()
        .into_iter()
        .filter(|day| Rollup::of_day(*day).start() >= floor)
        .count() as u32;
    assert!(
        read.stats.rollup_days >= 28 && read.stats.rollup_days <= inside,
        "no roll-up of a day outside the retention is used: {:?}",
        read.stats
    );
    assert_eq!(
        read.stats.window_rollup,
        storage::WindowRollupUse::Missing,
        "none was built"
    );
    let mut raw = Aggregation::new(window, now, retention);
    ledger
        .read_range(window.start, window.end, QueryOptions::default(), |rows| {
            raw.add_all(rows)
        })
        .await
        .expect("read");
    assert_eq!(
        serde_json::to_value(raw.finish()).expect("json"),
        serde_json::to_value(read.summary).expect("json")
    );
}

/// A small deterministic generator (splitmix64): the seeded histories below
/// are the same on every run, so a failure names its seed.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// A seeded history: every catalog event, several tenants and workspaces,
/// times anywhere in the last 92 days and on hour and day edges (exactly
/// midnight, a millisecond either side), TTLs of 90 days, of 30 days (some
/// long expired) and already past.
fn seeded_rows(rng: &mut Seeded, count: usize, now: DateTime<Utc>, prefix: &str) -> Vec<Milestone> {
    let events: Vec<EventName> = EventName::all().collect();
    (0..count)
        .map(|i| {
            let base = now - TimeDelta::milliseconds(rng.below(92 * 86_400_000) as i64);
            let occurred = match rng.below(4) {
                0 => {
                    let midnight = base.duration_trunc(TimeDelta::days(1)).expect("day");
                    midnight + TimeDelta::milliseconds(rng.below(3) as i64 - 1)
                }
                1 => base.duration_trunc(TimeDelta::hours(1)).expect("hour"),
                _ => base,
            }
            .min(now - TimeDelta::milliseconds(1));
            let mut milestone = row(
                events[rng.below(events.len() as u64) as usize].as_str(),
                &format!("t{}", rng.below(4)),
                &format!("w{}", rng.below(25)),
                &format!("{prefix}-{i}"),
                occurred,
            );
            milestone.expires_at = match rng.below(5) {
                0 => (occurred + TimeDelta::days(30)).timestamp(),
                1 => (now - TimeDelta::seconds(rng.below(86_400) as i64 + 1)).timestamp(),
                _ => milestone.expires_at,
            };
            milestone
        })
        .collect()
}

/// Every window's summary from roll-ups and raw rows equals the one from
/// raw rows alone; returns each window's read statistics.
async fn assert_every_window_alike(
    ledger: &Ledger,
    now: DateTime<Utc>,
    context: &str,
) -> Vec<(WindowKey, storage::WindowStats)> {
    let mut read = Vec::new();
    for key in WindowKey::ALL {
        let raw = raw_summary(ledger, key, now).await;
        let (mixed, stats) = mixed_summary(ledger, key, now).await;
        assert_eq!(
            serde_json::to_value(&raw).expect("json"),
            serde_json::to_value(&mixed).expect("json"),
            "{context}, {key:?}"
        );
        read.push((key, stats));
    }
    read
}

/// The domain property test's comparison, on DynamoDB Local with a bounded
/// number of seeds, through the storage and domain code the rollup and
/// summary handlers call: seeded histories, a roll-up run, late rows
/// recorded afterwards, and a rebuild; every window's summary from roll-ups
/// equals the one from raw rows at each step.
#[tokio::test]
async fn seeded_histories_summarise_alike_from_rollups_and_raw_rows() {
    for history in 1..=3_u64 {
        let table = TestTable::create().await;
        let ledger = table.ledger();
        let mut rng = Seeded(history);
        let now = now();
        seed(&ledger, seeded_rows(&mut rng, 300, now, "on-time")).await;
        let days = closed_days(now, 92);
        let run = ledger
            .roll_up_days(&days, now, Retention::default(), || false)
            .await
            .expect("roll up");
        assert!(
            run.failed.is_empty() && run.finished,
            "seed {history}: {run:?}"
        );
        assert!(run.days_built > 0, "seed {history}: {run:?}");
        assert_every_window_alike(&ledger, now, &format!("seed {history}, rolled up")).await;

        // Late rows land through record's path (a version bump per day).
        let late = seeded_rows(&mut rng, 30, now, "late");
        for milestone in &late {
            let outcome = ledger
                .record(milestone, Arrival::of(milestone.occurred_at, now))
                .await
                .expect("record");
            assert_eq!(outcome, PutOutcome::Recorded, "seed {history}");
        }
        assert_every_window_alike(&ledger, now, &format!("seed {history}, late rows")).await;

        let later = now + domain::rollup::SETTLE;
        let rebuilt = ledger
            .roll_up_days(&days, later, Retention::default(), || false)
            .await
            .expect("roll up");
        assert!(rebuilt.failed.is_empty(), "seed {history}: {rebuilt:?}");
        assert_every_window_alike(&ledger, later, &format!("seed {history}, rebuilt")).await;
    }
}

/// The summary function's answer for `key`, through the watcher, with the
/// roll-up days its log line reports.
fn watched_summary(watcher: &mut crate::support::Watcher, key: WindowKey) -> serde_json::Value {
    let reply = watcher.request(
        "GET",
        "summary",
        &format!("/summary?window={}", key.as_str()),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

/// The largest `rollup_days` any summary log line of the watcher reported.
fn most_rollup_days(watcher: &crate::support::Watcher) -> Option<u64> {
    watcher
        .output()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|line| line["fields"]["rollup_days"].as_u64())
        .max()
}

/// Retention lengthened from 30 days to 90, end to end under `cargo lambda
/// watch`: rows recorded under 30 days (a 30-day TTL, which DynamoDB Local
/// never enforces) count 0 in a 90-day summary once expired, read raw and
/// from roll-ups alike, including rows that expire after the writer counted
/// them.
#[tokio::test(flavor = "multi_thread")]
async fn end_to_end_rows_expired_under_a_30_day_retention_count_0_at_90_days() {
    use crate::support::{Watcher, dynamodb_endpoint};
    use tokio::task::block_in_place;
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    let under_30_days = |mut r: Milestone| {
        r.expires_at = (r.occurred_at.instant() + TimeDelta::days(30)).timestamp();
        r
    };
    let old_day = (now - TimeDelta::days(33)).date_naive();
    let at_old = |hour: i64| {
        old_day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() + TimeDelta::hours(hour)
    };
    // Recorded under 30 days, long expired: 20 rows of a day 33 days back.
    let mut rows: Vec<Milestone> = (0..20)
        .map(|i| {
            under_30_days(row(
                OPERATION_STARTED,
                "t",
                &format!("gone-{i}"),
                &format!("expired-{i}"),
                at_old(i),
            ))
        })
        .collect();
    // The same day, recorded since under 90 days: 4 rows that count.
    rows.extend((0..4).map(|i| {
        row(
            REPORT_CREATED,
            "t",
            "w-old",
            &format!("kept-{i}"),
            at_old(2 * i + 1),
        )
    }));
    // Recorded under 30 days 30 days ago: they expire seconds from now, after
    // the writer has (most likely) counted them.
    let expiring_at = now + TimeDelta::seconds(6);
    rows.extend((0..3).map(|i| {
        let mut r = row(
            OPERATION_STARTED,
            "t",
            &format!("soon-{i}"),
            &format!("soon-{i}"),
            expiring_at - TimeDelta::days(30),
        );
        r.expires_at = expiring_at.timestamp();
        r
    }));
    // Recent rows under 90 days.
    rows.extend((0..40).map(|i| {
        row(
            [OPERATION_STARTED, REPORT_CREATED][i % 2],
            "t",
            &format!("w{}", i % 7),
            &format!("recent-{i}"),
            now - TimeDelta::hours(3 + 11 * i as i64) - TimeDelta::minutes(30),
        )
    }));
    seed(&ledger, rows).await;
    let counted = 4 + 40;
    let workspaces = 1 + 7;

    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    // Raw rows only (no roll-up exists yet): the long-expired rows count 0.
    let raw = block_in_place(|| watched_summary(&mut watcher, WindowKey::Quarter));
    let live = if chrono::Utc::now() < expiring_at {
        3
    } else {
        0
    };
    assert!(
        raw["total"] == counted + live || raw["total"] == counted,
        "expired rows never count: {raw}"
    );
    let report = block_in_place(|| watcher.invoke("rollup", "{}")).json();
    assert_eq!(report["finished"], true, "{report}");
    assert!(report["days_built"].as_u64().unwrap_or(0) >= 80, "{report}");
    // Once the expiring rows' TTL passed (a bounded wait on the clock),
    // neither the roll-up that counted them nor a raw read counts them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while chrono::Utc::now() <= expiring_at + TimeDelta::seconds(1) {
        assert!(std::time::Instant::now() < deadline, "the clock stalled");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    for pass in ["before the writer rebuilds", "after the writer rebuilds"] {
        let body = block_in_place(|| watched_summary(&mut watcher, WindowKey::Quarter));
        assert_eq!(body["total"], counted, "{pass}: {body}");
        assert_eq!(body["active_workspaces"], workspaces, "{pass}: {body}");
        let exact = raw_summary(&ledger, WindowKey::Quarter, chrono::Utc::now()).await;
        assert_eq!(body["total"], exact.total, "{pass}");
        let again = block_in_place(|| watcher.invoke("rollup", "{}")).json();
        assert_eq!(again["finished"], true, "{again}");
    }
    // The 90-day answers took their closed days from roll-ups.
    assert!(
        most_rollup_days(&watcher).is_some_and(|days| days >= 80),
        "rollup_days: {:?}",
        most_rollup_days(&watcher)
    );
}

/// Retention shortened from 90 days to 30, end to end: the writer's next
/// scheduled run under 30 days leaves no roll-up or day-version item of a day
/// outside the new retention, and the summary stays exact.
#[tokio::test(flavor = "multi_thread")]
async fn end_to_end_a_shortened_retention_leaves_no_bookkeeping_outside_it() {
    use crate::support::{Watcher, dynamodb_endpoint};
    use tokio::task::block_in_place;
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    let rows = (0..160)
        .map(|i| {
            row(
                [OPERATION_STARTED, REPORT_CREATED][i % 2],
                "t",
                &format!("w{}", i % 6),
                &format!("r-{i}"),
                now - TimeDelta::hours(3 + 12 * i as i64) - TimeDelta::minutes(30),
            )
        })
        .collect();
    seed(&ledger, rows).await;
    {
        let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
        let report = block_in_place(|| watcher.invoke("rollup", "{}")).json();
        assert_eq!(report["finished"], true, "{report}");
        // A late row 60 days back, through record: it bumps a version shard.
        let late = serde_json::json!({
            "event": REPORT_CREATED, "tenant_id": "t", "workspace_id": "w-late",
            "actor_id": "a", "event_id": "late-60", "metadata": {"report_type": "usage"},
            "occurred_at": (now - TimeDelta::days(60)).to_rfc3339()
        });
        let recorded = block_in_place(|| watcher.invoke("record", &late.to_string())).json();
        assert_eq!(recorded["status"], "recorded", "{recorded}");
    }
    let before = testing::bookkeeping_days(&ledger).await.expect("list");
    let first_kept = (chrono::Utc::now() - TimeDelta::days(30)).date_naive();
    let outside = before.keys().filter(|day| **day < first_kept).count();
    assert!(outside >= 40, "roll-ups under 90 days: {before:?}");
    assert!(
        before.contains_key(&(now - TimeDelta::days(60)).date_naive()),
        "the late row's version item"
    );

    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 30);
    let report = block_in_place(|| watcher.invoke("rollup", "{}")).json();
    assert_eq!(report["finished"], true, "{report}");
    assert!(
        report["bookkeeping_deleted"].as_u64().unwrap_or(0) >= outside as u64,
        "{report}"
    );
    let after = testing::bookkeeping_days(&ledger).await.expect("list");
    assert!(
        after.keys().all(|day| *day >= first_kept),
        "bookkeeping outside the 30-day retention: {:?}",
        after.range(..first_kept).collect::<Vec<_>>()
    );
    assert!(
        after.len() >= 28,
        "the days inside it keep theirs: {after:?}"
    );
    let body = block_in_place(|| watched_summary(&mut watcher, WindowKey::Month));
    let exact = raw_summary(&ledger, WindowKey::Month, chrono::Utc::now()).await;
    assert_eq!(body["total"], exact.total, "{body}");
    assert_eq!(body["active_workspaces"], exact.active_workspaces, "{body}");
}

/// What a summary answer says, without the instants that differ between two
/// reads a moment apart (`generated_at`, the window's edges, bucket starts).
fn answer_of(value: &serde_json::Value) -> serde_json::Value {
    let families: Vec<serde_json::Value> = value["families"]
        .as_array()
        .expect("families")
        .iter()
        .map(|f| serde_json::json!([f["event"], f["count"], f["last_seen_at"]]))
        .collect();
    serde_json::json!({
        "total": value["total"],
        "active_workspaces": value["active_workspaces"],
        "families": families,
    })
}

/// Every window's answer through the summary function equals the raw
/// summary read just before or just after it (the function's clock is a
/// moment later than the test's).
async fn assert_handlers_answer_as_raw(
    watcher: &mut crate::support::Watcher,
    ledger: &Ledger,
    context: &str,
) {
    use tokio::task::block_in_place;
    for key in WindowKey::ALL {
        let before = raw_summary(ledger, key, Utc::now()).await;
        let body = block_in_place(|| watched_summary(watcher, key));
        let after = raw_summary(ledger, key, Utc::now()).await;
        let answer = answer_of(&body);
        let raw = [before, after].map(|s| answer_of(&serde_json::to_value(s).expect("json")));
        assert!(
            raw.contains(&answer),
            "{context}, {key:?}: the function answered {answer}, raw rows say {}",
            raw[0]
        );
    }
}

/// The seeded comparison through the real handlers, for two seeds: the
/// rollup function builds the roll-ups and the summary function answers
/// under `cargo lambda watch`; every window equals the raw rows, after the
/// writer ran, after late rows landed, and after the writer ran again.
#[tokio::test(flavor = "multi_thread")]
async fn seeded_histories_through_the_handlers_answer_as_raw_rows() {
    use crate::support::{Watcher, dynamodb_endpoint};
    use tokio::task::block_in_place;
    for history in [11_u64, 12] {
        let table = TestTable::create().await;
        let ledger = table.ledger();
        let mut rng = Seeded(history);
        let now = now();
        seed(&ledger, seeded_rows(&mut rng, 300, now, "on-time")).await;
        let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
        let report = block_in_place(|| watcher.invoke("rollup", "{}")).json();
        assert_eq!(report["finished"], true, "seed {history}: {report}");
        assert!(report["days_built"].as_u64().unwrap_or(0) > 0, "{report}");
        let context = format!("seed {history}, rolled up");
        assert_handlers_answer_as_raw(&mut watcher, &ledger, &context).await;

        // Late rows land through record's storage path (a version bump each).
        for milestone in seeded_rows(&mut rng, 30, now, "late") {
            let outcome = ledger
                .record(&milestone, Arrival::of(milestone.occurred_at, Utc::now()))
                .await
                .expect("record");
            assert_eq!(outcome, PutOutcome::Recorded, "seed {history}");
        }
        let context = format!("seed {history}, late rows");
        assert_handlers_answer_as_raw(&mut watcher, &ledger, &context).await;
        // The writer leaves the days that late rows just bumped alone.
        let again = block_in_place(|| watcher.invoke("rollup", "{}")).json();
        assert_eq!(again["days_failed"], 0, "seed {history}: {again}");
        let context = format!("seed {history}, the writer again");
        assert_handlers_answer_as_raw(&mut watcher, &ledger, &context).await;
        assert!(
            most_rollup_days(&watcher).is_some_and(|days| days > 0),
            "seed {history}: the summaries used roll-ups"
        );
    }
}

/// Hour and window roll-ups, end to end under `cargo lambda watch`: rows
/// over the last 26 hours, one writer run, then a summary of every window
/// that is exact and reads at most 10 % of the window's rows at the wire
/// (the current hour and the writer's lag, and the part of an hour at the
/// window start), from the window's own roll-up.
#[tokio::test(flavor = "multi_thread")]
async fn a_24h_summary_reads_about_an_hour_of_raw_rows_after_the_writer() {
    use crate::support::{Watcher, dynamodb_endpoint};
    use domain::window_rollup::{start_for, starts};
    use tokio::task::block_in_place;
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    // 2,600 rows, one every 36 s over the last 26 hours.
    let rows: Vec<Milestone> = (0..2_600)
        .map(|i| {
            row(
                [OPERATION_STARTED, REPORT_CREATED][i % 2],
                &format!("t{}", i % 3),
                &format!("w{}", i % 40),
                &format!("h-{i}"),
                now - TimeDelta::seconds(36 * i as i64 + 1),
            )
        })
        .collect();
    seed(&ledger, rows).await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    let ran = Utc::now();
    let report = block_in_place(|| watcher.invoke("rollup", "{}")).json();
    assert_eq!(report["finished"], true, "{report}");
    assert!(
        report["hours_built"].as_u64().unwrap_or(0) >= 24,
        "{report}"
    );
    // Three to six starts per window, by the minute of the hour it ran.
    let checked = report["windows_checked"].as_u64().unwrap_or(0);
    assert!(checked >= 12, "{report}");
    assert_eq!(report["windows_built"], checked, "{report}");

    for key in WindowKey::ALL {
        let asked = Utc::now();
        let before = raw_summary(&ledger, key, asked).await;
        let body = block_in_place(|| watched_summary(&mut watcher, key));
        let after = raw_summary(&ledger, key, Utc::now()).await;
        let answer = answer_of(&body);
        let raw = [before, after].map(|s| answer_of(&serde_json::to_value(s).expect("json")));
        assert!(raw.contains(&answer), "{key:?}: {answer} vs {}", raw[0]);
        let line = watcher
            .output()
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .rfind(|line| line["fields"]["message"] == "summary")
            .expect("the summary's log line");
        let items_read = line["fields"]["items_read"].as_u64().expect("items_read");
        let in_window = body["total"].as_u64().expect("total");
        println!(
            "{key:?}: {items_read} raw rows read of {in_window} in the window; {} window roll-up(s), {} read units",
            line["fields"]["window_rollup"], line["fields"]["read_units"]
        );
        assert!(
            items_read * 10 <= in_window,
            "{key:?}: read {items_read} raw rows of {in_window}: {line}"
        );
        // The summary's clock is a moment after `asked`: unless an hour
        // edge fell between the two, it asks for a start this run built.
        let built = starts(key, ran);
        if built.contains(&start_for(key, asked))
            && start_for(key, asked) == start_for(key, Utc::now())
        {
            assert_eq!(line["fields"]["window_rollup"], "used", "{key:?}: {line}");
        }
    }
}

/// A late row for a closed hour (a retry that lands after its hour closed)
/// counts at once: it makes that hour's roll-up stale, so the hour is read
/// raw until the writer rebuilds it.
#[tokio::test]
async fn a_late_row_for_a_closed_hour_counts_at_once() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    let hour_start = (now - TimeDelta::hours(2))
        .duration_trunc(TimeDelta::hours(1))
        .expect("hour");
    let (day, hour) = (hour_start.date_naive(), chrono::Timelike::hour(&hour_start));
    seed(
        &ledger,
        vec![row(
            REPORT_CREATED,
            "t",
            "w1",
            "on-time",
            hour_start + TimeDelta::minutes(5),
        )],
    )
    .await;
    let write = ledger
        .roll_up_hour(day, hour, now, Retention::default())
        .await
        .expect("roll up");
    assert!(
        matches!(write, RollupWrite::Stored { rows: 1, .. }),
        "{write:?}"
    );
    let (summary, stats) = mixed_summary(&ledger, WindowKey::Day, now).await;
    assert_eq!(summary.total, 1);
    assert!(
        stats.rollup_hours >= 1,
        "the hour came from its roll-up: {stats:?}"
    );
    let windows = ledger
        .roll_up_windows(&WindowKey::ALL, now, Retention::default(), || false)
        .await;
    assert!(
        windows.error.is_none() && windows.built == due_windows(now),
        "{windows:?}"
    );
    let (summary, stats) = mixed_summary(&ledger, WindowKey::Day, now).await;
    assert_eq!(
        (summary.total, stats.window_rollup),
        (1, WindowRollupUse::Used),
        "the window came from its roll-up: {stats:?}"
    );

    let late = row(
        REPORT_CREATED,
        "t",
        "w2",
        "late",
        hour_start + TimeDelta::minutes(30),
    );
    assert!(matches!(
        Arrival::of(late.occurred_at, now),
        Arrival::Late { .. }
    ));
    ledger
        .record(&late, Arrival::of(late.occurred_at, now))
        .await
        .expect("record");
    for key in WindowKey::ALL {
        let (summary, stats) = mixed_summary(&ledger, key, now).await;
        assert_eq!(
            (summary.total, summary.active_workspaces),
            (2, 2),
            "{key:?} at once"
        );
        assert_eq!(
            stats.window_rollup,
            WindowRollupUse::Stale,
            "{key:?}: its window roll-up is stale"
        );
    }
    assert!(
        ledger
            .usable_hour_rollups(&[(day, hour)])
            .await
            .expect("read")
            .hours
            .is_empty(),
        "the hour's roll-up is stale"
    );
    let rebuilt = ledger
        .roll_up_hour(
            day,
            hour,
            now + domain::rollup::SETTLE,
            Retention::default(),
        )
        .await
        .expect("roll up");
    assert!(
        matches!(rebuilt, RollupWrite::Stored { rows: 2, .. }),
        "{rebuilt:?}"
    );
}

/// Window roll-ups on DynamoDB Local: built for every window, each answers
/// exactly; a corrupt one is counted and its window read from day and hour
/// roll-ups; after a late row the writer leaves every window covering its
/// day alone until the settle time, then builds them again.
#[tokio::test]
async fn window_rollups_answer_exactly_settle_after_a_late_row_and_fail_open() {
    use domain::rollup::{Due, SETTLE};
    use domain::window_rollup::start_for;
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    let rows = (0..400)
        .map(|i| {
            row(
                [OPERATION_STARTED, REPORT_CREATED][i % 2],
                &format!("t{}", i % 3),
                &format!("w{}", i % 13),
                &format!("x-{i}"),
                now - TimeDelta::minutes(17 * i as i64 + 1),
            )
        })
        .collect();
    seed(&ledger, rows).await;
    let retention = Retention::default();
    let build = |at: DateTime<Utc>| {
        let ledger = ledger.clone();
        async move {
            let run = ledger
                .roll_up(&Due::at(at, retention), at, retention, || false)
                .await
                .expect("roll up");
            assert!(run.failed.is_empty(), "{:?}", run.failed);
            ledger
                .roll_up_windows(&WindowKey::ALL, at, retention, || false)
                .await
        }
    };
    let windows = build(now).await;
    assert!(windows.error.is_none(), "{windows:?}");
    let due = due_windows(now);
    assert_eq!((windows.checked, windows.built), (due, due), "{windows:?}");
    for key in WindowKey::ALL {
        let raw = raw_summary(&ledger, key, now).await;
        let (mixed, stats) = mixed_summary(&ledger, key, now).await;
        assert_eq!(mixed, raw, "{key:?}");
        assert_eq!(
            stats.window_rollup,
            WindowRollupUse::Used,
            "{key:?}: {stats:?}"
        );
        assert!(stats.raw.items * 4 <= raw.total, "{key:?}: {stats:?}");
    }

    testing::corrupt_window_rollup(&ledger, WindowKey::Week, start_for(WindowKey::Week, now))
        .await
        .expect("corrupt");
    let (mixed, stats) = mixed_summary(&ledger, WindowKey::Week, now).await;
    assert_eq!(mixed, raw_summary(&ledger, WindowKey::Week, now).await);
    assert_eq!(
        (stats.window_rollup, stats.rollups_unreadable),
        (WindowRollupUse::Unreadable, 1),
        "{stats:?}"
    );

    // A late row two hours back (a closed hour): every window roll-up
    // covers its day, whatever the time of day.
    let late = row(
        REPORT_CREATED,
        "t0",
        "w-late",
        "late",
        now - TimeDelta::hours(2),
    );
    ledger
        .record(&late, Arrival::of(late.occurred_at, now))
        .await
        .expect("record");
    for key in WindowKey::ALL {
        let (mixed, stats) = mixed_summary(&ledger, key, now).await;
        assert_eq!(
            mixed,
            raw_summary(&ledger, key, now).await,
            "{key:?} at once"
        );
        let expected = if key == WindowKey::Week {
            WindowRollupUse::Unreadable // corrupted above
        } else {
            WindowRollupUse::Stale
        };
        assert_eq!(stats.window_rollup, expected, "{key:?}");
    }
    let settling = build(now).await;
    assert_eq!(
        (settling.settling, settling.built),
        (due, 0),
        "{settling:?}"
    );
    let later = now + SETTLE;
    let rebuilt = build(later).await;
    assert_eq!(rebuilt.built, due_windows(later), "{rebuilt:?}");
    for key in WindowKey::ALL {
        let (mixed, stats) = mixed_summary(&ledger, key, later).await;
        assert_eq!(mixed, raw_summary(&ledger, key, later).await, "{key:?}");
        assert_eq!(
            stats.window_rollup,
            WindowRollupUse::Used,
            "{key:?}: rebuilt"
        );
    }
}

/// The window roll-ups a writer run at `now` builds: the domain's starts
/// for every window (three to six each, by the minute of the hour).
fn due_windows(now: DateTime<Utc>) -> u32 {
    WindowKey::ALL
        .iter()
        .map(|key| domain::window_rollup::starts(*key, now).len() as u32)
        .sum()
}

/// A back-fill: 5,000 late rows over the 89 closed days before today,
/// recorded as record records them, then the writer, past the settle time.
/// A 90-day summary is exact and reads at most a tenth of that in items at
/// the wire (the day versions of its days, at most 4 shards each, the
/// window roll-up, the raw tail): version items are written and read only
/// where a roll-up uses them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_backfill_a_90d_summary_reads_at_most_a_tenth_of_its_rows_at_the_wire() {
    use crate::faults::function_client;
    use crate::support::dynamodb_endpoint;
    use crate::support::fault_proxy::{FaultPlan, FaultProxy};
    const ROWS: i64 = 5_000;
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = now();
    let today = now.date_naive();
    let rows: Vec<Milestone> = (0..ROWS)
        .map(|i| {
            let day = today - chrono::Days::new(1 + (i % 89) as u64);
            let at = Rollup::of_day(day).start() + TimeDelta::minutes((i / 89) * 25 % 1_440);
            let kind = [OPERATION_STARTED, REPORT_CREATED][(i % 2) as usize];
            row(
                kind,
                &format!("t{}", i % 7),
                &format!("w{}", i % 300),
                &format!("b-{i}"),
                at,
            )
        })
        .collect();
    let mut outcomes = Vec::new();
    for chunk in rows.chunks(64) {
        let mut tasks = tokio::task::JoinSet::new();
        for row in chunk.iter().cloned() {
            let ledger = ledger.clone();
            tasks
                .spawn(async move { ledger.record(&row, Arrival::of(row.occurred_at, now)).await });
        }
        outcomes.extend(
            tasks
                .join_all()
                .await
                .into_iter()
                .map(|o| o.expect("record")),
        );
    }
    assert!(outcomes.len() == rows.len() && outcomes.iter().all(|o| *o == PutOutcome::Recorded));
    testing::age_bumps(&ledger, domain::rollup::SETTLE + TimeDelta::minutes(1))
        .await
        .expect("past the settle time");
    let deadline = now + TimeDelta::minutes(5);
    let run = ledger
        .run_writer(now, Retention::default(), deadline, || false)
        .await
        .expect("writer");
    let storage::WriterOutcome::Ran(run) = run else {
        panic!("the lease was free: {run:?}")
    };
    assert!(run.finished() && run.rollups.days_built == 89, "{run:?}");
    let proxy = FaultProxy::start(&dynamodb_endpoint(), FaultPlan::default());
    let through_proxy = Ledger::new(
        function_client(&proxy.endpoint, wiring::Timeouts::SUMMARY),
        &table.name,
    );
    let aggregation = Aggregation::new(
        Window::ending_at(WindowKey::Quarter, now),
        now,
        Retention::default(),
    );
    let read = through_proxy
        .read_summary(aggregation, Sources::Rollups, QueryOptions::default())
        .await
        .expect("summary");
    let raw = raw_summary(&ledger, WindowKey::Quarter, now).await;
    assert_eq!(read.summary, raw, "exact");
    assert_eq!(read.summary.total, ROWS as u64);
    let items = proxy.count(|c| &c.items);
    println!(
        "90d summary after a back-fill of {ROWS} late rows: {items} items at the wire ({} roll-up items, {} raw rows, window roll-up {})",
        read.stats.rollup_items,
        read.stats.raw.items,
        read.stats.window_rollup.as_str()
    );
    assert!(items * 10 <= ROWS as u64, "{items} items at the wire");
}
