//! Erasure: what a purge removes (a whole tenant, or one person's rows within
//! a tenant) and the tombstone that outlives it, so a milestone already in
//! flight when the purge ran (Lambda's async retries, the failure queue, the
//! host's own queue) does not survive the next prune. Parsing a request is
//! `parse::purge`; the walk is `storage::purge`.

use crate::ids::{ActorId, TenantId};
use crate::model::Milestone;
use crate::parse::MAX_FUTURE_SKEW;
use crate::retention::MAX_RETENTION_DAYS;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::fmt;

/// Which rows a purge removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeRequest {
    pub tenant_id: TenantId,
    /// `None`: every row of the tenant (offboarding). `Some`: that person's
    /// rows within the tenant (erasure); the host calls once per tenant the
    /// person acted in.
    pub actor_id: Option<ActorId>,
}

impl PurgeRequest {
    /// What the tombstone keeps: the tenant, and the person only as a digest.
    pub fn scope(&self) -> PurgeScope {
        PurgeScope {
            tenant_id: self.tenant_id.clone(),
            actor: self.actor_id.as_ref().map(ActorDigest::of),
        }
    }
}

/// A one-way digest of an actor id: a tombstone must identify the erased
/// person's rows without storing who they are. 16 bytes of SHA-256 over the
/// id, as hex.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActorDigest(String);

impl ActorDigest {
    pub fn of(actor: &ActorId) -> Self {
        let digest = Sha256::digest(actor.as_str().as_bytes());
        Self(digest[..16].iter().map(|b| format!("{b:02x}")).collect())
    }

    /// From stored text: 32 lowercase hex digits, or `None`.
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == 32
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)))
        .then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ActorDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActorDigest({})", &self.0[..8.min(self.0.len())])
    }
}

/// The rows a purge or its tombstone covers: a tenant's, or one person's
/// within it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PurgeScope {
    pub tenant_id: TenantId,
    pub actor: Option<ActorDigest>,
}

impl PurgeScope {
    /// The two scopes whose tombstones can cover a milestone of `tenant` by
    /// `actor`: the tenant's own, and that person's within it.
    pub fn covering(tenant: &TenantId, actor: &ActorId) -> [PurgeScope; 2] {
        [
            PurgeScope {
                tenant_id: tenant.clone(),
                actor: None,
            },
            PurgeScope {
                tenant_id: tenant.clone(),
                actor: Some(ActorDigest::of(actor)),
            },
        ]
    }

    /// Whether a row of `tenant` by `actor` is in scope.
    pub fn covers(&self, tenant: &TenantId, actor: &ActorId) -> bool {
        *tenant == self.tenant_id
            && self
                .actor
                .as_ref()
                .is_none_or(|digest| *digest == ActorDigest::of(actor))
    }
}

/// Left by a purge, kept for the retention: prune deletes any row in its
/// scope that occurred before [`Tombstone::erases_before`] (one recorded
/// after the purge by a retry or a redrive), however late it landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    pub scope: PurgeScope,
    /// The last purge of this scope: rows that occurred before it are erased.
    pub purged_at: DateTime<Utc>,
    /// When a purge of this scope last answered done; `None` while one was
    /// left unfinished.
    pub done_at: Option<DateTime<Utc>>,
}

/// How long a tombstone lives after its purge: longer than any retention a
/// stack can be set to ([`MAX_RETENTION_DAYS`]) plus record's clock skew, so
/// whatever the retention does after the purge (lengthened included), any
/// milestone it covers is older than the retention in force by the time the
/// tombstone expires, and record refuses it as too old. Never shortened.
pub fn tombstone_life() -> chrono::TimeDelta {
    chrono::TimeDelta::days(i64::from(MAX_RETENTION_DAYS) + 1) + MAX_FUTURE_SKEW
}

impl Tombstone {
    /// When the tombstone may go (its TTL): [`tombstone_life`] after the purge.
    pub fn expires_at(purged_at: DateTime<Utc>) -> DateTime<Utc> {
        purged_at + tombstone_life()
    }

    /// Whether any of `tombstones` erases `milestone`: record refuses it as
    /// `purged`, and prune and the redrive agree.
    pub fn any_erases(tombstones: &[Tombstone], milestone: &Milestone) -> bool {
        tombstones.iter().any(|t| {
            t.erases(
                &milestone.tenant_id,
                &milestone.actor_id,
                milestone.occurred_at.instant(),
            )
        })
    }

    /// Rows in scope that occurred before this instant are erased: the purge,
    /// plus the clock skew record accepts ([`MAX_FUTURE_SKEW`]), since a row
    /// stamped up to that far ahead could already have been in flight.
    pub fn erases_before(&self) -> DateTime<Utc> {
        self.purged_at + MAX_FUTURE_SKEW
    }

