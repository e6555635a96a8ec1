//! The one test-only entry point (cargo feature `testing`): raw items for
//! tests that must write corrupt rows or inspect what was stored, and bulk
//! loading for local seeding and benchmarks. No function enables it.

use crate::RetryPolicy;
use crate::batch::{MAX_BATCH, write_batch};
use crate::error::{ItemError, StorageError};
use crate::index::{QueryOptions, ReadStats};
use crate::layout;
use crate::ledger::Ledger;
use crate::{RollupRun, RollupWrite};
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Arrival;
use domain::rollup::{Rollup, Span};
use domain::{EventId, Milestone, Retention};
use futures_util::{StreamExt, TryStreamExt, stream};
use std::collections::BTreeMap;

pub use crate::layout::Item;
pub use crate::layout::attr;

/// The item `record` would write for `milestone`.
pub fn encode(milestone: &Milestone) -> Item {
    layout::encode(milestone)
}

/// A stored item read back.
pub fn decode(item: &Item) -> Result<Milestone, ItemError> {
    layout::decode(item)
}

/// The write shard of an event id.
pub fn shard_for(event_id: &EventId) -> u8 {
    layout::shard_for(event_id)
}

/// The sizes DynamoDB charges for a milestone's table item and index item, in bytes.
pub fn item_sizes(milestone: &Milestone) -> (usize, usize) {
    layout::item_sizes(&encode(milestone))
}

/// Writes `item` as it is, unconditionally: for corrupt or hand-made rows.
pub async fn put_raw(ledger: &Ledger, item: Item) -> Result<(), StorageError> {
    ledger
        .client
        .put_item()
        .table_name(&ledger.table_name)
        .set_item(Some(item))
        .send()
        .await
        .map_err(|e| StorageError::dynamo("PutItem", e))?;
    Ok(())
}

