//! Recording a milestone: one conditional put, idempotent on (tenant, event id).
//! A late row (see [`Arrival`]: its hour is closed) is put in one
//! transaction with a bump of one of its day's version shards, so every
//! roll-up of the day and of its hours becomes stale at once. The shard is
//! picked at random on each try, so concurrent late rows of one hour spread
//! over [`VERSION_SHARDS`](crate::layout::VERSION_SHARDS) items; a transaction still cancelled for a conflict or throttling is
//! retried here, with jittered backoff ([`LATE_ROW_RETRIES`]), since the SDK
//! does not retry cancellations.
//!
//! A tenant with a purge tombstone or an erased person (what record read
//! before the put, [`PurgeGuard`]) has its put in a transaction that checks
//! those items are unchanged: a purge landing in between refuses the put
//! ([`PutOutcome::PurgeRaced`]) rather than leave a row for prune.

use crate::error::StorageError;
use crate::layout::{self, Item, attr};
use crate::ledger::Ledger;
use crate::retry::{RetryPolicy, Try};
use crate::tombstones::PurgeGuard;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::{DateTime, Utc};
use domain::Arrival;
use domain::{EventName, Milestone};

/// How a late row's transaction is retried when it is cancelled for a
/// conflict or throttling: 6 tries in all, at most about 1.6 s of waiting,
/// well inside record's 10 s timeout.
pub const LATE_ROW_RETRIES: RetryPolicy = RetryPolicy {
    max_attempts: 6,
    base_delay: std::time::Duration::from_millis(25),
    max_delay: std::time::Duration::from_millis(800),
};

/// Cancellation reasons that a later try can get past.
const TRANSIENT_CANCELLATIONS: [&str; 3] = [
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
];

/// What a conditional put did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// A new row was written.
    Recorded,
    /// A row with this key and the same fingerprint already exists; nothing was written.
    Duplicate,
    /// A row with this key but different content exists; nothing was
    /// written. `existing_event` is that row's event, when it is one the
    /// catalog knows.
    Conflict { existing_event: Option<EventName> },
    /// A purge of the tenant, or of one of its people, landed between
    /// record's read of the tombstones and its put: nothing was written.
    PurgeRaced,
}

/// The condition every put of a row carries: its key is new. On a clash
/// DynamoDB returns the existing item with the failure (no second read).
macro_rules! put_if_new {
    ($builder:expr, $milestone:expr) => {
        $builder
            .set_item(Some(layout::encode($milestone)))
            .condition_expression("attribute_not_exists(#sort_key)")
            .expression_attribute_names("#sort_key", attr::EVENT_KEY)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
    };
}

impl Ledger {
    /// Writes the milestone (its TTL is its own `expires_at`) unless its key
    /// exists; the existing row's fingerprint decides duplicate versus
    /// conflict. `arrival` says whether the row's day may be rolled up
    /// already ([`Arrival::of`] the row and the caller's clock).
    pub async fn record(
        &self,
        milestone: &Milestone,
        arrival: Arrival,
    ) -> Result<PutOutcome, StorageError> {
        self.record_guarded(milestone, arrival, None).await
    }

    /// [`Ledger::record`], for a tenant whose tombstones record read
    /// ([`crate::Covering`]'s guard): the put lands only if what was read still
    /// stands (no purge of the tenant or of one of its people since), in one
    /// transaction with a check of each; else [`PutOutcome::PurgeRaced`],
    /// and the caller reads the tombstones again. A tenant with no tombstone
    /// has no guard: its put is the plain conditional put.
    pub async fn record_guarded(
        &self,
        milestone: &Milestone,
        arrival: Arrival,
        guard: Option<&PurgeGuard>,
    ) -> Result<PutOutcome, StorageError> {
        match (arrival, guard) {
            (Arrival::OnTime, None) => self.record_on_time(milestone).await,
            (Arrival::OnTime, Some(guard)) => {
                self.record_in_transaction(milestone, None, Some(guard))
                    .await
            }
            (Arrival::Late { at }, guard) => {
                self.record_in_transaction(milestone, Some(at), guard).await
            }
        }
    }

    async fn record_on_time(&self, milestone: &Milestone) -> Result<PutOutcome, StorageError> {
        let result = put_if_new!(
            self.client.put_item().table_name(&self.table_name),
            milestone
        )
        .send()
        .await;
        match result {
            Ok(_) => Ok(PutOutcome::Recorded),
            Err(SdkError::ServiceError(service_error)) => match service_error.into_err() {
                // Handled here so the failure's Debug form (which carries the old item) is never logged.
                PutItemError::ConditionalCheckFailedException(failure) => {
                    compare(milestone, failure.item)
                }
                other => Err(StorageError::dynamo("PutItem", other)),
            },
            Err(other) => Err(StorageError::dynamo("PutItem", other)),
        }
    }

