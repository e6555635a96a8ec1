//! Purge tombstones: writing them (and a tenant's people marker), reading
//! them for prune and for record, marking them done; and the projected
//! Queries of the table that prune and purge make (their roles may read
//! only the attributes those Queries name).

use crate::error::StorageError;
use crate::layout::{self, Item, attr, tombstone_attr};
use crate::ledger::Ledger;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use domain::{ActorId, PurgeScope, TenantId, Tombstone};

impl Ledger {
    /// Every tombstone, strongly consistent. An unreadable one is an error
    /// of its own, so the caller can count it and go on.
    pub async fn tombstones(&self) -> Result<Vec<Result<Tombstone, StorageError>>, StorageError> {
        let items = self
            .projected_query(layout::PURGE_PARTITION, &layout::TOMBSTONE_PROJECTION, None)
            .await?;
        Ok(items
            .iter()
            .filter(|item| !layout::is_people_marker(item))
            .map(|item| layout::tombstone_from_item(item).map_err(StorageError::from))
            .collect())
    }

    /// The tombstones that can cover a milestone of `tenant` by `actor` (the
    /// tenant's own and that person's), strongly consistent: what record
    /// reads before its put. One BatchGetItem: the tenant's tombstone, its
    /// people marker and, once the erasure keyring is loaded, the person's
    /// tombstone under every key. Only where the marker says someone of the
    /// tenant was erased and the keyring is not loaded yet, it is loaded and
    /// the person's tombstones read (once per process). An unreadable
    /// tombstone is an error: whether it covers the milestone cannot be told.
    pub async fn tombstones_covering(
        &self,
        tenant: &TenantId,
        actor: &ActorId,
    ) -> Result<Vec<Tombstone>, StorageError> {
        let persons = |keys: &domain::ErasureKeyring| -> Vec<Item> {
            PurgeScope::covering(tenant, actor, keys)
                .iter()
                .filter(|scope| scope.actor.is_some())
                .map(layout::tombstone_key)
                .collect()
        };
        let whole = layout::tombstone_key(&PurgeScope {
            tenant_id: tenant.clone(),
            actor: None,
        });
        let loaded = self.loaded_erasure_keys();
        let mut keys = vec![whole, layout::people_marker_key(tenant)];
        keys.extend(loaded.map(persons).unwrap_or_default());
        let (mut items, _) = self.batch_get_read(keys, true).await?;
        let marked = items.iter().any(layout::is_people_marker);
        if marked && loaded.is_none() {
            let keys = persons(self.erasure_keys().await?);
            items.extend(self.batch_get_read(keys, true).await?.0);
        }
        items
            .iter()
            .filter(|item| !layout::is_people_marker(item))
            .map(|item| layout::tombstone_from_item(item).map_err(StorageError::from))
            .collect()
    }

    /// Marks a tombstone's purge done (prune finished what a caller left).
    pub async fn mark_tombstone_done(
        &self,
        tombstone: &Tombstone,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.mark_done(&tombstone.scope, tombstone.purged_at, now)
            .await
    }

