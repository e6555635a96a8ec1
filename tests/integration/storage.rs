//! The storage crate against DynamoDB Local.

use crate::support::TestTable;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, Timelike, Utc};
use domain::testing::OPERATION_STARTED;
use domain::{EventId, Milestone, Retention};
use std::collections::HashSet;
use storage::testing::{self, Item, attr, shard_for};
use storage::{PutOutcome, QueryOptions};

fn milestone_at(event_id: &str, occurred_at: DateTime<Utc>, workspace: &str) -> Milestone {
    let raw = serde_json::json!({
        "event": OPERATION_STARTED,
        "tenant_id": "tenant-a",
        "workspace_id": workspace,
        "actor_id": "user-1",
        "event_id": event_id,
        "occurred_at": occurred_at.to_rfc3339(),
        "subject": {"type": "operation_run", "id": "run-1"},
        "metadata": {"operation_type": "backup"}
    });
    Milestone::parse(&raw.to_string(), Utc::now(), Retention::default()).expect("valid request")
}

/// On time or late, by the wall clock, as record decides.
fn arrival(milestone: &Milestone) -> domain::Arrival {
    domain::Arrival::of(milestone.occurred_at, Utc::now())
}

fn s<'a>(item: &'a Item, name: &str) -> &'a str {
    item[name].as_s().expect("string attribute")
}

#[tokio::test]
async fn put_writes_exactly_one_item_with_keys_fingerprint_ttl_and_index_attributes() {
    let table = TestTable::create().await;
    let occurred = Utc::now().with_nanosecond(250_000_000).expect("valid") - TimeDelta::hours(1);
    let milestone = milestone_at("op:run-1", occurred, "ws-1");
    assert_eq!(
        table
            .ledger()
            .record(&milestone, arrival(&milestone))
            .await
            .expect("put"),
        PutOutcome::Recorded
    );

    let items = table.rows().await;
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(s(item, attr::TENANT_ID), "tenant-a");
    assert_eq!(s(item, attr::EVENT_ID), "op:run-1");
    assert_eq!(s(item, attr::FINGERPRINT), milestone.fingerprint.as_str());
    // The TTL is the exact expiry (occurred_at + 90 days, .250 s) rounded up to
    // the next whole second, so TTL never removes a row before its expiry.
    let expected_ttl = (milestone.occurred_at.instant() + TimeDelta::days(90)).timestamp() + 1;
    assert_eq!(
        item[attr::EXPIRES_AT],
        AttributeValue::N(expected_ttl.to_string())
    );
    let day = occurred.date_naive().format("%Y-%m-%d").to_string();
    let shard = shard_for(&milestone.event_id);
    assert_eq!(s(item, attr::DAY_SHARD), format!("{day}#{shard}"));
    // Keys carry a fixed-length digest of the event id, never the text:
    // sha256("op:run-1")[..16] in hex, computed independently.
    let event_key = "c874ca911aac520418747504dedd2820";
    assert_eq!(s(item, attr::EVENT_KEY), event_key);
    assert_eq!(
        s(item, attr::TIME_KEY),
        format!(
            "{}#{event_key}",
            domain::format_millis(milestone.occurred_at.instant())
        )
    );
    assert_eq!(milestone.expires_at, expected_ttl);
    assert_eq!(
        testing::decode(item).expect("stored item maps back"),
        milestone
    );
}

#[tokio::test]
async fn duplicate_leaves_one_item_and_conflict_is_reported() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let occurred = Utc::now() - TimeDelta::minutes(5);
    let original = milestone_at("ev-1", occurred, "ws-1");
    assert_eq!(
        ledger
            .record(&original, arrival(&original))
            .await
            .expect("put"),
        PutOutcome::Recorded
    );
    assert_eq!(
        ledger
            .record(&original, arrival(&original))
            .await
            .expect("put"),
        PutOutcome::Duplicate
    );

    let changed = milestone_at("ev-1", occurred, "ws-2");
    assert_eq!(
        ledger
            .record(&changed, arrival(&changed))
            .await
            .expect("put"),
        PutOutcome::Conflict {
            existing_event: Some(original.event)
        }
    );

    let items = table.rows().await;
    assert_eq!(items.len(), 1);
    assert_eq!(
        s(&items[0], attr::WORKSPACE_ID),
        "ws-1",
        "a conflict must not overwrite"
    );
}

#[tokio::test]
async fn fifty_concurrent_identical_puts_leave_one_item() {
    let table = TestTable::create().await;
    let milestone = milestone_at("ev-race", Utc::now(), "ws-1");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let ledger = table.ledger();
        let milestone = milestone.clone();
        tasks.spawn(async move { ledger.record(&milestone, arrival(&milestone)).await });
    }
    let mut recorded = 0;
    let mut duplicates = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("task ran").expect("put succeeded") {
            PutOutcome::Recorded => recorded += 1,
            PutOutcome::Duplicate => duplicates += 1,
            PutOutcome::Conflict { .. } => panic!("identical content reported as a conflict"),
            PutOutcome::PurgeRaced => panic!("no purge, no guard"),
        }
    }
    assert_eq!((recorded, duplicates), (1, 49));
    assert_eq!(table.rows().await.len(), 1);
}

