//! The config-backed retention window (`RETENTION_DAYS`).

use crate::time::OccurredAt;
use chrono::TimeDelta;

pub const MIN_RETENTION_DAYS: u16 = 7;
pub const MAX_RETENTION_DAYS: u16 = 365;
pub const DEFAULT_RETENTION_DAYS: u16 = 90;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetentionError {
    #[error("RETENTION_DAYS must be a whole number of days, got {0:?}")]
    NotANumber(String),
    #[error(
        "RETENTION_DAYS must be between {MIN_RETENTION_DAYS} and {MAX_RETENTION_DAYS}, got {0}"
    )]
    OutOfRange(u64),
}

/// A retention in whole days, within the template's allowed range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Retention(u16);

impl Retention {
    pub fn from_days(days: u64) -> Result<Self, RetentionError> {
        if (u64::from(MIN_RETENTION_DAYS)..=u64::from(MAX_RETENTION_DAYS)).contains(&days) {
            Ok(Self(days as u16))
        } else {
            Err(RetentionError::OutOfRange(days))
        }
    }

    pub fn parse(text: &str) -> Result<Self, RetentionError> {
        let days = text
            .trim()
            .parse::<u64>()
            .map_err(|_| RetentionError::NotANumber(text.to_owned()))?;
        Self::from_days(days)
    }

    pub fn days(&self) -> u16 {
        self.0
    }

    pub fn duration(&self) -> TimeDelta {
        TimeDelta::days(i64::from(self.0))
    }

    /// The TTL of a row: epoch seconds at which it leaves the retention,
    /// rounded up, so TTL never removes a row before its exact expiry
    /// instant. Reads decide by the exact instant (`occurred_at` + retention).
    pub fn expires_at(&self, occurred_at: OccurredAt) -> i64 {
        let expiry = occurred_at.instant() + self.duration();
        let seconds = expiry.timestamp();
        if expiry.timestamp_subsec_nanos() > 0 {
            seconds + 1
        } else {
            seconds
        }
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self(DEFAULT_RETENTION_DAYS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_range_edges() {
        assert_eq!(Retention::parse("7").map(|r| r.days()), Ok(7));
        assert_eq!(Retention::parse("365").map(|r| r.days()), Ok(365));
    }

    #[test]
    fn rejects_outside_the_range() {
        assert_eq!(Retention::parse("6"), Err(RetentionError::OutOfRange(6)));
        assert_eq!(
            Retention::parse("366"),
            Err(RetentionError::OutOfRange(366))
        );
    }

    #[test]
    fn expiry_rounds_up_to_the_next_whole_second() {
        let at = |s: &str| OccurredAt::from_instant(crate::testing::at(s));
        let retention = Retention::from_days(7).expect("valid");
        let week = 7 * 86_400;
        let whole = at("2026-01-02T03:04:05Z");
        assert_eq!(
            retention.expires_at(whole),
            whole.instant().timestamp() + week
        );
        let fraction = at("2026-01-02T03:04:05.001Z");
        assert_eq!(
            retention.expires_at(fraction),
            whole.instant().timestamp() + week + 1
        );
    }

    #[test]
    fn rejects_non_numbers() {
        assert!(matches!(
            Retention::parse("ninety"),
            Err(RetentionError::NotANumber(_))
        ));
        assert!(matches!(
            Retention::parse("-1"),
            Err(RetentionError::NotANumber(_))
        ));
    }
}
