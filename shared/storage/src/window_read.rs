//! Reading a summary, in one place: [`Ledger::read_summary`] takes the
//! domain's [`Aggregation`] (the window, the time, the retention and the
//! rules of what it takes), plans the read from those rules and folds
//! everything into it:
//!
//! 1. the versions of every day of the window, once (one strongly
//!    consistent Query): every roll-up below is judged against them;
//! 2. the window's own roll-up, when it is current and the window takes it
//!    (then only the part of a quarter hour at the window start and the
//!    tail after it are read raw);
//! 3. otherwise the day roll-ups of the whole closed days the window takes
//!    whole, then the hour roll-ups of the whole closed hours of the days
//!    those leave;
//! 4. the raw rows of everything else: the current hour and the writer's
//!    lag, the part of an hour at the window start, a span whose roll-up is
//!    missing, stale or refused.
//!
//! Roll-ups only save reading: when they cannot be read (a failed read, a
//! corrupt item), their spans are read raw, so the answer is exact or an
//! error, never short.

use crate::error::StorageError;
use crate::index::{QueryOptions, ReadStats};
use crate::layout::SpanKey;
use crate::ledger::Ledger;
use crate::rollup_read::{Cost, Versions};
use crate::window_rollup_store::WindowLookup;
use chrono::{DateTime, TimeDelta, Utc};
use domain::{Aggregation, Summary};
use std::collections::BTreeSet;

/// What a summary may be read from. Summaries use [`Sources::Rollups`];
/// the others exist to compare (devkit, tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sources {
    /// The window roll-up, day and hour roll-ups, raw rows for the rest.
    #[default]
    Rollups,
    /// Day and hour roll-ups and raw rows, never the window roll-up.
    DayAndHourRollups,
    /// Raw rows only.
    RawRows,
}

/// A summary, what reading it cost, and why no roll-up could be read when
/// none could (every span was then read raw).
#[derive(Debug)]
pub struct SummaryRead {
    pub summary: Summary,
    pub stats: WindowStats,
    pub rollup_error: Option<StorageError>,
}

/// What became of a summary's window roll-up: one value per read, for its
/// log line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WindowRollupUse {
    /// Not asked for (the caller read without it).
    #[default]
    NotTried,
    /// It answered all but the window's edges.
    Used,
    /// None for this window's start yet: the writer has not run since.
    Missing,
    /// A late row, purge or erasure touched one of its days since it was built.
    Stale,
    /// Current, but the window cannot take it: a row it counted has expired,
    /// or it was built after the summary's clock or outside its retention.
    Refused,
    /// Its item could not be read (counted in `rollups_unreadable`).
    Unreadable,
    /// Reading it failed (the cause is in `rollup_error`).
    Failed,
}

impl WindowRollupUse {
    pub fn as_str(&self) -> &'static str {
        match self {
            WindowRollupUse::NotTried => "not_tried",
            WindowRollupUse::Used => "used",
            WindowRollupUse::Missing => "missing",
            WindowRollupUse::Stale => "stale",
            WindowRollupUse::Refused => "refused",
            WindowRollupUse::Unreadable => "unreadable",
            WindowRollupUse::Failed => "failed",
        }
    }
}

/// The cost of a window read, by kind of item.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WindowStats {
    /// The raw-row reads through the time index.
    pub raw: ReadStats,
    /// What became of the window's own roll-up.
    pub window_rollup: WindowRollupUse,
    /// Closed days answered from their roll-ups.
    pub rollup_days: u32,
    /// Closed hours (of the days no day roll-up answered) answered from
    /// their hour roll-ups.
    pub rollup_hours: u32,
    /// Roll-up items read: day versions, heads and workspace chunks.
    pub rollup_items: u64,
    /// Roll-up items that could not be read; their days were read raw.
    pub rollups_unreadable: u32,
    /// Read units DynamoDB reports as consumed by the roll-up reads.
    pub rollup_capacity: f64,
}

impl WindowStats {
    fn add_cost(&mut self, cost: Cost) {
        self.rollup_items += cost.items;
        self.rollups_unreadable += cost.unreadable;
        self.rollup_capacity += cost.consumed_capacity;
    }
}

