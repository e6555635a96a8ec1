//! Pure aggregation of projected rows into a window summary: bucketing,
//! distinct workspaces, zero-fill and catalog order. It knows nothing of how
//! rows are fetched: the same aggregation takes raw rows, day and hour
//! roll-ups and a window's own roll-up.

use crate::events::{CATALOG, EventName};
use crate::model::IndexedMilestone;
use crate::retention::Retention;
use crate::rollup::{Rollup, WorkspaceDigest};
use crate::time::format_millis;
use crate::window::{BucketSize, Window, WindowKey};
use crate::window_rollup::WindowRollup;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Serialize, Serializer};
use std::collections::HashSet;

fn millis<S: Serializer>(instant: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_millis(*instant))
}

fn optional_millis<S: Serializer>(
    instant: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match instant {
        Some(instant) => millis(instant, serializer),
        None => serializer.serialize_none(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowInfo {
    pub key: WindowKey,
    #[serde(serialize_with = "millis")]
    pub start: DateTime<Utc>,
    #[serde(serialize_with = "millis")]
    pub end: DateTime<Utc>,
    pub bucket: BucketSize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    #[serde(serialize_with = "millis")]
    pub start: DateTime<Utc>,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Family {
    pub event: &'static str,
    pub feature_area: &'static str,
    pub label: &'static str,
    pub count: u64,
    #[serde(serialize_with = "optional_millis")]
    pub last_seen_at: Option<DateTime<Utc>>,
    pub buckets: Vec<Bucket>,
}

/// The aggregate answer. It carries no tenant, workspace, actor or event identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub window: WindowInfo,
    pub families: Vec<Family>,
    pub active_workspaces: u64,
    pub total: u64,
    #[serde(serialize_with = "millis")]
    pub generated_at: DateTime<Utc>,
}

/// Folds rows into per-event, per-bucket counts. Rows can arrive in any
/// order and in any number of batches.
#[derive(Debug)]
pub struct Aggregation {
    window: Window,
    now: DateTime<Utc>,
    retention_floor: DateTime<Utc>,
    bucket_starts: Vec<DateTime<Utc>>,
    /// `counts[event][bucket]`.
    counts: Vec<Vec<u64>>,
    last_seen: Vec<Option<DateTime<Utc>>>,
    /// Distinct workspaces, by digest so raw rows and roll-ups merge: a
    /// workspace owns several tenants, and counts once.
    workspaces: HashSet<WorkspaceDigest>,
    /// The earliest TTL of what it counted (rows and roll-ups alike): an
    /// aggregation kept as a [`WindowRollup`] is exact until then.
    valid_until: Option<i64>,
}

impl Aggregation {
    pub fn new(window: Window, now: DateTime<Utc>, retention: Retention) -> Self {
        let bucket_starts = window.bucket_starts();
        Self {
            counts: vec![vec![0; bucket_starts.len()]; CATALOG.len()],
            last_seen: vec![None; CATALOG.len()],
            workspaces: HashSet::new(),
            valid_until: None,
            retention_floor: now - retention.duration(),
            bucket_starts,
            window,
            now,
        }
    }

    /// The window it aggregates.
    pub fn window(&self) -> &Window {
        &self.window
    }

    /// The instant it aggregates at: what has expired, and which roll-ups it takes.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Counts the row if it is inside the window, inside the retention and
    /// not expired (DynamoDB returns expired items until TTL deletes them).
    /// Returns whether it counted.
    pub fn add(&mut self, row: &IndexedMilestone) -> bool {
        let occurred = row.occurred_at.instant();
        let counts = self.window.contains(occurred)
            && occurred >= self.retention_floor
            && row.is_live_at(self.now);
        if !counts {
            return false;
        }
        let event = row.event.index();
        // Inside the window, the bucket always exists (the last one holds `end`).
        let Some(slot) = self.counts[event].get_mut(self.window.bucket_index(occurred)) else {
            return false;
        };
        *slot += 1;
        self.keep_valid_until(Some(row.expires_at));
        let last = &mut self.last_seen[event];
        if last.is_none_or(|seen| seen < occurred) {
            *last = Some(occurred);
        }
        self.workspaces
            .insert(WorkspaceDigest::of(&row.workspace_id));
        true
    }

    /// Whether a closed day (or hour) can be taken whole from its roll-up: it
    /// lies entirely inside the window and inside the retention, and every
    /// row the roll-up counted still counts now (none has expired since it
    /// was built). Anything else is read from raw rows.
    pub fn takes_whole(&self, rollup: &Rollup) -> bool {
        self.window.start <= rollup.start()
            && rollup.end() <= self.window.end
            && self.retention_floor <= rollup.start()
            && rollup.is_exact_at(self.now)
            && rollup.built_at.is_none_or(|at| at <= self.now)
    }

    /// The closed days of the window it can take whole from their roll-ups
    /// ([`Self::takes_whole`]), oldest first.
    pub fn whole_days(&self) -> Vec<NaiveDate> {
        self.window
            .days()
            .into_iter()
            .filter(|day| self.takes_whole(&Rollup::of_day(*day)))
            .collect()
    }

    /// The hours of the window it can take whole from hour roll-ups, in the
    /// days `answered` (by day roll-ups) leaves, oldest first: what keeps the
    /// raw tail of a window to about an hour. Only today's and yesterday's
    /// hours are rolled up ([`crate::rollup::due_hours`]), so only those
    /// are asked for.
    pub fn whole_hours(
        &self,
        answered: &std::collections::BTreeSet<NaiveDate>,
    ) -> Vec<(NaiveDate, u32)> {
        let yesterday = (self.now - chrono::TimeDelta::days(1)).date_naive();
        self.window
            .days()
            .into_iter()
            .filter(|day| *day >= yesterday && !answered.contains(day))
            .flat_map(|day| (0..24).map(move |hour| (day, hour)))
            .filter(|(day, hour)| self.takes_whole(&Rollup::of_hour(*day, *hour)))
            .collect()
    }

    /// Adds a closed day from its roll-up; `false` (and nothing added) unless
    /// [`Self::takes_whole`]. The caller reads that day's raw rows otherwise.
    pub fn add_rollup(&mut self, rollup: &Rollup) -> bool {
        if !self.takes_whole(rollup) {
            return false;
        }
        for (event, hours) in rollup.counts.iter().enumerate() {
            for (hour, count) in hours.iter().enumerate() {
                if *count == 0 {
                    continue;
                }
                let start = rollup.day_start() + chrono::TimeDelta::hours(hour as i64);
                if let Some(slot) = self.counts[event].get_mut(self.window.bucket_index(start)) {
                    *slot += count;
                }
            }
            if let Some(latest) = rollup.latest[event] {
                let last = &mut self.last_seen[event];
                if last.is_none_or(|seen| seen < latest) {
                    *last = Some(latest);
                }
            }
        }
        self.workspaces.extend(rollup.workspaces.iter().copied());
        self.keep_valid_until(rollup.valid_until);
        true
    }

    fn keep_valid_until(&mut self, until: Option<i64>) {
        if let Some(until) = until {
            self.valid_until = Some(self.valid_until.map_or(until, |kept| kept.min(until)));
        }
    }

    /// Whether a window roll-up can answer `[start, end)` of this window: it
    /// is of this window's key, of its shape, lies inside the window and the
    /// retention, was built at or before now (it applied the retention and
    /// TTLs as of then), and every row it counted still counts now. Storage
    /// has checked that no row of its days changed since it was built.
    pub fn takes_window_rollup(&self, rollup: &WindowRollup) -> bool {
        let buckets = Window {
            key: rollup.key,
            start: rollup.start,
            end: rollup.end,
        }
        .bucket_starts()
        .len();
        rollup.key == self.window.key
            && self.window.start <= rollup.start
            && rollup.start <= rollup.end
            && rollup.end <= self.window.end
            && self.retention_floor <= rollup.start
            && rollup.built_at <= self.now
            && rollup.is_exact_at(self.now)
            && rollup.counts.len() == CATALOG.len()
            && rollup.counts.iter().all(|counts| counts.len() == buckets)
            && rollup.latest.len() == CATALOG.len()
    }

    /// Adds a window roll-up; `false` (and nothing added) unless
    /// [`Self::takes_window_rollup`]. The caller reads the rest of the window
    /// raw: the part of a quarter hour before its start, and the tail after its end.
    pub fn add_window_rollup(&mut self, rollup: &WindowRollup) -> bool {
        if !self.takes_window_rollup(rollup) {
            return false;
        }
        let size = self.window.bucket().length();
        let first = Window {
            key: rollup.key,
            start: rollup.start,
            end: rollup.end,
        }
        .bucket_starts()
        .first()
        .copied()
        .unwrap_or(rollup.start);
        for (event, buckets) in rollup.counts.iter().enumerate() {
            for (i, count) in buckets.iter().enumerate() {
                if *count == 0 {
                    continue;
                }
                let start = first + size * (i as i32);
                if let Some(slot) = self.counts[event].get_mut(self.window.bucket_index(start)) {
                    *slot += count;
                }
            }
            if let Some(latest) = rollup.latest[event] {
                let last = &mut self.last_seen[event];
                if last.is_none_or(|seen| seen < latest) {
                    *last = Some(latest);
                }
            }
        }
        self.workspaces.extend(rollup.workspaces.iter().copied());
        true
    }

    /// What it aggregated, kept as the window roll-up of its window (the
    /// writer aggregates `[start, end)` of a future summary's window).
    pub fn into_window_rollup(self) -> WindowRollup {
        WindowRollup {
            key: self.window.key,
            start: self.window.start,
            end: self.window.end,
            counts: self.counts,
            latest: self.last_seen,
            workspaces: self.workspaces.into_iter().collect(),
            valid_until: self.valid_until,
            built_at: self.now,
        }
    }

    /// Adds every row of a batch (one partition read, in any order).
    pub fn add_all(&mut self, rows: &[IndexedMilestone]) {
        for row in rows {
            self.add(row);
        }
    }

    pub fn finish(self) -> Summary {
        let families: Vec<Family> = EventName::all()
            .map(|event| {
                let spec = event.spec();
                let counts = &self.counts[event.index()];
                Family {
                    event: spec.name,
                    feature_area: spec.feature_area,
                    label: spec.label,
                    count: counts.iter().sum(),
                    last_seen_at: self.last_seen[event.index()],
                    buckets: self
                        .bucket_starts
                        .iter()
                        .zip(counts)
                        .map(|(start, count)| Bucket {
                            start: *start,
                            count: *count,
                        })
                        .collect(),
                }
            })
            .collect();
        Summary {
            window: WindowInfo {
                key: self.window.key,
                start: self.window.start,
                end: self.window.end,
                bucket: self.window.bucket(),
            },
            total: families.iter().map(|f| f.count).sum(),
            families,
            active_workspaces: self.workspaces.len() as u64,
            generated_at: self.now,
        }
    }
}

#[cfg(test)]
mod tests;
