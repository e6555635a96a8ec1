//! Closed-day roll-up items and day-version items.
//!
//!
//! Roll-up and day-version items share the table under partition keys no
//! tenant can have (`#` is outside the identifier charset). They carry no
//! `day_shard`/`time_key`, so they never enter the time index.

use super::fields::{invalid, parse_instant, required_n, wrong_type};
use super::stored_aggregate::{insert_aggregate, read_aggregate};
use super::{Item, attr};
use crate::error::ItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};
use domain::rollup::{Rollup, Span, WorkspaceDigest};
use domain::{Retention, format_millis};
use std::collections::{BTreeMap, HashMap};

/// Partition of the per-day version items: `event_key` = `YYYY-MM-DD#<shard>`.
/// (Earlier releases also bumped hour shards, `YYYY-MM-DDTHH#<shard>`: they
/// belong to no version now, and leave with their TTL.)
pub(crate) const DAY_PARTITION: &str = "#day";
/// Version shards per day. A late row bumps one, picked at random on each
/// try, so concurrent late rows of one day seldom touch the same item; the
/// writer checks all of them when it stores a roll-up, and a 90-day summary
/// reads at most 4 × 91 of them.
pub(crate) const VERSION_SHARDS: u32 = 4;
/// Partition of the roll-up heads (`YYYY-MM-DD`) and their workspace chunks
/// (`YYYY-MM-DD#v<chunk set>#<i>`).
pub(crate) const ROLLUP_PARTITION: &str = "#rollup";
/// Workspace digests per chunk item: 20,000 × 16 bytes stays far inside 400 KB.
pub(crate) const DIGESTS_PER_CHUNK: usize = 20_000;

pub(crate) mod rollup_attr {
    pub const VERSION: &str = "version";
    pub const VERSIONS: &str = "versions";
    pub const CHUNK_SET: &str = "chunk_set";
    pub const BUMPED_AT: &str = "bumped_at";
    pub const BUILT_AT: &str = "built_at";
    pub const FORMAT: &str = "format";
    pub const COUNTS: &str = "counts";
    pub const VALID_UNTIL: &str = "valid_until";
    pub const LATEST: &str = "latest";
    pub const CHUNKS: &str = "chunks";
    pub const WORKSPACES: &str = "workspaces";
}

/// The partition whose items of a day the writer deletes once the day is
/// outside the retention: its roll-ups (counts and workspace digests). The
/// day's versions stay until their own TTL, past every retention: deleted,
/// a shard would take its last bump's settle time with it and start its
/// counter again under a roll-up built from it. They hold no tenant's data.
pub(crate) const EXPIRING_BOOKKEEPING: &str = ROLLUP_PARTITION;

