//! The prune handler: one of exactly two input shapes, a plan from the
//! function's own clock, the walk, and one structured report.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Deserialize;
use std::time::Duration;
use storage::{Deadline, Ledger, PrunePlan, PruneReport, QueryOptions, StopSignal};

/// The two payloads prune accepts. Anything else is an error that deletes nothing.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum PruneInput {
    /// The EventBridge schedule. Its `time` is never used: the function keeps its own clock.
    Scheduled(Box<EventBridgeEvent<serde_json::Value>>),
    /// A manual run: `{"dry_run": true}` reports without deleting.
    Manual(ManualRun),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualRun {
    pub dry_run: bool,
}

pub const SCHEDULED_DETAIL_TYPE: &str = "Scheduled Event";

impl PruneInput {
    /// Parses the payload; returns whether this is a dry run.
    pub fn dry_run_of(payload: serde_json::Value) -> Result<bool, PruneError> {
        // A payload that mentions dry_run is only ever a manual run, so an
        // event-shaped payload with "dry_run": true can never delete.
        let parsed = if payload.get("dry_run").is_some() {
            serde_json::from_value::<ManualRun>(payload).map(PruneInput::Manual)
        } else {
            serde_json::from_value::<PruneInput>(payload)
        };
        match parsed {
            Ok(PruneInput::Scheduled(event)) if event.detail_type == SCHEDULED_DETAIL_TYPE => {
                Ok(false)
            }
            Ok(PruneInput::Scheduled(_)) => Err(PruneError::InvalidInput(format!(
                "an EventBridge event must have detail-type \"{SCHEDULED_DETAIL_TYPE}\""
            ))),
            Ok(PruneInput::Manual(run)) => Ok(run.dry_run),
            Err(_) => Err(PruneError::InvalidInput(
                "prune accepts an EventBridge scheduled event or {\"dry_run\": true|false}".into(),
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PruneError {
    #[error("invalid input: {0}; nothing was deleted")]
    InvalidInput(String),
    /// Some partitions still failed after their retries. Every row the run
    /// could delete stays deleted; the next run retries the rest.
    #[error(
        "{failed} partition(s) failed after their retries and {left} due row(s) were left; every other row was pruned, and the next run retries the rest"
    )]
    PartitionsFailed {
        failed: u32,
        left: u64,
        report: Box<PruneReport>,
    },
}

impl From<PruneError> for Diagnostic {
    fn from(error: PruneError) -> Self {
        let error_type = match error {
            PruneError::InvalidInput(_) => "InvalidInput",
            PruneError::PartitionsFailed { .. } => "PartitionsFailed",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: error.to_string(),
        }
    }
}

/// Prune's own settings, beside the shared table name and retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneSettings {
    /// Days before `now - max retention` the walk still looks at (`PRUNE_MARGIN_DAYS`, default 7).
    pub margin_days: u16,
    /// Stop this long before the Lambda deadline (`PRUNE_SAFETY_MARGIN_SECONDS`, default 10).
    pub safety_margin: Duration,
    /// Leave rows that expired under their own TTL less than this long ago to
    /// TTL, which deletes for free (`PRUNE_TTL_GRACE_HOURS`, default 48).
    pub ttl_grace: Duration,
}

pub use wiring::settings::{FunctionSettings, SettingsError};

impl PruneSettings {
    /// The settings prune reads. Any other `PRUNE_*` variable is refused at
    /// start, so a misspelled setting cannot silently fall back to its default.
    pub const NAMES: [&'static str; 3] = [
        "PRUNE_MARGIN_DAYS",
        "PRUNE_SAFETY_MARGIN_SECONDS",
        "PRUNE_TTL_GRACE_HOURS",
    ];
}

impl FunctionSettings for PruneSettings {
    const SETTINGS: wiring::settings::Settings = wiring::settings::Settings {
        function: "prune",
        prefix: "PRUNE_",
        names: &Self::NAMES,
    };

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        use wiring::settings::whole_number;
        Ok(Self {
            margin_days: whole_number(&lookup, "PRUNE_MARGIN_DAYS", 7u16)?,
            safety_margin: Duration::from_secs(u64::from(whole_number(
                &lookup,
                "PRUNE_SAFETY_MARGIN_SECONDS",
                10u16,
            )?)),
            ttl_grace: Duration::from_secs(
                3600 * u64::from(whole_number(&lookup, "PRUNE_TTL_GRACE_HOURS", 48u16)?),
            ),
        })
    }
}

#[derive(Debug, Clone)]
pub struct PruneHandler {
    ledger: Ledger,
    retention: domain::Retention,
    settings: PruneSettings,
}

impl PruneHandler {
    pub fn new(ledger: Ledger, retention: domain::Retention, settings: PruneSettings) -> Self {
        Self {
            ledger,
            retention,
            settings,
        }
    }

