//! The closed-day roll-up rules: everything a summary needs of one
//! closed UTC day, independent of how many milestones the day holds.
//!
//! - per-event counts per UTC hour, so whole hours of a day answer any window;
//! - the latest `occurred_at` per event;
//! - the day's distinct workspaces as fixed-length digests, never raw ids
//!   (distinct counts are not additive across days: the summary takes the
//!   union of the digest sets over the window).
//!
//! What a day roll-up cannot answer exactly is the distinct workspaces of a
//! *part* of a day: a window edge that falls inside a day is read from raw rows.

use crate::events::{CATALOG, EventName};
use crate::ids::WorkspaceId;
use crate::model::IndexedMilestone;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Timelike, Utc};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// Bytes in a workspace digest.
pub const WORKSPACE_DIGEST_LEN: usize = 16;

/// The first 128 bits of SHA-256 of a workspace id: what a roll-up keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkspaceDigest([u8; WORKSPACE_DIGEST_LEN]);

impl WorkspaceDigest {
    pub fn of(workspace: &WorkspaceId) -> Self {
        let digest = Sha256::digest(workspace.as_str().as_bytes());
        let mut bytes = [0u8; WORKSPACE_DIGEST_LEN];
        bytes.copy_from_slice(&digest[..WORKSPACE_DIGEST_LEN]);
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; WORKSPACE_DIGEST_LEN] {
        &self.0
    }

    /// From stored bytes; `None` unless exactly [`WORKSPACE_DIGEST_LEN`] long.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        <[u8; WORKSPACE_DIGEST_LEN]>::try_from(bytes).ok().map(Self)
    }
}

/// A day is rolled up only this long after it closed: longer than record's
/// timeout plus clock skew, so every on-time put of the day has landed.
pub const ROLLUP_LAG: TimeDelta = TimeDelta::minutes(15);

/// The longest any function that puts or deletes rows (record, prune,
/// purge) may run: its Lambda timeout is at most this (a test over the
/// template holds every one of them to it). A delete sent after a bump lands
/// before its invocation ends, so within this of the bump.
pub const LONGEST_INVOCATION_SECONDS: i64 = 300;

/// How far two functions' clocks may differ: a bump's `bumped_at` is one
/// function's clock, the writer's settle check another's.
pub const CLOCK_SKEW_SECONDS: i64 = 30;

/// What [`SETTLE`] keeps beyond the longest invocation and the skew both
/// ways: a request sent just before a deadline still lands inside it.
pub const SETTLE_MARGIN_SECONDS: i64 = 60;

/// How long after a bump the writer leaves its day alone (7 minutes):
/// longer than any put or delete in flight can take to land (the longest
/// invocation) plus the skew both ways plus a margin, and far longer than
/// the time index takes to show a row (well under a second). Derived, so
/// raising any function's timeout past it fails the template test instead
/// of opening a race.
pub const SETTLE: TimeDelta =
    TimeDelta::seconds(LONGEST_INVOCATION_SECONDS + 2 * CLOCK_SKEW_SECONDS + SETTLE_MARGIN_SECONDS);

/// What one writer run rolls up: the due days, then the due hours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Due {
    pub days: Vec<NaiveDate>,
    pub hours: Vec<(NaiveDate, u32)>,
}

impl Due {
    /// The days ([`due_days`]) and hours ([`due_hours`]) due at `now`.
    pub fn at(now: DateTime<Utc>, retention: crate::Retention) -> Self {
        Self {
            days: due_days(now, retention),
            hours: due_hours(now, retention),
        }
    }
}

/// The closed days wholly inside the retention that are old enough to roll
/// up, newest first.
pub fn due_days(now: DateTime<Utc>, retention: crate::Retention) -> Vec<NaiveDate> {
    let floor = now - retention.duration();
    let mut days: Vec<NaiveDate> = floor
        .date_naive()
        .iter_days()
        .take_while(|day| Rollup::of_day(*day).end() + ROLLUP_LAG <= now)
        // A day partly outside the retention is never read from a roll-up.
        .filter(|day| Rollup::of_day(*day).start() >= floor)
        .collect();
    days.reverse();
    days
}

/// The closed UTC hours of the last two days (today's, and yesterday's
/// until its day roll-up exists) that are old enough to roll up, newest
/// first: hour roll-ups keep a window's raw tail to about an hour. An hour
/// partly outside the retention is never read from a roll-up.
pub fn due_hours(now: DateTime<Utc>, retention: crate::Retention) -> Vec<(NaiveDate, u32)> {
    let floor = now - retention.duration();
    let yesterday = (now - TimeDelta::days(1)).date_naive();
    let mut hours = Vec::new();
    for day in [now.date_naive(), yesterday] {
        for hour in (0..24).rev() {
            let span = Rollup::of_hour(day, hour);
            if span.end() + ROLLUP_LAG <= now && span.start() >= floor {
                hours.push((day, hour));
            }
        }
    }
    hours
}

