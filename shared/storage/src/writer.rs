//! One writer run, as the rollup function runs it, in the order it runs:
//! the lease, the due days and hours ([`crate::rollup_store`]), each window's
//! own roll-up ([`crate::window_rollup_store`]), then the sweep
//! ([`crate::sweep`]). The function only formats what this returns.
//!
//! **No two runs overlap.** The sweep deletes every chunk set no current
//! head names, so a second run's sweep could delete the chunks of a build
//! in flight before its head is stored: a head without its chunks, which
//! later runs (they check heads only) would never rebuild. A run first takes
//! the lease (a conditional put) until its invocation's deadline plus the
//! clock skew, or does nothing; it gives the lease back when it ends, and a
//! run that died leaves it to lapse.

use crate::error::{StorageError, condition_failed};
use crate::layout;
use crate::ledger::Ledger;
use crate::rollup_store::RollupRun;
use crate::sweep::SweepRun;
use crate::window_rollup_store::WindowRun;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, TimeDelta, Utc};
use domain::rollup::{CLOCK_SKEW_SECONDS, Due};
use domain::{Retention, WindowKey, format_millis};

/// What a writer run came to.
#[derive(Debug)]
pub enum WriterOutcome {
    /// It ran, to the end or to the deadline's margin ([`WriterRun::finished`]).
    Ran(Box<WriterRun>),
    /// Another run holds the lease (until `held_until`, when its item says):
    /// nothing was read or written.
    Overlapping { held_until: Option<DateTime<Utc>> },
}

/// One run's steps, each as it reported itself.
#[derive(Debug)]
pub struct WriterRun {
    /// The due days, then the due hours (and the bookkeeping of days
    /// outside the retention).
    pub rollups: RollupRun,
    /// The window roll-ups the retention allows; `None` when the run
    /// stopped before them.
    pub windows: Option<WindowRun>,
    /// The sweep, or why it failed.
    pub sweep: Result<SweepRun, StorageError>,
    /// Why the lease could not be given back (it lapses at its time).
    pub release_error: Option<StorageError>,
}

impl WriterRun {
    /// Whether every step ran to its end.
    pub fn finished(&self) -> bool {
        self.rollups.finished
            && self.windows.as_ref().is_some_and(|w| w.finished)
            && self.sweep.as_ref().is_ok_and(|s| s.finished)
    }
}

impl Ledger {
    /// One writer run at `now` under `retention`, holding the lease until
    /// `deadline` (its invocation's) plus the clock skew, stopping before a
    /// step when `should_stop` says. An error is a failure of the first
    /// reads (nothing was built); the lease is given back on every path.
    pub async fn run_writer(
        &self,
        now: DateTime<Utc>,
        retention: Retention,
        deadline: DateTime<Utc>,
        should_stop: impl Fn() -> bool,
    ) -> Result<WriterOutcome, StorageError> {
        let holder = format!("{:016x}", fastrand::u64(..));
        let until = deadline + TimeDelta::seconds(CLOCK_SKEW_SECONDS);
        if let Some(held_until) = self.take_lease(&holder, now, until).await? {
            return Ok(WriterOutcome::Overlapping { held_until });
        }
        let run = self.run_holding_lease(now, retention, &should_stop).await;
        let released = self.release_lease(&holder).await;
        let mut run = run?;
        run.release_error = released.err();
        Ok(WriterOutcome::Ran(Box::new(run)))
    }

    async fn run_holding_lease(
        &self,
        now: DateTime<Utc>,
        retention: Retention,
        should_stop: &impl Fn() -> bool,
    ) -> Result<WriterRun, StorageError> {
        let due = Due::at(now, retention);
        let rollups = self.roll_up(&due, now, retention, should_stop).await?;
        // Then each window's own roll-up, from what was just built; not when
        // the deadline's margin is reached (the next run builds them).
        let keys: Vec<WindowKey> = WindowKey::ALL
            .into_iter()
            .filter(|key| key.length() <= retention.duration())
            .collect();
        let windows = if rollups.finished && !should_stop() {
            Some(
                self.roll_up_windows(&keys, now, retention, should_stop)
                    .await,
            )
        } else {
            None
        };
        // Last, what no current roll-up names; window roll-ups only when this
        // run built them (else summaries would lose them for nothing).
        let stored = windows
            .as_ref()
            .filter(|w| w.finished)
            .map(|w| w.stored.as_slice());
        let sweep = self.sweep_rollups(&due, stored, should_stop).await;
        Ok(WriterRun {
            rollups,
            windows,
            sweep,
            release_error: None,
        })
    }

    /// Takes the writer's lease until `until`, unless another run holds it
    /// past `now`: then `Some` of when it lapses (`None` inside when its
    /// item does not say).
    pub(crate) async fn take_lease(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Option<DateTime<Utc>>>, StorageError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table_name)
            .set_item(Some(layout::lease_item(holder, until)))
            .condition_expression("attribute_not_exists(#held_until) OR #held_until < :now")
            .expression_attribute_names("#held_until", layout::LEASE_HELD_UNTIL)
            .expression_attribute_values(":now", AttributeValue::S(format_millis(now)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(SdkError::ServiceError(error)) => match error.into_err() {
                PutItemError::ConditionalCheckFailedException(held) => {
                    Ok(Some(held.item.as_ref().and_then(layout::lease_held_until)))
                }
                other => Err(StorageError::dynamo("PutItem", other)),
            },
            Err(other) => Err(StorageError::dynamo("PutItem", other)),
        }
    }

    /// Gives the lease back, if this run still holds it.
    pub(crate) async fn release_lease(&self, holder: &str) -> Result<(), StorageError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table_name)
            .set_key(Some(layout::lease_key()))
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#holder", layout::LEASE_HOLDER)
            .expression_attribute_values(":holder", AttributeValue::S(holder.to_owned()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // It lapsed, and another run took it: nothing to give back.
            Err(error) if condition_failed(&error) => Ok(()),
            Err(error) => Err(StorageError::dynamo("DeleteItem", error)),
        }
    }
}
