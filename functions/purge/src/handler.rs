//! The purge handler: parse the request, purge until done or the deadline's
//! margin, and answer how many rows went and whether it is done. One outcome
//! line with counts only (never an id), one metric.

use chrono::{DateTime, Utc};
use domain::{PurgeRequest, Rejection};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Serialize;
use serde_json::value::RawValue;
use std::time::{Duration, Instant};
use storage::{Deadline, Ledger, PurgeRun, StopSignal, StorageError};

/// What the caller sees. A rejection is an answer, not a function error, so
/// it is never retried; "not done" asks the caller to invoke again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PurgeResponse {
    /// Every row in scope is gone; invoking again deletes nothing more.
    Done {
        rows_deleted: u64,
        days_invalidated: u32,
        /// In a purge of one person: rows of the tenant whose actor could not
        /// be read, so neither judged nor deleted (see the erasure runbook).
        rows_unreadable: u64,
    },
    /// Stopped before its deadline, or some rows could not be deleted yet:
    /// invoke again; it resumes on what is left.
    NotDone {
        rows_deleted: u64,
        rows_left: u64,
        days_invalidated: u32,
    },
    Rejected {
        error: Rejection,
    },
}

/// The tombstone could not be written, so nothing was deleted. (A timeout of
/// the whole invocation is a function error too, and may come after some
/// deletes.) Either way the caller's job retries: invoking again is safe.
#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error("the purge could not start; nothing was deleted; retry the invocation")]
    Storage(#[from] StorageError),
}

impl From<PurgeError> for Diagnostic {
    // Generic on purpose: the cause chain goes to the log, not to the caller.
    fn from(error: PurgeError) -> Self {
        Diagnostic {
            error_type: "StorageUnavailable".into(),
            error_message: error.to_string(),
        }
    }
}

/// Whether the purge is of a tenant or of one person: the only thing about
/// the request that is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Tenant,
    Actor,
}

impl Scope {
    fn of(request: &PurgeRequest) -> Self {
        match request.actor_id {
            None => Scope::Tenant,
            Some(_) => Scope::Actor,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Scope::Tenant => "tenant",
            Scope::Actor => "actor",
        }
    }
}

/// Every way an invocation ends: its answer, log line and metric, decided here.
#[derive(Debug)]
pub enum Outcome {
    Done(Scope, PurgeRun),
    NotDone(Scope, PurgeRun),
    Rejected(Rejection),
    Failed(Scope, StorageError),
}

impl Outcome {
    fn finish(self, started: Instant) -> Result<PurgeResponse, PurgeError> {
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        match self {
            Outcome::Done(scope, run) => {
                wiring::emf::purged(run.rows_deleted, true);
                tracing::info!(
                    outcome = "done",
                    scope = scope.as_str(),
                    rows_deleted = run.rows_deleted,
                    rows_changed = run.rows_changed,
                    rows_unreadable = run.rows_unreadable,
                    days_invalidated = run.days_invalidated,
                    latency_ms,
                    "purge"
                );
                Ok(PurgeResponse::Done {
                    rows_deleted: run.rows_deleted,
                    days_invalidated: run.days_invalidated,
                    rows_unreadable: run.rows_unreadable,
                })
            }
            Outcome::NotDone(scope, run) => {
                wiring::emf::purged(run.rows_deleted, false);
                let error = run.error.as_ref().map(|e| wiring::error_chain(e));
                tracing::warn!(
                    outcome = "not_done",
                    scope = scope.as_str(),
                    rows_deleted = run.rows_deleted,
                    rows_changed = run.rows_changed,
                    rows_left = run.rows_left,
                    rows_unreadable = run.rows_unreadable,
                    days_invalidated = run.days_invalidated,
                    error,
                    latency_ms,
                    "purge"
                );
                Ok(PurgeResponse::NotDone {
                    rows_deleted: run.rows_deleted,
                    rows_left: run.rows_left,
                    days_invalidated: run.days_invalidated,
                })
            }
            Outcome::Rejected(rejection) => {
                tracing::warn!(
                    outcome = rejection.code.as_str(),
                    field = rejection.loggable_field(),
                    latency_ms,
                    "purge rejected"
                );
                Ok(PurgeResponse::Rejected { error: rejection })
            }
            Outcome::Failed(scope, error) => {
                wiring::emf::failed();
                tracing::error!(
                    outcome = "failed",
                    scope = scope.as_str(),
                    error = wiring::error_chain(&error),
                    latency_ms,
                    "purge failed"
                );
                Err(PurgeError::Storage(error))
            }
        }
    }
}

/// Purge's own setting, beside the shared table name and retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeSettings {
    /// Stop this long before the Lambda deadline (`PURGE_SAFETY_MARGIN_SECONDS`, default 10).
    pub safety_margin: Duration,
}

pub use wiring::settings::{FunctionSettings, SettingsError};

