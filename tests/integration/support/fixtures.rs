//! Rows written straight through the storage layer, bypassing record's clock checks.

use catalog::{
    ActorId, EventId, EventName, Fingerprint, Metadata, Milestone, OccurredAt, Retention, TenantId,
    WorkspaceId,
};
use chrono::{DateTime, Utc};
use storage::layout::LedgerRow;
use storage::{Ledger, PutOutcome};

/// A valid row for `event` at `occurred`, with the default 90-day TTL.
pub fn row(
    event: &str,
    tenant: &str,
    workspace: &str,
    event_id: &str,
    occurred: DateTime<Utc>,
) -> LedgerRow {
    let event = EventName::parse(event).expect("catalog event");
    let metadata: Vec<(&str, &str)> = event
        .spec()
        .metadata
        .iter()
        .map(|key| match key.rule {
            catalog::ValueRule::OneOf(values) => (key.key, values[0]),
            catalog::ValueRule::Identifier => (key.key, "fixture"),
        })
        .collect();
    let milestone = Milestone {
        event,
        tenant_id: TenantId::parse(tenant).expect("id"),
        workspace_id: WorkspaceId::parse(workspace).expect("id"),
        actor_id: ActorId::parse("actor").expect("id"),
        event_id: EventId::parse(event_id).expect("id"),
        occurred_at: OccurredAt::from_instant(occurred),
        subject: None,
        metadata: Metadata::parse(event, metadata).expect("metadata"),
        fingerprint: Fingerprint::parse("0123456789abcdef0123456789abcdef").expect("fingerprint"),
    };
    LedgerRow::new(milestone, Retention::default())
}

/// Writes every row (concurrently), asserting each one is new.
pub async fn seed(ledger: &Ledger, rows: Vec<LedgerRow>) {
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in rows.chunks(40) {
        let ledger = ledger.clone();
        let chunk = chunk.to_vec();
        tasks.spawn(async move {
            for row in chunk {
                let outcome = ledger.put(&row).await.expect("seed put");
                assert_eq!(
                    outcome,
                    PutOutcome::Recorded,
                    "{:?}",
                    row.milestone.event_id
                );
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("seed task");
    }
}
