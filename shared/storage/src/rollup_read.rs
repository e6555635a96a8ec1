//! Reading roll-ups: a span's version (its shards, one strongly consistent
//! Query for a range of days), the heads built from the current versions,
//! and their workspace chunks. What a summary and the writer read; the
//! rules (what a window takes) are the domain's.

use crate::error::{ItemError, StorageError};
use crate::layout::{self, DayVersion, Item, SpanKey};
use crate::ledger::Ledger;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use chrono::NaiveDate;
use domain::rollup::Rollup;
use std::collections::BTreeMap;

/// The usable roll-ups of some days (or hours), and what reading them cost.
#[derive(Debug, Clone, Default)]
pub struct RollupRead {
    /// Day roll-ups, by day.
    pub days: BTreeMap<NaiveDate, Rollup>,
    /// Hour roll-ups, by day and hour.
    pub hours: BTreeMap<(NaiveDate, u32), Rollup>,
    /// Items read: day versions, heads and workspace chunks. Per closed day
    /// it does not depend on how many milestones the day holds.
    pub items: u64,
    /// Items that could not be read (a corrupt version, head or chunk): their
    /// days are left out, so they are read raw, or rebuilt by the writer.
    pub unreadable: u32,
    /// Read units DynamoDB reports as consumed by these reads.
    pub consumed_capacity: f64,
}

impl From<Cost> for RollupRead {
    fn from(cost: Cost) -> Self {
        Self {
            items: cost.items,
            unreadable: cost.unreadable,
            consumed_capacity: cost.consumed_capacity,
            ..Self::default()
        }
    }
}

/// The versions of some spans, as one Query read them: a span with an item
/// that cannot be read maps to the error (its roll-up cannot be trusted).
pub(crate) type Versions = BTreeMap<SpanKey, Result<DayVersion, ItemError>>;

/// What reading the day versions and heads of some days cost.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cost {
    pub(crate) items: u64,
    pub(crate) unreadable: u32,
    pub(crate) consumed_capacity: f64,
}

impl Cost {
    pub(crate) fn plus(self, other: Cost) -> Cost {
        Cost {
            items: self.items + other.items,
            unreadable: self.unreadable + other.unreadable,
            consumed_capacity: self.consumed_capacity + other.consumed_capacity,
        }
    }
}

impl Ledger {
    /// The usable roll-ups of `days`: those whose head was built from the
    /// day's current version, with their workspace digests. A day missing
    /// here (no head, a stale one, one from another catalog, an item that
    /// cannot be read) is read raw; unreadable items are counted, never fatal.
    pub async fn usable_rollups(&self, days: &[NaiveDate]) -> Result<RollupRead, StorageError> {
        let spans: Vec<SpanKey> = days.iter().map(|day| (*day, None)).collect();
        let (heads, cost) = self.current_heads(&spans).await?;
        let (spans, cost) = self.with_chunks(heads, cost).await?;
        Ok(RollupRead {
            days: spans
                .into_iter()
                .map(|((day, _), rollup)| (day, rollup))
                .collect(),
            ..RollupRead::from(cost)
        })
    }

    /// The usable roll-ups of closed `hours` (day and hour), as
    /// [`Ledger::usable_rollups`] for days: an hour whose head is stale (a
    /// late row of that hour since) or missing is read raw.
    pub async fn usable_hour_rollups(
        &self,
        hours: &[(NaiveDate, u32)],
    ) -> Result<RollupRead, StorageError> {
        let spans: Vec<SpanKey> = hours
            .iter()
            .map(|(day, hour)| (*day, Some(*hour)))
            .collect();
        let (heads, cost) = self.current_heads(&spans).await?;
        let (spans, cost) = self.with_chunks(heads, cost).await?;
        Ok(RollupRead {
            hours: spans
                .into_iter()
                .filter_map(|((day, hour), rollup)| Some(((day, hour?), rollup)))
                .collect(),
            ..RollupRead::from(cost)
        })
    }

    /// The heads of `spans` built from each one's current version, without
    /// their workspace chunks: what the writer checks (a day with 100,000
    /// workspaces costs one head read, not five chunk reads), with what
    /// reading them cost.
    pub(crate) async fn current_heads(
        &self,
        spans: &[SpanKey],
    ) -> Result<(BTreeMap<SpanKey, layout::RollupHead>, Cost), StorageError> {
        let days = spans.iter().map(|(day, _)| *day);
        let (Some(first), Some(last)) = (days.clone().min(), days.max()) else {
            return Ok((BTreeMap::new(), Cost::default()));
        };
        let (versions, version_cost) = self.day_versions(first, last).await?;
        let (heads, cost) = self.heads_at(spans, &versions).await?;
        Ok((heads, cost.plus(version_cost)))
    }

    /// [`Self::current_heads`] against versions already read (a summary
    /// reads its days' versions once, for every roll-up it may take).
    pub(crate) async fn heads_at(
        &self,
        spans: &[SpanKey],
        versions: &Versions,
    ) -> Result<(BTreeMap<SpanKey, layout::RollupHead>, Cost), StorageError> {
        if spans.is_empty() {
            return Ok((BTreeMap::new(), Cost::default()));
        }
        let head_keys = spans.iter().map(|span| layout::rollup_head_key(*span));
        let (items, head_units) = self.batch_get(head_keys.collect()).await?;
        let mut cost = Cost {
            items: items.len() as u64,
            unreadable: 0,
            consumed_capacity: head_units,
        };
        let mut heads = BTreeMap::new();
        for item in &items {
            let Some(span) = sort_pair(item).and_then(|(_, sort)| layout::parse_span(&sort)) else {
                cost.unreadable += 1;
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
                _ => cost.unreadable += 1,
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
    ) -> Result<(Versions, Cost), StorageError> {
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
                    let spans = std::iter::once((read.day, None))
                        .chain((0..24).map(|hour| (read.day, Some(hour))));
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
                    if let Some((day, _)) =
                        sort_pair(item).and_then(|(_, sort)| layout::parse_span(&sort))
                    {
                        versions.insert((day, None), Err(error.clone()));
                        for hour in 0..24 {
                            versions.insert((day, Some(hour)), Err(error.clone()));
                        }
                    }
                }
            }
        }
        let cost = Cost {
            items: items.len() as u64,
            unreadable: 0,
            consumed_capacity,
        };
        Ok((versions, cost))
    }

    /// The heads' roll-ups with their workspace digests; a head whose chunks
    /// are not all there, or cannot be read, is left out and counted.
    pub(crate) async fn with_chunks(
        &self,
        heads: BTreeMap<SpanKey, layout::RollupHead>,
        mut cost: Cost,
    ) -> Result<(BTreeMap<SpanKey, Rollup>, Cost), StorageError> {
        let chunk_keys: Vec<Item> = heads
            .iter()
            .flat_map(|(span, head)| {
                (0..head.chunks).map(|i| layout::rollup_chunk_key(*span, head.chunk_set, i))
            })
            .collect();
        let mut expected: BTreeMap<SpanKey, u32> = heads
            .iter()
            .map(|(span, head)| (*span, head.chunks))
            .collect();
        let mut rollups: BTreeMap<SpanKey, Rollup> = heads
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
                        cost.unreadable += 1;
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
                cost.unreadable += 1;
            }
            whole
        });
        Ok((rollups, cost))
    }
}

/// The (partition, sort) key strings of an item.
fn sort_pair(item: &Item) -> Option<(String, String)> {
    let s = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    Some((s(layout::attr::TENANT_ID)?, s(layout::attr::EVENT_KEY)?))
}
