//! Rows written straight through the storage layer, bypassing record's clock checks.

use chrono::{DateTime, TimeDelta, Utc};
use domain::{
    ActorId, EventId, EventName, Fingerprint, Metadata, Milestone, OccurredAt, TenantId,
    WorkspaceId,
};
use storage::{Ledger, testing};

/// A valid milestone row for `event` at `occurred`, with the default 90-day TTL
/// (`expires_at`, epoch seconds) unless a test changes it.
pub fn row(
    event: &str,
    tenant: &str,
    workspace: &str,
    event_id: &str,
    occurred: DateTime<Utc>,
) -> Milestone {
    let event = EventName::parse(event).expect("catalog event");
    let metadata: Vec<(&str, &str)> = event
        .spec()
        .metadata
        .iter()
        .map(|key| match key.rule {
            domain::ValueRule::OneOf(values) => (key.key, values[0]),
            domain::ValueRule::Identifier => (key.key, "fixture"),
        })
        .collect();
    Milestone {
        event,
        tenant_id: TenantId::parse(tenant).expect("id"),
        workspace_id: WorkspaceId::parse(workspace).expect("id"),
        actor_id: ActorId::parse("actor").expect("id"),
        event_id: EventId::parse(event_id).expect("id"),
        occurred_at: OccurredAt::from_instant(occurred),
        expires_at: (occurred + TimeDelta::days(90)).timestamp(),
        subject: None,
        metadata: Metadata::parse(event, metadata).expect("metadata"),
        fingerprint: Fingerprint::parse("0123456789abcdef0123456789abcdef").expect("fingerprint"),
    }
}

/// Writes every row as given (its TTL included), concurrently.
pub async fn seed(ledger: &Ledger, rows: Vec<Milestone>) {
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in rows.chunks(40) {
        let ledger = ledger.clone();
        let chunk = chunk.to_vec();
        tasks.spawn(async move {
            for row in chunk {
                let item = testing::encode(&row);
                testing::put_raw(&ledger, item).await.expect("seed put");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("seed task");
    }
}
