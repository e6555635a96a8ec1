//! A milestone row: the item `record` writes, and reading one back (tests and
//! the `testing` feature only; the functions never read whole rows).

#[cfg(feature = "testing")]
use super::INDEX_PROJECTION;
#[cfg(any(test, feature = "testing"))]
use super::fields::{
    event_id, optional_s, parse_id, parse_instant, required_id, required_n, wrong_type,
};
use super::fields::{event_name, invalid, required_s};
use super::keys::{day_shard_key, event_key, shard_for, time_key};
use super::{Item, attr};
use crate::error::ItemError;
use aws_sdk_dynamodb::types::AttributeValue;
#[cfg(any(test, feature = "testing"))]
use domain::{ActorId, Metadata, Subject, SubjectId, SubjectType, TenantId, WorkspaceId};
use domain::{Fingerprint, Milestone, format_millis};

/// The item `record` writes for a milestone.
pub(crate) fn encode(m: &Milestone) -> Item {
    let mut item = Item::with_capacity(14);
    let key = event_key(&m.event_id);
    let s = |v: &str| AttributeValue::S(v.to_owned());
    item.insert(attr::TENANT_ID.into(), s(m.tenant_id.as_str()));
    item.insert(attr::EVENT_KEY.into(), s(&key));
    item.insert(attr::EVENT_ID.into(), s(m.event_id.as_str()));
    item.insert(attr::EVENT.into(), s(m.event.as_str()));
    item.insert(attr::WORKSPACE_ID.into(), s(m.workspace_id.as_str()));
    item.insert(attr::ACTOR_ID.into(), s(m.actor_id.as_str()));
    item.insert(
        attr::OCCURRED_AT.into(),
        s(&format_millis(m.occurred_at.instant())),
    );
    item.insert(
        attr::EXPIRES_AT.into(),
        AttributeValue::N(m.expires_at.to_string()),
    );
    item.insert(attr::FINGERPRINT.into(), s(m.fingerprint.as_str()));
    if let Some(subject) = &m.subject {
        item.insert(attr::SUBJECT_TYPE.into(), s(subject.kind.as_str()));
        item.insert(attr::SUBJECT_ID.into(), s(subject.id.as_str()));
    }
    let metadata = m
        .metadata
        .iter()
        .map(|(k, v)| (k.to_owned(), s(v.as_str())))
        .collect();
    item.insert(attr::METADATA.into(), AttributeValue::M(metadata));
    let day = m.occurred_at.instant().date_naive();
    item.insert(
        attr::DAY_SHARD.into(),
        s(&day_shard_key(day, shard_for(&m.event_id))),
    );
    item.insert(attr::TIME_KEY.into(), s(&time_key(m.occurred_at, &key)));
    item
}

/// Reads a whole milestone row back. Only tests and the `testing` feature
/// read whole rows; the functions never do.
#[cfg(any(test, feature = "testing"))]
pub(crate) fn decode(item: &Item) -> Result<Milestone, ItemError> {
    let event = event_name(item)?;
    let metadata_map = match item.get(attr::METADATA) {
        None => return Err(ItemError::Missing(attr::METADATA)),
        Some(AttributeValue::M(map)) => map,
        Some(_) => return Err(wrong_type(attr::METADATA, "M")),
    };
    let mut pairs = Vec::with_capacity(metadata_map.len());
    for (key, value) in metadata_map {
        let AttributeValue::S(value) = value else {
            return Err(wrong_type(attr::METADATA, "M of S"));
        };
        pairs.push((key.as_str(), value.as_str()));
    }
    let metadata =
        Metadata::parse(event, pairs).map_err(|e| invalid(attr::METADATA, e.to_string()))?;
    let subject = match (
        optional_s(item, attr::SUBJECT_TYPE)?,
        optional_s(item, attr::SUBJECT_ID)?,
    ) {
        (None, None) => None,
        (Some(kind), Some(id)) => Some(Subject {
            kind: SubjectType::parse(event, kind)
                .ok_or_else(|| invalid(attr::SUBJECT_TYPE, "not allowed for the event".into()))?,
            id: parse_id(attr::SUBJECT_ID, id, SubjectId::parse)?,
        }),
        (Some(_), None) => return Err(ItemError::Missing(attr::SUBJECT_ID)),
        (None, Some(_)) => return Err(ItemError::Missing(attr::SUBJECT_TYPE)),
    };
    let fingerprint = Fingerprint::parse(required_s(item, attr::FINGERPRINT)?)
        .ok_or_else(|| invalid(attr::FINGERPRINT, "not 32 lowercase hex characters".into()))?;
    let milestone = Milestone {
        event,
        tenant_id: required_id(item, attr::TENANT_ID, TenantId::parse)?,
        workspace_id: required_id(item, attr::WORKSPACE_ID, WorkspaceId::parse)?,
        actor_id: required_id(item, attr::ACTOR_ID, ActorId::parse)?,
        event_id: event_id(item)?,
        occurred_at: parse_instant(attr::OCCURRED_AT, required_s(item, attr::OCCURRED_AT)?)?,
        subject,
        metadata,
        fingerprint,
        expires_at: required_n(item, attr::EXPIRES_AT)?,
    };
    // The derived index keys must agree with the payload, or the row is invisible to reads.
    let expected = encode(&milestone);
    for key in [attr::EVENT_KEY, attr::DAY_SHARD, attr::TIME_KEY] {
        if required_s(item, key)? != required_s(&expected, key)? {
            return Err(invalid(
                key,
                "does not match occurred_at and event_id".into(),
            ));
        }
    }
    Ok(milestone)
}

/// Reads the fingerprint of an item (the old item returned by a failed conditional put).
pub(crate) fn stored_fingerprint(item: &Item) -> Result<Fingerprint, ItemError> {
    Fingerprint::parse(required_s(item, attr::FINGERPRINT)?)
        .ok_or_else(|| invalid(attr::FINGERPRINT, "not 32 lowercase hex characters".into()))
}

/// The event of an item, when it is one the catalog knows.
pub(crate) fn stored_event(item: &Item) -> Option<domain::EventName> {
    event_name(item).ok()
}

/// DynamoDB's size of an attribute value: strings by UTF-8 length, numbers by
/// digits, maps with 3 bytes of overhead plus 1 per element.
#[cfg(feature = "testing")]
fn attribute_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.trim_start_matches('-').len().div_ceil(2) + 1,
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| k.len() + attribute_size(v) + 1)
                .sum::<usize>()
        }
        _ => 0,
    }
}

/// The stored size of an item and of its index projection, by DynamoDB's sizing rules.
#[cfg(feature = "testing")]
pub(crate) fn item_sizes(item: &Item) -> (usize, usize) {
    let size = |keep: &dyn Fn(&str) -> bool| {
        item.iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, v)| k.len() + attribute_size(v))
            .sum::<usize>()
    };
    let keys = [
        attr::TENANT_ID,
        attr::EVENT_KEY,
        attr::DAY_SHARD,
        attr::TIME_KEY,
    ];
    let table = size(&|_| true);
    // GSI items are also charged 100 bytes of index overhead.
    let index = size(&|k| keys.contains(&k) || INDEX_PROJECTION.contains(&k)) + 100;
    (table, index)
}
