//! The shared test corpus (cargo feature `testing`, and this crate's own
//! tests): payloads shared by the parser's rule tests and the
//! schema-versus-parser tests, so the schema is checked against exactly the
//! payloads the rules are, and the event names tests use. Outside the catalog
//! itself, this is the only source file that spells an event name.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::rejection::RejectCode;

/// Catalog events by name, for tests that need one particular event.
pub const CHECKPOINT_COMPLETED: &str = "onboarding.checkpoint_completed";
pub const DIAGNOSTICS_OPENED: &str = "support.diagnostics_opened";
pub const OPERATION_STARTED: &str = "operation.started";
pub const REPORT_CREATED: &str = "report.created";
pub const REVIEW_PACK_REQUESTED: &str = "review_pack.generation_requested";
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Rules JSON Schema cannot express: the raw size, JSON syntax itself,
/// duplicate keys and the clock. Everything else, the schema and the parser
/// judge alike.
pub const PARSER_ONLY: [RejectCode; 5] = [
    RejectCode::PayloadTooLarge,
    RejectCode::MalformedJson,
    RejectCode::DuplicateField,
    RejectCode::OccurredInFuture,
    RejectCode::OccurredBeforeRetention,
];

/// An RFC 3339 instant, for tests.
pub fn at(text: &str) -> DateTime<Utc> {
    crate::time::parse_rfc3339(text).expect("valid RFC 3339")
}

/// The erasure keyring every test uses: two keys, `t1` current and `t0`
/// from before a rotation. The integration tests put the same JSON in the
/// local secret store the functions read.
pub const ERASURE_KEYRING_JSON: &str = r#"{"current": "t1", "t1": "test-erasure-key-0123456789-abcdefghijklmnopqrstuvwxyz", "t0": "older-test-erasure-key-0123456789-abcdefghijklmnopqrst"}"#;

/// [`ERASURE_KEYRING_JSON`], read.
pub fn erasure_keyring() -> crate::ErasureKeyring {
    crate::ErasureKeyring::parse(ERASURE_KEYRING_JSON).expect("the test keyring")
}

/// The corpus's "now".
pub fn now() -> DateTime<Utc> {
    at("2026-11-27T12:00:00Z")
}

pub fn valid() -> Value {
    json!({
        "event": "operation.started",
        "tenant_id": "tenant-1",
        "workspace_id": "ws-1",
        "actor_id": "user-1",
        "event_id": "op:run-1",
        "occurred_at": "2026-11-27T11:59:00+01:00",
        "subject": {"type": "operation_run", "id": "run-1"},
        "metadata": {"operation_type": "backup"}
    })
}

pub fn with(field: &str, value: Value) -> Value {
    let mut request = valid();
    request[field] = value;
    request
}

pub fn without(field: &str) -> Value {
    let mut request = valid();
    request.as_object_mut().expect("object").remove(field);
    request
}

/// Payloads every consumer must accept.
pub fn valid_examples() -> Vec<Value> {
    let base = |extra: Value| {
        let mut request = json!({"tenant_id": "t", "workspace_id": "w", "actor_id": "a",
                                 "event_id": "e-1", "occurred_at": "2026-11-27T11:00:00Z"});
        for (key, value) in extra.as_object().expect("object") {
            request[key] = value.clone();
        }
        request
    };
    let uuid = "0b7c5f0e-5a4e-4c4f-9c1e-2f6f3a9d8e7b";
    vec![
        valid(),
        base(json!({"event": REVIEW_PACK_REQUESTED})),
        base(json!({"event": REVIEW_PACK_REQUESTED, "metadata": []})),
        base(json!({"event": REVIEW_PACK_REQUESTED, "metadata": {},
                    "subject": {"type": "review_pack", "id": "pack-1"}})),
        base(
            json!({"event": CHECKPOINT_COMPLETED, "tenant_id": "T.1", "workspace_id": "W:2", "actor_id": "A-3",
                    "metadata": {"checkpoint": "connect_source"}, "subject": {"type": "onboarding_session", "id": "s"}}),
        ),
        base(
            json!({"event": DIAGNOSTICS_OPENED, "metadata": {"surface": "tenant_dashboard"},
                    "subject": {"type": "tenant", "id": "t"},
                    "event_id": format!("{DIAGNOSTICS_OPENED}:{uuid}:{uuid}:2026-11-27")}),
        ),
        base(
            json!({"event": REPORT_CREATED, "occurred_at": "2026-11-27T11:00:00.123456789Z",
                    "metadata": {"report_type": "usage.monthly:v2"}}),
        ),
        with("occurred_at", json!("2026-11-27T12:05:00Z")),
        with("occurred_at", json!("2026-08-29T12:00:00Z")),
        with("occurred_at", json!("2026-11-27t11:00:00.5+00:00")),
        with("workspace_id", json!("w".repeat(64))),
        with("event_id", json!("e".repeat(200))),
    ]
}

/// One rejected payload: the code and field the parser must report.
#[derive(Debug, Clone)]
pub struct Case {
    pub code: RejectCode,
    pub field: String,
    pub raw: String,
}

