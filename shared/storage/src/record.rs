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
}
