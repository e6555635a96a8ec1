//! The published contracts of the record function, generated from the catalog
//! itself: JSON Schema (2020-12) for the request and for the response.
//! `docs/record-request.schema.json` and `docs/record-response.schema.json`
//! are these values, pretty-printed; a test keeps them in step.

use crate::events::{CATALOG, ValueRule};
use crate::ids::{MAX_EVENT_ID_LEN, MAX_IDENTIFIER_LEN};
use crate::parse::MAX_PAYLOAD_BYTES;
use crate::rejection::RejectCode;
use serde_json::{Map, Value, json};

const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// RFC 3339 date-time with a mandatory offset, as the parser accepts it.
const RFC3339: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$";

fn metadata_value(rule: ValueRule) -> Value {
    match rule {
        ValueRule::Identifier => json!({"$ref": "#/$defs/metadata_value"}),
        ValueRule::OneOf(values) => json!({"enum": values}),
    }
}

/// The schema of a record request: every rule the parser enforces that JSON Schema can express.
pub fn record_request_schema() -> Value {
    let names: Vec<&str> = CATALOG.iter().map(|spec| spec.name).collect();
    let per_event: Vec<Value> = CATALOG
        .iter()
        .map(|spec| {
            let keys: Vec<&str> = spec.metadata.iter().map(|k| k.key).collect();
            let properties: Map<String, Value> =
                spec.metadata.iter().map(|k| (k.key.to_owned(), metadata_value(k.rule))).collect();
            let object = json!({
                "type": "object",
                "additionalProperties": false,
                "required": keys,
                "properties": properties,
            });
            let metadata = if keys.is_empty() {
                // Absent, null, {} or PHP's [] all mean "no metadata".
                json!({"anyOf": [{"type": "null"}, {"type": "array", "maxItems": 0}, object]})
            } else {
                object
            };
            let mut then = json!({
                "properties": {
                    "metadata": metadata,
                    "subject": {"anyOf": [
                        {"type": "null"},
                        {"type": "object", "properties": {"type": {"enum": spec.subject_types}}}
                    ]}
                }
            });
            if !keys.is_empty() {
                then["required"] = json!(["metadata"]);
            }
            json!({"if": {"properties": {"event": {"const": spec.name}}, "required": ["event"]}, "then": then})
        })
        .collect();
    json!({
        "$schema": DRAFT,
        "$id": "urn:adoption-ledger:record-request",
        "title": "Record request",
        "description": format!(
            "A user-initiated milestone the host app sends to the record function. Rules only the parser enforces: \
             the raw payload is at most {MAX_PAYLOAD_BYTES} bytes; no key appears twice in an object; occurred_at is at most 5 minutes in the future and \
             not older than RETENTION_DAYS; occurred_at must be a real calendar instant."
        ),
        "type": "object",
        "additionalProperties": false,
        "required": ["event", "tenant_id", "workspace_id", "actor_id", "event_id", "occurred_at"],
        "properties": {
            "event": {"enum": names, "description": "A catalog event."},
            "tenant_id": {"$ref": "#/$defs/identifier"},
            "workspace_id": {"$ref": "#/$defs/identifier"},
            "actor_id": {"$ref": "#/$defs/identifier", "description": "The initiating user (never an email)."},
            "event_id": {
                "type": "string",
                "pattern": format!("^[A-Za-z0-9_.:-]{{1,{MAX_EVENT_ID_LEN}}}$"),
                "description": format!("Idempotency key, 1 to {MAX_EVENT_ID_LEN} characters of [A-Za-z0-9_.:-]. \
                    Derive it deterministically from the milestone, e.g. <event>:<run id>; see docs/integration.md.")
            },
            "occurred_at": {
                "type": "string", "format": "date-time", "pattern": RFC3339,
                "description": "When the milestone happened in the host app: RFC 3339 with T between date and time and an offset."
            },
            "subject": {
                "anyOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["type", "id"],
                        "properties": {"type": {"type": "string"}, "id": {"$ref": "#/$defs/identifier"}}
                    }
                ]
            },
            "metadata": {"description": "Exactly the keys the event declares; see allOf."}
        },
        "allOf": per_event,
        "$defs": {
            "identifier": {
                "type": "string",
                "pattern": format!("^[A-Za-z0-9_.:-]{{1,{MAX_IDENTIFIER_LEN}}}$"),
                "description": "1 to 64 characters of [A-Za-z0-9_.:-]."
            },
            "metadata_value": {
                "type": "string",
                "pattern": format!("^[a-z0-9_.:-]{{1,{MAX_IDENTIFIER_LEN}}}$"),
                "description": "A lowercase identifier-shaped string."
            }
        }
    })
}

