//! The local secret store (moto's Secrets Manager, started by `scripts/test`)
//! that the functions read their erasure keyring from, as deployed: the real
//! client code runs against it.

use serde_json::json;

const ENDPOINT_VAR: &str = "SECRETS_ENDPOINT";

/// The local secret store's endpoint, or a panic that says what is wrong.
pub fn secrets_endpoint() -> String {
    std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VAR} is not set. The functions read their erasure keyring from a secret \
             store: run the tests with `scripts/test`, which starts moto's Secrets Manager on a \
             free port and exports {ENDPOINT_VAR}"
        )
    })
}

/// Creates secret `name` holding `value` in the local store.
pub fn create_secret(name: &str, value: &str) {
    call(
        "CreateSecret",
        name,
        json!({"Name": name, "SecretString": value}),
    );
}

/// Puts a new value of secret `name` (an operator's edit, or a rotation).
pub fn put_secret_value(name: &str, value: &str) {
    call(
        "PutSecretValue",
        name,
        json!({"SecretId": name, "SecretString": value}),
    );
}

fn call(action: &str, name: &str, body: serde_json::Value) {
    let answer = ureq::post(&secrets_endpoint())
        .header("X-Amz-Target", format!("secretsmanager.{action}"))
        .header("Content-Type", "application/x-amz-json-1.1")
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=local/20261201/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0",
        )
        .send(body.to_string());
    if let Err(error) = answer {
        panic!("{action} of secret {name} in the local secret store: {error}");
    }
}
