//! Key formats: the event key (the idempotency key), the write shard, and the
//! time index's partition and sort keys, with the partitions a range covers.

use super::WRITE_SHARDS;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use domain::{EventId, OccurredAt, format_millis};
use sha2::{Digest, Sha256};

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

pub(crate) fn is_event_key(text: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use domain::testing::at;

    #[test]
    fn time_key_is_fixed_width_with_milliseconds() {
        let key = "0123456789abcdef0123456789abcdef";
        let at = |s: &str| OccurredAt::from_instant(at(s));
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
        let to = at("2026-01-02T00:00:00Z");
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
    fn partitions_cover_every_day_and_shard_with_narrowed_edges() {
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
}
