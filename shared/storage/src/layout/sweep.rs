//! What the writer's sweep keeps of the `#rollup` partition: the head and
//! chunks of every current roll-up, and the window roll-ups of its own run.
//! Everything else there (a replaced chunk set, a stale head and its
//! chunks, hour roll-ups past their use, an earlier run's window roll-ups)
//! still holds workspace digests of rows that may have been purged, and goes.
//! The writer's lease lives there too, after every roll-up key, and stays.

use super::fields::parse_instant;
use super::{
    Item, RollupHead, attr, rollup_chunk_key, rollup_head_key, rollup_key, window_rollup_key,
};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use domain::{WindowKey, format_millis};

/// The writer's lease: `#rollup` / `~writer-lease` (`~` sorts after every
/// dated and window key), with `holder` (a run's random token) and
/// `held_until`, and a TTL a day after that.
pub(crate) const LEASE_SORT: &str = "~writer-lease";
pub(crate) const LEASE_HOLDER: &str = "holder";
pub(crate) const LEASE_HELD_UNTIL: &str = "held_until";

pub(crate) fn lease_key() -> Item {
    rollup_key(LEASE_SORT.into())
}

pub(crate) fn lease_item(holder: &str, held_until: DateTime<Utc>) -> Item {
    let mut item = lease_key();
    item.insert(LEASE_HOLDER.into(), AttributeValue::S(holder.into()));
    item.insert(
        LEASE_HELD_UNTIL.into(),
        AttributeValue::S(format_millis(held_until)),
    );
    let expires = held_until + chrono::TimeDelta::days(1);
    item.insert(
        attr::EXPIRES_AT.into(),
        AttributeValue::N(expires.timestamp().to_string()),
    );
    item
}

/// When the lease in `item` (an old lease item) is held until, if it says.
pub(crate) fn lease_held_until(item: &Item) -> Option<DateTime<Utc>> {
    let text = item.get(LEASE_HELD_UNTIL)?.as_s().ok()?;
    Some(parse_instant(LEASE_HELD_UNTIL, text).ok()?.instant())
}

/// The sort key of an item's key.
pub(crate) fn sort_of(key: &Item) -> Option<String> {
    key.get(attr::EVENT_KEY)?.as_s().ok().cloned()
}

/// The sort keys of a current roll-up: its head and each chunk of its set.
pub(crate) fn rollup_sort_keys(span: domain::rollup::Span, head: &RollupHead) -> Vec<String> {
    std::iter::once(rollup_head_key(span))
        .chain((0..head.chunks).map(|i| rollup_chunk_key(span, head.chunk_set, i)))
        .filter_map(|key| sort_of(&key))
        .collect()
}

/// The sort key of a window roll-up.
pub(crate) fn window_sort_key(key: WindowKey, start: DateTime<Utc>) -> Option<String> {
    sort_of(&window_rollup_key(key, start))
}

/// Whether a `#rollup` sort key is a window roll-up's (`W#…`, after every
/// dated key).
pub(crate) fn is_window_sort(sort: &str) -> bool {
    sort.starts_with("W#")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn window_keys_are_told_from_dated_ones() {
        let start = domain::testing::at("2026-11-27T10:15:00Z");
        let window = window_sort_key(WindowKey::Week, start).expect("a string key");
        assert!(is_window_sort(&window));
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        let head =
            sort_of(&rollup_head_key(domain::rollup::Span::Hour(day, 3))).expect("a string key");
        assert!(!is_window_sort(&head));
    }
}
