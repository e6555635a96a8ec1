//! The ledger table, addressed by name.

use aws_sdk_dynamodb::Client;

/// The ledger table. Its capabilities live one per module: `record`,
/// `index`, `window_read`, `rollup_store`, `prune`.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub(crate) client: Client,
    pub(crate) table_name: String,
}

impl Ledger {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table_name: table_name.into(),
        }
    }

    pub fn table_name(&self) -> &str {
        &self.table_name
    }
}
