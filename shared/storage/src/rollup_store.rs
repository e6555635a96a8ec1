//! The roll-up items in the table: reading usable roll-ups in batches, and
//! building a day's roll-up so that it is stored only if no late row arrived
//! for the day meanwhile. The rules (lag, settle, late rows) are
//! `domain::day_rollup`'s; the writer function is `functions/rollup`.

use crate::error::{ItemError, StorageError};
use crate::index::QueryOptions;
use crate::layout::{self, DayVersion, Item, Span, rollup_attr};
use crate::ledger::Ledger;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, KeysAndAttributes, Put, ReturnConsumedCapacity,
    TransactWriteItem,
};
use chrono::NaiveDate;
use domain::Retention;
use domain::day_rollup::{DayRollup, Due, SETTLE};
use std::collections::BTreeMap;

/// DynamoDB's limit on keys per BatchGetItem call.
const MAX_BATCH_GET: usize = 100;

/// The usable roll-ups of some days (or hours), and what reading them cost.
#[derive(Debug, Clone, Default)]
pub struct RollupRead {
    pub rollups: BTreeMap<NaiveDate, DayRollup>,
    /// Hour roll-ups, by day and hour.
    pub hours: BTreeMap<(NaiveDate, u32), DayRollup>,
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
pub(crate) type Versions = BTreeMap<Span, Result<DayVersion, ItemError>>;

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

/// What building a day's roll-up came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupWrite {
    /// Stored, built from the day's rows after `late_rows` late rows.
    Stored { late_rows: u64, rows: u64 },
    /// A late row bumped the day's version while the roll-up was built: not
    /// stored; the next writer run builds it again.
    Superseded,
    /// A late row bumped the day's version less than [`SETTLE`] ago: the time
    /// index may not show it yet, so the day is left for the next run.
    Settling,
}

/// One writer run over the due days.
#[derive(Debug, Default)]
pub struct RollupRun {
    /// Due days looked at.
    pub days_checked: u32,
    pub days_built: u32,
    /// Not stored now ([`RollupWrite::Superseded`] or [`RollupWrite::Settling`]):
    /// built by a later run; summaries read those days raw meanwhile.
    pub days_superseded: u32,
    /// Closed hours looked at (of the last two days).
    pub hours_checked: u32,
    pub hours_built: u32,
    /// Hours not stored now (as `days_superseded`).
    pub hours_superseded: u32,
    /// Days (or hours of a day) whose build failed, with why; the next run
    /// retries them.
    pub failed: Vec<(NaiveDate, StorageError)>,
    /// `false` when the run stopped before every day was looked at.
    pub finished: bool,
    /// Roll-up and day-version items of days outside the retention, deleted.
    pub bookkeeping_deleted: u32,
    /// Why they could not all be deleted, when they could not; the next run
    /// tries again.
    pub cleanup_error: Option<StorageError>,
}

impl Ledger {
    /// Items by key, strongly consistent, every unprocessed key retried;
    /// with the read units DynamoDB reports as consumed.
    async fn batch_get(&self, keys: Vec<Item>) -> Result<(Vec<Item>, f64), StorageError> {
        self.batch_get_read(keys, true).await
    }

