//! Pure domain for the product-adoption ledger.
//!
//! Nothing here knows about AWS. One module per job:
//! - [`events`]: the code-owned catalog of milestones (the one place events are defined);
//! - [`ids`], [`metadata`]: identifier and metadata newtypes, built only by parsing;
//! - [`time`]: instants as stored; [`model`]: the stored milestone and what the index yields;
//! - [`parse`]: raw JSON into a validated request, or a typed [`Rejection`];
//! - [`purge`]: erasure's scope and the tombstone a purge leaves;
//! - [`retention`], [`window`], [`aggregate`]: the summary's pure arithmetic;
//! - [`rollup`], [`window_rollup`]: what the roll-up writer keeps for summaries;
//! - [`schema`], [`openapi`]: the published contracts, generated from the catalog
//!   (the prose that lists events and the PHP client's builders are generated
//!   by `tools/catalog`, which also checks every generated file is current).

pub mod aggregate;
pub mod erasure_key;
pub mod error_chain;
pub mod events;
pub mod ids;
pub mod metadata;
pub mod model;
pub mod openapi;
pub mod parse;
#[cfg(test)]
mod proptests;
pub mod purge;
pub mod rejection;
pub mod retention;
pub mod rollup;
#[cfg(test)]
mod rollup_proptests;
pub mod schema;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod time;
pub mod window;
pub mod window_rollup;

pub use aggregate::{Aggregation, Summary};
pub use erasure_key::{ActorDigest, ErasureKeyring, KeyId, KeyringError};
pub use events::{CATALOG, EventName, EventSpec, IdPart, MetadataKeySpec, Resend, ValueRule};
pub use ids::{ActorId, EventId, IdentifierError, SubjectId, TenantId, WorkspaceId};
pub use metadata::{Metadata, MetadataValue};
pub use model::{Fingerprint, IndexedMilestone, Milestone, Subject, SubjectType};
pub use parse::{Arrival, LogContext, MAX_FUTURE_SKEW, MAX_PAYLOAD_BYTES, Parsed};
pub use purge::{PurgeRequest, PurgeScope, ScopeMatcher, Tombstone, UnknownKey};
pub use rejection::{RejectCode, Rejection};
pub use retention::{Retention, RetentionError};
pub use time::{OccurredAt, format_millis, now_millis};
pub use window::{BucketSize, Window, WindowError, WindowKey};