/// Writes many milestones unconditionally with retried BatchWriteItem calls,
/// `concurrency` batches at a time. For seeding; `record` is the product's write.
pub async fn load(
    ledger: &Ledger,
    milestones: &[Milestone],
    concurrency: usize,
) -> Result<usize, StorageError> {
    let batches: Vec<Vec<WriteRequest>> = milestones
        .chunks(MAX_BATCH)
        .map(|chunk| {
            chunk
                .iter()
                .map(|m| {
                    PutRequest::builder()
                        .set_item(Some(encode(m)))
                        .build()
                        .map(|put| WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<_, _>>()
        .map_err(|e| StorageError::dynamo("BatchWriteItem", e))?;
    let written: Vec<usize> = stream::iter(batches)
        .map(|batch| {
            write_batch(
                &ledger.client,
                &ledger.table_name,
                batch,
                RetryPolicy::default(),
            )
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(written.iter().sum())
}

/// One Query of one (day, shard) partition, paginated: the bare cost of a summary's unit of work.
pub async fn read_partition(
    ledger: &Ledger,
    day: NaiveDate,
    shard: u8,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<ReadStats, StorageError> {
    let read = ledger
        .query_partition(
            crate::layout::PartitionRange {
                day,
                shard,
                from,
                to,
            },
            QueryOptions::default(),
        )
        .await?;
    Ok(ReadStats {
        partitions: 1,
        queries: read.pages,
        items: read.items.len() as u64,
        consumed_capacity: read.consumed_capacity,
        skipped: 0,
    })
}

/// How prune's conditional delete of one row ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteResult {
    Deleted,
    /// The row was no longer the one read (re-recorded, or gone): not deleted.
    Changed,
}

/// Prune's conditional delete of the row as it was read (`as_read`, with its
/// TTL), whatever the table holds now: for tests that interleave a
/// re-record between prune's read and its delete.
pub async fn delete_as_read(
    ledger: &Ledger,
    as_read: &Milestone,
) -> Result<DeleteResult, StorageError> {
    struct Never;
    impl crate::deadline::StopSignal for Never {
        fn should_stop(&self) -> bool {
            false
        }
    }
    let key = layout::PruneKey::from_item(&layout::encode(as_read))?;
    match ledger.delete_if_unchanged(&key, &Never).await {
        Some(Ok(crate::prune::DeleteOutcome::Deleted)) => Ok(DeleteResult::Deleted),
        Some(Ok(crate::prune::DeleteOutcome::Changed)) => Ok(DeleteResult::Changed),
        Some(Err(error)) => Err(error),
        None => unreachable!("never stops"),
    }
}

/// Builds a day's roll-up with `late` recorded (at `now`) after the writer
/// read the day's rows and before it stores the head: the interleaving that
/// must never leave a roll-up missing a row.
pub async fn roll_up_day_with_late_write(
    ledger: &Ledger,
    day: NaiveDate,
    late: &Milestone,
    now: DateTime<Utc>,
    retention: Retention,
) -> Result<(crate::RollupWrite, crate::PutOutcome), StorageError> {
    let mut recorded = None;
    let write = ledger
        .roll_up_span_then(Span::Day(day), now, retention, || async {
            recorded = Some(
                ledger
                    .record(late, Arrival::of(late.occurred_at, now))
                    .await,
            );
        })
        .await?;
    let put = recorded.unwrap_or(Err(StorageError::MissingOldItem))?;
    Ok((write, put))
}

/// Stores `rollup` as built from day version 0 (chunks and head), without
/// reading rows: for tests of large roll-ups (a day with 100,000 workspaces).
/// One built outside the writer is stamped as built now.
pub async fn store_rollup(
    ledger: &Ledger,
    rollup: &domain::rollup::Rollup,
    retention: Retention,
) -> Result<bool, StorageError> {
    let stamped = domain::rollup::Rollup {
        built_at: rollup.built_at.or_else(|| Some(domain::now_millis())),
        ..rollup.clone()
    };
    ledger
        .store_rollup(&stamped, &layout::DayVersion::default(), retention)
        .await
}

/// One item by key, strongly consistent (`None` when there is none).
async fn get_consistent(ledger: &Ledger, key: Item) -> Result<Option<Item>, StorageError> {
    let read = ledger
        .client
        .get_item()
        .table_name(&ledger.table_name)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| StorageError::dynamo("GetItem", e))?;
    Ok(read.item)
}

/// The TTLs (epoch seconds) of `day`'s version items (one per shard a late
/// row or a purge bumped, its hours' included), latest first.
pub async fn day_version_expires_at(
    ledger: &Ledger,
    day: NaiveDate,
) -> Result<Vec<i64>, StorageError> {
    let prefix = day.format("%Y-%m-%d").to_string();
    let mut ttls: Vec<i64> = ledger
        .bookkeeping_items(layout::DAY_PARTITION)
        .await?
        .iter()
        .filter(|item| {
            item.get(attr::EVENT_KEY)
                .and_then(|v| v.as_s().ok())
                .is_some_and(|sort| sort.starts_with(&prefix))
        })
        .filter_map(|item| item.get(attr::EXPIRES_AT)?.as_n().ok()?.parse::<i64>().ok())
        .collect();
    ttls.sort_unstable_by(|a, b| b.cmp(a));
    Ok(ttls)
}

/// `day`'s version: each bumped shard's counter (their sum is the number of
/// late rows recorded for the day).
pub async fn day_version_shards(
    ledger: &Ledger,
    day: NaiveDate,
) -> Result<std::collections::BTreeMap<String, u64>, StorageError> {
    let (mut versions, _) = ledger.day_versions(day, day).await?;
    Ok(versions
        .remove(&Span::Day(day))
        .transpose()?
        .map(|version| version.shards)
        .unwrap_or_default())
}

/// DynamoDB's TTL, run at `at`: deletes every item whose `expires_at` is
/// at or before it (rows and bookkeeping alike), and says how many. DynamoDB
/// Local never expires anything; tests of what TTL may do call this.
pub async fn expire_items_at(ledger: &Ledger, at: DateTime<Utc>) -> Result<u32, StorageError> {
    let items: Vec<Item> = ledger
        .client
        .scan()
        .table_name(&ledger.table_name)
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<Item>, _>>()
        .await
        .map_err(|e| StorageError::dynamo("Scan", e))?;
    let mut deleted = 0;
    for item in items {
        let expired = item
            .get(attr::EXPIRES_AT)
            .and_then(|v| v.as_n().ok()?.parse::<i64>().ok())
            .is_some_and(|expires_at| expires_at <= at.timestamp());
        if let (true, Some(key)) = (expired, layout::table_key(&item)) {
            ledger.delete_key(key).await?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// The sort keys of every window roll-up item (`W#<window>#<start>`).
pub async fn window_rollup_keys(ledger: &Ledger) -> Result<Vec<String>, StorageError> {
    Ok(ledger
        .bookkeeping_keys(layout::ROLLUP_PARTITION, None)
        .await?
        .iter()
        .filter_map(|key| key.get(attr::EVENT_KEY)?.as_s().ok().cloned())
        .filter(|sort| sort.starts_with("W#"))
        .collect())
}

/// Bumps day shard `shard` of `day` at `at`, as a late row that picked that
/// shard does (record picks one at random): for tests that need two bumps
/// on the same shard.
pub async fn bump_day_shard(
    ledger: &Ledger,
    day: NaiveDate,
    shard: &str,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    ledger.bump_shard(day, shard, at).await
}

/// What a summary holding `day`'s current head would read of its workspace
/// chunks now: `None` before any head; otherwise the head's chunk set and
/// the digests its chunks hold now (`None` when one is gone).
pub async fn current_head_chunks(
    ledger: &Ledger,
    day: NaiveDate,
) -> Result<Option<(u64, u32)>, StorageError> {
    let (heads, _) = ledger.current_heads(&[Span::Day(day)]).await?;
    Ok(heads
        .get(&Span::Day(day))
        .map(|head| (head.chunk_set, head.chunks)))
}

/// The workspace digests chunk set `chunk_set` (of `chunks` chunks) of
/// `day` holds now, or `None` when one of its chunks is gone.
pub async fn chunk_set_digests(
    ledger: &Ledger,
    day: NaiveDate,
    (chunk_set, chunks): (u64, u32),
) -> Result<Option<usize>, StorageError> {
    let mut digests = 0;
    for chunk in 0..chunks {
        let key = layout::rollup_chunk_key(Span::Day(day), chunk_set, chunk);
        let (items, _) = ledger.batch_get_read(vec![key], true).await?;
        let Some(item) = items.first() else {
            return Ok(None);
        };
        digests += layout::rollup_chunk_digests(item)?.len();
    }
    Ok(Some(digests))
}

/// Moves every version bump `by` into the past, as if that much time had
/// passed since (the writer leaves a span alone for `SETTLE` after a bump):
/// for tests that run the real writer after a purge's settle time.
pub async fn age_bumps(ledger: &Ledger, by: chrono::TimeDelta) -> Result<u32, StorageError> {
    age(
        ledger,
        layout::DAY_PARTITION,
        layout::rollup_attr::BUMPED_AT,
        by,
    )
    .await
}

/// Moves every purge tombstone's purge `by` into the past, as if it had
/// happened that much earlier: prune's closing walk takes a tombstone only
/// once it settled. Rows it covers shift with it (`erases_before`).
pub async fn age_tombstones(ledger: &Ledger, by: chrono::TimeDelta) -> Result<u32, StorageError> {
    age(
        ledger,
        layout::PURGE_PARTITION,
        layout::tombstone_attr::PURGED_AT,
        by,
    )
    .await
}

/// Moves the instant `attribute` of every item of bookkeeping `partition`
/// that has one `by` into the past; returns how many it moved.
async fn age(
    ledger: &Ledger,
    partition: &str,
    attribute: &str,
    by: chrono::TimeDelta,
) -> Result<u32, StorageError> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let mut aged = 0;
    for item in ledger.bookkeeping_items(partition).await? {
        let Some(at) = item
            .get(attribute)
            .and_then(|v| v.as_s().ok())
            .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
        else {
            continue;
        };
        let mut aged_item = item.clone();
        aged_item.insert(
            attribute.to_owned(),
            AttributeValue::S(domain::format_millis(at.to_utc() - by)),
        );
        put_raw(ledger, aged_item).await?;
        aged += 1;
    }
    Ok(aged)
}

/// Every stored tombstone with its walk state: (its scope's tenant, whether
/// its key holds an actor digest, walked_at, closed_at, prune's walk cursor).
pub async fn tombstone_walks(
    ledger: &Ledger,
) -> Result<Vec<(domain::Tombstone, Option<String>)>, StorageError> {
    ledger
        .stored_tombstones()
        .await?
        .into_iter()
        .map(|stored| stored.map(|s| (s.tombstone, s.walk_cursor)))
        .collect()
}

/// The sort key (event key) a row of `event_id` has in its tenant's
/// partition: the order a purge walks rows in.
pub fn event_key(event_id: &domain::EventId) -> String {
    layout::event_key(event_id)
}

/// Every purge tombstone (each must be readable).
pub async fn tombstones(ledger: &Ledger) -> Result<Vec<domain::Tombstone>, StorageError> {
    ledger.tombstones().await?.into_iter().collect()
}

/// Every day that has a roll-up item (a head or a chunk of the day or of
/// one of its hours), with how many items: what the writer deletes once the
/// day is outside the retention.
pub async fn bookkeeping_days(
    ledger: &Ledger,
) -> Result<std::collections::BTreeMap<NaiveDate, u32>, StorageError> {
    let mut days = std::collections::BTreeMap::new();
    for key in ledger
        .bookkeeping_keys(layout::EXPIRING_BOOKKEEPING, None)
        .await?
    {
        let day = key
            .get(attr::EVENT_KEY)
            .and_then(|v| v.as_s().ok())
            .and_then(|sort| NaiveDate::parse_from_str(sort.get(..10)?, "%Y-%m-%d").ok());
        if let Some(day) = day {
            *days.entry(day).or_default() += 1;
        }
    }
    Ok(days)
}

/// Which item of a day's roll-up [`corrupt_rollup`] breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupPart {
    /// A day-version item (its first shard).
    Version,
    /// The roll-up head.
    Head,
    /// The first workspace chunk of the stored head.
    FirstChunk,
    /// The first workspace chunk, deleted (a head without its chunks).
    MissingChunk,
}

/// Overwrites one item of `day`'s roll-up with one of the wrong shape (its
/// key kept): for tests that reading fails open to raw rows.
pub async fn corrupt_rollup(
    ledger: &Ledger,
    day: NaiveDate,
    part: RollupPart,
) -> Result<(), StorageError> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let head = get_consistent(ledger, layout::rollup_head_key(Span::Day(day))).await?;
    let (mut item, attribute) = match part {
        RollupPart::Version => (
            layout::day_version_key(day, &layout::shard_name(0)),
            layout::rollup_attr::VERSION,
        ),
        RollupPart::Head => (
            layout::rollup_head_key(Span::Day(day)),
            layout::rollup_attr::COUNTS,
        ),
        RollupPart::FirstChunk | RollupPart::MissingChunk => {
            let chunk_set = head
                .as_ref()
                .and_then(|head| layout::rollup_head_from_item(Span::Day(day), head).ok())
                .map(|head| head.chunk_set)
                .unwrap_or_default();
            (
                layout::rollup_chunk_key(Span::Day(day), chunk_set, 0),
                layout::rollup_attr::WORKSPACES,
            )
        }
    };
    if part == RollupPart::MissingChunk {
        item.retain(|name, _| name == attr::TENANT_ID || name == attr::EVENT_KEY);
        return ledger.delete_key(item).await;
    }
    if part == RollupPart::Head {
        // A whole head, then its counts broken: the version still matches.
        item = head.unwrap_or(item);
    }
    item.insert(attribute.to_owned(), AttributeValue::S("corrupt".into()));
    put_raw(ledger, item).await
}

/// Overwrites the window roll-up of `key` starting at `start` with one
/// whose counts have the wrong shape (its key kept): for tests that a
/// corrupt one is counted and the window read from day and hour roll-ups.
pub async fn corrupt_window_rollup(
    ledger: &Ledger,
    key: domain::WindowKey,
    start: chrono::DateTime<chrono::Utc>,
) -> Result<(), StorageError> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let mut item = get_consistent(ledger, layout::window_rollup_key(key, start))
        .await?
        .unwrap_or_else(|| layout::window_rollup_key(key, start));
    item.insert(
        layout::rollup_attr::COUNTS.to_owned(),
        AttributeValue::S("corrupt".into()),
    );
    put_raw(ledger, item).await
}

/// Each version shard of `day` with its `bumped_at`.
pub async fn day_version_bumps(
    ledger: &Ledger,
    day: NaiveDate,
) -> Result<std::collections::BTreeMap<String, Option<DateTime<Utc>>>, StorageError> {
    let (items, _) = ledger
        .batch_get_read(
            layout::all_version_keys(day)
                .into_iter()
                .map(|(_, key)| key)
                .collect(),
            true,
        )
        .await?;
    items
        .iter()
        .map(|item| {
            let shard = layout::day_version_shard(item)?;
            Ok((shard.shard, shard.bumped_at))
        })
        .collect()
}

/// Builds `day` as a writer run holding the lease does, running `during`
/// between its chunks and its head: where a second run's sweep would
/// delete those chunks if runs could overlap. The lease is given back after.
pub async fn roll_up_day_holding_the_lease<F, Fut, T>(
    ledger: &Ledger,
    day: NaiveDate,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    during: F,
) -> Result<(RollupWrite, Option<T>), StorageError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let holder = "a-test-run";
    let held = ledger.take_lease(holder, now, lease_until).await?;
    assert!(held.is_none(), "the writer's lease is held until {held:?}");
    let mut seen = None;
    let write = ledger
        .roll_up_span_then(Span::Day(day), now, Retention::default(), || async {
            seen = Some(during().await);
        })
        .await;
    ledger.release_lease(holder).await?;
    Ok((write?, seen))
}

/// The `built_at` of every window roll-up in the table, by sort key.
pub async fn window_rollups_built_at(
    ledger: &Ledger,
) -> Result<std::collections::BTreeMap<String, DateTime<Utc>>, StorageError> {
    let mut built = std::collections::BTreeMap::new();
    for sort in window_rollup_keys(ledger).await? {
        let key = layout::rollup_key(sort.clone());
        let (items, _) = ledger.batch_get_read(vec![key], true).await?;
        if let Some(item) = items.first() {
            built.insert(sort, layout::window_rollup_from_item(item)?.0.built_at);
        }
    }
    Ok(built)
}

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

impl From<ReadStats> for RollupRead {
    fn from(cost: ReadStats) -> Self {
        Self {
            items: cost.items,
            unreadable: cost.skipped as u32,
            consumed_capacity: cost.consumed_capacity,
            ..Self::default()
        }
    }
}

/// Reading roll-ups as tests look at them: the usable ones of some days or
/// hours, with their digests.
impl Ledger {
    /// The usable roll-ups of `days`: those whose head was built from the
    /// day's current version, with their workspace digests. A day missing
    /// here (no head, a stale one, one from another catalog, an item that
    /// cannot be read) is read raw; unreadable items are counted, never fatal.
    pub async fn usable_rollups(&self, days: &[NaiveDate]) -> Result<RollupRead, StorageError> {
        let spans: Vec<Span> = days.iter().map(|day| Span::Day(*day)).collect();
        let (heads, cost) = self.current_heads(&spans).await?;
        let (spans, cost) = self.with_chunks(heads, cost).await?;
        Ok(RollupRead {
            days: spans
                .into_iter()
                .map(|(span, rollup)| (span.day(), rollup))
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
        let spans: Vec<Span> = hours
            .iter()
            .map(|(day, hour)| Span::Hour(*day, *hour))
            .collect();
        let (heads, cost) = self.current_heads(&spans).await?;
        let (spans, cost) = self.with_chunks(heads, cost).await?;
        Ok(RollupRead {
            hours: spans
                .into_iter()
                .filter_map(|(span, rollup)| Some(((span.day(), span.hour()?), rollup)))
                .collect(),
            ..RollupRead::from(cost)
        })
    }
}

/// The writer's builds one at a time, as tests drive them.
impl Ledger {
    /// Rolls up every day of `days` (in the order given) that has no usable
    /// roll-up, until `should_stop` says to stop before a day. A day that
    /// fails is recorded in the run, and the walk goes on.
    pub async fn roll_up_days(
        &self,
        days: &[NaiveDate],
        now: chrono::DateTime<chrono::Utc>,
        retention: Retention,
        should_stop: impl Fn() -> bool,
    ) -> Result<RollupRun, StorageError> {
        let due = domain::rollup::Due {
            days: days.to_vec(),
            hours: Vec::new(),
        };
        self.roll_up(&due, now, retention, should_stop).await
    }

    /// Builds and stores the roll-up of a closed `day`: reads the day's
    /// version, then its rows, and stores the head only if the version is
    /// still the one read (a conditional transaction). Its chunks are under
    /// a chunk set of its own, so a superseded build never mixes with a
    /// stored one.
    pub async fn roll_up_day(
        &self,
        day: NaiveDate,
        now: chrono::DateTime<chrono::Utc>,
        retention: Retention,
    ) -> Result<RollupWrite, StorageError> {
        self.roll_up_span(Span::Day(day), now, retention).await
    }

    /// [`Ledger::roll_up_day`] for one closed hour of `day`.
    pub async fn roll_up_hour(
        &self,
        day: NaiveDate,
        hour: u32,
        now: chrono::DateTime<chrono::Utc>,
        retention: Retention,
    ) -> Result<RollupWrite, StorageError> {
        self.roll_up_span(Span::Hour(day, hour), now, retention)
            .await
    }
}
