//! A unique table per test, created from the template and dropped on every exit path.

use aws_sdk_dynamodb::Client;
use devkit::{TableDefinition, create_table, delete_table, local_client};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const ENDPOINT_VAR: &str = "DYNAMODB_ENDPOINT";

/// The DynamoDB Local endpoint, or a panic that says exactly what is wrong.
pub fn dynamodb_endpoint() -> String {
    let endpoint = std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VAR} is not set. These tests need DynamoDB Local: run them with `scripts/test`, \
             which starts it on a free port, or start it yourself and export {ENDPOINT_VAR}=http://127.0.0.1:PORT"
        )
    });
    let authority = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let reachable = authority
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr: SocketAddr| {
            TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
        });
    assert!(
        reachable,
        "DynamoDB Local is unreachable at {endpoint} ({ENDPOINT_VAR}). Is it running? `scripts/test` starts it for you."
    );
    endpoint
}

/// A table of the test's own, named uniquely, created from `infra/template.yaml`.
#[derive(Debug)]
pub struct TestTable {
    pub name: String,
    pub client: Client,
    endpoint: String,
}

impl TestTable {
    pub async fn create() -> Self {
        Self::create_from(devkit::LEDGER_TABLE).await
    }

    /// A table of the template's erasure log (`ErasureLogTable`), of the
    /// test's own: what a restore of the ledger table does not reach.
    pub async fn create_erasure_log() -> Self {
        Self::create_from(devkit::ERASURE_LOG_TABLE).await
    }

    async fn create_from(logical_id: &'static str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let endpoint = dynamodb_endpoint();
        let client = local_client(&endpoint);
        let name = format!(
            "test-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_micros()
        );
        let definition =
            TableDefinition::table_in_file(&TableDefinition::repo_template_path(), logical_id)
                .unwrap_or_else(|e| panic!("infra/template.yaml defines {logical_id}: {e}"));
        create_table(&client, &definition, &name)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "creating test table {name} at {endpoint}: {e} ({:?})",
                    std::error::Error::source(&e)
                )
            });
        Self {
            name,
            client,
            endpoint,
        }
    }

    /// The ledger on this table.
    pub fn ledger(&self) -> storage::Ledger {
        storage::Ledger::new(self.client.clone(), &self.name)
            .with_erasure_keys(domain::testing::erasure_keyring())
    }

    /// Every milestone row: the items outside the `#`-partitions that day
    /// versions and roll-ups use.
    pub async fn rows(
        &self,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        self.all_items()
            .await
            .into_iter()
            .filter(|item| {
                !item
                    .get(storage::testing::attr::TENANT_ID)
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|t| t.starts_with('#'))
            })
            .collect()
    }

    /// The `event_id` of every row, sorted (every row must be readable).
    pub async fn event_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .rows()
            .await
            .iter()
            .map(|item| {
                let milestone = storage::testing::decode(item).expect("stored rows map back");
                milestone.event_id.as_str().to_owned()
            })
            .collect();
        ids.sort();
        ids
    }

    /// Every item in the table (a Scan: fine for a test table, never in the product).
    pub async fn all_items(
        &self,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.name)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan test table");
            items.extend(page.items().iter().cloned());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return items,
            }
        }
    }
}

impl Drop for TestTable {
    // Runs on success and on panic alike. The delete needs its own runtime
    // because Drop cannot await inside the test's.
    fn drop(&mut self) {
        let name = self.name.clone();
        let endpoint = self.endpoint.clone();
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime
                .block_on(delete_table(&local_client(&endpoint), &name))
                .map_err(|e| e.to_string())?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(outcome, Ok(Ok(()))) {
            eprintln!("warning: could not drop test table {}", self.name);
        }
    }
}
