//! How a roll-up item (a day's, an hour's or a window's) stores its
//! aggregate: counts, latest times and `valid_until`, keyed by event name.

use super::Item;
use super::fields::{invalid, parse_instant, required_n, wrong_type};
use super::rollup::rollup_attr;
use crate::error::ItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use domain::{EventName, format_millis};

/// What a day, hour or window roll-up item holds of its aggregate, in
/// catalog order.
pub(crate) struct StoredAggregate {
    /// One list per event, each `len` long (hours of a day, or a window's buckets).
    pub counts: Vec<Vec<u64>>,
    pub latest: Vec<Option<DateTime<Utc>>>,
    pub valid_until: Option<i64>,
}

/// Writes `counts` (a map from event name to its list, events with no
/// count left out), `latest` (a map from event name to its time) and
/// `valid_until` into a roll-up item: keyed by name, so a catalog change
/// leaves stored items readable.
pub(crate) fn insert_aggregate<C: AsRef<[u64]>>(
    item: &mut Item,
    counts: &[C],
    latest: &[Option<DateTime<Utc>>],
    valid_until: Option<i64>,
) {
    let n = |v: u64| AttributeValue::N(v.to_string());
    let counts = EventName::all()
        .filter_map(|event| {
            let list = counts.get(event.index())?.as_ref();
            list.iter().any(|c| *c > 0).then(|| {
                (
                    event.as_str().to_owned(),
                    AttributeValue::L(list.iter().map(|c| n(*c)).collect()),
                )
            })
        })
        .collect();
    item.insert(rollup_attr::COUNTS.into(), AttributeValue::M(counts));
    let latest = EventName::all()
        .filter_map(|event| {
            let at = (*latest.get(event.index())?)?;
            Some((
                event.as_str().to_owned(),
                AttributeValue::S(format_millis(at)),
            ))
        })
        .collect();
    item.insert(rollup_attr::LATEST.into(), AttributeValue::M(latest));
    if let Some(until) = valid_until {
        item.insert(
            rollup_attr::VALID_UNTIL.into(),
            AttributeValue::N(until.to_string()),
        );
    }
}

/// Reads what [`insert_aggregate`] wrote, each event's list exactly `len`
/// long. Counts of an event the catalog no longer has make the item
/// unreadable (its workspace set is no longer exact); an event added since
/// counts 0.
pub(crate) fn read_aggregate(item: &Item, len: usize) -> Result<StoredAggregate, ItemError> {
    let map = |name: &'static str| match item.get(name) {
        None => Err(ItemError::Missing(name)),
        Some(AttributeValue::M(values)) => Ok(values),
        Some(_) => Err(wrong_type(name, "M")),
    };
    let mut counts = vec![vec![0; len]; domain::CATALOG.len()];
    for (name, values) in map(rollup_attr::COUNTS)? {
        // Counts of an event the catalog no longer has: raw reads skip its
        // rows, but the workspace set holds their workspaces, so the item
        // cannot answer exactly any more (read raw, and rebuilt).
        let Some(event) = EventName::parse(name) else {
            return Err(invalid(
                rollup_attr::COUNTS,
                "counts an event the catalog no longer has".into(),
            ));
        };
        let AttributeValue::L(values) = values else {
            return Err(wrong_type(rollup_attr::COUNTS, "M of L"));
        };
        if values.len() != len {
            return Err(invalid(
                rollup_attr::COUNTS,
                format!("{len} counts per event"),
            ));
        }
        for (slot, value) in counts[event.index()].iter_mut().zip(values) {
            *slot = value
                .as_n()
                .ok()
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| invalid(rollup_attr::COUNTS, "not a count".into()))?;
        }
    }
    let mut latest = vec![None; domain::CATALOG.len()];
    for (name, value) in map(rollup_attr::LATEST)? {
        let Some(event) = EventName::parse(name) else {
            continue;
        };
        let AttributeValue::S(text) = value else {
            return Err(wrong_type(rollup_attr::LATEST, "M of S"));
        };
        latest[event.index()] = Some(parse_instant(rollup_attr::LATEST, text)?.instant());
    }
    let valid_until = match item.get(rollup_attr::VALID_UNTIL) {
        None => None,
        Some(_) => Some(required_n(item, rollup_attr::VALID_UNTIL)?),
    };
    Ok(StoredAggregate {
        counts,
        latest,
        valid_until,
    })
}