/// What a roll-up covers: a whole UTC day, or one hour (0..24) of it (so
/// that a window reads no more than about an hour of raw rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Span {
    Day(NaiveDate),
    Hour(NaiveDate, u32),
}

impl Span {
    /// The span of `hour` of `day` when `hour` is given, else of the day.
    pub fn of(day: NaiveDate, hour: Option<u32>) -> Self {
        match hour {
            None => Span::Day(day),
            Some(hour) => Span::Hour(day, hour.min(23)),
        }
    }

    /// The day it is, or is part of.
    pub fn day(&self) -> NaiveDate {
        match *self {
            Span::Day(day) | Span::Hour(day, _) => day,
        }
    }

    /// Its hour, for an hour's span.
    pub fn hour(&self) -> Option<u32> {
        match *self {
            Span::Day(_) => None,
            Span::Hour(_, hour) => Some(hour),
        }
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.day().and_time(NaiveTime::MIN).and_utc()
            + TimeDelta::hours(i64::from(self.hour().unwrap_or(0)))
    }

    pub fn end(&self) -> DateTime<Utc> {
        match self {
            Span::Hour(..) => self.start() + TimeDelta::hours(1),
            Span::Day(_) => self.start() + TimeDelta::days(1),
        }
    }
}

/// A span (a closed UTC day, or one closed hour of it), rolled up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    pub span: Span,
    /// `counts[event][hour]`, events in catalog order.
    pub counts: Vec<[u64; 24]>,
    /// The latest `occurred_at` per event, in catalog order.
    pub latest: Vec<Option<DateTime<Utc>>>,
    pub workspaces: BTreeSet<WorkspaceDigest>,
    /// The earliest TTL (epoch seconds) of the rows it counted: it is exact
    /// until then, whatever the retention does (`None`: it counted no row).
    pub valid_until: Option<i64>,
    /// The writer's clock when it was built (`None` until it is): rows it
    /// left out as expired may still count for a clock behind that one, so
    /// a summary never takes a roll-up built after its own `now`.
    pub built_at: Option<DateTime<Utc>>,
}

impl Rollup {
    /// An empty roll-up of `span`.
    pub fn new(span: Span) -> Self {
        Self {
            span,
            counts: vec![[0; 24]; CATALOG.len()],
            latest: vec![None; CATALOG.len()],
            workspaces: BTreeSet::new(),
            valid_until: None,
            built_at: None,
        }
    }

    /// Whether every row it counted still counts at `now`: a row expires
    /// with its own TTL, so a roll-up of rows written under a shorter
    /// retention stops being exact when the first of them expires.
    pub fn is_exact_at(&self, now: DateTime<Utc>) -> bool {
        self.valid_until
            .is_none_or(|until| crate::model::live_until(until, now))
    }

    /// An empty roll-up of `day`.
    pub fn of_day(day: NaiveDate) -> Self {
        Self::new(Span::Day(day))
    }

    /// An empty roll-up of hour `hour` (0..24) of `day`.
    pub fn of_hour(day: NaiveDate, hour: u32) -> Self {
        Self::new(Span::of(day, Some(hour)))
    }

    /// The day it is, or is part of.
    pub fn day(&self) -> NaiveDate {
        self.span.day()
    }

    /// Midnight of its day.
    pub fn day_start(&self) -> DateTime<Utc> {
        Span::Day(self.day()).start()
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.span.start()
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.span.end()
    }

    /// Adds a row of its day (or hour) that still counts at `now` (the
    /// build's clock); a row outside it, or one past its TTL, is refused
    /// (`false`), as the raw path refuses it.
    pub fn add(&mut self, row: &IndexedMilestone, now: DateTime<Utc>) -> bool {
        let occurred = row.occurred_at.instant();
        if occurred < self.start() || self.end() <= occurred || !row.is_live_at(now) {
            return false;
        }
        self.valid_until = Some(
            self.valid_until
                .map_or(row.expires_at, |until| until.min(row.expires_at)),
        );
        let event = row.event.index();
        self.counts[event][occurred.hour() as usize] += 1;
        let latest = &mut self.latest[event];
        if latest.is_none_or(|seen| seen < occurred) {
            *latest = Some(occurred);
        }
        self.workspaces
            .insert(WorkspaceDigest::of(&row.workspace_id));
        true
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().flat_map(|hours| hours.iter()).sum()
    }

    /// The count of `event` in hour `hour` (0..24).
    pub fn count(&self, event: EventName, hour: usize) -> u64 {
        self.counts[event.index()][hour]
    }

