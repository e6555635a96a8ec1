//! Parsing a raw record request into a validated [`RecordRequest`], and
//! resolving it into the [`Milestone`] that is stored.

use crate::error::{RejectCode, Rejection};
use crate::events::EventName;
use crate::ids::{ActorId, EventId, IdentifierError, SubjectId, TenantId, WorkspaceId};
use crate::metadata::{Metadata, printable_key};
use crate::model::{Fingerprint, Milestone, Subject, SubjectType};
use crate::retention::Retention;
use crate::time::{OccurredAt, format_millis};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The raw payload is rejected above this size, before it is parsed.
pub const MAX_PAYLOAD_BYTES: usize = 8 * 1024;
/// How far in the future `occurred_at` may be (clock skew between host and AWS).
pub const MAX_FUTURE_SKEW: TimeDelta = TimeDelta::minutes(5);

const FIELDS: [&str; 8] = [
    "event",
    "tenant_id",
    "workspace_id",
    "actor_id",
    "event_id",
    "occurred_at",
    "subject",
    "metadata",
];
const SUBJECT_FIELDS: [&str; 2] = ["type", "id"];

/// A record request whose every field passed its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRequest {
    pub event: EventName,
    pub tenant_id: TenantId,
    pub workspace_id: WorkspaceId,
    pub actor_id: ActorId,
    pub event_id: Option<EventId>,
    pub occurred_at: Option<OccurredAt>,
    pub subject: Option<Subject>,
    pub metadata: Metadata,
}

/// The fields of a payload that are safe to log: only values that pass their
/// own rules, so a rejected payload never leaks into logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogContext {
    pub event: Option<EventName>,
    pub tenant_id: Option<TenantId>,
}

impl LogContext {
    fn peek(object: &Map<String, Value>) -> Self {
        Self {
            event: object
                .get("event")
                .and_then(Value::as_str)
                .and_then(EventName::parse),
            tenant_id: object
                .get("tenant_id")
                .and_then(Value::as_str)
                .and_then(|v| TenantId::parse(v).ok()),
        }
    }
}

/// A rejected payload: the rejection, and what of the payload may be logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFailure {
    pub rejection: Rejection,
    pub context: LogContext,
}

impl RecordRequest {
    /// Parses the raw JSON text of a record request.
    ///
    /// `now` and `retention` bound `occurred_at`. Parsing the text ourselves
    /// (instead of a typed Lambda event) makes a wrong type or an unknown
    /// field a typed rejection, never a deserialization error.
    pub fn parse(raw: &str, now: DateTime<Utc>, retention: Retention) -> Result<Self, Rejection> {
        Self::parse_with_context(raw, now, retention).map_err(|failure| failure.rejection)
    }

    /// As [`RecordRequest::parse`], and a rejection carries the [`LogContext`]
    /// read from the same parse, so a rejected payload is never parsed twice.
    pub fn parse_with_context(
        raw: &str,
        now: DateTime<Utc>,
        retention: Retention,
    ) -> Result<Self, ParseFailure> {
        let mut context = LogContext::default();
        Self::parse_into(raw, now, retention, &mut context)
            .map_err(|rejection| ParseFailure { rejection, context })
    }

