//! The aggregation's tests: buckets and edges, distinct workspaces,
//! retention and TTLs, and day, hour and window roll-ups taken whole.

use super::*;
use crate::ids::{TenantId, WorkspaceId};
use crate::testing::at;
use crate::testing::{OPERATION_STARTED, REPORT_CREATED, REVIEW_PACK_REQUESTED};
use crate::time::OccurredAt;
use chrono::TimeDelta;

const NOW: &str = "2026-11-27T10:30:00Z";

struct Row {
    event: &'static str,
    tenant: TenantId,
    workspace: WorkspaceId,
    occurred: DateTime<Utc>,
    expires_at: i64,
}

fn row(event: &'static str, tenant: &str, workspace: &str, occurred: &str) -> Row {
    let occurred = at(occurred);
    Row {
        event,
        tenant: TenantId::parse(tenant).expect("id"),
        workspace: WorkspaceId::parse(workspace).expect("id"),
        expires_at: (occurred + TimeDelta::days(90)).timestamp(),
        occurred,
    }
}

fn facts(row: &Row) -> IndexedMilestone {
    IndexedMilestone {
        event: EventName::parse(row.event).expect("event"),
        tenant_id: row.tenant.clone(),
        workspace_id: row.workspace.clone(),
        occurred_at: OccurredAt::from_instant(row.occurred),
        expires_at: row.expires_at,
    }
}

fn summarize(key: WindowKey, rows: &[Row]) -> Summary {
    let now = at(NOW);
    let mut aggregation = Aggregation::new(Window::ending_at(key, now), now, Retention::default());
    for row in rows {
        aggregation.add(&facts(row));
    }
    aggregation.finish()
}

#[test]
fn empty_window_is_zero_filled_in_catalog_order() {
    let summary = summarize(WindowKey::Week, &[]);
    let names: Vec<_> = summary.families.iter().map(|f| f.event).collect();
    let catalog: Vec<_> = CATALOG.iter().map(|s| s.name).collect();
    assert_eq!(names, catalog);
    for family in &summary.families {
        assert_eq!(family.count, 0);
        assert_eq!(family.last_seen_at, None);
        assert_eq!(family.buckets.len(), 8);
        assert!(family.buckets.iter().all(|b| b.count == 0));
    }
    assert_eq!((summary.total, summary.active_workspaces), (0, 0));
}

#[test]
fn counts_land_in_their_buckets_including_partial_edges() {
    let rows = [
        row(OPERATION_STARTED, "t1", "w1", "2026-11-20T10:30:00Z"), // exactly the start: in, first bucket
        row(OPERATION_STARTED, "t1", "w1", "2026-11-20T10:29:59.999Z"), // just before: out
        row(OPERATION_STARTED, "t1", "w1", "2026-11-27T10:29:59.999Z"), // just before the end: in, last bucket
        row(OPERATION_STARTED, "t1", "w1", "2026-11-27T10:30:00Z"),     // exactly the end: out
        row(REPORT_CREATED, "t1", "w2", "2026-11-24T00:00:00Z"),
    ];
    let summary = summarize(WindowKey::Week, &rows);
    let operations = &summary.families[2];
    assert_eq!(operations.count, 2);
    assert_eq!(operations.buckets[0].count, 1);
    assert_eq!(operations.buckets[7].count, 1);
    assert_eq!(
        operations.last_seen_at,
        Some(at("2026-11-27T10:29:59.999Z"))
    );
    let reports = &summary.families[3];
    assert_eq!(
        reports.buckets[4],
        Bucket {
            start: at("2026-11-24T00:00:00Z"),
            count: 1
        }
    );
    assert_eq!(summary.total, 3);
}

#[test]
fn hourly_buckets_for_24h() {
    let rows = [
        row(REVIEW_PACK_REQUESTED, "t1", "w1", "2026-11-26T10:45:00Z"),
        row(REVIEW_PACK_REQUESTED, "t1", "w1", "2026-11-27T10:05:00Z"),
    ];
    let summary = summarize(WindowKey::Day, &rows);
    let family = &summary.families[4];
    assert_eq!(family.buckets.len(), 25);
    assert_eq!(family.buckets[0].count, 1);
    assert_eq!(family.buckets[24].count, 1);
    assert_eq!(family.buckets[24].start, at("2026-11-27T10:00:00Z"));
}

