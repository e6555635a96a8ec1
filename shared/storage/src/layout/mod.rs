//! The table layout: the only place that knows key formats, attribute names and item mapping.
//! One file per item family: [`keys`] (the key formats of milestone rows and
//! the time index), [`row`] (a milestone row), [`index`] (what the time index
//! projects), [`rollup`] (roll-up and day-version items), [`window_rollup`]
//! (a window's roll-up and the fingerprint of its days), [`stored_aggregate`]
//! (how any roll-up item stores its counts), [`tombstone`] (what a
//! purge leaves and reads); [`fields`] reads
//! typed attributes for all of them.
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

mod fields;
mod index;
mod keys;
mod rollup;
mod row;
mod stored_aggregate;
mod sweep;
mod tombstone;
mod window_rollup;

pub(crate) use index::{IndexRow, PruneKey, indexed_time};
pub(crate) use keys::*;
pub(crate) use rollup::*;
pub(crate) use row::*;
pub(crate) use sweep::*;
pub(crate) use tombstone::*;
pub(crate) use window_rollup::*;

use aws_sdk_dynamodb::types::AttributeValue;
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
    /// Every attribute purge's Queries of the table name (keys and
    /// projection): its role may read no other (`dynamodb:Attributes`).
    pub purge_query_attributes: &'static [&'static str],
    /// Every attribute prune's Queries of the table name: a purge's walk
    /// (the same as purge's) and the tombstones.
    pub prune_query_attributes: &'static [&'static str],
}

pub const TABLE_SHAPE: TableShape = TableShape {
    partition_key: attr::TENANT_ID,
    sort_key: attr::EVENT_KEY,
    index_name: TIME_INDEX,
    index_partition_key: attr::DAY_SHARD,
    index_sort_key: attr::TIME_KEY,
    index_projection: &INDEX_PROJECTION,
    ttl_attribute: attr::EXPIRES_AT,
    purge_query_attributes: &PURGE_PROJECTION,
    prune_query_attributes: &PRUNE_QUERY_ATTRIBUTES,
};

#[cfg(test)]
mod tests;
