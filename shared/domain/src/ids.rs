//! Identifier newtypes. They can only be built by parsing, so a value of one
//! of these types is always 1 to 64 characters of `[A-Za-z0-9_.:-]`: no
//! spaces, no `@`, no control characters, so no emails and no free text.

use std::fmt;

pub const MAX_IDENTIFIER_LEN: usize = 64;
/// Event ids are longer: the recommended formats compose several ids (UUIDs
/// among them) with the event name and a date.
pub const MAX_EVENT_ID_LEN: usize = 200;

/// Why a string is not a valid identifier. Never carries the value itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("must be 1 to {max} characters long, got {len}")]
    Length { len: usize, max: usize },
    #[error("may only contain letters, digits and _ . : -")]
    Charset,
}

pub fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')
}

fn check_identifier(value: &str, max: usize) -> Result<(), IdentifierError> {
    // Length counts characters, so multi-byte input is reported by its visible size.
    let len = value.chars().count();
    if len == 0 || len > max {
        return Err(IdentifierError::Length { len, max });
    }
    if !value.chars().all(is_identifier_char) {
        return Err(IdentifierError::Charset);
    }
    Ok(())
}

macro_rules! identifier_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        identifier_newtype!($(#[$doc])* $name, MAX_IDENTIFIER_LEN);
    };
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: &str) -> Result<Self, IdentifierError> {
                check_identifier(value, $max)?;
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
    /// The idempotency key: 1 to 200 characters. Keys carry its digest, never the text.
    EventId,
    MAX_EVENT_ID_LEN
);
identifier_newtype!(
    /// The id of the milestone's subject.
    SubjectId
);

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
        assert_eq!(
            ActorId::parse(""),
            Err(IdentifierError::Length { len: 0, max: 64 })
        );
    }

    #[test]
    fn rejects_65_characters() {
        assert_eq!(
            TenantId::parse(&"a".repeat(65)),
            Err(IdentifierError::Length { len: 65, max: 64 })
        );
    }

    #[test]
    fn event_ids_take_200_characters_and_no_more() {
        assert!(EventId::parse(&"a".repeat(200)).is_ok());
        assert_eq!(
            EventId::parse(&"a".repeat(201)),
            Err(IdentifierError::Length { len: 201, max: 200 })
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
}
