//! Safe metadata: only the keys an event declares, only identifier-shaped or enum values.

use crate::events::{EventName, ValueRule};
use crate::ids::MAX_IDENTIFIER_LEN;
use crate::rejection::{RejectCode, Rejection};
use std::collections::BTreeMap;
use std::fmt;

/// A metadata value that passed its key's rule.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetadataValue(String);

impl MetadataValue {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MetadataValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MetadataValue(<{} chars>)", self.0.len())
    }
}

/// A character a metadata value may hold: lowercase letters, digits and `_ . : -`.
pub fn is_lower_identifier_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | ':' | '-')
}

/// The validated metadata of one milestone, keyed by the catalog's own key names.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Metadata(BTreeMap<&'static str, MetadataValue>);

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Metadata {
    /// Validates string pairs against `event`'s declared keys.
    /// Used for request parsing and for reading a stored row back.
    pub fn parse<'a>(
        event: EventName,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, Rejection> {
        let spec = event.spec();
        let mut values = BTreeMap::new();
        for (key, value) in pairs {
            let field = format!("metadata.{}", printable_key(key));
            let Some(key_spec) = spec.metadata.iter().find(|k| k.key == key) else {
                return Err(Rejection::new(
                    RejectCode::UnknownMetadataKey,
                    field,
                    format!("{} accepts no such metadata key", spec.name),
                ));
            };
            let value = parse_value(&field, key_spec.rule, value)?;
            values.insert(key_spec.key, value);
        }
        if let Some(missing) = spec.metadata.iter().find(|k| !values.contains_key(k.key)) {
            return Err(Rejection::new(
                RejectCode::MissingMetadataKey,
                format!("metadata.{}", missing.key),
                format!("{} requires this metadata key", spec.name),
            ));
        }
        Ok(Self(values))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &MetadataValue)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn parse_value(field: &str, rule: ValueRule, value: &str) -> Result<MetadataValue, Rejection> {
    match rule {
        ValueRule::OneOf(allowed) => {
            if allowed.contains(&value) {
                Ok(MetadataValue(value.to_owned()))
            } else {
                Err(Rejection::new(
                    RejectCode::MetadataValueNotAllowed,
                    field,
                    format!("must be one of: {}", allowed.join(", ")),
                ))
            }
        }
        ValueRule::Identifier => {
            let len = value.chars().count();
            if len == 0 || len > MAX_IDENTIFIER_LEN {
                return Err(Rejection::new(
                    RejectCode::MetadataValueLength,
                    field,
                    format!("must be 1 to {MAX_IDENTIFIER_LEN} characters long, got {len}"),
                ));
            }
            if !value.chars().all(is_lower_identifier_char) {
                return Err(Rejection::new(
                    RejectCode::MetadataValueCharset,
                    field,
                    "may only contain lowercase letters, digits and _ . : -",
                ));
            }
            Ok(MetadataValue(value.to_owned()))
        }
    }
}

/// A client-chosen key made safe to echo in an error: at most 64 safe characters.
pub(crate) fn printable_key(key: &str) -> String {
    key.chars()
        .take(MAX_IDENTIFIER_LEN)
        .map(|c| {
            if crate::ids::is_identifier_char(c) {
                c
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{DIAGNOSTICS_OPENED, OPERATION_STARTED, REPORT_CREATED};

    fn event(name: &str) -> EventName {
        EventName::parse(name).expect("catalog event")
    }

    #[test]
    fn accepts_declared_keys() {
        let metadata = Metadata::parse(event(OPERATION_STARTED), [("operation_type", "backup")])
            .expect("valid");
        assert_eq!(metadata.len(), 1);
    }

    #[test]
    fn accepts_enum_member() {
        let ok = Metadata::parse(event(DIAGNOSTICS_OPENED), [("surface", "tenant_dashboard")]);
        assert!(ok.is_ok());
    }

    #[test]
    fn debug_lists_keys_only() {
        let metadata = Metadata::parse(event(REPORT_CREATED), [("report_type", "secret_value")])
            .expect("valid");
        let debug = format!("{metadata:?}");
        assert!(
            debug.contains("report_type") && !debug.contains("secret_value"),
            "{debug}"
        );
    }
}
