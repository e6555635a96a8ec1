//! Reading items by key in batches: DynamoDB's BatchGetItem, 100 keys a
//! call, every unprocessed key retried with backoff, the consumed read
//! units summed.

use crate::error::StorageError;
use crate::layout::Item;
use crate::ledger::Ledger;
use crate::retry::Try;
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
            let pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(consistent)
                    .build()
                    .map_err(|e| StorageError::dynamo("BatchGetItem", e))?,
            );
            // Keys left unprocessed are worth another attempt; an error is
            // not (the SDK retried it already). The state carries what is
            // still pending and what the attempts so far read.
            let ((left, read, units), outcome) = self
                .retry
                .run(
                    || false,
                    (pending, Vec::new(), 0.0),
                    |(pending, mut read, mut units): (
                        Option<KeysAndAttributes>,
                        Vec<Item>,
                        f64,
                    ),
                     _| async move {
                        let Some(request) = pending else {
                            return ((None, read, units), Try::Done(()));
                        };
                        let sent = self
                            .client
                            .batch_get_item()
                            .request_items(&self.table_name, request.clone())
                            .return_consumed_capacity(ReturnConsumedCapacity::Total)
                            .send()
                            .await;
                        let output = match sent {
                            Ok(output) => output,
                            Err(error) => {
                                let error = StorageError::dynamo("BatchGetItem", error);
                                return ((Some(request), read, units), Try::Fail(Some(error)));
                            }
                        };
                        units += output
                            .consumed_capacity()
                            .iter()
                            .filter_map(|c| c.capacity_units())
                            .sum::<f64>();
                        if let Some(mut responses) = output.responses {
                            read.extend(responses.remove(&self.table_name).unwrap_or_default());
                        }
                        let left = output
                            .unprocessed_keys
                            .and_then(|mut left| left.remove(&self.table_name))
                            .filter(|left| !left.keys().is_empty());
                        let tried = if left.is_some() {
                            Try::Again(None)
                        } else {
                            Try::Done(())
                        };
                        ((left, read, units), tried)
                    },
                )
                .await;
            found.extend(read);
            consumed += units;
            if let Err(gave_up) = outcome {
                return Err(gave_up.error.unwrap_or(StorageError::BatchIncomplete {
                    left: left.map(|p| p.keys().len()).unwrap_or_default(),
                    attempts: gave_up.attempts,
                    source: None,
                }));
            }
        }
        Ok((found, consumed))
    }
}