    /// Every item of `partition` with only the attributes `projection`
    /// names, strongly consistent, every page.
    pub(crate) async fn projected_query(
        &self,
        partition: &str,
        projection: &[&str],
        limit: Option<i32>,
    ) -> Result<Vec<Item>, StorageError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .projected_page(partition, projection, limit, start)
                .await?;
            items.extend(page.items().iter().cloned());
            match page.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => return Ok(items),
            }
        }
    }

    /// One page of `partition`, strongly consistent, asking for exactly the
    /// attributes `projection` names (`Select: SPECIFIC_ATTRIBUTES`): the
    /// roles of prune and purge may read no other (`dynamodb:Attributes`).
    pub(crate) async fn projected_page(
        &self,
        partition: &str,
        projection: &[&str],
        limit: Option<i32>,
        start: Option<Item>,
    ) -> Result<aws_sdk_dynamodb::operation::query::QueryOutput, StorageError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table_name)
            .key_condition_expression("#p0 = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
            .consistent_read(true)
            .select(aws_sdk_dynamodb::types::Select::SpecificAttributes)
            .set_limit(limit)
            .set_exclusive_start_key(start);
        let mut names = Vec::new();
        for (i, name) in std::iter::once(&attr::TENANT_ID)
            .chain(projection.iter().filter(|n| **n != attr::TENANT_ID))
            .enumerate()
        {
            let placeholder = format!("#p{i}");
            query = query.expression_attribute_names(&placeholder, *name);
            names.push(placeholder);
        }
        query
            .projection_expression(names.join(", "))
            .send()
            .await
            .map_err(|e| StorageError::dynamo("Query", e))
    }

    pub(crate) async fn write_tombstone(
        &self,
        scope: &PurgeScope,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        // Kept past the longest retention any stack can have, whatever this
        // one's is now: no milestone that occurred before the purge can be
        // recorded after that (record refuses rows older than the retention).
        let expires_at = Tombstone::expires_at(now).timestamp();
        self.client
            .update_item()
            .table_name(&self.table_name)
            .set_key(Some(layout::tombstone_key(scope)))
            .update_expression("SET #purged_at = :now, #expires = :expires REMOVE #done_at")
            .expression_attribute_names("#purged_at", tombstone_attr::PURGED_AT)
            .expression_attribute_names("#done_at", tombstone_attr::DONE_AT)
            .expression_attribute_names("#expires", attr::EXPIRES_AT)
            .expression_attribute_values(":now", AttributeValue::S(domain::format_millis(now)))
            .expression_attribute_values(":expires", AttributeValue::N(expires_at.to_string()))
            .send()
            .await
            .map_err(|e| StorageError::dynamo("UpdateItem", e))?;
        Ok(())
    }

    /// Marks `tenant` as one where some person was erased, for as long as
    /// that person's tombstone lives (a later erasure's lives longer; an
    /// earlier one's expiry is never written over a later one's).
    pub(crate) async fn mark_people_erased(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let expires_at = Tombstone::expires_at(now).timestamp();
        let result = self
            .client
            .update_item()
            .table_name(&self.table_name)
            .set_key(Some(layout::people_marker_key(tenant)))
            .update_expression("SET #expires = :expires")
            .condition_expression("attribute_not_exists(#expires) OR #expires < :expires")
            .expression_attribute_names("#expires", attr::EXPIRES_AT)
            .expression_attribute_values(":expires", AttributeValue::N(expires_at.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // A later erasure's mark is there already: it lives longer.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(error) => Err(StorageError::dynamo("UpdateItem", error)),
        }
    }

    /// Marks the tombstone's purge done, only if it is still the purge of
    /// `purged_at` (a later purge of the scope is not done yet).
    pub(crate) async fn mark_done(
        &self,
        scope: &PurgeScope,
        purged_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.client
            .update_item()
            .table_name(&self.table_name)
            .set_key(Some(layout::tombstone_key(scope)))
            .update_expression("SET #done_at = :now")
            .condition_expression("#purged_at = :purged_at")
            .expression_attribute_names("#done_at", tombstone_attr::DONE_AT)
            .expression_attribute_names("#purged_at", tombstone_attr::PURGED_AT)
            .expression_attribute_values(":now", AttributeValue::S(domain::format_millis(now)))
            .expression_attribute_values(
                ":purged_at",
                AttributeValue::S(domain::format_millis(purged_at)),
            )
            .send()
            .await
            .map_err(|e| StorageError::dynamo("UpdateItem", e))?;
        Ok(())
    }

    /// Every item of a bookkeeping partition, strongly consistent (for
    /// tests and tools that look at bookkeeping items whole).
    #[cfg(any(test, feature = "testing"))]
    pub(crate) async fn bookkeeping_items(
        &self,
        partition: &str,
    ) -> Result<Vec<Item>, StorageError> {
        self.client
            .query()
            .table_name(&self.table_name)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", attr::TENANT_ID)
            .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<Item>, _>>()
            .await
            .map_err(|e| StorageError::dynamo("Query", e))
    }
}
