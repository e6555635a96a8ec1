//! The ledger table, addressed by name.

use crate::erasure_keys::ErasureKeys;
use crate::error::StorageError;
use aws_sdk_dynamodb::Client;
use domain::ErasureKeyring;

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
}

impl Ledger {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table_name: table_name.into(),
            erasure_keys: ErasureKeys::default(),
            retry: crate::RetryPolicy::default(),
        }
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

    /// The erasure keyring, loaded if it is not yet; or
    /// [`StorageError::NoErasureKeys`] for a ledger built without one.
    pub async fn erasure_keys(&self) -> Result<&ErasureKeyring, StorageError> {
        self.erasure_keys.get().await
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

    /// The erasure keyring if it is already loaded (never loads it).
    pub fn loaded_erasure_keys(&self) -> Option<&ErasureKeyring> {
        self.erasure_keys.loaded()
    }

    pub fn table_name(&self) -> &str {
        &self.table_name
    }
}
