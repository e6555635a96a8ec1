//! Erasure: what a purge removes (a whole tenant, or one person's rows within
//! a tenant) and the tombstone that outlives it, so a milestone already in
//! flight when the purge ran (Lambda's async retries, the failure queue, the
//! host's own queue) does not survive the next prune. Parsing a request is
//! `parse::purge`; the walk is `storage::purge`.

use crate::erasure_key::{ActorDigest, ErasureKeyring, KeyId};
use crate::ids::{ActorId, TenantId};
use crate::model::Milestone;
use crate::parse::MAX_FUTURE_SKEW;
use crate::retention::MAX_RETENTION_DAYS;
use chrono::{DateTime, Utc};

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
    /// What the tombstone keeps: the tenant, and the person only as a keyed
    /// digest under the keyring's current key.
    pub fn scope(&self, keyring: &ErasureKeyring) -> PurgeScope {
        PurgeScope {
            tenant_id: self.tenant_id.clone(),
            actor: self.actor_id.as_ref().map(|a| keyring.current_digest(a)),
        }
    }
}

/// A tombstone made with a key the keyring no longer has: whose rows it
/// covers cannot be told (the key was removed before its tombstones expired).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a tombstone was made with erasure key {0:?}, which the keyring no longer has")]
pub struct UnknownKey(pub KeyId);

/// A scope ready to judge rows: the tenant, and the person's digest with the
/// key it was made with.
#[derive(Debug, Clone)]
pub struct ScopeMatcher<'a> {
    scope: &'a PurgeScope,
    /// Only a person's scope needs the keyring.
    keyring: Option<&'a ErasureKeyring>,
}

