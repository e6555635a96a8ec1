//! The ledger table on DynamoDB.
//!
//! [`layout`] is the one module that knows key formats, attribute names and
//! how a row maps to an item; [`ledger`] runs the operations on the table.

pub mod batch;
pub mod error;
pub mod layout;
pub mod ledger;
pub mod prune;

pub use batch::{MAX_BATCH, RetryPolicy, write_batch};
pub use error::{ItemError, StorageError};
pub use layout::{IndexRow, TIME_INDEX, WRITE_SHARDS};
pub use ledger::{Ledger, PartitionRead, PutOutcome, QueryOptions, ReadStats};
pub use prune::{Deadline, PrunePlan, PruneReport, StopSignal};
