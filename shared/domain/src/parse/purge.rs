//! A purge request: `{"tenant_id": "…"}` or `{"tenant_id": "…", "actor_id":
//! "…"}`, parsed with the record request's rules, so every rejection is typed
//! and names its field.

use super::{identifier, json_object, reject_unknown_fields, wrong_type};
use crate::ids::{ActorId, TenantId};
use crate::purge::PurgeRequest;
use crate::rejection::Rejection;
use serde_json::Value;

/// Every field a purge request may carry.
pub const PURGE_FIELDS: [&str; 2] = ["tenant_id", "actor_id"];
/// A purge request is two identifiers: anything longer is not one.
pub const MAX_PURGE_PAYLOAD_BYTES: usize = 1024;

impl PurgeRequest {
    pub fn parse(raw: &str) -> Result<Self, Rejection> {
        let object = json_object(raw, MAX_PURGE_PAYLOAD_BYTES)?;
        reject_unknown_fields(&object, &PURGE_FIELDS, "")?;
        // An actor without a tenant is refused here too: a person's rows are
        // only ever purged within one tenant.
        let tenant_id = identifier(&object, "tenant_id", TenantId::parse)?;
        let actor_id = match object.get("actor_id") {
            None => None,
            Some(Value::String(_)) => Some(identifier(&object, "actor_id", ActorId::parse)?),
            Some(other) => return Err(wrong_type("actor_id", "a string", other)),
        };
        Ok(Self {
            tenant_id,
            actor_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rejection::RejectCode;

    fn rejected(raw: &str) -> (RejectCode, String) {
        let rejection = PurgeRequest::parse(raw).expect_err("rejected");
        (rejection.code, rejection.field)
    }

    #[test]
    fn a_tenant_alone_purges_the_tenant() {
        let request = PurgeRequest::parse(r#"{"tenant_id": "t-1"}"#).expect("valid");
        assert_eq!(request.tenant_id.as_str(), "t-1");
        assert_eq!(request.actor_id, None);
    }

    #[test]
    fn a_tenant_and_an_actor_purge_that_person_in_that_tenant() {
        let request =
            PurgeRequest::parse(r#"{"tenant_id": "t-1", "actor_id": "u-9"}"#).expect("valid");
        assert_eq!(
            request.actor_id.map(|a| a.as_str().to_owned()),
            Some("u-9".into())
        );
    }

    #[test]
    fn a_missing_tenant_is_rejected() {
        assert_eq!(
            rejected("{}"),
            (RejectCode::MissingField, "tenant_id".into())
        );
    }

    #[test]
    fn an_actor_without_a_tenant_is_rejected() {
        assert_eq!(
            rejected(r#"{"actor_id": "u-9"}"#),
            (RejectCode::MissingField, "tenant_id".into())
        );
    }

    #[test]
    fn a_bookkeeping_tenant_id_is_rejected() {
        for id in ["#day", "#rollup", "#purge"] {
            assert_eq!(
                rejected(&format!(r#"{{"tenant_id": "{id}"}}"#)),
                (RejectCode::IdentifierCharset, "tenant_id".into()),
                "{id}"
            );
        }
    }

    #[test]
    fn a_bookkeeping_actor_id_is_rejected() {
        assert_eq!(
            rejected(r##"{"tenant_id": "t", "actor_id": "#day"}"##),
            (RejectCode::IdentifierCharset, "actor_id".into())
        );
    }

    #[test]
    fn an_unknown_field_is_rejected() {
        assert_eq!(
            rejected(r#"{"tenant_id": "t", "workspace_id": "w"}"#),
            (RejectCode::UnknownField, "workspace_id".into())
        );
    }

    #[test]
    fn a_non_string_tenant_or_actor_is_rejected() {
        assert_eq!(
            rejected(r#"{"tenant_id": 7}"#),
            (RejectCode::WrongType, "tenant_id".into())
        );
        assert_eq!(
            rejected(r#"{"tenant_id": "t", "actor_id": null}"#),
            (RejectCode::WrongType, "actor_id".into())
        );
    }

    #[test]
    fn an_empty_tenant_id_is_rejected() {
        assert_eq!(
            rejected(r#"{"tenant_id": ""}"#),
            (RejectCode::IdentifierLength, "tenant_id".into())
        );
    }

    #[test]
    fn a_duplicated_field_is_rejected() {
        assert_eq!(
            rejected(r#"{"tenant_id": "a", "tenant_id": "b"}"#),
            (RejectCode::DuplicateField, "tenant_id".into())
        );
    }

    /// The size limit is inclusive: a payload of exactly the limit is read.
    #[test]
    fn a_payload_of_exactly_the_limit_is_read_and_one_byte_more_is_not() {
        let padded = |len: usize| {
            let head = r#"{"tenant_id": "t"}"#;
            format!("{head}{}", " ".repeat(len - head.len()))
        };
        assert!(PurgeRequest::parse(&padded(MAX_PURGE_PAYLOAD_BYTES)).is_ok());
        assert_eq!(
            rejected(&padded(MAX_PURGE_PAYLOAD_BYTES + 1)),
            (RejectCode::PayloadTooLarge, "$".into())
        );
    }

    #[test]
    fn malformed_json_a_non_object_and_an_oversized_payload_are_rejected() {
        assert_eq!(rejected("{"), (RejectCode::MalformedJson, "$".into()));
        assert_eq!(rejected("[]"), (RejectCode::NotAnObject, "$".into()));
        let long = format!(r#"{{"tenant_id": "{}"}}"#, "a".repeat(2000));
        assert_eq!(rejected(&long), (RejectCode::PayloadTooLarge, "$".into()));
    }
}