    fn parse_into(
        raw: &str,
        now: DateTime<Utc>,
        retention: Retention,
        context: &mut LogContext,
    ) -> Result<Self, Rejection> {
        if raw.len() > MAX_PAYLOAD_BYTES {
            return Err(Rejection::new(
                RejectCode::PayloadTooLarge,
                "$",
                format!(
                    "payload is {} bytes; the limit is {MAX_PAYLOAD_BYTES}",
                    raw.len()
                ),
            ));
        }
        let value: Value = serde_json::from_str(raw).map_err(|e| {
            Rejection::new(
                RejectCode::MalformedJson,
                "$",
                format!(
                    "payload is not valid JSON (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        let Value::Object(object) = value else {
            return Err(Rejection::new(
                RejectCode::NotAnObject,
                "$",
                "payload must be a JSON object",
            ));
        };
        *context = LogContext::peek(&object);
        reject_unknown_fields(&object, &FIELDS, "")?;

        let event_name = required_str(&object, "event")?;
        let event = EventName::parse(event_name).ok_or_else(|| {
            Rejection::new(
                RejectCode::UnknownEvent,
                "event",
                "is not an event in the catalog",
            )
        })?;
        let tenant_id = identifier(&object, "tenant_id", TenantId::parse)?;
        let workspace_id = identifier(&object, "workspace_id", WorkspaceId::parse)?;
        let actor_id = identifier(&object, "actor_id", ActorId::parse)?;
        let event_id = optional_str(&object, "event_id")?
            .map(|v| EventId::parse(v).map_err(|e| identifier_rejection("event_id", e)))
            .transpose()?;
        let occurred_at = optional_str(&object, "occurred_at")?
            .map(|v| parse_occurred_at(v, now, retention))
            .transpose()?;
        let subject = parse_subject(&object, event)?;
        let metadata = parse_metadata(&object, event)?;

        Ok(Self {
            event,
            tenant_id,
            workspace_id,
            actor_id,
            event_id,
            occurred_at,
            subject,
            metadata,
        })
    }

    /// Hash of the client-supplied fields. A defaulted `occurred_at` or a
    /// derived `event_id` is not part of it, so a retry that omits them is
    /// still the same content.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut hasher = Sha256::new();
        // Length-prefixed fields: no two different requests share an encoding.
        let mut field = |name: &str, value: Option<&str>| {
            hasher.update(name.as_bytes());
            match value {
                Some(v) => {
                    hasher.update((v.len() as u64).to_be_bytes());
                    hasher.update(v.as_bytes());
                }
                None => hasher.update([0xff]),
            }
        };
        field("v", Some("1"));
        field("event", Some(self.event.as_str()));
        field("tenant_id", Some(self.tenant_id.as_str()));
        field("workspace_id", Some(self.workspace_id.as_str()));
        field("actor_id", Some(self.actor_id.as_str()));
        field("event_id", self.event_id.as_ref().map(EventId::as_str));
        let occurred = self.occurred_at.map(|t| format_millis(t.instant()));
        field("occurred_at", occurred.as_deref());
        field(
            "subject.type",
            self.subject.as_ref().map(|s| s.kind.as_str()),
        );
        field("subject.id", self.subject.as_ref().map(|s| s.id.as_str()));
        for (key, value) in self.metadata.iter() {
            field(key, Some(value.as_str()));
        }
        let digest = hasher.finalize();
        let hex = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Fingerprint::from_hex(hex)
    }

    /// Resolves the defaults: the event id derived from the invocation when
    /// the caller sent none, and `occurred_at` = `now` when absent.
    pub fn into_milestone(self, fallback_event_id: EventId, now: DateTime<Utc>) -> Milestone {
        let fingerprint = self.fingerprint();
        Milestone {
            event: self.event,
            tenant_id: self.tenant_id,
            workspace_id: self.workspace_id,
            actor_id: self.actor_id,
            event_id: self.event_id.unwrap_or(fallback_event_id),
            occurred_at: self
                .occurred_at
                .unwrap_or_else(|| OccurredAt::from_instant(now)),
            subject: self.subject,
            metadata: self.metadata,
            fingerprint,
        }
    }
}

fn reject_unknown_fields(
    object: &Map<String, Value>,
    known: &[&str],
    prefix: &str,
) -> Result<(), Rejection> {
    match object.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(Rejection::new(
            RejectCode::UnknownField,
            format!("{prefix}{}", printable_key(key)),
            format!("is not a known field; allowed: {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(field: &str, expected: &str, got: &Value) -> Rejection {
    Rejection::new(
        RejectCode::WrongType,
        field,
        format!("must be {expected}, got {}", type_name(got)),
    )
}

fn required_str<'a>(object: &'a Map<String, Value>, field: &str) -> Result<&'a str, Rejection> {
    match object.get(field) {
        None => Err(Rejection::new(
            RejectCode::MissingField,
            field,
            "is required",
        )),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(wrong_type(field, "a string", other)),
    }
}

/// An optional string field: absent or `null` both mean "not given".
fn optional_str<'a>(
    object: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, Rejection> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(wrong_type(field, "a string", other)),
    }
}

fn identifier_rejection(field: &str, error: IdentifierError) -> Rejection {
    let code = match error {
        IdentifierError::Length(_) => RejectCode::IdentifierLength,
        IdentifierError::Charset => RejectCode::IdentifierCharset,
    };
    Rejection::new(code, field, error.to_string())
}

fn identifier<T>(
    object: &Map<String, Value>,
    field: &str,
    parse: fn(&str) -> Result<T, IdentifierError>,
) -> Result<T, Rejection> {
    parse(required_str(object, field)?).map_err(|e| identifier_rejection(field, e))
}

fn parse_occurred_at(
    value: &str,
    now: DateTime<Utc>,
    retention: Retention,
) -> Result<OccurredAt, Rejection> {
    let parsed = DateTime::parse_from_rfc3339(value).map_err(|_| {
        Rejection::new(
            RejectCode::InvalidTimestamp,
            "occurred_at",
            "must be an RFC 3339 timestamp, e.g. 2026-11-27T09:30:00Z",
        )
    })?;
    let occurred = OccurredAt::from_instant(parsed.with_timezone(&Utc));
    if occurred.instant() > now + MAX_FUTURE_SKEW {
        return Err(Rejection::new(
            RejectCode::OccurredInFuture,
            "occurred_at",
            format!(
                "is more than {} minutes in the future",
                MAX_FUTURE_SKEW.num_minutes()
            ),
        ));
    }
    if occurred.instant() < now - retention.duration() {
        return Err(Rejection::new(
            RejectCode::OccurredBeforeRetention,
            "occurred_at",
            format!(
                "is older than the {}-day retention window",
                retention.days()
            ),
        ));
    }
    Ok(occurred)
}

fn parse_subject(
    object: &Map<String, Value>,
    event: EventName,
) -> Result<Option<Subject>, Rejection> {
    let subject = match object.get("subject") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(subject)) => subject,
        Some(other) => return Err(wrong_type("subject", "an object with type and id", other)),
    };
    reject_unknown_fields(subject, &SUBJECT_FIELDS, "subject.")?;
    let kind_name = required_str(subject, "type").map_err(|e| prefixed(e, "subject."))?;
    let kind = SubjectType::parse(event, kind_name).ok_or_else(|| {
        Rejection::new(
            RejectCode::SubjectTypeNotAllowed,
            "subject.type",
            format!(
                "{} allows subject types: {}",
                event,
                event.spec().subject_types.join(", ")
            ),
        )
    })?;
    let id = required_str(subject, "id").map_err(|e| prefixed(e, "subject."))?;
    let id = SubjectId::parse(id).map_err(|e| identifier_rejection("subject.id", e))?;
    Ok(Some(Subject { kind, id }))
}

