//! The retention walk: goes through the time index's (day, shard) partitions
//! oldest first and deletes the rows past the cutoff that TTL will not remove
//! for free. Stateless and resumable: an empty day costs one tiny Query, so a
//! run that stopped early is simply continued by the next run.
//!
//! Always forward progress: each partition has its own bounded retries, a
//! partition that still fails is counted and skipped, and the walk goes on.
//! Deletes are conditional on the row being the one that was read, so a row
//! re-recorded under the same key in between is never deleted.

use crate::deadline::StopSignal;
use crate::error::{StorageError, condition_failed};
use crate::index::{PartitionRead, QueryOptions};
use crate::layout::{self, PruneKey, attr};
use crate::ledger::Ledger;
use crate::retry::Try;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use futures_util::{StreamExt, stream};
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::Instant;

/// What one run covers: every partition from `oldest_day` up to `cutoff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrunePlan {
    /// The run's clock.
    pub now: DateTime<Utc>,
    /// Rows with `occurred_at < cutoff` are past the retention.
    pub cutoff: DateTime<Utc>,
    /// The oldest UTC day that can hold a row.
    pub oldest_day: NaiveDate,
    /// A row that expired under its own TTL less than this long ago is left to
    /// TTL, which deletes for free.
    pub ttl_grace: TimeDelta,
    pub dry_run: bool,
    /// The retention in force (the TTL of the day versions an erasure bumps).
    pub retention: domain::Retention,
}

/// What the walk does with a row it read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Inside the retention.
    Keep,
    /// Past the retention, expired under its own TTL within the grace period:
    /// TTL removes it for free (the summary already ignores it).
    LeaveToTtl,
    /// Past the retention, and TTL will not remove it in time: a shortened
    /// retention (its TTL is still in the future), TTL running late past the
    /// grace period, or no readable TTL at all.
    Delete,
}

impl PrunePlan {
    /// `cutoff = now - retention`; the walk starts `max_retention + margin` days before `now`.
    pub fn new(
        now: DateTime<Utc>,
        retention: domain::Retention,
        margin_days: u16,
        ttl_grace: std::time::Duration,
        dry_run: bool,
    ) -> Self {
        let reach = TimeDelta::days(
            i64::from(domain::retention::MAX_RETENTION_DAYS) + i64::from(margin_days),
        );
        Self {
            now,
            cutoff: now - retention.duration(),
            oldest_day: (now - reach).date_naive(),
            ttl_grace: TimeDelta::from_std(ttl_grace).unwrap_or(TimeDelta::MAX),
            dry_run,
            retention,
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

    /// The decision for one row: by its time and its TTL (epoch seconds).
    pub fn disposition(&self, occurred_at: DateTime<Utc>, expires_at: Option<i64>) -> Disposition {
        if occurred_at >= self.cutoff {
            return Disposition::Keep;
        }
        match expires_at.and_then(|seconds| DateTime::from_timestamp(seconds, 0)) {
            // TTL acts on items whose expiry is in the past; until then only prune can.
            Some(expiry) if expiry > self.now => Disposition::Delete,
            Some(expiry) if self.now - expiry < self.ttl_grace => Disposition::LeaveToTtl,
            _ => Disposition::Delete,
        }
    }
}

/// The one structured report a run returns and logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    pub dry_run: bool,
    /// Every partition was read (some may have failed: see `partitions_failed`).
    pub finished: bool,
    pub cutoff: String,
    pub days_examined: u32,
    /// Partitions whose Query or deletes still failed after their retries.
    pub partitions_failed: u32,
    /// Partitions not read because the run stopped at its deadline: the next run reads them.
    pub partitions_left: u32,
    /// Index rows without a readable time (or key): neither judged nor deleted.
    pub rows_unreadable: u64,
    /// Rows past the cutoff that prune must delete.
    pub rows_due: u64,
    pub rows_deleted: u64,
    /// Due rows whose delete found the row changed or gone (re-recorded, or
    /// removed by TTL or another run): never deleted, and not left behind.
    pub rows_changed: u64,
    /// Due rows not deleted: all of them in a dry run; else the ones a failed
    /// or stopped run left for the next.
    pub rows_left: u64,
    /// Rows past the cutoff left to TTL inside its grace period.
    pub rows_left_to_ttl: u64,
    /// Purge tombstones in the table (closed ones included).
    pub tombstones: u32,
    /// Open tombstones this run walked (from where their last walk stopped).
    pub tombstones_taken: u32,
    /// Tombstones this run closed: their walk finished after they settled.
    pub tombstones_closed: u32,
    /// Open tombstones left for a later run: not settled yet, walked in part
    /// (with progress), or not reached before the deadline.
    pub tombstones_waiting: u32,
    /// Rows the tombstones' walks erased (they raced a purge, or its caller
    /// left it unfinished).
    pub rows_erased: u64,
    /// Purges found unfinished (not answered done, and older than an hour):
    /// their caller stopped invoking. Prune's walk finishes them;
    /// `PurgeUnfinishedAlarm` fires.
    pub purges_unfinished: u32,
    /// Tombstones that made no progress: unreadable, made with a key the
    /// keyring does not have, or whose walk read nothing. Any makes the run
    /// not finished, and `PruneTombstonesFailedAlarm` fires.
    pub tombstones_failed: u32,
    /// Erasures written back from the erasure log: the table had lost them
    /// (a restore to a point before them). Their rows are erased again.
    pub tombstones_reapplied: u32,
    pub duration_ms: u64,
}

/// What one run's closing of purge tombstones did (see
/// [`Ledger::close_tombstones`]; the prune report carries it).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TombstoneRun {
    /// Tombstones in the table, closed ones included.
    pub tombstones: u32,
    /// Open tombstones walked, each from where its last walk stopped.
    pub taken: u32,
    /// Tombstones closed: their walk finished after they settled.
    pub closed: u32,
    /// Open tombstones left for a later run (not settled, walked in part, or
    /// not reached before the deadline).
    pub waiting: u32,
    pub rows_erased: u64,
    pub purges_unfinished: u32,
    /// Tombstones that made no progress (or an erasure log that could not
    /// be read or written back).
    pub failed: u32,
    /// Erasures the log held and the table did not (a restore to a point
    /// before them): written back, and walked.
    pub reapplied: u32,
}

