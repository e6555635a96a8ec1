//! Wiring shared by every function: configuration read once from the
//! environment, and the DynamoDB client built once per process.

pub mod emf;
pub mod logging;
pub mod secrets;
pub mod settings;

pub use logging::init_logging;
pub use secrets::KeyringSource;

use domain::{KeyringError, Retention, RetentionError};
use std::env;

/// Configuration every function reads once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub table_name: String,
    pub retention: Retention,
}

#[derive(thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {0} is not set; the template sets it for every function")]
    Missing(&'static str),
    #[error("environment variable {0} is empty")]
    Empty(&'static str),
    #[error(transparent)]
    Retention(#[from] RetentionError),
    #[error("the TLS trust store could not be built: {0}")]
    Tls(String),
    #[error(
        "AWS_USE_FIPS_ENDPOINT=true is not supported: this client resolves no FIPS endpoints; unset it or set AWS_ENDPOINT_URL_DYNAMODB to the FIPS endpoint"
    )]
    FipsUnsupported,
    #[error("{name} must be {expected}, got {value:?}")]
    Invalid {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
    /// The erasure keyring could not be read from Secrets Manager: the
    /// cause chain, never the secret.
    #[error("the erasure keyring (ERASURE_KEY_SECRET) could not be read from Secrets Manager: {0}")]
    Secret(String),
    #[error("the erasure keyring (ERASURE_KEY_SECRET) is not usable: {0}")]
    Keyring(#[from] KeyringError),
}

// `main` returning this error prints its Debug form: make that the clear message.
impl std::fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid configuration: {self}")
    }
}

pub const TABLE_NAME: &str = "TABLE_NAME";
pub const RETENTION_DAYS: &str = "RETENTION_DAYS";
/// The erasure log's table (purge and prune; the template sets it for both).
pub const ERASURE_LOG_TABLE: &str = "ERASURE_LOG_TABLE";

/// The erasure log's table name, where one is set (`ERASURE_LOG_TABLE`):
/// purge and prune use it; a local stack may run without one.
pub fn erasure_log_table() -> Option<String> {
    env::var(ERASURE_LOG_TABLE)
        .ok()
        .filter(|name| !name.trim().is_empty())
}

impl Config {
    /// Reads `TABLE_NAME` and `RETENTION_DAYS` from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table_name = lookup(TABLE_NAME).ok_or(ConfigError::Missing(TABLE_NAME))?;
        if table_name.trim().is_empty() {
            return Err(ConfigError::Empty(TABLE_NAME));
        }
        let retention =
            Retention::parse(&lookup(RETENTION_DAYS).ok_or(ConfigError::Missing(RETENTION_DAYS))?)?;
        Ok(Self {
            table_name,
            retention,
        })
    }
}

/// The roots DynamoDB's certificates chain to: Amazon Root CA 1 to 4 and
/// Starfield Services Root G2 (Amazon Trust Services). Trusting only these
/// instead of parsing the system's ~140 roots saves ~5 ms of every cold start.
const AMAZON_TRUST_SERVICES_ROOTS: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

/// `TLS_TRUST=system` trusts the system's roots instead of the pinned Amazon
/// Trust Services roots: for partitions whose endpoints use other CAs, or a
/// TLS-inspecting egress proxy. The default is `amazon`.
pub const TLS_TRUST: &str = "TLS_TRUST";

/// Which roots the HTTPS client trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Amazon Root CA 1 to 4 and Starfield Services Root G2 only (the default).
    AmazonTrustServices,
    /// The operating system's roots.
    System,
}

impl Trust {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        match lookup(TLS_TRUST).as_deref().map(str::trim) {
            None | Some("") | Some("amazon") => Ok(Trust::AmazonTrustServices),
            Some("system") => Ok(Trust::System),
            Some(other) => Err(ConfigError::Invalid {
                name: TLS_TRUST,
                expected: "amazon or system",
                value: other.to_owned(),
            }),
        }
    }
}

/// An HTTPS client (rustls with aws-lc) that trusts the roots `trust` names.
/// How long an idle connection stays in a client's pool.
pub const POOL_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

fn https_client(trust: Trust) -> Result<aws_sdk_dynamodb::config::SharedHttpClient, ConfigError> {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let trust_store = match trust {
        Trust::AmazonTrustServices => TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS),
        Trust::System => TrustStore::empty().with_native_roots(true),
    };
    let context = TlsContext::builder()
        .with_trust_store(trust_store)
        .build()
        .map_err(|e| ConfigError::Tls(e.to_string()))?;
    Ok(aws_smithy_http_client::Builder::new()
        // An idle pooled connection is dropped before the server drops it
        // (DynamoDB Local's Jetty closes one after 30 s, measured): a connection the server closed
        // fails the call that reuses it, and after a long idle spell every
        // pooled one is stale, so the SDK's three attempts can all meet one.
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https())
}