impl ScopeMatcher<'_> {
    /// Whether a row of `tenant` by `actor` is in scope.
    pub fn covers(&self, tenant: &TenantId, actor: &ActorId) -> bool {
        *tenant == self.scope.tenant_id
            && self.scope.actor.as_ref().is_none_or(|digest| {
                self.keyring
                    .and_then(|keys| keys.digest(digest.key(), actor))
                    .as_ref()
                    == Some(digest)
            })
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
    /// The scopes whose tombstones can cover a milestone of `tenant` by
    /// `actor`: the tenant's own, and that person's within it under every
    /// key of the keyring (a tombstone made before a rotation included).
    pub fn covering(
        tenant: &TenantId,
        actor: &ActorId,
        keyring: &ErasureKeyring,
    ) -> Vec<PurgeScope> {
        std::iter::once(None)
            .chain(keyring.ids().map(|id| keyring.digest(id, actor)))
            .map(|actor| PurgeScope {
                tenant_id: tenant.clone(),
                actor,
            })
            .collect()
    }

    /// Whether judging rows by this scope needs the erasure keyring (a
    /// person's scope does; a tenant's never).
    pub fn needs_keys(&self) -> bool {
        self.actor.is_some()
    }

    /// The scope with the key its digest was made with, or [`UnknownKey`]
    /// (a person's scope without a keyring holding that key).
    pub fn matcher<'a>(
        &'a self,
        keyring: Option<&'a ErasureKeyring>,
    ) -> Result<ScopeMatcher<'a>, UnknownKey> {
        match &self.actor {
            Some(digest) if !keyring.is_some_and(|keys| keys.has(digest.key())) => {
                Err(UnknownKey(digest.key().clone()))
            }
            _ => Ok(ScopeMatcher {
                scope: self,
                keyring,
            }),
        }
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
    /// When prune last worked on its closing walk (round robin: the least
    /// recently walked first); `None` before its first.
    pub walked_at: Option<DateTime<Utc>>,
    /// When prune's closing walk finished: no row it covers can be left, and
    /// prune never walks it again (record still refuses what it covers).
    pub closed_at: Option<DateTime<Utc>>,
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
    /// `purged`, by the rule prune erases by. A person's tombstone needs the
    /// keyring; a tenant's never does.
    pub fn any_erases(
        tombstones: &[Tombstone],
        milestone: &Milestone,
        keyring: Option<&ErasureKeyring>,
    ) -> Result<bool, UnknownKey> {
        for tombstone in tombstones {
            let matcher = tombstone.scope.matcher(keyring)?;
            if milestone.occurred_at.instant() < tombstone.erases_before()
                && matcher.covers(&milestone.tenant_id, &milestone.actor_id)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether prune may close it: every record that could have read "no
    /// tombstone" before the purge wrote it has landed by now (the longest
    /// invocation and the clock skew, [`crate::rollup::SETTLE`]), so one walk
    /// from now on leaves nothing it covers.
    pub fn settled(&self, now: DateTime<Utc>) -> bool {
        now >= self.purged_at + crate::rollup::SETTLE
    }

    /// Rows in scope that occurred before this instant are erased: the purge,
    /// plus the clock skew record accepts ([`MAX_FUTURE_SKEW`]), since a row
    /// stamped up to that far ahead could already have been in flight.
    pub fn erases_before(&self) -> DateTime<Utc> {
        self.purged_at + MAX_FUTURE_SKEW
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{at, erasure_keyring};

    fn tenant(id: &str) -> TenantId {
        TenantId::parse(id).expect("id")
    }
    fn actor(id: &str) -> ActorId {
        ActorId::parse(id).expect("id")
    }
    fn scope(tenant_id: &str, actor_id: Option<&str>) -> PurgeScope {
        PurgeRequest {
            tenant_id: tenant(tenant_id),
            actor_id: actor_id.map(actor),
        }
        .scope(&erasure_keyring())
    }

    #[test]
    fn a_tenant_scope_covers_every_actor_of_that_tenant_only() {
        let keys = erasure_keyring();
        let scope = scope("t-a", None);
        let matcher = scope.matcher(Some(&keys)).expect("no key needed");
        assert!(matcher.covers(&tenant("t-a"), &actor("anyone")));
        assert!(!matcher.covers(&tenant("t-b"), &actor("anyone")));
        assert!(!scope.needs_keys());
        let without = scope
            .matcher(None)
            .expect("a tenant's scope needs no keyring");
        assert!(without.covers(&tenant("t-a"), &actor("anyone")));
    }

    #[test]
    fn an_actor_scope_covers_that_person_in_that_tenant_only() {
        let keys = erasure_keyring();
        let scope = scope("t-a", Some("u-1"));
        assert!(scope.needs_keys());
        assert!(
            scope.matcher(None).is_err(),
            "a person's scope needs the keyring"
        );
        let matcher = scope.matcher(Some(&keys)).expect("a known key");
        assert!(matcher.covers(&tenant("t-a"), &actor("u-1")));
        assert!(!matcher.covers(&tenant("t-a"), &actor("u-2")));
        assert!(!matcher.covers(&tenant("t-b"), &actor("u-1")));
    }

    #[test]
    fn the_scope_keeps_a_keyed_digest_under_the_current_key_never_the_id() {
        let scope = scope("t-a", Some("u-12345"));
        let digest = scope.actor.expect("a person");
        assert_eq!(digest.key(), erasure_keyring().current());
        assert!(!digest.hex().contains("12345"));
    }

    #[test]
    fn a_scope_made_with_a_key_the_keyring_lost_cannot_judge_rows() {
        let scope = scope("t-a", Some("u-1"));
        let without_it = crate::ErasureKeyring::parse(
            r#"{"current": "t9", "t9": "another-key-0123456789-abcdefghijklmnopqrstuvwxyz"}"#,
        )
        .expect("valid");
        assert_eq!(
            scope.matcher(Some(&without_it)).map(|_| ()),
            Err(UnknownKey(erasure_keyring().current().clone()))
        );
    }

    #[test]
    fn the_covering_scopes_are_the_tenants_and_the_persons_under_every_key() {
        let keys = erasure_keyring();
        let scopes = PurgeScope::covering(&tenant("t-a"), &actor("u-1"), &keys);
        assert_eq!(scopes.len(), 1 + keys.ids().count());
        assert_eq!(scopes[0].actor, None);
        for person in &scopes[1..] {
            let matcher = person.matcher(Some(&keys)).expect("known key");
            assert!(matcher.covers(&tenant("t-a"), &actor("u-1")));
            assert!(!matcher.covers(&tenant("t-a"), &actor("u-2")));
        }
        assert!(scopes.iter().all(|s| s.tenant_id == tenant("t-a")));
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
    fn any_erases_needs_a_tombstone_in_scope_and_before_its_purge_and_skew() {
        let keys = erasure_keyring();
        // Occurred at 10:59 UTC.
        let milestone = Milestone::parse(
            &crate::testing::valid().to_string(),
            crate::testing::now(),
            crate::Retention::default(),
        )
        .expect("valid");
        let stone = |actor: Option<&ActorId>, purged: &str| Tombstone {
            walked_at: None,
            closed_at: None,
            scope: PurgeRequest {
                tenant_id: milestone.tenant_id.clone(),
                actor_id: actor.cloned(),
            }
            .scope(&keys),
            purged_at: at(purged),
            done_at: None,
        };
        let erases = |stones: &[Tombstone]| Tombstone::any_erases(stones, &milestone, Some(&keys));
        assert_eq!(erases(&[]), Ok(false));
        assert_eq!(erases(&[stone(None, "2026-11-27T12:00:00Z")]), Ok(true));
        let person = Some(&milestone.actor_id);
        assert_eq!(erases(&[stone(person, "2026-11-27T12:00:00Z")]), Ok(true));
        let other = actor("someone-else");
        assert_eq!(
            erases(&[stone(Some(&other), "2026-11-27T12:00:00Z")]),
            Ok(false)
        );
        // Stamped up to record's clock skew after the purge: may have been in
        // flight, erased; later ones are the tenant's new life.
        assert_eq!(erases(&[stone(None, "2026-11-27T10:54:00.001Z")]), Ok(true));
        assert_eq!(erases(&[stone(None, "2026-11-27T10:54:00Z")]), Ok(false));
        // A tenant's tombstone is judged without the keyring; a person's is not.
        let tenant_only = [stone(None, "2026-11-27T12:00:00Z")];
        assert_eq!(
            Tombstone::any_erases(&tenant_only, &milestone, None),
            Ok(true)
        );
        let persons = [stone(person, "2026-11-27T12:00:00Z")];
        assert!(Tombstone::any_erases(&persons, &milestone, None).is_err());
    }
}