/// What one partition came to.
#[derive(Debug, Default)]
struct PartitionOutcome {
    due: u64,
    deleted: u64,
    changed: u64,
    left_to_ttl: u64,
    unreadable: u64,
    failed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeleteOutcome {
    Deleted,
    Changed,
}

impl Ledger {
    /// Runs the walk. Partitions are read a few at a time, in order; the stop
    /// signal is checked before each one, so a stopped run leaves whole
    /// partitions for the next. Failures are counted in the report, never
    /// returned: the caller decides what a failed partition means.
    pub async fn prune(
        &self,
        plan: PrunePlan,
        stop: &impl StopSignal,
        options: QueryOptions,
    ) -> PruneReport {
        let started = Instant::now();
        let mut report = PruneReport {
            dry_run: plan.dry_run,
            finished: false,
            cutoff: domain::format_millis(plan.cutoff),
            days_examined: 0,
            partitions_failed: 0,
            partitions_left: 0,
            rows_unreadable: 0,
            rows_due: 0,
            rows_deleted: 0,
            rows_changed: 0,
            rows_left: 0,
            rows_left_to_ttl: 0,
            tombstones: 0,
            tombstones_taken: 0,
            tombstones_closed: 0,
            tombstones_waiting: 0,
            rows_erased: 0,
            purges_unfinished: 0,
            tombstones_failed: 0,
            tombstones_reapplied: 0,
            duration_ms: 0,
        };
        let partitions = plan.partitions();
        let total = partitions.len();
        let mut days = BTreeSet::new();
        let mut walk = stream::iter(partitions)
            .map(|p| async move {
                let outcome = self.prune_partition(&plan, p, stop, options).await;
                (p, outcome)
            })
            .buffered(options.concurrency.max(1));
        // Every partition future is collected, even after the stop signal: the
        // ones in flight keep (and report) what they deleted, and the rest
        // return at once, unread, for the next run.
        let mut done = 0;
        while let Some((partition, outcome)) = walk.next().await {
            let Some(outcome) = outcome else {
                report.partitions_left += 1;
                continue;
            };
            done += 1;
            days.insert(partition.day);
            report.partitions_failed += u32::from(outcome.failed);
            report.rows_unreadable += outcome.unreadable;
            report.rows_due += outcome.due;
            report.rows_deleted += outcome.deleted;
            report.rows_changed += outcome.changed;
            report.rows_left_to_ttl += outcome.left_to_ttl;
        }
        report.finished = done == total;
        report.days_examined = days.len() as u32;
        // Each partition's deleted + changed is at most its due count; saturate anyway.
        report.rows_left = report
            .rows_due
            .saturating_sub(report.rows_deleted + report.rows_changed);
        // After the retention walk, which must never be crowded out: the
        // tombstones, in what time is left.
        let closing = self.close_tombstones(&plan, stop).await;
        report.tombstones = closing.tombstones;
        report.tombstones_taken = closing.taken;
        report.tombstones_closed = closing.closed;
        report.tombstones_waiting = closing.waiting;
        report.rows_erased = closing.rows_erased;
        report.purges_unfinished = closing.purges_unfinished;
        report.tombstones_failed = closing.failed;
        report.tombstones_reapplied = closing.reapplied;
        // A tombstone it could not honour is work skipped: not finished, so
        // the heartbeat and TombstonesFailed alarms both say so.
        report.finished &= report.tombstones_failed == 0;
        report.duration_ms = started.elapsed().as_millis() as u64;
        report
    }