/// The DynamoDB call budget of one function: each attempt, and each operation
/// with the SDK's retries (standard mode, 3 attempts, 50 ms base backoff). A DynamoDB that accepts
/// the connection and never answers costs at most `operation` per call, so the
/// function can still fail, answer or stop on its own. Each function's Lambda
/// `Timeout` in `infra/template.yaml` must exceed its `operation` (a test
/// compares them), and prune's safety margin must cover one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: std::time::Duration,
    pub attempt: std::time::Duration,
    pub operation: std::time::Duration,
}

impl Timeouts {
    const fn seconds(connect: u64, attempt: u64, operation: u64) -> Self {
        Self {
            connect: std::time::Duration::from_secs(connect),
            attempt: std::time::Duration::from_secs(attempt),
            operation: std::time::Duration::from_secs(operation),
        }
    }

    /// record: Lambda timeout 10 s. One read of the milestone's tombstones,
    /// then one PutItem (a late row: one transaction with its version bumps).
    pub const RECORD: Self = Self::seconds(1, 2, 5);
    /// summary: Lambda timeout 20 s. Partition Queries run concurrently.
    pub const SUMMARY: Self = Self::seconds(1, 3, 8);
    /// prune: Lambda timeout 300 s, safety margin 10 s. Each Query or delete.
    pub const PRUNE: Self = Self::seconds(1, 3, 8);
    /// rollup: Lambda timeout 300 s, safety margin 30 s. Each Query, batched read or write.
    pub const ROLLUP: Self = Self::seconds(1, 3, 8);
    /// purge: Lambda timeout 60 s, safety margin 10 s. Each page Query or delete, retried by the walk.
    pub const PURGE: Self = Self::seconds(1, 3, 8);
}

/// Builds the DynamoDB client from exactly the environment Lambda sets:
/// `AWS_REGION` and the execution role's `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`. No credential chain, no
/// profile files, no instance-metadata probing: start-up does only what the
/// first invocation needs. `AWS_ENDPOINT_URL_DYNAMODB` (or `AWS_ENDPOINT_URL`)
/// points it at DynamoDB Local.
pub fn dynamodb_client(timeouts: Timeouts) -> Result<aws_sdk_dynamodb::Client, ConfigError> {
    dynamodb_client_from(|name| env::var(name).ok(), timeouts)
}

pub fn dynamodb_client_from(
    lookup: impl Fn(&str) -> Option<String>,
    timeouts: Timeouts,
) -> Result<aws_sdk_dynamodb::Client, ConfigError> {
    let sdk = SdkSettings::from_lookup(&lookup, timeouts)?;
    let endpoint = lookup("AWS_ENDPOINT_URL_DYNAMODB").or_else(|| lookup("AWS_ENDPOINT_URL"));
    Ok(sdk_client!(aws_sdk_dynamodb, sdk, endpoint))
}

/// A client of SDK crate `$sdk` from [`SdkSettings`] and an endpoint
/// override: every SDK's config builder takes the same settings, under
/// types of its own crate.
macro_rules! sdk_client {
    ($sdk:ident, $settings:expr, $endpoint:expr) => {{
        let settings: SdkSettings = $settings;
        let mut config = $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .region(settings.region)
            .credentials_provider(settings.credentials)
            .http_client(settings.http_client)
            .retry_config(settings.retry)
            .timeout_config(settings.timeout);
        if let Some(endpoint) = $endpoint {
            config = config.endpoint_url(endpoint);
        }
        $sdk::Client::from_conf(config.build())
    }};
}
pub(crate) use sdk_client;

/// What every AWS client of a function shares: the region and credentials
/// Lambda gives it, the HTTPS client with its trust store, the retries and
/// the timeouts.
pub(crate) struct SdkSettings {
    pub region: aws_sdk_dynamodb::config::Region,
    pub credentials: aws_sdk_dynamodb::config::Credentials,
    pub http_client: aws_sdk_dynamodb::config::SharedHttpClient,
    pub retry: aws_sdk_dynamodb::config::retry::RetryConfig,
    pub timeout: aws_sdk_dynamodb::config::timeout::TimeoutConfig,
}

impl SdkSettings {
    pub(crate) fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
        timeouts: Timeouts,
    ) -> Result<Self, ConfigError> {
        use aws_sdk_dynamodb::config::retry::RetryConfig;
        use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
        use aws_sdk_dynamodb::config::{Credentials, Region};
        let required = |name: &'static str| {
            lookup(name)
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        if lookup("AWS_USE_FIPS_ENDPOINT").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
            return Err(ConfigError::FipsUnsupported);
        }
        let trust = Trust::from_lookup(lookup)?;
        Ok(Self {
            credentials: Credentials::new(
                required("AWS_ACCESS_KEY_ID")?,
                required("AWS_SECRET_ACCESS_KEY")?,
                lookup("AWS_SESSION_TOKEN").filter(|v| !v.is_empty()),
                None,
                "lambda-environment",
            ),
            region: Region::new(required("AWS_REGION")?),
            http_client: https_client(trust)?,
            retry: RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(std::time::Duration::from_millis(50)),
            timeout: TimeoutConfig::builder()
                .connect_timeout(timeouts.connect)
                .operation_attempt_timeout(timeouts.attempt)
                .operation_timeout(timeouts.operation)
                .build(),
        })
    }
}