#[test]
fn distinct_workspaces_across_families_and_buckets() {
    let rows = [
        row(OPERATION_STARTED, "t1", "w1", "2026-11-26T01:00:00Z"),
        row(REPORT_CREATED, "t1", "w1", "2026-11-25T01:00:00Z"),
        row(REPORT_CREATED, "t1", "w2", "2026-11-25T02:00:00Z"),
        // A workspace owns several tenants: w1 under another tenant is still w1.
        row(REPORT_CREATED, "t2", "w1", "2026-11-24T01:00:00Z"),
        // Outside the window: does not make its workspace active.
        row(REPORT_CREATED, "t3", "w9", "2026-11-01T01:00:00Z"),
    ];
    let summary = summarize(WindowKey::Week, &rows);
    assert_eq!(summary.active_workspaces, 2);
    assert_eq!(summary.total, 4);
}

/// A summary from day roll-ups (whole days) plus raw rows (edge day and
/// today) equals a summary from raw rows alone, for every window.
#[test]
fn rollups_and_raw_rows_give_the_same_summary() {
    let now = at("2026-11-27T10:30:00.250Z");
    let mut rows = Vec::new();
    for h in 0..(24 * 40) {
        let event = [OPERATION_STARTED, REPORT_CREATED, REVIEW_PACK_REQUESTED][h % 3];
        let occurred = now - TimeDelta::minutes(37 * h as i64 + 11);
        rows.push(row(
            event,
            "t1",
            &format!("w{}", h % 7),
            &format_millis(occurred),
        ));
    }
    for key in WindowKey::ALL {
        let window = Window::ending_at(key, now);
        let mut raw = Aggregation::new(window, now, Retention::default());
        let mut mixed = Aggregation::new(window, now, Retention::default());
        let mut days: std::collections::BTreeMap<chrono::NaiveDate, Rollup> =
            std::collections::BTreeMap::new();
        for r in &rows {
            let f = facts(r);
            raw.add(&f);
            let day = f.occurred_at.instant().date_naive();
            days.entry(day)
                .or_insert_with(|| Rollup::of_day(day))
                .add(&f, now);
        }
        let mut whole = Vec::new();
        for rollup in days.values() {
            if mixed.add_rollup(rollup) {
                whole.push(rollup.day());
            }
        }
        for r in &rows {
            let f = facts(r);
            if !whole.contains(&f.occurred_at.instant().date_naive()) {
                mixed.add(&f);
            }
        }
        if key != WindowKey::Day {
            assert!(!whole.is_empty(), "{key:?} used roll-ups");
        }
        let (raw, mixed) = (raw.finish(), mixed.finish());
        assert_eq!(
            serde_json::to_value(&raw).expect("json"),
            serde_json::to_value(&mixed).expect("json"),
            "{key:?}"
        );
    }
}

#[test]
fn expired_rows_do_not_count() {
    let mut expired = row(REPORT_CREATED, "t1", "w1", "2026-11-26T01:00:00Z");
    expired.expires_at = at(NOW).timestamp() - 1;
    let summary = summarize(WindowKey::Week, &[expired]);
    assert_eq!((summary.total, summary.active_workspaces), (0, 0));
}

#[test]
fn a_row_whose_ttl_is_exactly_now_still_counts() {
    let mut last_second = row(REPORT_CREATED, "t1", "w1", "2026-11-26T01:00:00Z");
    last_second.expires_at = at(NOW).timestamp();
    let summary = summarize(WindowKey::Week, &[last_second]);
    assert_eq!(summary.total, 1);
}

