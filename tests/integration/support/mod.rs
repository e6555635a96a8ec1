//! Test harness: DynamoDB Local discovery and per-test tables.

pub mod table;

pub use table::TestTable;
