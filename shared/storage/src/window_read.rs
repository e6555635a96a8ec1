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

use crate::error::{ItemError, StorageError};
use crate::index::{QueryOptions, ReadStats};
use crate::layout::{self, DayVersion, Item};
use crate::ledger::Ledger;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use domain::rollup::{Rollup, Span};
use domain::window_rollup::{self, WindowRollup};
use domain::{Aggregation, Summary, Window, WindowKey};
use std::collections::{BTreeMap, BTreeSet};

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
    fn add_cost(&mut self, cost: ReadStats) {
        self.rollup_items += cost.items;
        self.rollups_unreadable += cost.skipped as u32;
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
        let days: Vec<Span> = aggregation
            .whole_days()
            .into_iter()
            .map(Span::Day)
            .collect();
        let rollups = self.usable_at(&days, &versions, stats).await?;
        let days = fold_days(aggregation, &rollups);
        stats.rollup_days += days.spans.len() as u32;
        let mut spans = days.spans;
        let hours: Vec<Span> = aggregation
            .whole_hours(&days.answered)
            .into_iter()
            .map(|(day, hour)| Span::Hour(day, hour))
            .collect();
        // The day roll-ups are folded already: a failed hour read only
        // leaves those hours to the raw read.
        match self.usable_at(&hours, &versions, stats).await {
            Ok(rollups) => {
                let hours = fold_hours(aggregation, &rollups, &days.answered);
                stats.rollup_hours += hours.spans.len() as u32;
                spans.extend(hours.spans);
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
        spans: &[Span],
        versions: &Versions,
        stats: &mut WindowStats,
    ) -> Result<Vec<domain::rollup::Rollup>, StorageError> {
        let (heads, cost) = self.heads_at(spans, versions).await?;
        let (rollups, cost) = self.with_chunks(heads, cost).await?;
        stats.add_cost(cost);
        Ok(rollups.into_values().collect())
    }

    /// The window roll-up a summary of `key` at `now` can use, if it exists
    /// and every day it covers still has the versions (`versions`, read by
    /// the caller once for its whole window) it was built from, with what
    /// reading it cost: one eventually consistent item read (any build it
    /// returns is whole).
    pub(crate) async fn window_rollup_at(
        &self,
        key: WindowKey,
        now: DateTime<Utc>,
        versions: &Versions,
    ) -> Result<(WindowLookup, ReadStats), StorageError> {
        let start = window_rollup::start_for(key, now);
        let (items, units) = self
            .batch_get_read(vec![layout::window_rollup_key(key, start)], false)
            .await?;
        let mut cost = ReadStats {
            items: items.len() as u64,
            consumed_capacity: units,
            ..ReadStats::default()
        };
        let Some(item) = items.first() else {
            return Ok((WindowLookup::Missing, cost));
        };
        let (rollup, fingerprint) = match layout::window_rollup_from_item(item) {
            Ok(read) if read.0.key == key && read.0.start == start && read.0.end <= now => read,
            // Corrupt, of another release, or not what was asked for: the
            // window is read from day and hour roll-ups, counted.
            _ => {
                cost.skipped += 1;
                return Ok((WindowLookup::Unreadable, cost));
            }
        };
        let days = Window {
            key,
            start: rollup.start,
            end: rollup.end,
        }
        .days();
        let current = layout::versions_fingerprint(versions, &days);
        let lookup = if current == Some(fingerprint) {
            WindowLookup::Current(Box::new(rollup))
        } else {
            WindowLookup::Stale
        };
        Ok((lookup, cost))
    }

    /// [`Self::current_heads`] against versions already read (a summary
    /// reads its days' versions once, for every roll-up it may take).
    pub(crate) async fn heads_at(
        &self,
        spans: &[Span],
        versions: &Versions,
    ) -> Result<(BTreeMap<Span, layout::RollupHead>, ReadStats), StorageError> {
        if spans.is_empty() {
            return Ok((BTreeMap::new(), ReadStats::default()));
        }
        let head_keys = spans.iter().map(|span| layout::rollup_head_key(*span));
        let (items, head_units) = self.batch_get(head_keys.collect()).await?;
        let mut cost = ReadStats {
            items: items.len() as u64,
            consumed_capacity: head_units,
            ..ReadStats::default()
        };
        let mut heads = BTreeMap::new();
        for item in &items {
            let Some(span) = sort_pair(item).and_then(|(_, sort)| layout::parse_span(&sort)) else {
                cost.skipped += 1;
                continue;
            };
            let current = versions
                .get(&span)
                .cloned()
                .unwrap_or(Ok(DayVersion::default()));
            match (current, layout::rollup_head_from_item(span, item)) {
                (Ok(current), Ok(head)) if head.versions == current.shards => {
                    heads.insert(span, head);
                }
                // Stale: a late row arrived since; the span is read raw.
                (Ok(_), Ok(_)) => {}
                // Corrupt, or of another format: read raw, counted.
                _ => cost.skipped += 1,
            }
        }
        Ok((heads, cost))
    }

    /// The current version of every day in `first..=last` that a late row
    /// bumped, and of every hour of those days (one strongly consistent Query
    /// over the version partition), and what it read. A day's version is its
    /// shards; an hour's is its day's.
    /// A span with an item that cannot be read maps to the error: its
    /// roll-up cannot be trusted.
    pub(crate) async fn day_versions(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<(Versions, ReadStats), StorageError> {
        let (from, to) = layout::day_version_range(first, last);
        let pages: Vec<QueryOutput> = self
            .client
            .query()
            .table_name(&self.table_name)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
            .expression_attribute_names("#pk", layout::attr::TENANT_ID)
            .expression_attribute_names("#sk", layout::attr::EVENT_KEY)
            .expression_attribute_values(":pk", AttributeValue::S(layout::DAY_PARTITION.into()))
            .expression_attribute_values(":from", AttributeValue::S(from))
            .expression_attribute_values(":to", AttributeValue::S(to))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .into_paginator()
            .send()
            .collect::<Result<Vec<QueryOutput>, _>>()
            .await
            .map_err(|e| StorageError::dynamo("Query", e))?;
        let consumed_capacity = pages
            .iter()
            .filter_map(|page| page.consumed_capacity()?.capacity_units())
            .sum();
        let items: Vec<Item> = pages
            .into_iter()
            .flat_map(|page| page.items.unwrap_or_default())
            .collect();
        let mut versions: Versions = BTreeMap::new();
        for item in &items {
            match layout::day_version_shard(item) {
                // An earlier release's hour shard: part of no version now.
                Ok(read) if layout::shard_hour(&read.shard).is_some() => {}
                Ok(read) => {
                    // A day shard belongs to the day and to each of its hours:
                    // every late row, purge and prune bumps one.
                    let spans = std::iter::once(Span::Day(read.day))
                        .chain((0..24).map(|hour| Span::Hour(read.day, hour)));
                    for span in spans {
                        if let Ok(current) = versions
                            .entry(span)
                            .or_insert_with(|| Ok(DayVersion::default()))
                        {
                            current.shards.insert(read.shard.clone(), read.version);
                            current.bumped_at = current.bumped_at.max(read.bumped_at);
                        }
                    }
                }
                Err(error) => {
                    // The day is known from the key even when the item is
                    // corrupt: neither the day nor any of its hours is trusted.
                    if let Some(day) = sort_pair(item)
                        .and_then(|(_, sort)| layout::parse_span(&sort))
                        .map(|span| span.day())
                    {
                        versions.insert(Span::Day(day), Err(error.clone()));
                        for hour in 0..24 {
                            versions.insert(Span::Hour(day, hour), Err(error.clone()));
                        }
                    }
                }
            }
        }
        let cost = ReadStats {
            items: items.len() as u64,
            consumed_capacity,
            ..ReadStats::default()
        };
        Ok((versions, cost))
    }

    /// The heads' roll-ups with their workspace digests; a head whose chunks
    /// are not all there, or cannot be read, is left out and counted.
    pub(crate) async fn with_chunks(
        &self,
        heads: BTreeMap<Span, layout::RollupHead>,
        mut cost: ReadStats,
    ) -> Result<(BTreeMap<Span, Rollup>, ReadStats), StorageError> {
        let chunk_keys: Vec<Item> = heads
            .iter()
            .flat_map(|(span, head)| {
                (0..head.chunks).map(|i| layout::rollup_chunk_key(*span, head.chunk_set, i))
            })
            .collect();
        let mut expected: BTreeMap<Span, u32> = heads
            .iter()
            .map(|(span, head)| (*span, head.chunks))
            .collect();
        let mut rollups: BTreeMap<Span, Rollup> = heads
            .into_iter()
            .map(|(span, head)| (span, head.rollup))
            .collect();
        let (chunks, chunk_units) = self.batch_get(chunk_keys).await?;
        cost.items += chunks.len() as u64;
        cost.consumed_capacity += chunk_units;
        for chunk in chunks {
            let Some(span) = sort_pair(&chunk).and_then(|(_, sort)| layout::parse_span(&sort))
            else {
                continue;
            };
            if let Some(rollup) = rollups.get_mut(&span) {
                match layout::rollup_chunk_digests(&chunk) {
                    Ok(digests) => {
                        rollup.workspaces.extend(digests);
                        if let Some(left) = expected.get_mut(&span) {
                            *left = left.saturating_sub(1);
                        }
                    }
                    // A corrupt chunk makes its span unusable: read raw, counted.
                    Err(_) => {
                        cost.skipped += 1;
                        expected.remove(&span);
                    }
                }
            }
        }
        // A head whose chunks are not all there cannot be read: its span is
        // read raw, and counted (the writer stores chunks before their head,
        // and no two writer runs overlap, so this is never normal).
        rollups.retain(|span, _| {
            let whole = expected.get(span) == Some(&0);
            if !whole && expected.contains_key(span) {
                cost.skipped += 1;
            }
            whole
        });
        Ok((rollups, cost))
    }
}

/// What a summary found of its window roll-up.
#[derive(Debug)]
pub(crate) enum WindowLookup {
    /// Built from the current versions of every day it covers.
    Current(Box<WindowRollup>),
    /// None for this start (no run since the window's start came due).
    Missing,
    /// A late row, purge or erasure bumped one of its days since.
    Stale,
    /// An item that cannot be read as this release's window roll-up.
    Unreadable,
}

/// The versions of some spans, as one Query read them: a span with an item
/// that cannot be read maps to the error (its roll-up cannot be trusted).
pub(crate) type Versions = BTreeMap<Span, Result<DayVersion, ItemError>>;

/// What a fold of roll-ups answered: their spans, and the days taken whole.
pub(crate) struct Folded {
    pub(crate) spans: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    pub(crate) answered: BTreeSet<NaiveDate>,
}

/// The fold every roll-up read shares (a summary's, and the writer's build
/// of a window roll-up), first: the day roll-ups the window takes whole.
pub(crate) fn fold_days(aggregation: &mut Aggregation, rollups: &[Rollup]) -> Folded {
    let mut folded = Folded {
        spans: Vec::new(),
        answered: BTreeSet::new(),
    };
    for rollup in rollups.iter().filter(|r| r.span.hour().is_none()) {
        if aggregation.add_rollup(rollup) {
            folded.answered.insert(rollup.day());
            folded.spans.push((rollup.start(), rollup.end()));
        }
    }
    folded
}

/// Then: the hour roll-ups of the days [`fold_days`] left.
pub(crate) fn fold_hours(
    aggregation: &mut Aggregation,
    rollups: &[Rollup],
    answered: &BTreeSet<NaiveDate>,
) -> Folded {
    let mut folded = Folded {
        spans: Vec::new(),
        answered: BTreeSet::new(),
    };
    for rollup in rollups.iter().filter(|r| r.span.hour().is_some()) {
        if !answered.contains(&rollup.day()) && aggregation.add_rollup(rollup) {
            folded.spans.push((rollup.start(), rollup.end()));
        }
    }
    folded
}

/// The (partition, sort) key strings of an item.
fn sort_pair(item: &Item) -> Option<(String, String)> {
    let s = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    Some((s(layout::attr::TENANT_ID)?, s(layout::attr::EVENT_KEY)?))
}
