//! The parser's rules, one named test each, against the shared corpus.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use super::duplicates::duplicate_key;
use super::*;
use crate::testing::{Case, now, rejection_corpus, valid, valid_examples, with, without};
use crate::testing::{OPERATION_STARTED, REPORT_CREATED, REVIEW_PACK_REQUESTED};

/// Computed once from the corpus's `valid()` payload and pinned.
const REFERENCE_FINGERPRINT: &str = "29c83508740e089dd325c3ee7a16c615";
use serde_json::json;

fn parse(value: &Value) -> Result<Milestone, Rejection> {
    Milestone::parse(&value.to_string(), now(), Retention::default())
}

/// Every corpus payload for `code` is rejected with that code and its field.
fn assert_rejects(code: RejectCode) {
    let cases: Vec<Case> = rejection_corpus()
        .into_iter()
        .filter(|c| c.code == code)
        .collect();
    assert!(!cases.is_empty(), "no corpus case for {code}");
    for case in cases {
        let rejection = Milestone::parse(&case.raw, now(), Retention::default())
            .expect_err(&format!("{code} case must be rejected"));
        assert_eq!(
            (rejection.code, rejection.field.as_str()),
            (code, case.field.as_str()),
            "{}",
            case.raw
        );
    }
}

#[test]
fn accepts_every_valid_example() {
    for example in valid_examples() {
        assert!(
            parse(&example).is_ok(),
            "{example}: {:?}",
            parse(&example).err()
        );
    }
}

#[test]
fn accepts_a_full_request_and_normalises_time_to_utc() {
    let request = parse(&valid()).expect("valid request");
    assert_eq!(request.event.as_str(), OPERATION_STARTED);
    let occurred = request.occurred_at;
    assert_eq!(
        format_millis(occurred.instant()),
        "2026-11-27T10:59:00.000Z"
    );
    assert_eq!(
        request.subject.expect("given").kind.as_str(),
        "operation_run"
    );
}

#[test]
fn accepts_minimal_request_for_event_without_metadata() {
    let request = json!({
        "event": REVIEW_PACK_REQUESTED,
        "tenant_id": "t", "workspace_id": "w", "actor_id": "a",
        "event_id": "e-1", "occurred_at": "2026-11-27T11:00:00Z"
    });
    let parsed = parse(&request).expect("valid");
    assert!(parsed.metadata.is_empty() && parsed.subject.is_none());
}

#[test]
fn event_id_and_occurred_at_are_required() {
    for field in ["event_id", "occurred_at"] {
        let rejection = parse(&without(field)).expect_err("required");
        assert_eq!(
            (rejection.code, rejection.field.as_str()),
            (RejectCode::MissingField, field)
        );
        let rejection = parse(&with(field, Value::Null)).expect_err("not null");
        assert_eq!(
            (rejection.code, rejection.field.as_str()),
            (RejectCode::WrongType, field)
        );
    }
}

#[test]
fn rejects_duplicate_field() {
    assert_rejects(RejectCode::DuplicateField);
}

