//! The code-owned milestone catalog. Adding an event is a change to `CATALOG` and nowhere else.

use std::fmt;

/// How the values of one metadata key are constrained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRule {
    /// A lowercase identifier-shaped string: `[a-z0-9_.:-]`, 1 to 64 characters.
    Identifier,
    /// Exactly one of these values.
    OneOf(&'static [&'static str]),
}

/// One part of a recommended `event_id`, after the event name: a value of
/// the request itself, so a host builds the id from the same stored data as
/// the rest of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdPart {
    WorkspaceId,
    ActorId,
    SubjectId,
    /// The value of this metadata key.
    Metadata(&'static str),
    /// The UTC day of `occurred_at`, `YYYY-MM-DD`.
    Day,
}

impl IdPart {
    /// How the part is written in the docs: the request field it comes from.
    pub fn placeholder(&self) -> String {
        match self {
            IdPart::WorkspaceId => "<workspace_id>".to_owned(),
            IdPart::ActorId => "<actor_id>".to_owned(),
            IdPart::SubjectId => "<subject.id>".to_owned(),
            IdPart::Metadata(key) => format!("<metadata.{key}>"),
            IdPart::Day => "<occurred_at as YYYY-MM-DD>".to_owned(),
        }
    }
}

/// What a send of a stored `event_id` with different content means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// Only the same content is a duplicate; different content is an
    /// `idempotency_conflict` (the id names one real-world milestone, so a
    /// different payload is a host bug).
    SameContent,
    /// The id already encodes "once per …": the first row recorded stands,
    /// and a later send of the same event with other content (a reload later
    /// the same day, the same checkpoint completed by another admin) answers
    /// `duplicate`.
    FirstWins,
}

/// One metadata key an event requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataKeySpec {
    pub key: &'static str,
    pub rule: ValueRule,
}

/// One milestone in the catalog.
#[derive(Debug, PartialEq, Eq)]
pub struct EventSpec {
    /// Stable wire name, e.g. `operation.started`.
    pub name: &'static str,
    /// Feature area the dashboard groups by.
    pub feature_area: &'static str,
    /// Human label for dashboards.
    pub label: &'static str,
    /// Every key listed is required; no other key is accepted.
    pub metadata: &'static [MetadataKeySpec],
    /// Subject types this event may reference.
    pub subject_types: &'static [&'static str],
    /// The recommended `event_id`: the event name, then these parts, joined by `:`.
    pub event_id: &'static [IdPart],
    /// What one `event_id` stands for: why the scheme is deterministic.
    pub once_per: &'static str,
    /// What a later send of the same `event_id` with other content means.
    pub resend: Resend,
}

/// The milestones, in the order the dashboard shows them. Its length is the
/// only count of events anywhere.
pub static CATALOG: &[EventSpec] = &[
    EventSpec {
        name: "onboarding.checkpoint_completed",
        feature_area: "onboarding",
        label: "Onboarding checkpoint completed",
        metadata: &[MetadataKeySpec {
            key: "checkpoint",
            rule: ValueRule::Identifier,
        }],
        subject_types: &["onboarding_session"],
        event_id: &[IdPart::WorkspaceId, IdPart::Metadata("checkpoint")],
        once_per: "a checkpoint completes once per workspace, whoever completes it",
        resend: Resend::FirstWins,
    },
    EventSpec {
        name: "support.diagnostics_opened",
        feature_area: "support",
        label: "Support diagnostics opened",
        metadata: &[MetadataKeySpec {
            key: "surface",
            rule: ValueRule::OneOf(&["tenant_dashboard", "operation_run_viewer"]),
        }],
        subject_types: &["tenant", "operation_run"],
        event_id: &[IdPart::SubjectId, IdPart::ActorId, IdPart::Day],
        once_per: "one count per person, subject and day, however often the page is reloaded",
        resend: Resend::FirstWins,
    },
    EventSpec {
        name: "operation.started",
        feature_area: "operations",
        label: "Operation started",
        metadata: &[MetadataKeySpec {
            key: "operation_type",
            rule: ValueRule::Identifier,
        }],
        subject_types: &["operation_run"],
        event_id: &[IdPart::SubjectId],
        once_per: "one run starts once",
        resend: Resend::SameContent,
    },
    EventSpec {
        name: "report.created",
        feature_area: "reports",
        label: "Report created",
        metadata: &[MetadataKeySpec {
            key: "report_type",
            rule: ValueRule::Identifier,
        }],
        subject_types: &["stored_report"],
        event_id: &[IdPart::SubjectId],
        once_per: "one report is created once",
        resend: Resend::SameContent,
    },
    EventSpec {
        name: "review_pack.generation_requested",
        feature_area: "review_packs",
        label: "Review pack generation requested",
        metadata: &[],
        subject_types: &["review_pack"],
        event_id: &[IdPart::SubjectId],
        once_per: "one request per pack",
        resend: Resend::SameContent,
    },
];

