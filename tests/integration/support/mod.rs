//! Test harness: DynamoDB Local discovery, per-test tables, the local secret
//! store and `cargo lambda watch`.

pub mod doc_tables;
pub mod fault_proxy;
pub mod fixtures;
pub mod secrets;
pub mod table;
pub mod watch;

pub use table::{TestTable, dynamodb_endpoint};
pub use watch::Watcher;
