//! `GET /summary?window=24h|7d|30d|90d`: routing, the window, one aggregate
//! read, and the single place where errors become status codes.

use chrono::{DateTime, Utc};
use domain::{Aggregation, Retention, Summary, Window, WindowError, WindowKey};
use lambda_http::http::{Method, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;
use std::convert::Infallible;
use std::time::{Duration, Instant};
use storage::{Ledger, QueryOptions, Sources, StorageError, WindowStats};

pub const ROUTE: &str = "/summary";

#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error("no such route")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the window parameter is given more than once")]
    RepeatedWindow { allowed: Vec<&'static str> },
    #[error(transparent)]
    BadWindow(#[from] WindowError),
    #[error("reading the ledger failed")]
    Storage(#[from] StorageError),
    /// The read did not finish inside its budget (roll-ups being rebuilt
    /// after a deploy, or a slow store): a clear 503, never a timeout.
    #[error(
        "the summary is not available right now (its read took longer than {budget:?}); retry shortly"
    )]
    OverBudget { budget: Duration },
}

/// The summary's read budget when `SUMMARY_READ_BUDGET_MS` does not set one:
/// well inside the function's 20 s timeout and API Gateway's 30 s limit.
pub const DEFAULT_READ_BUDGET: Duration = Duration::from_secs(15);

/// Summary's own setting, beside the shared table name and retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummarySettings {
    /// How long one summary may read before it answers 503
    /// (`SUMMARY_READ_BUDGET_MS`, 100 to 25000, default 15000).
    pub read_budget: Duration,
}

pub use wiring::settings::{FunctionSettings, SettingsError};

impl SummarySettings {
    /// The settings summary reads. Any other `SUMMARY_*` variable is refused
    /// at start, so a misspelled setting cannot silently fall back to its default.
    pub const NAMES: [&'static str; 1] = ["SUMMARY_READ_BUDGET_MS"];
}

impl FunctionSettings for SummarySettings {
    const SETTINGS: wiring::settings::Settings = wiring::settings::Settings {
        function: "summary",
        prefix: "SUMMARY_",
        names: &Self::NAMES,
    };

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let millis = wiring::settings::whole_number_within(
            &lookup,
            "SUMMARY_READ_BUDGET_MS",
            DEFAULT_READ_BUDGET.as_millis() as u64,
            100..=25_000,
        )?;
        Ok(Self {
            read_budget: Duration::from_millis(millis),
        })
    }
}

/// Seconds a caller is asked to wait after a 503.
const RETRY_AFTER_SECONDS: &str = "60";

impl SummaryError {
    /// The one place errors become status codes and bodies. A 5xx body is generic.
    fn into_response(self) -> Response<Body> {
        let (status, code, extra) = match &self {
            SummaryError::NotFound => (StatusCode::NOT_FOUND, "not_found", None),
            SummaryError::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None)
            }
            SummaryError::RepeatedWindow { allowed } => (
                StatusCode::BAD_REQUEST,
                "invalid_window",
                Some(allowed.clone()),
            ),
            SummaryError::BadWindow(error @ WindowError::Unknown { .. }) => (
                StatusCode::BAD_REQUEST,
                "invalid_window",
                Some(error.allowed().to_vec()),
            ),
            SummaryError::BadWindow(error @ WindowError::LongerThanRetention { .. }) => (
                StatusCode::BAD_REQUEST,
                "window_exceeds_retention",
                Some(error.allowed().to_vec()),
            ),
            SummaryError::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", None),
            SummaryError::OverBudget { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "summary_unavailable", None)
            }
        };
        let message = match &self {
            SummaryError::NotFound => format!("no such route; use GET {ROUTE}?window=..."),
            SummaryError::MethodNotAllowed => format!("{ROUTE} only answers GET"),
            SummaryError::Storage(_) => "internal error".to_owned(),
            other => other.to_string(),
        };
        let mut error = json!({"code": code, "message": message});
        if let Some(allowed) = extra {
            error["allowed_windows"] = json!(allowed);
        }
        let mut response = json_response(status, &json!({ "error": error }));
        if matches!(self, SummaryError::MethodNotAllowed) {
            response
                .headers_mut()
                .insert(header::ALLOW, header::HeaderValue::from_static("GET"));
        }
        if matches!(self, SummaryError::OverBudget { .. }) {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        response
    }

    fn outcome(&self) -> &'static str {
        match self {
            SummaryError::NotFound => "not_found",
            SummaryError::MethodNotAllowed => "method_not_allowed",
            SummaryError::RepeatedWindow { .. } | SummaryError::BadWindow(_) => "bad_request",
            SummaryError::Storage(_) => "failed",
            SummaryError::OverBudget { .. } => "over_budget",
        }
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

