//! `prune` Lambda (EventBridge schedule, or a manual dry run): wiring only. The handler lives in `handler.rs`.

mod handler;

use handler::{PruneHandler, PruneSettings};
use lambda_runtime::{Error, service_fn};
use storage::Ledger;
use wiring::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // JSON or text from AWS_LAMBDA_LOG_FORMAT; level from AWS_LAMBDA_LOG_LEVEL or RUST_LOG, never below INFO.
    wiring::init_logging();
    let metrics = wiring::emf::init("prune")?;
    let config = Config::from_env()?;
    let settings = PruneSettings::from_env()?;
    // The erasure keyring, from Secrets Manager: a person's tombstone is a
    // keyed digest, matched with these keys and no others.
    let keys = wiring::erasure_keyring(wiring::Timeouts::PRUNE).await?;
    let ledger = Ledger::new(
        wiring::dynamodb_client(wiring::Timeouts::PRUNE)?,
        config.table_name,
    )
    .with_erasure_keys(keys);
    let handler = PruneHandler::new(ledger, config.retention, settings);
    // Flushes the EMF metrics after every invocation.
    metrics_cloudwatch_embedded::lambda::service::run(
        metrics,
        service_fn(|event| handler.invoke(event)),
    )
    .await
}
