//! The table layout: the only place that knows key formats, attribute names and item mapping.
//!
//! | attribute      | type | role                                                        |
//! |----------------|------|-------------------------------------------------------------|
//! | `tenant_id`    | S    | table partition key                                         |
//! | `event_key`    | S    | table sort key (the idempotency key): `event_key(event_id)` |
//! | `day_shard`    | S    | GSI partition key: `YYYY-MM-DD#<shard>`                     |
//! | `time_key`     | S    | GSI sort key: `YYYY-MM-DDTHH:MM:SS.mmmZ#<event_key>`        |
//! | `expires_at`   | N    | TTL, epoch seconds: `occurred_at` + retention, rounded up   |
//! | `event_id`, `event`, `workspace_id`, `actor_id`, `occurred_at`, `fingerprint`, `subject_type`, `subject_id`, `metadata` | | payload |
//!
//! The caller's `event_id` can embed actor ids and metadata, so it never
//! appears in a key: keys are projected into the index, which the summary and
//! prune roles read. It is stored only as a payload attribute the index does
//! not project.

use crate::error::ItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use domain::rollup::{DayRollup, WorkspaceDigest};
#[cfg(any(test, feature = "testing"))]
use domain::{ActorId, Metadata, Subject, SubjectId, SubjectType};
use domain::{
    CATALOG, EventId, EventName, Fingerprint, IndexedMilestone, Milestone, OccurredAt, Retention,
    TenantId, WorkspaceId, format_millis,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

pub mod attr {
    pub const TENANT_ID: &str = "tenant_id";
    pub const EVENT_ID: &str = "event_id";
    pub const EVENT_KEY: &str = "event_key";
    pub const EVENT: &str = "event";
    pub const WORKSPACE_ID: &str = "workspace_id";
    pub const ACTOR_ID: &str = "actor_id";
    pub const OCCURRED_AT: &str = "occurred_at";
    pub const EXPIRES_AT: &str = "expires_at";
    pub const FINGERPRINT: &str = "fingerprint";
    pub const SUBJECT_TYPE: &str = "subject_type";
    pub const SUBJECT_ID: &str = "subject_id";
    pub const METADATA: &str = "metadata";
    pub const DAY_SHARD: &str = "day_shard";
    pub const TIME_KEY: &str = "time_key";
}

/// The GSI that aggregation and prune read through.
pub(crate) const TIME_INDEX: &str = "by_time";

/// Write shards per day in the GSI. One GSI partition takes at most 1,000
/// writes/s; four shards give a day 4,000 writes/s of headroom (the design
/// load is 20,000 milestones a day, about 0.23/s on average) while a summary
/// pays only four Queries per day it reads. See the README for the arithmetic.
pub const WRITE_SHARDS: u8 = 4;

/// Non-key attributes the GSI projects (`INCLUDE`): only what aggregation needs.
/// Table and index keys are always projected.
pub(crate) const INDEX_PROJECTION: [&str; 3] = [attr::EVENT, attr::WORKSPACE_ID, attr::EXPIRES_AT];

/// The table as `infra/template.yaml` must declare it: key attributes, the
/// time index, its projection and the TTL attribute. Item formats stay private.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableShape {
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    pub index_name: &'static str,
    pub index_partition_key: &'static str,
    pub index_sort_key: &'static str,
    pub index_projection: &'static [&'static str],
    pub ttl_attribute: &'static str,
}

pub const TABLE_SHAPE: TableShape = TableShape {
    partition_key: attr::TENANT_ID,
    sort_key: attr::EVENT_KEY,
    index_name: TIME_INDEX,
    index_partition_key: attr::DAY_SHARD,
    index_sort_key: attr::TIME_KEY,
    index_projection: &INDEX_PROJECTION,
    ttl_attribute: attr::EXPIRES_AT,
};

/// The write shard an event id lands on: stable across processes and releases.
pub(crate) fn shard_for(event_id: &EventId) -> u8 {
    let digest = Sha256::digest(event_id.as_str().as_bytes());
    digest[0] % WRITE_SHARDS
}

/// Hex characters in an event key.
pub(crate) const EVENT_KEY_LEN: usize = 32;

/// The fixed-length key of an event id: the first 128 bits of its SHA-256, in
/// lowercase hex. Stable across processes and releases: it is the idempotency
/// key of every stored row.
pub(crate) fn event_key(event_id: &EventId) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(event_id.as_str().as_bytes());
    digest[..EVENT_KEY_LEN / 2].iter().fold(
        String::with_capacity(EVENT_KEY_LEN),
        |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        },
    )
}

