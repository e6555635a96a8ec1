//! Reading what a window's summary needs, planned in one place: the
//! window's own roll-up when it is usable (then only the part of a quarter hour at
//! the window start and the tail after it are read raw); otherwise the usable
//! roll-ups of the whole closed days the caller can take whole, the hour
//! roll-ups of the whole closed hours of the other days, and the raw rows of
//! everything else (the current hour and the writer's lag, the part of an
//! hour at the window start, a span whose roll-up is missing or stale), with
//! what each part cost.
//!
//! Roll-ups only save reading: when they cannot be read (a failed batch read,
//! a corrupt item), their days are read raw, so the answer is exact or an
//! error, never short.

use crate::error::StorageError;
use crate::index::{QueryOptions, ReadStats};
use crate::ledger::Ledger;
use crate::window_rollup_store::WindowLookup;
use chrono::NaiveDate;
use domain::day_rollup::DayRollup;
use domain::window_rollup::WindowRollup;
use domain::{IndexedMilestone, Window};
use std::collections::BTreeSet;

/// The inputs of a window's aggregation, and what reading them cost.
#[derive(Debug, Default)]
pub struct WindowRead {
    /// The window's own roll-up, when it was usable: then `rollups` is
    /// empty, and `rows` are the part of a quarter hour before it and the tail.
    pub window_rollup: Option<WindowRollup>,
    /// Usable roll-ups: one per whole closed day they answer, then one per
    /// whole closed hour of the other days.
    pub rollups: Vec<DayRollup>,
    /// Every indexed row of the rest of the window (expired ones included:
    /// the aggregation decides what counts).
    pub rows: Vec<IndexedMilestone>,
    pub stats: WindowStats,
    /// Why the roll-ups could not be read at all, when they could not: every
    /// day was read raw instead.
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

impl Ledger {
    /// Reads `window`: its window roll-up if `takes_window` is given and
    /// accepts it (the caller's rule: inside the window and the retention,
    /// still exact) and it is current; otherwise the usable roll-ups of `whole_days` (the closed days
    /// the caller can take whole) that `takes` accepts (the caller's rule,
    /// e.g. that none of their rows has expired since), then the usable
    /// roll-ups of the hours `whole_hours` names in the days those left, then
    /// the raw rows of every part of the window no roll-up answers: about an
    /// hour at the end, and the part of an hour at the start.
    pub async fn read_window(
        &self,
        window: &Window,
        whole_days: &[NaiveDate],
        whole_hours: impl Fn(&BTreeSet<NaiveDate>) -> Vec<(NaiveDate, u32)>,
        takes: impl Fn(&DayRollup) -> bool,
        takes_window: Option<&(dyn Fn(&WindowRollup) -> bool + Sync)>,
        options: QueryOptions,
    ) -> Result<WindowRead, StorageError> {
        let mut read = WindowRead::default();
        if let Some(takes_window) = takes_window {
            match self.usable_window_rollup(window.key, window.end).await {
                Ok((lookup, cost)) => {
                    read.stats.rollup_items = cost.items;
                    read.stats.rollup_capacity = cost.consumed_capacity;
                    read.stats.rollups_unreadable = cost.unreadable;
                    read.stats.window_rollup = match lookup {
                        WindowLookup::Current(rollup) if takes_window(&rollup) => {
                            let span = [(rollup.start, rollup.end)];
                            for (start, end) in window.raw_ranges_outside(&span) {
                                let rows = &mut read.rows;
                                read.stats.raw += self
                                    .read_range(start, end, options, |batch| {
                                        rows.extend_from_slice(batch)
                                    })
                                    .await?;
                            }
                            read.stats.window_rollup = WindowRollupUse::Used;
                            read.window_rollup = Some(*rollup);
                            return Ok(read);
                        }
                        WindowLookup::Current(_) => WindowRollupUse::Refused,
                        WindowLookup::Missing => WindowRollupUse::Missing,
                        WindowLookup::Stale => WindowRollupUse::Stale,
                        WindowLookup::Unreadable => WindowRollupUse::Unreadable,
                    };
                }
                Err(error) => {
                    read.stats.window_rollup = WindowRollupUse::Failed;
                    read.rollup_error = Some(error);
                }
            }
        }
        if !whole_days.is_empty() {
            match self.usable_rollups(whole_days).await {
                Ok(rollups) => {
                    read.stats.rollup_items += rollups.items;
                    read.stats.rollup_capacity += rollups.consumed_capacity;
                    read.stats.rollups_unreadable += rollups.unreadable;
                    read.rollups = rollups.rollups.into_values().filter(|r| takes(r)).collect();
                }
                Err(error) => {
                    read.rollup_error.get_or_insert(error);
                }
            }
        }
        read.stats.rollup_days = read.rollups.len() as u32;
        let answered: BTreeSet<NaiveDate> = read.rollups.iter().map(|r| r.day).collect();
        let hours = whole_hours(&answered);
        if !hours.is_empty() {
            match self.usable_hour_rollups(&hours).await {
                Ok(rollups) => {
                    read.stats.rollup_items += rollups.items;
                    read.stats.rollup_capacity += rollups.consumed_capacity;
                    read.stats.rollups_unreadable += rollups.unreadable;
                    let usable: Vec<DayRollup> =
                        rollups.hours.into_values().filter(|r| takes(r)).collect();
                    read.stats.rollup_hours = usable.len() as u32;
                    read.rollups.extend(usable);
                }
                Err(error) => {
                    read.rollup_error.get_or_insert(error);
                }
            }
        }
        let spans: Vec<_> = read.rollups.iter().map(|r| (r.start(), r.end())).collect();
        for (start, end) in window.raw_ranges_outside(&spans) {
            let rows = &mut read.rows;
            read.stats.raw += self
                .read_range(start, end, options, |batch| rows.extend_from_slice(batch))
                .await?;
        }
        Ok(read)
    }
}