fn case(code: RejectCode, field: &str, payload: Value) -> Case {
    Case {
        code,
        field: field.to_owned(),
        raw: payload.to_string(),
    }
}

/// Every rejection the rule tests exercise, one or more per code (idempotency conflicts excepted: storage decides those).
pub fn rejection_corpus() -> Vec<Case> {
    use RejectCode::*;
    let mut cases = vec![
        Case {
            code: PayloadTooLarge,
            field: "$".into(),
            raw: format!(r#"{{"event":"{}"}}"#, "a".repeat(crate::MAX_PAYLOAD_BYTES)),
        },
        Case {
            code: MalformedJson,
            field: "$".into(),
            raw: "{not json".into(),
        },
        case(NotAnObject, "$", json!(["event"])),
        case(NotAnObject, "$", json!("operation.started")),
        case(UnknownField, "email", with("email", json!("x"))),
        case(
            UnknownField,
            "subject.name",
            with(
                "subject",
                json!({"type": "operation_run", "id": "r", "name": "x"}),
            ),
        ),
        case(WrongType, "tenant_id", with("tenant_id", json!(42))),
        case(WrongType, "actor_id", with("actor_id", json!(null))),
        case(WrongType, "subject", with("subject", json!("run-1"))),
        case(WrongType, "metadata", with("metadata", json!("backup"))),
        case(
            WrongType,
            "metadata.operation_type",
            with("metadata", json!({"operation_type": {"kind": "backup"}})),
        ),
        case(
            WrongType,
            "metadata.operation_type",
            with("metadata", json!({"operation_type": 7})),
        ),
        case(
            UnknownEvent,
            "event",
            with("event", json!("operation.finished")),
        ),
        case(
            IdentifierLength,
            "workspace_id",
            with("workspace_id", json!("")),
        ),
        case(
            IdentifierLength,
            "event_id",
            with("event_id", json!("x".repeat(201))),
        ),
        case(
            IdentifierCharset,
            "actor_id",
            with("actor_id", json!("jane@example.com")),
        ),
        case(
            IdentifierCharset,
            "subject.id",
            with("subject", json!({"type": "operation_run", "id": "run 1"})),
        ),
        case(
            OccurredInFuture,
            "occurred_at",
            with("occurred_at", json!("2026-11-27T12:05:00.001Z")),
        ),
        case(
            OccurredBeforeRetention,
            "occurred_at",
            with("occurred_at", json!("2026-08-29T11:59:59.999Z")),
        ),
        case(
            SubjectTypeNotAllowed,
            "subject.type",
            with("subject", json!({"type": "stored_report", "id": "r-1"})),
        ),
        case(
            UnknownMetadataKey,
            "metadata.note",
            with("metadata", json!({"operation_type": "backup", "note": "x"})),
        ),
        case(
            MissingMetadataKey,
            "metadata.operation_type",
            without("metadata"),
        ),
        case(
            MetadataValueLength,
            "metadata.operation_type",
            with("metadata", json!({"operation_type": "b".repeat(65)})),
        ),
        case(
            MetadataValueNotAllowed,
            "metadata.surface",
            json!({"event": DIAGNOSTICS_OPENED, "tenant_id": "t", "workspace_id": "w",
                   "actor_id": "a", "event_id": "e-1", "occurred_at": "2026-11-27T11:00:00Z",
                   "metadata": {"surface": "admin_panel"}}),
        ),
    ];
    let duplicated = valid().to_string();
    cases.push(Case {
        code: DuplicateField,
        field: "tenant_id".into(),
        raw: duplicated.replacen('{', r#"{"tenant_id":"tenant-2","#, 1),
    });
    cases.push(Case {
        code: DuplicateField,
        field: "metadata.operation_type".into(),
        raw: duplicated.replace(
            r#""operation_type":"backup""#,
            r#""operation_type":"backup","operation_type":"restore""#,
        ),
    });
    for field in crate::parse::REQUIRED_FIELDS {
        cases.push(case(MissingField, field, without(field)));
    }
    for bad in [
        "yesterday",
        "2026-11-27",
        "2026-11-27T10:00:00",
        "2026-11-27 10:00:00Z",
        "2026-11-27T10:59:60Z",
        "1764237600",
    ] {
        cases.push(case(
            InvalidTimestamp,
            "occurred_at",
            with("occurred_at", json!(bad)),
        ));
    }
    for bad in ["Backup", "full backup", "a@b.c"] {
        cases.push(case(
            MetadataValueCharset,
            "metadata.operation_type",
            with("metadata", json!({"operation_type": bad})),
        ));
    }
    cases
}

#[cfg(test)]
mod corpus_tests {
    use super::*;
    use crate::events::{CATALOG, EventName};

    #[test]
    fn every_named_event_is_a_catalog_event() {
        let named = [
            CHECKPOINT_COMPLETED,
            DIAGNOSTICS_OPENED,
            OPERATION_STARTED,
            REPORT_CREATED,
            REVIEW_PACK_REQUESTED,
        ];
        for name in named {
            assert!(EventName::parse(name).is_some(), "{name}");
        }
        assert!(named.len() <= CATALOG.len());
    }
}
