//! The erasure keyring as the ledger holds it: given at once (tests, local
//! tools), or loaded on first need from wherever the function's wiring reads
//! it (Secrets Manager) and kept for the process, until a tombstone names a
//! key it does not hold: then it is loaded again, once (a rotation). Only a
//! person's tombstone needs it: a record in a tenant where nobody was erased,
//! a tenant's purge and a prune without a person's tombstone never load it,
//! so no cold start waits for the secret store. The ledger checks each
//! keyring it loads against the keys' stored check values before using it
//! ([`crate::Ledger::erasure_keys`]).

use crate::error::StorageError;
use domain::ErasureKeyring;
use futures_util::future::BoxFuture;
use std::fmt;
use std::sync::{Arc, RwLock};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Loader = Arc<dyn Fn() -> BoxFuture<'static, Result<ErasureKeyring, BoxError>> + Send + Sync>;

#[derive(Clone, Default)]
pub(crate) struct ErasureKeys {
    /// The keyring in use, once loaded and checked.
    current: Arc<RwLock<Option<Arc<ErasureKeyring>>>>,
    /// One load at a time.
    loading: Arc<tokio::sync::Mutex<()>>,
    /// Given keyrings have none: they never change.
    given: Option<Arc<ErasureKeyring>>,
    loader: Option<Loader>,
    /// Key ids a marker named that a fresh load did not have: retired. Not
    /// loaded for again by this process.
    retired: Arc<RwLock<std::collections::BTreeSet<domain::KeyId>>>,
}

impl fmt::Debug for ErasureKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErasureKeys")
            .field("loaded", &self.loaded().is_some())
            .field("loader", &self.loader.is_some())
            .finish()
    }
}

impl ErasureKeys {
    pub(crate) fn given(keyring: ErasureKeyring) -> Self {
        Self {
            given: Some(Arc::new(keyring)),
            ..Self::default()
        }
    }

    pub(crate) fn loaded_by<F, Fut, E>(load: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<ErasureKeyring, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let loader: Loader = Arc::new(move || {
            let future = load();
            Box::pin(async move { future.await.map_err(Into::into) })
        });
        Self {
            loader: Some(loader),
            ..Self::default()
        }
    }

    /// The keyring in use, if it was loaded and checked (never loads it).
    pub(crate) fn loaded(&self) -> Option<Arc<ErasureKeyring>> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Serialises loads: the caller checks [`Self::loaded`] again under it.
    pub(crate) async fn lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.loading.lock().await
    }

    /// The keyring from its source: the given one, or the loader's answer.
    pub(crate) async fn fetch(&self) -> Result<Arc<ErasureKeyring>, StorageError> {
        if let Some(given) = &self.given {
            return Ok(given.clone());
        }
        let loader = self.loader.as_ref().ok_or(StorageError::NoErasureKeys)?;
        loader()
            .await
            .map(Arc::new)
            .map_err(StorageError::ErasureKeys)
    }

    pub(crate) fn is_retired(&self, id: &domain::KeyId) -> bool {
        self.retired
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(id)
    }

    pub(crate) fn retire(&self, id: &domain::KeyId) {
        self.retired
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(id.clone());
    }

    /// Keeps a checked keyring for the process.
    pub(crate) fn keep(&self, keyring: Arc<ErasureKeyring>) -> Arc<ErasureKeyring> {
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(keyring.clone());
        keyring
    }
}