/// The sort-key bound below which a bookkeeping item belongs to a day before
/// `day`: day versions and heads are `YYYY-MM-DD`, chunks `YYYY-MM-DD#v…`.
pub(crate) fn bookkeeping_before(day: NaiveDate) -> String {
    day_text(day)
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// How a roll-up item's key names its span (`domain::rollup::Span`): the
/// day, and the hour for an hour's (`None` for the whole day).
/// `YYYY-MM-DD` for a day, `YYYY-MM-DDTHH` for an hour.
fn span_text(span: Span) -> String {
    match span {
        Span::Day(day) => day_text(day),
        Span::Hour(day, hour) => format!("{}T{hour:02}", day_text(day)),
    }
}

/// The span a roll-up item's sort key starts with (`YYYY-MM-DD` or
/// `YYYY-MM-DDTHH`, then `#…` or nothing).
pub(crate) fn parse_span(sort: &str) -> Option<Span> {
    let day = NaiveDate::parse_from_str(sort.get(..10)?, "%Y-%m-%d").ok()?;
    match sort.as_bytes().get(10) {
        None | Some(b'#') => Some(Span::Day(day)),
        Some(b'T') => {
            let hour: u32 = sort.get(11..13)?.parse().ok()?;
            match sort.as_bytes().get(13) {
                None | Some(b'#') if hour < 24 => Some(Span::Hour(day, hour)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The key of the `#rollup` item whose sort key is `sort`.
pub(crate) fn rollup_key(sort: String) -> Item {
    key(ROLLUP_PARTITION, sort)
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

/// The version item of one shard of `day`.
pub(crate) fn day_version_key(day: NaiveDate, shard: &str) -> Item {
    key(DAY_PARTITION, version_sort_key(day, shard))
}

fn version_sort_key(day: NaiveDate, shard: &str) -> String {
    format!("{}#{shard}", day_text(day))
}

/// Every version key a stored roll-up of `day` (or of one of its hours) is
/// checked against: each day shard (every late row, purge and prune bumps
/// one of them, which makes the day and all its hours stale).
pub(crate) fn all_version_keys(day: NaiveDate) -> Vec<(String, Item)> {
    (0..VERSION_SHARDS)
        .map(shard_name)
        .map(|shard| {
            let key = day_version_key(day, &shard);
            (shard, key)
        })
        .collect()
}

pub(crate) fn shard_name(shard: u32) -> String {
    format!("{shard:02}")
}

/// The sort-key range of the version items of the days `first..=last`.
pub(crate) fn day_version_range(first: NaiveDate, last: NaiveDate) -> (String, String) {
    (day_text(first), format!("{}~", day_text(last)))
}

pub(crate) fn rollup_head_key(span: Span) -> Item {
    key(ROLLUP_PARTITION, span_text(span))
}

pub(crate) fn rollup_chunk_key(span: Span, chunk_set: u64, chunk: u32) -> Item {
    key(
        ROLLUP_PARTITION,
        format!("{}#v{chunk_set}#{chunk}", span_text(span)),
    )
}

/// A day's version: one counter per shard that has been bumped (a shard
/// never bumped has no item). A roll-up is current while the day's version
/// equals the one it was built from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DayVersion {
    pub shards: BTreeMap<String, u64>,
    /// When a late row last bumped a shard.
    pub bumped_at: Option<DateTime<Utc>>,
}

impl DayVersion {
    /// Late rows recorded for the day (one bump each).
    pub fn late_rows(&self) -> u64 {
        self.shards.values().sum()
    }

    /// The id a build from this version keeps its workspace chunks under:
    /// the version, when the build ran and a random `nonce`, so no two builds
    /// share chunk keys. A superseded build never mixes with a stored one,
    /// and a rebuild at the same version (after a counted row expired)
    /// never overwrites the chunks a summary holding the older head reads.
    pub fn chunk_set(&self, built_at: DateTime<Utc>, nonce: u64) -> u64 {
        let mut hash = VersionDigest::default();
        self.hash_into(&mut hash);
        hash.update(&format!("built={};nonce={nonce}", format_millis(built_at)));
        hash.finish()
    }

    /// Feeds every shard's counter to `hash`, in shard order.
    pub(crate) fn hash_into(&self, hash: &mut VersionDigest) {
        for (shard, version) in &self.shards {
            hash.update(&format!("{shard}={version};"));
        }
    }
}

/// A short digest of version counters (a chunk set, a window roll-up's
/// fingerprint): the first 52 bits of SHA-256, inside DynamoDB's and JSON's
/// exact integer range.
#[derive(Default)]
pub(crate) struct VersionDigest(sha2::Sha256);

impl VersionDigest {
    pub(crate) fn update(&mut self, text: &str) {
        sha2::Digest::update(&mut self.0, text.as_bytes());
    }

    pub(crate) fn finish(self) -> u64 {
        let digest = sha2::Digest::finalize(self.0);
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(bytes) >> 12
    }
}

/// One version item: its day and shard, its counter and last bump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VersionShard {
    pub day: NaiveDate,
    pub shard: String,
    pub version: u64,
    pub bumped_at: Option<DateTime<Utc>>,
}

pub(crate) fn day_version_shard(item: &Item) -> Result<VersionShard, ItemError> {
    let sort = item
        .get(attr::EVENT_KEY)
        .and_then(|v| v.as_s().ok())
        .ok_or(ItemError::Missing(attr::EVENT_KEY))?;
    let not_a_version = || invalid(attr::EVENT_KEY, "not a version key".into());
    let day = sort
        .get(..10)
        .and_then(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
        .ok_or_else(not_a_version)?;
    let rest = &sort[10..];
    let shard = rest.strip_prefix('#').unwrap_or(rest);
    let well_formed = shard.len() == 2
        || (shard.starts_with('T') && parse_span(sort).is_some_and(|span| span.hour().is_some()));
    if !well_formed {
        return Err(not_a_version());
    }
    let version = required_n(item, rollup_attr::VERSION)?;
    let version =
        u64::try_from(version).map_err(|_| invalid(rollup_attr::VERSION, "negative".into()))?;
    let bumped_at = match item.get(rollup_attr::BUMPED_AT) {
        None => None,
        Some(AttributeValue::S(text)) => {
            Some(parse_instant(rollup_attr::BUMPED_AT, text)?.instant())
        }
        Some(_) => return Err(wrong_type(rollup_attr::BUMPED_AT, "S")),
    };
    Ok(VersionShard {
        day,
        shard: shard.to_owned(),
        version,
        bumped_at,
    })
}

/// The TTL of every version shard (a day's or an hour's), whoever bumps it
/// (a late row, a purge, prune): past the longest retention there is, so a
/// shard never vanishes, and its counter never starts again, while a roll-up
/// built from it (or from its absence) can still be read, whatever the
/// retention does meanwhile. A retention in force only shortens what the
/// roll-ups keep, never the versions (which hold no tenant's data).
pub(crate) fn version_expires_at(day: NaiveDate) -> i64 {
    let longest = chrono::TimeDelta::days(i64::from(domain::retention::MAX_RETENTION_DAYS) + 1);
    (Rollup::of_day(day).end() + longest).timestamp()
}

/// The hour of an earlier release's hour shard (`THH#NN`).
pub(crate) fn shard_hour(shard: &str) -> Option<u32> {
    shard.strip_prefix('T')?.get(..2)?.parse().ok()
}

/// One bump of a version shard: its counter up by one, its TTL, and, with
/// `at`, its `bumped_at` set to `at` on the condition that this moves it
/// forward. A bump whose time is before the one stored (it took its time
/// earlier and landed later) fails that condition and goes again without
/// `at`: the counter only. So `bumped_at` never goes back, and the writer's
/// settle time runs from the latest bump.
pub(crate) struct Bump {
    pub expression: &'static str,
    pub condition: Option<String>,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

pub(crate) fn bump(at: Option<DateTime<Utc>>, expires_at: i64) -> Bump {
    let mut names = HashMap::from([
        ("#version".to_owned(), rollup_attr::VERSION.to_owned()),
        ("#expires".to_owned(), attr::EXPIRES_AT.to_owned()),
    ]);
    let mut values = HashMap::from([
        (":one".to_owned(), AttributeValue::N("1".into())),
        (
            ":expires".to_owned(),
            AttributeValue::N(expires_at.to_string()),
        ),
    ]);
    let Some(at) = at else {
        return Bump {
            expression: "ADD #version :one SET #expires = :expires",
            condition: None,
            names,
            values,
        };
    };
    names.insert("#bumped_at".to_owned(), rollup_attr::BUMPED_AT.to_owned());
    values.insert(":now".to_owned(), AttributeValue::S(format_millis(at)));
    Bump {
        expression: "ADD #version :one SET #bumped_at = :now, #expires = :expires",
        condition: Some("attribute_not_exists(#bumped_at) OR #bumped_at <= :now".to_owned()),
        names,
        values,
    }
}

/// A roll-up head: the day version it was built from, the day's counts and
/// latest times, and which workspace chunks hold its digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RollupHead {
    /// The shards' counters when it was built.
    pub versions: BTreeMap<String, u64>,
    pub chunk_set: u64,
    pub chunks: u32,
    /// The day's counts and latest times; its workspace set is empty until
    /// the chunks are read.
    pub rollup: Rollup,
}

/// The head format: a version per shard, and when it was built. A head of
/// another format is not usable (its span is read raw until the writer
/// rebuilds it).
const HEAD_FORMAT: u64 = 3;

/// A roll-up's TTL: when it stops being exact (its first counted row
/// expires), or when its day leaves the retention in force, whichever is
/// first. Its bookkeeping never outlives what it counts.
/// An hour roll-up is read only until its day's roll-up exists (the writer
/// builds that 15 minutes after midnight): it expires two days after its day.
pub(crate) const HOUR_ROLLUP_LIFE: chrono::TimeDelta = chrono::TimeDelta::days(2);

pub(crate) fn rollup_expires_at(rollup: &Rollup, retention: Retention) -> i64 {
    let mut leaves = (rollup.end() + retention.duration()).timestamp();
    if rollup.span.hour().is_some() {
        leaves = leaves.min((Rollup::of_day(rollup.day()).end() + HOUR_ROLLUP_LIFE).timestamp());
    }
    rollup.valid_until.map_or(leaves, |until| until.min(leaves))
}

/// A roll-up head: counts and latest times keyed by event name, so a
/// catalog change (an event added or retired) leaves every head usable.
pub(crate) fn rollup_head_item(
    rollup: &Rollup,
    version: &DayVersion,
    (chunk_set, chunks): (u64, u32),
    retention: Retention,
) -> Item {
    let mut item = rollup_head_key(rollup.span);
    let n = |v: u64| AttributeValue::N(v.to_string());
    item.insert(rollup_attr::FORMAT.into(), n(HEAD_FORMAT));
    item.insert(
        rollup_attr::VERSIONS.into(),
        AttributeValue::M(
            version
                .shards
                .iter()
                .map(|(shard, v)| (shard.clone(), n(*v)))
                .collect(),
        ),
    );
    item.insert(rollup_attr::CHUNK_SET.into(), n(chunk_set));
    if let Some(built_at) = rollup.built_at {
        item.insert(
            rollup_attr::BUILT_AT.into(),
            AttributeValue::S(format_millis(built_at)),
        );
    }
    item.insert(rollup_attr::CHUNKS.into(), n(u64::from(chunks)));
    insert_aggregate(
        &mut item,
        &rollup.counts,
        &rollup.latest,
        rollup.valid_until,
    );
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
pub(crate) fn rollup_head_from_item(span: Span, item: &Item) -> Result<RollupHead, ItemError> {
    let map = |name: &'static str| match item.get(name) {
        None => Err(ItemError::Missing(name)),
        Some(AttributeValue::M(values)) => Ok(values),
        Some(_) => Err(wrong_type(name, "M")),
    };
    let count = |name: &'static str, value: &AttributeValue| {
        value
            .as_n()
            .ok()
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| invalid(name, "not a count".into()))
    };
    if u64::try_from(required_n(item, rollup_attr::FORMAT)?) != Ok(HEAD_FORMAT) {
        return Err(invalid(
            rollup_attr::FORMAT,
            "written by another release".into(),
        ));
    }
    let versions = map(rollup_attr::VERSIONS)?
        .iter()
        .map(|(shard, v)| Ok((shard.clone(), count(rollup_attr::VERSIONS, v)?)))
        .collect::<Result<BTreeMap<_, _>, ItemError>>()?;
    let chunk_set = u64::try_from(required_n(item, rollup_attr::CHUNK_SET)?)
        .map_err(|_| invalid(rollup_attr::CHUNK_SET, "negative".into()))?;
    let built_at = match item.get(rollup_attr::BUILT_AT) {
        Some(AttributeValue::S(text)) => parse_instant(rollup_attr::BUILT_AT, text)?.instant(),
        Some(_) => return Err(wrong_type(rollup_attr::BUILT_AT, "S")),
        None => return Err(ItemError::Missing(rollup_attr::BUILT_AT)),
    };
    let mut rollup = Rollup::new(span);
    let aggregate = read_aggregate(item, 24)?;
    for (hours, counts) in rollup.counts.iter_mut().zip(aggregate.counts) {
        hours.copy_from_slice(&counts);
    }
    rollup.latest = aggregate.latest;
    rollup.valid_until = aggregate.valid_until;
    rollup.built_at = Some(built_at);
    let chunks = required_n(item, rollup_attr::CHUNKS)?;
    Ok(RollupHead {
        versions,
        chunk_set,
        chunks: u32::try_from(chunks)
            .map_err(|_| invalid(rollup_attr::CHUNKS, "out of range".into()))?,
        rollup,
    })
}

/// One chunk of a roll-up's workspace digests; it expires with its head.
pub(crate) fn rollup_chunk_item(
    rollup: &Rollup,
    chunk_set: u64,
    chunk: u32,
    digests: &[WorkspaceDigest],
    retention: Retention,
) -> Item {
    let mut item = rollup_chunk_key(rollup.span, chunk_set, chunk);
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
#[path = "rollup_tests.rs"]
mod tests;
