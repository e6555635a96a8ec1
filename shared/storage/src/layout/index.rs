//! What the time index projects: the aggregation row, and the keys prune deletes by.

use super::fields::{event_name, invalid, parse_instant, required_id, required_n, required_s};
use super::keys::is_event_key;
use super::{Item, attr};
use crate::error::ItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use domain::{IndexedMilestone, TenantId, WorkspaceId};
use std::collections::HashMap;

/// What the time index projects: the domain row, and the event key to delete by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexRow {
    pub event_key: String,
    pub row: IndexedMilestone,
}

impl IndexRow {
    pub fn from_item(item: &Item) -> Result<Self, ItemError> {
        let event_key = required_s(item, attr::EVENT_KEY)?;
        if !is_event_key(event_key) {
            return Err(invalid(
                attr::EVENT_KEY,
                "not 32 lowercase hex characters".into(),
            ));
        }
        let time_key = required_s(item, attr::TIME_KEY)?;
        let (timestamp, key_suffix) = time_key
            .split_once('#')
            .ok_or_else(|| invalid(attr::TIME_KEY, "has no `#` separator".into()))?;
        if key_suffix != event_key {
            return Err(invalid(
                attr::TIME_KEY,
                "does not end with the row's event_key".into(),
            ));
        }
        Ok(Self {
            row: IndexedMilestone {
                tenant_id: required_id(item, attr::TENANT_ID, TenantId::parse)?,
                event: event_name(item)?,
                workspace_id: required_id(item, attr::WORKSPACE_ID, WorkspaceId::parse)?,
                occurred_at: parse_instant(attr::TIME_KEY, timestamp)?,
                expires_at: required_n(item, attr::EXPIRES_AT)?,
            },
            event_key: event_key.to_owned(),
        })
    }
}

/// What prune needs of an index item: its table key, its index sort key and
/// its times. Never the whole row, so a row the catalog cannot read (a retired
/// event, a foreign writer's item) is pruned like any other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PruneKey {
    pub tenant_id: String,
    pub event_key: String,
    pub time_key: String,
    pub occurred_at: DateTime<Utc>,
    /// The row's TTL, when it has a readable one.
    pub expires_at: Option<i64>,
}

/// The time an item's index sort key names, when it names one: what tells
/// the day of a row that cannot be read otherwise (the writer finds a row by
/// that key, so a roll-up can count a row only if its day can be told).
pub(crate) fn indexed_time(item: &Item) -> Option<DateTime<Utc>> {
    let time_key = item.get(attr::TIME_KEY)?.as_s().ok()?;
    let (timestamp, _) = time_key.split_once('#')?;
    Some(parse_instant(attr::TIME_KEY, timestamp).ok()?.instant())
}

impl PruneKey {
    pub fn from_item(item: &Item) -> Result<Self, ItemError> {
        let time_key = required_s(item, attr::TIME_KEY)?;
        let (timestamp, _) = time_key
            .split_once('#')
            .ok_or_else(|| invalid(attr::TIME_KEY, "has no `#` separator".into()))?;
        Ok(Self {
            tenant_id: required_s(item, attr::TENANT_ID)?.to_owned(),
            event_key: required_s(item, attr::EVENT_KEY)?.to_owned(),
            occurred_at: parse_instant(attr::TIME_KEY, timestamp)?.instant(),
            time_key: time_key.to_owned(),
            expires_at: required_n(item, attr::EXPIRES_AT).ok(),
        })
    }

    /// The table key of the row, for its delete.
    pub fn key(&self) -> Item {
        HashMap::from([
            (
                attr::TENANT_ID.to_owned(),
                AttributeValue::S(self.tenant_id.clone()),
            ),
            (
                attr::EVENT_KEY.to_owned(),
                AttributeValue::S(self.event_key.clone()),
            ),
        ])
    }
}
