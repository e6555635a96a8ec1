//! The erasure keyring, in the Secrets Manager secret the template creates
//! (`ErasureKeySecret`), whose ARN the template passes in
//! `ERASURE_KEY_SECRET`. Record, purge and prune build a [`KeyringSource`]
//! at start (a missing variable fails the start) and read the secret once,
//! on the first need for it (a person's tombstone to write or match), so no
//! cold start waits for it. Their roles may read that one secret and no
//! other. The key never reaches a log line, an error or the table.

use crate::{ConfigError, SdkSettings, Timeouts};
use domain::ErasureKeyring;
use std::env;

/// The secret's ARN (or name), from the template.
pub const ERASURE_KEY_SECRET: &str = "ERASURE_KEY_SECRET";

/// Where a function reads its erasure keyring from: the secret, and a
/// client for it.
#[derive(Debug, Clone)]
pub struct KeyringSource {
    client: aws_sdk_secretsmanager::Client,
    secret: String,
}

impl KeyringSource {
    /// The secret `ERASURE_KEY_SECRET` names, through the function's own
    /// credentials and timeouts.
    pub fn from_env(timeouts: Timeouts) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| env::var(name).ok(), timeouts)
    }

    /// [`KeyringSource::from_env`] through `lookup`, so tests need not touch
    /// the process environment. `AWS_ENDPOINT_URL_SECRETS_MANAGER` (or
    /// `AWS_ENDPOINT_URL`) points it at a local secret store.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        timeouts: Timeouts,
    ) -> Result<Self, ConfigError> {
        let secret = lookup(ERASURE_KEY_SECRET)
            .filter(|v| !v.trim().is_empty())
            .ok_or(ConfigError::Missing(ERASURE_KEY_SECRET))?;
        Ok(Self {
            client: secrets_client_from(&lookup, timeouts)?,
            secret,
        })
    }

    /// Reads and parses the keyring (one `GetSecretValue`).
    pub async fn fetch(&self) -> Result<ErasureKeyring, ConfigError> {
        let answer = self
            .client
            .get_secret_value()
            .secret_id(&self.secret)
            .send()
            .await
            .map_err(|e| ConfigError::Secret(domain::error_chain::error_chain(&e)))?;
        let text = answer
            .secret_string()
            .ok_or_else(|| ConfigError::Secret("the secret holds no string value".into()))?;
        Ok(ErasureKeyring::parse(text)?)
    }
}

fn secrets_client_from(
    lookup: &impl Fn(&str) -> Option<String>,
    timeouts: Timeouts,
) -> Result<aws_sdk_secretsmanager::Client, ConfigError> {
    let sdk = SdkSettings::from_lookup(lookup, timeouts)?;
    let endpoint =
        lookup("AWS_ENDPOINT_URL_SECRETS_MANAGER").or_else(|| lookup("AWS_ENDPOINT_URL"));
    Ok(crate::sdk_client!(aws_sdk_secretsmanager, sdk, endpoint))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_secret_name_is_a_clear_error_naming_the_variable_at_start() {
        let error = KeyringSource::from_lookup(|_| None, Timeouts::RECORD).expect_err("missing");
        assert_eq!(error, ConfigError::Missing(ERASURE_KEY_SECRET));
        assert!(error.to_string().contains(ERASURE_KEY_SECRET));
    }

    /// A secret store that cannot be reached is an error with its cause,
    /// never a silent default key.
    #[tokio::test]
    async fn an_unreachable_secret_store_is_an_error_at_start() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        let address = closed.local_addr().expect("address");
        drop(closed);
        let endpoint = format!("http://{address}");
        let env = move |name: &str| match name {
            ERASURE_KEY_SECRET => Some("erasure-key".to_owned()),
            "AWS_REGION" => Some("us-east-1".to_owned()),
            "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" => Some("local".to_owned()),
            "AWS_ENDPOINT_URL_SECRETS_MANAGER" => Some(endpoint.clone()),
            _ => None,
        };
        let source = KeyringSource::from_lookup(env, Timeouts::RECORD).expect("configured");
        let error = source.fetch().await.expect_err("unreachable");
        assert!(matches!(error, ConfigError::Secret(_)), "{error}");
    }
}
