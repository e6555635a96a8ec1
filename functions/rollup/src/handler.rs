//! The roll-up writer: one run (`Ledger::run_writer`: its lease, every
//! closed day within the retention whose roll-up is missing or stale, newest
//! first, the closed hours of the last two days, each summary window's own
//! roll-up, the sweep), until the deadline's margin. This formats its
//! report: one outcome line, one metric, one response.

use chrono::{DateTime, Utc};
use domain::Retention;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Serialize;
use std::time::{Duration, Instant};
use storage::{Ledger, WriterOutcome, WriterRun};

/// Rollup's own setting, beside the shared table name and retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollupSettings {
    /// Stop this long before the Lambda deadline: one day's build at most
    /// (`ROLLUP_SAFETY_MARGIN_SECONDS`, default 30).
    pub safety_margin: Duration,
}

pub use wiring::settings::{FunctionSettings, SettingsError};

impl RollupSettings {
    /// The settings rollup reads. Any other `ROLLUP_*` variable is refused
    /// at start, so a misspelled setting cannot silently fall back to its default.
    pub const NAMES: [&'static str; 1] = ["ROLLUP_SAFETY_MARGIN_SECONDS"];
}

impl FunctionSettings for RollupSettings {
    const SETTINGS: wiring::settings::Settings = wiring::settings::Settings {
        function: "rollup",
        prefix: "ROLLUP_",
        names: &Self::NAMES,
    };

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let seconds =
            wiring::settings::whole_number(&lookup, "ROLLUP_SAFETY_MARGIN_SECONDS", 30u64)?;
        Ok(Self {
            safety_margin: Duration::from_secs(seconds),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollupReport {
    pub finished: bool,
    pub days_checked: u32,
    pub days_built: u32,
    /// Built while a late row arrived, or a late row arrived minutes ago:
    /// not stored now, built by a later run.
    pub days_superseded: u32,
    /// Days (or closed hours) whose build failed; the next run retries them.
    pub days_failed: u32,
    /// Closed hours of the last two days looked at, and built (hour roll-ups
    /// keep a window's raw tail to about an hour).
    pub hours_checked: u32,
    pub hours_built: u32,
    /// Hours not stored now (as `days_superseded`).
    pub hours_superseded: u32,
    /// Window roll-ups due (per window the retention allows: six for the
    /// scheduled run at :20, three to six by the minute of the hour),
    /// and built: a summary then reads one item and about an hour of rows.
    pub windows_checked: u32,
    pub windows_built: u32,
    /// Not built now because a late row, purge or erasure bumped one of
    /// their days minutes ago; the next run builds them.
    pub windows_settling: u32,
    /// Not built because they hold more workspaces than one item can, or a
    /// version item of their days cannot be read (their summaries read day
    /// and hour roll-ups), or not stored over a newer build of another
    /// deploy's run (logged at warn).
    pub windows_skipped: u32,
    /// Roll-up and day-version items of days outside the retention, deleted
    /// (after a shortened retention; normally 0).
    pub bookkeeping_deleted: u32,
    /// `#rollup` items no current roll-up and no window roll-up of this run
    /// names (replaced chunk sets, stale heads, hour roll-ups past their use,
    /// an earlier run's window roll-ups), deleted: none of them keeps a
    /// purged workspace's digest past this run.
    pub rollups_swept: u32,
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
    #[error(
        "another writer run holds the lease{}; this one did nothing (runs never overlap)",
        held_until.map(|at| format!(" until {}", domain::format_millis(at))).unwrap_or_default()
    )]
    Overlapping { held_until: Option<DateTime<Utc>> },
    #[error(
        "the roll-up items of days outside the retention could not all be deleted; the next run tries again"
    )]
    CleanupFailed { report: Box<RollupReport> },
    #[error(
        "the window roll-ups could not all be built; summaries read day and hour roll-ups meanwhile, and the next run retries"
    )]
    WindowsFailed { report: Box<RollupReport> },
}

