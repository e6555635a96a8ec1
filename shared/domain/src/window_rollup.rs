//! Window roll-ups: one item that answers a whole summary window but its
//! edges, so a summary's cost does not grow with the window's length.
//!
//! Each writer run builds, for every window it serves, the aggregate of
//! `[start, end)`: `end` is the end of the latest hour closed
//! [`ROLLUP_LAG`] ago (a later row of an hour before it is late, and bumps
//! its day), and `start` is the first quarter hour of the window of any
//! summary asked before the next run ([`starts`]). A summary at `now` looks
//! for the one starting at the first quarter hour of its window
//! ([`start_for`]) and reads raw rows only for the part of a quarter hour
//! before it and the tail after `end` (the current hour and the lag).
//!
//! Distinct workspaces are not additive, so the roll-up keeps the window's
//! set of workspace digests; counts are kept per summary bucket (hours for
//! `24h`, UTC days otherwise), so its buckets add into the summary's.

use crate::rollup::{ROLLUP_LAG, WorkspaceDigest};
use crate::window::WindowKey;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use std::collections::BTreeSet;

/// The aggregate of `[start, end)` for summaries of window `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowRollup {
    pub key: WindowKey,
    /// A quarter hour: the first one of the windows it serves.
    pub start: DateTime<Utc>,
    /// A whole hour: the end of the latest hour it covers.
    pub end: DateTime<Utc>,
    /// `counts[event][bucket]`, events in catalog order, buckets of the
    /// window's size from the one holding `start`.
    pub counts: Vec<Vec<u64>>,
    /// The latest `occurred_at` per event, in catalog order.
    pub latest: Vec<Option<DateTime<Utc>>>,
    pub workspaces: BTreeSet<WorkspaceDigest>,
    /// The earliest TTL (epoch seconds) of the rows it counted: it is exact
    /// until then (`None`: it counted no row).
    pub valid_until: Option<i64>,
    /// The writer's clock when it read the rows: the retention and the TTLs
    /// were applied as of then, so only a summary at or after it may use it.
    pub built_at: DateTime<Utc>,
}

impl WindowRollup {
    /// Whether every row it counted still counts at `now`.
    pub fn is_exact_at(&self, now: DateTime<Utc>) -> bool {
        self.valid_until
            .is_none_or(|until| crate::model::live_until(until, now))
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().flat_map(|buckets| buckets.iter()).sum()
    }
}

fn floor_hour(instant: DateTime<Utc>) -> DateTime<Utc> {
    // Truncation to a whole hour cannot overflow for real instants.
    instant
        .duration_trunc(TimeDelta::hours(1))
        .unwrap_or(instant)
}

/// The end of the window roll-ups a writer run at `now` builds: the end of
/// the latest hour that closed at least [`ROLLUP_LAG`] ago (every on-time
/// row of it has landed; a later row of it is late and bumps its day).
pub fn end_at(now: DateTime<Utc>) -> DateTime<Utc> {
    floor_hour(now - ROLLUP_LAG)
}

/// How finely window roll-up starts are spaced: a summary reads at most
/// this much raw at its window start.
pub const START_STEP: TimeDelta = TimeDelta::minutes(15);

/// The starts a run considers per window: every [`START_STEP`] from
/// `end - length` for the 105 minutes after `end` (an hourly run at :20 ends
/// its roll-ups at :00, and serves summaries until :45 of the next hour, so
/// a next run up to 25 minutes late finds them).
const STARTS_PER_WINDOW: i32 = 7;

/// The starts a writer run at `now` builds for `key` (its roll-ups end at
/// [`end_at`]`(now)`): the first [`START_STEP`] boundary of the window of
/// every summary asked from `now` until the next hourly run. A start only
/// summaries before `now` would ask for, or at or after the end, is left
/// out.
pub fn starts(key: WindowKey, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let end = end_at(now);
    (1..=STARTS_PER_WINDOW)
        .map(|step| end - key.length() + START_STEP * step)
        .filter(|start| *start < end && *start + key.length() >= now)
        .collect()
}

