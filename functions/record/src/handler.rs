//! The record handler: parse, write once, answer, and log exactly one outcome line.

use chrono::{DateTime, Utc};
use domain::Arrival;
use domain::{
    EventId, LogContext, Milestone, Parsed, RejectCode, Rejection, Retention, TenantId, Tombstone,
};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Serialize;
use serde_json::value::RawValue;
use std::time::Instant;
use storage::{Ledger, PutOutcome, StorageError};

/// What a synchronous caller sees. Rejections are normal responses, not
/// function errors, so Lambda never retries a request that cannot succeed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RecordResponse {
    Recorded {
        event_id: String,
    },
    Duplicate {
        event_id: String,
    },
    /// A purge erased the milestone's tenant, or its person within the
    /// tenant, after it occurred: never stored. Neither a host-app bug nor a
    /// failure: sending it again gives the same answer.
    Purged {
        event_id: String,
    },
    Rejected {
        error: Rejection,
    },
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

/// Every way an invocation ends. The response, the log line and the metric
/// are decided here, in one place.
#[derive(Debug)]
pub enum Outcome {
    Recorded { event_id: EventId },
    Duplicate { event_id: EventId },
    Purged { event_id: EventId },
    Rejected(Rejection),
    Failed(StorageError),
}

impl Outcome {
    /// Writes the one outcome line and the metric, and answers. Only bounded,
    /// non-personal fields: never metadata values, actor ids or the payload.
    fn finish(self, context: &LogContext, started: Instant) -> Result<RecordResponse, RecordError> {
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        let event = context.event.map(|e| e.as_str());
        let tenant_id = context.tenant_id.as_ref().map(TenantId::as_str);
        match self {
            Outcome::Recorded { event_id } => {
                wiring::emf::recorded();
                tracing::info!(outcome = "recorded", event, tenant_id, latency_ms, "record");
                Ok(RecordResponse::Recorded {
                    event_id: event_id.as_str().to_owned(),
                })
            }
            Outcome::Duplicate { event_id } => {
                wiring::emf::duplicate();
                tracing::info!(
                    outcome = "duplicate",
                    event,
                    tenant_id,
                    latency_ms,
                    "record"
                );
                Ok(RecordResponse::Duplicate {
                    event_id: event_id.as_str().to_owned(),
                })
            }
            Outcome::Purged { event_id } => {
                wiring::emf::record_purged();
                tracing::info!(outcome = "purged", event, tenant_id, latency_ms, "record");
                Ok(RecordResponse::Purged {
                    event_id: event_id.as_str().to_owned(),
                })
            }
            Outcome::Rejected(rejection) => {
                wiring::emf::rejected(rejection.code);
                tracing::warn!(
                    outcome = rejection.code.as_str(),
                    event,
                    tenant_id,
                    field = rejection.loggable_field(),
                    latency_ms,
                    "record rejected"
                );
                Ok(RecordResponse::Rejected { error: rejection })
            }
            Outcome::Failed(error) => {
                wiring::emf::failed();
                let chain = wiring::error_chain(&error);
                tracing::error!(
                    outcome = "failed",
                    event,
                    tenant_id,
                    latency_ms,
                    error = chain,
                    "record failed"
                );
                Err(RecordError::Storage(error))
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct RecordHandler {
    ledger: Ledger,
    /// Bounds `occurred_at` and sets each row's TTL.
    retention: Retention,
}

impl RecordHandler {
    pub fn new(ledger: Ledger, retention: Retention) -> Self {
        Self { ledger, retention }
    }

    /// The Lambda entry point. The payload arrives as raw JSON text and is parsed by the domain.
    pub async fn invoke(
        &self,
        event: LambdaEvent<Box<RawValue>>,
    ) -> Result<RecordResponse, RecordError> {
        self.handle(event.payload.get(), domain::now_millis()).await
    }

    pub async fn handle(
        &self,
        raw: &str,
        now: DateTime<Utc>,
    ) -> Result<RecordResponse, RecordError> {
        let started = Instant::now();
        let (outcome, context) = self.decide(raw, now).await;
        outcome.finish(&context, started)
    }

    /// Parses once, writes at most once, and says how it ended.
    async fn decide(&self, raw: &str, now: DateTime<Utc>) -> (Outcome, LogContext) {
        let Parsed { result, context } = Milestone::parse_logged(raw, now, self.retention);
        let milestone = match result {
            Ok(milestone) => milestone,
            Err(rejection) => return (Outcome::Rejected(rejection), context),
        };
        // A purge's tombstone covers it: never stored, so no retry, redrive
        // or replay brings an erased milestone back. A person's tombstone is
        // read only once the keyring is loaded. In a tenant with a
        // tombstone, the put checks that no purge landed since this read;
        // one that did means reading again (once: a second race in a few
        // milliseconds is a failure the caller retries).
        let arrival = Arrival::of(milestone.occurred_at, now);
        let mut reads = 0;
        let written = loop {
            reads += 1;
            let covering = match self
                .ledger
                .tombstones_covering(&milestone.tenant_id, &milestone.actor_id)
                .await
            {
                Ok(covering) => covering,
                Err(error) => return (Outcome::Failed(error), context),
            };
            let keys = self.ledger.loaded_erasure_keys();
            match Tombstone::any_erases(&covering.tombstones, &milestone, keys.as_deref()) {
                Ok(true) => {
                    let event_id = milestone.event_id;
                    return (Outcome::Purged { event_id }, context);
                }
                Ok(false) => {}
                Err(unknown) => return (Outcome::Failed(unknown.into()), context),
            }
            match self
                .ledger
                .record_guarded(&milestone, arrival, covering.guard.as_ref())
                .await
            {
                Ok(PutOutcome::PurgeRaced) if reads < 2 => continue,
                Ok(PutOutcome::PurgeRaced) => break Err(StorageError::PurgeRaced),
                other => break other,
            }
        };
        let outcome = match written {
            Ok(PutOutcome::Recorded) => Outcome::Recorded {
                event_id: milestone.event_id,
            },
            Ok(PutOutcome::Duplicate) => Outcome::Duplicate {
                event_id: milestone.event_id,
            },
            // The catalog's first-one-wins events: a later send is a duplicate.
            Ok(PutOutcome::Conflict { existing_event })
                if milestone.event.resend_is_duplicate(existing_event) =>
            {
                Outcome::Duplicate {
                    event_id: milestone.event_id,
                }
            }
            Ok(PutOutcome::Conflict { .. }) => Outcome::Rejected(Rejection::new(
                RejectCode::IdempotencyConflict,
                "event_id",
                "this event_id was already recorded for the tenant with different content",
            )),
            Ok(PutOutcome::PurgeRaced) | Err(_) => {
                Outcome::Failed(written.err().unwrap_or(StorageError::PurgeRaced))
            }
        };
        (outcome, context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
    use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_sdk_dynamodb::types::error::{ConditionalCheckFailedException, InternalServerError};
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
    use domain::Retention;
    use domain::testing::{CHECKPOINT_COMPLETED, REPORT_CREATED};
    use std::collections::HashMap;

    use domain::testing::now;

    fn payload(event_id: Option<&str>) -> String {
        let mut request = serde_json::json!({
            "event": REPORT_CREATED, "tenant_id": "tenant-1", "workspace_id": "ws-1",
            "actor_id": "user-1", "metadata": {"report_type": "usage"},
            "occurred_at": "2026-11-27T12:00:00Z"
        });
        if let Some(id) = event_id {
            request["event_id"] = id.into();
        }
        request.to_string()
    }

    fn fingerprint_of(raw: &str) -> String {
        Milestone::parse(raw, now(), Retention::default())
            .expect("valid")
            .fingerprint
            .as_str()
            .to_owned()
    }

    /// No purge tombstone for anyone: the read before every put finds none.
    fn no_tombstones() -> Rule {
        mock!(Client::batch_get_item).then_output(|| BatchGetItemOutput::builder().build())
    }

    fn handler(rules: &[&Rule]) -> RecordHandler {
        let none = no_tombstones();
        let rules: Vec<&Rule> = rules.iter().copied().chain([&none]).collect();
        let client: Client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &rules);
        RecordHandler::new(ledger(client), Retention::default())
    }

    fn ledger(client: Client) -> Ledger {
        Ledger::new(client, "ledger").with_erasure_keys(domain::testing::erasure_keyring())
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

    /// At a 30-day retention: a 31-day-old milestone is rejected, and the TTL
    /// written is `occurred_at` + 30 days, not the default 90.
    #[tokio::test]
    async fn the_configured_retention_decides_acceptance_and_ttl() {
        let retention = Retention::from_days(30).expect("valid");
        let occurred = now() - chrono::TimeDelta::days(29);
        let expected_ttl = (occurred + chrono::TimeDelta::days(30))
            .timestamp()
            .to_string();
        // A 29-day-old milestone is late (its day is closed): its put goes in a
        // transaction with the day's version bump.
        let put = mock!(Client::transact_write_items)
            .match_requests(move |req| {
                req.transact_items()
                    .first()
                    .and_then(|item| item.put())
                    .and_then(|put| put.item().get("expires_at"))
                    .and_then(|v| v.as_n().ok())
                    == Some(&expected_ttl)
            })
            .then_output(|| {
                aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput::builder()
                    .build()
            });
        let none = no_tombstones();
        let client: Client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &[&put, &none]);
        let handler = RecordHandler::new(ledger(client), retention);
        let at = |t: DateTime<Utc>| {
            let mut request: serde_json::Value =
                serde_json::from_str(&payload(Some("e-30"))).expect("json");
            request["occurred_at"] = t.to_rfc3339().into();
            request.to_string()
        };
        let response = handler.handle(&at(occurred), now()).await.expect("ok");
        assert!(
            matches!(response, RecordResponse::Recorded { .. }),
            "{response:?}"
        );
        assert_eq!(put.num_calls(), 1, "the TTL matched occurred_at + 30 days");
        let response = handler
            .handle(&at(now() - chrono::TimeDelta::days(31)), now())
            .await
            .expect("ok");
        match response {
            RecordResponse::Rejected { error } => {
                assert_eq!(error.code, RejectCode::OccurredBeforeRetention)
            }
            other => panic!("a 31-day-old milestone at 30 days' retention: {other:?}"),
        }
        assert_eq!(put.num_calls(), 1, "nothing written for the rejection");
    }

    #[tokio::test]
    async fn recorded_writes_once_with_a_conditional_put() {
        let put = mock!(Client::put_item)
            .match_requests(|req| {
                req.table_name() == Some("ledger")
                    && req.condition_expression() == Some("attribute_not_exists(#sort_key)")
            })
            .then_output(|| PutItemOutput::builder().build());
        let response = handler(&[&put])
            .handle(&payload(Some("report:r-1")), now())
            .await;
        assert_eq!(
            response.expect("ok"),
            RecordResponse::Recorded {
                event_id: "report:r-1".into()
            }
        );
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn duplicate_when_the_stored_fingerprint_matches() {
        let raw = payload(Some("e-1"));
        let stored = fingerprint_of(&raw);
        let put = mock!(Client::put_item).then_error(move || condition_failed(&stored));
        let response = handler(&[&put]).handle(&raw, now()).await;
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
            .handle(&payload(Some("e-1")), now())
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

    /// The catalog's first-one-wins events: the same event_id sent again with
    /// other content (another admin, a later reload) is a duplicate, never a
    /// rejection; a row of another event under that id stays a conflict.
    #[tokio::test]
    async fn a_first_wins_event_sent_again_with_other_content_is_a_duplicate() {
        let checkpoint = serde_json::json!({
            "event": CHECKPOINT_COMPLETED, "tenant_id": "tenant-1", "workspace_id": "ws-1",
            "actor_id": "admin-2", "event_id": "checkpoint:ws-1:connect",
            "occurred_at": "2026-11-27T12:00:00Z", "metadata": {"checkpoint": "connect"}
        })
        .to_string();
        let stored_as = |event: &str| {
            let mut old =
                HashMap::from([("fingerprint".to_owned(), AttributeValue::S("0".repeat(32)))]);
            old.insert("event".to_owned(), AttributeValue::S(event.to_owned()));
            PutItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder()
                    .message("exists")
                    .set_item(Some(old))
                    .build(),
            )
        };
        let same_event =
            mock!(Client::put_item).then_error(move || stored_as(CHECKPOINT_COMPLETED));
        let response = handler(&[&same_event])
            .handle(&checkpoint, now())
            .await
            .expect("ok");
        assert_eq!(
            response,
            RecordResponse::Duplicate {
                event_id: "checkpoint:ws-1:connect".into()
            }
        );
        let other_event = mock!(Client::put_item).then_error(move || stored_as(REPORT_CREATED));
        let response = handler(&[&other_event])
            .handle(&checkpoint, now())
            .await
            .expect("ok");
        assert!(
            matches!(response, RecordResponse::Rejected { ref error } if error.code == RejectCode::IdempotencyConflict),
            "{response:?}"
        );
    }

    #[tokio::test]
    async fn rejected_requests_never_touch_the_table() {
        let put = mock!(Client::put_item).then_output(|| PutItemOutput::builder().build());
        let response = handler(&[&put])
            .handle(r#"{"event":"nope"}"#, now())
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
            .handle(&payload(Some("e-1")), now())
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
    async fn missing_event_id_is_rejected_and_never_written() {
        let put = mock!(Client::put_item).then_output(|| PutItemOutput::builder().build());
        let response = handler(&[&put])
            .handle(&payload(None), now())
            .await
            .expect("ok");
        let RecordResponse::Rejected { error } = response else {
            panic!("expected a rejection, got {response:?}")
        };
        assert_eq!(
            (error.code, error.field.as_str()),
            (RejectCode::MissingField, "event_id")
        );
        assert_eq!(put.num_calls(), 0);
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
        let purged = serde_json::to_value(RecordResponse::Purged {
            event_id: "e".into(),
        })
        .expect("json");
        assert_eq!(
            purged,
            serde_json::json!({"status": "purged", "event_id": "e"})
        );
        let rejection = Rejection::new(RejectCode::MissingField, "tenant_id", "is required");
        let rejected =
            serde_json::to_value(RecordResponse::Rejected { error: rejection }).expect("json");
        assert_eq!(
            rejected,
            serde_json::json!({"status": "rejected", "error": {"code": "missing_field", "field": "tenant_id", "message": "is required"}})
        );
    }
}