/// The window is `[now - length, now)` to the millisecond, at both edges,
/// with `now` itself carrying milliseconds.
#[test]
fn window_edges_are_exact_to_the_millisecond() {
    let now = at("2026-11-27T10:30:00.250Z");
    let mut aggregation = Aggregation::new(
        Window::ending_at(WindowKey::Day, now),
        now,
        Retention::default(),
    );
    let cases = [
        ("2026-11-26T10:30:00.250Z", true),
        ("2026-11-26T10:30:00.249Z", false),
        ("2026-11-27T10:30:00.249Z", true),
        ("2026-11-27T10:30:00.250Z", false),
    ];
    for (occurred, counts) in cases {
        let candidate = facts(&row(REPORT_CREATED, "t1", "w1", occurred));
        assert_eq!(aggregation.add(&candidate), counts, "{occurred}");
    }
}

/// The retention floor, tested where the window does not shadow it: a
/// 30-day window over a 7-day retention (a retention shortened after the
/// rows were written, whose TTL is still the old one).
#[test]
fn rows_older_than_retention_do_not_count() {
    let now = at("2026-11-27T10:30:00.500Z");
    let retention = Retention::from_days(7).expect("valid");
    let mut aggregation =
        Aggregation::new(Window::ending_at(WindowKey::Month, now), now, retention);
    let inside = row(REPORT_CREATED, "t1", "w1", "2026-11-20T10:30:00.500Z");
    let outside = row(REPORT_CREATED, "t1", "w1", "2026-11-20T10:30:00.499Z");
    assert!(aggregation.add(&facts(&inside)));
    assert!(!aggregation.add(&facts(&outside)));
}

#[test]
fn summary_json_has_no_identifiers() {
    let rows = [row(
        OPERATION_STARTED,
        "tenant-secret",
        "ws-secret",
        "2026-11-26T01:00:00Z",
    )];
    let json = serde_json::to_string(&summarize(WindowKey::Week, &rows)).expect("json");
    assert!(!json.contains("secret"), "{json}");
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(value["window"]["key"], "7d");
    assert_eq!(value["window"]["bucket"], "day");
    assert_eq!(value["window"]["start"], "2026-11-20T10:30:00.000Z");
    assert_eq!(
        value["families"][0]["last_seen_at"],
        serde_json::Value::Null
    );
    assert_eq!(
        value["families"][2]["last_seen_at"],
        "2026-11-26T01:00:00.000Z"
    );
}

#[test]
fn add_all_counts_every_row_of_a_batch() {
    let at = crate::testing::now();
    let mut aggregation = Aggregation::new(
        Window::ending_at(WindowKey::Day, at),
        at,
        Retention::default(),
    );
    let row = |minutes: i64| IndexedMilestone {
        event: EventName::parse(OPERATION_STARTED).expect("event"),
        tenant_id: TenantId::parse("t").expect("id"),
        workspace_id: WorkspaceId::parse("w").expect("id"),
        occurred_at: OccurredAt::from_instant(at - TimeDelta::minutes(minutes)),
        expires_at: (at + TimeDelta::days(1)).timestamp(),
    };
    aggregation.add_all(&[row(1), row(2), row(1)]);
    assert_eq!(aggregation.finish().total, 3);
}

