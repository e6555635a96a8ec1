//! Purge tombstones: writing them (and a tenant's people marker), reading
//! them for prune and for record, marking them done; and the projected
//! Queries of the table that prune and purge make (their roles may read
//! only the attributes those Queries name).

use crate::error::{StorageError, condition_failed};
use crate::layout::{self, Item, StoredTombstone, attr, tombstone_attr};
use crate::ledger::Ledger;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use domain::{ActorId, ErasureKeyring, KeyId, PurgeScope, TenantId, Tombstone};
use std::sync::Arc;

/// What record read of a tenant's tombstones: the ones that can cover the
/// milestone, and the guard its put carries.
#[derive(Debug, Clone)]
pub struct Covering {
    pub tombstones: Vec<Tombstone>,
    /// Some where the tenant has a tombstone or an erased person.
    pub guard: Option<PurgeGuard>,
}

/// The state of a tenant's tombstone items as record read them: the
/// tenant's own tombstone (its purge time), its people marker (its count of
/// erasures) and the person's own tombstones under each key, each possibly
/// absent. The put checks them all in its transaction: a purge since changes
/// one of them (the marker's count is raised after the person's tombstone is
/// written, so even a read that saw the one and not the other is caught).
#[derive(Debug, Clone, PartialEq)]
pub struct PurgeGuard {
    tenant: TenantId,
    purged_at: Option<AttributeValue>,
    erasures: Option<AttributeValue>,
    /// Each of the person's tombstone keys read, with its purge time (or none).
    persons: Vec<(Item, Option<AttributeValue>)>,
}

impl PurgeGuard {
    /// The transaction's checks: each item as read (or still absent).
    pub(crate) fn checks(
        &self,
        table: &str,
    ) -> Result<Vec<aws_sdk_dynamodb::types::ConditionCheck>, StorageError> {
        let whole = layout::tombstone_key(&PurgeScope {
            tenant_id: self.tenant.clone(),
            actor: None,
        });
        let persons = self
            .persons
            .iter()
            .map(|(key, read)| (key.clone(), tombstone_attr::PURGED_AT, read));
        [
            (whole, tombstone_attr::PURGED_AT, &self.purged_at),
            (
                layout::people_marker_key(&self.tenant),
                tombstone_attr::ERASURES,
                &self.erasures,
            ),
        ]
        .into_iter()
        .chain(persons)
        .map(|(key, name, read)| {
            let check = aws_sdk_dynamodb::types::ConditionCheck::builder()
                .table_name(table)
                .set_key(Some(key))
                .expression_attribute_names("#a", name);
            match read {
                Some(value) => check
                    .condition_expression("#a = :read")
                    .expression_attribute_values(":read", value.clone()),
                None => check.condition_expression("attribute_not_exists(#a)"),
            }
            .build()
            .map_err(|e| StorageError::dynamo("TransactWriteItems", e))
        })
        .collect()
    }
}

