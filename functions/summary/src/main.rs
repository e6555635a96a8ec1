//! `summary` Lambda (API Gateway HTTP API, IAM-authorised): wiring only. The handler lives in `handler.rs`.

mod handler;

use handler::SummaryHandler;
use lambda_http::{Error, service_fn};
use storage::{Ledger, QueryOptions};
use wiring::Config;
use wiring::settings::FunctionSettings;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // JSON or text from AWS_LAMBDA_LOG_FORMAT; level from AWS_LAMBDA_LOG_LEVEL or RUST_LOG, never below INFO.
    wiring::init_logging();
    let metrics = wiring::emf::init("summary")?;
    let config = Config::from_env()?;
    let ledger = Ledger::new(
        wiring::dynamodb_client(wiring::Timeouts::SUMMARY)?,
        config.table_name,
    );
    let settings = handler::SummarySettings::from_env()?;
    let handler = SummaryHandler::new(ledger, config.retention, QueryOptions::default())
        .with_read_budget(settings.read_budget);
    // Flushes the EMF metrics after every invocation.
    metrics_cloudwatch_embedded::lambda::service::run_http(
        metrics,
        service_fn(|request| handler.invoke(request)),
    )
    .await
}
