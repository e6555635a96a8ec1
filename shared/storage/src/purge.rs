//! Erasure: deletes every row of a tenant, or one person's rows within it,
//! and leaves a tombstone that prune honours.
//!
//! - **The tombstone first.** A purge writes (or refreshes) its tombstone
//!   before it deletes anything, so a milestone that lands while it runs is
//!   still caught by the next prune.
//! - **Roll-ups stale before rows go.** For every day a page of rows
//!   belongs to, one of its version shards is bumped before the rows are
//!   deleted, as a late row does: the day's roll-ups are unusable at once,
//!   its day read raw (without the purged rows) until the writer rebuilds it,
//!   and the writer leaves the day alone for `SETTLE` after the bump, by
//!   which time the deletes have landed.
//! - **Resumable.** The walk reads the tenant's partition page by page and
//!   checks the stop signal before each page and each delete; a stopped run
//!   answers "not done", and the next one starts over on what is left.
//! - **Conditional deletes**, by the row's index sort key: a row re-recorded
//!   under the same key after it was read is never deleted by this walk.

use crate::deadline::StopSignal;
use crate::error::StorageError;
use crate::layout::{self, Item, PurgeRow};
use crate::ledger::Ledger;
use crate::prune::DeleteOutcome;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{PurgeRequest, PurgeScope};
use futures_util::{StreamExt, stream};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// Rows read per page of the tenant's partition: the unit of work between
/// two stop checks.
const PAGE_SIZE: i32 = 500;
/// Deletes in flight at once.
const DELETE_CONCURRENCY: usize = 8;
/// A day bumped by this walk is bumped again before later deletes only once
/// its last bump is this old: the writer leaves a bumped day alone for
/// `SETTLE` (7 minutes), so every delete lands well inside it.
const REBUMP: Duration = Duration::from_secs(60);

/// One walk of a scope's rows: those that occurred before `before`,
/// starting after `resume` (a cursor an earlier walk kept), or from the start.
#[derive(Debug, Clone)]
pub struct Walk<'a> {
    pub scope: &'a PurgeScope,
    pub before: DateTime<Utc>,
    pub resume: Option<String>,
}

/// What one purge (or one tombstone's erasure by prune) did.
#[derive(Debug, Default)]
pub struct PurgeRun {
    /// Rows this run deleted.
    pub rows_deleted: u64,
    /// Rows in scope that were gone or changed by the time of their delete
    /// (TTL, prune, a concurrent purge, or a lost response retried).
    pub rows_changed: u64,
    /// Rows in scope this run read but did not delete (it stopped, or their
    /// deletes failed); the next run deletes them.
    pub rows_left: u64,
    /// Distinct closed days whose roll-ups were made stale.
    pub days_invalidated: u32,
    /// Rows of the tenant whose actor could not be read, in a purge of one
    /// person: never judged, never deleted, reported.
    pub rows_unreadable: u64,
    /// Every page was read and every row in scope deleted.
    pub finished: bool,
    /// Pages of the tenant's partition this run read: any is progress.
    pub pages_read: u32,
    /// Where the next run resumes when this one did not finish: the sort key
    /// of the last row of the last page whose every row in scope this run
    /// (or the one it resumed) deleted. `None`: from the start.
    pub cursor: Option<String>,
    /// Why rows were left, when it was a failure rather than the deadline.
    pub error: Option<StorageError>,
}

impl PurgeRun {
    /// A run that has done nothing yet, and so nothing it failed to do.
    fn started() -> Self {
        Self {
            finished: true,
            ..Self::default()
        }
    }

    fn add(&mut self, other: PurgeRun) {
        self.rows_deleted += other.rows_deleted;
        self.rows_changed += other.rows_changed;
        self.rows_left += other.rows_left;
        self.days_invalidated += other.days_invalidated;
        self.rows_unreadable += other.rows_unreadable;
        self.pages_read += other.pages_read;
        self.finished &= other.finished;
        self.error = self.error.take().or(other.error);
    }
}