/// A milestone name that is known to be in the catalog.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EventName(&'static EventSpec);

impl EventName {
    /// Looks the name up in the catalog; `None` when it is not a catalog event.
    pub fn parse(name: &str) -> Option<Self> {
        CATALOG.iter().find(|spec| spec.name == name).map(EventName)
    }

    pub fn as_str(&self) -> &'static str {
        self.0.name
    }

    pub fn spec(&self) -> &'static EventSpec {
        self.0
    }

    /// Position in catalog order, for dense per-event arrays.
    pub fn index(&self) -> usize {
        CATALOG
            .iter()
            .position(|spec| std::ptr::eq(spec, self.0))
            .unwrap_or_default()
    }

    /// Whether a send of this event whose `event_id` is stored with other
    /// content, as a row of `existing`, is a duplicate (the catalog's
    /// [`Resend::FirstWins`], and the same event) rather than a conflict.
    pub fn resend_is_duplicate(&self, existing: Option<EventName>) -> bool {
        self.spec().resend == Resend::FirstWins && existing == Some(*self)
    }

    /// Every catalog event, in catalog order.
    pub fn all() -> impl Iterator<Item = EventName> {
        CATALOG.iter().map(EventName)
    }
}

impl std::hash::Hash for EventName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.name.hash(state);
    }
}

impl fmt::Debug for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("EventName").field(&self.0.name).finish()
    }
}

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::is_identifier_char;
    use crate::testing::{OPERATION_STARTED, REPORT_CREATED};
    use std::collections::HashSet;
    use std::hash::{DefaultHasher, Hash, Hasher};

    #[test]
    fn the_catalog_is_not_empty() {
        assert!(!CATALOG.is_empty());
    }

    #[test]
    fn event_names_are_unique() {
        let names: HashSet<_> = CATALOG.iter().map(|spec| spec.name).collect();
        assert_eq!(names.len(), CATALOG.len());
    }

    #[test]
    fn every_event_has_label_area_and_allowlists() {
        for spec in CATALOG {
            assert!(!spec.label.trim().is_empty(), "{} has no label", spec.name);
            assert!(
                !spec.feature_area.is_empty(),
                "{} has no feature area",
                spec.name
            );
            assert!(
                !spec.subject_types.is_empty(),
                "{} allows no subject type",
                spec.name
            );
            assert!(
                !spec.event_id.is_empty() && !spec.once_per.is_empty(),
                "{} recommends no event_id",
                spec.name
            );
            for part in spec.event_id {
                if let IdPart::Metadata(key) = part {
                    assert!(
                        spec.metadata.iter().any(|m| m.key == *key),
                        "{}'s event_id uses metadata.{key}, which it does not have",
                        spec.name
                    );
                }
            }
            let keys: HashSet<_> = spec.metadata.iter().map(|m| m.key).collect();
            assert_eq!(
                keys.len(),
                spec.metadata.len(),
                "{} repeats a metadata key",
                spec.name
            );
            for key in spec.metadata {
                if let ValueRule::OneOf(values) = key.rule {
                    assert!(
                        !values.is_empty(),
                        "{}.{} has an empty enum",
                        spec.name,
                        key.key
                    );
                }
            }
        }
    }

    #[test]
    fn catalog_names_are_themselves_safe_identifiers() {
        for spec in CATALOG {
            let all = [spec.name, spec.feature_area]
                .into_iter()
                .chain(spec.subject_types.iter().copied())
                .chain(spec.metadata.iter().map(|m| m.key));
            for word in all {
                assert!(
                    word.len() <= 64 && word.chars().all(is_identifier_char),
                    "{word}"
                );
            }
        }
    }

    #[test]
    fn parse_finds_known_events_and_index_matches_catalog_order() {
        for (position, spec) in CATALOG.iter().enumerate() {
            let event = EventName::parse(spec.name).expect("catalog event parses");
            assert_eq!(event.as_str(), spec.name);
            assert_eq!(event.index(), position);
        }
        assert!(EventName::parse("operation.finished").is_none());
        assert!(EventName::parse("").is_none());
    }

    #[test]
    fn event_names_display_debug_and_hash_by_name() {
        let op = EventName::parse(OPERATION_STARTED).expect("event");
        let report = EventName::parse(REPORT_CREATED).expect("event");
        assert_eq!(op.to_string(), OPERATION_STARTED);
        assert_eq!(
            format!("{op:?}"),
            format!("EventName({OPERATION_STARTED:?})")
        );
        let hash = |e: EventName| {
            let mut hasher = DefaultHasher::new();
            e.hash(&mut hasher);
            hasher.finish()
        };
        assert_ne!(hash(op), hash(report));
        assert_eq!(
            hash(op),
            hash(EventName::parse(OPERATION_STARTED).expect("event"))
        );
    }
}
