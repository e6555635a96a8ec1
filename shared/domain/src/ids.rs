//! Identifier newtypes. They can only be built by parsing, so a value of one
//! of these types is always 1 to 64 characters of `[A-Za-z0-9_.:-]`: no
//! spaces, no `@`, no control characters, so no emails and no free text.

use std::fmt;

pub const MAX_IDENTIFIER_LEN: usize = 64;

/// Why a string is not a valid identifier. Never carries the value itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("must be 1 to {MAX_IDENTIFIER_LEN} characters long, got {0}")]
    Length(usize),
    #[error("may only contain letters, digits and _ . : -")]
    Charset,
}

pub fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')
}

fn check_identifier(value: &str) -> Result<(), IdentifierError> {
    // Length counts characters, so multi-byte input is reported by its visible size.
    let len = value.chars().count();
    if len == 0 || len > MAX_IDENTIFIER_LEN {
        return Err(IdentifierError::Length(len));
    }
    if !value.chars().all(is_identifier_char) {
        return Err(IdentifierError::Charset);
    }
    Ok(())
}

macro_rules! identifier_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: &str) -> Result<Self, IdentifierError> {
                check_identifier(value)?;
                Ok(Self(value.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        // Debug is redacted to the type name and length: these may identify people.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "(<{} chars>)"), self.0.len())
            }
        }
    };
}

identifier_newtype!(
    /// The tenant that owns the row (the table's partition key).
    TenantId
);
identifier_newtype!(
    /// A workspace inside a tenant.
    WorkspaceId
);
identifier_newtype!(
    /// The user who initiated the milestone.
    ActorId
);
identifier_newtype!(
    /// The idempotency key (the table's sort key).
    EventId
);
identifier_newtype!(
    /// The id of the milestone's subject.
    SubjectId
);

impl EventId {
    /// Derives an event id from a Lambda request id, used when the caller sent none.
    /// Lambda keeps the request id across its own asynchronous retries.
    pub fn from_request_id(request_id: &str) -> Result<Self, IdentifierError> {
        Self::parse(&format!("req:{request_id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_allowed_character_class() {
        let id = TenantId::parse("Tenant_01.eu:west-1").expect("valid");
        assert_eq!(id.as_str(), "Tenant_01.eu:west-1");
    }

    #[test]
    fn accepts_exactly_64_characters() {
        assert!(WorkspaceId::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(ActorId::parse(""), Err(IdentifierError::Length(0)));
    }

    #[test]
    fn rejects_65_characters() {
        assert_eq!(
            EventId::parse(&"a".repeat(65)),
            Err(IdentifierError::Length(65))
        );
    }

    #[test]
    fn rejects_space_at_sign_and_control_characters() {
        for bad in [
            "a b",
            "user@example.com",
            "tab\there",
            "nul\0",
            "newline\n",
            "é",
            "a/b",
        ] {
            assert_eq!(
                SubjectId::parse(bad),
                Err(IdentifierError::Charset),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn debug_does_not_reveal_the_value() {
        let actor = ActorId::parse("user-42").expect("valid");
        assert_eq!(format!("{actor:?}"), "ActorId(<7 chars>)");
    }

    #[test]
    fn request_id_derives_a_valid_event_id() {
        let id = EventId::from_request_id("5f0a6c5e-3d1f-4b1e-9c1a-0d8a9b1c2d3e").expect("valid");
        assert_eq!(id.as_str(), "req:5f0a6c5e-3d1f-4b1e-9c1a-0d8a9b1c2d3e");
    }
}
