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
/// The request fields every payload must carry: the first six of [`FIELDS`].
#[cfg(any(test, feature = "testing"))]
pub(crate) const REQUIRED_FIELDS: [&str; 6] = [
    FIELDS[0], FIELDS[1], FIELDS[2], FIELDS[3], FIELDS[4], FIELDS[5],
];

/// `path` when it names a place in the contract (`$`, a request field,
/// `subject.<field>`, `metadata.<a catalog key>`), else `None`.
pub(crate) fn contract_path(path: &str) -> Option<&str> {
    let known = path == "$"
        || FIELDS.contains(&path)
        || path
            .strip_prefix("subject.")
            .is_some_and(|f| SUBJECT_FIELDS.contains(&f))
        || path.strip_prefix("metadata.").is_some_and(|key| {
            crate::CATALOG
                .iter()
                .any(|spec| spec.metadata.iter().any(|k| k.key == key))
        });
    known.then_some(path)
}

/// A record request whose every field passed its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRequest {
    pub event: EventName,
    pub tenant_id: TenantId,
    pub workspace_id: WorkspaceId,
    pub actor_id: ActorId,
    pub event_id: EventId,
    pub occurred_at: OccurredAt,
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
        // serde_json keeps the last of duplicate keys; an upstream reader may keep the first.
        if let Some(field) = duplicate_key(raw) {
            return Err(Rejection::new(
                RejectCode::DuplicateField,
                field,
                "is given more than once",
            ));
        }
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
        let event_id = identifier(&object, "event_id", EventId::parse)?;
        let occurred_at = parse_occurred_at(required_str(&object, "occurred_at")?, now, retention)?;
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

    /// Hash of the client-supplied fields. Its encoding is part of the stored
    /// data: changing it turns every replay of an older row into a conflict.
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
        field("event_id", Some(self.event_id.as_str()));
        let occurred = format_millis(self.occurred_at.instant());
        field("occurred_at", Some(&occurred));
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

    /// The milestone that is stored: the request and its fingerprint.
    pub fn into_milestone(self) -> Milestone {
        let fingerprint = self.fingerprint();
        Milestone {
            event: self.event,
            tenant_id: self.tenant_id,
            workspace_id: self.workspace_id,
            actor_id: self.actor_id,
            event_id: self.event_id,
            occurred_at: self.occurred_at,
            subject: self.subject,
            metadata: self.metadata,
            fingerprint,
        }
    }
}

/// The path of the first key given twice in any object of the payload, if any.
fn duplicate_key(raw: &str) -> Option<String> {
    use serde::de::DeserializeSeed;
    let mut found = None;
    let mut deserializer = serde_json::Deserializer::from_str(raw);
    // The payload already parsed as JSON: the only error left is a duplicate.
    let _ = DuplicateWalk {
        found: &mut found,
        path: String::new(),
    }
    .deserialize(&mut deserializer);
    found
}

/// Walks a JSON document and stops at the first key an object repeats.
struct DuplicateWalk<'a> {
    found: &'a mut Option<String>,
    path: String,
}

impl<'de> serde::de::DeserializeSeed<'de> for DuplicateWalk<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for DuplicateWalk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(DuplicateWalk {
                found: &mut *self.found,
                path: format!("{}[{index}]", self.path),
            })?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                printable_key(&key)
            } else {
                format!("{}.{}", self.path, printable_key(&key))
            };
            if !seen.insert(key) {
                *self.found = Some(path);
                return Err(serde::de::Error::custom("duplicate key"));
            }
            map.next_value_seed(DuplicateWalk {
                found: &mut *self.found,
                path,
            })?;
        }
        Ok(())
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

fn identifier_rejection(field: &str, error: IdentifierError) -> Rejection {
    let code = match error {
        IdentifierError::Length { .. } => RejectCode::IdentifierLength,
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
    // One grammar with the published schema: RFC 3339's date-time with `T`
    // (or `t`) between date and time; the space RFC 3339 also allows is
    // refused, and so are leap seconds (`:60`), which no stored instant has.
    let bytes = value.as_bytes();
    let separator_is_t = matches!(bytes.get(10), Some(b'T' | b't'));
    let no_leap_second = matches!(bytes.get(17), Some(b'0'..=b'5'));
    let parsed = DateTime::parse_from_rfc3339(value)
        .ok()
        .filter(|_| separator_is_t && no_leap_second)
        .ok_or(())
        .map_err(|_| {
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

    /// Computed once from the corpus's `valid()` payload and pinned.
    const REFERENCE_FINGERPRINT: &str = "29c83508740e089dd325c3ee7a16c615";
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
        let second = RecordRequest::parse(&reordered, now(), Retention::default()).expect("valid");
        assert_eq!(first.fingerprint(), second.fingerprint());
        let milestone = first.into_milestone();
        assert_eq!(milestone.event_id.as_str(), "op:run-1");
    }

    /// Every `event_id` format the integration guide recommends is accepted
    /// when every id in it is a UUID (and every other part at its longest).
    /// The formats are read from the guide itself, so a new one is tested too.
    #[test]
    fn every_recommended_event_id_format_fits_with_uuid_ids() {
        let guide = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/integration.md"
        ))
        .expect("docs/integration.md");
        let uuid = "0b7c5f0e-5a4e-4c4f-9c1e-2f6f3a9d8e7b";
        let mut checked = 0;
        for line in guide.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let Some(format) = cells.get(2).map(|c| c.trim_matches('`')) else {
                continue;
            };
            if !format.contains('<') {
                continue;
            }
            let mut id = String::new();
            let mut rest = format;
            while let Some(open) = rest.find('<') {
                id.push_str(&rest[..open]);
                let close = rest[open..].find('>').expect("closed placeholder") + open;
                let placeholder = &rest[open + 1..close];
                id.push_str(if placeholder.contains("id") {
                    uuid
                } else if placeholder == "YYYY-MM-DD" {
                    "2026-11-27"
                } else {
                    // Any other part at the longest an identifier can be.
                    "x234567890123456789012345678901234567890123456789012345678901234"
                });
                rest = &rest[close + 1..];
            }
            id.push_str(rest);
            let request = with("event_id", json!(id));
            assert!(
                parse(&request).is_ok(),
                "{format} as {id} ({} chars)",
                id.len()
            );
            checked += 1;
        }
        assert!(
            checked >= crate::CATALOG.len(),
            "one format per event, found {checked}"
        );
    }

    /// A stored row's fingerprint: changing the encoding breaks idempotency for
    /// every row already stored (a replay would answer `idempotency_conflict`).
    #[test]
    fn fingerprint_matches_the_reference_value() {
        assert_eq!(
            parse(&valid()).expect("valid").fingerprint().as_str(),
            REFERENCE_FINGERPRINT
        );
    }

    #[test]
    fn fingerprint_changes_with_any_client_field() {
        let base = parse(&valid()).expect("valid").fingerprint();
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
                parse(&changed).expect("valid").fingerprint(),
                base,
                "{changed}"
            );
        }
        assert!(Fingerprint::parse(base.as_str()).is_some());
    }
}