#[test]
fn duplicate_keys_are_found_at_any_depth() {
    assert_eq!(
        duplicate_key(r#"{"a":1,"b":{"c":1,"c":2}}"#),
        Some("b.c".into())
    );
    assert_eq!(
        duplicate_key(r#"{"a":[{"x":1},{"x":1,"x":2}]}"#),
        Some("a[1].x".into())
    );
    assert_eq!(duplicate_key(r#"{"a":1,"b":{"a":1}}"#), None);
}

#[test]
fn a_space_between_date_and_time_is_refused() {
    let rejection =
        parse(&with("occurred_at", json!("2026-11-27 11:00:00Z"))).expect_err("one grammar");
    assert_eq!(rejection.code, RejectCode::InvalidTimestamp);
    assert!(parse(&with("occurred_at", json!("2026-11-27t11:00:00z"))).is_ok());
}

#[test]
fn truncates_occurred_at_to_milliseconds() {
    let request = parse(&with(
        "occurred_at",
        json!("2026-11-27T11:00:00.123456789Z"),
    ))
    .expect("valid");
    let occurred = request.occurred_at.instant();
    assert_eq!(format_millis(occurred), "2026-11-27T11:00:00.123Z");
    assert_eq!(occurred.timestamp_subsec_nanos(), 123_000_000);
}

#[test]
fn rejects_payload_too_large() {
    assert_rejects(RejectCode::PayloadTooLarge);
}

#[test]
fn rejects_malformed_json() {
    assert_rejects(RejectCode::MalformedJson);
}

#[test]
fn rejects_not_an_object() {
    assert_rejects(RejectCode::NotAnObject);
}

#[test]
fn rejects_unknown_field() {
    assert_rejects(RejectCode::UnknownField);
}

#[test]
fn rejects_missing_field() {
    assert_rejects(RejectCode::MissingField);
}

#[test]
fn rejects_wrong_type() {
    assert_rejects(RejectCode::WrongType);
}

#[test]
fn rejects_unknown_event() {
    assert_rejects(RejectCode::UnknownEvent);
}

#[test]
fn rejects_identifier_length() {
    assert_rejects(RejectCode::IdentifierLength);
}

#[test]
fn rejects_identifier_charset() {
    assert_rejects(RejectCode::IdentifierCharset);
}

#[test]
fn rejects_invalid_timestamp() {
    assert_rejects(RejectCode::InvalidTimestamp);
}

#[test]
fn rejects_occurred_in_future() {
    assert_rejects(RejectCode::OccurredInFuture);
    // Exactly five minutes ahead is still accepted.
    assert!(parse(&with("occurred_at", json!("2026-11-27T12:05:00Z"))).is_ok());
}

#[test]
fn rejects_occurred_before_retention() {
    assert_rejects(RejectCode::OccurredBeforeRetention);
    // Exactly at the retention boundary is still accepted.
    assert!(parse(&with("occurred_at", json!("2026-08-29T12:00:00Z"))).is_ok());
}

#[test]
fn rejects_subject_type_not_allowed() {
    assert_rejects(RejectCode::SubjectTypeNotAllowed);
}

#[test]
fn rejects_unknown_metadata_key() {
    assert_rejects(RejectCode::UnknownMetadataKey);
}

#[test]
fn rejects_missing_metadata_key() {
    assert_rejects(RejectCode::MissingMetadataKey);
}

#[test]
fn rejects_metadata_value_length() {
    assert_rejects(RejectCode::MetadataValueLength);
}

#[test]
fn rejects_metadata_value_charset() {
    assert_rejects(RejectCode::MetadataValueCharset);
}

#[test]
fn rejects_metadata_value_not_allowed() {
    assert_rejects(RejectCode::MetadataValueNotAllowed);
}

#[test]
fn every_parser_code_has_a_corpus_case() {
    let covered: std::collections::HashSet<RejectCode> =
        rejection_corpus().iter().map(|c| c.code).collect();
    for code in RejectCode::ALL {
        // Storage decides conflicts; the record handler's tests cover it.
        if code != RejectCode::IdempotencyConflict {
            assert!(covered.contains(&code), "no corpus case for {code}");
        }
    }
}

#[test]
fn a_rejection_carries_only_the_valid_log_context() {
    let raw = json!({"event": REPORT_CREATED, "tenant_id": "jane@example.com"}).to_string();
    let failure = Milestone::parse_logged(&raw, now(), Retention::default());
    assert!(failure.result.is_err());
    assert_eq!(
        failure.context.event.map(|e| e.as_str()),
        Some(REPORT_CREATED)
    );
    assert!(failure.context.tenant_id.is_none());
    let failure = Milestone::parse_logged("not json", now(), Retention::default());
    assert!(failure.result.is_err());
    assert_eq!(failure.context, LogContext::default());
    let raw = with("metadata", json!({"operation_type": "Not Valid"})).to_string();
    let failure = Milestone::parse_logged(&raw, now(), Retention::default());
    assert!(failure.result.is_err());
    assert_eq!(
        failure.context.tenant_id.as_ref().map(TenantId::as_str),
        Some("tenant-1")
    );
}

#[test]
fn logged_fields_are_contract_paths_never_caller_keys() {
    let unknown = parse(&with("jane@example.com", json!(1))).expect_err("unknown field");
    assert!(unknown.field.contains("jane"), "the response names it");
    assert_eq!(unknown.loggable_field(), "(other)", "the log does not");
    let bad = parse(&with("tenant_id", json!("a b"))).expect_err("charset");
    assert_eq!(bad.loggable_field(), "tenant_id");
    for path in ["$", "subject.id", "metadata.operation_type"] {
        assert_eq!(contract_path(path), Some(path));
    }
    for path in ["subject.secret", "metadata.secret", "x"] {
        assert_eq!(contract_path(path), None);
    }
}

#[test]
fn messages_never_echo_the_rejected_value() {
    let rejection = parse(&with("actor_id", json!("jane@example.com"))).expect_err("rejected");
    assert!(!rejection.message.contains("jane"), "{}", rejection.message);
}

#[test]
fn fingerprint_ignores_key_order_and_whitespace() {
    let reordered = r#"{"metadata":{"operation_type":"backup"},"subject":{"id":"run-1","type":"operation_run"},
        "event_id":"op:run-1","actor_id":"user-1","workspace_id":"ws-1","occurred_at":"2026-11-27T11:59:00+01:00",
        "tenant_id":"tenant-1","event":"EVENT"}"#
        .replace("EVENT", OPERATION_STARTED);
    let first = parse(&valid()).expect("valid");
    let second = Milestone::parse(&reordered, now(), Retention::default()).expect("valid");
    assert_eq!(first.fingerprint, second.fingerprint);
    let milestone = first;
    assert_eq!(milestone.event_id.as_str(), "op:run-1");
}

/// A stored row's fingerprint: changing the encoding breaks idempotency for
/// every row already stored (a replay would answer `idempotency_conflict`).
#[test]
fn fingerprint_matches_the_reference_value() {
    assert_eq!(
        parse(&valid()).expect("valid").fingerprint.as_str(),
        REFERENCE_FINGERPRINT
    );
}

#[test]
fn fingerprint_changes_with_any_client_field() {
    let base = parse(&valid()).expect("valid").fingerprint;
    let changes = [
        with("workspace_id", json!("ws-2")),
        with("actor_id", json!("user-2")),
        with("occurred_at", json!("2026-11-27T11:00:00Z")),
        with("event_id", json!("op:run-2")),
        with("metadata", json!({"operation_type": "restore"})),
        with("subject", json!({"type": "operation_run", "id": "run-2"})),
        without("subject"),
    ];
    for changed in changes {
        assert_ne!(
            parse(&changed).expect("valid").fingerprint,
            base,
            "{changed}"
        );
    }
    assert!(Fingerprint::parse(base.as_str()).is_some());
}

trait TapMetadata {
    fn tap_metadata(self, metadata: serde_json::Value) -> serde_json::Value;
}

impl TapMetadata for serde_json::Value {
    fn tap_metadata(mut self, metadata: serde_json::Value) -> serde_json::Value {
        self["metadata"] = metadata;
        if let Some(object) = self.as_object_mut() {
            object.remove("subject");
        }
        self
    }
}

#[test]
fn metadata_reports_its_size_and_debug_never_shows_a_value() {
    let request = parse(&valid()).expect("valid");
    let metadata: &Metadata = &request.metadata;
    assert_eq!(metadata.len(), 1);
    assert!(!metadata.is_empty());
    let empty =
        parse(&with("event", json!(REVIEW_PACK_REQUESTED)).tap_metadata(json!({}))).expect("valid");
    assert_eq!((empty.metadata.len(), empty.metadata.is_empty()), (0, true));
    let (_, value) = metadata.iter().next().expect("one value");
    let debug = format!("{value:?}");
    assert_eq!(debug, "MetadataValue(<6 chars>)");
    assert!(!debug.contains("backup"));
}

#[test]
fn a_metadata_value_of_exactly_64_characters_is_accepted() {
    let at_limit = with("metadata", json!({"operation_type": "b".repeat(64)}));
    assert!(parse(&at_limit).is_ok());
}

#[test]
fn a_payload_of_exactly_the_size_limit_is_parsed() {
    let text = valid().to_string();
    let padded = format!(
        "{text}{}",
        " ".repeat(crate::MAX_PAYLOAD_BYTES - text.len())
    );
    assert_eq!(padded.len(), crate::MAX_PAYLOAD_BYTES);
    assert!(Milestone::parse(&padded, now(), Retention::default()).is_ok());
    let over = format!("{padded} ");
    let rejection = Milestone::parse(&over, now(), Retention::default()).expect_err("over");
    assert_eq!(rejection.code, RejectCode::PayloadTooLarge);
}

#[test]
fn wrong_type_messages_name_the_json_type_received() {
    // Every wrong type of a required field is named, null included.
    for (value, named) in [
        (json!(null), "null"),
        (json!(5), "a number"),
        (json!(true), "a boolean"),
        (json!([1]), "an array"),
        (json!({"a": 1}), "an object"),
    ] {
        let rejection = parse(&with("tenant_id", value)).expect_err("wrong type");
        assert_eq!(
            (rejection.code, rejection.field.as_str()),
            (RejectCode::WrongType, "tenant_id"),
            "{named}"
        );
        assert!(
            rejection.message.ends_with(&format!("got {named}")),
            "{}",
            rejection.message
        );
    }
    let rejection = parse(&with("metadata", json!({"operation_type": 7}))).expect_err("wrong type");
    assert_eq!(rejection.code, RejectCode::WrongType);
    assert!(
        rejection.message.ends_with("got a number"),
        "{}",
        rejection.message
    );
}

#[test]
fn only_an_empty_array_stands_for_no_metadata() {
    let empty = with("event", json!(REVIEW_PACK_REQUESTED)).tap_metadata(json!([]));
    assert!(parse(&empty).is_ok());
    let listed = with("event", json!(REVIEW_PACK_REQUESTED)).tap_metadata(json!(["x"]));
    let rejection = parse(&listed).expect_err("a non-empty array is not metadata");
    assert_eq!(
        (rejection.code, rejection.field.as_str()),
        (RejectCode::WrongType, "metadata")
    );
}
