//! The ledger table, addressed by name and retention from configuration.

use aws_sdk_dynamodb::Client;
use domain::Retention;

/// The ledger table. Its capabilities live one per module: `record`, `index`, `prune`.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub(crate) client: Client,
    pub(crate) table_name: String,
    pub(crate) retention: Retention,
}

impl Ledger {
    pub fn new(client: Client, table_name: impl Into<String>, retention: Retention) -> Self {
        Self {
            client,
            table_name: table_name.into(),
            retention,
        }
    }

    pub fn table_name(&self) -> &str {
        &self.table_name
    }

    pub fn retention(&self) -> Retention {
        self.retention
    }
}
