//! `rollup` Lambda (hourly EventBridge schedule, or a manual run): wiring only. The handler lives in `handler.rs`.

mod handler;

use handler::RollupHandler;
use lambda_runtime::{Error, service_fn};
use storage::Ledger;
use wiring::Config;
use wiring::settings::FunctionSettings;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // JSON or text from AWS_LAMBDA_LOG_FORMAT; level from AWS_LAMBDA_LOG_LEVEL or RUST_LOG, never below INFO.
    wiring::init_logging();
    let metrics = wiring::emf::init("rollup")?;
    let config = Config::from_env()?;
    let ledger = Ledger::new(
        wiring::dynamodb_client(wiring::Timeouts::ROLLUP)?,
        config.table_name,
    );
    let settings = handler::RollupSettings::from_env()?;
    let handler = RollupHandler::new(ledger, config.retention, settings);
    // Flushes the EMF metrics after every invocation.
    metrics_cloudwatch_embedded::lambda::service::run(
        metrics,
        service_fn(|event| handler.invoke(event)),
    )
    .await
}
