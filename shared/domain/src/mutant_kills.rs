//! Tests written against the mutants `scripts/mutants` reported as missed:
//! each pins a behaviour no other test looked at. (See docs/testing.md for
//! the mutants argued equivalent.)

#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::testdata::{OPERATION_STARTED, REPORT_CREATED, now, valid, with};
use crate::{
    Aggregation, EventName, Fingerprint, IndexedMilestone, Metadata, OccurredAt, RecordRequest,
    RejectCode, Retention, TenantId, Window, WindowKey, WorkspaceId,
};
use chrono::TimeDelta;
use serde_json::json;
use std::hash::{DefaultHasher, Hash, Hasher};

fn parse(value: &serde_json::Value) -> Result<RecordRequest, crate::Rejection> {
    RecordRequest::parse(&value.to_string(), now(), Retention::default())
}

#[test]
fn add_all_counts_every_row_of_a_batch() {
    let at = now();
    let mut aggregation = Aggregation::new(
        Window::ending_at(WindowKey::Day, at),
        at,
        Retention::default(),
    );
    let row = |minutes: i64| IndexedMilestone {
        event: EventName::parse(OPERATION_STARTED).expect("event"),
        tenant_id: TenantId::parse("t").expect("id"),
        workspace_id: WorkspaceId::parse("w").expect("id"),
        occurred_at: OccurredAt::from_instant(at - TimeDelta::minutes(minutes)),
        expires_at: (at + TimeDelta::days(1)).timestamp(),
    };
    aggregation.add_all(&[row(1), row(2), row(1)]);
    assert_eq!(aggregation.finish().total, 3);
}

#[test]
fn reject_codes_display_as_their_stable_code() {
    for code in RejectCode::ALL {
        assert_eq!(code.to_string(), code.as_str());
    }
}

#[test]
fn event_names_display_debug_and_hash_by_name() {
    let op = EventName::parse(OPERATION_STARTED).expect("event");
    let report = EventName::parse(REPORT_CREATED).expect("event");
    assert_eq!(op.to_string(), OPERATION_STARTED);
    assert_eq!(
        format!("{op:?}"),
        format!("EventName({OPERATION_STARTED:?})")
    );
    let hash = |e: EventName| {
        let mut hasher = DefaultHasher::new();
        e.hash(&mut hasher);
        hasher.finish()
    };
    assert_ne!(hash(op), hash(report));
    assert_eq!(
        hash(op),
        hash(EventName::parse(OPERATION_STARTED).expect("event"))
    );
}

#[test]
fn metadata_reports_its_size_and_debug_never_shows_a_value() {
    let request = parse(&valid()).expect("valid");
    let metadata: &Metadata = &request.metadata;
    assert_eq!(metadata.len(), 1);
    assert!(!metadata.is_empty());
    let empty = parse(
        &with("event", json!(crate::testdata::REVIEW_PACK_REQUESTED)).tap_metadata(json!({})),
    )
    .expect("valid");
    assert_eq!((empty.metadata.len(), empty.metadata.is_empty()), (0, true));
    let (_, value) = metadata.iter().next().expect("one value");
    let debug = format!("{value:?}");
    assert_eq!(debug, "MetadataValue(<6 chars>)");
    assert!(!debug.contains("backup"));
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
fn a_metadata_value_of_exactly_64_characters_is_accepted() {
    let at_limit = with("metadata", json!({"operation_type": "b".repeat(64)}));
    assert!(parse(&at_limit).is_ok());
}

#[test]
fn fingerprints_parse_only_32_lowercase_hex_characters() {
    assert!(Fingerprint::parse(&"a".repeat(32)).is_some());
    assert!(Fingerprint::parse(&"a".repeat(31)).is_none(), "too short");
    assert!(Fingerprint::parse(&"g".repeat(32)).is_none(), "not hex");
    assert!(
        Fingerprint::parse(&"A".repeat(32)).is_none(),
        "not lowercase"
    );
    let fingerprint = Fingerprint::parse(&"0123456789abcdef".repeat(2)).expect("valid");
    assert_eq!(
        format!("{fingerprint:?}"),
        "Fingerprint(0123456789abcdef0123456789abcdef)"
    );
}

#[test]
fn a_payload_of_exactly_the_size_limit_is_parsed() {
    let text = valid().to_string();
    let padded = format!(
        "{text}{}",
        " ".repeat(crate::MAX_PAYLOAD_BYTES - text.len())
    );
    assert_eq!(padded.len(), crate::MAX_PAYLOAD_BYTES);
    assert!(RecordRequest::parse(&padded, now(), Retention::default()).is_ok());
    let over = format!("{padded} ");
    let rejection = RecordRequest::parse(&over, now(), Retention::default()).expect_err("over");
    assert_eq!(rejection.code, RejectCode::PayloadTooLarge);
}

#[test]
fn wrong_type_messages_name_the_json_type_received() {
    for (value, named) in [
        (json!(5), "a number"),
        (json!(null), "null"),
        (json!(true), "a boolean"),
        (json!([1]), "an array"),
        (json!({"a": 1}), "an object"),
    ] {
        let rejection = parse(&with("tenant_id", value)).expect_err("wrong type");
        if rejection.code == RejectCode::WrongType {
            assert!(
                rejection.message.ends_with(&format!("got {named}")),
                "{}",
                rejection.message
            );
        } else {
            // null counts as absent for an optional field only; tenant_id is required.
            assert_eq!(rejection.code, RejectCode::MissingField, "{named}");
        }
    }
    let rejection = parse(&with("metadata", json!({"operation_type": 7}))).expect_err("wrong type");
    assert!(
        rejection.message.ends_with("got a number"),
        "{}",
        rejection.message
    );
}

#[test]
fn only_an_empty_array_stands_for_no_metadata() {
    let empty =
        with("event", json!(crate::testdata::REVIEW_PACK_REQUESTED)).tap_metadata(json!([]));
    assert!(parse(&empty).is_ok());
    let listed =
        with("event", json!(crate::testdata::REVIEW_PACK_REQUESTED)).tap_metadata(json!(["x"]));
    let rejection = parse(&listed).expect_err("a non-empty array is not metadata");
    assert_eq!(
        (rejection.code, rejection.field.as_str()),
        (RejectCode::WrongType, "metadata")
    );
}
