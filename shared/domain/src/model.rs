//! The stored model: a validated milestone, its subject and fingerprint, and
//! what the time index yields for one stored milestone.

use crate::events::EventName;
use crate::ids::{ActorId, EventId, SubjectId, TenantId, WorkspaceId};
use crate::metadata::Metadata;
use crate::time::OccurredAt;
use std::fmt;

/// A subject type the event allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubjectType(&'static str);

impl SubjectType {
    pub fn parse(event: EventName, value: &str) -> Option<Self> {
        event
            .spec()
            .subject_types
            .iter()
            .find(|t| **t == value)
            .map(|t| SubjectType(t))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

/// What the milestone was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub kind: SubjectType,
    pub id: SubjectId,
}

/// A hash of the client-supplied fields: "same content" means the same fingerprint.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Only the parser computes fingerprints.
    pub(crate) fn from_hex(hex: String) -> Self {
        Self(hex)
    }

    /// Accepts a stored fingerprint: 32 lowercase hex characters.
    pub fn parse(value: &str) -> Option<Self> {
        (value.len() == 32 && value.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')))
            .then(|| Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.0)
    }
}

/// A validated milestone with its event id and time resolved: exactly one stored row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    pub event: EventName,
    pub tenant_id: TenantId,
    pub workspace_id: WorkspaceId,
    pub actor_id: ActorId,
    pub event_id: EventId,
    pub occurred_at: OccurredAt,
    pub subject: Option<Subject>,
    pub metadata: Metadata,
    pub fingerprint: Fingerprint,
    /// TTL in epoch seconds: `occurred_at` + the retention in force when it
    /// was recorded, rounded up ([`crate::Retention::expires_at`]).
    pub expires_at: i64,
}

/// What the time index yields for one stored milestone: enough to aggregate, nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedMilestone {
    pub event: EventName,
    pub tenant_id: TenantId,
    pub workspace_id: WorkspaceId,
    pub occurred_at: OccurredAt,
    /// TTL in epoch seconds.
    pub expires_at: i64,
}

impl IndexedMilestone {
    /// Whether the row still counts at `now`: DynamoDB returns a row after
    /// its TTL until TTL deletes it, and such a row never counts.
    pub fn is_live_at(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        live_until(self.expires_at, now)
    }
}

/// Whether a TTL of `expires_at` (epoch seconds) has not passed at `now`.
pub(crate) fn live_until(expires_at: i64, now: chrono::DateTime<chrono::Utc>) -> bool {
    chrono::DateTime::from_timestamp(expires_at, 0).is_some_and(|expiry| now <= expiry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_only_32_lowercase_hex_characters() {
        assert!(Fingerprint::parse(&"a".repeat(32)).is_some());
        assert!(Fingerprint::parse(&"a".repeat(31)).is_none(), "too short");
        assert!(Fingerprint::parse(&"g".repeat(32)).is_none(), "not hex");
        assert!(
            Fingerprint::parse(&"A".repeat(32)).is_none(),
            "not lowercase"
        );
        let fingerprint = Fingerprint::parse(&"0123456789abcdef".repeat(2)).expect("valid");
        assert_eq!(
            format!("{fingerprint:?}"),
            "Fingerprint(0123456789abcdef0123456789abcdef)"
        );
    }
}