fn is_event_key(text: &str) -> bool {
    text.len() == EVENT_KEY_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// GSI partition key for one (UTC day, shard).
pub(crate) fn day_shard_key(day: NaiveDate, shard: u8) -> String {
    format!("{}#{shard}", day.format("%Y-%m-%d"))
}

/// GSI sort key: the fixed-width timestamp then `#` then the event key, so strings sort in time order.
pub(crate) fn time_key(occurred_at: OccurredAt, event_key: &str) -> String {
    format!("{}#{event_key}", format_millis(occurred_at.instant()))
}

/// A sort-key bound for an instant. `BETWEEN bound(from) AND bound(to)` selects
/// exactly `from <= occurred_at < to`, because `bound(to)` sorts before every
/// `bound(to)#event_key`.
pub(crate) fn time_bound(instant: DateTime<Utc>) -> String {
    format_millis(OccurredAt::from_instant(instant).instant())
}

/// One (day, shard) partition of the time index, narrowed to `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PartitionRange {
    pub day: NaiveDate,
    pub shard: u8,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Every (day, shard) partition that can hold rows with `start <= occurred_at < end`,
/// oldest day first; the edge days are narrowed to the range.
pub(crate) fn partitions_between(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<PartitionRange> {
    if end <= start {
        return Vec::new();
    }
    let last_day = (end - TimeDelta::milliseconds(1)).date_naive();
    start
        .date_naive()
        .iter_days()
        .take_while(|day| *day <= last_day)
        .flat_map(|day| {
            let day_start = day.and_time(chrono::NaiveTime::MIN).and_utc();
            let from = start.max(day_start);
            let to = end.min(day_start + TimeDelta::days(1));
            (0..WRITE_SHARDS).map(move |shard| PartitionRange {
                day,
                shard,
                from,
                to,
            })
        })
        .collect()
}

/// TTL: epoch seconds at which the row leaves the retention window, rounded
/// up, so TTL never removes a row before its exact expiry instant. The summary
/// and prune decide by the exact instant (`occurred_at` + retention), not by this.
pub(crate) fn expires_at(occurred_at: OccurredAt, retention: Retention) -> i64 {
    let expiry = occurred_at.instant() + retention.duration();
    let seconds = expiry.timestamp();
    if expiry.timestamp_subsec_nanos() > 0 {
        seconds + 1
    } else {
        seconds
    }
}

/// The item of a milestone, with its TTL from `retention`.
pub(crate) fn encode(milestone: &Milestone, retention: Retention) -> Item {
    milestone_item(milestone, expires_at(milestone.occurred_at, retention))
}

pub(crate) fn milestone_item(m: &Milestone, expires_at: i64) -> Item {
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
        AttributeValue::N(expires_at.to_string()),
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

/// A full ledger row: the milestone and its TTL. Only tests and the
/// `testing` feature read whole rows back; the functions never do.
#[cfg(any(test, feature = "testing"))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LedgerRow {
    pub milestone: Milestone,
    pub expires_at: i64,
}

#[cfg(any(test, feature = "testing"))]
impl LedgerRow {
    #[cfg(test)]
    pub fn new(milestone: Milestone, retention: Retention) -> Self {
        let expires_at = expires_at(milestone.occurred_at, retention);
        Self {
            milestone,
            expires_at,
        }
    }

    pub fn to_item(&self) -> Item {
        milestone_item(&self.milestone, self.expires_at)
    }

    pub fn from_item(item: &Item) -> Result<Self, ItemError> {
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
                kind: SubjectType::parse(event, kind).ok_or_else(|| {
                    invalid(attr::SUBJECT_TYPE, "not allowed for the event".into())
                })?,
                id: parse_id(attr::SUBJECT_ID, id, SubjectId::parse)?,
            }),
            (Some(_), None) => return Err(ItemError::Missing(attr::SUBJECT_ID)),
            (None, Some(_)) => return Err(ItemError::Missing(attr::SUBJECT_TYPE)),
        };
        let fingerprint = Fingerprint::parse(required_s(item, attr::FINGERPRINT)?)
            .ok_or_else(|| invalid(attr::FINGERPRINT, "not 32 lowercase hex characters".into()))?;
        let milestone = Milestone {
            event,
            tenant_id: parse_id(
                attr::TENANT_ID,
                required_s(item, attr::TENANT_ID)?,
                TenantId::parse,
            )?,
            workspace_id: parse_id(
                attr::WORKSPACE_ID,
                required_s(item, attr::WORKSPACE_ID)?,
                WorkspaceId::parse,
            )?,
            actor_id: parse_id(
                attr::ACTOR_ID,
                required_s(item, attr::ACTOR_ID)?,
                ActorId::parse,
            )?,
            event_id: event_id(item)?,
            occurred_at: parse_instant(attr::OCCURRED_AT, required_s(item, attr::OCCURRED_AT)?)?,
            subject,
            metadata,
            fingerprint,
        };
        let row = Self {
            expires_at: required_n(item, attr::EXPIRES_AT)?,
            milestone,
        };
        // The derived index keys must agree with the payload, or the row is invisible to reads.
        let expected = row.to_item();
        for key in [attr::EVENT_KEY, attr::DAY_SHARD, attr::TIME_KEY] {
            if required_s(item, key)? != required_s(&expected, key)? {
                return Err(invalid(
                    key,
                    "does not match occurred_at and event_id".into(),
                ));
            }
        }
        Ok(row)
    }
}

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
                tenant_id: parse_id(
                    attr::TENANT_ID,
                    required_s(item, attr::TENANT_ID)?,
                    TenantId::parse,
                )?,
                event: event_name(item)?,
                workspace_id: parse_id(
                    attr::WORKSPACE_ID,
                    required_s(item, attr::WORKSPACE_ID)?,
                    WorkspaceId::parse,
                )?,
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

