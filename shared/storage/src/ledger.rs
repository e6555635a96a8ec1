//! The ledger table, addressed by name.

use crate::error::StorageError;
use aws_sdk_dynamodb::Client;
use domain::ErasureKeyring;
use std::sync::Arc;

/// The ledger table. Its capabilities live one per module: `record`,
/// `index`, `window_read`, `rollup_store`, `window_rollup_store`, `sweep`,
/// `prune`, `purge`.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub(crate) client: Client,
    pub(crate) table_name: String,
    /// The keys a tombstone's digest of a person is made with: what record,
    /// purge and prune need; summary and rollup never hold them.
    erasure_keys: Option<Arc<ErasureKeyring>>,
}

impl Ledger {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table_name: table_name.into(),
            erasure_keys: None,
        }
    }

    /// The ledger with the erasure keyring: tombstones can be written and
    /// matched against people.
    pub fn with_erasure_keys(mut self, keys: ErasureKeyring) -> Self {
        self.erasure_keys = Some(Arc::new(keys));
        self
    }

    /// The erasure keyring, or [`StorageError::NoErasureKeys`].
    pub fn erasure_keys(&self) -> Result<&ErasureKeyring, StorageError> {
        self.erasure_keys
            .as_deref()
            .ok_or(StorageError::NoErasureKeys)
    }

    pub fn table_name(&self) -> &str {
        &self.table_name
    }
}
