//! BatchWriteItem with the retries DynamoDB expects of its callers:
//! `UnprocessedItems` and throttling are retried with exponential backoff and
//! full jitter, up to a bound; beyond it the failure says how many items are left.

use crate::error::StorageError;
use crate::retry::{RetryPolicy, Try};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemError;
use aws_sdk_dynamodb::types::WriteRequest;
use std::collections::HashMap;

/// DynamoDB's limit on requests per BatchWriteItem call.
pub const MAX_BATCH: usize = 25;

fn retryable(
    error: &SdkError<BatchWriteItemError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> bool {
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            err.is_provisioned_throughput_exceeded_exception()
                || err.is_request_limit_exceeded()
                || err.is_internal_server_error()
                || matches!(err.code(), Some("ThrottlingException"))
        }
        // Timeouts and connection failures are transient.
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        _ => false,
    }
}

/// Writes at most [`MAX_BATCH`] requests to `table`, retrying what DynamoDB
/// leaves unprocessed. Returns the number written; on failure, the error
/// says how many of them were left unwritten.
pub async fn write_batch(
    client: &Client,
    table: &str,
    requests: Vec<WriteRequest>,
    policy: RetryPolicy,
) -> Result<usize, StorageError> {
    debug_assert!(requests.len() <= MAX_BATCH);
    let total = requests.len();
    // An attempt that leaves items unprocessed is worth another (no error).
    let (pending, written) = policy
        .run(
            || false,
            requests,
            |pending, _| async move {
                let result = client
                    .batch_write_item()
                    .set_request_items(Some(HashMap::from([(table.to_owned(), pending.clone())])))
                    .send()
                    .await;
                match result {
                    Ok(output) => {
                        let left = output
                            .unprocessed_items
                            .and_then(|mut items| items.remove(table))
                            .unwrap_or_default();
                        let tried = if left.is_empty() {
                            Try::Done(total)
                        } else {
                            Try::Again(None)
                        };
                        (left, tried)
                    }
                    Err(error) if retryable(&error) => (pending, Try::Again(Some(error))),
                    Err(error) => (pending, Try::Fail(Some(error))),
                }
            },
        )
        .await;
    written.map_err(|gave_up| StorageError::BatchIncomplete {
        left: pending.len(),
        attempts: gave_up.attempts,
        source: gave_up
            .error
            .map(|error| Box::new(error) as Box<dyn std::error::Error + Send + Sync>),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
    use aws_sdk_dynamodb::types::error::{
        ProvisionedThroughputExceededException, ResourceNotFoundException,
    };
    use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest};
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
    use std::time::Duration;

    const TABLE: &str = "ledger";

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
        }
    }

    fn deletes(n: usize) -> Vec<WriteRequest> {
        (0..n)
            .map(|i| {
                let key = HashMap::from([
                    ("tenant_id".to_owned(), AttributeValue::S("t".into())),
                    ("event_id".to_owned(), AttributeValue::S(format!("e-{i}"))),
                ]);
                WriteRequest::builder()
                    .delete_request(
                        DeleteRequest::builder()
                            .set_key(Some(key))
                            .build()
                            .expect("key"),
                    )
                    .build()
            })
            .collect()
    }

    fn left_over(n: usize) -> BatchWriteItemOutput {
        BatchWriteItemOutput::builder()
            .unprocessed_items(TABLE, deletes(n))
            .build()
    }

    fn throttled() -> BatchWriteItemError {
        BatchWriteItemError::ProvisionedThroughputExceededException(
            ProvisionedThroughputExceededException::builder()
                .message("slow down")
                .build(),
        )
    }

    /// A client whose SDK-level retries are off, so each mocked response is one of our attempts.
    fn client(rule: &Rule) -> Client {
        mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [rule], |conf| conf
            .retry_config(
                aws_sdk_dynamodb::config::retry::RetryConfig::disabled()
            ))
    }

    #[tokio::test]
    async fn partial_unprocessed_items_are_retried_until_written() {
        let rule = mock!(Client::batch_write_item)
            .sequence()
            .output(|| left_over(10))
            .output(|| left_over(3))
            .output(|| BatchWriteItemOutput::builder().build())
            .build();
        let written = write_batch(&client(&rule), TABLE, deletes(25), fast())
            .await
            .expect("written");
        assert_eq!(written, 25);
        assert_eq!(rule.num_calls(), 3);
    }

    /// Throttling is retried, and each retry waits first (on tokio's paused
    /// clock: the waits are measured, not slept): a retry without backoff
    /// would hammer a throttled table.
    #[tokio::test(start_paused = true)]
    async fn throttling_is_retried_with_backoff() {
        let rule = mock!(Client::batch_write_item)
            .sequence()
            .error(throttled)
            .times(2)
            .output(|| BatchWriteItemOutput::builder().build())
            .build();
        let policy = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(60),
        };
        let started = tokio::time::Instant::now();
        let written = write_batch(&client(&rule), TABLE, deletes(5), policy)
            .await
            .expect("written");
        let waited = started.elapsed();
        assert_eq!(written, 5);
        assert_eq!(rule.num_calls(), 3);
        assert!(waited > Duration::ZERO, "it waited between tries");
        // Full jitter: at most the two ceilings, 20 s and 40 s.
        assert!(waited <= Duration::from_secs(60), "{waited:?}");
    }

    #[tokio::test]
    async fn persistent_throttling_fails_clearly_after_the_bound() {
        let rule = mock!(Client::batch_write_item)
            .sequence()
            .error(throttled)
            .repeatedly()
            .build();
        let error = write_batch(&client(&rule), TABLE, deletes(7), fast())
            .await
            .expect_err("gives up");
        assert!(
            matches!(
                error,
                StorageError::BatchIncomplete {
                    left: 7,
                    attempts: 4,
                    ..
                }
            ),
            "{error:?}"
        );
        assert_eq!(rule.num_calls(), 4);
    }

    #[tokio::test]
    async fn persistent_unprocessed_items_fail_clearly_after_the_bound() {
        let rule = mock!(Client::batch_write_item)
            .sequence()
            .output(|| left_over(2))
            .repeatedly()
            .build();
        let error = write_batch(&client(&rule), TABLE, deletes(9), fast())
            .await
            .expect_err("gives up");
        assert!(
            matches!(
                error,
                StorageError::BatchIncomplete {
                    left: 2,
                    attempts: 4,
                    source: None
                }
            ),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .contains("left 2 item(s) unwritten after 4 attempt(s)")
        );
    }

    #[tokio::test]
    async fn non_retryable_errors_fail_at_once() {
        let rule = mock!(Client::batch_write_item)
            .sequence()
            .error(|| {
                BatchWriteItemError::ResourceNotFoundException(
                    ResourceNotFoundException::builder()
                        .message("no table")
                        .build(),
                )
            })
            .repeatedly()
            .build();
        let error = write_batch(&client(&rule), TABLE, deletes(3), fast())
            .await
            .expect_err("fails");
        assert!(matches!(
            error,
            StorageError::BatchIncomplete {
                left: 3,
                attempts: 1,
                ..
            }
        ));
        assert_eq!(rule.num_calls(), 1);
    }
}
