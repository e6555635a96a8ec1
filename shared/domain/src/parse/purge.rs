//! A purge request names its scope explicitly: `{"scope": "tenant",
//! "tenant_id": "…"}` or `{"scope": "actor", "tenant_id": "…", "actor_id":
//! "…"}`, parsed with the record request's rules, so every rejection is typed
//! and names its field. A request whose actor went missing on the way (an
//! unset variable, a `null` dropped by a client) is refused, never read as
//! the whole tenant.

use super::{identifier, json_object, reject_unknown_fields, wrong_type};
use crate::ids::{ActorId, TenantId};
use crate::purge::PurgeRequest;
use crate::rejection::{RejectCode, Rejection};
use serde_json::Value;

/// Every field a purge request may carry.
pub const PURGE_FIELDS: [&str; 3] = ["scope", "tenant_id", "actor_id"];
/// The two scopes, as `scope` names them.
pub const PURGE_SCOPES: [&str; 2] = ["tenant", "actor"];
/// A purge request is two identifiers: anything longer is not one.
pub const MAX_PURGE_PAYLOAD_BYTES: usize = 1024;

impl PurgeRequest {
    pub fn parse(raw: &str) -> Result<Self, Rejection> {
        let object = json_object(raw, MAX_PURGE_PAYLOAD_BYTES)?;
        reject_unknown_fields(&object, &PURGE_FIELDS, "")?;
        // An actor without a tenant is refused here too: a person's rows are
        // only ever purged within one tenant.
        let scope = match object.get("scope") {
            None => {
                return Err(Rejection::new(
                    RejectCode::MissingField,
                    "scope",
                    "is required: \"tenant\" (every row of the tenant) or \"actor\" (one person's)",
                ));
            }
            Some(Value::String(scope)) if PURGE_SCOPES.contains(&scope.as_str()) => scope.as_str(),
            Some(other) => return Err(wrong_type("scope", "\"tenant\" or \"actor\"", other)),
        };
        let tenant_id = identifier(&object, "tenant_id", TenantId::parse)?;
        let actor_id = match (scope, object.get("actor_id")) {
            ("tenant", None) => None,
            ("tenant", Some(_)) => {
                return Err(Rejection::new(
                    RejectCode::UnknownField,
                    "actor_id",
                    "a tenant purge takes no actor_id; send scope \"actor\" to erase one person",
                ));
            }
            (_, Some(Value::String(_)) | None) => {
                Some(identifier(&object, "actor_id", ActorId::parse)?)
            }
            (_, Some(other)) => return Err(wrong_type("actor_id", "a string", other)),
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

    fn rejected(raw: &str) -> (RejectCode, String) {
        let rejection = PurgeRequest::parse(raw).expect_err("rejected");
        (rejection.code, rejection.field)
    }

    #[test]
    fn a_tenant_alone_purges_the_tenant() {
        let request =
            PurgeRequest::parse(r#"{"scope": "tenant", "tenant_id": "t-1"}"#).expect("valid");
        assert_eq!(request.tenant_id.as_str(), "t-1");
        assert_eq!(request.actor_id, None);
    }

    #[test]
    fn a_tenant_and_an_actor_purge_that_person_in_that_tenant() {
        let request =
            PurgeRequest::parse(r#"{"scope": "actor", "tenant_id": "t-1", "actor_id": "u-9"}"#)
                .expect("valid");
        assert_eq!(
            request.actor_id.map(|a| a.as_str().to_owned()),
            Some("u-9".into())
        );
    }

    #[test]
    fn a_missing_tenant_is_rejected() {
        assert_eq!(
            rejected(r#"{"scope": "tenant"}"#),
            (RejectCode::MissingField, "tenant_id".into())
        );
    }

    #[test]
    fn an_actor_without_a_tenant_is_rejected() {
        assert_eq!(
            rejected(r#"{"scope": "actor", "actor_id": "u-9"}"#),
            (RejectCode::MissingField, "tenant_id".into())
        );
    }

    #[test]
    fn a_bookkeeping_tenant_id_is_rejected() {
        for id in ["#day", "#rollup", "#purge"] {
            assert_eq!(
                rejected(&format!(r#"{{"scope": "tenant", "tenant_id": "{id}"}}"#)),
                (RejectCode::IdentifierCharset, "tenant_id".into()),
                "{id}"
            );
        }
    }

    #[test]
    fn a_bookkeeping_actor_id_is_rejected() {
        assert_eq!(
            rejected(r##"{"scope": "actor", "tenant_id": "t", "actor_id": "#day"}"##),
            (RejectCode::IdentifierCharset, "actor_id".into())
        );
    }

    #[test]
    fn an_unknown_field_is_rejected() {
        assert_eq!(
            rejected(r#"{"scope": "tenant", "tenant_id": "t", "workspace_id": "w"}"#),
            (RejectCode::UnknownField, "workspace_id".into())
        );
    }

    #[test]
    fn a_non_string_tenant_or_actor_is_rejected() {
        assert_eq!(
            rejected(r#"{"scope": "tenant", "tenant_id": 7}"#),
            (RejectCode::WrongType, "tenant_id".into())
        );
        assert_eq!(
            rejected(r#"{"scope": "actor", "tenant_id": "t", "actor_id": null}"#),
            (RejectCode::WrongType, "actor_id".into())
        );
    }

    #[test]
    fn an_empty_tenant_id_is_rejected() {
        assert_eq!(
            rejected(r#"{"scope": "tenant", "tenant_id": ""}"#),
            (RejectCode::IdentifierLength, "tenant_id".into())
        );
    }

    #[test]
    fn a_duplicated_field_is_rejected() {
        assert_eq!(
            rejected(r#"{"scope": "tenant", "tenant_id": "a", "tenant_id": "b"}"#),
            (RejectCode::DuplicateField, "tenant_id".into())
        );
    }

    /// The size limit is inclusive: a payload of exactly the limit is read.
    #[test]
    fn a_payload_of_exactly_the_limit_is_read_and_one_byte_more_is_not() {
        let padded = |len: usize| {
            let head = r#"{"scope": "tenant", "tenant_id": "t"}"#;
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
        let long = format!(
            r#"{{"scope": "tenant", "tenant_id": "{}"}}"#,
            "a".repeat(2000)
        );
        assert_eq!(rejected(&long), (RejectCode::PayloadTooLarge, "$".into()));
    }

    #[test]
    fn a_missing_scope_is_rejected_even_with_a_tenant() {
        assert_eq!(
            rejected(r#"{"tenant_id": "t-1"}"#),
            (RejectCode::MissingField, "scope".into())
        );
    }

    #[test]
    fn a_scope_that_is_neither_tenant_nor_actor_is_rejected() {
        for scope in [r#""everything""#, r#""""#, "null", "1", r#""Tenant""#] {
            assert_eq!(
                rejected(&format!(r#"{{"scope": {scope}, "tenant_id": "t-1"}}"#)),
                (RejectCode::WrongType, "scope".into()),
                "{scope}"
            );
        }
    }

    #[test]
    fn an_actor_scope_without_an_actor_is_rejected_never_widened_to_the_tenant() {
        assert_eq!(
            rejected(r#"{"scope": "actor", "tenant_id": "t-1"}"#),
            (RejectCode::MissingField, "actor_id".into())
        );
    }

    #[test]
    fn an_empty_or_blank_actor_is_rejected() {
        assert_eq!(
            rejected(r#"{"scope": "actor", "tenant_id": "t-1", "actor_id": ""}"#),
            (RejectCode::IdentifierLength, "actor_id".into())
        );
        assert_eq!(
            rejected(r#"{"scope": "actor", "tenant_id": "t-1", "actor_id": "   "}"#),
            (RejectCode::IdentifierCharset, "actor_id".into())
        );
    }

    #[test]
    fn a_tenant_scope_with_an_actor_is_rejected() {
        assert_eq!(
            rejected(r#"{"scope": "tenant", "tenant_id": "t-1", "actor_id": "u-9"}"#),
            (RejectCode::UnknownField, "actor_id".into())
        );
    }
}
