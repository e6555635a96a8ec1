//! The ledger table on DynamoDB. It takes and returns domain types only.
//!
//! One module per capability of the [`Ledger`]: [`record`] (the conditional
//! put), [`index`] (reading the time index), [`window_read`] (everything a
//! summary reads, and the one way it is read: versions, the window's own
//! roll-up, day and hour heads and their chunks, raw rows, and the fold),
//! [`rollup_store`] (building and storing roll-ups),
//! [`window_rollup_store`] (building a window's roll-up), [`sweep`] (the writer's
//! deletion of every roll-up item nothing names), [`writer`] (one writer
//! run: its lease, then those steps in order), `bookkeeping` (the
//! roll-up partitions as a whole), `batch_read` (batched item reads),
//! [`prune`] (the retention walk, then the tombstones' closing walks),
//! [`purge`] (erasure), [`tombstones`] (what a purge leaves, the keys'
//! check values, and what record and prune read of them), `erasure_keys`
//! (the keyring a process holds) and `erasure_log` (every tombstone, where a
//! restore of the table does not reach).
//! [`deadline`] says when a long walk stops. The private `layout` module is the only place that knows key
//! formats, attribute names and item mapping; [`TABLE_SHAPE`] is the part of
//! it the template must agree with. Tests and local tooling that must write
//! raw items use the `testing` feature, never the layout.

#[cfg(any(test, feature = "testing"))]
mod batch;
mod batch_read;
mod bookkeeping;
pub mod deadline;
mod erasure_keys;
mod erasure_log;
pub mod error;
pub mod index;
mod layout;
mod ledger;
pub mod prune;
pub mod purge;
pub mod record;
mod retry;
pub mod rollup_store;
pub mod sweep;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tombstones;
pub mod window_read;
pub mod window_rollup_store;
pub mod writer;

pub use deadline::{Deadline, StopSignal};
pub use error::{ItemError, StorageError};
pub use index::{QueryOptions, ReadStats};
pub use layout::{TABLE_SHAPE, TableShape, WRITE_SHARDS};
pub use ledger::Ledger;
pub use prune::{PrunePlan, PruneReport, TombstoneRun};
pub use purge::{PurgeRun, Walk};
pub use record::PutOutcome;
pub use retry::RetryPolicy;
pub use rollup_store::{RollupRun, RollupWrite};
pub use sweep::SweepRun;
#[cfg(feature = "testing")]
pub use testing::RollupRead;
pub use tombstones::{Covering, PurgeGuard};
pub use window_read::{Sources, SummaryRead, WindowRollupUse, WindowStats};
pub use window_rollup_store::WindowRun;
pub use writer::{WriterOutcome, WriterRun};
