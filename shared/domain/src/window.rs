//! Summary windows: `[now - length, now)`, with UTC-aligned buckets.

use crate::retention::Retention;
use chrono::{DateTime, DurationRound, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

/// The windows a summary can be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum WindowKey {
    #[serde(rename = "24h")]
    Day,
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    Month,
    #[serde(rename = "90d")]
    Quarter,
}

/// Bucket granularity: hourly for `24h`, daily otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BucketSize {
    Hour,
    Day,
}

impl BucketSize {
    pub fn length(&self) -> TimeDelta {
        match self {
            BucketSize::Hour => TimeDelta::hours(1),
            BucketSize::Day => TimeDelta::days(1),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("unknown window; allowed windows: {}", allowed.join(", "))]
    Unknown { allowed: Vec<&'static str> },
    #[error("window {key} is longer than the {retention_days}-day retention; allowed windows: {}", allowed.join(", "))]
    LongerThanRetention {
        key: &'static str,
        retention_days: u16,
        allowed: Vec<&'static str>,
    },
}

impl WindowError {
    pub fn allowed(&self) -> &[&'static str] {
        match self {
            WindowError::Unknown { allowed } | WindowError::LongerThanRetention { allowed, .. } => {
                allowed
            }
        }
    }
}

impl WindowKey {
    pub const ALL: [WindowKey; 4] = [
        WindowKey::Day,
        WindowKey::Week,
        WindowKey::Month,
        WindowKey::Quarter,
    ];
    pub const DEFAULT: WindowKey = WindowKey::Week;

    pub fn as_str(&self) -> &'static str {
        match self {
            WindowKey::Day => "24h",
            WindowKey::Week => "7d",
            WindowKey::Month => "30d",
            WindowKey::Quarter => "90d",
        }
    }

    /// The window in words, for people and assistive technology ("24 hours").
    pub fn label(&self) -> &'static str {
        match self {
            WindowKey::Day => "24 hours",
            WindowKey::Week => "7 days",
            WindowKey::Month => "30 days",
            WindowKey::Quarter => "90 days",
        }
    }

    pub fn length(&self) -> TimeDelta {
        match self {
            WindowKey::Day => TimeDelta::hours(24),
            WindowKey::Week => TimeDelta::days(7),
            WindowKey::Month => TimeDelta::days(30),
            WindowKey::Quarter => TimeDelta::days(90),
        }
    }

    pub fn bucket(&self) -> BucketSize {
        match self {
            WindowKey::Day => BucketSize::Hour,
            _ => BucketSize::Day,
        }
    }

    /// The windows no longer than `retention`, in order.
    pub fn allowed(retention: Retention) -> Vec<&'static str> {
        Self::ALL
            .iter()
            .filter(|k| k.length() <= retention.duration())
            .map(WindowKey::as_str)
            .collect()
    }

    /// Parses a `window` query value (`None` gives the default `7d`) and checks it against the retention.
    pub fn parse(value: Option<&str>, retention: Retention) -> Result<Self, WindowError> {
        let key = match value {
            None => Self::DEFAULT,
            Some(text) => Self::ALL
                .into_iter()
                .find(|k| k.as_str() == text)
                .ok_or_else(|| WindowError::Unknown {
                    allowed: Self::allowed(retention),
                })?,
        };
        if key.length() > retention.duration() {
            return Err(WindowError::LongerThanRetention {
                key: key.as_str(),
                retention_days: retention.days(),
                allowed: Self::allowed(retention),
            });
        }
        Ok(key)
    }
}

/// A resolved window: `[start, end)` with its buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub key: WindowKey,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

fn floor(instant: DateTime<Utc>, size: BucketSize) -> DateTime<Utc> {
    // Truncation to a whole hour or day of the Unix epoch cannot overflow for real instants.
    instant.duration_trunc(size.length()).unwrap_or(instant)
}

impl Window {
    pub fn ending_at(key: WindowKey, now: DateTime<Utc>) -> Self {
        Self {
            key,
            start: now - key.length(),
            end: now,
        }
    }

    pub fn bucket(&self) -> BucketSize {
        self.key.bucket()
    }