    /// [`Self::batch_get`], eventually consistent unless `consistent`.
    pub(crate) async fn batch_get_read(
        &self,
        keys: Vec<Item>,
        consistent: bool,
    ) -> Result<(Vec<Item>, f64), StorageError> {
        let mut found = Vec::with_capacity(keys.len());
        let mut consumed = 0.0;
        for chunk in keys.chunks(MAX_BATCH_GET) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(consistent)
                    .build()
                    .map_err(|e| StorageError::dynamo("BatchGetItem", e))?,
            );
            let mut attempt = 0u32;
            while let Some(request) = pending.take() {
                if attempt > 0 {
                    tokio::time::sleep(crate::RetryPolicy::default().delay(attempt)).await;
                }
                attempt += 1;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table_name, request)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await
                    .map_err(|e| StorageError::dynamo("BatchGetItem", e))?;
                consumed += output
                    .consumed_capacity()
                    .iter()
                    .filter_map(|c| c.capacity_units())
                    .sum::<f64>();
                if let Some(mut responses) = output.responses {
                    found.extend(responses.remove(&self.table_name).unwrap_or_default());
                }
                pending = output
                    .unprocessed_keys
                    .and_then(|mut left| left.remove(&self.table_name))
                    .filter(|left| !left.keys().is_empty());
                if pending.is_some() && attempt >= crate::RetryPolicy::default().max_attempts {
                    return Err(StorageError::BatchIncomplete {
                        left: pending.map(|p| p.keys().len()).unwrap_or_default(),
                        attempts: attempt,
                        source: None,
                    });
                }
            }
        }
        Ok((found, consumed))
    }

    /// The usable roll-ups of `days`: those whose head was built from the
    /// day's current version, with their workspace digests. A day missing
    /// here (no head, a stale one, one from another catalog, an item that
    /// cannot be read) is read raw; unreadable items are counted, never fatal.
    pub async fn usable_rollups(&self, days: &[NaiveDate]) -> Result<RollupRead, StorageError> {
        let spans: Vec<Span> = days.iter().map(|day| (*day, None)).collect();
        let (heads, cost) = self.current_heads(&spans).await?;
        let (spans, cost) = self.with_chunks(heads, cost).await?;
        Ok(RollupRead {
            rollups: spans
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
        let spans: Vec<Span> = hours
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
        spans: &[Span],
    ) -> Result<(BTreeMap<Span, layout::RollupHead>, Cost), StorageError> {
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
        spans: &[Span],
        versions: &Versions,
    ) -> Result<(BTreeMap<Span, layout::RollupHead>, Cost), StorageError> {
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
    /// day shards; an hour's is its own shards and its day's.
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
                Ok(read) => {
                    // A day shard belongs to the day and to each of its hours
                    // (every late row bumps one, and so did earlier releases'
                    // late rows); an hour shard to its hour only.
                    let spans: Vec<Span> = match layout::shard_hour(&read.shard) {
                        Some(hour) => vec![(read.day, Some(hour))],
                        None => std::iter::once((read.day, None))
                            .chain((0..24).map(|hour| (read.day, Some(hour))))
                            .collect(),
                    };
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
    /// are not all there, or cannot be read, is left out.
    pub(crate) async fn with_chunks(
        &self,
        heads: BTreeMap<Span, layout::RollupHead>,
        mut cost: Cost,
    ) -> Result<(BTreeMap<Span, DayRollup>, Cost), StorageError> {
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
        let mut rollups: BTreeMap<Span, DayRollup> = heads
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
        // A head whose chunks are not all there is not usable (expired or half-written).
        rollups.retain(|span, _| expected.get(span) == Some(&0));
        Ok((rollups, cost))
    }

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
        let due = Due {
            days: days.to_vec(),
            hours: Vec::new(),
        };
        self.roll_up(&due, now, retention, should_stop).await
    }

    /// [`Ledger::roll_up_days`] for `due.days`, then every hour of
    /// `due.hours` (closed hours of the last two days) whose roll-up is
    /// missing or stale, in the order given.
    pub async fn roll_up(
        &self,
        due: &Due,
        now: chrono::DateTime<chrono::Utc>,
        retention: Retention,
        should_stop: impl Fn() -> bool,
    ) -> Result<RollupRun, StorageError> {
        let (days, hours) = (&due.days, &due.hours);
        // Heads only (never the chunks): a span is built again unless its
        // head is current and still exact (no counted row expired since).
        let mut spans: Vec<Span> = days.iter().map(|day| (*day, None)).collect();
        spans.extend(hours.iter().map(|(day, _)| (*day, None)));
        spans.extend(hours.iter().map(|(day, hour)| (*day, Some(*hour))));
        spans.sort();
        spans.dedup();
        let (mut usable, _) = self.current_heads(&spans).await?;
        usable.retain(|_, head| head.rollup.is_exact_at(now));
        let mut run = RollupRun {
            days_checked: days.len() as u32,
            hours_checked: hours.len() as u32,
            finished: true,
            ..RollupRun::default()
        };
        // Bookkeeping never outlives the retention in force: after a
        // shortening, the items of days now outside it go (TTL set them to
        // leave later).
        let first_kept = (now - retention.duration()).date_naive();
        match self.delete_bookkeeping_before(first_kept).await {
            Ok(deleted) => run.bookkeeping_deleted = deleted,
            Err(error) => run.cleanup_error = Some(error),
        }
        for day in days
            .iter()
            .filter(|day| !usable.contains_key(&(**day, None)))
        {
            if should_stop() {
                run.finished = false;
                return Ok(run);
            }
            match self.roll_up_day(*day, now, retention).await {
                Ok(RollupWrite::Stored { .. }) => run.days_built += 1,
                Ok(RollupWrite::Superseded | RollupWrite::Settling) => run.days_superseded += 1,
                Err(error) => run.failed.push((*day, error)),
            }
        }
        // Every closed hour of the last two days, whether or not its day is
        // rolled up: a 24-hour window takes part of yesterday, and distinct
        // workspaces of part of a day cannot come from the day's set.
        for (day, hour) in hours {
            if usable.contains_key(&(*day, Some(*hour))) {
                continue;
            }
            if should_stop() {
                run.finished = false;
                return Ok(run);
            }
            match self.roll_up_span((*day, Some(*hour)), now, retention).await {
                Ok(RollupWrite::Stored { .. }) => run.hours_built += 1,
                Ok(RollupWrite::Superseded | RollupWrite::Settling) => run.hours_superseded += 1,
                Err(error) => run.failed.push((*day, error)),
            }
        }
        Ok(run)
    }

    /// Deletes the roll-up items (heads and chunks) of every day before
    /// `first_kept`, and says how many it deleted; the next run retries what
    /// failed. The days' versions stay (see `layout::EXPIRING_BOOKKEEPING`).
    pub async fn delete_bookkeeping_before(
        &self,
        first_kept: NaiveDate,
    ) -> Result<u32, StorageError> {
        let bound = layout::bookkeeping_before(first_kept);
        let mut deleted = 0;
        let mut failed = None;
        for key in self
            .bookkeeping_keys(layout::EXPIRING_BOOKKEEPING, Some(&bound))
            .await?
        {
            match self.delete_key(key).await {
                Ok(()) => deleted += 1,
                Err(error) => {
                    failed.get_or_insert(error);
                }
            }
        }
        match failed {
            Some(error) => Err(error),
            None => Ok(deleted),
        }
    }

    /// The keys of one bookkeeping partition's items, all of them or those
    /// whose sort key is below `below`, strongly consistent, paginated.
    pub(crate) async fn bookkeeping_keys(
        &self,
        partition: &str,
        below: Option<&str>,
    ) -> Result<Vec<Item>, StorageError> {
        let query = self
            .client
            .query()
            .table_name(&self.table_name)
            .expression_attribute_names("#pk", layout::attr::TENANT_ID)
            .expression_attribute_names("#sk", layout::attr::EVENT_KEY)
            .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
            .projection_expression("#pk, #sk")
            .consistent_read(true);
        let query = match below {
            Some(bound) => query
                .key_condition_expression("#pk = :pk AND #sk < :bound")
                .expression_attribute_values(":bound", AttributeValue::S(bound.to_owned())),
            None => query.key_condition_expression("#pk = :pk"),
        };
        // The SDK's paginator follows LastEvaluatedKey to the end.
        query
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<Item>, _>>()
            .await
            .map_err(|e| StorageError::dynamo("Query", e))
    }

    /// Builds and stores the roll-up of a closed `day`: reads the day's
    /// version, then its rows, and stores the head only if the version is
    /// still the one read (a conditional transaction). Chunks are keyed by
    /// version, so a superseded build never mixes with a stored one.
    pub async fn roll_up_day(
        &self,
        day: NaiveDate,
        now: chrono::DateTime<chrono::Utc>,
        retention: Retention,
    ) -> Result<RollupWrite, StorageError> {
        self.roll_up_span((day, None), now, retention).await
    }

    /// [`Ledger::roll_up_day`] for one closed hour of `day`.
    pub async fn roll_up_hour(
        &self,
        day: NaiveDate,
        hour: u32,
        now: chrono::DateTime<chrono::Utc>,
        retention: Retention,
    ) -> Result<RollupWrite, StorageError> {
        self.roll_up_span((day, Some(hour)), now, retention).await
    }

    async fn roll_up_span(
        &self,
        span: Span,
        now: chrono::DateTime<chrono::Utc>,
        retention: Retention,
    ) -> Result<RollupWrite, StorageError> {
        self.roll_up_span_then(span, now, retention, || async {})
            .await
    }

    /// [`Ledger::roll_up_day`] (or an hour's), running `before_store` after
    /// the rows are read and before the head is stored: tests interleave a
    /// late write there.
    pub(crate) async fn roll_up_span_then<F, Fut>(
        &self,
        span: Span,
        now: chrono::DateTime<chrono::Utc>,
        retention: Retention,
        before_store: F,
    ) -> Result<RollupWrite, StorageError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let (mut versions, _) = self.day_versions(span.0, span.0).await?;
        let version = versions
            .remove(&span)
            .unwrap_or(Ok(DayVersion::default()))?;
        if version.bumped_at.is_some_and(|at| now - at < SETTLE) {
            return Ok(RollupWrite::Settling);
        }
        let mut rollup = layout::empty_rollup(span);
        rollup.built_at = Some(now);
        let stats = self
            .read_range(
                rollup.start(),
                rollup.end(),
                QueryOptions::default(),
                |rows| {
                    for row in rows {
                        rollup.add(row, now);
                    }
                },
            )
            .await?;
        before_store().await;
        if !self.store_rollup(&rollup, &version, retention).await? {
            return Ok(RollupWrite::Superseded);
        }
        Ok(RollupWrite::Stored {
            late_rows: version.late_rows(),
            rows: stats.items - stats.skipped,
        })
    }

    /// Stores a roll-up built from day version `version`: its workspace
    /// chunks (keyed by the version's chunk set), then its head, in a
    /// transaction conditional on every version shard of the day being
    /// unchanged. `false` when a late row bumped one.
    pub(crate) async fn store_rollup(
        &self,
        rollup: &DayRollup,
        version: &DayVersion,
        retention: Retention,
    ) -> Result<bool, StorageError> {
        let chunks = rollup.workspace_chunks(layout::DIGESTS_PER_CHUNK);
        let built_at = rollup.built_at.unwrap_or_else(domain::now_millis);
        let chunk_set = version.chunk_set(built_at, fastrand::u64(..));
        for (i, digests) in chunks.iter().enumerate() {
            self.client
                .put_item()
                .table_name(&self.table_name)
                .set_item(Some(layout::rollup_chunk_item(
                    rollup, chunk_set, i as u32, digests, retention,
                )))
                .send()
                .await
                .map_err(|e| StorageError::dynamo("PutItem", e))?;
        }
        let mut items = Vec::with_capacity(layout::VERSION_SHARDS as usize + 2);
        for (shard, key) in layout::all_version_keys(layout::span_of(rollup)) {
            let unchanged = match version.shards.get(&shard) {
                None => {
                    ConditionCheck::builder().condition_expression("attribute_not_exists(#version)")
                }
                Some(v) => ConditionCheck::builder()
                    .condition_expression("#version = :version")
                    .expression_attribute_values(":version", AttributeValue::N(v.to_string())),
            }
            .table_name(&self.table_name)
            .set_key(Some(key))
            .expression_attribute_names("#version", rollup_attr::VERSION)
            .build()
            .map_err(|e| StorageError::dynamo("TransactWriteItems", e))?;
            items.push(
                TransactWriteItem::builder()
                    .condition_check(unchanged)
                    .build(),
            );
        }
        let head = Put::builder()
            .table_name(&self.table_name)
            .set_item(Some(layout::rollup_head_item(
                rollup,
                version,
                (chunk_set, chunks.len() as u32),
                retention,
            )))
            .build()
            .map_err(|e| StorageError::dynamo("TransactWriteItems", e))?;
        items.push(TransactWriteItem::builder().put(head).build());
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) => {
                let cancelled = error
                    .as_service_error()
                    .is_some_and(|e| e.is_transaction_canceled_exception());
                if cancelled {
                    Ok(false)
                } else {
                    Err(StorageError::dynamo("TransactWriteItems", error))
                }
            }
        }
    }
}

/// The (partition, sort) key strings of an item.
fn sort_pair(item: &Item) -> Option<(String, String)> {
    let s = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    Some((s(layout::attr::TENANT_ID)?, s(layout::attr::EVENT_KEY)?))
}
