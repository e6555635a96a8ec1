//! The item mapping of milestone rows and of what the time index projects:
//! round trips, and corrupt items refused with the attribute named.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use super::*;
use crate::error::ItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use domain::testing::{DIAGNOSTICS_OPENED, REVIEW_PACK_REQUESTED, now};
use domain::{EventId, Milestone, Retention};
use std::collections::HashMap;

fn milestone(raw: &str) -> Milestone {
    Milestone::parse(raw, now(), Retention::default()).expect("valid request")
}

fn full_row() -> Milestone {
    milestone(
        &r#"{"event":"EVENT","tenant_id":"t-1","workspace_id":"w-1",
            "actor_id":"u-1","event_id":"e-1","occurred_at":"2026-11-27T08:09:10.5Z",
            "subject":{"type":"operation_run","id":"run-9"},"metadata":{"surface":"tenant_dashboard"}}"#
            .replace("EVENT", DIAGNOSTICS_OPENED),
    )
}

#[test]
fn ledger_row_round_trips() {
    let row = full_row();
    let item = encode(&row);
    assert_eq!(decode(&item), Ok(row.clone()));
    assert_eq!(
        item[attr::EXPIRES_AT],
        // 08:09:10.5 rounds up: TTL never deletes before the exact expiry.
        AttributeValue::N((1_795_766_951 + 90 * 86_400).to_string())
    );
    assert_eq!(
        item[attr::DAY_SHARD].as_s().ok().map(|s| &s[..11]),
        Some("2026-11-27#")
    );
}

#[test]
fn ledger_row_without_subject_round_trips() {
    let m = milestone(
        &r#"{"event":"EVENT","tenant_id":"t","workspace_id":"w","actor_id":"a","event_id":"e-2","occurred_at":"2026-11-27T10:00:00Z"}"#
            .replace("EVENT", REVIEW_PACK_REQUESTED),
    );
    assert_eq!(decode(&encode(&m)), Ok(m));
}

#[test]
fn index_row_round_trips_through_the_projection() {
    let row = full_row();
    let item = encode(&row);
    let keep = [
        attr::TENANT_ID,
        attr::EVENT_KEY,
        attr::DAY_SHARD,
        attr::TIME_KEY,
    ];
    let projected: Item = item
        .into_iter()
        .filter(|(k, _)| keep.contains(&k.as_str()) || INDEX_PROJECTION.contains(&k.as_str()))
        .collect();
    let index_row = IndexRow::from_item(&projected).expect("valid projection");
    let m = &row;
    assert_eq!(index_row.row.tenant_id, m.tenant_id);
    assert_eq!(index_row.event_key, event_key(&m.event_id));
    assert_eq!(index_row.row.event, m.event);
    assert_eq!(index_row.row.workspace_id, m.workspace_id);
    assert_eq!(index_row.row.occurred_at, m.occurred_at);
    assert_eq!(index_row.row.expires_at, row.expires_at);
    let prune_key = PruneKey::from_item(&projected).expect("valid projection");
    assert_eq!(prune_key.event_key, index_row.event_key);
    assert_eq!(prune_key.occurred_at, m.occurred_at.instant());
    assert_eq!(
        prune_key.key(),
        HashMap::from([
            (attr::TENANT_ID.to_owned(), AttributeValue::S("t-1".into())),
            (
                attr::EVENT_KEY.to_owned(),
                AttributeValue::S(index_row.event_key.clone())
            ),
        ])
    );
}

#[test]
fn missing_attribute_is_an_error() {
    let mut item = encode(&full_row());
    item.remove(attr::WORKSPACE_ID);
    assert_eq!(decode(&item), Err(ItemError::Missing(attr::WORKSPACE_ID)));
    assert_eq!(
        IndexRow::from_item(&item).err(),
        Some(ItemError::Missing(attr::WORKSPACE_ID))
    );
}

#[test]
fn mistyped_attribute_is_an_error() {
    let mut item = encode(&full_row());
    item.insert(attr::EXPIRES_AT.into(), AttributeValue::S("soon".into()));
    assert_eq!(
        decode(&item),
        Err(ItemError::WrongType {
            attribute: attr::EXPIRES_AT,
            expected: "N"
        })
    );
}

#[test]
fn invalid_values_are_errors() {
    let mut item = encode(&full_row());
    item.insert(
        attr::EVENT.into(),
        AttributeValue::S("retired.event".into()),
    );
    assert!(matches!(
        decode(&item),
        Err(ItemError::Invalid {
            attribute: "event",
            ..
        })
    ));
    let mut item = encode(&full_row());
    item.insert(
        attr::TIME_KEY.into(),
        AttributeValue::S(format!(
            "2020-01-01T00:00:00.000Z#{}",
            event_key(&EventId::parse("e-1").expect("id"))
        )),
    );
    assert!(matches!(
        decode(&item),
        Err(ItemError::Invalid {
            attribute: "time_key",
            ..
        })
    ));
}
