//! Record's last rule: whether a milestone arrives on time or late for the
//! roll-ups of its hour and day, which decides how storage writes it (one
//! conditional put, or a put and a version bump in one transaction).

use crate::OccurredAt;
use chrono::{DateTime, Timelike, Utc};

/// Whether a row arrives on time or late for the roll-ups of its hour and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Its UTC hour is the current one: no roll-up of the hour (or its day)
    /// can exist yet.
    OnTime,
    /// Its UTC hour is before the current one: the hour (and its day) may be
    /// rolled up already, so storing the row must make every roll-up of
    /// both stale at once. `at` is when it arrived: the writer leaves them
    /// alone for [`SETTLE`](crate::rollup::SETTLE) after it.
    Late { at: DateTime<Utc> },
}

impl Arrival {
    pub fn of(occurred_at: OccurredAt, now: DateTime<Utc>) -> Self {
        let occurred = occurred_at.instant();
        let this_hour = now
            .date_naive()
            .and_hms_opt(now.hour(), 0, 0)
            .map(|h| h.and_utc());
        if this_hour.is_some_and(|start| occurred < start) {
            Arrival::Late { at: now }
        } else {
            Arrival::OnTime
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_of_an_earlier_utc_day_is_late_and_today_s_is_on_time() {
        let now = crate::testing::at("2026-11-27T00:00:00.500Z");
        let of = |at: &str| Arrival::of(OccurredAt::from_instant(crate::testing::at(at)), now);
        assert_eq!(of("2026-11-26T23:59:59.999Z"), Arrival::Late { at: now });
        assert_eq!(of("2026-11-27T00:00:00Z"), Arrival::OnTime);
        assert_eq!(of("2026-11-27T00:03:00Z"), Arrival::OnTime, "future skew");
    }

    /// Hour roll-ups make a row of an earlier hour of today late too.
    #[test]
    fn a_row_of_an_earlier_hour_is_late_and_this_hour_s_is_on_time() {
        let now = crate::testing::at("2026-11-27T10:00:00.500Z");
        let of = |at: &str| Arrival::of(OccurredAt::from_instant(crate::testing::at(at)), now);
        assert_eq!(of("2026-11-27T09:59:59.999Z"), Arrival::Late { at: now });
        assert_eq!(of("2026-11-27T10:00:00Z"), Arrival::OnTime);
        assert_eq!(of("2026-11-27T10:04:00Z"), Arrival::OnTime, "future skew");
    }
}