// --- Closed-day roll-ups -------------------------------------------------------
//
// Roll-up and day-version items share the table under partition keys no
// tenant can have (`#` is outside the identifier charset). They carry no
// `day_shard`/`time_key`, so they never enter the time index.

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

/// Reads the fingerprint of an item (the old item returned by a failed conditional put).
pub(crate) fn stored_fingerprint(item: &Item) -> Result<Fingerprint, ItemError> {
    Fingerprint::parse(required_s(item, attr::FINGERPRINT)?)
        .ok_or_else(|| invalid(attr::FINGERPRINT, "not 32 lowercase hex characters".into()))
}

fn wrong_type(attribute: &'static str, expected: &'static str) -> ItemError {
    ItemError::WrongType {
        attribute,
        expected,
    }
}

fn invalid(attribute: &'static str, reason: String) -> ItemError {
    ItemError::Invalid { attribute, reason }
}

fn required_s<'a>(item: &'a Item, attribute: &'static str) -> Result<&'a str, ItemError> {
    match item.get(attribute) {
        None => Err(ItemError::Missing(attribute)),
        Some(AttributeValue::S(value)) => Ok(value),
        Some(_) => Err(wrong_type(attribute, "S")),
    }
}

#[cfg(any(test, feature = "testing"))]
fn optional_s<'a>(item: &'a Item, attribute: &'static str) -> Result<Option<&'a str>, ItemError> {
    match item.get(attribute) {
        None => Ok(None),
        Some(AttributeValue::S(value)) => Ok(Some(value)),
        Some(_) => Err(wrong_type(attribute, "S")),
    }
}

fn required_n(item: &Item, attribute: &'static str) -> Result<i64, ItemError> {
    match item.get(attribute) {
        None => Err(ItemError::Missing(attribute)),
        Some(AttributeValue::N(value)) => value
            .parse()
            .map_err(|_| invalid(attribute, "not a whole number".into())),
        Some(_) => Err(wrong_type(attribute, "N")),
    }
}

fn parse_id<T, E: std::fmt::Display>(
    attribute: &'static str,
    value: &str,
    parse: fn(&str) -> Result<T, E>,
) -> Result<T, ItemError> {
    parse(value).map_err(|e| invalid(attribute, e.to_string()))
}

#[cfg(any(test, feature = "testing"))]
fn event_id(item: &Item) -> Result<EventId, ItemError> {
    parse_id(
        attr::EVENT_ID,
        required_s(item, attr::EVENT_ID)?,
        EventId::parse,
    )
}

fn event_name(item: &Item) -> Result<EventName, ItemError> {
    EventName::parse(required_s(item, attr::EVENT)?)
        .ok_or_else(|| invalid(attr::EVENT, "not an event in the catalog".into()))
}