#[tokio::test]
async fn query_returns_exactly_the_partition_rows_in_range_across_pages() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let day_start = (Utc::now() - TimeDelta::days(1))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let from = day_start + TimeDelta::hours(6);
    let to = day_start + TimeDelta::hours(18);
    let target_shard = 2;

    // Event ids on the target shard, and some on other shards.
    let mut on_shard = Vec::new();
    let mut off_shard = Vec::new();
    for i in 0.. {
        let id = format!("ev-{i}");
        if shard_for(&EventId::parse(&id).expect("id")) == target_shard {
            on_shard.push(id);
        } else if off_shard.len() < 5 {
            off_shard.push(id);
        }
        if on_shard.len() == 30 && off_shard.len() == 5 {
            break;
        }
    }
    let mut expected = HashSet::new();
    for (i, id) in on_shard.iter().enumerate() {
        // Spread over the whole day: [0h, 24h) in 48-minute steps; the edges land exactly on `from` and `to`.
        let at = day_start + TimeDelta::minutes(48 * i as i64);
        if at >= from && at < to {
            expected.insert(id.clone());
        }
        let milestone = milestone_at(id, at, id);
        assert_eq!(
            ledger
                .record(&milestone, arrival(&milestone))
                .await
                .expect("put"),
            PutOutcome::Recorded
        );
    }
    assert!(
        expected
            .iter()
            .any(|id| id == &on_shard[(6 * 60 / 48) as usize + 1]),
        "fixture sanity"
    );
    for id in &off_shard {
        let milestone = milestone_at(id, from + TimeDelta::hours(1), id);
        ledger
            .record(&milestone, arrival(&milestone))
            .await
            .expect("put");
    }
    // The same shard on the next day, inside the time range's clock hours but not its day.
    let next_day_id = on_shard[0].clone() + "-next";
    let milestone = milestone_at(&next_day_id, Utc::now() - TimeDelta::minutes(1), "ws-1");
    ledger
        .record(&milestone, arrival(&milestone))
        .await
        .expect("put");

    // Off-shard rows inside the range count too: the read covers every shard of the day.
    expected.extend(off_shard.iter().cloned());
    let mut got = Vec::new();
    let stats = ledger
        .read_range(
            from,
            to,
            QueryOptions {
                page_limit: Some(3),
                ..QueryOptions::default()
            },
            |rows| {
                for row in rows {
                    assert!(row.occurred_at.instant() >= from && row.occurred_at.instant() < to);
                    // Each fixture row's workspace id is its event id.
                    got.push(row.workspace_id.as_str().to_owned());
                }
            },
        )
        .await
        .expect("query");
    let unique: HashSet<String> = got.iter().cloned().collect();
    assert_eq!(unique, expected);
    assert_eq!(got.len(), expected.len(), "no row twice");
    assert_eq!(stats.partitions, u32::from(storage::WRITE_SHARDS));
    assert!(
        stats.queries > 3 + u32::from(storage::WRITE_SHARDS),
        "several pages expected, got {}",
        stats.queries
    );
}

/// What the summary and prune roles can read (the time index) never holds the
/// caller's event id, nor the actor id or metadata it may embed.
#[tokio::test]
async fn the_time_index_never_carries_the_event_id_text() {
    let table = TestTable::create().await;
    let occurred = Utc::now() - TimeDelta::minutes(30);
    let event_id = "diag:secret-actor-7:2026-11-27";
    let milestone = milestone_at(event_id, occurred, "ws-1");
    assert_eq!(
        table
            .ledger()
            .record(&milestone, arrival(&milestone))
            .await
            .expect("put"),
        PutOutcome::Recorded
    );
    let day = occurred.date_naive().format("%Y-%m-%d").to_string();
    let shard = shard_for(&milestone.event_id);
    let page = table
        .client
        .query()
        .table_name(&table.name)
        .index_name(storage::TABLE_SHAPE.index_name)
        .key_condition_expression("#pk = :pk")
        .expression_attribute_names("#pk", attr::DAY_SHARD)
        .expression_attribute_values(":pk", AttributeValue::S(format!("{day}#{shard}")))
        .send()
        .await
        .expect("query the index");
    let items = page.items();
    assert_eq!(items.len(), 1, "the row is in the index");
    let text = format!("{:?}", items[0]);
    assert!(!text.contains("secret-actor"), "{text}");
    assert!(!items[0].contains_key(attr::EVENT_ID), "{text}");
    assert!(!items[0].contains_key(attr::ACTOR_ID), "{text}");
    assert!(!items[0].contains_key(attr::METADATA), "{text}");
    // The base table keeps the event id as sent, for the operator.
    let stored = table.rows().await;
    assert_eq!(s(&stored[0], attr::EVENT_ID), event_id);
}
