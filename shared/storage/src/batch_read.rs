//! Reading items by key in batches: DynamoDB's BatchGetItem, 100 keys a
//! call, every unprocessed key retried with backoff, the consumed read
//! units summed.

use crate::error::StorageError;
use crate::layout::Item;
use crate::ledger::Ledger;
use aws_sdk_dynamodb::types::{KeysAndAttributes, ReturnConsumedCapacity};

/// DynamoDB's limit on keys per BatchGetItem call.
const MAX_BATCH_GET: usize = 100;

impl Ledger {
    /// Items by key, strongly consistent, every unprocessed key retried;
    /// with the read units DynamoDB reports as consumed.
    pub(crate) async fn batch_get(
        &self,
        keys: Vec<Item>,
    ) -> Result<(Vec<Item>, f64), StorageError> {
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
                    tokio::time::sleep(self.retry.delay(attempt)).await;
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
                if pending.is_some() && attempt >= self.retry.max_attempts {
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
}