/// The start of the window roll-up a summary of `key` at `now` can use: the
/// first [`START_STEP`] boundary of its window (`now - length`, rounded up).
pub fn start_for(key: WindowKey, now: DateTime<Utc>) -> DateTime<Utc> {
    let window_start = now - key.length();
    let floor = window_start
        .duration_trunc(START_STEP)
        .unwrap_or(window_start);
    if floor == window_start {
        floor
    } else {
        floor + START_STEP
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::at;

    /// A run at 10:20 ends its roll-ups at 10:00; at 10:14:59 (inside the
    /// lag) at 09:00.
    #[test]
    fn roll_ups_end_at_the_latest_hour_closed_past_the_lag() {
        assert_eq!(
            end_at(at("2026-11-27T10:20:00Z")),
            at("2026-11-27T10:00:00Z")
        );
        assert_eq!(
            end_at(at("2026-11-27T10:14:59.999Z")),
            at("2026-11-27T09:00:00Z")
        );
        assert_eq!(
            end_at(at("2026-11-27T10:15:00Z")),
            at("2026-11-27T10:00:00Z")
        );
    }

    /// Every summary from one hourly run (at :20) until the next (up to 25
    /// minutes late) finds the start it asks for among the starts the run
    /// built, and so does every summary after a run in the lag (at :05)
    /// until :45; no start serves only summaries before the run.
    #[test]
    fn the_start_a_summary_asks_for_is_built_until_the_next_run() {
        for (run, minutes, count) in [
            ("2026-11-27T10:20:00Z", 85, 6),
            ("2026-11-27T10:05:00Z", 40, 3),
        ] {
            let run = at(run);
            for key in WindowKey::ALL {
                let built = starts(key, run);
                assert_eq!(built.len(), count, "{key:?} at {run}");
                for second in 0..minutes * 60 {
                    let now = run + TimeDelta::seconds(second);
                    assert!(
                        built.contains(&start_for(key, now)),
                        "{key:?} at {now}: {:?} not in {built:?}",
                        start_for(key, now)
                    );
                }
                assert!(
                    built.iter().all(|start| *start + key.length() >= run),
                    "{key:?}: {built:?}"
                );
            }
        }
    }

    /// The start is the first quarter hour of the window: on an edge the
    /// window's own start, otherwise the next one.
    #[test]
    fn start_for_is_the_first_quarter_hour_of_the_window() {
        assert_eq!(
            start_for(WindowKey::Day, at("2026-11-27T10:00:00Z")),
            at("2026-11-26T10:00:00Z")
        );
        assert_eq!(
            start_for(WindowKey::Day, at("2026-11-27T10:00:00.001Z")),
            at("2026-11-26T10:15:00Z")
        );
        assert_eq!(
            start_for(WindowKey::Week, at("2026-11-27T10:59:59.999Z")),
            at("2026-11-20T11:00:00Z")
        );
    }

    #[test]
    fn a_rollup_is_exact_until_its_first_counted_row_expires() {
        let until = at("2026-12-01T00:00:00Z");
        let rollup = WindowRollup {
            key: WindowKey::Day,
            start: at("2026-11-26T10:15:00Z"),
            end: at("2026-11-27T10:00:00Z"),
            counts: vec![],
            latest: vec![],
            workspaces: BTreeSet::new(),
            valid_until: Some(until.timestamp()),
            built_at: at("2026-11-27T10:20:00Z"),
        };
        assert!(rollup.is_exact_at(until));
        assert!(!rollup.is_exact_at(until + TimeDelta::milliseconds(1)));
        assert!(
            WindowRollup {
                valid_until: None,
                ..rollup
            }
            .is_exact_at(until + TimeDelta::days(999))
        );
    }
}