/// A summary that was answered, with what it cost to read.
#[derive(Debug)]
pub struct Answer {
    pub summary: Summary,
    pub stats: WindowStats,
    /// Why no roll-up could be read, when none could (every day was read raw).
    pub rollup_error: Option<StorageError>,
}

#[derive(Debug, Clone)]
pub struct SummaryHandler {
    ledger: Ledger,
    /// Bounds the windows offered and what counts.
    retention: Retention,
    options: QueryOptions,
    read_budget: Duration,
}

impl SummaryHandler {
    pub fn new(ledger: Ledger, retention: Retention, options: QueryOptions) -> Self {
        Self {
            ledger,
            retention,
            options,
            read_budget: DEFAULT_READ_BUDGET,
        }
    }

    /// How long one summary may read before it answers 503 instead.
    pub fn with_read_budget(mut self, budget: Duration) -> Self {
        self.read_budget = budget;
        self
    }

    /// The Lambda entry point: every outcome, errors included, is an HTTP response.
    pub async fn invoke(&self, request: Request) -> Result<Response<Body>, Infallible> {
        let windows: Vec<&str> = request
            .query_string_parameters_ref()
            .and_then(|q| q.all("window"))
            .unwrap_or_default();
        Ok(self
            .handle(
                request.method(),
                request.uri().path(),
                &windows,
                domain::now_millis(),
            )
            .await)
    }

    /// Answers one request and writes its one outcome line and metrics.
    pub async fn handle(
        &self,
        method: &Method,
        path: &str,
        windows: &[&str],
        now: DateTime<Utc>,
    ) -> Response<Body> {
        let started = Instant::now();
        let key = self.route(method, path, windows);
        // Only a parsed window key is logged: the raw query value is caller-chosen text.
        let window = key.as_ref().ok().map(WindowKey::as_str);
        let result = match key {
            Ok(key) => self.read(key, now).await,
            Err(error) => Err(error),
        };
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        match result {
            Ok(Answer {
                summary,
                stats:
                    WindowStats {
                        raw: stats,
                        window_rollup,
                        rollup_days,
                        rollup_hours,
                        rollup_items,
                        rollups_unreadable,
                        rollup_capacity,
                    },
                rollup_error,
            }) => {
                // What DynamoDB reports this answer consumed: index and roll-ups.
                let read_units = stats.consumed_capacity + rollup_capacity;
                wiring::emf::summary_read(latency_ms, stats.items, stats.queries, stats.skipped);
                // The roll-ups could not be read: their days were read raw (exact,
                // slower); the chain goes to the log.
                let rollup_error = rollup_error.as_ref().map(|e| wiring::error_chain(e));
                // One line, at warn when rows were skipped (answered from the
                // rows it could read; the alarm on SkippedRows fires) or when
                // roll-ups could not be read.
                macro_rules! answered {
                    ($level:ident) => {
                        tracing::$level!(
                            outcome = "ok",
                            window,
                            latency_ms,
                            partitions = stats.partitions,
                            queries = stats.queries,
                            items_read = stats.items,
                            skipped_rows = stats.skipped,
                            window_rollup = window_rollup.as_str(),
                            rollup_days,
                            rollup_hours,
                            rollup_items,
                            rollups_unreadable,
                            read_units,
                            rollup_error,
                            "summary"
                        )
                    };
                }
                if stats.skipped > 0 || rollups_unreadable > 0 || rollup_error.is_some() {
                    answered!(warn);
                } else {
                    answered!(info);
                }
                // Serializing plain data with string keys cannot fail.
                json_response(
                    StatusCode::OK,
                    &serde_json::to_value(summary).unwrap_or_default(),
                )
            }
            Err(error) => {
                let outcome = error.outcome();
                if let SummaryError::Storage(cause) = &error {
                    wiring::emf::failed();
                    let chain = wiring::error_chain(cause);
                    tracing::error!(outcome, window, latency_ms, error = chain, "summary failed");
                } else if matches!(error, SummaryError::OverBudget { .. }) {
                    // Counted as a failure: SummaryFailedAlarm watches it.
                    wiring::emf::failed();
                    tracing::error!(outcome, window, latency_ms, "summary over its read budget");
                } else {
                    tracing::warn!(outcome, window, latency_ms, "summary refused");
                }
                error.into_response()
            }
        }
    }

    /// The route and the window key, or why the request is refused.
    fn route(
        &self,
        method: &Method,
        path: &str,
        windows: &[&str],
    ) -> Result<WindowKey, SummaryError> {
        if path != ROUTE {
            return Err(SummaryError::NotFound);
        }
        if method != Method::GET {
            return Err(SummaryError::MethodNotAllowed);
        }
        let retention = self.retention;
        match windows {
            [] => Ok(WindowKey::parse(None, retention)?),
            [one] => Ok(WindowKey::parse(Some(one), retention)?),
            _ => Err(SummaryError::RepeatedWindow {
                allowed: WindowKey::allowed(retention),
            }),
        }
    }

