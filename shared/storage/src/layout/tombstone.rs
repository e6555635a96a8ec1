//! Purge tombstones, and what a purge reads of a tenant's rows.
//!
//! A tombstone lives in the `#purge` partition (no tenant can have it):
//! `event_key` = `<tenant_id>` for a whole tenant, `<tenant_id>#<key
//! id>#<actor digest>` for one person (`#` is outside the identifier and key
//! id charsets, so none of them collide). It never holds an actor id, only
//! its keyed digest and the id of the key it was made with.
//!
//! Beside a tenant's tombstones of people, one marker, `<tenant_id>#people`,
//! says that some person of the tenant was erased (nothing more), and lives
//! as long as the latest of them. It is written before the person's
//! tombstone, so record reads it with the tenant's tombstone in one read,
//! and needs the erasure key only for a tenant where someone was erased.

use super::fields::{invalid, parse_instant, required_s, wrong_type};
use super::index::PruneKey;
use super::{Item, attr};
use crate::error::ItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use domain::{ActorDigest, ActorId, PurgeScope, TenantId, Tombstone};
use std::collections::HashMap;

pub(crate) const PURGE_PARTITION: &str = "#purge";

pub(crate) mod tombstone_attr {
    pub const PURGED_AT: &str = "purged_at";
    pub const DONE_AT: &str = "done_at";
    /// Where the purge's own walk of the tenant's partition stopped: the
    /// sort key (an event key: a digest) of the last row of the last page it
    /// finished. The next invocation of the purge resumes after it; removed
    /// when the purge is done.
    pub const CURSOR: &str = "cursor";
    /// Where prune's closing walk stopped, likewise.
    pub const WALK_CURSOR: &str = "walk_cursor";
    pub const WALKED_AT: &str = "walked_at";
    pub const CLOSED_AT: &str = "closed_at";
    /// On a tenant's people marker: how many of its people were erased (a
    /// record's put checks it is unchanged since its read).
    pub const ERASURES: &str = "erasures";
    /// On a tenant's people marker: the ids of the keys its people's
    /// tombstones were made with (a string set). A process that holds not
    /// all of them loads the keyring again before it judges a milestone.
    pub const KEYS: &str = "keys";
    /// On a key's check item: the key's check value
    /// ([`domain::ErasureKeyring::check_value`]).
    pub const CHECK: &str = "check";
}

/// The sort-key prefix of a key's check item in `#purge` (`#` starts no
/// tenant id, so it is told from every tombstone and marker).
const KEY_CHECK_PREFIX: &str = "#key#";

/// The key of the check item of erasure key `id`.
pub(crate) fn key_check_key(id: &domain::KeyId) -> Item {
    HashMap::from([
        (
            attr::TENANT_ID.to_owned(),
            AttributeValue::S(PURGE_PARTITION.to_owned()),
        ),
        (
            attr::EVENT_KEY.to_owned(),
            AttributeValue::S(format!("{KEY_CHECK_PREFIX}{}", id.as_str())),
        ),
    ])
}

/// The key id and check value of a key's check item, if it is one.
pub(crate) fn key_check_of(item: &Item) -> Option<(String, Option<String>)> {
    let sort = item.get(attr::EVENT_KEY)?.as_s().ok()?;
    let id = sort.strip_prefix(KEY_CHECK_PREFIX)?;
    let check = item
        .get(tombstone_attr::CHECK)
        .and_then(|v| v.as_s().ok())
        .cloned();
    Some((id.to_owned(), check))
}

/// The erasure log's key attribute: a tombstone's sort key (the tenant, and
/// for a person the key id and the keyed digest).
pub(crate) const LOG_SCOPE: &str = "scope";

/// A purge's entry in the erasure log: its scope and time, and the same TTL
/// as its tombstone.
pub(crate) fn log_item(scope: &PurgeScope, purged_at: DateTime<Utc>) -> Item {
    let sort = tombstone_key(scope)
        .remove(attr::EVENT_KEY)
        .unwrap_or_else(|| AttributeValue::S(String::new()));
    HashMap::from([
        (LOG_SCOPE.to_owned(), sort),
        (
            tombstone_attr::PURGED_AT.to_owned(),
            AttributeValue::S(domain::format_millis(purged_at)),
        ),
        (
            attr::EXPIRES_AT.to_owned(),
            AttributeValue::N(Tombstone::expires_at(purged_at).timestamp().to_string()),
        ),
    ])
}

/// The tombstone an erasure log entry stands for.
pub(crate) fn tombstone_from_log_item(item: &Item) -> Result<Tombstone, ItemError> {
    let scope = item
        .get(LOG_SCOPE)
        .cloned()
        .ok_or(ItemError::Missing(LOG_SCOPE))?;
    let mut as_tombstone = item.clone();
    as_tombstone.insert(attr::EVENT_KEY.to_owned(), scope);
    tombstone_from_item(&as_tombstone)
}

