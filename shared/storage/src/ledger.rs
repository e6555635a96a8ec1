//! Operations on the ledger table.

use crate::error::StorageError;
use crate::layout::{self, IndexRow, Item, LedgerRow, TIME_INDEX, attr};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnConsumedCapacity, ReturnValuesOnConditionCheckFailure,
};
use chrono::{DateTime, NaiveDate, Utc};

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

/// Tuning for index reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryOptions {
    /// Items per page (DynamoDB's `Limit`); `None` means up to 1 MB pages.
    pub page_limit: Option<i32>,
}

/// Everything one (day, shard) partition read returned, with its cost.
#[derive(Debug, Default)]
pub struct PartitionRead {
    pub rows: Vec<IndexRow>,
    /// Query calls made (pages).
    pub pages: u32,
    /// Read capacity units DynamoDB reports as consumed.
    pub consumed_capacity: f64,
}

/// The ledger table, addressed by name from configuration.
#[derive(Debug, Clone)]
pub struct Ledger {
    client: Client,
    table_name: String,
}

impl Ledger {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table_name: table_name.into(),
        }
    }

    pub fn table_name(&self) -> &str {
        &self.table_name
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Writes the row unless its key exists. On a key clash DynamoDB returns
    /// the existing item with the failure (no second read), and its
    /// fingerprint decides duplicate versus conflict.
    pub async fn put(&self, row: &LedgerRow) -> Result<PutOutcome, StorageError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table_name)
            .set_item(Some(row.to_item()))
            .condition_expression("attribute_not_exists(#event_id)")
            .expression_attribute_names("#event_id", attr::EVENT_ID)
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
                    Ok(if stored == row.milestone.fingerprint {
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

    /// Reads one (day, shard) partition of the time index for `from <= occurred_at < to`,
    /// following pagination to the end. Eventually consistent, as GSIs always are.
    pub async fn query_partition(
        &self,
        day: NaiveDate,
        shard: u8,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        options: QueryOptions,
    ) -> Result<PartitionRead, StorageError> {
        let mut read = PartitionRead::default();
        let mut start_key: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table_name)
                .index_name(TIME_INDEX)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#pk", attr::DAY_SHARD)
                .expression_attribute_names("#sk", attr::TIME_KEY)
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(layout::day_shard_key(day, shard)),
                )
                .expression_attribute_values(":from", AttributeValue::S(layout::time_bound(from)))
                .expression_attribute_values(":to", AttributeValue::S(layout::time_bound(to)))
                .set_limit(options.page_limit)
                .set_exclusive_start_key(start_key.take())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| StorageError::dynamo("Query", e))?;
            read.pages += 1;
            read.consumed_capacity += page
                .consumed_capacity()
                .and_then(|c| c.capacity_units())
                .unwrap_or(0.0);
            for item in page.items() {
                read.rows.push(IndexRow::from_item(item)?);
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start_key = Some(key),
                _ => return Ok(read),
            }
        }
    }
}
