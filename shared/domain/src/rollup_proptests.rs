//! Property test: a summary made of roll-ups and raw rows equals the summary
//! of raw rows alone, whatever the rows, their TTLs (rows written under other
//! retentions, rows already expired), the late rows, the build time and `now`
//! (on hour and day edges), for every window.
//!
//! The model is storage's contract: the writer rolls up each closed day, and
//! each closed hour of the last two days (`due_hours`), at build time `B`
//! from the rows that exist then (past the lag); a late row (one that arrives
//! after `B`) makes its day's and its hour's roll-ups stale, so they are read
//! raw; everything else the summary does is the domain's own. A window takes
//! whole days from day roll-ups, then whole hours of the other days from hour
//! roll-ups, and reads the rest raw.
//!
//! The writer also keeps, per window, the aggregate of `[start, end)`
//! (`window_rollup`) from the rows that exist at `B`; a late row of any day
//! it touches makes it stale. A summary whose window's first quarter hour is
//! one the writer built takes it whole and reads only the edges raw.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::events::{CATALOG, EventName};
use crate::ids::{TenantId, WorkspaceId};
use crate::model::IndexedMilestone;
use crate::retention::Retention;
use crate::rollup::{ROLLUP_LAG, Rollup, due_hours};
use crate::time::OccurredAt;
use crate::window::{Window, WindowKey};
use crate::window_rollup::{self, WindowRollup};
use crate::{Aggregation, testing::at};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
struct Row {
    event: usize,
    tenant: u8,
    workspace: u8,
    /// Milliseconds before `now`.
    age_ms: i64,
    /// The retention the row was recorded under, in days (its TTL's distance).
    ttl_days: i64,
    /// It arrived after the roll-ups were built.
    late: bool,
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    let row = (
        0..CATALOG.len(),
        0u8..3,
        0u8..12,
        // Up to 100 days back, sometimes on an exact hour or day edge, and
        // sometimes just under 7 days back: with a 7-day TTL such a row
        // expires between a recent build and the summary.
        prop_oneof![
            0i64..100 * 86_400_000,
            (0i64..100 * 24).prop_map(|h| h * 3_600_000),
            (0i64..100).prop_map(|d| d * 86_400_000 + 1),
            (0i64..3 * 3_600_000).prop_map(|ms| 7 * 86_400_000 - ms),
        ],
        prop_oneof![Just(7i64), Just(30), Just(90), Just(365)],
        prop::bool::weighted(0.1),
    )
        .prop_map(|(event, tenant, workspace, age_ms, ttl_days, late)| Row {
            event,
            tenant,
            workspace,
            age_ms,
            ttl_days,
            late,
        });
    prop::collection::vec(row, 0..160)
}

/// `now` on hour and day edges, or anywhere.
fn nows() -> impl Strategy<Value = DateTime<Utc>> {
    let base = at("2026-11-27T00:00:00Z");
    prop_oneof![
        (0i64..72).prop_map(move |h| base + TimeDelta::hours(h)),
        (0i64..72).prop_map(move |h| base + TimeDelta::hours(h) - TimeDelta::milliseconds(1)),
        (0i64..72 * 3_600_000).prop_map(move |ms| base + TimeDelta::milliseconds(ms)),
    ]
}

fn indexed(row: &Row, now: DateTime<Utc>) -> IndexedMilestone {
    let occurred = OccurredAt::from_instant(now - TimeDelta::milliseconds(row.age_ms));
    let expiry = occurred.instant() + TimeDelta::days(row.ttl_days);
    IndexedMilestone {
        event: EventName::parse(CATALOG[row.event].name).expect("catalog event"),
        tenant_id: TenantId::parse(&format!("t{}", row.tenant)).expect("id"),
        workspace_id: WorkspaceId::parse(&format!("w{}", row.workspace)).expect("id"),
        occurred_at: occurred,
        // As stored: rounded up to the next whole second.
        expires_at: expiry.timestamp() + i64::from(expiry.timestamp_subsec_nanos() > 0),
    }
}

