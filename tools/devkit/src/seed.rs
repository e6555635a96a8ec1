//! Synthetic milestones for benchmarks: deterministic, spread evenly over a time span.

use chrono::{DateTime, TimeDelta, Utc};
use domain::{
    ActorId, CATALOG, EventId, EventName, Fingerprint, Metadata, Milestone, OccurredAt, Retention,
    TenantId, ValueRule, WorkspaceId,
};
use std::error::Error;

/// Tenants in the synthetic population.
pub const TENANTS: usize = 200;
/// Distinct workspace ids when a caller does not choose (`--workspaces`).
pub const DEFAULT_WORKSPACES: usize = 1_000;

/// A synthetic population: `count` milestones spread evenly over
/// `[end - span, end)`, kept for `retention`, over `workspaces` distinct ids.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    pub count: usize,
    pub end: DateTime<Utc>,
    pub span: TimeDelta,
    pub retention: Retention,
    pub workspaces: usize,
}

impl Population {
    /// `count` milestones over the hour before `end`, at the default
    /// retention and workspace count.
    pub fn last_hour(count: usize, end: DateTime<Utc>) -> Self {
        Self {
            count,
            end,
            span: TimeDelta::hours(1),
            retention: Retention::default(),
            workspaces: DEFAULT_WORKSPACES,
        }
    }
}

/// Milestone `i` of `population`; events cycle through the catalog, and
/// workspaces through its distinct ids (consecutive milestones land in
/// different workspaces, so a day of `n` milestones touches
/// `min(n, workspaces)` of them).
pub fn synthetic_milestone(
    i: usize,
    population: &Population,
) -> Result<Milestone, Box<dyn Error + Send + Sync>> {
    let Population {
        count,
        end,
        span,
        retention,
        workspaces,
    } = *population;
    let step_ms = span.num_milliseconds() / count.max(1) as i64;
    let occurred = end - span + TimeDelta::milliseconds(step_ms * i as i64);
    let spec = &CATALOG[i % CATALOG.len()];
    let event = EventName::parse(spec.name).ok_or("catalog event")?;
    let pairs: Vec<(&str, &str)> = spec
        .metadata
        .iter()
        .map(|key| match key.rule {
            ValueRule::OneOf(values) => (key.key, values[i % values.len()]),
            ValueRule::Identifier => (key.key, "bench_value"),
        })
        .collect();
    Ok(Milestone {
        event,
        tenant_id: TenantId::parse(&format!("tenant-{}", i % TENANTS))?,
        workspace_id: WorkspaceId::parse(&format!("ws-{}", i % workspaces.max(1)))?,
        actor_id: ActorId::parse(&format!("user-{}", i % 1000))?,
        event_id: EventId::parse(&format!("bench:{i}"))?,
        occurred_at: OccurredAt::from_instant(occurred),
        expires_at: retention.expires_at(OccurredAt::from_instant(occurred)),
        subject: None,
        metadata: Metadata::parse(event, pairs)?,
        fingerprint: Fingerprint::parse("00000000000000000000000000000000").ok_or("fingerprint")?,
    })
}
