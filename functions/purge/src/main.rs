//! `purge` Lambda (invoked synchronously by the host's offboarding or erasure job): wiring only. The handler lives in `handler.rs`.

mod handler;

use handler::{PurgeHandler, PurgeSettings};
use lambda_runtime::{Error, service_fn};
use storage::Ledger;
use wiring::Config;
use wiring::settings::FunctionSettings;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // JSON or text from AWS_LAMBDA_LOG_FORMAT; level from AWS_LAMBDA_LOG_LEVEL or RUST_LOG, never below INFO.
    wiring::init_logging();
    let metrics = wiring::emf::init("purge")?;
    let config = Config::from_env()?;
    let settings = PurgeSettings::from_env()?;
    // The erasure keyring, from Secrets Manager, read on the first need for
    // it (a person's tombstone to write or match), never in the cold start.
    let keys = std::sync::Arc::new(wiring::KeyringSource::from_env(wiring::Timeouts::PURGE)?);
    let ledger = Ledger::new(
        wiring::dynamodb_client(wiring::Timeouts::PURGE)?,
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
    let handler = PurgeHandler::new(ledger, settings);
    // Flushes the EMF metrics after every invocation.
    metrics_cloudwatch_embedded::lambda::service::run(
        metrics,
        service_fn(|event| handler.invoke(event)),
    )
    .await
}
