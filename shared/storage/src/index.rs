//! Reading the time index: every (day, shard) partition of a time range,
//! paginated to the end, yielding domain rows. Folding them is the caller's job.
//! A row this release cannot read (an event the catalog no longer has, a
//! foreign writer's item) is skipped and counted, never fatal: one such row
//! must not take every window that contains it down.

use crate::error::StorageError;
use crate::layout::{self, IndexRow, Item, TIME_INDEX, attr};
use crate::ledger::Ledger;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use chrono::{DateTime, Utc};
use domain::IndexedMilestone;
use futures_util::{StreamExt, stream};

/// Tuning for index reads.
#[derive(Debug, Clone, Copy)]
pub struct QueryOptions {
    /// Items per page (DynamoDB's `Limit`); `None` means up to 1 MB pages.
    pub page_limit: Option<i32>,
    /// Partition Queries in flight at once.
    pub concurrency: usize,
}

impl Default for QueryOptions {
    fn default() -> Self {
        Self {
            page_limit: None,
            concurrency: 16,
        }
    }
}

/// What a read cost, the one cost type of every read: raw rows through the
/// time index (many partitions), or roll-up items (versions, heads, chunks,
/// a window roll-up).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReadStats {
    /// Partitions read.
    pub partitions: u32,
    /// Query calls made (pages, across partitions).
    pub queries: u32,
    /// Items returned.
    pub items: u64,
    /// Read capacity units DynamoDB reports as consumed.
    pub consumed_capacity: f64,
    /// Items that could not be read (an index item as a milestone, a
    /// roll-up item as this release's), and were skipped: their spans are
    /// read raw.
    pub skipped: u64,
}

impl std::ops::AddAssign for ReadStats {
    fn add_assign(&mut self, other: Self) {
        self.partitions += other.partitions;
        self.queries += other.queries;
        self.items += other.items;
        self.consumed_capacity += other.consumed_capacity;
        self.skipped += other.skipped;
    }
}

/// Everything one (day, shard) partition read returned, with its cost.
/// Items are raw: each caller decodes what it needs.
#[derive(Debug, Default)]
pub(crate) struct PartitionRead {
    pub items: Vec<Item>,
    /// Query calls made (pages).
    pub pages: u32,
    /// Read capacity units DynamoDB reports as consumed.
    pub consumed_capacity: f64,
}

impl Ledger {
    /// Reads one (day, shard) partition of the time index for `from <= occurred_at < to`,
    /// following pagination to the end. Eventually consistent, as GSIs always are.
    pub(crate) async fn query_partition(
        &self,
        partition: layout::PartitionRange,
        options: QueryOptions,
    ) -> Result<PartitionRead, StorageError> {
        let layout::PartitionRange {
            day,
            shard,
            from,
            to,
        } = partition;
        let mut read = PartitionRead::default();
        let mut start_key: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table_name)
                .index_name(TIME_INDEX)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#pk", attr::DAY_SHARD)
                .expression_attribute_names("#sk", attr::TIME_KEY)
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(layout::day_shard_key(day, shard)),
                )
                .expression_attribute_values(":from", AttributeValue::S(layout::time_bound(from)))
                .expression_attribute_values(":to", AttributeValue::S(layout::time_bound(to)))
                .set_limit(options.page_limit)
                .set_exclusive_start_key(start_key.take())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| StorageError::dynamo("Query", e))?;
            read.pages += 1;
            read.consumed_capacity += page
                .consumed_capacity()
                .and_then(|c| c.capacity_units())
                .unwrap_or(0.0);
            read.items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start_key = Some(key),
                _ => return Ok(read),
            }
        }
    }

    /// Reads every indexed milestone with `start <= occurred_at < end`: one
    /// Query per (day, shard), run concurrently up to `options.concurrency`,
    /// each paginated to the end. `fold` sees every partition's rows as it
    /// completes; the first error stops the read and is returned. Items that
    /// are not readable milestones are skipped and counted in `skipped`.
    pub async fn read_range(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        options: QueryOptions,
        mut fold: impl FnMut(&[IndexedMilestone]),
    ) -> Result<ReadStats, StorageError> {
        let partitions = layout::partitions_between(start, end);
        let mut reads = stream::iter(partitions)
            .map(|p| self.query_partition(p, options))
            .buffer_unordered(options.concurrency.max(1));
        let mut stats = ReadStats::default();
        while let Some(read) = reads.next().await {
            let read = read?;
            stats.partitions += 1;
            stats.queries += read.pages;
            stats.items += read.items.len() as u64;
            stats.consumed_capacity += read.consumed_capacity;
            let mut rows: Vec<IndexedMilestone> = Vec::with_capacity(read.items.len());
            for item in &read.items {
                match IndexRow::from_item(item) {
                    Ok(row) => rows.push(row.row),
                    Err(_) => stats.skipped += 1,
                }
            }
            fold(&rows);
        }
        Ok(stats)
    }
}