    /// Bucket starts from the one holding `start` to the one holding `end`,
    /// both partial edges included: 25 hourly buckets for `24h`, 8 daily ones for `7d`.
    pub fn bucket_starts(&self) -> Vec<DateTime<Utc>> {
        let size = self.bucket();
        let last = floor(self.end, size);
        let mut starts = Vec::new();
        let mut at = floor(self.start, size);
        while at <= last {
            starts.push(at);
            at += size.length();
        }
        starts
    }

    /// Index of the bucket an instant inside the window falls into.
    pub fn bucket_index(&self, instant: DateTime<Utc>) -> usize {
        let size = self.bucket();
        let first = floor(self.start, size);
        ((instant - first).num_seconds() / size.length().num_seconds()).max(0) as usize
    }

    pub fn contains(&self, instant: DateTime<Utc>) -> bool {
        self.start <= instant && instant < self.end
    }

    /// The parts of the window outside the `answered` spans (`[start, end)`
    /// instants taken from roll-ups, in any order), as contiguous ranges,
    /// oldest first: what is read raw.
    pub fn raw_ranges_outside(
        &self,
        answered: &[(DateTime<Utc>, DateTime<Utc>)],
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = answered.to_vec();
        spans.sort();
        let mut ranges = Vec::new();
        let mut from = self.start;
        for (start, end) in spans {
            if end <= from || start >= self.end {
                continue;
            }
            if start > from {
                ranges.push((from, start.min(self.end)));
            }
            from = from.max(end);
        }
        if from < self.end {
            ranges.push((from, self.end));
        }
        ranges
    }

