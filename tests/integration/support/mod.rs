//! Test harness: DynamoDB Local discovery, per-test tables and `cargo lambda watch`.

pub mod fault_proxy;
pub mod fixtures;
pub mod table;
pub mod watch;

pub use table::{TestTable, dynamodb_endpoint};
pub use watch::Watcher;
