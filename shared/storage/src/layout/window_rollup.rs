//! Window roll-up items: one per window and start, in the roll-up partition
//! (`W#<window>#YYYY-MM-DDTHH:MM`, after every dated key, so the retention's
//! bookkeeping cleanup never takes them), and the fingerprint of the day
//! versions one was built from.
//!
//! One item holds the whole aggregate, workspace digests included, so a
//! summary reads it eventually consistent: whichever build it sees is whole,
//! and it is used only if its fingerprint equals the current versions' of
//! every day it covers.

use super::fields::{invalid, parse_instant, required_n, required_s, wrong_type};
use super::rollup::{DIGESTS_PER_CHUNK, DayVersion, ROLLUP_PARTITION, VersionDigest, rollup_attr};
use super::stored_aggregate::{StoredAggregate, insert_aggregate, read_aggregate};
use super::{Item, attr};
use crate::error::ItemError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use domain::rollup::{WORKSPACE_DIGEST_LEN, WorkspaceDigest};
use domain::window_rollup::WindowRollup;
use domain::{Window, WindowKey, format_millis};
use std::collections::{BTreeMap, BTreeSet, HashMap};

const FORMAT: u64 = 1;

mod window_attr {
    pub const WINDOW: &str = "window";
    pub const START: &str = "start";
    pub const END: &str = "end";
    pub const FINGERPRINT: &str = "versions_fingerprint";
    pub const BUILT_AT: &str = "built_at";
}

/// The most workspaces a window roll-up holds (one item, under 400 KB); a
/// window with more is not kept, and its summaries read day and hour
/// roll-ups instead.
pub(crate) const MAX_WINDOW_WORKSPACES: usize = DIGESTS_PER_CHUNK;

pub(crate) fn window_rollup_key(key: WindowKey, start: DateTime<Utc>) -> Item {
    HashMap::from([
        (
            attr::TENANT_ID.to_owned(),
            AttributeValue::S(ROLLUP_PARTITION.to_owned()),
        ),
        (
            attr::EVENT_KEY.to_owned(),
            AttributeValue::S(format!(
                "W#{}#{}",
                key.as_str(),
                start.format("%Y-%m-%dT%H:%M")
            )),
        ),
    ])
}

/// The fingerprint of the versions of `days`: equal only while no late row,
/// purge or erasure bumped any of them (each bumps one of its day's shards).
/// `None` when one of them cannot be read: nothing built on it is trusted.
pub(crate) fn versions_fingerprint(
    versions: &BTreeMap<domain::rollup::Span, Result<DayVersion, ItemError>>,
    days: &[NaiveDate],
) -> Option<u64> {
    let mut hash = VersionDigest::default();
    for day in days {
        match versions.get(&domain::rollup::Span::Day(*day)) {
            None => {}
            Some(Err(_)) => return None,
            Some(Ok(version)) => {
                hash.update(&day.format("%Y-%m-%d:").to_string());
                version.hash_into(&mut hash);
            }
        }
    }
    Some(hash.finish())
}

/// When the latest of `days` was bumped.
pub(crate) fn last_bump(
    versions: &BTreeMap<domain::rollup::Span, Result<DayVersion, ItemError>>,
    days: &[NaiveDate],
) -> Option<DateTime<Utc>> {
    days.iter()
        .filter_map(|day| {
            versions
                .get(&domain::rollup::Span::Day(*day))?
                .as_ref()
                .ok()?
                .bumped_at
        })
        .max()
}

/// The stored item; it expires an hour after the last summary that can ask
/// for its start.
/// A window roll-up is put only over an older build of the same start
/// (or none): a writer of another deploy never replaces a newer one.
pub(crate) const WINDOW_PUT_CONDITION: &str =
    "attribute_not_exists(#built_at) OR #built_at <= :built_at";

pub(crate) fn window_put_names() -> HashMap<String, String> {
    HashMap::from([("#built_at".to_owned(), window_attr::BUILT_AT.to_owned())])
}

pub(crate) fn window_put_values(rollup: &WindowRollup) -> HashMap<String, AttributeValue> {
    HashMap::from([(
        ":built_at".to_owned(),
        AttributeValue::S(format_millis(rollup.built_at)),
    )])
}