fn parse_instant(attribute: &'static str, value: &str) -> Result<OccurredAt, ItemError> {
    let parsed = DateTime::parse_from_rfc3339(value)
        .map_err(|_| invalid(attribute, "not an RFC 3339 timestamp".into()))?;
    Ok(OccurredAt::from_instant(parsed.with_timezone(&Utc)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use domain::RecordRequest;
    use domain::testdata::{DIAGNOSTICS_OPENED, REVIEW_PACK_REQUESTED};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z")
            .expect("valid")
            .with_timezone(&Utc)
    }

    fn milestone(raw: &str) -> Milestone {
        RecordRequest::parse(raw, now(), Retention::default())
            .expect("valid request")
            .into_milestone()
    }

    fn full_row() -> LedgerRow {
        let m = milestone(
            &r#"{"event":"EVENT","tenant_id":"t-1","workspace_id":"w-1",
                "actor_id":"u-1","event_id":"e-1","occurred_at":"2026-11-27T08:09:10.5Z",
                "subject":{"type":"operation_run","id":"run-9"},"metadata":{"surface":"tenant_dashboard"}}"#
                .replace("EVENT", DIAGNOSTICS_OPENED),
        );
        LedgerRow::new(m, Retention::default())
    }

    #[test]
    fn time_key_is_fixed_width_with_milliseconds() {
        let key = "0123456789abcdef0123456789abcdef";
        let at = |s: &str| {
            OccurredAt::from_instant(
                DateTime::parse_from_rfc3339(s)
                    .expect("t")
                    .with_timezone(&Utc),
            )
        };
        assert_eq!(
            time_key(at("2026-01-02T03:04:05Z"), key),
            format!("2026-01-02T03:04:05.000Z#{key}")
        );
        assert_eq!(
            time_key(at("2026-01-02T03:04:05.1Z"), key),
            format!("2026-01-02T03:04:05.100Z#{key}")
        );
        let earlier = time_key(at("2026-01-02T03:04:05.999Z"), key);
        let later = time_key(at("2026-01-02T03:04:06Z"), key);
        assert_eq!(earlier.len(), later.len());
        assert!(earlier < later);
    }

    #[test]
    fn time_bounds_select_a_half_open_range() {
        let to = DateTime::parse_from_rfc3339("2026-01-02T00:00:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let lowest = "0".repeat(EVENT_KEY_LEN);
        let highest = "f".repeat(EVENT_KEY_LEN);
        let at_to = time_key(OccurredAt::from_instant(to), &lowest);
        assert!(
            at_to.as_str() > time_bound(to).as_str(),
            "an event exactly at `to` is outside"
        );
        let just_before = OccurredAt::from_instant(to - chrono::TimeDelta::milliseconds(1));
        assert!(time_key(just_before, &highest) < time_bound(to));
    }

    /// Reference values. The event key is the table's idempotency key and the
    /// shard places a row in the index: changing either function orphans every
    /// stored row (a replay would write a second row; reads would miss rows).
    /// The values were computed independently: `sha256(id)[..16]` in hex, and `sha256(id)[0] % 4`.
    #[test]
    fn event_keys_and_shards_match_the_reference_values() {
        let id = |s: &str| EventId::parse(s).expect("id");
        assert_eq!(
            event_key(&id("op:run-1")),
            "c874ca911aac520418747504dedd2820"
        );
        assert_eq!(event_key(&id("e-1")), "b94f523196aaacd8bdb9ef0d8cf2e1d8");
        let shards: Vec<u8> = ["e-1", "e-2", "e-3", "e-4", "e-5", "e-6", "e-7", "e-8"]
            .iter()
            .map(|s| shard_for(&id(s)))
            .collect();
        assert_eq!(shards, [1, 2, 1, 3, 2, 2, 2, 2]);
    }

    #[test]
    fn event_key_is_fixed_length_hex_whatever_the_id_length() {
        for len in [1, 64, 200] {
            let key = event_key(&EventId::parse(&"x".repeat(len)).expect("id"));
            assert!(is_event_key(&key), "{key}");
        }
        assert!(!is_event_key("0123456789ABCDEF0123456789ABCDEF"));
        assert!(!is_event_key("abc"));
    }

    #[test]
    fn expiry_rounds_up_to_the_next_whole_second() {
        let at = |s: &str| {
            OccurredAt::from_instant(
                DateTime::parse_from_rfc3339(s)
                    .expect("t")
                    .with_timezone(&Utc),
            )
        };
        let retention = Retention::from_days(7).expect("valid");
        let week = 7 * 86_400;
        let whole = at("2026-01-02T03:04:05Z");
        assert_eq!(
            expires_at(whole, retention),
            whole.instant().timestamp() + week
        );
        let fraction = at("2026-01-02T03:04:05.001Z");
        assert_eq!(
            expires_at(fraction, retention),
            whole.instant().timestamp() + week + 1
        );
    }

    #[test]
    fn partitions_cover_every_day_and_shard_with_narrowed_edges() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("t")
                .with_timezone(&Utc)
        };
        let parts = partitions_between(at("2026-11-25T10:30:00Z"), at("2026-11-27T08:00:00Z"));
        assert_eq!(parts.len(), 3 * usize::from(WRITE_SHARDS));
        let first = parts[0];
        assert_eq!(
            (first.from, first.to),
            (at("2026-11-25T10:30:00Z"), at("2026-11-26T00:00:00Z"))
        );
        let middle = parts[usize::from(WRITE_SHARDS)];
        assert_eq!(
            (middle.from, middle.to),
            (at("2026-11-26T00:00:00Z"), at("2026-11-27T00:00:00Z"))
        );
        let last = parts[parts.len() - 1];
        assert_eq!(
            (last.from, last.to, last.shard),
            (
                at("2026-11-27T00:00:00Z"),
                at("2026-11-27T08:00:00Z"),
                WRITE_SHARDS - 1
            )
        );
        // A range ending exactly at midnight does not touch the next day.
        assert_eq!(
            partitions_between(at("2026-11-26T00:00:00Z"), at("2026-11-27T00:00:00Z")).len(),
            usize::from(WRITE_SHARDS)
        );
        assert!(
            partitions_between(at("2026-11-26T00:00:00Z"), at("2026-11-26T00:00:00Z")).is_empty()
        );
    }

    #[test]
    fn day_shard_key_format() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 4).expect("date");
        assert_eq!(day_shard_key(day, 3), "2026-03-04#3");
    }

    #[test]
    fn shards_are_stable_and_spread() {
        let ids: Vec<_> = (0..400)
            .map(|i| EventId::parse(&format!("ev-{i}")).expect("id"))
            .collect();
        let mut counts = [0usize; WRITE_SHARDS as usize];
        for id in &ids {
            let shard = shard_for(id);
            assert_eq!(shard, shard_for(id));
            counts[usize::from(shard)] += 1;
        }
        assert!(counts.iter().all(|&c| c > 50), "{counts:?}");
    }

    #[test]
    fn ledger_row_round_trips() {
        let row = full_row();
        let item = row.to_item();
        assert_eq!(LedgerRow::from_item(&item), Ok(row.clone()));
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
        let row = LedgerRow::new(m, Retention::default());
        assert_eq!(LedgerRow::from_item(&row.to_item()), Ok(row));
    }

    #[test]
    fn index_row_round_trips_through_the_projection() {
        let row = full_row();
        let item = row.to_item();
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
        let m = &row.milestone;
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
        let mut item = full_row().to_item();
        item.remove(attr::WORKSPACE_ID);
        assert_eq!(
            LedgerRow::from_item(&item),
            Err(ItemError::Missing(attr::WORKSPACE_ID))
        );
        assert_eq!(
            IndexRow::from_item(&item).err(),
            Some(ItemError::Missing(attr::WORKSPACE_ID))
        );
    }

    #[test]
    fn mistyped_attribute_is_an_error() {
        let mut item = full_row().to_item();
        item.insert(attr::EXPIRES_AT.into(), AttributeValue::S("soon".into()));
        assert_eq!(
            LedgerRow::from_item(&item),
            Err(ItemError::WrongType {
                attribute: attr::EXPIRES_AT,
                expected: "N"
            })
        );
    }

    #[test]
    fn invalid_values_are_errors() {
        let mut item = full_row().to_item();
        item.insert(
            attr::EVENT.into(),
            AttributeValue::S("retired.event".into()),
        );
        assert!(matches!(
            LedgerRow::from_item(&item),
            Err(ItemError::Invalid {
                attribute: "event",
                ..
            })
        ));
        let mut item = full_row().to_item();
        item.insert(
            attr::TIME_KEY.into(),
            AttributeValue::S(format!(
                "2020-01-01T00:00:00.000Z#{}",
                event_key(&EventId::parse("e-1").expect("id"))
            )),
        );
        assert!(matches!(
            LedgerRow::from_item(&item),
            Err(ItemError::Invalid {
                attribute: "time_key",
                ..
            })
        ));
    }

    #[test]
    fn rollup_items_round_trip() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        let mut rollup = DayRollup::new(day);
        let m = full_row().milestone;
        let indexed = IndexedMilestone {
            event: m.event,
            tenant_id: m.tenant_id.clone(),
            workspace_id: m.workspace_id.clone(),
            occurred_at: m.occurred_at,
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
