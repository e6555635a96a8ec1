//! Building roll-ups: a writer run over the due days and hours, and one
//! span's build, stored only if no bump reached its version meanwhile (a
//! conditional transaction), its chunks under a chunk set of its own. The
//! rules (lag, settle, what is due) are `domain::rollup`'s; reading roll-ups
//! is `window_read`'s; one writer run is `writer`'s.

use crate::error::StorageError;
use crate::index::QueryOptions;
use crate::index::ReadStats;
use crate::layout::{self, DayVersion, rollup_attr};
use crate::ledger::Ledger;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};
use chrono::NaiveDate;
use domain::Retention;
use domain::rollup::{Due, Rollup, SETTLE, Span};
use std::collections::BTreeMap;

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
    /// Rolls up every day of `due.days` (in the order given) that has no
    /// usable roll-up, then every hour of `due.hours` (closed hours of the
    /// last two days) whose roll-up is missing or stale, until `should_stop`
    /// says to stop before one. A span that fails is recorded in the run,
    /// and the walk goes on.
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
        let mut spans: Vec<Span> = days.iter().map(|day| Span::Day(*day)).collect();
        spans.extend(hours.iter().map(|(day, _)| Span::Day(*day)));
        spans.extend(hours.iter().map(|(day, hour)| Span::Hour(*day, *hour)));
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
            .filter(|day| !usable.contains_key(&Span::Day(**day)))
        {
            if should_stop() {
                run.finished = false;
                return Ok(run);
            }
            match self.roll_up_span(Span::Day(*day), now, retention).await {
                Ok(RollupWrite::Stored { .. }) => run.days_built += 1,
                Ok(RollupWrite::Superseded | RollupWrite::Settling) => run.days_superseded += 1,
                Err(error) => run.failed.push((*day, error)),
            }
        }
        // Every closed hour of the last two days, whether or not its day is
        // rolled up: a 24-hour window takes part of yesterday, and distinct
        // workspaces of part of a day cannot come from the day's set.
        for (day, hour) in hours {
            if usable.contains_key(&Span::Hour(*day, *hour)) {
                continue;
            }
            if should_stop() {
                run.finished = false;
                return Ok(run);
            }
            match self
                .roll_up_span(Span::Hour(*day, *hour), now, retention)
                .await
            {
                Ok(RollupWrite::Stored { .. }) => run.hours_built += 1,
                Ok(RollupWrite::Superseded | RollupWrite::Settling) => run.hours_superseded += 1,
                Err(error) => run.failed.push((*day, error)),
            }
        }
        Ok(run)
    }

    pub(crate) async fn roll_up_span(
        &self,
        span: Span,
        now: chrono::DateTime<chrono::Utc>,
        retention: Retention,
    ) -> Result<RollupWrite, StorageError> {
        self.roll_up_span_then(span, now, retention, || async {})
            .await
    }

    /// One span's build (a day's, or an hour's), running `before_store` after
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
        let (mut versions, _) = self.day_versions(span.day(), span.day()).await?;
        let version = versions
            .remove(&span)
            .unwrap_or(Ok(DayVersion::default()))?;
        if version.bumped_at.is_some_and(|at| now - at < SETTLE) {
            return Ok(RollupWrite::Settling);
        }
        let mut rollup = Rollup::new(span);
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
    /// chunks (under a chunk set of this build's own: a digest of the
    /// version, the build's time and a nonce), then its head, in a
    /// transaction conditional on every version shard of the day being
    /// unchanged. `false` when a late row bumped one.
    pub(crate) async fn store_rollup(
        &self,
        rollup: &Rollup,
        version: &DayVersion,
        retention: Retention,
    ) -> Result<bool, StorageError> {
        // The writer stamps every roll-up it builds (`roll_up_span_then`).
        let built_at = rollup.built_at.unwrap_or_else(domain::now_millis);
        let chunks = rollup.workspace_chunks(layout::DIGESTS_PER_CHUNK);
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
        for (shard, key) in layout::all_version_keys(rollup.day()) {
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

    /// The heads of `spans` built from each one's current version, without
    /// their workspace chunks: what the writer checks (a day with 100,000
    /// workspaces costs one head read, not five chunk reads), with what
    /// reading them cost.
    pub(crate) async fn current_heads(
        &self,
        spans: &[Span],
    ) -> Result<(BTreeMap<Span, layout::RollupHead>, ReadStats), StorageError> {
        let days = spans.iter().map(Span::day);
        let (Some(first), Some(last)) = (days.clone().min(), days.max()) else {
            return Ok((BTreeMap::new(), ReadStats::default()));
        };
        let (versions, version_cost) = self.day_versions(first, last).await?;
        let (heads, cost) = self.heads_at(spans, &versions).await?;
        let mut cost = cost;
        cost += version_cost;
        Ok((heads, cost))
    }
}
