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
use domain::{EventName, Retention, format_millis};
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
    pub const FORMAT: &str = "format";
    pub const COUNTS: &str = "counts";
    pub const VALID_UNTIL: &str = "valid_until";
    pub const LATEST: &str = "latest";
    pub const CHUNKS: &str = "chunks";
    pub const WORKSPACES: &str = "workspaces";
}

/// The partitions that hold roll-up bookkeeping, never a row.
pub(crate) const BOOKKEEPING_PARTITIONS: [&str; 2] = [DAY_PARTITION, ROLLUP_PARTITION];

/// The sort-key bound below which a bookkeeping item belongs to a day before
/// `day`: day versions and heads are `YYYY-MM-DD`, chunks `YYYY-MM-DD#v…`.
pub(crate) fn bookkeeping_before(day: NaiveDate) -> String {
    day_text(day)
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

/// The TTL of a day's version item, set by every late row that bumps it:
/// when the day leaves the retention that row was recorded under (its own
/// TTL's distance from its time, counted from the day's end). Bookkeeping
/// expires with the data.
pub(crate) fn day_version_expires_at(late: &domain::Milestone) -> i64 {
    let retention = late.expires_at - late.occurred_at.instant().timestamp();
    let day_end = DayRollup::new(late.occurred_at.instant().date_naive()).end();
    day_end.timestamp() + retention
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

/// The head format this release writes. A head of another format is not
/// usable (its day is read raw until the writer rebuilds it).
const HEAD_FORMAT: u64 = 2;

/// A roll-up's TTL: when it stops being exact (its first counted row
/// expires), or when its day leaves the retention in force, whichever is
/// first. Its bookkeeping never outlives what it counts.
pub(crate) fn rollup_expires_at(rollup: &DayRollup, retention: Retention) -> i64 {
    let leaves_retention = (rollup.end() + retention.duration()).timestamp();
    rollup
        .valid_until
        .map_or(leaves_retention, |until| until.min(leaves_retention))
}

/// A roll-up head, format 2: counts and latest times keyed by event name, so
/// a catalog change (an event added or retired) leaves every head usable.
pub(crate) fn rollup_head_item(
    rollup: &DayRollup,
    version: u64,
    chunks: u32,
    retention: Retention,
) -> Item {
    let mut item = rollup_head_key(rollup.day);
    let n = |v: u64| AttributeValue::N(v.to_string());
    item.insert(rollup_attr::FORMAT.into(), n(HEAD_FORMAT));
    item.insert(rollup_attr::VERSION.into(), n(version));
    item.insert(rollup_attr::CHUNKS.into(), n(u64::from(chunks)));
    let counts = EventName::all()
        .filter(|event| rollup.counts[event.index()].iter().any(|c| *c > 0))
        .map(|event| {
            let hours = rollup.counts[event.index()].iter().map(|c| n(*c)).collect();
            (event.as_str().to_owned(), AttributeValue::L(hours))
        })
        .collect();
    item.insert(rollup_attr::COUNTS.into(), AttributeValue::M(counts));
    let latest = EventName::all()
        .filter_map(|event| {
            let at = rollup.latest[event.index()]?;
            Some((
                event.as_str().to_owned(),
                AttributeValue::S(format_millis(at)),
            ))
        })
        .collect();
    item.insert(rollup_attr::LATEST.into(), AttributeValue::M(latest));
    if let Some(until) = rollup.valid_until {
        item.insert(
            rollup_attr::VALID_UNTIL.into(),
            AttributeValue::N(until.to_string()),
        );
    }
    item.insert(
        attr::EXPIRES_AT.into(),
        AttributeValue::N(rollup_expires_at(rollup, retention).to_string()),
    );
    item
}

/// Reads a roll-up head. Events the catalog no longer has are left out (their
/// rows are skipped by raw reads too); events it did not have then count 0
/// (no row of theirs can be in the day without a late row's version bump).
/// A head of another format is an error: the day is read raw, and rebuilt.
pub(crate) fn rollup_head_from_item(day: NaiveDate, item: &Item) -> Result<RollupHead, ItemError> {
    if required_n(item, rollup_attr::FORMAT)? != HEAD_FORMAT as i64 {
        return Err(invalid(
            rollup_attr::FORMAT,
            "written by another release".into(),
        ));
    }
    let map = |name: &'static str| match item.get(name) {
        None => Err(ItemError::Missing(name)),
        Some(AttributeValue::M(values)) => Ok(values),
        Some(_) => Err(wrong_type(name, "M")),
    };
    let mut rollup = DayRollup::new(day);
    for (name, hours) in map(rollup_attr::COUNTS)? {
        let Some(event) = EventName::parse(name) else {
            continue;
        };
        let AttributeValue::L(hours) = hours else {
            return Err(wrong_type(rollup_attr::COUNTS, "M of L"));
        };
        if hours.len() != 24 {
            return Err(invalid(rollup_attr::COUNTS, "24 hours per event".into()));
        }
        for (hour, count) in hours.iter().enumerate() {
            rollup.counts[event.index()][hour] = count
                .as_n()
                .ok()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| invalid(rollup_attr::COUNTS, "not a count".into()))?;
        }
    }
    for (name, value) in map(rollup_attr::LATEST)? {
        let Some(event) = EventName::parse(name) else {
            continue;
        };
        let AttributeValue::S(text) = value else {
            return Err(wrong_type(rollup_attr::LATEST, "M of S"));
        };
        rollup.latest[event.index()] = Some(parse_instant(rollup_attr::LATEST, text)?.instant());
    }
    rollup.valid_until = match item.get(rollup_attr::VALID_UNTIL) {
        None => None,
        Some(_) => Some(required_n(item, rollup_attr::VALID_UNTIL)?),
    };
    let chunks = required_n(item, rollup_attr::CHUNKS)?;
    Ok(RollupHead {
        version: day_version(Some(item))?,
        chunks: u32::try_from(chunks)
            .map_err(|_| invalid(rollup_attr::CHUNKS, "out of range".into()))?,
        rollup,
    })
}

