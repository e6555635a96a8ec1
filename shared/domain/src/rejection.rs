//! The typed rejection of a record request. Every rule has its own stable
//! `code` and names the offending `field`. Messages never echo the value.

use serde::Serialize;
use std::fmt;

/// Stable, machine-readable rejection codes. Renaming one is a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    PayloadTooLarge,
    MalformedJson,
    NotAnObject,
    DuplicateField,
    UnknownField,
    MissingField,
    WrongType,
    UnknownEvent,
    IdentifierLength,
    IdentifierCharset,
    InvalidTimestamp,
    OccurredInFuture,
    OccurredBeforeRetention,
    SubjectTypeNotAllowed,
    UnknownMetadataKey,
    MissingMetadataKey,
    MetadataValueLength,
    MetadataValueCharset,
    MetadataValueNotAllowed,
    IdempotencyConflict,
}

impl RejectCode {
    /// Every code, for docs and exhaustive tests.
    pub const ALL: [RejectCode; 20] = [
        RejectCode::PayloadTooLarge,
        RejectCode::MalformedJson,
        RejectCode::NotAnObject,
        RejectCode::DuplicateField,
        RejectCode::UnknownField,
        RejectCode::MissingField,
        RejectCode::WrongType,
        RejectCode::UnknownEvent,
        RejectCode::IdentifierLength,
        RejectCode::IdentifierCharset,
        RejectCode::InvalidTimestamp,
        RejectCode::OccurredInFuture,
        RejectCode::OccurredBeforeRetention,
        RejectCode::SubjectTypeNotAllowed,
        RejectCode::UnknownMetadataKey,
        RejectCode::MissingMetadataKey,
        RejectCode::MetadataValueLength,
        RejectCode::MetadataValueCharset,
        RejectCode::MetadataValueNotAllowed,
        RejectCode::IdempotencyConflict,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            RejectCode::PayloadTooLarge => "payload_too_large",
            RejectCode::MalformedJson => "malformed_json",
            RejectCode::NotAnObject => "not_an_object",
            RejectCode::DuplicateField => "duplicate_field",
            RejectCode::UnknownField => "unknown_field",
            RejectCode::MissingField => "missing_field",
            RejectCode::WrongType => "wrong_type",
            RejectCode::UnknownEvent => "unknown_event",
            RejectCode::IdentifierLength => "identifier_length",
            RejectCode::IdentifierCharset => "identifier_charset",
            RejectCode::InvalidTimestamp => "invalid_timestamp",
            RejectCode::OccurredInFuture => "occurred_in_future",
            RejectCode::OccurredBeforeRetention => "occurred_before_retention",
            RejectCode::SubjectTypeNotAllowed => "subject_type_not_allowed",
            RejectCode::UnknownMetadataKey => "unknown_metadata_key",
            RejectCode::MissingMetadataKey => "missing_metadata_key",
            RejectCode::MetadataValueLength => "metadata_value_length",
            RejectCode::MetadataValueCharset => "metadata_value_charset",
            RejectCode::MetadataValueNotAllowed => "metadata_value_not_allowed",
            RejectCode::IdempotencyConflict => "idempotency_conflict",
        }
    }
}

impl fmt::Display for RejectCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request that can never succeed: answered, logged and counted, never retried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message} ({code})")]
pub struct Rejection {
    pub code: RejectCode,
    /// The offending field as a path (`tenant_id`, `subject.type`, `metadata.surface`), or `$` for the whole payload.
    pub field: String,
    pub message: String,
}

impl Rejection {
    pub fn new(code: RejectCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            field: field.into(),
            message: message.into(),
        }
    }

    /// The field as it may be logged: a path of the contract (a request
    /// field, a subject field, a catalog metadata key), or `(other)` when the
    /// path holds a key the caller chose (an unknown or duplicated field can
    /// be any text, an email included). The response still names it.
    pub fn loggable_field(&self) -> &str {
        crate::parse::contract_path(&self.field).unwrap_or("(other)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_snake_case_and_match_serde() {
        let mut seen = HashSet::new();
        for code in RejectCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert!(
                code.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_')
            );
            let json = serde_json::to_value(code).expect("serializes");
            assert_eq!(json, serde_json::Value::from(code.as_str()));
        }
    }

    #[test]
    fn reject_codes_display_as_their_stable_code() {
        for code in RejectCode::ALL {
            assert_eq!(code.to_string(), code.as_str());
        }
    }
}