    /// Whether the row must go: in scope, and it occurred before
    /// [`Self::erases_before`].
    pub fn erases(&self, tenant: &TenantId, actor: &ActorId, occurred_at: DateTime<Utc>) -> bool {
        occurred_at < self.erases_before() && self.scope.covers(tenant, actor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::at;

    fn tenant(id: &str) -> TenantId {
        TenantId::parse(id).expect("id")
    }
    fn actor(id: &str) -> ActorId {
        ActorId::parse(id).expect("id")
    }

    #[test]
    fn a_tenant_scope_covers_every_actor_of_that_tenant_only() {
        let scope = PurgeRequest {
            tenant_id: tenant("t-a"),
            actor_id: None,
        }
        .scope();
        assert!(scope.covers(&tenant("t-a"), &actor("anyone")));
        assert!(!scope.covers(&tenant("t-b"), &actor("anyone")));
    }

    #[test]
    fn an_actor_scope_covers_that_person_in_that_tenant_only() {
        let scope = PurgeRequest {
            tenant_id: tenant("t-a"),
            actor_id: Some(actor("u-1")),
        }
        .scope();
        assert!(scope.covers(&tenant("t-a"), &actor("u-1")));
        assert!(!scope.covers(&tenant("t-a"), &actor("u-2")));
        assert!(!scope.covers(&tenant("t-b"), &actor("u-1")));
    }

    #[test]
    fn the_digest_never_holds_the_actor_id_and_round_trips() {
        let digest = ActorDigest::of(&actor("u-12345"));
        assert_eq!(digest.as_str().len(), 32);
        assert!(!digest.as_str().contains("12345"));
        assert_eq!(ActorDigest::parse(digest.as_str()), Some(digest.clone()));
        assert_ne!(digest, ActorDigest::of(&actor("u-12346")));
        assert_eq!(ActorDigest::parse("not hex"), None);
        assert_eq!(ActorDigest::parse(&"A".repeat(32)), None);
        // Debug shows a prefix, enough to tell two apart in a test failure.
        let shown = format!("{digest:?}");
        assert!(!shown.contains(digest.as_str()));
        assert_eq!(shown, format!("ActorDigest({})", &digest.as_str()[..8]));
    }

    #[test]
    fn a_tombstone_erases_only_rows_that_occurred_before_the_purge() {
        let stone = Tombstone {
            scope: PurgeRequest {
                tenant_id: tenant("t-a"),
                actor_id: None,
            }
            .scope(),
            purged_at: at("2026-11-27T10:00:00Z"),
            done_at: None,
        };
        // A row stamped up to record's future skew after the purge may have
        // been in flight: erased. Later ones are the tenant's new life.
        let edge = at("2026-11-27T10:05:00Z");
        let before = edge - chrono::TimeDelta::milliseconds(1);
        assert!(stone.erases(&tenant("t-a"), &actor("u"), before));
        assert!(!stone.erases(&tenant("t-a"), &actor("u"), edge));
        assert!(!stone.erases(&tenant("t-b"), &actor("u"), before));
    }

    #[test]
    fn the_covering_scopes_are_the_tenants_and_the_persons_in_it() {
        let [whole, person] = PurgeScope::covering(&tenant("t-a"), &actor("u-1"));
        assert_eq!(whole.actor, None);
        assert_eq!(person.actor, Some(ActorDigest::of(&actor("u-1"))));
        assert!(person.covers(&tenant("t-a"), &actor("u-1")));
        assert!(!person.covers(&tenant("t-a"), &actor("u-2")));
        assert_eq!(whole.tenant_id, tenant("t-a"));
    }

    /// After the longest retention, any milestone a tombstone covers is
    /// older than every retention: record refuses it as too old once the
    /// tombstone has gone, whatever the retention became in between.
    #[test]
    fn a_tombstone_outlives_every_retention_a_stack_can_have() {
        let purged_at = at("2026-11-27T10:00:00Z");
        let expires = Tombstone::expires_at(purged_at);
        let longest = crate::Retention::from_days(u64::from(MAX_RETENTION_DAYS)).expect("max");
        // The newest milestone it covers, at the first instant it is gone.
        let newest_covered = purged_at + MAX_FUTURE_SKEW;
        assert!(expires - longest.duration() > newest_covered);
    }

    #[test]
    fn any_erases_needs_a_tombstone_in_scope_and_before_its_purge() {
        // Occurred at 10:59 UTC.
        let milestone = Milestone::parse(
            &crate::testing::valid().to_string(),
            crate::testing::now(),
            crate::Retention::default(),
        )
        .expect("valid");
        let stone = |actor: Option<&ActorId>, purged: &str| Tombstone {
            scope: PurgeRequest {
                tenant_id: milestone.tenant_id.clone(),
                actor_id: actor.cloned(),
            }
            .scope(),
            purged_at: at(purged),
            done_at: None,
        };
        assert!(!Tombstone::any_erases(&[], &milestone));
        assert!(Tombstone::any_erases(
            &[stone(None, "2026-11-27T12:00:00Z")],
            &milestone
        ));
        assert!(Tombstone::any_erases(
            &[stone(Some(&milestone.actor_id), "2026-11-27T12:00:00Z")],
            &milestone
        ));
        assert!(!Tombstone::any_erases(
            &[stone(Some(&actor("someone-else")), "2026-11-27T12:00:00Z")],
            &milestone
        ));
        // A purge long before the milestone: the tenant's new life.
        assert!(!Tombstone::any_erases(
            &[stone(None, "2026-11-27T10:00:00Z")],
            &milestone
        ));
    }
}
