//! Storage-layer errors.

use std::error::Error;

/// A stored item that does not match the layout. Never defaulted away.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    #[error("attribute `{0}` is missing")]
    Missing(&'static str),
    #[error("attribute `{attribute}` should be of type {expected}")]
    WrongType {
        attribute: &'static str,
        expected: &'static str,
    },
    #[error("attribute `{attribute}` is invalid: {reason}")]
    Invalid {
        attribute: &'static str,
        reason: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A DynamoDB call failed after the SDK's own retries.
    #[error("DynamoDB {operation} failed")]
    Dynamo {
        operation: &'static str,
        #[source]
        source: Box<dyn Error + Send + Sync>,
    },
    #[error("a stored item is corrupt")]
    CorruptItem(#[from] ItemError),
    /// A BatchWriteItem still had unprocessed items (or kept failing) after the retry bound.
    #[error("BatchWriteItem left {left} item(s) unwritten after {attempts} attempt(s)")]
    BatchIncomplete {
        left: usize,
        attempts: u32,
        #[source]
        source: Option<Box<dyn Error + Send + Sync>>,
    },
    /// The conditional put failed but DynamoDB did not return the old item.
    #[error("conditional put failed without returning the existing item")]
    MissingOldItem,
    /// A tombstone had to be written or matched by a ledger built without
    /// the erasure keyring (a wiring mistake: `Ledger::with_erasure_keys`).
    #[error(
        "this ledger holds no erasure keyring, so it cannot write or match a person's tombstone"
    )]
    NoErasureKeys,
    /// The erasure keyring was needed and could not be loaded.
    #[error("the erasure keyring could not be loaded")]
    ErasureKeys(#[source] Box<dyn Error + Send + Sync>),
    /// A tombstone was made with a key the keyring no longer has.
    #[error(transparent)]
    UnknownKey(#[from] domain::UnknownKey),
    /// Purges of the tenant kept landing between record's read of its
    /// tombstones and its put: nothing was written; a retry decides.
    #[error("a purge of the tenant landed between the tombstone read and the put, twice")]
    PurgeRaced,
    /// The keyring's material under this id is not what the id's tombstones
    /// were made with (its stored check value differs): the keyring is
    /// refused, never used, so no erased person is let back in.
    #[error(
        "the erasure keyring's key {0:?} does not match its check value: the key's material changed under its id"
    )]
    KeyMismatch(domain::KeyId),
}

/// Whether a conditional write failed on its own condition (not for any
/// other reason): the one check every conditional put, update and delete
/// shares.
pub(crate) fn condition_failed<E, R>(error: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    error.as_service_error().and_then(|e| e.code()) == Some("ConditionalCheckFailedException")
}

impl StorageError {
    pub(crate) fn dynamo(
        operation: &'static str,
        source: impl Error + Send + Sync + 'static,
    ) -> Self {
        Self::Dynamo {
            operation,
            source: Box::new(source),
        }
    }
}