impl Ledger {
    /// The summary `aggregation` describes, read from `sources` and folded
    /// into it. The one way a summary is read: by the summary function,
    /// devkit and the tests alike.
    pub async fn read_summary(
        &self,
        mut aggregation: Aggregation,
        sources: Sources,
        options: QueryOptions,
    ) -> Result<SummaryRead, StorageError> {
        let mut stats = WindowStats::default();
        let mut rollup_error = None;
        let spans = if sources == Sources::RawRows {
            Vec::new()
        } else {
            match self
                .read_rollups(&mut aggregation, sources, &mut stats, &mut rollup_error)
                .await
            {
                Ok(spans) => spans,
                Err(error) => {
                    rollup_error.get_or_insert(error);
                    Vec::new()
                }
            }
        };
        let window = *aggregation.window();
        for (start, end) in window.raw_ranges_outside(&spans) {
            stats.raw += self
                .read_range(start, end, options, |rows| aggregation.add_all(rows))
                .await?;
        }
        Ok(SummaryRead {
            summary: aggregation.finish(),
            stats,
            rollup_error,
        })
    }

    /// Steps 1 to 3: folds every roll-up the window takes into
    /// `aggregation`, and returns the spans they answered. An error returned
    /// means none was folded; a read that failed after some were is kept in
    /// `failed`, and its spans are left to the raw read.
    async fn read_rollups(
        &self,
        aggregation: &mut Aggregation,
        sources: Sources,
        stats: &mut WindowStats,
        failed: &mut Option<StorageError>,
    ) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>, StorageError> {
        let window = *aggregation.window();
        let last_day = (window.end - TimeDelta::milliseconds(1)).date_naive();
        let (versions, cost) = self
            .day_versions(window.start.date_naive(), last_day)
            .await?;
        stats.add_cost(cost);
        if sources == Sources::Rollups
            && let Some(span) = self
                .take_window_rollup(aggregation, &versions, stats, failed)
                .await
        {
            return Ok(vec![span]);
        }
        let mut spans = Vec::new();
        let mut answered = BTreeSet::new();
        let days: Vec<SpanKey> = aggregation
            .whole_days()
            .into_iter()
            .map(|day| (day, None))
            .collect();
        for rollup in self.usable_at(&days, &versions, stats).await? {
            if aggregation.add_rollup(&rollup) {
                stats.rollup_days += 1;
                answered.insert(rollup.day());
                spans.push((rollup.start(), rollup.end()));
            }
        }
        let hours: Vec<SpanKey> = aggregation
            .whole_hours(&answered)
            .into_iter()
            .map(|(day, hour)| (day, Some(hour)))
            .collect();
        // The day roll-ups are folded already: a failed hour read only
        // leaves those hours to the raw read.
        match self.usable_at(&hours, &versions, stats).await {
            Ok(rollups) => {
                for rollup in rollups {
                    if aggregation.add_rollup(&rollup) {
                        stats.rollup_hours += 1;
                        spans.push((rollup.start(), rollup.end()));
                    }
                }
            }
            Err(error) => {
                failed.get_or_insert(error);
            }
        }
        Ok(spans)
    }

    /// Step 2: the window roll-up, folded if it is current and the window
    /// takes it; its span, then. Any failure only means it is not used.
    async fn take_window_rollup(
        &self,
        aggregation: &mut Aggregation,
        versions: &Versions,
        stats: &mut WindowStats,
        failed: &mut Option<StorageError>,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let (key, now) = (aggregation.window().key, aggregation.now());
        let (lookup, cost) = match self.window_rollup_at(key, now, versions).await {
            Ok(found) => found,
            Err(error) => {
                stats.window_rollup = WindowRollupUse::Failed;
                failed.get_or_insert(error);
                return None;
            }
        };
        stats.add_cost(cost);
        stats.window_rollup = match lookup {
            WindowLookup::Current(rollup) if aggregation.add_window_rollup(&rollup) => {
                stats.window_rollup = WindowRollupUse::Used;
                return Some((rollup.start, rollup.end));
            }
            WindowLookup::Current(_) => WindowRollupUse::Refused,
            WindowLookup::Missing => WindowRollupUse::Missing,
            WindowLookup::Stale => WindowRollupUse::Stale,
            WindowLookup::Unreadable => WindowRollupUse::Unreadable,
        };
        None
    }

    /// The usable roll-ups of `spans` against `versions`, with their chunks.
    async fn usable_at(
        &self,
        spans: &[SpanKey],
        versions: &Versions,
        stats: &mut WindowStats,
    ) -> Result<Vec<domain::rollup::Rollup>, StorageError> {
        let (heads, cost) = self.heads_at(spans, versions).await?;
        let (rollups, cost) = self.with_chunks(heads, cost).await?;
        stats.add_cost(cost);
        Ok(rollups.into_values().collect())
    }
}