impl Ledger {
    /// Purges `request`'s rows that occurred before `now`: the tombstone, the
    /// walk, and the tombstone marked done when the walk finished. An error
    /// means nothing was deleted (the tombstone could not be written).
    pub async fn purge(
        &self,
        request: &PurgeRequest,
        now: DateTime<Utc>,
        stop: &impl StopSignal,
    ) -> Result<PurgeRun, StorageError> {
        // A person's purge needs the erasure key, and marks the tenant first:
        // record reads that mark with the tenant's tombstone.
        let scope = match &request.actor_id {
            None => PurgeScope {
                tenant_id: request.tenant_id.clone(),
                actor: None,
            },
            Some(_) => {
                let keys = self.erasure_keys().await?;
                // The current key's check value, stored on its first use (or
                // checked): later loads of the keyring are held to it.
                self.with_retries(stop, || self.ensure_key_check(&keys))
                    .await?;
                let scope = request.scope(&keys);
                self.with_retries(stop, || {
                    self.mark_people_erased(&scope.tenant_id, keys.current(), now)
                })
                .await?;
                scope
            }
        };
        // An unfinished purge of the scope continues where it stopped, under
        // its own time (the rows before that point are the ones it took), so
        // a person's purge in a tenant too large for one invocation reaches
        // the end of it; otherwise a new purge starts now.
        let (purged_at, resume) = self
            .with_retries(stop, || self.open_tombstone(&scope, now))
            .await?;
        // Logged where a restore of this table does not reach.
        self.with_retries(stop, || self.log_erasure(&scope, purged_at))
            .await?;
        if scope.actor.is_some() {
            // After the tombstone: a record that read the marker before it
            // finds the count changed and reads again.
            self.with_retries(stop, || self.count_erasure(&scope.tenant_id))
                .await?;
        }
        // Every row in scope, whatever its time: record accepts times up to
        // MAX_FUTURE_SKEW ahead, and a purge leaves none of them.
        let mut run = self
            .erase(
                Walk {
                    scope: &scope,
                    before: DateTime::<Utc>::MAX_UTC,
                    resume,
                },
                stop,
            )
            .await;
        if run.finished {
            if let Err(error) = self
                .with_retries(stop, || self.mark_done(&scope, purged_at, now))
                .await
            {
                // The rows are gone; only the bookkeeping lags. Not done, so
                // the caller invokes again (and deletes nothing more).
                run.finished = false;
                run.error = Some(error);
            }
        } else if let Err(error) = self
            .keep_cursor(
                (&scope, purged_at),
                layout::tombstone_attr::CURSOR,
                run.cursor.as_deref(),
                None,
            )
            .await
        {
            // The next invocation walks again from the last cursor kept:
            // slower, never wrong.
            tracing::warn!(error = %domain::error_chain::error_chain(&error), "purge: the walk's cursor was not kept");
        }
        Ok(run)
    }

