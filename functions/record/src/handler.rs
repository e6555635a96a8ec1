//! The record handler: parse, write once, answer, and log exactly one outcome line.

use catalog::{EventId, EventName, RecordRequest, RejectCode, Rejection, Retention, TenantId};
use chrono::{DateTime, Utc};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Serialize;
use serde_json::value::RawValue;
use std::time::Instant;
use storage::layout::LedgerRow;
use storage::{Ledger, PutOutcome, StorageError};

/// What a synchronous caller sees. Rejections are normal responses, not
/// function errors, so Lambda never retries a request that cannot succeed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RecordResponse {
    Recorded { event_id: String },
    Duplicate { event_id: String },
    Rejected { error: Rejection },
}

/// A failure left after the SDK's own retries: a function error, so
/// asynchronous invocation retries it and then sends it to the failure destination.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("the milestone could not be stored; retry the invocation")]
    Storage(#[from] StorageError),
}

impl From<RecordError> for Diagnostic {
    // Generic on purpose: the cause chain goes to the log, not to the caller.
    fn from(error: RecordError) -> Self {
        Diagnostic {
            error_type: "StorageUnavailable".into(),
            error_message: error.to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RecordHandler {
    ledger: Ledger,
    retention: Retention,
}

impl RecordHandler {
    pub fn new(ledger: Ledger, retention: Retention) -> Self {
        Self { ledger, retention }
    }

    /// The Lambda entry point. The payload arrives as raw JSON text and is parsed by the catalog.
    pub async fn invoke(
        &self,
        event: LambdaEvent<Box<RawValue>>,
    ) -> Result<RecordResponse, RecordError> {
        self.handle(event.payload.get(), &event.context.request_id, Utc::now())
            .await
    }

    pub async fn handle(
        &self,
        raw: &str,
        request_id: &str,
        now: DateTime<Utc>,
    ) -> Result<RecordResponse, RecordError> {
        let started = Instant::now();
        let request = match RecordRequest::parse(raw, now, self.retention) {
            Ok(request) => request,
            Err(rejection) => {
                let (event, tenant_id) = peek_log_context(raw);
                return Ok(rejected(rejection, event, tenant_id.as_ref(), started));
            }
        };
        let event = request.event;
        let tenant_id = request.tenant_id.clone();
        // Lambda keeps the request id across its own asynchronous retries, so
        // those stay idempotent even when the caller sent no event_id.
        let Some(event_id) = request
            .event_id
            .clone()
            .or_else(|| EventId::from_request_id(request_id).ok())
        else {
            let rejection = Rejection::new(
                RejectCode::MissingField,
                "event_id",
                "no event_id was sent and none can be derived from this invocation",
            );
            return Ok(rejected(rejection, Some(event), Some(&tenant_id), started));
        };
        let row = LedgerRow::new(request.into_milestone(event_id, now), self.retention);
        let event_id = row.milestone.event_id.as_str().to_owned();
        match self.ledger.put(&row).await {
            Ok(PutOutcome::Recorded) => {
                log_outcome(
                    "recorded",
                    Some(event),
                    Some(&tenant_id),
                    started,
                    None,
                    None,
                );
                Ok(RecordResponse::Recorded { event_id })
            }
            Ok(PutOutcome::Duplicate) => {
                log_outcome(
                    "duplicate",
                    Some(event),
                    Some(&tenant_id),
                    started,
                    None,
                    None,
                );
                Ok(RecordResponse::Duplicate { event_id })
            }
            Ok(PutOutcome::Conflict) => {
                let rejection = Rejection::new(
                    RejectCode::IdempotencyConflict,
                    "event_id",
                    "this event_id was already recorded for the tenant with different content",
                );
                Ok(rejected(rejection, Some(event), Some(&tenant_id), started))
            }
            Err(error) => {
                let chain = runtime::error_chain(&error);
                log_outcome(
                    "failed",
                    Some(event),
                    Some(&tenant_id),
                    started,
                    None,
                    Some(&chain),
                );
                Err(RecordError::Storage(error))
            }
        }
    }
}

/// Logs and counts a rejection, and answers it: a normal response, never retried.
fn rejected(
    rejection: Rejection,
    event: Option<EventName>,
    tenant_id: Option<&TenantId>,
    started: Instant,
) -> RecordResponse {
    log_outcome(
        rejection.code.as_str(),
        event,
        tenant_id,
        started,
        Some(&rejection.field),
        None,
    );
    RecordResponse::Rejected { error: rejection }
}

/// The one outcome line per invocation, and its metric. Only bounded,
/// non-personal fields: never metadata values, actor ids or the payload.
fn log_outcome(
    outcome: &'static str,
    event: Option<EventName>,
    tenant_id: Option<&TenantId>,
    started: Instant,
    field: Option<&str>,
    error: Option<&str>,
) {
    runtime::emf::record_outcome(outcome);
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let event = event.map(|e| e.as_str());
    let tenant_id = tenant_id.map(TenantId::as_str);
    match (outcome, error) {
        (_, Some(error)) => {
            tracing::error!(
                outcome,
                event,
                tenant_id,
                latency_ms,
                error,
                "record failed"
            )
        }
        ("recorded" | "duplicate", None) => {
            tracing::info!(outcome, event, tenant_id, latency_ms, "record")
        }
        (_, None) => tracing::warn!(
            outcome,
            event,
            tenant_id,
            field,
            latency_ms,
            "record rejected"
        ),
    }
}

/// Best-effort event and tenant for a rejection's log line: only values that
/// pass their own rules are logged, so a rejected payload never leaks into logs.
fn peek_log_context(raw: &str) -> (Option<EventName>, Option<TenantId>) {
    if raw.len() > catalog::MAX_PAYLOAD_BYTES {
        return (None, None);
    }
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str(raw) else {
        return (None, None);
    };
    let event = object
        .get("event")
        .and_then(|v| v.as_str())
        .and_then(EventName::parse);
    let tenant_id = object
        .get("tenant_id")
        .and_then(|v| v.as_str())
        .and_then(|v| TenantId::parse(v).ok());
    (event, tenant_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_sdk_dynamodb::types::error::{ConditionalCheckFailedException, InternalServerError};
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
    use std::collections::HashMap;

    const REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z")
            .expect("valid")
            .with_timezone(&Utc)
    }

    fn payload(event_id: Option<&str>) -> String {
        let mut request = serde_json::json!({
            "event": "report.created", "tenant_id": "tenant-1", "workspace_id": "ws-1",
            "actor_id": "user-1", "metadata": {"report_type": "usage"}
        });
        if let Some(id) = event_id {
            request["event_id"] = id.into();
        }
        request.to_string()
    }

    fn fingerprint_of(raw: &str) -> String {
        RecordRequest::parse(raw, now(), Retention::default())
            .expect("valid")
            .fingerprint()
            .as_str()
            .to_owned()
    }

    fn handler(rules: &[&Rule]) -> RecordHandler {
        let client: Client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, rules);
        RecordHandler::new(Ledger::new(client, "ledger"), Retention::default())
    }

    fn condition_failed(stored_fingerprint: &str) -> PutItemError {
        let old = HashMap::from([(
            "fingerprint".to_owned(),
            AttributeValue::S(stored_fingerprint.to_owned()),
        )]);
        PutItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .message("exists")
                .set_item(Some(old))
                .build(),
        )
    }

    #[tokio::test]
    async fn recorded_writes_once_with_a_conditional_put() {
        let put = mock!(Client::put_item)
            .match_requests(|req| {
                req.table_name() == Some("ledger")
                    && req.condition_expression() == Some("attribute_not_exists(#event_id)")
            })
            .then_output(|| PutItemOutput::builder().build());
        let response = handler(&[&put])
            .handle(&payload(Some("report.created:r-1")), REQUEST_ID, now())
            .await;
        assert_eq!(
            response.expect("ok"),
            RecordResponse::Recorded {
                event_id: "report.created:r-1".into()
            }
        );
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn duplicate_when_the_stored_fingerprint_matches() {
        let raw = payload(Some("e-1"));
        let stored = fingerprint_of(&raw);
        let put = mock!(Client::put_item).then_error(move || condition_failed(&stored));
        let response = handler(&[&put]).handle(&raw, REQUEST_ID, now()).await;
        assert_eq!(
            response.expect("ok"),
            RecordResponse::Duplicate {
                event_id: "e-1".into()
            }
        );
    }

    #[tokio::test]
    async fn conflict_when_the_stored_fingerprint_differs() {
        let put = mock!(Client::put_item)
            .then_error(|| condition_failed("00000000000000000000000000000000"));
        let response = handler(&[&put])
            .handle(&payload(Some("e-1")), REQUEST_ID, now())
            .await
            .expect("ok");
        let RecordResponse::Rejected { error } = response else {
            panic!("expected a rejection, got {response:?}")
        };
        assert_eq!(
            (error.code, error.field.as_str()),
            (RejectCode::IdempotencyConflict, "event_id")
        );
    }

    #[tokio::test]
    async fn rejected_requests_never_touch_the_table() {
        let put = mock!(Client::put_item).then_output(|| PutItemOutput::builder().build());
        let response = handler(&[&put])
            .handle(r#"{"event":"nope"}"#, REQUEST_ID, now())
            .await
            .expect("ok");
        assert!(
            matches!(response, RecordResponse::Rejected { ref error } if error.code == RejectCode::UnknownEvent)
        );
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn storage_failure_is_a_function_error() {
        let put = mock!(Client::put_item).then_error(|| {
            PutItemError::InternalServerError(
                InternalServerError::builder().message("boom").build(),
            )
        });
        let error = handler(&[&put])
            .handle(&payload(Some("e-1")), REQUEST_ID, now())
            .await
            .expect_err("fails");
        assert!(matches!(error, RecordError::Storage(_)));
        let diagnostic = Diagnostic::from(error);
        assert_eq!(diagnostic.error_type, "StorageUnavailable");
        assert!(
            !diagnostic.error_message.contains("boom"),
            "the caller gets a generic message"
        );
    }

    #[tokio::test]
    async fn missing_event_id_is_derived_from_the_request_id() {
        let put = mock!(Client::put_item)
            .match_requests(|req| {
                req.item()
                    .and_then(|item| item.get("event_id"))
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                    == Some("req:8476a536-e9f4-11e8-9739-2dfe598c3fcd")
            })
            .then_output(|| PutItemOutput::builder().build());
        let response = handler(&[&put])
            .handle(&payload(None), REQUEST_ID, now())
            .await
            .expect("ok");
        assert_eq!(
            response,
            RecordResponse::Recorded {
                event_id: format!("req:{REQUEST_ID}")
            }
        );
        assert_eq!(put.num_calls(), 1);
    }

    #[test]
    fn responses_serialize_to_the_documented_shapes() {
        let recorded = serde_json::to_value(RecordResponse::Recorded {
            event_id: "e".into(),
        })
        .expect("json");
        assert_eq!(
            recorded,
            serde_json::json!({"status": "recorded", "event_id": "e"})
        );
        let duplicate = serde_json::to_value(RecordResponse::Duplicate {
            event_id: "e".into(),
        })
        .expect("json");
        assert_eq!(
            duplicate,
            serde_json::json!({"status": "duplicate", "event_id": "e"})
        );
        let rejection = Rejection::new(RejectCode::MissingField, "tenant_id", "is required");
        let rejected =
            serde_json::to_value(RecordResponse::Rejected { error: rejection }).expect("json");
        assert_eq!(
            rejected,
            serde_json::json!({"status": "rejected", "error": {"code": "missing_field", "field": "tenant_id", "message": "is required"}})
        );
    }

    #[test]
    fn log_context_only_takes_valid_values() {
        let (event, tenant) =
            peek_log_context(r#"{"event":"report.created","tenant_id":"jane@example.com"}"#);
        assert_eq!(event.map(|e| e.as_str()), Some("report.created"));
        assert!(tenant.is_none());
        assert_eq!(peek_log_context("not json"), (None, None));
    }
}