    /// Closes the purge tombstones, fairly and once each. A tombstone is
    /// walked after it settled (every record that could have missed it has
    /// landed, [`domain::Tombstone::settled`]): that walk erases what raced
    /// its purge (or what a caller left unfinished), then closes it, and it
    /// is never walked again (record keeps refusing what it covers). Open
    /// tombstones are taken least recently walked first, each walk resuming
    /// where the last stopped, so none waits behind another for more than
    /// one run. A tombstone counts as failed only when it made no progress:
    /// unreadable, its key missing, or its walk read nothing.
    pub async fn close_tombstones(&self, plan: &PrunePlan, stop: &impl StopSignal) -> TombstoneRun {
        let mut report = TombstoneRun::default();
        // After a restore of the table to a point before some purges, their
        // tombstones are back from the erasure log before anything else.
        if !plan.dry_run {
            match self.reapply_erasure_log(plan.now).await {
                Ok(log) => {
                    report.reapplied = log.written_back;
                    report.failed += log.unreadable;
                }
                Err(error) => {
                    tracing::warn!(
                        error = %domain::error_chain::error_chain(&error),
                        "prune: the erasure log could not be read or written back"
                    );
                    report.failed += 1;
                }
            }
        }
        let tombstones = match self.stored_tombstones().await {
            Ok(tombstones) => tombstones,
            Err(error) => {
                tracing::warn!(
                    error = %domain::error_chain::error_chain(&error),
                    "prune: purge tombstones could not be read"
                );
                report.failed += 1;
                return report;
            }
        };
        let mut readable = Vec::new();
        for tombstone in tombstones {
            match tombstone {
                Ok(tombstone) => readable.push(tombstone),
                Err(_) => report.failed += 1,
            }
        }
        // A tenant's own tombstone covers its people's when it erases at
        // least as late: they need no walk of their own, and close with it.
        let whole_tenant: std::collections::BTreeMap<domain::TenantId, (DateTime<Utc>, bool)> =
            readable
                .iter()
                .map(|stored| &stored.tombstone)
                .filter(|t| t.scope.actor.is_none())
                .map(|t| {
                    (
                        t.scope.tenant_id.clone(),
                        (t.erases_before(), t.closed_at.is_some()),
                    )
                })
                .collect();
        let mut open: Vec<layout::StoredTombstone> = Vec::new();
        for stored in readable {
            let tombstone = &stored.tombstone;
            report.tombstones += 1;
            if tombstone.closed_at.is_some() {
                continue;
            }
            let covered = tombstone
                .scope
                .actor
                .as_ref()
                .and_then(|_| whole_tenant.get(&tombstone.scope.tenant_id))
                .filter(|(until, _)| *until >= tombstone.erases_before());
            if let Some((_, tenant_closed)) = covered {
                // The tenant's purge took every row this one names.
                if *tenant_closed && !plan.dry_run {
                    match self.close_tombstone(tombstone, plan.now).await {
                        Ok(()) => report.closed += 1,
                        Err(_) => report.failed += 1,
                    }
                } else {
                    report.waiting += 1;
                }
                continue;
            }
            let unfinished = tombstone.done_at.is_none()
                && plan.now - tombstone.purged_at >= TimeDelta::hours(1);
            report.purges_unfinished += u32::from(unfinished);
            if tombstone.settled(plan.now) {
                open.push(stored);
            } else {
                // Its purge's own walk is at work; a record may still land.
                report.waiting += 1;
            }
        }
        // Round robin: never walked first, then the least recently walked.
        open.sort_by_key(|stored| (stored.tombstone.walked_at, stored.tombstone.purged_at));
        for stored in open {
            if plan.dry_run || stop.should_stop() {
                // Left for the next run, first in its order.
                report.waiting += 1;
                continue;
            }
            report.taken += 1;
            let tombstone = &stored.tombstone;
            let run = self
                .erase(
                    crate::purge::Walk {
                        scope: &tombstone.scope,
                        before: tombstone.erases_before(),
                        resume: stored.walk_cursor.clone(),
                    },
                    stop,
                )
                .await;
            report.rows_erased += run.rows_deleted;
            let kept = if run.finished {
                self.close_tombstone(tombstone, plan.now).await
            } else {
                self.keep_cursor(
                    (&tombstone.scope, tombstone.purged_at),
                    layout::tombstone_attr::WALK_CURSOR,
                    run.cursor.as_deref(),
                    Some(plan.now),
                )
                .await
            };
            // Progress: rows erased, or the walk's position moved on. A walk
            // whose first page always leaves a row makes none, and says so.
            let progressed = run.rows_deleted > 0 || run.cursor != stored.walk_cursor;
            match (run.finished, kept) {
                (true, Ok(())) => report.closed += 1,
                // Progress, not yet to the end: the next run resumes it.
                (false, Ok(())) if progressed => report.waiting += 1,
                _ => {
                    if let Some(error) = &run.error {
                        tracing::warn!(
                            error = %domain::error_chain::error_chain(error),
                            "prune: a tombstone's walk made no progress"
                        );
                    }
                    report.failed += 1;
                }
            }
        }
        report
    }