proptest! {
    #[test]
    fn rollups_and_raw_rows_give_the_same_summary(
        rows in rows(),
        now in nows(),
        built_before_ms in prop_oneof![0i64..3 * 86_400_000, 0i64..2 * 3_600_000],
        retention_days in prop_oneof![Just(7u64), Just(30), Just(90), Just(365)],
    ) {
        let retention = Retention::from_days(retention_days).expect("valid");
        let built = now - TimeDelta::milliseconds(built_before_ms);
        let facts: Vec<(IndexedMilestone, bool)> =
            rows.iter().map(|r| (indexed(r, now), r.late)).collect();
        // The writer at `built`: every closed day past the lag, from the rows
        // that existed then; a day that took a late row since is stale.
        let mut rollups: BTreeMap<NaiveDate, Rollup> = BTreeMap::new();
        let mut stale: BTreeSet<NaiveDate> = BTreeSet::new();
        for (row, late) in &facts {
            let occurred = row.occurred_at.instant();
            let day = occurred.date_naive();
            let rolled = Rollup::of_day(day).end() + ROLLUP_LAG <= built;
            if !rolled {
                continue;
            }
            let rollup = rollups.entry(day).or_insert_with(|| Rollup::of_day(day));
            if *late || occurred > built {
                stale.insert(day);
            } else {
                rollup.add(row, built);
            }
        }
        // The hour roll-ups the writer built at `built`.
        let mut hours: BTreeMap<(NaiveDate, u32), Rollup> = due_hours(built, retention)
            .into_iter()
            .map(|(day, hour)| ((day, hour), Rollup::of_hour(day, hour)))
            .collect();
        let mut stale_hours: BTreeSet<(NaiveDate, u32)> = BTreeSet::new();
        for (row, late) in &facts {
            let occurred = row.occurred_at.instant();
            let key = (occurred.date_naive(), chrono::Timelike::hour(&occurred));
            let Some(rollup) = hours.get_mut(&key) else {
                continue;
            };
            if *late || occurred > built {
                stale_hours.insert(key);
            } else {
                rollup.add(row, built);
            }
        }
        // The window roll-ups the writer built at `built`, from the rows that
        // existed then; a late row of any day one touches makes it stale.
        let end = window_rollup::end_at(built);
        let mut windowed: BTreeMap<(WindowKey, DateTime<Utc>), WindowRollup> = BTreeMap::new();
        for key in WindowKey::ALL {
            for start in window_rollup::starts(key, built) {
                let span = Window { key, start, end };
                let days = span.days();
                if facts.iter().any(|(row, late)| {
                    *late && days.contains(&row.occurred_at.instant().date_naive())
                }) {
                    continue;
                }
                let mut build = Aggregation::new(span, built, retention);
                for (row, late) in &facts {
                    if !late && row.occurred_at.instant() <= built {
                        build.add(row);
                    }
                }
                windowed.insert((key, start), build.into_window_rollup());
            }
        }
        for key in WindowKey::ALL {
            let window = Window::ending_at(key, now);
            let start = window_rollup::start_for(key, now);
            if let Some(rollup) = windowed.get(&(key, start)) {
                let mut whole = Aggregation::new(window, now, retention);
                if whole.add_window_rollup(rollup) {
                    for (row, _) in &facts {
                        let occurred = row.occurred_at.instant();
                        if occurred < rollup.start || rollup.end <= occurred {
                            whole.add(row);
                        }
                    }
                    let mut raw = Aggregation::new(window, now, retention);
                    for (row, _) in &facts {
                        raw.add(row);
                    }
                    prop_assert_eq!(
                        serde_json::to_value(raw.finish()).expect("json"),
                        serde_json::to_value(whole.finish()).expect("json"),
                        "window roll-up {:?} at {} (built {}, retention {} days)",
                        key, now, built, retention_days
                    );
                }
            }
        }
        for key in WindowKey::ALL {
            let window = Window::ending_at(key, now);
            let mut raw = Aggregation::new(window, now, retention);
            for (row, _) in &facts {
                raw.add(row);
            }
            let mut mixed = Aggregation::new(window, now, retention);
            let mut whole = BTreeSet::new();
            for day in mixed.whole_days() {
                if stale.contains(&day) {
                    continue;
                }
                if rollups.get(&day).is_some_and(|rollup| mixed.add_rollup(rollup)) {
                    whole.insert(day);
                }
            }
            let mut whole_hours = BTreeSet::new();
            for hour in mixed.whole_hours(&whole) {
                if stale_hours.contains(&hour) {
                    continue;
                }
                if hours.get(&hour).is_some_and(|rollup| mixed.add_rollup(rollup)) {
                    whole_hours.insert(hour);
                }
            }
            for (row, _) in &facts {
                let occurred = row.occurred_at.instant();
                let hour = (occurred.date_naive(), chrono::Timelike::hour(&occurred));
                if !whole.contains(&hour.0) && !whole_hours.contains(&hour) {
                    mixed.add(row);
                }
            }
            let (raw, mixed) = (raw.finish(), mixed.finish());
            prop_assert_eq!(
                serde_json::to_value(&raw).expect("json"),
                serde_json::to_value(&mixed).expect("json"),
                "{:?} at {} (built {}, retention {} days)", key, now, built, retention_days
            );
        }
    }
}