pub(crate) fn window_rollup_item(rollup: &WindowRollup, fingerprint: u64) -> Item {
    let mut item = window_rollup_key(rollup.key, rollup.start);
    let n = |v: u64| AttributeValue::N(v.to_string());
    item.insert(rollup_attr::FORMAT.into(), n(FORMAT));
    item.insert(
        window_attr::WINDOW.into(),
        AttributeValue::S(rollup.key.as_str().into()),
    );
    item.insert(
        window_attr::START.into(),
        AttributeValue::S(format_millis(rollup.start)),
    );
    item.insert(
        window_attr::END.into(),
        AttributeValue::S(format_millis(rollup.end)),
    );
    item.insert(window_attr::FINGERPRINT.into(), n(fingerprint));
    item.insert(
        window_attr::BUILT_AT.into(),
        AttributeValue::S(format_millis(rollup.built_at)),
    );
    insert_aggregate(
        &mut item,
        &rollup.counts,
        &rollup.latest,
        rollup.valid_until,
    );
    if !rollup.workspaces.is_empty() {
        let bytes: Vec<u8> = rollup
            .workspaces
            .iter()
            .flat_map(|digest| digest.as_bytes().iter().copied())
            .collect();
        item.insert(
            rollup_attr::WORKSPACES.into(),
            AttributeValue::B(Blob::new(bytes)),
        );
    }
    let leaves = rollup.start + rollup.key.length() + TimeDelta::hours(1);
    item.insert(
        attr::EXPIRES_AT.into(),
        AttributeValue::N(leaves.timestamp().to_string()),
    );
    item
}