    /// Deletes the rows in `scope` that occurred before `before`, page by
    /// page, until done or told to stop. Never returns early on a failure:
    /// a page that fails is counted, and the walk goes on.
    ///
    /// `resume`: where an earlier walk of the scope stopped (a cursor it
    /// kept); the walk starts after it. The run's `cursor` says where the
    /// next should start: it moves past a page only once every row of the
    /// page in scope is deleted (or gone), and never past a page that left one.
    pub async fn erase(&self, walk: Walk<'_>, stop: &impl StopSignal) -> PurgeRun {
        let Walk {
            scope,
            before,
            resume,
        } = walk;
        let mut run = PurgeRun::started();
        run.cursor = resume;
        // A person's rows are judged with the key the scope's digest was made
        // with: without it, nothing can be judged, and nothing goes.
        let keys = match &scope.actor {
            None => Ok(None),
            // A key the process does not hold (a rotation since it loaded
            // the keyring): loaded again, once, before judging.
            Some(digest) => match self.erasure_keys().await {
                Ok(keys) if !keys.has(digest.key()) => {
                    self.reload_erasure_keys(digest.key()).await.map(Some)
                }
                loaded => loaded.map(Some),
            },
        };
        let keys = match keys {
            Ok(keys) => keys,
            Err(error) => {
                run.finished = false;
                run.error = Some(error);
                return run;
            }
        };
        let matcher = match scope.matcher(keys.as_deref()) {
            Ok(matcher) => matcher,
            Err(unknown) => {
                run.finished = false;
                run.error = Some(unknown.into());
                return run;
            }
        };
        let mut start: Option<Item> = run
            .cursor
            .as_deref()
            .map(|cursor| layout::resume_key(&scope.tenant_id, cursor));
        // Once a page leaves a row, the cursor stays before it for this run.
        let mut cursor_held = false;
        // When this walk last bumped each closed day: a day is bumped again
        // only when its last bump is older than REBUMP, well inside SETTLE.
        let mut bumped: BTreeMap<NaiveDate, Instant> = BTreeMap::new();
        loop {
            run.days_invalidated = bumped.len() as u32;
            if stop.should_stop() {
                run.finished = false;
                return run;
            }
            let page = match self
                .with_retries(stop, || self.purge_page(scope, start.clone()))
                .await
            {
                Ok(page) => page,
                Err(error) => {
                    // Without the page there is no next key: the walk ends
                    // here, not done, and the caller's next run resumes.
                    run.finished = false;
                    run.error = Some(error);
                    return run;
                }
            };
            run.pages_read += 1;
            let left_before = (run.rows_left, run.error.is_some());
            let mut rows = Vec::new();
            let mut unreadable = Vec::new();
            for item in page.items() {
                match PurgeRow::from_item(item) {
                    Ok(row) => {
                        if row.key.occurred_at < before
                            && matcher.covers(&scope.tenant_id, &row.actor_id)
                        {
                            rows.push(row);
                        }
                    }
                    Err(_) => unreadable.extend(
                        layout::table_key(item).map(|key| (key, layout::indexed_time(item))),
                    ),
                }
            }
            if scope.actor.is_none() {
                // A whole tenant goes, rows this release cannot read included:
                // by their table key, unconditionally, after a bump of the day
                // their index key names (a roll-up may count them).
                let days = unreadable
                    .iter()
                    .filter_map(|(_, at)| Some(at.as_ref()?.date_naive()))
                    .collect();
                let blocked = self.bump_days(days, &mut bumped, stop, &mut run).await;
                let (keys, kept): (Vec<_>, Vec<_>) = unreadable
                    .into_iter()
                    .partition(|(_, at)| at.is_none_or(|at| !blocked.contains(&at.date_naive())));
                run.rows_left += kept.len() as u64;
                let keys = keys.into_iter().map(|(key, _)| key).collect();
                run.add(self.delete_keys(keys, stop).await);
            } else {
                // Whose they are cannot be told: counted, reported, left.
                run.rows_unreadable += unreadable.len() as u64;
            }
            run.add(self.erase_rows(rows, &mut bumped, stop).await);
            cursor_held |= (run.rows_left, run.error.is_some()) != left_before;
            if !cursor_held && let Some(last) = page.last_evaluated_key.as_ref() {
                run.cursor = layout::cursor_of(last);
            }
            match page.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => {
                    run.days_invalidated = bumped.len() as u32;
                    return run;
                }
            }
        }
    }

    /// Stale roll-ups for the rows' days, then the rows' deletes.
    async fn erase_rows(
        &self,
        rows: Vec<PurgeRow>,
        bumped: &mut BTreeMap<NaiveDate, Instant>,
        stop: &impl StopSignal,
    ) -> PurgeRun {
        let mut run = PurgeRun::started();
        let day = |row: &PurgeRow| row.key.occurred_at.date_naive();
        let days: BTreeSet<NaiveDate> = rows.iter().map(day).collect();
        let blocked = self.bump_days(days, bumped, stop, &mut run).await;
        let (rows, kept): (Vec<PurgeRow>, Vec<PurgeRow>) = rows
            .into_iter()
            .partition(|row| !blocked.contains(&day(row)));
        run.rows_left += kept.len() as u64;
        let results: Vec<Option<Result<DeleteOutcome, StorageError>>> = stream::iter(rows.iter())
            .map(|row| self.delete_if_unchanged(&row.key, stop))
            .buffer_unordered(DELETE_CONCURRENCY)
            .collect()
            .await;
        for result in results {
            match result {
                Some(Ok(DeleteOutcome::Deleted)) => run.rows_deleted += 1,
                Some(Ok(DeleteOutcome::Changed)) => run.rows_changed += 1,
                Some(Err(error)) => {
                    run.rows_left += 1;
                    run.finished = false;
                    run.error.get_or_insert(error);
                }
                None => {
                    run.rows_left += 1;
                    run.finished = false;
                }
            }
        }
        run
    }

    /// Bumps every day of `days` not bumped within [`REBUMP`], and says
    /// which could not be bumped: their rows stay until a bump succeeds
    /// (deleting them now could leave a roll-up counting rows that are gone).
    async fn bump_days(
        &self,
        days: BTreeSet<NaiveDate>,
        bumped: &mut BTreeMap<NaiveDate, Instant>,
        stop: &impl StopSignal,
        run: &mut PurgeRun,
    ) -> BTreeSet<NaiveDate> {
        let mut blocked = BTreeSet::new();
        for day in days {
            if bumped.get(&day).is_some_and(|at| at.elapsed() < REBUMP) {
                continue;
            }
            match self.with_retries(stop, || self.bump_day(day)).await {
                Ok(()) => {
                    bumped.insert(day, Instant::now());
                }
                Err(error) => {
                    blocked.insert(day);
                    run.finished = false;
                    run.error.get_or_insert(error);
                }
            }
        }
        blocked
    }

    /// Deletes rows by their table key alone (rows of a purged tenant that
    /// cannot be read), with bounded retries.
    async fn delete_keys(&self, keys: Vec<Item>, stop: &impl StopSignal) -> PurgeRun {
        let mut run = PurgeRun::started();
        for key in keys {
            if stop.should_stop() {
                run.rows_left += 1;
                run.finished = false;
                continue;
            }
            let deleted = self
                .with_retries(stop, || self.delete_key(key.clone()))
                .await;
            match deleted {
                Ok(_) => run.rows_deleted += 1,
                Err(error) => {
                    run.rows_left += 1;
                    run.finished = false;
                    run.error.get_or_insert(error);
                }
            }
        }
        run
    }

    /// One page of the tenant's partition, strongly consistent: a row
    /// recorded just before the purge is seen.
    async fn purge_page(
        &self,
        scope: &PurgeScope,
        start: Option<Item>,
    ) -> Result<aws_sdk_dynamodb::operation::query::QueryOutput, StorageError> {
        self.projected_page(
            scope.tenant_id.as_str(),
            &layout::PURGE_PROJECTION,
            Some(PAGE_SIZE),
            start,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows deleted after a day's bump land while the writer still leaves
    /// that day alone: a re-bump comes long before the settle time ends.
    #[test]
    fn a_day_is_bumped_again_well_inside_the_writers_settle_time() {
        let settle = domain::rollup::SETTLE.to_std().expect("positive");
        assert!(REBUMP * 2 <= settle, "{REBUMP:?} vs {settle:?}");
    }
}
