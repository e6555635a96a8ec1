//! The retention walk: deletes exactly the rows whose `occurred_at` is before
//! the cutoff, going through the time index's (day, shard) partitions oldest
//! first. Stateless and resumable: an empty day costs one tiny Query, so a run
//! that stopped early is simply continued by the next run.

use crate::batch::{MAX_BATCH, RetryPolicy, write_batch};
use crate::error::StorageError;
use crate::index::QueryOptions;
use crate::layout::{self, PruneKey};
use crate::ledger::Ledger;
use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::Instant;

/// What one run covers: every partition from `oldest_day` up to `cutoff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrunePlan {
    /// Rows with `occurred_at < cutoff` are due.
    pub cutoff: DateTime<Utc>,
    /// The oldest UTC day that can hold a row.
    pub oldest_day: NaiveDate,
    pub dry_run: bool,
}

impl PrunePlan {
    /// `cutoff = now - retention`; the walk starts `max_retention + margin` days before `now`.
    pub fn new(
        now: DateTime<Utc>,
        retention: domain::Retention,
        margin_days: u16,
        dry_run: bool,
    ) -> Self {
        let reach = TimeDelta::days(
            i64::from(domain::retention::MAX_RETENTION_DAYS) + i64::from(margin_days),
        );
        Self {
            cutoff: now - retention.duration(),
            oldest_day: (now - reach).date_naive(),
            dry_run,
        }
    }

    /// How many (day, shard) partitions the walk reads.
    pub fn partition_count(&self) -> usize {
        self.partitions().len()
    }

    /// The UTC days the walk examines, oldest first, the cutoff day included when it has time before the cutoff.
    pub(crate) fn partitions(&self) -> Vec<layout::PartitionRange> {
        let start = self.oldest_day.and_time(chrono::NaiveTime::MIN).and_utc();
        layout::partitions_between(start, self.cutoff)
    }
}

/// Decides when a run must stop (the Lambda deadline minus a safety margin, in production).
pub trait StopSignal {
    fn should_stop(&mut self) -> bool;
}

/// Stops when less than `margin` is left before `deadline`.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub deadline: Instant,
    pub margin: std::time::Duration,
}

impl StopSignal for Deadline {
    fn should_stop(&mut self) -> bool {
        Instant::now() + self.margin >= self.deadline
    }
}

/// The one structured report a run returns and logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    pub dry_run: bool,
    pub finished: bool,
    pub cutoff: String,
    pub days_examined: u32,
    /// Rows found with `occurred_at` before the cutoff.
    pub rows_due: u64,
    pub rows_deleted: u64,
    /// Rows found due but not deleted (all of them in a dry run).
    pub rows_left: u64,
    pub duration_ms: u64,
}

impl Ledger {
    /// Runs the walk. Partitions are read a few at a time, in order; the stop
    /// signal is checked before each one, so a stopped run leaves whole
    /// partitions for the next. A delete that still fails after the retry
    /// bound is returned as an error.
    pub async fn prune(
        &self,
        plan: PrunePlan,
        stop: &mut impl StopSignal,
        options: QueryOptions,
        retry: RetryPolicy,
    ) -> Result<PruneReport, StorageError> {
        let started = Instant::now();
        let mut report = PruneReport {
            dry_run: plan.dry_run,
            finished: false,
            cutoff: domain::format_millis(plan.cutoff),
            days_examined: 0,
            rows_due: 0,
            rows_deleted: 0,
            rows_left: 0,
            duration_ms: 0,
        };
        let partitions = plan.partitions();
        let total = partitions.len();
        let mut days = BTreeSet::new();
        let mut reads = stream::iter(partitions)
            .map(|p| async move {
                self.query_partition(p.day, p.shard, p.from, p.to, options)
                    .await
                    .map(|r| (p, r))
            })
            .buffered(options.concurrency.max(1));
        let mut done = 0;
        loop {
            if stop.should_stop() {
                break;
            }
            let Some(result) = reads.next().await else {
                break;
            };
            let (partition, read) = result?;
            done += 1;
            days.insert(partition.day);
            // The index holds only rows before `p.to <= cutoff`, but check anyway: never delete what is not due.
            let mut keys = Vec::with_capacity(read.items.len());
            for item in &read.items {
                keys.push(PruneKey::from_item(item)?);
            }
            let due: Vec<&PruneKey> = keys
                .iter()
                .filter(|k| k.occurred_at < plan.cutoff)
                .collect();
            report.rows_due += due.len() as u64;
            if !plan.dry_run && !due.is_empty() {
                // The caller logs a failure with its cause chain, once.
                report.rows_deleted += self.delete_rows(&due, options.concurrency, retry).await?;
            }
        }
        report.finished = done == total;
        report.days_examined = days.len() as u32;
        report.rows_left = report.rows_due - report.rows_deleted;
        report.duration_ms = started.elapsed().as_millis() as u64;
        Ok(report)
    }