/// The schema of what a synchronous caller gets back.
pub fn record_response_schema() -> Value {
    let codes: Vec<&str> = RejectCode::ALL.iter().map(RejectCode::as_str).collect();
    json!({
        "$schema": DRAFT,
        "$id": "urn:adoption-ledger:record-response",
        "title": "Record response",
        "description": "The payload a synchronous invocation of record returns: recorded, duplicate, purged (a purge erased its tenant or person after it occurred: never stored, never to be retried) or rejected. A storage failure is a Lambda function error (errorType StorageUnavailable) instead.",
        "oneOf": [
            {
                "type": "object",
                "additionalProperties": false,
                "required": ["status", "event_id"],
                "properties": {"status": {"enum": ["recorded", "duplicate", "purged"]}, "event_id": {"type": "string"}}
            },
            {
                "type": "object",
                "additionalProperties": false,
                "required": ["status", "error"],
                "properties": {
                    "status": {"const": "rejected"},
                    "error": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["code", "field", "message"],
                        "properties": {
                            "code": {"enum": codes},
                            "field": {"type": "string", "description": "The offending field as a path, or $ for the whole payload."},
                            "message": {"type": "string"}
                        }
                    }
                }
            }
        ]
    })
}

/// The committed text of a schema: pretty JSON with sorted keys and a trailing
/// newline, the same whether or not serde_json's `preserve_order` is on.
pub fn render(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(&sorted(schema)).unwrap_or_default();
    text.push('\n');
    text
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{now, rejection_corpus, valid_examples};
    use crate::{Milestone, Retention};

    use crate::testing::PARSER_ONLY;

    fn validator(schema: &Value) -> jsonschema::Validator {
        jsonschema::options()
            .should_validate_formats(true)
            .build(schema)
            .expect("the schema itself is valid")
    }

    #[test]
    fn schema_accepts_every_payload_the_parser_accepts() {
        let schema = validator(&record_request_schema());
        for example in valid_examples() {
            assert!(
                Milestone::parse(&example.to_string(), now(), Retention::default()).is_ok(),
                "{example}"
            );
            assert!(
                schema.is_valid(&example),
                "schema rejects a valid request: {example}"
            );
        }
    }

    #[test]
    fn schema_rejects_every_rejected_payload_it_can_express() {
        let schema = validator(&record_request_schema());
        let mut checked = 0;
        for case in rejection_corpus() {
            assert!(
                Milestone::parse(&case.raw, now(), Retention::default()).is_err(),
                "{}",
                case.raw
            );
            if PARSER_ONLY.contains(&case.code) {
                continue;
            }
            let payload: Value =
                serde_json::from_str(&case.raw).expect("expressible cases are JSON");
            assert!(
                !schema.is_valid(&payload),
                "schema accepts a payload the parser rejects ({}): {payload}",
                case.code
            );
            checked += 1;
        }
        assert!(checked >= 25, "only {checked} cases checked");
    }

    #[test]
    fn response_schema_accepts_every_response_shape_and_code() {
        let schema = validator(&record_response_schema());
        assert!(schema.is_valid(&json!({"status": "recorded", "event_id": "e"})));
        assert!(schema.is_valid(&json!({"status": "duplicate", "event_id": "e"})));
        assert!(schema.is_valid(&json!({"status": "purged", "event_id": "e"})));
        for code in RejectCode::ALL {
            let rejection = crate::Rejection::new(code, "field", "message");
            let response = json!({"status": "rejected", "error": rejection});
            assert!(schema.is_valid(&response), "{response}");
        }
        assert!(!schema.is_valid(
            &json!({"status": "rejected", "error": {"code": "nope", "field": "f", "message": "m"}})
        ));
        assert!(!schema.is_valid(&json!({"status": "recorded"})));
    }
}