    /// Reads one partition (with its own retries) and deletes its due rows.
    /// `None` means the stop signal fired before the partition was read.
    async fn prune_partition(
        &self,
        plan: &PrunePlan,
        p: layout::PartitionRange,
        stop: &impl StopSignal,
        options: QueryOptions,
    ) -> Option<PartitionOutcome> {
        let mut outcome = PartitionOutcome::default();
        if stop.should_stop() {
            return None;
        }
        // A backoff starts only while the margin is intact, and no call
        // follows one that used it up: neither a wait nor a call (at most one
        // operation timeout) overruns the margin.
        let read = self
            .retry
            .retry(
                || stop.should_stop(),
                || async {
                    self.query_partition(p, options)
                        .await
                        .map_or_else(Try::Again, Try::Done)
                },
            )
            .await;
        let read: PartitionRead = match read {
            Ok(read) => read,
            Err(gave_up) if gave_up.stopped => return None,
            Err(gave_up) => {
                tracing::warn!(
                    day = %p.day,
                    shard = p.shard,
                    attempts = gave_up.attempts,
                    error = %domain::error_chain::error_chain(&gave_up.error),
                    "prune: partition skipped after its retries"
                );
                outcome.failed = true;
                return Some(outcome);
            }
        };
        let mut due = Vec::new();
        for item in &read.items {
            match PruneKey::from_item(item) {
                Ok(key) => match plan.disposition(key.occurred_at, key.expires_at) {
                    Disposition::Keep => {}
                    Disposition::LeaveToTtl => outcome.left_to_ttl += 1,
                    Disposition::Delete => due.push(key),
                },
                // Without its keys and time the row can be neither judged nor
                // deleted: counted (and alarmed), but it does not fail the partition.
                Err(_) => outcome.unreadable += 1,
            }
        }
        outcome.due = due.len() as u64;
        if plan.dry_run || due.is_empty() {
            return Some(outcome);
        }
        // A due row has not expired (its TTL is past what the retention now
        // allows), so a roll-up of its day may count it: the day's version
        // is bumped first, as a purge does, or a retention lengthened again
        // would bring back a roll-up counting rows that are gone. Without the
        // bump the rows stay, for the next run.
        if let Err(error) = self.with_retries(stop, || self.bump_day(p.day)).await {
            tracing::warn!(
                day = %p.day,
                error = %domain::error_chain::error_chain(&error),
                "prune: the day's version could not be bumped; its rows are left for the next run"
            );
            outcome.failed = true;
            return Some(outcome);
        }
        let results: Vec<Option<Result<DeleteOutcome, StorageError>>> = stream::iter(due.iter())
            .map(|key| self.delete_if_unchanged(key, stop))
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        for result in results {
            match result {
                Some(Ok(DeleteOutcome::Deleted)) => outcome.deleted += 1,
                Some(Ok(DeleteOutcome::Changed)) => outcome.changed += 1,
                Some(Err(_)) => outcome.failed = true,
                // Left for the next run; the report counts it in rows_left.
                None => {}
            }
        }
        Some(outcome)
    }