    /// The workspace digests in chunks of at most `per_chunk`, in order: how a
    /// day with very many workspaces is stored (one item holds at most 400 KB).
    pub fn workspace_chunks(&self, per_chunk: usize) -> Vec<Vec<WorkspaceDigest>> {
        let all: Vec<WorkspaceDigest> = self.workspaces.iter().copied().collect();
        all.chunks(per_chunk.max(1)).map(<[_]>::to_vec).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TenantId;
    use crate::testing::{OPERATION_STARTED, REPORT_CREATED};
    use crate::time::OccurredAt;

    fn row(event: &str, workspace: &str, at: &str) -> IndexedMilestone {
        let occurred = crate::testing::at(at);
        IndexedMilestone {
            event: EventName::parse(event).expect("event"),
            tenant_id: TenantId::parse("t").expect("id"),
            workspace_id: WorkspaceId::parse(workspace).expect("id"),
            occurred_at: OccurredAt::from_instant(occurred),
            expires_at: (occurred + TimeDelta::days(90)).timestamp(),
        }
    }

    /// When the test's roll-ups are built: after the day, before any row expires.
    fn built() -> DateTime<Utc> {
        crate::testing::at("2026-11-28T01:00:00Z")
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).expect("date")
    }

    #[test]
    fn counts_by_event_and_hour_latest_and_distinct_workspaces() {
        let mut rollup = Rollup::of_day(day());
        for r in [
            row(OPERATION_STARTED, "w1", "2026-11-27T00:00:00Z"),
            row(OPERATION_STARTED, "w1", "2026-11-27T00:59:59.999Z"),
            row(OPERATION_STARTED, "w2", "2026-11-27T23:30:00Z"),
            row(REPORT_CREATED, "w1", "2026-11-27T12:00:00Z"),
        ] {
            assert!(rollup.add(&r, built()));
        }
        let op = EventName::parse(OPERATION_STARTED).expect("event");
        assert_eq!(rollup.count(op, 0), 2);
        assert_eq!(rollup.count(op, 23), 1);
        assert_eq!(rollup.total(), 4);
        assert_eq!(rollup.workspaces.len(), 2, "a workspace counts once");
        assert_eq!(
            rollup.latest[op.index()],
            Some(crate::testing::at("2026-11-27T23:30:00Z"))
        );
    }

    #[test]
    fn rows_of_other_days_are_refused_at_both_edges() {
        let mut rollup = Rollup::of_day(day());
        assert!(!rollup.add(
            &row(OPERATION_STARTED, "w", "2026-11-26T23:59:59.999Z"),
            built()
        ));
        assert!(!rollup.add(
            &row(OPERATION_STARTED, "w", "2026-11-28T00:00:00Z"),
            built()
        ));
        assert_eq!(rollup.total(), 0);
    }

    /// An hour roll-up holds its hour only: edges at both ends, to the ms.
    #[test]
    fn an_hour_rollup_takes_only_rows_of_its_hour() {
        let mut hour = Rollup::of_hour(day(), 10);
        assert_eq!(hour.start(), crate::testing::at("2026-11-27T10:00:00Z"));
        assert_eq!(hour.end(), crate::testing::at("2026-11-27T11:00:00Z"));
        assert!(!hour.add(
            &row(OPERATION_STARTED, "w", "2026-11-27T09:59:59.999Z"),
            built()
        ));
        assert!(hour.add(
            &row(OPERATION_STARTED, "w", "2026-11-27T10:00:00Z"),
            built()
        ));
        assert!(hour.add(
            &row(OPERATION_STARTED, "w", "2026-11-27T10:59:59.999Z"),
            built()
        ));
        assert!(!hour.add(
            &row(OPERATION_STARTED, "w", "2026-11-27T11:00:00Z"),
            built()
        ));
        let op = EventName::parse(OPERATION_STARTED).expect("event");
        assert_eq!((hour.count(op, 10), hour.total()), (2, 2));
        assert_eq!(
            Rollup::of_day(day()).end() - Rollup::of_day(day()).start(),
            TimeDelta::days(1)
        );
    }

    /// The hours due at 10:14:59.999 today: every hour of today that closed
    /// at least ROLLUP_LAG ago (00:00 to 09:00, not 09:00 to 10:00 yet), and
    /// all of yesterday, newest first.
    #[test]
    fn due_hours_are_the_closed_hours_of_today_and_yesterday_past_the_lag() {
        let now = crate::testing::at("2026-11-27T10:14:59.999Z");
        let hours = due_hours(now, crate::Retention::default());
        let today: Vec<u32> = hours
            .iter()
            .filter(|(d, _)| *d == day())
            .map(|(_, h)| *h)
            .collect();
        assert_eq!(today, (0..9).rev().collect::<Vec<_>>());
        let yesterday = NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
        assert_eq!(hours.iter().filter(|(d, _)| *d == yesterday).count(), 24);
        assert_eq!(hours.first(), Some(&(day(), 8)));
        let at_lag = due_hours(
            now + TimeDelta::milliseconds(1),
            crate::Retention::default(),
        );
        assert_eq!(at_lag.first(), Some(&(day(), 9)), "due exactly at the lag");
    }

