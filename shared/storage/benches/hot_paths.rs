//! Criterion benches for the pure hot paths (`cargo bench -p adoption-storage`):
//! record parse + validate + item build, and aggregation of 100k projected rows.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use catalog::{
    Aggregation, CATALOG, EventId, EventName, OccurredAt, RecordRequest, Retention, RowFacts,
    TenantId, Window, WindowKey, WorkspaceId,
};
use chrono::{TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use storage::layout::LedgerRow;

fn record_hot_path(c: &mut Criterion) {
    let raw = serde_json::json!({
        "event": "support.diagnostics_opened",
        "tenant_id": "tenant-0042",
        "workspace_id": "ws-0007",
        "actor_id": "user-100234",
        "event_id": "support.diagnostics_opened:run-998877:user-100234:2026-11-27",
        "occurred_at": "2026-11-27T09:30:00.250Z",
        "subject": {"type": "operation_run", "id": "run-998877"},
        "metadata": {"surface": "operation_run_viewer"}
    })
    .to_string();
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let fallback = EventId::parse("req:8476a536-e9f4-11e8-9739-2dfe598c3fcd").unwrap();
    c.bench_function("record: parse + validate + item build", |b| {
        b.iter(|| {
            let request = RecordRequest::parse(black_box(&raw), now, Retention::default()).unwrap();
            let row = LedgerRow::new(
                request.into_milestone(fallback.clone(), now),
                Retention::default(),
            );
            black_box(row.to_item())
        })
    });
}

struct Row {
    event: EventName,
    tenant: TenantId,
    workspace: WorkspaceId,
    occurred: OccurredAt,
    expires_at: i64,
}

fn aggregation(c: &mut Criterion) {
    let now = Utc::now();
    let window = Window::ending_at(WindowKey::Month, now);
    let rows: Vec<Row> = (0..100_000)
        .map(|i| {
            let occurred = now - TimeDelta::seconds(i64::from(i) * 25);
            Row {
                event: EventName::parse(CATALOG[i as usize % 5].name).unwrap(),
                tenant: TenantId::parse(&format!("tenant-{}", i % 200)).unwrap(),
                workspace: WorkspaceId::parse(&format!("ws-{}", (i / 200) % 5)).unwrap(),
                occurred: OccurredAt::from_instant(occurred),
                expires_at: (occurred + TimeDelta::days(90)).timestamp(),
            }
        })
        .collect();
    c.bench_function("summary: aggregate 100k projected rows (30d)", |b| {
        b.iter(|| {
            let mut aggregation = Aggregation::new(window, now, Retention::default());
            for row in &rows {
                aggregation.add(RowFacts {
                    event: row.event,
                    tenant_id: &row.tenant,
                    workspace_id: &row.workspace,
                    occurred_at: row.occurred,
                    expires_at: row.expires_at,
                });
            }
            black_box(aggregation.finish())
        })
    });
}

criterion_group!(benches, record_hot_path, aggregation);
criterion_main!(benches);
