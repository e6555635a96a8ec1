//! What the writer's sweep keeps of the `#rollup` partition: the head and
//! chunks of every current roll-up, and the window roll-ups of its own run.
//! Everything else there (a replaced chunk set, a stale head and its
//! chunks, hour roll-ups past their use, an earlier run's window roll-ups)
//! still holds workspace digests of rows that may have been purged, and goes.

use super::{
    Item, RollupHead, SpanKey, attr, rollup_chunk_key, rollup_head_key, window_rollup_key,
};
use chrono::{DateTime, Utc};
use domain::WindowKey;

/// The sort key of an item's key.
pub(crate) fn sort_of(key: &Item) -> Option<String> {
    key.get(attr::EVENT_KEY)?.as_s().ok().cloned()
}

/// The sort keys of a current roll-up: its head and each chunk of its set.
pub(crate) fn rollup_sort_keys(span: SpanKey, head: &RollupHead) -> Vec<String> {
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
        let head = sort_of(&rollup_head_key((day, Some(3)))).expect("a string key");
        assert!(!is_window_sort(&head));
    }
}