/// One chunk of a roll-up's workspace digests; it expires with its head.
pub(crate) fn rollup_chunk_item(
    rollup: &DayRollup,
    version: u64,
    chunk: u32,
    digests: &[WorkspaceDigest],
    retention: Retention,
) -> Item {
    let day = rollup.day;
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
        AttributeValue::N(rollup_expires_at(rollup, retention).to_string()),
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

    fn one_row_rollup() -> DayRollup {
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        let mut rollup = DayRollup::new(day);
        let occurred = domain::testing::at("2026-11-27T08:09:10Z");
        let indexed = IndexedMilestone {
            event: domain::EventName::parse(domain::testing::REPORT_CREATED).expect("event"),
            tenant_id: domain::TenantId::parse("t-1").expect("id"),
            workspace_id: domain::WorkspaceId::parse("w-1").expect("id"),
            occurred_at: domain::OccurredAt::from_instant(occurred),
            expires_at: (occurred + chrono::TimeDelta::days(90)).timestamp(),
        };
        assert!(rollup.add(&indexed, domain::testing::at("2026-11-28T01:00:00Z")));
        rollup
    }

    #[test]
    fn rollup_items_round_trip() {
        let rollup = one_row_rollup();
        let day = rollup.day;
        let head = rollup_head_item(&rollup, 7, 1, Retention::default());
        let back = rollup_head_from_item(day, &head).expect("head");
        assert_eq!((back.version, back.chunks), (7, 1));
        assert_eq!(back.rollup.counts, rollup.counts);
        assert_eq!(back.rollup.latest, rollup.latest);
        assert_eq!(back.rollup.valid_until, rollup.valid_until);
        let digests: Vec<WorkspaceDigest> = rollup.workspaces.iter().copied().collect();
        let chunk = rollup_chunk_item(&rollup, 7, 0, &digests, Retention::default());
        assert_eq!(rollup_chunk_digests(&chunk).expect("chunk"), digests);
        assert!(!head.contains_key(attr::DAY_SHARD) && !chunk.contains_key(attr::TIME_KEY));
        assert_eq!(head[attr::EXPIRES_AT], chunk[attr::EXPIRES_AT]);
    }

    /// The bookkeeping never outlives what it counts: a roll-up expires when
    /// its first row does, or when its day leaves the retention in force.
    #[test]
    fn a_rollup_expires_with_its_rows_or_its_day_whichever_is_first() {
        let rollup = one_row_rollup();
        let ttl = |retention_days| {
            rollup_head_item(
                &rollup,
                0,
                1,
                Retention::from_days(retention_days).expect("valid"),
            )[attr::EXPIRES_AT]
                .clone()
        };
        let first_row = rollup.valid_until.expect("a row");
        assert_eq!(ttl(90), AttributeValue::N(first_row.to_string()));
        let day_end = domain::testing::at("2026-11-28T00:00:00Z").timestamp();
        assert_eq!(
            ttl(30),
            AttributeValue::N((day_end + 30 * 86_400).to_string())
        );
        let empty = DayRollup::new(rollup.day);
        assert_eq!(
            rollup_head_item(&empty, 0, 0, Retention::default())[attr::EXPIRES_AT],
            AttributeValue::N((day_end + 90 * 86_400).to_string())
        );
    }

    /// Heads are keyed by event name: an event added since counts 0, an event
    /// retired since is left out, and the head stays usable either way.
    #[test]
    fn a_head_survives_catalog_changes() {
        let rollup = one_row_rollup();
        let mut head = rollup_head_item(&rollup, 1, 1, Retention::default());
        let Some(AttributeValue::M(counts)) = head.get_mut(rollup_attr::COUNTS) else {
            panic!("counts are a map")
        };
        counts.insert(
            "retired.event".into(),
            AttributeValue::L(vec![AttributeValue::N("5".into()); 24]),
        );
        let back = rollup_head_from_item(rollup.day, &head).expect("still usable");
        assert_eq!(back.rollup.counts, rollup.counts);
        assert_eq!(back.rollup.total(), 1);
    }

    #[test]
    fn a_head_of_another_format_is_refused() {
        let rollup = one_row_rollup();
        let mut head = rollup_head_item(&rollup, 1, 1, Retention::default());
        head.insert(rollup_attr::FORMAT.into(), AttributeValue::N("1".into()));
        assert!(rollup_head_from_item(rollup.day, &head).is_err());
        head.remove(rollup_attr::FORMAT);
        assert_eq!(
            rollup_head_from_item(rollup.day, &head).err(),
            Some(ItemError::Missing(rollup_attr::FORMAT)),
            "a head of the first release"
        );
    }
}