impl From<RollupError> for Diagnostic {
    fn from(error: RollupError) -> Self {
        let error_type = match error {
            RollupError::DaysFailed { .. } => "DaysFailed",
            RollupError::Storage(_) => "StorageUnavailable",
            RollupError::Overlapping { .. } => "Overlapping",
            RollupError::CleanupFailed { .. } => "CleanupFailed",
            RollupError::WindowsFailed { .. } => "WindowsFailed",
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
    /// Which days are due, and how long their roll-ups live.
    retention: Retention,
    settings: RollupSettings,
}

impl RollupHandler {
    pub fn new(ledger: Ledger, retention: Retention, settings: RollupSettings) -> Self {
        Self {
            ledger,
            retention,
            settings,
        }
    }

    /// Any payload starts a run (the schedule's event, or `{}` by hand): the
    /// run decides from its own clock and the table, never from the input.
    pub async fn invoke(
        &self,
        event: LambdaEvent<serde_json::Value>,
    ) -> Result<RollupReport, RollupError> {
        let deadline = wiring::deadline_instant(event.context.deadline);
        let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 3);
        let lease_until = i64::try_from(event.context.deadline)
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or(now);
        let margin = self.settings.safety_margin;
        self.handle(now, lease_until, || Instant::now() + margin >= deadline)
            .await
    }

    /// One run at `now`, holding the writer's lease until `lease_until` (the
    /// invocation's deadline), stopping where `should_stop` says.
    pub async fn handle(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        should_stop: impl Fn() -> bool,
    ) -> Result<RollupReport, RollupError> {
        let started = Instant::now();
        let run = match self
            .ledger
            .run_writer(now, self.retention, lease_until, &should_stop)
            .await
        {
            Ok(WriterOutcome::Ran(run)) => run,
            Ok(WriterOutcome::Overlapping { held_until }) => {
                wiring::emf::failed();
                let error = RollupError::Overlapping { held_until };
                tracing::error!(outcome = "overlapping", error = %error, "rollup refused");
                return Err(error);
            }
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
        for (day, error) in &run.rollups.failed {
            tracing::warn!(day = %day, error = wiring::error_chain(error), "rollup: day failed");
        }
        let mut report = RollupReport::of(&run);
        let windows_error = run
            .windows
            .as_ref()
            .and_then(|w| w.error.as_ref())
            .map(|e| wiring::error_chain(e));
        let cleanup_error = run
            .rollups
            .cleanup_error
            .as_ref()
            .or(run.sweep.as_ref().err())
            .map(|e| wiring::error_chain(e));
        let release_error = run.release_error.as_ref().map(|e| wiring::error_chain(e));
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
                    hours_built = report.hours_built,
                    hours_superseded = report.hours_superseded,
                    windows_checked = report.windows_checked,
                    windows_built = report.windows_built,
                    windows_settling = report.windows_settling,
                    windows_skipped = report.windows_skipped,
                    windows_error,
                    bookkeeping_deleted = report.bookkeeping_deleted,
                    rollups_swept = report.rollups_swept,
                    cleanup_error,
                    release_error,
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
        if cleanup_error.is_some() {
            log_report!(error, "cleanup_failed");
            return Err(RollupError::CleanupFailed {
                report: Box::new(report),
            });
        }
        if windows_error.is_some() {
            log_report!(error, "windows_failed");
            return Err(RollupError::WindowsFailed {
                report: Box::new(report),
            });
        }
        if report.finished && report.windows_skipped == 0 {
            log_report!(info, "finished");
        } else if report.finished {
            log_report!(warn, "windows_skipped");
        } else {
            log_report!(warn, "stopped_early");
        }
        Ok(report)
    }
}

impl RollupReport {
    /// The response of a run (its duration set by the caller).
    fn of(run: &WriterRun) -> Self {
        let (rollups, windows) = (&run.rollups, run.windows.as_ref());
        Self {
            finished: run.finished(),
            days_checked: rollups.days_checked,
            days_built: rollups.days_built,
            days_superseded: rollups.days_superseded,
            days_failed: rollups.failed.len() as u32,
            hours_checked: rollups.hours_checked,
            hours_built: rollups.hours_built,
            hours_superseded: rollups.hours_superseded,
            windows_checked: windows.map_or(0, |w| w.checked),
            windows_built: windows.map_or(0, |w| w.built),
            windows_settling: windows.map_or(0, |w| w.settling),
            windows_skipped: windows.map_or(0, |w| w.too_large + w.unreadable + w.newer),
            bookkeeping_deleted: rollups.bookkeeping_deleted,
            rollups_swept: run.sweep.as_ref().map_or(0, |s| s.deleted),
            duration_ms: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
    use aws_sdk_dynamodb::operation::query::QueryOutput;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use domain::testing::at;

    /// The writer's lease, taken and given back.
    fn lease_mocks() -> (aws_smithy_mocks::Rule, aws_smithy_mocks::Rule) {
        let take = mock!(Client::put_item).then_output(|| {
            aws_sdk_dynamodb::operation::put_item::PutItemOutput::builder().build()
        });
        let give_back = mock!(Client::delete_item).then_output(|| {
            aws_sdk_dynamodb::operation::delete_item::DeleteItemOutput::builder().build()
        });
        (take, give_back)
    }

    /// No roll-up exists (an empty batch read); a stop asked for before the
    /// first day ends the run unfinished, with nothing built or failed.
    #[tokio::test]
    async fn a_stop_before_the_first_day_ends_unfinished() {
        let none =
            mock!(Client::batch_get_item).then_output(|| BatchGetItemOutput::builder().build());
        let no_bookkeeping = mock!(Client::query).then_output(|| QueryOutput::builder().build());
        let (lease, release) = lease_mocks();
        let client: Client = mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            &[&none, &no_bookkeeping, &lease, &release]
        );
        let retention = Retention::from_days(7).expect("valid");
        let handler = RollupHandler::new(
            Ledger::new(client, "ledger"),
            retention,
            RollupSettings::from_lookup(|_| None).expect("defaults"),
        );
        let report = handler
            .handle(
                at("2026-11-28T01:00:00Z"),
                at("2026-11-28T01:05:00Z"),
                || true,
            )
            .await
            .expect("a stopped run is not an error");
        assert!(!report.finished);
        assert_eq!(report.days_checked, 6);
        assert_eq!((report.days_built, report.days_failed), (0, 0));
    }

    /// A day whose build fails is reported with its error, the walk goes on
    /// to every other day, and the run ends as `DaysFailed` (its metric and
    /// alarm), never as a silent success.
    #[tokio::test]
    async fn a_failing_day_is_reported_and_the_walk_goes_on() {
        let none =
            mock!(Client::batch_get_item).then_output(|| BatchGetItemOutput::builder().build());
        // Each day's rows are read through the time index: that read fails.
        let broken = mock!(Client::query)
            .match_requests(|query| query.index_name().is_some())
            .then_error(|| {
                aws_sdk_dynamodb::operation::query::QueryError::InternalServerError(
                    aws_sdk_dynamodb::types::error::InternalServerError::builder()
                        .message("boom")
                        .build(),
                )
            });
        let no_bookkeeping = mock!(Client::query).then_output(|| QueryOutput::builder().build());
        let (lease, release) = lease_mocks();
        let client: Client = mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            &[&none, &broken, &no_bookkeeping, &lease, &release]
        );
        let retention = Retention::from_days(7).expect("valid");
        let handler = RollupHandler::new(
            Ledger::new(client, "ledger"),
            retention,
            RollupSettings::from_lookup(|_| None).expect("defaults"),
        );
        let error = handler
            .handle(
                at("2026-11-28T01:00:00Z"),
                at("2026-11-28T01:05:00Z"),
                || false,
            )
            .await
            .expect_err("failed days fail the run");
        let RollupError::DaysFailed { failed, report } = error else {
            panic!("expected DaysFailed, got {error:?}")
        };
        // The 6 due days, then the 24 closed hours of yesterday (its day
        // roll-up failed too, so its hours are built instead).
        assert_eq!(failed, 6 + 24, "every due day and hour was tried");
        assert_eq!(
            (
                report.days_checked,
                report.hours_checked,
                report.days_built + report.hours_built,
                report.days_failed,
                report.finished
            ),
            (6, 24, 0, 30, false)
        );
        // The window roll-ups were still tried after them (their raw read,
        // through the same index, failed too): none built, so not finished.
        assert_eq!((report.windows_checked, report.windows_built), (8, 0));
        assert!(broken.num_calls() >= 6);
        let diagnostic = Diagnostic::from(RollupError::DaysFailed { failed, report });
        assert_eq!(diagnostic.error_type, "DaysFailed");
    }
}
