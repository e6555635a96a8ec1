//! The ledger table, addressed by name.

use crate::erasure_keys::ErasureKeys;
use crate::error::StorageError;
use aws_sdk_dynamodb::Client;
use domain::ErasureKeyring;
use std::sync::Arc;

/// The ledger table. Its capabilities live one per module (the crate's
/// documentation lists them).
#[derive(Debug, Clone)]
pub struct Ledger {
    pub(crate) client: Client,
    pub(crate) table_name: String,
    /// The keys a tombstone's digest of a person is made with: what record,
    /// purge and prune need (loaded on first need); summary and rollup never
    /// hold them.
    erasure_keys: ErasureKeys,
    /// How its long walks (prune, purge) retry a failed call.
    pub(crate) retry: crate::RetryPolicy,
    /// The erasure log's table (purge writes each tombstone there too; prune
    /// writes back what a restored ledger table lacks), where the stack has one.
    pub(crate) erasure_log: Option<String>,
}

impl Ledger {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table_name: table_name.into(),
            erasure_keys: ErasureKeys::default(),
            retry: crate::RetryPolicy::default(),
            erasure_log: None,
        }
    }

    /// The ledger with its erasure log: the table a restore of this one does
    /// not reach (the template's `ErasureLogTable`).
    pub fn with_erasure_log(mut self, table_name: impl Into<String>) -> Self {
        self.erasure_log = Some(table_name.into());
        self
    }

    /// The ledger with `retry` as its long walks' retry policy.
    pub fn with_retry_policy(mut self, retry: crate::RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The ledger with the erasure keyring at hand: a person's tombstones
    /// can be written and matched.
    pub fn with_erasure_keys(mut self, keys: ErasureKeyring) -> Self {
        self.erasure_keys = ErasureKeys::given(keys);
        self
    }

    /// The ledger with a way to load the erasure keyring, called once, on
    /// the first need for it (a person's tombstone to write or match).
    pub fn with_erasure_key_loader<F, Fut, E>(mut self, load: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<ErasureKeyring, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.erasure_keys = ErasureKeys::loaded_by(load);
        self
    }

    /// The erasure keyring, loaded (and checked) if it is not yet; or
    /// [`StorageError::NoErasureKeys`] for a ledger built without one.
    pub async fn erasure_keys(&self) -> Result<Arc<ErasureKeyring>, StorageError> {
        if let Some(keys) = self.erasure_keys.loaded() {
            return Ok(keys);
        }
        self.load_erasure_keys(None).await
    }

    /// The erasure keyring loaded again from its source, unless the one in
    /// use already holds `wanted` (another task reloaded it meanwhile): what
    /// a process does, once, when a tombstone names a key it does not hold.
    pub async fn reload_erasure_keys(
        &self,
        wanted: &domain::KeyId,
    ) -> Result<Arc<ErasureKeyring>, StorageError> {
        self.load_erasure_keys(Some(wanted)).await
    }

    async fn load_erasure_keys(
        &self,
        wanted: Option<&domain::KeyId>,
    ) -> Result<Arc<ErasureKeyring>, StorageError> {
        let _one_at_a_time = self.erasure_keys.lock().await;
        if let Some(keys) = self.erasure_keys.loaded()
            && wanted.is_none_or(|id| keys.has(id))
        {
            return Ok(keys);
        }
        let keyring = self.erasure_keys.fetch().await?;
        // A keyring whose material under an id differs from what that id's
        // tombstones were made with is refused, never used.
        self.check_erasure_keys(&keyring).await?;
        Ok(self.erasure_keys.keep(keyring))
    }

    /// Deletes the item with table key `key`, whatever it holds.
    pub(crate) async fn delete_key(&self, key: crate::layout::Item) -> Result<(), StorageError> {
        self.client
            .delete_item()
            .table_name(&self.table_name)
            .set_key(Some(key))
            .send()
            .await
            .map_err(|e| StorageError::dynamo("DeleteItem", e))?;
        Ok(())
    }

    /// Whether key `id` was found retired: named by a marker, missing from
    /// a fresh load of the keyring.
    pub(crate) fn retired_erasure_key(&self, id: &domain::KeyId) -> bool {
        self.erasure_keys.is_retired(id)
    }

    pub(crate) fn retire_erasure_key(&self, id: &domain::KeyId) {
        self.erasure_keys.retire(id);
    }

    /// The erasure keyring if it is already loaded (never loads it).
    pub fn loaded_erasure_keys(&self) -> Option<Arc<ErasureKeyring>> {
        self.erasure_keys.loaded()
    }

    pub fn table_name(&self) -> &str {
        &self.table_name
    }
}