/// A lengthened retention (30 days to 90): rows written under 30 days
/// expire while their day is still inside the window. A roll-up built
/// before they expired is not taken after, and the summary stays equal to
/// the raw one, which drops them.
#[test]
fn a_rollup_whose_rows_expired_since_is_never_taken() {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).expect("date");
    let written = |hour: u32| {
        let occurred = day.and_hms_opt(hour, 0, 0).expect("time").and_utc();
        IndexedMilestone {
            expires_at: (occurred + TimeDelta::days(30)).timestamp(),
            ..facts(&row(REPORT_CREATED, "t1", "w1", &format_millis(occurred)))
        }
    };
    let rows = [written(1), written(2)];
    let built_at = at("2026-10-02T01:00:00Z");
    let mut rollup = Rollup::of_day(day);
    for r in &rows {
        assert!(rollup.add(r, built_at));
    }
    let ninety = Retention::from_days(90).expect("valid");
    // Before the first row expires, the day is taken whole.
    let before = at("2026-10-31T00:59:59Z");
    let aggregation = Aggregation::new(
        Window::ending_at(WindowKey::Quarter, before),
        before,
        ninety,
    );
    assert!(aggregation.takes_whole(&rollup));
    // After: not taken; the raw rows count nothing; the summary is exact.
    let after = at("2026-10-31T01:00:01Z");
    let window = Window::ending_at(WindowKey::Quarter, after);
    let mut mixed = Aggregation::new(window, after, ninety);
    assert!(!mixed.add_rollup(&rollup));
    mixed.add_all(&rows);
    let mut raw = Aggregation::new(window, after, ninety);
    raw.add_all(&rows);
    let (mixed, raw) = (mixed.finish(), raw.finish());
    assert_eq!(mixed, raw);
    assert_eq!(
        raw.total, 1,
        "the row of 02:00 still counts, the one of 01:00 expired"
    );
}

/// The closed days a window takes whole are exactly those inside both
/// the window and the retention: a 7d window ending mid-day holds six,
/// never the partial first day or today; a shorter retention cuts more.
#[test]
fn whole_days_are_the_closed_days_inside_the_window_and_the_retention() {
    let now = at(NOW);
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
    let week = Aggregation::new(
        Window::ending_at(WindowKey::Week, now),
        now,
        Retention::default(),
    );
    assert_eq!(week.whole_days(), (21..=26).map(day).collect::<Vec<_>>());
    // A 30-day window under a 7-day retention: the retention cuts it.
    let short = Aggregation::new(
        Window::ending_at(WindowKey::Month, now),
        now,
        Retention::from_days(7).expect("valid"),
    );
    assert_eq!(short.whole_days(), (21..=26).map(day).collect::<Vec<_>>());
    let month = Aggregation::new(
        Window::ending_at(WindowKey::Month, now),
        now,
        Retention::default(),
    );
    assert_eq!(month.whole_days().len(), 29);
    let day_window = Aggregation::new(
        Window::ending_at(WindowKey::Day, now),
        now,
        Retention::default(),
    );
    assert!(day_window.whole_days().is_empty(), "24h holds no whole day");
    // At midnight, yesterday is whole.
    let midnight = at("2026-11-27T00:00:00Z");
    let at_midnight = Aggregation::new(
        Window::ending_at(WindowKey::Day, midnight),
        midnight,
        Retention::default(),
    );
    assert_eq!(at_midnight.whole_days(), vec![day(26)]);
}

/// The hours a 24h window takes whole: every hour wholly inside it, in
/// the days no day roll-up answered; an hour roll-up's counts land in
/// its own hourly bucket.
#[test]
fn whole_hours_and_an_hour_rollup_in_its_bucket() {
    let now = at(NOW);
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
    let window = Window::ending_at(WindowKey::Day, now);
    let mut aggregation = Aggregation::new(window, now, Retention::default());
    let hours = aggregation.whole_hours(&std::collections::BTreeSet::new());
    // 10:30 yesterday to 10:30 today: 11:00 yesterday to 10:00 today.
    assert_eq!(hours.len(), 23);
    assert_eq!(hours.first(), Some(&(day(26), 11)));
    assert_eq!(hours.last(), Some(&(day(27), 9)));
    let today = std::collections::BTreeSet::from([day(27)]);
    assert_eq!(
        aggregation.whole_hours(&today).len(),
        13,
        "today answered by a day roll-up"
    );

    let hour_row = facts(&row(REPORT_CREATED, "t1", "w1", "2026-11-27T08:15:00Z"));
    let mut rollup = Rollup::of_hour(day(27), 8);
    assert!(rollup.add(&hour_row, now));
    assert!(aggregation.add_rollup(&rollup));
    let mut raw = Aggregation::new(window, now, Retention::default());
    raw.add(&hour_row);
    assert_eq!(aggregation.finish(), raw.finish());
}