impl Ledger {
    /// Every tombstone, strongly consistent. An unreadable one is an error
    /// of its own, so the caller can count it and go on.
    pub async fn tombstones(&self) -> Result<Vec<Result<Tombstone, StorageError>>, StorageError> {
        Ok(self
            .stored_tombstones()
            .await?
            .into_iter()
            .map(|stored| stored.map(|stored| stored.tombstone))
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
    ///
    /// With them, the guard of a tenant that has either item: what the put
    /// must find unchanged ([`Ledger::record_guarded`]).
    pub async fn tombstones_covering(
        &self,
        tenant: &TenantId,
        actor: &ActorId,
    ) -> Result<Covering, StorageError> {
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
        let mut keys = vec![whole.clone(), layout::people_marker_key(tenant)];
        keys.extend(loaded.as_deref().map(persons).unwrap_or_default());
        let (mut items, _) = self.batch_get_read(keys, true).await?;
        let marker = items
            .iter()
            .find(|item| layout::is_people_marker(item))
            .cloned();
        // The person's tombstone keys the guard holds to (under the keyring
        // judged with), when the tenant has erased people.
        let mut person_keys = Vec::new();
        if let Some(marker) = &marker {
            // Every key the tenant's people's tombstones were made with must
            // be at hand: a key this process does not hold (a rotation since
            // it loaded the keyring) means loading it again, once. A key
            // still missing after that was retired (its tombstones expired,
            // as the runbook asks): not asked for again in this process.
            let needed: Vec<KeyId> = layout::marker_key_ids(marker)
                .into_iter()
                .filter(|id| !self.retired_erasure_key(id))
                .collect();
            let mut keyring = match loaded.clone() {
                Some(keyring) => keyring,
                None => self.erasure_keys().await?,
            };
            if let Some(missing) = needed.iter().find(|id| !keyring.has(id)) {
                keyring = self.reload_erasure_keys(missing).await?;
                for missing in needed.iter().filter(|id| !keyring.has(id)) {
                    tracing::warn!(
                        key = missing.as_str(),
                        "record: a tenant's people marker names an erasure key the keyring no longer has (retired before the marker expired?)"
                    );
                    self.retire_erasure_key(missing);
                }
            }
            if loaded
                .as_ref()
                .is_none_or(|old| !Arc::ptr_eq(old, &keyring))
            {
                items.extend(self.batch_get_read(persons(&keyring), true).await?.0);
            }
            person_keys = persons(&keyring);
        }
        let tenant_tombstone = items
            .iter()
            .find(|item| layout::table_key(item).as_ref() == Some(&whole));
        let guard = (tenant_tombstone.is_some() || marker.is_some()).then(|| PurgeGuard {
            tenant: tenant.clone(),
            purged_at: tenant_tombstone
                .and_then(|item| item.get(tombstone_attr::PURGED_AT))
                .cloned(),
            erasures: marker
                .as_ref()
                .and_then(|item| item.get(tombstone_attr::ERASURES))
                .cloned(),
            persons: person_keys
                .into_iter()
                .map(|key| {
                    let read = items
                        .iter()
                        .find(|item| layout::table_key(item).as_ref() == Some(&key))
                        .and_then(|item| item.get(tombstone_attr::PURGED_AT))
                        .cloned();
                    (key, read)
                })
                .collect(),
        });
        let tombstones = items
            .iter()
            .filter(|item| layout::is_tombstone(item))
            .map(|item| layout::tombstone_from_item(item).map_err(StorageError::from))
            .collect::<Result<_, _>>()?;
        Ok(Covering { tombstones, guard })
    }

    /// Refuses a keyring whose material under some id is not what that id's
    /// tombstones were made with: each key's stored check value (written
    /// when a purge first used it) must be the keyring's. A key never used
    /// has no check value yet, and nothing to contradict.
    pub(crate) async fn check_erasure_keys(
        &self,
        keyring: &ErasureKeyring,
    ) -> Result<(), StorageError> {
        let keys = keyring.ids().map(layout::key_check_key).collect();
        let (items, _) = self.batch_get_read(keys, true).await?;
        for item in &items {
            let Some((id, stored)) = layout::key_check_of(item) else {
                continue;
            };
            let id = KeyId::parse(&id).ok_or_else(|| {
                StorageError::from(crate::error::ItemError::Invalid {
                    attribute: attr::EVENT_KEY,
                    reason: "not a key id".into(),
                })
            })?;
            if stored.is_none() || stored != keyring.check_value(&id) {
                return Err(StorageError::KeyMismatch(id));
            }
        }
        Ok(())
    }

    /// Stores the current key's check value when a purge first uses it, or
    /// checks it against the one stored: a purge never writes a tombstone
    /// under material that differs from the id's earlier tombstones.
    pub(crate) async fn ensure_key_check(
        &self,
        keyring: &ErasureKeyring,
    ) -> Result<(), StorageError> {
        let id = keyring.current();
        let check = keyring.check_value(id).ok_or(StorageError::NoErasureKeys)?;
        let stored = self
            .client
            .update_item()
            .table_name(&self.table_name)
            .set_key(Some(layout::key_check_key(id)))
            .update_expression("SET #check = if_not_exists(#check, :check)")
            .expression_attribute_names("#check", tombstone_attr::CHECK)
            .expression_attribute_values(":check", AttributeValue::S(check.clone()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| StorageError::dynamo("UpdateItem", e))?;
        let stored = stored
            .attributes
            .as_ref()
            .and_then(|item| item.get(tombstone_attr::CHECK))
            .and_then(|v| v.as_s().ok());
        if stored != Some(&check) {
            return Err(StorageError::KeyMismatch(id.clone()));
        }
        Ok(())
    }

    /// Every tombstone with prune's walk cursor, strongly consistent.
    pub(crate) async fn stored_tombstones(
        &self,
    ) -> Result<Vec<Result<StoredTombstone, StorageError>>, StorageError> {
        let items = self
            .projected_query(layout::PURGE_PARTITION, &layout::TOMBSTONE_PROJECTION, None)
            .await?;
        Ok(items
            .iter()
            .filter(|item| layout::is_tombstone(item))
            .map(|item| layout::stored_tombstone_from_item(item).map_err(StorageError::from))
            .collect())
    }

    /// Keeps where a walk of the tombstone's scope stopped (`attribute`: the
    /// purge's [`tombstone_attr::CURSOR`] or prune's
    /// [`tombstone_attr::WALK_CURSOR`]), and for prune when it walked: only
    /// while the tombstone is still the purge of `purged_at` (a later purge
    /// starts its walks over).
    pub(crate) async fn keep_cursor(
        &self,
        (scope, purged_at): (&PurgeScope, DateTime<Utc>),
        attribute: &'static str,
        cursor: Option<&str>,
        walked_at: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError> {
        let mut sets = Vec::new();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table_name)
            .set_key(Some(layout::tombstone_key(scope)))
            .condition_expression("#purged_at = :purged_at")
            .expression_attribute_names("#purged_at", tombstone_attr::PURGED_AT)
            .expression_attribute_names("#cursor", attribute)
            .expression_attribute_values(
                ":purged_at",
                AttributeValue::S(domain::format_millis(purged_at)),
            );
        if let Some(cursor) = cursor {
            sets.push("#cursor = :cursor");
            update =
                update.expression_attribute_values(":cursor", AttributeValue::S(cursor.to_owned()));
        }
        if let Some(at) = walked_at {
            sets.push("#walked_at = :walked_at");
            update = update
                .expression_attribute_names("#walked_at", tombstone_attr::WALKED_AT)
                .expression_attribute_values(
                    ":walked_at",
                    AttributeValue::S(domain::format_millis(at)),
                );
        }
        let mut expression = String::new();
        if !sets.is_empty() {
            expression = format!("SET {}", sets.join(", "));
        }
        if cursor.is_none() {
            expression.push_str(" REMOVE #cursor");
        }
        let result = update.update_expression(expression.trim()).send().await;
        ignore_a_later_purge(result)
    }

    /// Closes a tombstone: prune's walk of it finished after it settled, so
    /// no row it covers is left and no walk is needed again. Its purge is
    /// done too (prune finished what a caller left).
    pub(crate) async fn close_tombstone(
        &self,
        tombstone: &Tombstone,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let now = AttributeValue::S(domain::format_millis(now));
        let result = self
            .client
            .update_item()
            .table_name(&self.table_name)
            .set_key(Some(layout::tombstone_key(&tombstone.scope)))
            .update_expression(
                "SET #closed_at = :now, #walked_at = :now, #done_at = if_not_exists(#done_at, :now) REMOVE #cursor, #walk_cursor",
            )
            .condition_expression("#purged_at = :purged_at")
            .expression_attribute_names("#closed_at", tombstone_attr::CLOSED_AT)
            .expression_attribute_names("#walked_at", tombstone_attr::WALKED_AT)
            .expression_attribute_names("#done_at", tombstone_attr::DONE_AT)
            .expression_attribute_names("#cursor", tombstone_attr::CURSOR)
            .expression_attribute_names("#walk_cursor", tombstone_attr::WALK_CURSOR)
            .expression_attribute_names("#purged_at", tombstone_attr::PURGED_AT)
            .expression_attribute_values(":now", now)
            .expression_attribute_values(
                ":purged_at",
                AttributeValue::S(domain::format_millis(tombstone.purged_at)),
            )
            .send()
            .await;
        ignore_a_later_purge(result)
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

    /// The tombstone of a purge invoked at `now`: an unfinished purge of the
    /// scope continues (its time and where its walk stopped are kept, so the
    /// rows before that point are the ones it already took); otherwise a new
    /// purge starts at `now`. Returns the purge's time and where to resume.
    pub(crate) async fn open_tombstone(
        &self,
        scope: &PurgeScope,
        now: DateTime<Utc>,
    ) -> Result<(DateTime<Utc>, Option<String>), StorageError> {
        let resumed = self
            .client
            .update_item()
            .table_name(&self.table_name)
            .set_key(Some(layout::tombstone_key(scope)))
            .update_expression("SET #purged_at = #purged_at")
            .condition_expression("attribute_exists(#purged_at) AND attribute_not_exists(#done_at)")
            .expression_attribute_names("#purged_at", tombstone_attr::PURGED_AT)
            .expression_attribute_names("#done_at", tombstone_attr::DONE_AT)
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match resumed {
            Ok(output) => {
                let item = output.attributes.unwrap_or_default();
                let tombstone = layout::tombstone_from_item(&{
                    let mut keyed = item.clone();
                    keyed.extend(layout::tombstone_key(scope));
                    keyed
                })?;
                Ok((
                    tombstone.purged_at,
                    layout::optional_s(&item, tombstone_attr::CURSOR)?,
                ))
            }
            Err(error) if condition_failed(&error) => {
                self.write_tombstone(scope, now).await?;
                Ok((now, None))
            }
            Err(error) => Err(StorageError::dynamo("UpdateItem", error)),
        }
    }

    /// Writes the tombstone of a purge at `purged_at`, open and with no walk
    /// yet (a new purge, or one written back from the erasure log).
    pub(crate) async fn write_tombstone(
        &self,
        scope: &PurgeScope,
        purged_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        // Kept past the longest retention any stack can have, whatever this
        // one's is now: no milestone that occurred before the purge can be
        // recorded after that (record refuses rows older than the retention).
        let expires_at = Tombstone::expires_at(purged_at).timestamp();
        self.client
            .update_item()
            .table_name(&self.table_name)
            .set_key(Some(layout::tombstone_key(scope)))
            .update_expression(
                "SET #purged_at = :now, #expires = :expires REMOVE #done_at, #closed_at, #walked_at, #walk_cursor, #cursor",
            )
            .expression_attribute_names("#purged_at", tombstone_attr::PURGED_AT)
            .expression_attribute_names("#done_at", tombstone_attr::DONE_AT)
            .expression_attribute_names("#closed_at", tombstone_attr::CLOSED_AT)
            .expression_attribute_names("#walked_at", tombstone_attr::WALKED_AT)
            .expression_attribute_names("#walk_cursor", tombstone_attr::WALK_CURSOR)
            .expression_attribute_names("#cursor", tombstone_attr::CURSOR)
            .expression_attribute_names("#expires", attr::EXPIRES_AT)
            .expression_attribute_values(":now", AttributeValue::S(domain::format_millis(purged_at)))
            .expression_attribute_values(":expires", AttributeValue::N(expires_at.to_string()))
            .send()
            .await
            .map_err(|e| StorageError::dynamo("UpdateItem", e))?;
        Ok(())
    }

    /// Marks `tenant` as one where some person was erased, for as long as
    /// that person's tombstone lives (a later erasure's lives longer; an
    /// earlier one's expiry is never written over a later one's), naming the
    /// key the tombstone is made with. Written before the tombstone: a record
    /// that reads no marker reads no tombstone of the tenant's people either.
    pub(crate) async fn mark_people_erased(
        &self,
        tenant: &TenantId,
        key: &KeyId,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let expires_at = Tombstone::expires_at(now).timestamp();
        let key = AttributeValue::Ss(vec![key.as_str().to_owned()]);
        let result = self
            .client
            .update_item()
            .table_name(&self.table_name)
            .set_key(Some(layout::people_marker_key(tenant)))
            .update_expression("SET #expires = :expires ADD #keys :key")
            .condition_expression("attribute_not_exists(#expires) OR #expires < :expires")
            .expression_attribute_names("#expires", attr::EXPIRES_AT)
            .expression_attribute_names("#keys", tombstone_attr::KEYS)
            .expression_attribute_values(":expires", AttributeValue::N(expires_at.to_string()))
            .expression_attribute_values(":key", key.clone())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // A later erasure's mark is there already (it lives longer):
            // name this key all the same.
            Err(error) if condition_failed(&error) => {
                self.client
                    .update_item()
                    .table_name(&self.table_name)
                    .set_key(Some(layout::people_marker_key(tenant)))
                    .update_expression("ADD #keys :key")
                    .expression_attribute_names("#keys", tombstone_attr::KEYS)
                    .expression_attribute_values(":key", key)
                    .send()
                    .await
                    .map_err(|e| StorageError::dynamo("UpdateItem", e))?;
                Ok(())
            }
            Err(error) => Err(StorageError::dynamo("UpdateItem", error)),
        }
    }

    /// Counts one more erasure of the tenant's people, after its tombstone
    /// is written: a record that read the marker before puts only if the
    /// count is still what it read.
    pub(crate) async fn count_erasure(&self, tenant: &TenantId) -> Result<(), StorageError> {
        self.client
            .update_item()
            .table_name(&self.table_name)
            .set_key(Some(layout::people_marker_key(tenant)))
            .update_expression("ADD #erasures :one")
            .expression_attribute_names("#erasures", tombstone_attr::ERASURES)
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .send()
            .await
            .map_err(|e| StorageError::dynamo("UpdateItem", e))?;
        Ok(())
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
            .update_expression("SET #done_at = :now REMOVE #cursor")
            .condition_expression("#purged_at = :purged_at")
            .expression_attribute_names("#done_at", tombstone_attr::DONE_AT)
            .expression_attribute_names("#cursor", tombstone_attr::CURSOR)
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

/// An update conditional on the tombstone still being the same purge: a
/// later purge of the scope (its condition failed) owns the walks now.
fn ignore_a_later_purge(
    result: Result<
        aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
        aws_sdk_dynamodb::error::SdkError<
            aws_sdk_dynamodb::operation::update_item::UpdateItemError,
        >,
    >,
) -> Result<(), StorageError> {
    match result {
        Ok(_) => Ok(()),
        Err(error) if condition_failed(&error) => Ok(()),
        Err(error) => Err(StorageError::dynamo("UpdateItem", error)),
    }
}
