//! The roll-up writer: every closed UTC day within the retention whose
//! roll-up is missing or stale (a late row bumped its version) is rolled up,
//! newest first, until the deadline's margin. One report, one outcome line.

use chrono::{DateTime, Utc};
use domain::rollup::due_days;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Serialize;
use std::time::{Duration, Instant};
use storage::{Ledger, QueryOptions, RollupWrite};

/// Stop this long before the Lambda deadline: one day's build at most.
pub const SAFETY_MARGIN: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollupReport {
    pub finished: bool,
    pub days_checked: u32,
    pub days_built: u32,
    /// Built while a late row arrived, or a late row arrived minutes ago:
    /// not stored now, built by a later run.
    pub days_superseded: u32,
    pub days_failed: u32,
    pub duration_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RollupError {
    #[error(
        "{failed} day(s) could not be rolled up; their summaries read raw rows meanwhile, and the next run retries"
    )]
    DaysFailed {
        failed: u32,
        report: Box<RollupReport>,
    },
    #[error("the roll-ups could not be read; nothing was written")]
    Storage(#[from] storage::StorageError),
}

impl From<RollupError> for Diagnostic {
    fn from(error: RollupError) -> Self {
        let error_type = match error {
            RollupError::DaysFailed { .. } => "DaysFailed",
            RollupError::Storage(_) => "StorageUnavailable",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: error.to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RollupHandler {
    ledger: Ledger,
}

impl RollupHandler {
    pub fn new(ledger: Ledger) -> Self {
        Self { ledger }
    }

    /// Any payload starts a run (the schedule's event, or `{}` by hand): the
    /// run decides from its own clock and the table, never from the input.
    pub async fn invoke(
        &self,
        event: LambdaEvent<serde_json::Value>,
    ) -> Result<RollupReport, RollupError> {
        let deadline = wiring::deadline_instant(event.context.deadline);
        let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 3);
        self.handle(now, || Instant::now() + SAFETY_MARGIN >= deadline)
            .await
    }

    pub async fn handle(
        &self,
        now: DateTime<Utc>,
        should_stop: impl Fn() -> bool,
    ) -> Result<RollupReport, RollupError> {
        let started = Instant::now();
        let days = due_days(now, self.ledger.retention());
        let usable = match self.ledger.usable_rollups(&days).await {
            Ok(read) => read.rollups,
            Err(error) => {
                wiring::emf::failed();
                tracing::error!(
                    outcome = "failed",
                    error = wiring::error_chain(&error),
                    "rollup failed"
                );
                return Err(error.into());
            }
        };
        let mut report = RollupReport {
            finished: true,
            days_checked: days.len() as u32,
            days_built: 0,
            days_superseded: 0,
            days_failed: 0,
            duration_ms: 0,
        };
        for day in days.iter().filter(|day| !usable.contains_key(day)) {
            if should_stop() {
                report.finished = false;
                break;
            }
            match self
                .ledger
                .roll_up_day(*day, now, QueryOptions::default())
                .await
            {
                Ok(RollupWrite::Stored { .. }) => report.days_built += 1,
                // Either way the day is built by a later run; summaries read it raw meanwhile.
                Ok(RollupWrite::Superseded | RollupWrite::Settling) => report.days_superseded += 1,
                Err(error) => {
                    report.days_failed += 1;
                    tracing::warn!(day = %day, error = wiring::error_chain(&error), "rollup: day failed");
                }
            }
        }
        report.duration_ms = started.elapsed().as_millis() as u64;
        wiring::emf::rollup_run(report.days_built, report.days_failed, report.finished);
        macro_rules! log_report {
            ($level:ident, $outcome:literal) => {
                tracing::$level!(
                    outcome = $outcome,
                    finished = report.finished,
                    days_checked = report.days_checked,
                    days_built = report.days_built,
                    days_superseded = report.days_superseded,
                    days_failed = report.days_failed,
                    duration_ms = report.duration_ms,
                    "rollup"
                )
            };
        }
        if report.days_failed > 0 {
            log_report!(error, "days_failed");
            return Err(RollupError::DaysFailed {
                failed: report.days_failed,
                report: Box::new(report),
            });
        }
        if report.finished {
            log_report!(info, "finished");
        } else {
            log_report!(warn, "stopped_early");
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        domain::time::parse_rfc3339(text).expect("valid RFC 3339")
    }

    #[test]
    fn due_days_wait_for_the_lag_and_stay_inside_the_retention() {
        let retention = domain::Retention::from_days(7).expect("valid");
        // 00:14: yesterday closed less than 15 minutes ago, so it waits.
        let days = due_days(at("2026-11-28T00:14:00Z"), retention);
        assert_eq!(
            days.first().map(|d| d.to_string()).as_deref(),
            Some("2026-11-26")
        );
        let days = due_days(at("2026-11-28T00:15:00Z"), retention);
        assert_eq!(
            days.first().map(|d| d.to_string()).as_deref(),
            Some("2026-11-27")
        );
        // The oldest day is the first one wholly inside the 7-day retention.
        assert_eq!(
            days.last().map(|d| d.to_string()).as_deref(),
            Some("2026-11-22")
        );
        assert_eq!(days.len(), 6);
    }
}