/// A stored window roll-up and the fingerprint it was built from.
pub(crate) fn window_rollup_from_item(item: &Item) -> Result<(WindowRollup, u64), ItemError> {
    if u64::try_from(required_n(item, rollup_attr::FORMAT)?) != Ok(FORMAT) {
        return Err(invalid(
            rollup_attr::FORMAT,
            "written by another release".into(),
        ));
    }
    let window = required_s(item, window_attr::WINDOW)?;
    let key = WindowKey::ALL
        .into_iter()
        .find(|k| k.as_str() == window)
        .ok_or_else(|| invalid(window_attr::WINDOW, "not a window".into()))?;
    let start = parse_instant(window_attr::START, required_s(item, window_attr::START)?)?.instant();
    let end = parse_instant(window_attr::END, required_s(item, window_attr::END)?)?.instant();
    let built_at = parse_instant(
        window_attr::BUILT_AT,
        required_s(item, window_attr::BUILT_AT)?,
    )?
    .instant();
    let fingerprint = u64::try_from(required_n(item, window_attr::FINGERPRINT)?)
        .map_err(|_| invalid(window_attr::FINGERPRINT, "negative".into()))?;
    let buckets = Window { key, start, end }.bucket_starts().len();
    let StoredAggregate {
        counts,
        latest,
        valid_until,
    } = read_aggregate(item, buckets)?;
    let workspaces: BTreeSet<WorkspaceDigest> = match item.get(rollup_attr::WORKSPACES) {
        None => BTreeSet::new(),
        Some(AttributeValue::B(bytes)) => {
            let bytes = bytes.as_ref();
            if bytes.len() % WORKSPACE_DIGEST_LEN != 0 {
                return Err(invalid(
                    rollup_attr::WORKSPACES,
                    "not whole 16-byte digests".into(),
                ));
            }
            bytes
                .chunks(WORKSPACE_DIGEST_LEN)
                .filter_map(WorkspaceDigest::from_bytes)
                .collect()
        }
        Some(_) => return Err(wrong_type(rollup_attr::WORKSPACES, "B")),
    };
    Ok((
        WindowRollup {
            key,
            start,
            end,
            counts,
            latest,
            workspaces,
            valid_until,
            built_at,
        },
        fingerprint,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::testing::at;
    use domain::{Aggregation, IndexedMilestone, Retention};

    fn built() -> WindowRollup {
        let now = at("2026-11-27T10:20:00Z");
        let start = at("2026-11-20T11:00:00Z");
        let mut aggregation = Aggregation::new(
            Window {
                key: WindowKey::Week,
                start,
                end: at("2026-11-27T10:00:00Z"),
            },
            now,
            Retention::default(),
        );
        for (i, at_text) in ["2026-11-20T11:00:00Z", "2026-11-27T09:59:59.999Z"]
            .iter()
            .enumerate()
        {
            let occurred = at(at_text);
            aggregation.add(&IndexedMilestone {
                event: domain::EventName::parse(domain::testing::REPORT_CREATED).expect("event"),
                tenant_id: domain::TenantId::parse("t-1").expect("id"),
                workspace_id: domain::WorkspaceId::parse(&format!("w-{i}")).expect("id"),
                occurred_at: domain::OccurredAt::from_instant(occurred),
                expires_at: (occurred + TimeDelta::days(90)).timestamp(),
            });
        }
        aggregation.into_window_rollup()
    }

    #[test]
    fn a_window_rollup_round_trips_with_its_fingerprint() {
        let rollup = built();
        assert_eq!((rollup.total(), rollup.workspaces.len()), (2, 2));
        let item = window_rollup_item(&rollup, 42);
        assert_eq!(
            item[attr::EVENT_KEY],
            AttributeValue::S("W#7d#2026-11-20T11:00".into())
        );
        assert!(!item.contains_key(attr::DAY_SHARD) && !item.contains_key(attr::TIME_KEY));
        assert_eq!(window_rollup_from_item(&item), Ok((rollup, 42)));
    }

    /// Its key sorts after every dated bookkeeping key, so the cleanup of
    /// days outside the retention (`sort < YYYY-MM-DD`) never takes it.
    #[test]
    fn its_key_sorts_after_every_dated_key() {
        let Some(AttributeValue::S(sort)) =
            window_rollup_key(WindowKey::Day, at("2026-11-27T10:00:00Z")).remove(attr::EVENT_KEY)
        else {
            panic!("a string key")
        };
        assert!(sort.as_str() > "9999-12-31~");
    }

    #[test]
    fn a_corrupt_or_foreign_window_rollup_is_refused() {
        let item = window_rollup_item(&built(), 1);
        let mut wrong_buckets = item.clone();
        wrong_buckets.insert(
            rollup_attr::COUNTS.into(),
            AttributeValue::M(HashMap::from([(
                domain::testing::REPORT_CREATED.to_owned(),
                AttributeValue::L(vec![AttributeValue::N("1".into())]),
            )])),
        );
        assert!(window_rollup_from_item(&wrong_buckets).is_err());
        let mut torn = item.clone();
        torn.insert(
            rollup_attr::WORKSPACES.into(),
            AttributeValue::B(Blob::new(vec![0u8; 17])),
        );
        assert!(window_rollup_from_item(&torn).is_err());
        let mut other_release = item;
        other_release.insert(rollup_attr::FORMAT.into(), AttributeValue::N("2".into()));
        assert!(window_rollup_from_item(&other_release).is_err());
    }

    /// Any bump of any covered day changes the fingerprint; a corrupt
    /// version item makes it unknown.
    #[test]
    fn the_fingerprint_changes_with_any_bump_of_its_days() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
        let days = [day(26), day(27)];
        let version = |count| {
            Ok(DayVersion {
                shards: BTreeMap::from([("03".to_owned(), count)]),
                bumped_at: None,
            })
        };
        let mut versions = BTreeMap::new();
        let untouched = versions_fingerprint(&versions, &days);
        versions.insert(domain::rollup::Span::Day(day(25)), version(1));
        assert_eq!(versions_fingerprint(&versions, &days), untouched, "outside");
        versions.insert(domain::rollup::Span::Day(day(26)), version(1));
        let bumped = versions_fingerprint(&versions, &days);
        assert_ne!(bumped, untouched);
        versions.insert(domain::rollup::Span::Day(day(26)), version(2));
        assert_ne!(versions_fingerprint(&versions, &days), bumped);
        versions.insert(
            domain::rollup::Span::Day(day(27)),
            Err(ItemError::Missing("version")),
        );
        assert_eq!(versions_fingerprint(&versions, &days), None);
    }
}