fn prefixed(mut rejection: Rejection, prefix: &str) -> Rejection {
    rejection.field = format!("{prefix}{}", rejection.field);
    rejection
}

fn parse_metadata(object: &Map<String, Value>, event: EventName) -> Result<Metadata, Rejection> {
    let empty = Map::new();
    let entries = match object.get("metadata") {
        // PHP's json_encode turns an empty array into `[]`: accept it as "no metadata".
        None | Some(Value::Null) => &empty,
        Some(Value::Array(items)) if items.is_empty() => &empty,
        Some(Value::Object(entries)) => entries,
        Some(other) => return Err(wrong_type("metadata", "an object of strings", other)),
    };
    let mut pairs = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        match value {
            Value::String(s) => pairs.push((key.as_str(), s.as_str())),
            other => {
                let field = format!("metadata.{}", printable_key(key));
                return Err(wrong_type(&field, "a string", other));
            }
        }
    }
    Metadata::parse(event, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{Case, now, rejection_corpus, valid, valid_examples, with, without};
    use crate::testdata::{OPERATION_STARTED, REPORT_CREATED, REVIEW_PACK_REQUESTED};
    use serde_json::json;

    fn parse(value: &Value) -> Result<RecordRequest, Rejection> {
        RecordRequest::parse(&value.to_string(), now(), Retention::default())
    }

    /// Every corpus payload for `code` is rejected with that code and its field.
    fn assert_rejects(code: RejectCode) {
        let cases: Vec<Case> = rejection_corpus()
            .into_iter()
            .filter(|c| c.code == code)
            .collect();
        assert!(!cases.is_empty(), "no corpus case for {code}");
        for case in cases {
            let rejection = RecordRequest::parse(&case.raw, now(), Retention::default())
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
        let occurred = request.occurred_at.expect("given");
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
            "tenant_id": "t", "workspace_id": "w", "actor_id": "a"
        });
        let parsed = parse(&request).expect("valid");
        assert!(
            parsed.metadata.is_empty() && parsed.event_id.is_none() && parsed.occurred_at.is_none()
        );
    }

    #[test]
    fn truncates_occurred_at_to_milliseconds() {
        let request = parse(&with(
            "occurred_at",
            json!("2026-11-27T11:00:00.123456789Z"),
        ))
        .expect("valid");
        let occurred = request.occurred_at.expect("given").instant();
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
        let failure =
            RecordRequest::parse_with_context(&raw, now(), Retention::default()).expect_err("bad");
        assert_eq!(
            failure.context.event.map(|e| e.as_str()),
            Some(REPORT_CREATED)
        );
        assert!(failure.context.tenant_id.is_none());
        let failure = RecordRequest::parse_with_context("not json", now(), Retention::default())
            .expect_err("bad");
        assert_eq!(failure.context, LogContext::default());
        let raw = with("metadata", json!({"operation_type": "Not Valid"})).to_string();
        let failure =
            RecordRequest::parse_with_context(&raw, now(), Retention::default()).expect_err("bad");
        assert_eq!(
            failure.context.tenant_id.as_ref().map(TenantId::as_str),
            Some("tenant-1")
        );
    }

    #[test]
    fn messages_never_echo_the_rejected_value() {
        let rejection = parse(&with("actor_id", json!("jane@example.com"))).expect_err("rejected");
        assert!(!rejection.message.contains("jane"), "{}", rejection.message);
    }

    #[test]
    fn fingerprint_ignores_defaulted_fields_and_key_order() {
        let mut a = valid();
        a.as_object_mut().expect("object").remove("occurred_at");
        let reordered = r#"{"metadata":{"operation_type":"backup"},"subject":{"id":"run-1","type":"operation_run"},
            "event_id":"op:run-1","actor_id":"user-1","workspace_id":"ws-1",
            "tenant_id":"tenant-1","event":"EVENT"}"#
            .replace("EVENT", OPERATION_STARTED);
        let first = parse(&a).expect("valid");
        let second = RecordRequest::parse(&reordered, now(), Retention::default()).expect("valid");
        assert_eq!(first.fingerprint(), second.fingerprint());
        let milestone = first
            .clone()
            .into_milestone(EventId::parse("fallback").expect("id"), now());
        assert_eq!(milestone.occurred_at.instant(), now());
        assert_eq!(milestone.event_id.as_str(), "op:run-1");
    }

    #[test]
    fn fingerprint_changes_with_any_client_field() {
        let base = parse(&valid()).expect("valid").fingerprint();
        let changes = [
            with("workspace_id", json!("ws-2")),
            with("actor_id", json!("user-2")),
            with("occurred_at", json!("2026-11-27T11:00:00Z")),
            with("metadata", json!({"operation_type": "restore"})),
            with("subject", json!({"type": "operation_run", "id": "run-2"})),
            without("subject"),
        ];
        for changed in changes {
            assert_ne!(
                parse(&changed).expect("valid").fingerprint(),
                base,
                "{changed}"
            );
        }
        assert!(Fingerprint::parse(base.as_str()).is_some());
    }

    #[test]
    fn missing_event_id_falls_back_to_the_derived_one() {
        let request = parse(&without("event_id")).expect("valid");
        let fallback = EventId::from_request_id("abc-123").expect("id");
        assert_eq!(
            request.into_milestone(fallback.clone(), now()).event_id,
            fallback
        );
    }
}