/// The key ids a tenant's people marker lists (its people's tombstones'
/// keys); ids it cannot read are left out (a tombstone under one is an
/// unknown key when it is matched).
pub(crate) fn marker_key_ids(marker: &Item) -> Vec<domain::KeyId> {
    marker
        .get(tombstone_attr::KEYS)
        .and_then(|v| v.as_ss().ok())
        .map(|ids| {
            ids.iter()
                .filter_map(|id| domain::KeyId::parse(id))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a `#purge` item is a tombstone (not a people marker, not a key's
/// check item).
pub(crate) fn is_tombstone(item: &Item) -> bool {
    !is_people_marker(item) && key_check_of(item).is_none()
}

/// What prune reads of a tombstone (its Query of `#purge` projects only these).
pub(crate) const TOMBSTONE_PROJECTION: [&str; 7] = [
    attr::TENANT_ID,
    attr::EVENT_KEY,
    tombstone_attr::PURGED_AT,
    tombstone_attr::DONE_AT,
    tombstone_attr::WALK_CURSOR,
    tombstone_attr::WALKED_AT,
    tombstone_attr::CLOSED_AT,
];

/// Every attribute prune's Queries of the table name: a purge's walk and the
/// tombstones.
pub(crate) const PRUNE_QUERY_ATTRIBUTES: [&str; 10] = [
    attr::TENANT_ID,
    attr::EVENT_KEY,
    attr::TIME_KEY,
    attr::EXPIRES_AT,
    attr::ACTOR_ID,
    tombstone_attr::PURGED_AT,
    tombstone_attr::DONE_AT,
    tombstone_attr::WALK_CURSOR,
    tombstone_attr::WALKED_AT,
    tombstone_attr::CLOSED_AT,
];

/// A tombstone with the walk cursors storage keeps on it: where the purge's
/// own walk and prune's closing walk stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredTombstone {
    pub tombstone: Tombstone,
    pub walk_cursor: Option<String>,
}

/// The key to resume a walk of `tenant`'s partition after (a Query's
/// `ExclusiveStartKey`), from a cursor a tombstone kept.
pub(crate) fn resume_key(tenant: &TenantId, cursor: &str) -> Item {
    HashMap::from([
        (
            attr::TENANT_ID.to_owned(),
            AttributeValue::S(tenant.as_str().to_owned()),
        ),
        (
            attr::EVENT_KEY.to_owned(),
            AttributeValue::S(cursor.to_owned()),
        ),
    ])
}

/// The cursor of a walk's last key (a Query's `LastEvaluatedKey`).
pub(crate) fn cursor_of(key: &Item) -> Option<String> {
    key.get(attr::EVENT_KEY)
        .and_then(|v| v.as_s().ok())
        .cloned()
}

/// A string attribute of a tombstone, when it has one.
pub(crate) fn optional_s(item: &Item, name: &'static str) -> Result<Option<String>, ItemError> {
    match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::S(text)) => Ok(Some(text.clone())),
        Some(_) => Err(wrong_type(name, "S")),
    }
}

/// What a purge reads of a row: its keys, time and actor (a Query of the
/// tenant's partition projects only these).
pub(crate) const PURGE_PROJECTION: [&str; 5] = [
    attr::TENANT_ID,
    attr::EVENT_KEY,
    attr::TIME_KEY,
    attr::EXPIRES_AT,
    attr::ACTOR_ID,
];

pub(crate) fn tombstone_key(scope: &PurgeScope) -> Item {
    let sort = match &scope.actor {
        None => scope.tenant_id.as_str().to_owned(),
        Some(digest) => format!(
            "{}#{}#{}",
            scope.tenant_id.as_str(),
            digest.key().as_str(),
            digest.hex()
        ),
    };
    HashMap::from([
        (
            attr::TENANT_ID.to_owned(),
            AttributeValue::S(PURGE_PARTITION.to_owned()),
        ),
        (attr::EVENT_KEY.to_owned(), AttributeValue::S(sort)),
    ])
}

/// The marker's sort-key suffix (never a key id followed by a digest: it has
/// no second `#`).
const PEOPLE_MARKER: &str = "people";

/// The key of `tenant`'s marker that some person of it was erased.
pub(crate) fn people_marker_key(tenant: &TenantId) -> Item {
    HashMap::from([
        (
            attr::TENANT_ID.to_owned(),
            AttributeValue::S(PURGE_PARTITION.to_owned()),
        ),
        (
            attr::EVENT_KEY.to_owned(),
            AttributeValue::S(format!("{}#{PEOPLE_MARKER}", tenant.as_str())),
        ),
    ])
}

/// Whether a `#purge` item is a tenant's people marker, not a tombstone.
pub(crate) fn is_people_marker(item: &Item) -> bool {
    item.get(attr::EVENT_KEY)
        .and_then(|v| v.as_s().ok())
        .and_then(|sort| sort.split_once('#'))
        .is_some_and(|(_, rest)| rest == PEOPLE_MARKER)
}

pub(crate) fn stored_tombstone_from_item(item: &Item) -> Result<StoredTombstone, ItemError> {
    Ok(StoredTombstone {
        tombstone: tombstone_from_item(item)?,
        walk_cursor: optional_s(item, tombstone_attr::WALK_CURSOR)?,
    })
}

pub(crate) fn tombstone_from_item(item: &Item) -> Result<Tombstone, ItemError> {
    let sort = required_s(item, attr::EVENT_KEY)?;
    let (tenant, actor) = match sort.split_once('#') {
        None => (sort, None),
        Some((tenant, person)) => (
            tenant,
            Some(
                person
                    .split_once('#')
                    .and_then(|(key, hex)| ActorDigest::parse(key, hex))
                    .ok_or_else(|| {
                        invalid(attr::EVENT_KEY, "not a key id and an actor digest".into())
                    })?,
            ),
        ),
    };
    let tenant_id = TenantId::parse(tenant).map_err(|e| invalid(attr::EVENT_KEY, e.to_string()))?;
    let instant = |name: &'static str| -> Result<Option<DateTime<Utc>>, ItemError> {
        match item.get(name) {
            None => Ok(None),
            Some(AttributeValue::S(text)) => Ok(Some(parse_instant(name, text)?.instant())),
            Some(_) => Err(wrong_type(name, "S")),
        }
    };
    Ok(Tombstone {
        scope: PurgeScope { tenant_id, actor },
        purged_at: instant(tombstone_attr::PURGED_AT)?
            .ok_or(ItemError::Missing(tombstone_attr::PURGED_AT))?,
        done_at: instant(tombstone_attr::DONE_AT)?,
        walked_at: instant(tombstone_attr::WALKED_AT)?,
        closed_at: instant(tombstone_attr::CLOSED_AT)?,
    })
}

