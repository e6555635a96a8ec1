//! Typed reads of item attributes: a missing, mistyped or invalid attribute
//! is an [`ItemError`] that names it, never a default.

use super::{Item, attr};
use crate::error::ItemError;
use aws_sdk_dynamodb::types::AttributeValue;
#[cfg(any(test, feature = "testing"))]
use domain::EventId;
use domain::{EventName, OccurredAt};

pub(super) fn wrong_type(attribute: &'static str, expected: &'static str) -> ItemError {
    ItemError::WrongType {
        attribute,
        expected,
    }
}

pub(super) fn invalid(attribute: &'static str, reason: String) -> ItemError {
    ItemError::Invalid { attribute, reason }
}

pub(super) fn required_s<'a>(
    item: &'a Item,
    attribute: &'static str,
) -> Result<&'a str, ItemError> {
    match item.get(attribute) {
        None => Err(ItemError::Missing(attribute)),
        Some(AttributeValue::S(value)) => Ok(value),
        Some(_) => Err(wrong_type(attribute, "S")),
    }
}

#[cfg(any(test, feature = "testing"))]
pub(super) fn optional_s<'a>(
    item: &'a Item,
    attribute: &'static str,
) -> Result<Option<&'a str>, ItemError> {
    match item.get(attribute) {
        None => Ok(None),
        Some(AttributeValue::S(value)) => Ok(Some(value)),
        Some(_) => Err(wrong_type(attribute, "S")),
    }
}

pub(super) fn required_n(item: &Item, attribute: &'static str) -> Result<i64, ItemError> {
    match item.get(attribute) {
        None => Err(ItemError::Missing(attribute)),
        Some(AttributeValue::N(value)) => value
            .parse()
            .map_err(|_| invalid(attribute, "not a whole number".into())),
        Some(_) => Err(wrong_type(attribute, "N")),
    }
}

pub(super) fn parse_id<T, E: std::fmt::Display>(
    attribute: &'static str,
    value: &str,
    parse: fn(&str) -> Result<T, E>,
) -> Result<T, ItemError> {
    parse(value).map_err(|e| invalid(attribute, e.to_string()))
}

#[cfg(any(test, feature = "testing"))]
pub(super) fn event_id(item: &Item) -> Result<EventId, ItemError> {
    parse_id(
        attr::EVENT_ID,
        required_s(item, attr::EVENT_ID)?,
        EventId::parse,
    )
}

pub(super) fn event_name(item: &Item) -> Result<EventName, ItemError> {
    EventName::parse(required_s(item, attr::EVENT)?)
        .ok_or_else(|| invalid(attr::EVENT, "not an event in the catalog".into()))
}

pub(super) fn parse_instant(attribute: &'static str, value: &str) -> Result<OccurredAt, ItemError> {
    let parsed = domain::time::parse_rfc3339(value)
        .ok_or_else(|| invalid(attribute, "not an RFC 3339 timestamp".into()))?;
    Ok(OccurredAt::from_instant(parsed))
}

/// A required string attribute parsed as an identifier newtype.
pub(super) fn required_id<T, E: std::fmt::Display>(
    item: &Item,
    attribute: &'static str,
    parse: fn(&str) -> Result<T, E>,
) -> Result<T, ItemError> {
    parse_id(attribute, required_s(item, attribute)?, parse)
}
