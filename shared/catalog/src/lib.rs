//! Pure domain for the product-adoption ledger.
//!
//! Nothing here knows about AWS: the catalog of milestones, the parsing of a
//! record request into validated types, and the pure aggregation that the
//! summary function runs over projected rows.

pub mod aggregate;
pub mod error;
pub mod events;
pub mod ids;
pub mod metadata;
pub mod request;
pub mod retention;
pub mod schema;
#[cfg(test)]
pub(crate) mod testdata;
pub mod window;

pub use aggregate::{Aggregation, RowFacts, Summary};
pub use error::{RejectCode, Rejection};
pub use events::{CATALOG, EventName, EventSpec, MetadataKeySpec, ValueRule};
pub use ids::{ActorId, EventId, IdentifierError, SubjectId, TenantId, WorkspaceId};
pub use metadata::{Metadata, MetadataValue};
pub use request::{
    Fingerprint, MAX_FUTURE_SKEW, MAX_PAYLOAD_BYTES, Milestone, OccurredAt, RecordRequest, Subject,
    SubjectType, format_millis,
};
pub use retention::{Retention, RetentionError};
pub use window::{BucketSize, Window, WindowError, WindowKey};
