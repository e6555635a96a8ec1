//! `prune` Lambda (EventBridge schedule, or a manual dry run): wiring only. The handler lives in `handler.rs`.

mod handler;

use handler::{PruneHandler, PruneSettings};
use lambda_runtime::{Error, service_fn};
use storage::Ledger;
use wiring::Config;
use wiring::settings::FunctionSettings;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // JSON or text from AWS_LAMBDA_LOG_FORMAT; level from AWS_LAMBDA_LOG_LEVEL or RUST_LOG, never below INFO.
    wiring::init_logging();
    let metrics = wiring::emf::init("prune")?;
    let config = Config::from_env()?;
    let settings = PruneSettings::from_env()?;
    // The erasure keyring, from Secrets Manager, read on the first need for
    // it (a person's tombstone to write or match), never in the cold start.
    let keys = std::sync::Arc::new(wiring::KeyringSource::from_env(wiring::Timeouts::PRUNE)?);
    let ledger = Ledger::new(
        wiring::dynamodb_client(wiring::Timeouts::PRUNE)?,
        config.table_name,
    )
    .with_erasure_key_loader(move || {
        let keys = keys.clone();
        async move { keys.fetch().await }
    });
    // The erasure log, where a restore of the table does not reach.
    let ledger = match wiring::erasure_log_table() {
        Some(log) => ledger.with_erasure_log(log),
        None => ledger,
    };
    let handler = PruneHandler::new(ledger, config.retention, settings);
    // Flushes the EMF metrics after every invocation.
    metrics_cloudwatch_embedded::lambda::service::run(
        metrics,
        service_fn(|event| handler.invoke(event)),
    )
    .await
}
