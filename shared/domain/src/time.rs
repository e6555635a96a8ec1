//! Time as the ledger stores it: UTC instants with millisecond precision.

use chrono::{DateTime, SubsecRound, Utc};

/// A UTC instant with millisecond precision: what is stored and keyed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OccurredAt(DateTime<Utc>);

impl OccurredAt {
    /// Truncates to milliseconds, the precision of the stored sort key.
    pub fn from_instant(instant: DateTime<Utc>) -> Self {
        Self(instant.trunc_subsecs(3))
    }

    pub fn instant(&self) -> DateTime<Utc> {
        self.0
    }
}

/// The current instant at the ledger's precision. Handlers take "now" from
/// here, so window bounds, retention cutoffs and stored times all compare at
/// whole milliseconds and the edges are exact.
pub fn now_millis() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// RFC 3339 in UTC with exactly three fractional digits: fixed width, so it sorts as time.
pub fn format_millis(instant: DateTime<Utc>) -> String {
    instant.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Parses an RFC 3339 timestamp (any offset) into UTC, or `None`.
pub fn parse_rfc3339(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_are_fixed_width_and_truncated() {
        let at = parse_rfc3339("2026-11-27T11:00:00.123456789+01:00").expect("valid");
        assert_eq!(
            format_millis(OccurredAt::from_instant(at).instant()),
            "2026-11-27T10:00:00.123Z"
        );
        let whole = parse_rfc3339("2026-11-27T10:00:00Z").expect("valid");
        assert_eq!(format_millis(whole), "2026-11-27T10:00:00.000Z");
    }
}