/// A row as a purge reads it: the keys to delete it by, and whether it is in
/// the purge's scope (its actor, when the purge is one person's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PurgeRow {
    pub key: PruneKey,
    pub actor_id: ActorId,
}

impl PurgeRow {
    pub fn from_item(item: &Item) -> Result<Self, ItemError> {
        Ok(Self {
            key: PruneKey::from_item(item)?,
            actor_id: ActorId::parse(required_s(item, attr::ACTOR_ID)?)
                .map_err(|e| invalid(attr::ACTOR_ID, e.to_string()))?,
        })
    }
}

/// The table key of any item (its two key attributes), when it has them.
pub(crate) fn table_key(item: &Item) -> Option<Item> {
    let pick = |name: &str| Some((name.to_owned(), item.get(name)?.clone()));
    Some(HashMap::from([
        pick(attr::TENANT_ID)?,
        pick(attr::EVENT_KEY)?,
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(actor: Option<&str>) -> PurgeScope {
        domain::PurgeRequest {
            tenant_id: TenantId::parse("t-1").expect("id"),
            actor_id: actor.map(|a| ActorId::parse(a).expect("id")),
        }
        .scope(&domain::testing::erasure_keyring())
    }

    #[test]
    fn the_people_marker_is_told_from_every_tombstone() {
        let tenant = TenantId::parse("t-1").expect("id");
        assert!(is_people_marker(&people_marker_key(&tenant)));
        for scope in [scope(None), scope(Some("people"))] {
            assert!(!is_people_marker(&tombstone_key(&scope)));
        }
    }

    #[test]
    fn tombstones_round_trip_and_never_hold_the_actor_id() {
        for scope in [scope(None), scope(Some("u-secret"))] {
            let mut item = tombstone_key(&scope);
            item.insert(
                tombstone_attr::PURGED_AT.into(),
                AttributeValue::S("2026-11-27T10:00:00.000Z".into()),
            );
            assert!(!format!("{item:?}").contains("u-secret"));
            let back = tombstone_from_item(&item).expect("readable");
            assert_eq!(back.scope, scope);
            assert_eq!(back.done_at, None);
        }
    }

    #[test]
    fn a_tombstone_without_its_time_or_with_a_bad_digest_is_an_error() {
        let item = tombstone_key(&scope(None));
        assert_eq!(
            tombstone_from_item(&item),
            Err(ItemError::Missing(tombstone_attr::PURGED_AT))
        );
        let mut bad = item.clone();
        bad.insert(attr::EVENT_KEY.into(), AttributeValue::S("t-1#zz".into()));
        assert!(tombstone_from_item(&bad).is_err());
        // An unkeyed digest of an earlier design: no key id, refused.
        bad.insert(
            attr::EVENT_KEY.into(),
            AttributeValue::S(format!("t-1#{}", "a".repeat(32))),
        );
        bad.insert(
            tombstone_attr::PURGED_AT.into(),
            AttributeValue::S("2026-11-27T10:00:00.000Z".into()),
        );
        assert!(tombstone_from_item(&bad).is_err());
    }
}