    /// Deletes the row only if it is still the one that was read (same index
    /// sort key, so the same time and event key), with bounded retries.
    /// `None` when the stop signal fired before the delete was sent.
    pub(crate) async fn delete_if_unchanged(
        &self,
        key: &PruneKey,
        stop: &impl StopSignal,
    ) -> Option<Result<DeleteOutcome, StorageError>> {
        if stop.should_stop() {
            return None;
        }
        let deleted = self
            .retry
            .retry(
                || stop.should_stop(),
                || async {
                    let result = self
                        .client
                        .delete_item()
                        .table_name(&self.table_name)
                        .set_key(Some(key.key()))
                        .condition_expression("#time_key = :time_key")
                        .expression_attribute_names("#time_key", attr::TIME_KEY)
                        .expression_attribute_values(
                            ":time_key",
                            AttributeValue::S(key.time_key.clone()),
                        )
                        .send()
                        .await;
                    match result {
                        Ok(_) => Try::Done(DeleteOutcome::Deleted),
                        Err(error) if condition_failed(&error) => Try::Done(DeleteOutcome::Changed),
                        Err(error) => Try::Again(error),
                    }
                },
            )
            .await;
        match deleted {
            Ok(outcome) => Some(Ok(outcome)),
            Err(gave_up) if gave_up.stopped => None,
            Err(gave_up) => Some(Err(StorageError::dynamo("DeleteItem", gave_up.error))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Retention;
    use domain::testing::at;

    const GRACE: std::time::Duration = std::time::Duration::from_secs(48 * 3600);

    #[test]
    fn cutoff_is_now_minus_retention_to_the_millisecond() {
        let plan = PrunePlan::new(
            at("2026-11-27T10:30:00.123Z"),
            Retention::default(),
            7,
            GRACE,
            false,
        );
        assert_eq!(plan.cutoff, at("2026-08-29T10:30:00.123Z"));
    }

    #[test]
    fn walk_starts_at_max_retention_plus_margin() {
        let plan = PrunePlan::new(
            at("2026-11-27T10:30:00Z"),
            Retention::default(),
            7,
            GRACE,
            false,
        );
        assert_eq!(
            plan.oldest_day,
            NaiveDate::from_ymd_opt(2025, 11, 20).expect("date")
        );
    }

    #[test]
    fn partitions_run_from_the_oldest_day_to_the_cutoff_day_narrowed() {
        let plan = PrunePlan::new(
            at("2026-11-27T10:30:00Z"),
            Retention::default(),
            7,
            GRACE,
            false,
        );
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
        let plan = PrunePlan::new(
            at("2026-11-27T00:00:00Z"),
            Retention::default(),
            7,
            GRACE,
            false,
        );
        let last = plan.partitions().last().copied().expect("partitions");
        assert_eq!(
            last.day,
            NaiveDate::from_ymd_opt(2026, 8, 28).expect("date")
        );
        assert_eq!(last.to, at("2026-08-29T00:00:00Z"));
    }

    #[test]
    fn disposition_keeps_leaves_to_ttl_or_deletes() {
        let now = at("2026-11-27T10:30:00Z");
        let plan = PrunePlan::new(now, Retention::default(), 7, GRACE, false);
        let before = plan.cutoff - TimeDelta::milliseconds(1);
        let secs = |t: DateTime<Utc>| Some(t.timestamp());
        // Inside the retention, whatever the TTL says.
        assert_eq!(
            plan.disposition(plan.cutoff, secs(now - TimeDelta::days(9))),
            Disposition::Keep
        );
        // Expired under its own TTL an hour ago: TTL's job, for free.
        assert_eq!(
            plan.disposition(before, secs(now - TimeDelta::hours(1))),
            Disposition::LeaveToTtl
        );
        // Just inside the grace, and just past it.
        assert_eq!(
            plan.disposition(
                before,
                secs(now - TimeDelta::hours(48) + TimeDelta::seconds(1))
            ),
            Disposition::LeaveToTtl
        );
        assert_eq!(
            plan.disposition(before, secs(now - TimeDelta::hours(48))),
            Disposition::Delete
        );
        // A shortened retention: the TTL is still ahead, so only prune removes it.
        assert_eq!(
            plan.disposition(before, secs(now + TimeDelta::days(30))),
            Disposition::Delete
        );
        // No readable TTL: TTL never removes it.
        assert_eq!(plan.disposition(before, None), Disposition::Delete);
    }
}