    /// The UTC days the window touches, oldest first.
    pub fn days(&self) -> Vec<NaiveDate> {
        let first = self.start.date_naive();
        let last = (self.end - TimeDelta::milliseconds(1)).date_naive();
        first.iter_days().take_while(|d| *d <= last).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::at;

    /// The parts of the window outside the `whole` days (taken from roll-ups),
    /// as contiguous `[start, end)` ranges, oldest first: what is read raw.
    fn raw_ranges(
        window: &Window,
        whole: &std::collections::BTreeSet<NaiveDate>,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let mut ranges: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
        for day in window.days() {
            if whole.contains(&day) {
                continue;
            }
            let day_start = day.and_time(chrono::NaiveTime::MIN).and_utc();
            let (start, end) = (
                window.start.max(day_start),
                window.end.min(day_start + TimeDelta::days(1)),
            );
            match ranges.last_mut() {
                Some(last) if last.1 == start => last.1 = end,
                _ => ranges.push((start, end)),
            }
        }
        ranges
    }

    /// The complement of the answered spans: overlapping, adjacent, out of
    /// order and outside the window alike; whole days give what
    /// `raw_ranges` gives.
    #[test]
    fn raw_ranges_outside_are_the_window_minus_the_answered_spans() {
        let window = Window::ending_at(WindowKey::Day, at("2026-11-27T10:30:00Z"));
        let span = |a: &str, b: &str| (at(a), at(b));
        let ranges = window.raw_ranges_outside(&[
            span("2026-11-27T03:00:00Z", "2026-11-27T04:00:00Z"),
            span("2026-11-26T12:00:00Z", "2026-11-26T13:00:00Z"),
            span("2026-11-26T13:00:00Z", "2026-11-26T14:00:00Z"),
            span("2026-11-27T03:30:00Z", "2026-11-27T05:00:00Z"),
            span("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"),
        ]);
        assert_eq!(
            ranges,
            vec![
                span("2026-11-26T10:30:00Z", "2026-11-26T12:00:00Z"),
                span("2026-11-26T14:00:00Z", "2026-11-27T03:00:00Z"),
                span("2026-11-27T05:00:00Z", "2026-11-27T10:30:00Z"),
            ]
        );
        assert_eq!(
            window.raw_ranges_outside(&[]),
            vec![(window.start, window.end)]
        );
        let week = Window::ending_at(WindowKey::Week, at("2026-11-27T10:30:00Z"));
        let days: std::collections::BTreeSet<NaiveDate> =
            week.days().into_iter().skip(1).take(6).collect();
        let spans: Vec<_> = days
            .iter()
            .map(|d| {
                let start = d.and_time(chrono::NaiveTime::MIN).and_utc();
                (start, start + TimeDelta::days(1))
            })
            .collect();
        assert_eq!(week.raw_ranges_outside(&spans), raw_ranges(&week, &days));
    }

    #[test]
    fn default_window_is_seven_days() {
        assert_eq!(
            WindowKey::parse(None, Retention::default()),
            Ok(WindowKey::Week)
        );
    }

    #[test]
    fn parses_every_known_window() {
        for key in WindowKey::ALL {
            assert_eq!(
                WindowKey::parse(Some(key.as_str()), Retention::default()),
                Ok(key)
            );
        }
    }

    #[test]
    fn bad_window_values_list_the_allowed_windows() {
        for bad in ["", "1d", "7D", "24", "90d ", "week", "-7d"] {
            let error = WindowKey::parse(Some(bad), Retention::default()).expect_err(bad);
            assert_eq!(error.allowed(), ["24h", "7d", "30d", "90d"], "{bad:?}");
        }
    }

    #[test]
    fn windows_longer_than_retention_are_rejected() {
        let retention = Retention::from_days(7).expect("valid");
        let error = WindowKey::parse(Some("30d"), retention).expect_err("too long");
        assert!(matches!(
            error,
            WindowError::LongerThanRetention {
                key: "30d",
                retention_days: 7,
                ..
            }
        ));
        assert_eq!(error.allowed(), ["24h", "7d"]);
        assert_eq!(WindowKey::parse(Some("7d"), retention), Ok(WindowKey::Week));
    }

    #[test]
    fn window_is_half_open_ending_now() {
        let now = at("2026-11-27T10:30:00Z");
        let window = Window::ending_at(WindowKey::Week, now);
        assert_eq!(window.start, at("2026-11-20T10:30:00Z"));
        assert!(window.contains(window.start));
        assert!(!window.contains(now));
        assert!(window.contains(now - TimeDelta::milliseconds(1)));
    }

    #[test]
    fn hourly_buckets_include_both_partial_edges() {
        let window = Window::ending_at(WindowKey::Day, at("2026-11-27T10:30:00Z"));
        let starts = window.bucket_starts();
        assert_eq!(starts.len(), 25);
        assert_eq!(starts[0], at("2026-11-26T10:00:00Z"));
        assert_eq!(starts[24], at("2026-11-27T10:00:00Z"));
        assert_eq!(window.bucket_index(at("2026-11-26T10:30:00Z")), 0);
        assert_eq!(window.bucket_index(at("2026-11-26T11:00:00Z")), 1);
        assert_eq!(window.bucket_index(at("2026-11-27T10:29:59.999Z")), 24);
    }

    #[test]
    fn daily_buckets_include_both_partial_edges() {
        let window = Window::ending_at(WindowKey::Week, at("2026-11-27T10:30:00Z"));
        let starts = window.bucket_starts();
        assert_eq!(starts.len(), 8);
        assert_eq!(starts[0], at("2026-11-20T00:00:00Z"));
        assert_eq!(starts[7], at("2026-11-27T00:00:00Z"));
        assert_eq!(
            Window::ending_at(WindowKey::Month, at("2026-11-27T10:30:00Z"))
                .bucket_starts()
                .len(),
            31
        );
        assert_eq!(
            Window::ending_at(WindowKey::Quarter, at("2026-11-27T10:30:00Z"))
                .bucket_starts()
                .len(),
            91
        );
    }

    #[test]
    fn bucket_count_is_stable_when_now_is_aligned() {
        let window = Window::ending_at(WindowKey::Day, at("2026-11-27T10:00:00Z"));
        assert_eq!(
            window.bucket_starts().len(),
            25,
            "the current (empty) bucket is still listed"
        );
    }

    #[test]
    fn days_cover_the_window() {
        let window = Window::ending_at(WindowKey::Day, at("2026-11-27T10:30:00Z"));
        let days: Vec<String> = window.days().iter().map(|d| d.to_string()).collect();
        assert_eq!(days, ["2026-11-26", "2026-11-27"]);
        let midnight = Window::ending_at(WindowKey::Day, at("2026-11-27T00:00:00Z"));
        assert_eq!(
            midnight.days().len(),
            1,
            "a window ending at midnight does not touch the next day"
        );
    }
}
