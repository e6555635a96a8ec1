//! Recording a milestone: one conditional put, idempotent on (tenant, event id).

use crate::error::StorageError;
use crate::layout::{self, attr};
use crate::ledger::Ledger;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use domain::Milestone;

/// What a conditional put did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// A new row was written.
    Recorded,
    /// A row with this key and the same fingerprint already exists; nothing was written.
    Duplicate,
    /// A row with this key but different content exists; nothing was written.
    Conflict,
}

impl Ledger {
    /// Writes the milestone, with its TTL from the ledger's retention, unless
    /// its key exists. On a key clash DynamoDB returns the existing item with
    /// the failure (no second read), and its fingerprint decides duplicate
    /// versus conflict.
    pub async fn record(&self, milestone: &Milestone) -> Result<PutOutcome, StorageError> {
        self.record_at(milestone, chrono::Utc::now()).await
    }

    /// As [`Ledger::record`], with the caller's clock deciding whether the
    /// row is late: a row whose UTC day is before `now`'s may fall on a day
    /// that is already rolled up, so its put bumps the day's version in the
    /// same transaction, and every roll-up of the day becomes stale at once.
    /// On-time rows stay one conditional put.
    pub async fn record_at(
        &self,
        milestone: &Milestone,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<PutOutcome, StorageError> {
        let day = milestone.occurred_at.instant().date_naive();
        if day < now.date_naive() {
            return self.record_late(milestone, day, now).await;
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table_name)
            .set_item(Some(layout::encode(milestone, self.retention)))
            .condition_expression("attribute_not_exists(#sort_key)")
            .expression_attribute_names("#sort_key", attr::EVENT_KEY)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(PutOutcome::Recorded),
            Err(SdkError::ServiceError(service_error)) => match service_error.into_err() {
                // Handled here so the failure's Debug form (which carries the old item) is never logged.
                PutItemError::ConditionalCheckFailedException(failure) => {
                    let old = failure.item.ok_or(StorageError::MissingOldItem)?;
                    let stored = layout::stored_fingerprint(&old)?;
                    Ok(if stored == milestone.fingerprint {
                        PutOutcome::Duplicate
                    } else {
                        PutOutcome::Conflict
                    })
                }
                other => Err(StorageError::dynamo("PutItem", other)),
            },
            Err(other) => Err(StorageError::dynamo("PutItem", other)),
        }
    }

    async fn record_late(
        &self,
        milestone: &Milestone,
        day: chrono::NaiveDate,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<PutOutcome, StorageError> {
        use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
        let put = Put::builder()
            .table_name(&self.table_name)
            .set_item(Some(layout::encode(milestone, self.retention)))
            .condition_expression("attribute_not_exists(#sort_key)")
            .expression_attribute_names("#sort_key", attr::EVENT_KEY)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| StorageError::dynamo("TransactWriteItems", e))?;
        let bump = Update::builder()
            .table_name(&self.table_name)
            .set_key(Some(layout::day_version_key(day)))
            .update_expression("ADD #version :one SET #bumped_at = :now")
            .expression_attribute_names("#version", layout::rollup_attr::VERSION)
            .expression_attribute_names("#bumped_at", layout::rollup_attr::BUMPED_AT)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":now", AttributeValue::S(domain::format_millis(now)))
            .build()
            .map_err(|e| StorageError::dynamo("TransactWriteItems", e))?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().update(bump).build())
            .send()
            .await;
        let error = match result {
            Ok(_) => return Ok(PutOutcome::Recorded),
            Err(error) => error,
        };
        // The put's own condition failed: the key exists. Its old item (asked
        // for with ALL_OLD) decides duplicate or conflict, as for an on-time put.
        let old = error
            .as_service_error()
            .and_then(|e| match e {
                aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => {
                    c.cancellation_reasons().first().cloned()
                }
                _ => None,
            })
            .filter(|reason| reason.code() == Some("ConditionalCheckFailed"))
            .map(|reason| reason.item.unwrap_or_default());
        match old {
            Some(old) if !old.is_empty() => {
                let stored = layout::stored_fingerprint(&old)?;
                Ok(if stored == milestone.fingerprint {
                    PutOutcome::Duplicate
                } else {
                    PutOutcome::Conflict
                })
            }
            Some(_) => Err(StorageError::MissingOldItem),
            None => Err(StorageError::dynamo("TransactWriteItems", error)),
        }
    }
}