pub fn deadline_instant(deadline_ms: u64) -> std::time::Instant {
    const DAY_MS: u64 = 86_400_000;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let remaining_ms = if deadline_ms + DAY_MS < now_ms {
        deadline_ms
    } else {
        deadline_ms.saturating_sub(now_ms)
    };
    std::time::Instant::now() + std::time::Duration::from_millis(remaining_ms)
}

pub use domain::error_chain::error_chain;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn reads_table_and_retention() {
        let config = Config::from_lookup(lookup(&[(TABLE_NAME, "ledger"), (RETENTION_DAYS, "30")]));
        assert_eq!(
            config.map(|c| (c.table_name, c.retention.days())),
            Ok(("ledger".into(), 30))
        );
    }

    #[test]
    fn names_the_missing_variable() {
        let error = Config::from_lookup(lookup(&[(RETENTION_DAYS, "30")])).expect_err("missing");
        assert_eq!(error, ConfigError::Missing(TABLE_NAME));
        assert!(error.to_string().contains("TABLE_NAME"));
        let error = Config::from_lookup(lookup(&[(TABLE_NAME, "t")])).expect_err("missing");
        assert_eq!(error, ConfigError::Missing(RETENTION_DAYS));
    }

    #[test]
    fn rejects_out_of_range_retention() {
        let error = Config::from_lookup(lookup(&[(TABLE_NAME, "t"), (RETENTION_DAYS, "400")]))
            .expect_err("range");
        assert!(error.to_string().contains("between 7 and 365"), "{error}");
    }

    #[test]
    fn debug_form_is_the_clear_message() {
        let error = Config::from_lookup(lookup(&[])).expect_err("missing");
        assert_eq!(
            format!("{error:?}"),
            format!("invalid configuration: {error}")
        );
    }

    #[test]
    fn client_needs_region_and_credentials_from_the_environment() {
        let base = [
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKIA"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ];
        let client = dynamodb_client_from(lookup(&base), Timeouts::RECORD).expect("client");
        assert_eq!(
            client.config().region().map(|r| r.as_ref()),
            Some("eu-west-1")
        );
        let error =
            dynamodb_client_from(lookup(&base[..2]), Timeouts::RECORD).expect_err("no secret");
        assert_eq!(error, ConfigError::Missing("AWS_SECRET_ACCESS_KEY"));
        let error =
            dynamodb_client_from(lookup(&base[1..]), Timeouts::RECORD).expect_err("no region");
        assert_eq!(error, ConfigError::Missing("AWS_REGION"));
    }

    #[test]
    fn bundled_roots_are_the_five_amazon_trust_services_certificates() {
        let text = std::str::from_utf8(AMAZON_TRUST_SERVICES_ROOTS).expect("PEM is text");
        assert_eq!(text.matches("-----BEGIN CERTIFICATE-----").count(), 5);
        // Building a client builds its connector, which parses every root (and panics on a bad one).
        let env = [
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ];
        assert!(dynamodb_client_from(lookup(&env), Timeouts::RECORD).is_ok());
    }

    #[test]
    fn fips_endpoint_is_refused_not_ignored() {
        let env = [
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_USE_FIPS_ENDPOINT", "true"),
        ];
        let error = dynamodb_client_from(lookup(&env), Timeouts::RECORD).expect_err("refused");
        assert_eq!(error, ConfigError::FipsUnsupported);
        assert!(error.to_string().contains("AWS_USE_FIPS_ENDPOINT"));
        assert!(dynamodb_client_from(lookup(&env[..3]), Timeouts::RECORD).is_ok());
    }

    #[test]
    fn tls_trust_switch_selects_the_roots() {
        assert_eq!(
            Trust::from_lookup(lookup(&[])),
            Ok(Trust::AmazonTrustServices)
        );
        assert_eq!(
            Trust::from_lookup(lookup(&[(TLS_TRUST, "system")])),
            Ok(Trust::System)
        );
        let error = Trust::from_lookup(lookup(&[(TLS_TRUST, "none")])).expect_err("bad");
        assert!(error.to_string().contains("TLS_TRUST"), "{error}");
        let env = [
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            (TLS_TRUST, "system"),
        ];
        assert!(dynamodb_client_from(lookup(&env), Timeouts::RECORD).is_ok());
    }

    #[test]
    fn rejects_empty_table_name() {
        let error = Config::from_lookup(lookup(&[(TABLE_NAME, " "), (RETENTION_DAYS, "90")]))
            .expect_err("empty");
        assert_eq!(error, ConfigError::Empty(TABLE_NAME));
    }
}
