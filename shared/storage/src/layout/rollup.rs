//! Closed-day roll-up items and day-version items.
//!
//!
//! Roll-up and day-version items share the table under partition keys no
//! tenant can have (`#` is outside the identifier charset). They carry no
//! `day_shard`/`time_key`, so they never enter the time index.

use super::fields::{invalid, parse_instant, required_n, wrong_type};
use super::{Item, attr};
use crate::error::ItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};
use domain::day_rollup::{DayRollup, WorkspaceDigest};
use domain::{CATALOG, Retention, format_millis};
use std::collections::HashMap;

/// Partition of the per-day version items: `event_key` = `YYYY-MM-DD`.
pub(crate) const DAY_PARTITION: &str = "#day";
/// Partition of the roll-up heads (`YYYY-MM-DD`) and their workspace chunks
/// (`YYYY-MM-DD#v<version>#<i>`).
pub(crate) const ROLLUP_PARTITION: &str = "#rollup";
/// Workspace digests per chunk item: 20,000 × 16 bytes stays far inside 400 KB.
pub(crate) const DIGESTS_PER_CHUNK: usize = 20_000;

pub(crate) mod rollup_attr {
    pub const VERSION: &str = "version";
    pub const BUMPED_AT: &str = "bumped_at";
    pub const CATALOG: &str = "catalog";
    pub const COUNTS: &str = "counts";
    pub const LATEST: &str = "latest";
    pub const CHUNKS: &str = "chunks";
    pub const WORKSPACES: &str = "workspaces";
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn key(partition: &str, sort: String) -> Item {
    HashMap::from([
        (
            attr::TENANT_ID.to_owned(),
            AttributeValue::S(partition.to_owned()),
        ),
        (attr::EVENT_KEY.to_owned(), AttributeValue::S(sort)),
    ])
}

pub(crate) fn day_version_key(day: NaiveDate) -> Item {
    key(DAY_PARTITION, day_text(day))
}

pub(crate) fn rollup_head_key(day: NaiveDate) -> Item {
    key(ROLLUP_PARTITION, day_text(day))
}

pub(crate) fn rollup_chunk_key(day: NaiveDate, version: u64, chunk: u32) -> Item {
    key(
        ROLLUP_PARTITION,
        format!("{}#v{version}#{chunk}", day_text(day)),
    )
}

/// The version of a day-version item (0 when the item does not exist).
pub(crate) fn day_version(item: Option<&Item>) -> Result<u64, ItemError> {
    match item {
        None => Ok(0),
        Some(item) => {
            let version = required_n(item, rollup_attr::VERSION)?;
            u64::try_from(version).map_err(|_| invalid(rollup_attr::VERSION, "negative".into()))
        }
    }
}

/// When a late row last bumped the day's version, if it ever did.
pub(crate) fn day_bumped_at(item: Option<&Item>) -> Option<DateTime<Utc>> {
    let text = item?.get(rollup_attr::BUMPED_AT)?.as_s().ok()?;
    parse_instant(rollup_attr::BUMPED_AT, text)
        .ok()
        .map(|at| at.instant())
}

/// A roll-up head: the version it was built from, the day's counts and
/// latest times, and how many workspace chunks hold its digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RollupHead {
    pub version: u64,
    pub chunks: u32,
    /// The day's counts and latest times; its workspace set is empty until
    /// the chunks are read.
    pub rollup: DayRollup,
}

/// Roll-ups expire like rows: a day's roll-up lives as long as its last row can.
pub(crate) fn rollup_expires_at(day: NaiveDate, retention: Retention) -> i64 {
    (DayRollup::new(day).end() + retention.duration()).timestamp()
}

pub(crate) fn rollup_head_item(
    rollup: &DayRollup,
    version: u64,
    chunks: u32,
    retention: Retention,
) -> Item {
    let mut item = rollup_head_key(rollup.day);
    let n = |v: u64| AttributeValue::N(v.to_string());
    item.insert(rollup_attr::VERSION.into(), n(version));
    item.insert(rollup_attr::CHUNKS.into(), n(u64::from(chunks)));
    item.insert(
        rollup_attr::CATALOG.into(),
        AttributeValue::L(
            CATALOG
                .iter()
                .map(|spec| AttributeValue::S(spec.name.to_owned()))
                .collect(),
        ),
    );
    item.insert(
        rollup_attr::COUNTS.into(),
        AttributeValue::L(
            rollup
                .counts
                .iter()
                .map(|hours| AttributeValue::L(hours.iter().map(|c| n(*c)).collect()))
                .collect(),
        ),
    );
    item.insert(
        rollup_attr::LATEST.into(),
        AttributeValue::L(
            rollup
                .latest
                .iter()
                .map(|latest| match latest {
                    Some(at) => AttributeValue::S(format_millis(*at)),
                    None => AttributeValue::Null(true),
                })
                .collect(),
        ),
    );
    item.insert(
        attr::EXPIRES_AT.into(),
        AttributeValue::N(rollup_expires_at(rollup.day, retention).to_string()),
    );
    item
}

