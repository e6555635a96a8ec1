//! The erasure log: every purge's tombstone, also kept in a table of its
//! own (the template's `ErasureLogTable`), which a point-in-time restore of
//! the ledger table does not reach. Purge writes each entry; the first prune
//! on a restored table writes back every erasure the table lacks.

use crate::error::StorageError;
use crate::layout::{self, Item, attr};
use crate::ledger::Ledger;
use chrono::{DateTime, Utc};
use domain::{PurgeScope, Tombstone};

/// What writing back the erasure log did.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LogReapplied {
    /// Erasures the table lacked, written back.
    pub written_back: u32,
    /// Log entries that could not be read (counted as failures).
    pub unreadable: u32,
}

impl Ledger {
    /// Writes a purge's entry in the erasure log (where the stack has one),
    /// before its tombstone: the log outlives a restore of the ledger table.
    pub(crate) async fn log_erasure(
        &self,
        scope: &PurgeScope,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let Some(log) = &self.erasure_log else {
            return Ok(());
        };
        self.client
            .put_item()
            .table_name(log)
            .set_item(Some(layout::log_item(scope, now)))
            .send()
            .await
            .map_err(|e| StorageError::dynamo("PutItem", e))?;
        Ok(())
    }

    /// Writes back every erasure of the log that the ledger table lacks (a
    /// tombstone missing, or older than the log's): after a restore to a
    /// point before them. Each comes back open, its purge's time kept, so
    /// the same run's closing walk erases the rows the restore brought back.
    /// Returns how many it wrote back.
    pub(crate) async fn reapply_erasure_log(
        &self,
        now: DateTime<Utc>,
    ) -> Result<LogReapplied, StorageError> {
        let mut done = LogReapplied::default();
        let Some(log) = &self.erasure_log else {
            return Ok(done);
        };
        // The table's tombstones by their sort key, readable or not: an
        // unreadable one is never written over from the log. A failed read
        // is an error, never "no tombstones" (that would reopen them all).
        let held: std::collections::HashMap<String, Option<DateTime<Utc>>> = self
            .projected_query(layout::PURGE_PARTITION, &layout::TOMBSTONE_PROJECTION, None)
            .await?
            .iter()
            .filter(|item| layout::is_tombstone(item))
            .filter_map(|item| {
                let sort = item.get(attr::EVENT_KEY)?.as_s().ok()?.clone();
                Some((
                    sort,
                    layout::tombstone_from_item(item).ok().map(|t| t.purged_at),
                ))
            })
            .collect();
        let entries = self
            .client
            .scan()
            .table_name(log)
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<Item>, _>>()
            .await
            .map_err(|e| StorageError::dynamo("Scan", e))?;
        for entry in &entries {
            // One entry it cannot read is counted; the others still go back.
            let Ok(logged) = layout::tombstone_from_log_item(entry) else {
                done.unreadable += 1;
                continue;
            };
            // Past its life (TTL deletes log entries and tombstones on its
            // own schedule): nothing it covers is inside any retention now.
            if Tombstone::expires_at(logged.purged_at) <= now {
                continue;
            }
            let sort = layout::cursor_of(&layout::tombstone_key(&logged.scope)).unwrap_or_default();
            match held.get(&sort) {
                // As late as the log's, or unreadable: left as it is.
                Some(Some(purged_at)) if *purged_at >= logged.purged_at => continue,
                Some(None) => continue,
                _ => {}
            }
            if let Some(digest) = &logged.scope.actor {
                self.mark_people_erased(&logged.scope.tenant_id, digest.key(), logged.purged_at)
                    .await?;
            }
            self.write_tombstone(&logged.scope, logged.purged_at)
                .await?;
            if logged.scope.actor.is_some() {
                self.count_erasure(&logged.scope.tenant_id).await?;
            }
            done.written_back += 1;
        }
        Ok(done)
    }
}