/// A window roll-up is taken only by a window of its key that contains
/// it, inside the retention; its day buckets land in the summary's.
#[test]
fn a_window_rollup_is_taken_only_whole_and_by_its_own_window() {
    let now = at(NOW);
    let window = Window::ending_at(WindowKey::Week, now);
    let start = crate::window_rollup::start_for(WindowKey::Week, now);
    let end = at("2026-11-27T10:00:00Z");
    let rows = [
        facts(&row(REPORT_CREATED, "t1", "w1", "2026-11-20T11:00:00Z")),
        facts(&row(OPERATION_STARTED, "t1", "w2", "2026-11-25T09:00:00Z")),
    ];
    let mut build = Aggregation::new(
        Window {
            key: WindowKey::Week,
            start,
            end,
        },
        now,
        Retention::default(),
    );
    build.add_all(&rows);
    let rollup = build.into_window_rollup();
    assert_eq!((rollup.total(), rollup.workspaces.len()), (2, 2));
    let mut taken = Aggregation::new(window, now, Retention::default());
    assert!(taken.add_window_rollup(&rollup));
    let mut raw = Aggregation::new(window, now, Retention::default());
    raw.add_all(&rows);
    assert_eq!(taken.finish(), raw.finish());

    let other_key = Aggregation::new(
        Window::ending_at(WindowKey::Month, now),
        now,
        Retention::default(),
    );
    assert!(!other_key.takes_window_rollup(&rollup), "another window's");
    let earlier = Aggregation::new(
        Window::ending_at(WindowKey::Week, now + TimeDelta::hours(2)),
        now + TimeDelta::hours(2),
        Retention::default(),
    );
    assert!(
        !earlier.takes_window_rollup(&rollup),
        "starts before the window"
    );
    let short = Retention::from_days(7).expect("valid");
    let later = Aggregation::new(
        Window::ending_at(WindowKey::Week, now - TimeDelta::hours(2)),
        now - TimeDelta::hours(2),
        short,
    );
    assert!(!later.takes_window_rollup(&rollup), "ends after the window");
    let before_build = Aggregation::new(window, now - TimeDelta::seconds(1), Retention::default());
    assert!(
        !before_build.takes_window_rollup(&rollup),
        "built after the summary's clock"
    );
}

/// A window roll-up is exact only until the first row it counted
/// expires (a row written under a shorter retention): a summary after
/// that refuses it, and the raw path leaves the row out.
#[test]
fn a_window_rollup_is_refused_once_a_row_it_counted_expires() {
    let built = at("2026-11-27T10:20:00Z");
    let start = crate::window_rollup::start_for(WindowKey::Month, built);
    let mut short_lived = facts(&row(REPORT_CREATED, "t1", "w1", "2026-11-20T12:00:00Z"));
    short_lived.expires_at = at("2026-11-27T10:25:00Z").timestamp();
    let lasting = facts(&row(OPERATION_STARTED, "t1", "w2", "2026-11-21T12:00:00Z"));
    let mut build = Aggregation::new(
        Window {
            key: WindowKey::Month,
            start,
            end: at("2026-11-27T10:00:00Z"),
        },
        built,
        Retention::default(),
    );
    build.add_all(&[short_lived.clone(), lasting.clone()]);
    let rollup = build.into_window_rollup();
    assert_eq!(rollup.valid_until, Some(short_lived.expires_at));
    let summary_at = |now: DateTime<Utc>| {
        Aggregation::new(
            Window::ending_at(WindowKey::Month, now),
            now,
            Retention::default(),
        )
    };
    let before = at("2026-11-27T10:25:00Z");
    assert!(
        summary_at(before).takes_window_rollup(&rollup),
        "still exact"
    );
    let after = before + TimeDelta::seconds(1);
    assert!(
        !summary_at(after).takes_window_rollup(&rollup),
        "a counted row expired"
    );
    let mut raw = summary_at(after);
    raw.add_all(&[short_lived, lasting]);
    assert_eq!(raw.finish().total, 1, "the raw path leaves it out");
}