impl PurgeSettings {
    /// The settings purge reads. Any other `PURGE_*` variable is refused at
    /// start, so a misspelled setting cannot silently fall back to its default.
    pub const NAMES: [&'static str; 1] = ["PURGE_SAFETY_MARGIN_SECONDS"];
}

impl FunctionSettings for PurgeSettings {
    const SETTINGS: wiring::settings::Settings = wiring::settings::Settings {
        function: "purge",
        prefix: "PURGE_",
        names: &Self::NAMES,
    };

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let seconds =
            wiring::settings::whole_number(&lookup, "PURGE_SAFETY_MARGIN_SECONDS", 10u64)?;
        Ok(Self {
            safety_margin: Duration::from_secs(seconds),
        })
    }
}

#[derive(Debug, Clone)]
pub struct PurgeHandler {
    ledger: Ledger,
    settings: PurgeSettings,
}

impl PurgeHandler {
    pub fn new(ledger: Ledger, settings: PurgeSettings) -> Self {
        Self { ledger, settings }
    }

    /// The Lambda entry point: the payload as raw JSON text, parsed by the domain.
    pub async fn invoke(
        &self,
        event: LambdaEvent<Box<RawValue>>,
    ) -> Result<PurgeResponse, PurgeError> {
        let deadline = Deadline {
            deadline: wiring::deadline_instant(event.context.deadline),
            margin: self.settings.safety_margin,
        };
        self.handle(event.payload.get(), domain::now_millis(), &deadline)
            .await
    }

    pub async fn handle(
        &self,
        raw: &str,
        now: DateTime<Utc>,
        stop: &impl StopSignal,
    ) -> Result<PurgeResponse, PurgeError> {
        let started = Instant::now();
        self.decide(raw, now, stop).await.finish(started)
    }

    async fn decide(&self, raw: &str, now: DateTime<Utc>, stop: &impl StopSignal) -> Outcome {
        let request = match PurgeRequest::parse(raw) {
            Ok(request) => request,
            Err(rejection) => return Outcome::Rejected(rejection),
        };
        let scope = Scope::of(&request);
        match self.ledger.purge(&request, now, stop).await {
            Ok(run) if run.finished => Outcome::Done(scope, run),
            Ok(run) => Outcome::NotDone(scope, run),
            Err(error) => Outcome::Failed(scope, error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::RejectCode;

    #[test]
    fn responses_serialize_to_the_documented_shapes() {
        let done = PurgeResponse::Done {
            rows_deleted: 3,
            days_invalidated: 1,
            rows_unreadable: 0,
        };
        assert_eq!(
            serde_json::to_value(done).expect("json"),
            serde_json::json!({"status": "done", "rows_deleted": 3, "days_invalidated": 1, "rows_unreadable": 0})
        );
        let not_done = PurgeResponse::NotDone {
            rows_deleted: 3,
            rows_left: 2,
            days_invalidated: 1,
        };
        assert_eq!(
            serde_json::to_value(not_done).expect("json")["status"],
            "not_done"
        );
        let rejected = PurgeResponse::Rejected {
            error: Rejection::new(RejectCode::MissingField, "tenant_id", "is required"),
        };
        let json = serde_json::to_value(rejected).expect("json");
        assert_eq!(json["status"], "rejected");
        assert_eq!(json["error"]["field"], "tenant_id");
    }

    #[test]
    fn the_safety_margin_defaults_to_10_s_and_must_be_a_number() {
        let default = PurgeSettings::from_lookup(|_| None).expect("default");
        assert_eq!(default.safety_margin, Duration::from_secs(10));
        let set = PurgeSettings::from_lookup(|_| Some("3".into())).expect("set");
        assert_eq!(set.safety_margin, Duration::from_secs(3));
        assert!(PurgeSettings::from_lookup(|_| Some("soon".into())).is_err());
    }

    /// A request that can never succeed is answered before any storage call
    /// (the ledger's client points nowhere), and nothing is deleted.
    #[tokio::test]
    async fn a_rejection_never_reaches_the_store() {
        // No rule: any call the handler made would fail the test.
        let client: aws_sdk_dynamodb::Client =
            aws_smithy_mocks::mock_client!(aws_sdk_dynamodb, &[]);
        let handler = PurgeHandler::new(
            Ledger::new(client, "ledger"),
            PurgeSettings::from_lookup(|_| None).expect("settings"),
        );
        struct Never;
        impl StopSignal for Never {
            fn should_stop(&self) -> bool {
                false
            }
        }
        for raw in [
            "{}",
            r#"{"tenant_id": "t"}"#,
            r#"{"scope": "actor", "tenant_id": "t"}"#,
            r#"{"scope": "actor", "actor_id": "u"}"#,
            r##"{"scope": "tenant", "tenant_id": "#day"}"##,
        ] {
            let answer = handler
                .handle(raw, domain::testing::at("2026-11-28T10:00:00Z"), &Never)
                .await
                .expect("an answer");
            assert!(
                matches!(answer, PurgeResponse::Rejected { .. }),
                "{raw}: {answer:?}"
            );
        }
    }
}
