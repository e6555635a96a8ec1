//! Parsing a raw record request into the [`Milestone`] that is stored, or a
//! typed [`Rejection`] that names the field.

mod arrival;
mod duplicates;
pub mod purge;

pub use arrival::Arrival;

use crate::events::EventName;
use crate::ids::{ActorId, EventId, IdentifierError, SubjectId, TenantId, WorkspaceId};
use crate::metadata::{Metadata, printable_key};
use crate::model::{Fingerprint, Milestone, Subject, SubjectType};
use crate::rejection::{RejectCode, Rejection};
use crate::retention::Retention;
use crate::time::{OccurredAt, format_millis};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The raw payload is rejected above this size, before it is parsed.
pub const MAX_PAYLOAD_BYTES: usize = 8 * 1024;
/// How far in the future `occurred_at` may be (clock skew between host and AWS).
pub const MAX_FUTURE_SKEW: TimeDelta = TimeDelta::minutes(5);

/// Every request field, in the order the contract lists them.
pub const FIELDS: [&str; 8] = [
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

/// One parse of a payload: the milestone or its rejection, and what of the
/// payload may be logged, read once, on either path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub result: Result<Milestone, Rejection>,
    pub context: LogContext,
}

impl Milestone {
    /// Parses the raw JSON text of a record request into the milestone that
    /// is stored, its fingerprint and its expiry resolved.
    ///
    /// `now` and `retention` bound `occurred_at`; `retention` also sets the
    /// expiry. Parsing the text ourselves (instead of a typed Lambda event)
    /// makes a wrong type or an unknown field a typed rejection, never a
    /// deserialization error.
    pub fn parse(raw: &str, now: DateTime<Utc>, retention: Retention) -> Result<Self, Rejection> {
        Self::parse_logged(raw, now, retention).result
    }

    /// As [`Milestone::parse`], with the [`LogContext`] read by the same parse.
    pub fn parse_logged(raw: &str, now: DateTime<Utc>, retention: Retention) -> Parsed {
        let mut context = LogContext::default();
        let result = parse_into(raw, now, retention, &mut context);
        Parsed { result, context }
    }
}

fn parse_into(
    raw: &str,
    now: DateTime<Utc>,
    retention: Retention,
    context: &mut LogContext,
) -> Result<Milestone, Rejection> {
    let object = json_object(raw, MAX_PAYLOAD_BYTES)?;
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

    let occurred = format_millis(occurred_at.instant());
    let fingerprint = fingerprint(
        &[
            ("event", Some(event.as_str())),
            ("tenant_id", Some(tenant_id.as_str())),
            ("workspace_id", Some(workspace_id.as_str())),
            ("actor_id", Some(actor_id.as_str())),
            ("event_id", Some(event_id.as_str())),
            ("occurred_at", Some(&occurred)),
            ("subject.type", subject.as_ref().map(|s| s.kind.as_str())),
            ("subject.id", subject.as_ref().map(|s| s.id.as_str())),
        ],
        &metadata,
    );
    Ok(Milestone {
        event,
        tenant_id,
        workspace_id,
        actor_id,
        event_id,
        expires_at: retention.expires_at(occurred_at),
        occurred_at,
        subject,
        metadata,
        fingerprint,
    })
}

/// The payload as one JSON object with no key given twice, at most
/// `max_bytes` long: the rules every request shares, each its own rejection.
pub(super) fn json_object(raw: &str, max_bytes: usize) -> Result<Map<String, Value>, Rejection> {
    if raw.len() > max_bytes {
        return Err(Rejection::new(
            RejectCode::PayloadTooLarge,
            "$",
            format!("payload is {} bytes; the limit is {max_bytes}", raw.len()),
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
    if let Some(field) = duplicates::duplicate_key(raw) {
        return Err(Rejection::new(
            RejectCode::DuplicateField,
            field,
            "is given more than once",
        ));
    }
    Ok(object)
}

/// Hash of the client-supplied fields, in this order, then the metadata. Its
/// encoding is part of the stored data: changing it turns every replay of an
/// older row into a conflict.
fn fingerprint(fields: &[(&str, Option<&str>)], metadata: &Metadata) -> Fingerprint {
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
    for (name, value) in fields {
        field(name, *value);
    }
    for (key, value) in metadata.iter() {
        field(key, Some(value.as_str()));
    }
    let digest = hasher.finalize();
    let hex = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    Fingerprint::from_hex(hex)
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
mod tests;