/// Reads a roll-up head. A head built under another catalog (an event added,
/// removed or reordered since) is an error: the summary reads that day raw,
/// and the writer rebuilds it.
pub(crate) fn rollup_head_from_item(day: NaiveDate, item: &Item) -> Result<RollupHead, ItemError> {
    let list = |name: &'static str| match item.get(name) {
        None => Err(ItemError::Missing(name)),
        Some(AttributeValue::L(values)) => Ok(values),
        Some(_) => Err(wrong_type(name, "L")),
    };
    let catalog: Vec<&str> = list(rollup_attr::CATALOG)?
        .iter()
        .map(|v| v.as_s().map(String::as_str).unwrap_or_default())
        .collect();
    let current: Vec<&str> = CATALOG.iter().map(|spec| spec.name).collect();
    if catalog != current {
        return Err(invalid(
            rollup_attr::CATALOG,
            "built under another catalog".into(),
        ));
    }
    let mut rollup = DayRollup::new(day);
    let counts = list(rollup_attr::COUNTS)?;
    if counts.len() != CATALOG.len() {
        return Err(invalid(rollup_attr::COUNTS, "one list per event".into()));
    }
    for (event, hours) in counts.iter().enumerate() {
        let AttributeValue::L(hours) = hours else {
            return Err(wrong_type(rollup_attr::COUNTS, "L of L"));
        };
        if hours.len() != 24 {
            return Err(invalid(rollup_attr::COUNTS, "24 hours per event".into()));
        }
        for (hour, count) in hours.iter().enumerate() {
            rollup.counts[event][hour] = count
                .as_n()
                .ok()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| invalid(rollup_attr::COUNTS, "not a count".into()))?;
        }
    }
    let latest = list(rollup_attr::LATEST)?;
    if latest.len() != CATALOG.len() {
        return Err(invalid(rollup_attr::LATEST, "one per event".into()));
    }
    for (event, value) in latest.iter().enumerate() {
        rollup.latest[event] = match value {
            AttributeValue::Null(_) => None,
            AttributeValue::S(text) => Some(parse_instant(rollup_attr::LATEST, text)?.instant()),
            _ => return Err(wrong_type(rollup_attr::LATEST, "S or NULL")),
        };
    }
    let chunks = required_n(item, rollup_attr::CHUNKS)?;
    Ok(RollupHead {
        version: day_version(Some(item))?,
        chunks: u32::try_from(chunks)
            .map_err(|_| invalid(rollup_attr::CHUNKS, "out of range".into()))?,
        rollup,
    })
}

pub(crate) fn rollup_chunk_item(
    day: NaiveDate,
    version: u64,
    chunk: u32,
    digests: &[WorkspaceDigest],
    retention: Retention,
) -> Item {
    let mut item = rollup_chunk_key(day, version, chunk);
    item.insert(
        rollup_attr::WORKSPACES.into(),
        AttributeValue::Bs(
            digests
                .iter()
                .map(|d| aws_sdk_dynamodb::primitives::Blob::new(d.as_bytes().to_vec()))
                .collect(),
        ),
    );
    item.insert(
        attr::EXPIRES_AT.into(),
        AttributeValue::N(rollup_expires_at(day, retention).to_string()),
    );
    item
}

pub(crate) fn rollup_chunk_digests(item: &Item) -> Result<Vec<WorkspaceDigest>, ItemError> {
    match item.get(rollup_attr::WORKSPACES) {
        None => Err(ItemError::Missing(rollup_attr::WORKSPACES)),
        Some(AttributeValue::Bs(blobs)) => blobs
            .iter()
            .map(|blob| {
                WorkspaceDigest::from_bytes(blob.as_ref())
                    .ok_or_else(|| invalid(rollup_attr::WORKSPACES, "not a 16-byte digest".into()))
            })
            .collect(),
        Some(_) => Err(wrong_type(rollup_attr::WORKSPACES, "BS")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::IndexedMilestone;

    #[test]
    fn rollup_items_round_trip() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        let mut rollup = DayRollup::new(day);
        let indexed = IndexedMilestone {
            event: domain::EventName::parse(domain::testing::REPORT_CREATED).expect("event"),
            tenant_id: domain::TenantId::parse("t-1").expect("id"),
            workspace_id: domain::WorkspaceId::parse("w-1").expect("id"),
            occurred_at: domain::OccurredAt::from_instant(domain::testing::at(
                "2026-11-27T08:09:10.5Z",
            )),
            expires_at: 0,
        };
        assert!(rollup.add(&indexed));
        let head = rollup_head_item(&rollup, 7, 1, Retention::default());
        let back = rollup_head_from_item(day, &head).expect("head");
        assert_eq!((back.version, back.chunks), (7, 1));
        assert_eq!(back.rollup.counts, rollup.counts);
        assert_eq!(back.rollup.latest, rollup.latest);
        let digests: Vec<WorkspaceDigest> = rollup.workspaces.iter().copied().collect();
        let chunk = rollup_chunk_item(day, 7, 0, &digests, Retention::default());
        assert_eq!(rollup_chunk_digests(&chunk).expect("chunk"), digests);
        assert!(!head.contains_key(attr::DAY_SHARD) && !chunk.contains_key(attr::TIME_KEY));
        assert_eq!(
            head[attr::EXPIRES_AT],
            AttributeValue::N((1_795_824_000 + 90 * 86_400).to_string()),
            "expires with the retention, counted from the day's end"
        );
    }

    #[test]
    fn a_head_from_another_catalog_is_refused() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        let mut head = rollup_head_item(&DayRollup::new(day), 1, 0, Retention::default());
        head.insert(
            rollup_attr::CATALOG.into(),
            AttributeValue::L(vec![AttributeValue::S("retired.event".into())]),
        );
        assert!(rollup_head_from_item(day, &head).is_err());
    }
}
