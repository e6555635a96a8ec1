//! Test harness: DynamoDB Local discovery, per-test tables and `cargo lambda watch`.

pub mod table;
#[allow(dead_code)] // the HTTP helpers serve the summary tests, next
pub mod watch;

pub use table::{TestTable, dynamodb_endpoint};
pub use watch::Watcher;
