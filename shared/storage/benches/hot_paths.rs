//! Criterion benches for the pure hot paths (`cargo bench -p adoption-storage`):
//! record parse + validate + item build, and aggregation of 100k projected rows.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use chrono::{TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use domain::testing::DIAGNOSTICS_OPENED;
use domain::{
    Aggregation, CATALOG, EventName, IndexedMilestone, Milestone, OccurredAt, Retention, TenantId,
    Window, WindowKey, WorkspaceId,
};
use std::hint::black_box;
use storage::testing;

fn record_hot_path(c: &mut Criterion) {
    let raw = serde_json::json!({
        "event": DIAGNOSTICS_OPENED,
        "tenant_id": "tenant-0042",
        "workspace_id": "ws-0007",
        "actor_id": "user-100234",
        "event_id": "diag:run-998877:user-100234:2026-11-27",
        "occurred_at": "2026-11-27T09:30:00.250Z",
        "subject": {"type": "operation_run", "id": "run-998877"},
        "metadata": {"surface": "operation_run_viewer"}
    })
    .to_string();
    let now = domain::testing::at("2026-11-27T10:00:00Z");
    c.bench_function("record: parse + validate + item build", |b| {
        b.iter(|| {
            let milestone = Milestone::parse(black_box(&raw), now, Retention::default()).unwrap();
            black_box(testing::encode(&milestone))
        })
    });
}

fn aggregation(c: &mut Criterion) {
    let now = Utc::now();
    let window = Window::ending_at(WindowKey::Month, now);
    let rows: Vec<IndexedMilestone> = (0..100_000)
        .map(|i| {
            let occurred = now - TimeDelta::seconds(i64::from(i) * 25);
            IndexedMilestone {
                event: EventName::parse(CATALOG[i as usize % CATALOG.len()].name).unwrap(),
                tenant_id: TenantId::parse(&format!("tenant-{}", i % 200)).unwrap(),
                workspace_id: WorkspaceId::parse(&format!("ws-{}", (i / 200) % 5)).unwrap(),
                occurred_at: OccurredAt::from_instant(occurred),
                expires_at: (occurred + TimeDelta::days(90)).timestamp(),
            }
        })
        .collect();
    c.bench_function("summary: aggregate 100k projected rows (30d)", |b| {
        b.iter(|| {
            let mut aggregation = Aggregation::new(window, now, Retention::default());
            aggregation.add_all(&rows);
            black_box(aggregation.finish())
        })
    });
}

criterion_group!(benches, record_hot_path, aggregation);
criterion_main!(benches);
