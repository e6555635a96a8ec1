//! The erasure keyring as the ledger holds it: given at once (tests, local
//! tools), or loaded on first need from wherever the function's wiring reads
//! it (Secrets Manager) and kept for the process. Only a person's tombstone
//! needs it: a record in a tenant where nobody was erased, a tenant's purge
//! and a prune without a person's tombstone never load it, so no cold start
//! waits for the secret store.

use crate::error::StorageError;
use domain::ErasureKeyring;
use futures_util::future::BoxFuture;
use std::fmt;
use std::sync::Arc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Loader = Arc<dyn Fn() -> BoxFuture<'static, Result<ErasureKeyring, BoxError>> + Send + Sync>;

#[derive(Clone, Default)]
pub(crate) struct ErasureKeys {
    cell: Arc<tokio::sync::OnceCell<ErasureKeyring>>,
    loader: Option<Loader>,
}

impl fmt::Debug for ErasureKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErasureKeys")
            .field("loaded", &self.cell.get().is_some())
            .field("loader", &self.loader.is_some())
            .finish()
    }
}

impl ErasureKeys {
    pub(crate) fn given(keyring: ErasureKeyring) -> Self {
        Self {
            cell: Arc::new(tokio::sync::OnceCell::new_with(Some(keyring))),
            loader: None,
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
            cell: Arc::default(),
            loader: Some(loader),
        }
    }

    /// The keyring if it is already at hand (never loads it).
    pub(crate) fn loaded(&self) -> Option<&ErasureKeyring> {
        self.cell.get()
    }

    /// The keyring, loaded on first need (once, whoever asks first).
    pub(crate) async fn get(&self) -> Result<&ErasureKeyring, StorageError> {
        if let Some(keys) = self.cell.get() {
            return Ok(keys);
        }
        let loader = self.loader.as_ref().ok_or(StorageError::NoErasureKeys)?;
        self.cell
            .get_or_try_init(|| async { loader().await.map_err(StorageError::ErasureKeys) })
            .await
    }
}
