//! The roll-up bookkeeping partitions as a whole: their keys, the bumps of
//! a day's version, and the writer's deletion of the roll-ups of days
//! outside the retention.

use crate::error::{StorageError, condition_failed};
use crate::layout::{self, Item};
use crate::ledger::Ledger;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};

impl Ledger {
    /// Bumps the version of `day` outside any transaction (one of its
    /// shards), so every roll-up of the day and of its hours is stale from
    /// now on.
    pub(crate) async fn bump_day(&self, day: NaiveDate) -> Result<(), StorageError> {
        let shard = layout::shard_name(fastrand::u32(0..layout::VERSION_SHARDS));
        // When the bump happens, not when the run started: the writer leaves
        // the day alone for SETTLE from this instant.
        self.bump_shard(day, &shard, domain::now_millis()).await
    }

    /// Bumps `shard` of `day` at `at`, or, when the shard holds a later
    /// `bumped_at`, its counter only (`layout::bump`).
    pub(crate) async fn bump_shard(
        &self,
        day: NaiveDate,
        shard: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let mut at = Some(at);
        loop {
            let bump = layout::bump(at, layout::version_expires_at(day));
            let result = self
                .client
                .update_item()
                .table_name(&self.table_name)
                .set_key(Some(layout::day_version_key(day, shard)))
                .update_expression(bump.expression)
                .set_condition_expression(bump.condition)
                .set_expression_attribute_names(Some(bump.names))
                .set_expression_attribute_values(Some(bump.values))
                .send()
                .await;
            match result {
                Ok(_) => return Ok(()),
                Err(error) if at.is_some() && condition_failed(&error) => at = None,
                Err(error) => return Err(StorageError::dynamo("UpdateItem", error)),
            }
        }
    }

    /// Deletes the roll-up items (heads and chunks) of every day before
    /// `first_kept`, and says how many it deleted; the next run retries what
    /// failed. The days' versions stay (see `layout::EXPIRING_BOOKKEEPING`).
    pub async fn delete_bookkeeping_before(
        &self,
        first_kept: NaiveDate,
    ) -> Result<u32, StorageError> {
        let bound = layout::bookkeeping_before(first_kept);
        let mut deleted = 0;
        let mut failed = None;
        for key in self
            .bookkeeping_keys(layout::EXPIRING_BOOKKEEPING, Some(&bound))
            .await?
        {
            match self.delete_key(key).await {
                Ok(()) => deleted += 1,
                Err(error) => {
                    failed.get_or_insert(error);
                }
            }
        }
        match failed {
            Some(error) => Err(error),
            None => Ok(deleted),
        }
    }

    /// The keys of one bookkeeping partition's items, all of them or those
    /// whose sort key is below `below`, strongly consistent, paginated.
    pub(crate) async fn bookkeeping_keys(
        &self,
        partition: &str,
        below: Option<&str>,
    ) -> Result<Vec<Item>, StorageError> {
        let query = self
            .client
            .query()
            .table_name(&self.table_name)
            .expression_attribute_names("#pk", layout::attr::TENANT_ID)
            .expression_attribute_names("#sk", layout::attr::EVENT_KEY)
            .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
            .projection_expression("#pk, #sk")
            .consistent_read(true);
        let query = match below {
            Some(bound) => query
                .key_condition_expression("#pk = :pk AND #sk < :bound")
                .expression_attribute_values(":bound", AttributeValue::S(bound.to_owned())),
            None => query.key_condition_expression("#pk = :pk"),
        };
        // The SDK's paginator follows LastEvaluatedKey to the end.
        query
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<Item>, _>>()
            .await
            .map_err(|e| StorageError::dynamo("Query", e))
    }
}