    pub async fn invoke(
        &self,
        event: LambdaEvent<serde_json::Value>,
    ) -> Result<PruneReport, PruneError> {
        let deadline = Deadline {
            deadline: wiring::deadline_instant(event.context.deadline),
            margin: self.settings.safety_margin,
        };
        // Whole milliseconds, the precision rows are stored and keyed at.
        let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 3);
        self.handle(event.payload, now, &deadline).await
    }

    pub async fn handle(
        &self,
        payload: serde_json::Value,
        now: DateTime<Utc>,
        stop: &impl StopSignal,
    ) -> Result<PruneReport, PruneError> {
        let dry_run = match PruneInput::dry_run_of(payload) {
            Ok(dry_run) => dry_run,
            Err(error) => {
                tracing::warn!(outcome = "invalid_input", error = %error, "prune refused");
                return Err(error);
            }
        };
        let plan = PrunePlan::new(
            now,
            self.retention,
            self.settings.margin_days,
            self.settings.ttl_grace,
            dry_run,
        );
        let report = self.ledger.prune(plan, stop, QueryOptions::default()).await;
        // A dry run leaves every due row by design: only real runs count as left behind.
        let left = if report.dry_run { 0 } else { report.rows_left };
        wiring::emf::prune_run(
            report.rows_deleted,
            left,
            report.finished,
            report.partitions_failed,
            report.rows_unreadable,
        );
        wiring::emf::tombstones_honoured(
            report.rows_erased,
            report.purges_unfinished,
            report.tombstones_failed,
        );
        let outcome = if report.partitions_failed > 0 {
            "partitions_failed"
        } else if report.tombstones_failed > 0 {
            // Not finished either: a tombstone that made no progress.
            "tombstones_failed"
        } else if !report.finished {
            "stopped_early"
        } else {
            "finished"
        };
        macro_rules! log_report {
            ($level:ident, $message:literal) => {
                tracing::$level!(
                    outcome,
                    dry_run = report.dry_run,
                    finished = report.finished,
                    cutoff = report.cutoff,
                    days_examined = report.days_examined,
                    partitions_failed = report.partitions_failed,
                    partitions_left = report.partitions_left,
                    rows_unreadable = report.rows_unreadable,
                    rows_due = report.rows_due,
                    rows_deleted = report.rows_deleted,
                    rows_changed = report.rows_changed,
                    rows_left = report.rows_left,
                    rows_left_to_ttl = report.rows_left_to_ttl,
                    tombstones = report.tombstones,
                    tombstones_taken = report.tombstones_taken,
                    tombstones_closed = report.tombstones_closed,
                    tombstones_waiting = report.tombstones_waiting,
                    tombstones_reapplied = report.tombstones_reapplied,
                    rows_erased = report.rows_erased,
                    purges_unfinished = report.purges_unfinished,
                    tombstones_failed = report.tombstones_failed,
                    duration_ms = report.duration_ms,
                    $message
                )
            };
        }
        if report.partitions_failed > 0 {
            log_report!(error, "prune");
            return Err(PruneError::PartitionsFailed {
                failed: report.partitions_failed,
                left: report.rows_left,
                report: Box::new(report),
            });
        }
        if !report.finished
            || left > 0
            || report.rows_unreadable > 0
            || report.purges_unfinished > 0
            || report.tombstones_failed > 0
        {
            log_report!(warn, "prune");
        } else {
            log_report!(info, "prune");
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::{Instant, SystemTime, UNIX_EPOCH};

    fn schedule(time: &str) -> serde_json::Value {
        json!({
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": time, "region": "eu-west-1",
            "resources": ["arn:aws:events:eu-west-1:123456789012:rule/prune-daily"], "detail": {}
        })
    }

    #[test]
    fn scheduled_event_is_a_real_run() {
        assert!(matches!(
            PruneInput::dry_run_of(schedule("2026-11-27T03:00:00Z")),
            Ok(false)
        ));
    }

    #[test]
    fn forged_times_are_accepted_but_never_used() {
        // The time is parsed as part of the shape, and ignored: the plan comes from the function's clock.
        for time in ["2099-01-01T00:00:00Z", "1970-01-01T00:00:00Z"] {
            assert!(
                matches!(PruneInput::dry_run_of(schedule(time)), Ok(false)),
                "{time}"
            );
        }
    }

    #[test]
    fn manual_dry_run_and_real_run() {
        assert!(matches!(
            PruneInput::dry_run_of(json!({"dry_run": true})),
            Ok(true)
        ));
        assert!(matches!(
            PruneInput::dry_run_of(json!({"dry_run": false})),
            Ok(false)
        ));
    }

    #[test]
    fn anything_else_is_a_clear_error() {
        for payload in [
            json!({}),
            json!({"dry_run": "yes"}),
            json!({"dry_run": true, "cutoff": "2026-01-01"}),
            json!([]),
            json!("prune"),
            json!(null),
        ] {
            let error = PruneInput::dry_run_of(payload.clone()).expect_err("rejected");
            assert!(error.to_string().contains("dry_run"), "{payload}: {error}");
            assert!(error.to_string().contains("nothing was deleted"));
        }
    }

    #[test]
    fn dry_run_inside_an_event_shape_is_never_a_real_run() {
        let mut event = schedule("2026-11-27T03:00:00Z");
        event["dry_run"] = true.into();
        assert!(PruneInput::dry_run_of(event).is_err());
    }

    #[test]
    fn other_eventbridge_events_are_rejected() {
        let mut event = schedule("2026-11-27T03:00:00Z");
        event["detail-type"] = "Object Created".into();
        let error = PruneInput::dry_run_of(event).expect_err("rejected");
        assert!(error.to_string().contains("Scheduled Event"));
    }

    #[test]
    fn settings_default_and_parse() {
        let defaults = PruneSettings::from_lookup(|_| None).expect("defaults");
        assert_eq!(
            defaults,
            PruneSettings {
                margin_days: 7,
                safety_margin: Duration::from_secs(10),
                ttl_grace: Duration::from_secs(48 * 3600),
            }
        );
        let error = PruneSettings::from_lookup(|_| Some("soon".into())).expect_err("bad");
        assert!(error.to_string().contains("PRUNE_MARGIN_DAYS"));
    }

    /// Each setting is read from its own variable: set alone, it changes only its field.
    #[test]
    fn every_setting_is_read_from_its_variable() {
        let defaults = PruneSettings::from_lookup(|_| None).expect("defaults");
        for name in PruneSettings::NAMES {
            let settings =
                PruneSettings::from_lookup(|n| (n == name).then(|| "3".to_owned())).expect("valid");
            let expected = match name {
                "PRUNE_MARGIN_DAYS" => PruneSettings {
                    margin_days: 3,
                    ..defaults
                },
                "PRUNE_SAFETY_MARGIN_SECONDS" => PruneSettings {
                    safety_margin: Duration::from_secs(3),
                    ..defaults
                },
                "PRUNE_TTL_GRACE_HOURS" => PruneSettings {
                    ttl_grace: Duration::from_secs(3 * 3600),
                    ..defaults
                },
                other => panic!("untested setting {other}"),
            };
            assert_eq!(settings, expected, "{name}");
        }
    }

    #[test]
    fn a_misspelled_setting_is_refused() {
        let names = ["PATH", "PRUNE_SAFETY_MARGIN_SECOND", "PRUNE_MARGIN_DAYS"];
        let error = PruneSettings::SETTINGS
            .check_names(names.iter().map(|s| s.to_string()))
            .expect_err("misspelled");
        assert!(
            error.to_string().contains("PRUNE_SAFETY_MARGIN_SECOND;"),
            "{error}"
        );
        assert!(
            PruneSettings::SETTINGS
                .check_names(PruneSettings::NAMES.iter().map(|s| s.to_string()))
                .is_ok()
        );
    }

    #[test]
    fn deadline_conversion_counts_down_from_now() {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_millis() as u64;
        let instant = wiring::deadline_instant(now_ms + 60_000);
        let left = instant.saturating_duration_since(Instant::now());
        assert!(
            left > Duration::from_secs(55) && left <= Duration::from_secs(60),
            "{left:?}"
        );
        let passed = wiring::deadline_instant(now_ms - 1_000);
        assert!(
            passed <= Instant::now() + Duration::from_millis(1),
            "a deadline just passed is expired"
        );
        let relative = wiring::deadline_instant(600_000).saturating_duration_since(Instant::now());
        assert!(
            relative > Duration::from_secs(590),
            "cargo lambda watch's relative deadline: {relative:?}"
        );
    }
}