    #[test]
    fn digests_are_fixed_length_and_stable() {
        let id = WorkspaceId::parse("ws-1").expect("id");
        assert_eq!(WorkspaceDigest::of(&id), WorkspaceDigest::of(&id));
        let long = WorkspaceId::parse(&"w".repeat(64)).expect("id");
        assert_eq!(
            WorkspaceDigest::of(&long).as_bytes().len(),
            WORKSPACE_DIGEST_LEN
        );
        assert_ne!(WorkspaceDigest::of(&id), WorkspaceDigest::of(&long));
        let back = WorkspaceDigest::from_bytes(WorkspaceDigest::of(&id).as_bytes());
        assert_eq!(back, Some(WorkspaceDigest::of(&id)));
        assert_eq!(WorkspaceDigest::from_bytes(&[0; 3]), None);
    }

    /// A day with 100,000 distinct workspaces is kept exactly, in chunks that
    /// each fit a DynamoDB item (400 KB): 16 bytes a digest, 20,000 a chunk.
    #[test]
    fn a_day_with_100k_workspaces_fits_in_chunks() {
        let mut rollup = Rollup::of_day(day());
        for i in 0..100_000 {
            let hour = i % 24;
            rollup.add(
                &row(
                    REPORT_CREATED,
                    &format!("ws-{i}"),
                    &format!("2026-11-27T{hour:02}:00:00Z"),
                ),
                built(),
            );
        }
        assert_eq!(rollup.workspaces.len(), 100_000);
        let chunks = rollup.workspace_chunks(20_000);
        assert_eq!(chunks.len(), 5);
        assert!(
            chunks
                .iter()
                .all(|c| c.len() * WORKSPACE_DIGEST_LEN < 400 * 1024)
        );
        let rejoined: BTreeSet<WorkspaceDigest> = chunks.into_iter().flatten().collect();
        assert_eq!(rejoined, rollup.workspaces);
    }

    #[test]
    fn due_days_wait_for_the_lag_and_stay_inside_the_retention() {
        let retention = crate::Retention::from_days(7).expect("valid");
        // 00:14: yesterday closed less than 15 minutes ago, so it waits.
        let days = due_days(crate::testing::at("2026-11-28T00:14:00Z"), retention);
        assert_eq!(
            days.first().map(|d| d.to_string()).as_deref(),
            Some("2026-11-26")
        );
        let days = due_days(crate::testing::at("2026-11-28T00:15:00Z"), retention);
        assert_eq!(
            days.first().map(|d| d.to_string()).as_deref(),
            Some("2026-11-27")
        );
        // The oldest day is the first one wholly inside the 7-day retention.
        assert_eq!(
            days.last().map(|d| d.to_string()).as_deref(),
            Some("2026-11-22")
        );
        assert_eq!(days.len(), 6);
    }

    /// A row past its TTL when the roll-up is built never counts (as in the
    /// raw path), and the earliest TTL it did count bounds its exactness.
    #[test]
    fn expired_rows_never_count_and_the_earliest_expiry_bounds_exactness() {
        let mut rollup = Rollup::of_day(day());
        let with_ttl = |at: &str, ttl: &str| IndexedMilestone {
            expires_at: crate::testing::at(ttl).timestamp(),
            ..row(REPORT_CREATED, "w", at)
        };
        let expired = with_ttl("2026-11-27T01:00:00Z", "2026-11-28T00:59:59Z");
        assert!(
            !rollup.add(&expired, built()),
            "expired a second before the build"
        );
        assert!(
            rollup.is_exact_at(built()),
            "nothing counted: exact at any time"
        );
        assert!(rollup.add(
            &with_ttl("2026-11-27T02:00:00Z", "2026-12-27T02:00:00Z"),
            built()
        ));
        assert!(rollup.add(
            &with_ttl("2026-11-27T03:00:00Z", "2026-12-10T00:00:00Z"),
            built()
        ));
        assert_eq!(rollup.total(), 2);
        let first_expiry = crate::testing::at("2026-12-10T00:00:00Z");
        assert_eq!(rollup.valid_until, Some(first_expiry.timestamp()));
        assert!(
            rollup.is_exact_at(first_expiry),
            "a row counts at its TTL's second"
        );
        assert!(!rollup.is_exact_at(first_expiry + TimeDelta::milliseconds(1)));
    }
}