    async fn delete_rows(
        &self,
        rows: &[&PruneKey],
        concurrency: usize,
        retry: RetryPolicy,
    ) -> Result<u64, StorageError> {
        let batches: Vec<Vec<WriteRequest>> = rows
            .chunks(MAX_BATCH)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|row| {
                        let delete = DeleteRequest::builder().set_key(Some(row.key())).build();
                        delete.map(|d| WriteRequest::builder().delete_request(d).build())
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<_, _>>()
            .map_err(|e| StorageError::dynamo("BatchWriteItem", e))?;
        let written: Vec<usize> = stream::iter(batches)
            .map(|batch| write_batch(&self.client, &self.table_name, batch, retry))
            .buffer_unordered(concurrency.max(1))
            .try_collect()
            .await?;
        Ok(written.iter().sum::<usize>() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Retention;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("valid")
            .with_timezone(&Utc)
    }

    #[test]
    fn cutoff_is_now_minus_retention_to_the_millisecond() {
        let plan = PrunePlan::new(
            at("2026-11-27T10:30:00.123Z"),
            Retention::default(),
            7,
            false,
        );
        assert_eq!(plan.cutoff, at("2026-08-29T10:30:00.123Z"));
    }

    #[test]
    fn walk_starts_at_max_retention_plus_margin() {
        let plan = PrunePlan::new(at("2026-11-27T10:30:00Z"), Retention::default(), 7, false);
        assert_eq!(
            plan.oldest_day,
            NaiveDate::from_ymd_opt(2025, 11, 20).expect("date")
        );
    }

    #[test]
    fn partitions_run_from_the_oldest_day_to_the_cutoff_day_narrowed() {
        let plan = PrunePlan::new(at("2026-11-27T10:30:00Z"), Retention::default(), 7, false);
        let parts = plan.partitions();
        let days: BTreeSet<_> = parts.iter().map(|p| p.day).collect();
        assert_eq!(days.first(), Some(&plan.oldest_day));
        assert_eq!(
            days.last(),
            Some(&NaiveDate::from_ymd_opt(2026, 8, 29).expect("date"))
        );
        let last = parts.last().expect("partitions");
        assert_eq!(
            (last.from, last.to),
            (at("2026-08-29T00:00:00Z"), plan.cutoff)
        );
        assert_eq!(parts.len(), days.len() * usize::from(layout::WRITE_SHARDS));
    }

    #[test]
    fn cutoff_exactly_at_midnight_does_not_touch_the_cutoff_day() {
        let plan = PrunePlan::new(at("2026-11-27T00:00:00Z"), Retention::default(), 7, false);
        let last = plan.partitions().last().copied().expect("partitions");
        assert_eq!(
            last.day,
            NaiveDate::from_ymd_opt(2026, 8, 28).expect("date")
        );
        assert_eq!(last.to, at("2026-08-29T00:00:00Z"));
    }

    #[test]
    fn deadline_stops_within_the_margin() {
        let margin = std::time::Duration::from_secs(5);
        let mut near = Deadline {
            deadline: Instant::now() + std::time::Duration::from_secs(3),
            margin,
        };
        assert!(near.should_stop());
        let mut far = Deadline {
            deadline: Instant::now() + std::time::Duration::from_secs(60),
            margin,
        };
        assert!(!far.should_stop());
    }
}