    /// One aggregate read of the window ending at `now`: storage plans the
    /// read (whole closed days from usable roll-ups, the rest from raw rows),
    /// the domain aggregates it.
    async fn read(&self, key: WindowKey, now: DateTime<Utc>) -> Result<Answer, SummaryError> {
        let aggregation = Aggregation::new(Window::ending_at(key, now), now, self.retention);
        let read = tokio::time::timeout(
            self.read_budget,
            self.ledger
                .read_summary(aggregation, Sources::Rollups, self.options),
        )
        .await
        .map_err(|_| SummaryError::OverBudget {
            budget: self.read_budget,
        })??;
        Ok(Answer {
            summary: read.summary,
            stats: read.stats,
            rollup_error: read.rollup_error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, retry::RetryConfig};
    use domain::Retention;

    fn now() -> DateTime<Utc> {
        domain::testing::at("2026-11-27T10:30:00Z")
    }

    /// A handler over a ledger whose store answers nothing (its endpoint is
    /// a closed port): the tests below are answered before any read, or
    /// show what a failed read becomes. What a summary reads is
    /// `Ledger::read_summary`'s, tested on DynamoDB Local.
    fn handler(retention_days: u64) -> SummaryHandler {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:1")
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .retry_config(RetryConfig::disabled())
            .build();
        let retention = Retention::from_days(retention_days).expect("valid");
        SummaryHandler::new(
            Ledger::new(Client::from_conf(config), "ledger"),
            retention,
            QueryOptions::default(),
        )
    }

    async fn call(
        handler: &SummaryHandler,
        method: Method,
        path: &str,
        windows: &[&str],
    ) -> (StatusCode, serde_json::Value) {
        let response = handler.handle(&method, path, windows, now()).await;
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let Body::Text(text) = response.body() else {
            panic!("text body expected")
        };
        (
            response.status(),
            serde_json::from_str(text).expect("JSON body"),
        )
    }

    /// Roll-ups only save reading: when their batch read fails, the summary
    /// reads every day raw and answers 200, exact (never 500, never short).
    #[test]
    fn the_read_budget_comes_from_its_setting_within_bounds() {
        let budget = |value: Option<&str>| {
            SummarySettings::from_lookup(|_| value.map(str::to_owned)).map(|s| s.read_budget)
        };
        assert_eq!(budget(None).ok(), Some(DEFAULT_READ_BUDGET));
        assert_eq!(budget(Some("1500")).ok(), Some(Duration::from_millis(1500)));
        for bad in ["", "fast", "99", "25001", "-1"] {
            assert!(budget(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn over_budget_is_a_503_with_retry_after_and_a_generic_body() {
        let response = SummaryError::OverBudget {
            budget: Duration::from_secs(15),
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "60");
        let Body::Text(text) = response.body() else {
            panic!("text body")
        };
        let body: serde_json::Value = serde_json::from_str(text).expect("json");
        assert_eq!(body["error"]["code"], "summary_unavailable");
    }

    #[tokio::test]
    async fn bad_window_is_400_listing_allowed_windows() {
        // Answered before any read: the store's endpoint is a closed port,
        // so a read would have made this a 500.
        let (status, body) = call(&handler(90), Method::GET, ROUTE, &["1y"]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "invalid_window");
        assert_eq!(
            body["error"]["allowed_windows"],
            json!(["24h", "7d", "30d", "90d"])
        );
    }

    #[tokio::test]
    async fn repeated_window_is_400() {
        let (status, body) = call(&handler(90), Method::GET, ROUTE, &["7d", "30d"]).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_window"))
        );
    }

    #[tokio::test]
    async fn window_longer_than_retention_is_400() {
        let (status, body) = call(&handler(7), Method::GET, ROUTE, &["30d"]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "window_exceeds_retention");
        assert_eq!(body["error"]["allowed_windows"], json!(["24h", "7d"]));
    }

    #[tokio::test]
    async fn unknown_path_is_404_and_other_methods_405() {
        let h = handler(90);
        assert_eq!(
            call(&h, Method::GET, "/events", &[]).await.0,
            StatusCode::NOT_FOUND
        );
        let response = h.handle(&Method::POST, ROUTE, &[], now()).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "GET");
    }

    #[tokio::test]
    async fn storage_failure_is_a_generic_500() {
        let (status, body) = call(&handler(90), Method::GET, ROUTE, &["24h"]).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body,
            json!({"error": {"code": "internal", "message": "internal error"}})
        );
    }
}