    /// The put in one transaction with, for a late row (`late_at`), a bump of
    /// one of its day's version shards, and, for a guarded tenant, a check of
    /// each tombstone item record read.
    async fn record_in_transaction(
        &self,
        milestone: &Milestone,
        late_at: Option<DateTime<Utc>>,
        guard: Option<&PurgeGuard>,
    ) -> Result<PutOutcome, StorageError> {
        let day = milestone.occurred_at.instant().date_naive();
        let put = put_if_new!(Put::builder().table_name(&self.table_name), milestone)
            .build()
            .map_err(|e| StorageError::dynamo("TransactWriteItems", e))?;
        let checks = match guard {
            Some(guard) => guard.checks(&self.table_name)?,
            None => Vec::new(),
        };
        // The bump's time, until the shard turns out to hold a later one.
        let (put, checks) = (&put, &checks);
        let (_, written) = LATE_ROW_RETRIES
            .run(
                || false,
                late_at,
                |bump_at: Option<DateTime<Utc>>, _| async move {
                    let mut items = vec![TransactWriteItem::builder().put(put.clone()).build()];
                    if late_at.is_some() {
                        // A shard picked afresh on every try: concurrent late
                        // rows of the day spread over the shards, and a retry
                        // seldom meets its rival.
                        let shard = layout::shard_name(fastrand::u32(0..layout::VERSION_SHARDS));
                        let bump = layout::bump(bump_at, layout::version_expires_at(day));
                        let update = Update::builder()
                            .table_name(&self.table_name)
                            .set_key(Some(layout::day_version_key(day, &shard)))
                            .update_expression(bump.expression)
                            .set_condition_expression(bump.condition)
                            .set_expression_attribute_names(Some(bump.names))
                            .set_expression_attribute_values(Some(bump.values))
                            .build();
                        match update {
                            Ok(update) => {
                                items.push(TransactWriteItem::builder().update(update).build())
                            }
                            Err(error) => {
                                let error = StorageError::dynamo("TransactWriteItems", error);
                                return (bump_at, Try::Fail(error));
                            }
                        }
                    }
                    let first_check = items.len();
                    items.extend(
                        checks.iter().cloned().map(|check| {
                            TransactWriteItem::builder().condition_check(check).build()
                        }),
                    );
                    let result = self
                        .client
                        .transact_write_items()
                        .set_transact_items(Some(items))
                        .send()
                        .await;
                    let error = match result {
                        Ok(_) => return (bump_at, Try::Done(PutOutcome::Recorded)),
                        Err(error) => error,
                    };
                    let reasons = match error.as_service_error() {
                        Some(TransactWriteItemsError::TransactionCanceledException(c)) => {
                            c.cancellation_reasons().to_vec()
                        }
                        _ => Vec::new(),
                    };
                    let failed = |reason: &aws_sdk_dynamodb::types::CancellationReason| {
                        reason.code() == Some("ConditionalCheckFailed")
                    };
                    // The put's own condition failed: the key exists, and its
                    // old item (asked for with ALL_OLD) decides, as for an
                    // on-time put.
                    if let Some(put_reason) = reasons.first().filter(|reason| failed(reason)) {
                        let old = put_reason.item.clone().filter(|old| !old.is_empty());
                        let tried = match compare(milestone, old) {
                            Ok(outcome) => Try::Done(outcome),
                            Err(error) => Try::Fail(error),
                        };
                        return (bump_at, tried);
                    }
                    // A purge of the tenant or one of its people landed since
                    // record read its tombstones: nothing written; the
                    // caller reads again.
                    if reasons.iter().skip(first_check).any(failed) {
                        return (bump_at, Try::Done(PutOutcome::PurgeRaced));
                    }
                    // The shard was bumped later than this row's time: the
                    // bump goes again as the counter only (its time never
                    // goes back).
                    let bumped_later = late_at.is_some() && reasons.get(1).is_some_and(failed);
                    let transient = reasons.iter().any(|reason| {
                        reason
                            .code()
                            .is_some_and(|code| TRANSIENT_CANCELLATIONS.contains(&code))
                    });
                    let error = StorageError::dynamo("TransactWriteItems", error);
                    if bumped_later && bump_at.is_some() {
                        (None, Try::Again(error))
                    } else if transient {
                        (bump_at, Try::Again(error))
                    } else {
                        (bump_at, Try::Fail(error))
                    }
                },
            )
            .await;
        written.map_err(|gave_up| gave_up.error)
    }
}

/// Duplicate or conflict, by the fingerprint of the row that holds the key.
fn compare(milestone: &Milestone, old: Option<Item>) -> Result<PutOutcome, StorageError> {
    let old = old.ok_or(StorageError::MissingOldItem)?;
    Ok(
        if layout::stored_fingerprint(&old)? == milestone.fingerprint {
            PutOutcome::Duplicate
        } else {
            PutOutcome::Conflict {
                existing_event: layout::stored_event(&old),
            }
        },
    )
}
