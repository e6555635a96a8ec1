//! Erasure leaves nothing a reviewer can find: after a tenant purge, a
//! person's purge and the next writer run (after its settle time), a scan
//! of the whole table finds no digest of the purged tenant's workspaces and
//! no id of the purged people, in any item: rows, roll-up heads and chunks,
//! window roll-ups, versions or tombstones.

use crate::support::fixtures::{row, seed};
use crate::support::{TestTable, Watcher, dynamodb_endpoint};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DurationRound, TimeDelta, Utc};
use domain::rollup::WorkspaceDigest;
use domain::testing::{OPERATION_STARTED, REPORT_CREATED};
use domain::{ActorId, Milestone, WorkspaceId};
use serde_json::json;
use std::collections::HashMap;
use tokio::task::block_in_place;

/// `count` rows of `tenant` over the last `days` days (the newest 2.5 hours
/// ago, so the writer rolls up their hours too), across `actors` and
/// `workspaces`.
fn rows(tenant: &str, count: usize, actors: &[&str], workspaces: &[&str]) -> Vec<Milestone> {
    let now = Utc::now()
        .duration_trunc(TimeDelta::milliseconds(1))
        .expect("truncate");
    let step = TimeDelta::days(4) / count as i32;
    (0..count)
        .map(|i| {
            let mut r = row(
                [OPERATION_STARTED, REPORT_CREATED][i % 2],
                tenant,
                workspaces[i % workspaces.len()],
                &format!("{tenant}-{i}"),
                now - TimeDelta::hours(2) - TimeDelta::minutes(30) - step * i as i32,
            );
            r.actor_id = ActorId::parse(actors[i % actors.len()]).expect("actor");
            r
        })
        .collect()
}

/// Every byte string an attribute value holds, nested ones included.
fn bytes_of(value: &AttributeValue, out: &mut Vec<Vec<u8>>) {
    match value {
        AttributeValue::S(text) | AttributeValue::N(text) => out.push(text.as_bytes().to_vec()),
        AttributeValue::B(blob) => out.push(blob.as_ref().to_vec()),
        AttributeValue::Bs(blobs) => out.extend(blobs.iter().map(|b| b.as_ref().to_vec())),
        AttributeValue::Ss(texts) | AttributeValue::Ns(texts) => {
            out.extend(texts.iter().map(|t| t.as_bytes().to_vec()))
        }
        AttributeValue::L(values) => values.iter().for_each(|v| bytes_of(v, out)),
        AttributeValue::M(map) => map.iter().for_each(|(k, v)| {
            out.push(k.as_bytes().to_vec());
            bytes_of(v, out)
        }),
        _ => {}
    }
}

/// The items of `items` (by their keys) that hold `needle` anywhere.
fn holding(items: &[HashMap<String, AttributeValue>], needle: &[u8]) -> Vec<String> {
    items
        .iter()
        .filter(|item| {
            let mut all = Vec::new();
            for (name, value) in item.iter() {
                all.push(name.as_bytes().to_vec());
                bytes_of(value, &mut all);
            }
            all.iter()
                .any(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
        })
        .map(|item| {
            let key = |name: &str| {
                item.get(name)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default()
            };
            format!("{} / {}", key("tenant_id"), key("event_key"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_tenant_and_a_person_purge_and_the_next_writer_run_no_item_holds_a_trace() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let gone_workspaces = ["gone-ws-1", "gone-ws-2", "gone-ws-3"];
    seed(
        &ledger,
        rows("t-gone", 120, &["person-a", "person-b"], &gone_workspaces),
    )
    .await;
    // In the tenant that stays, one person is erased and one stays.
    seed(
        &ledger,
        rows(
            "t-stay",
            60,
            &["person-c", "person-kept"],
            &["stay-ws-1", "stay-ws-2"],
        ),
    )
    .await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    let built = block_in_place(|| watcher.invoke("rollup", "{}")).json();
    assert_eq!(built["finished"], true, "{built}");

    let digests: Vec<(String, WorkspaceDigest)> = gone_workspaces
        .iter()
        .map(|w| {
            (
                w.to_string(),
                WorkspaceDigest::of(&WorkspaceId::parse(w).expect("id")),
            )
        })
        .collect();
    // Before: the roll-ups hold the tenant's digests (so the scan below can fail).
    let before = table.all_items().await;
    for (workspace, digest) in &digests {
        let found = holding(&before, digest.as_bytes());
        assert!(
            found.iter().any(|key| key.starts_with("#rollup")),
            "{workspace}'s digest is in the roll-ups before the purge: {found:?}"
        );
    }

    for request in [
        json!({"scope": "tenant", "tenant_id": "t-gone"}),
        json!({"scope": "actor", "tenant_id": "t-stay", "actor_id": "person-c"}),
    ] {
        let answer = block_in_place(|| watcher.invoke("purge", &request.to_string())).json();
        assert_eq!(answer["status"], "done", "{request}: {answer}");
    }
    // The writer's next run, once the purge's bumps have settled.
    let aged = storage::testing::age_bumps(&ledger, domain::rollup::SETTLE + TimeDelta::minutes(1))
        .await
        .expect("age the bumps");
    assert!(aged > 0, "the purges bumped versions");
    let rebuilt = block_in_place(|| watcher.invoke("rollup", "{}")).json();
    assert_eq!(rebuilt["finished"], true, "{rebuilt}");
    assert_eq!(rebuilt["windows_settling"], 0, "{rebuilt}");
    assert!(
        rebuilt["rollups_swept"].as_u64().is_some_and(|n| n > 0),
        "the replaced chunk sets went: {rebuilt}"
    );

    let after = table.all_items().await;
    for (workspace, digest) in &digests {
        assert_eq!(
            holding(&after, digest.as_bytes()),
            Vec::<String>::new(),
            "{workspace}'s digest"
        );
        assert_eq!(
            holding(&after, workspace.as_bytes()),
            Vec::<String>::new(),
            "{workspace}"
        );
    }
    for person in ["person-a", "person-b", "person-c"] {
        assert_eq!(
            holding(&after, person.as_bytes()),
            Vec::<String>::new(),
            "{person}"
        );
    }
    // What was not purged is still there, roll-ups included.
    assert!(!holding(&after, b"person-kept").is_empty());
    let kept = WorkspaceDigest::of(&WorkspaceId::parse("stay-ws-2").expect("id"));
    assert!(
        holding(&after, kept.as_bytes())
            .iter()
            .any(|key| key.starts_with("#rollup")),
        "the other tenant's roll-ups remain"
    );
}

/// The erasure table in docs/operations.md ("What purge reaches, and when")
/// names, on every line, the tests that hold it; each named test exists
/// (a Rust test in this binary's modules, or a PHPUnit test of the package).
#[test]
fn every_line_of_the_erasure_table_names_tests_that_exist() {
    crate::support::doc_tables::assert_every_line_names_tests_that_exist(
        "docs/operations.md",
        ("**What purge reaches, and when**", "| copy |"),
        9,
        Some("(the host's)"),
    );
}

/// A stop signal that has always fired: a purge writes its tombstone and
/// deletes nothing (as one cut off by its deadline).
struct Stopped;

impl storage::StopSignal for Stopped {
    fn should_stop(&self) -> bool {
        true
    }
}

struct Never;

impl storage::StopSignal for Never {
    fn should_stop(&self) -> bool {
        false
    }
}

/// Purges person `u-1` of tenant `t-a` at `at`, straight through storage.
async fn purge_person(
    ledger: &storage::Ledger,
    at: chrono::DateTime<Utc>,
    stop: &impl storage::StopSignal,
) -> storage::PurgeRun {
    let request = domain::PurgeRequest {
        tenant_id: domain::TenantId::parse("t-a").expect("id"),
        actor_id: Some(ActorId::parse("u-1").expect("id")),
    };
    ledger
        .purge(&request, at, stop)
        .await
        .expect("the tombstone is written")
}

/// A tombstone prune cannot honour (here: made with a key the keyring no
/// longer has) is counted and alarmed (`TombstonesFailed`), and the run is
/// not finished, so the heartbeat says so too.
#[tokio::test(flavor = "multi_thread")]
async fn a_tombstone_prune_cannot_honour_is_counted_alarmed_and_fails_the_run() {
    let table = TestTable::create().await;
    let lost_key = domain::ErasureKeyring::parse(
        r#"{"current": "gone", "gone": "a-key-removed-too-early-0123456789-abcdefghij"}"#,
    )
    .expect("keyring");
    // Settled: prune's closing walk takes it (and cannot judge its rows).
    let run = purge_person(
        &table.ledger().with_erasure_keys(lost_key),
        Utc::now() - domain::rollup::SETTLE - TimeDelta::minutes(1),
        &Never,
    )
    .await;
    assert!(run.finished, "{run:?}");
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    let report = block_in_place(|| watcher.invoke("prune", r#"{"dry_run": false}"#)).json();
    assert_eq!(report["tombstones"], 1, "{report}");
    assert_eq!(report["tombstones_failed"], 1, "{report}");
    assert_eq!(report["finished"], false, "{report}");
    let output = watcher.output();
    let line = output
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["fields"]["message"] == "prune")
        .expect("prune's outcome line");
    assert_eq!(line["fields"]["outcome"], "tombstones_failed", "{line}");
    assert_eq!(line["level"], "WARN", "{line}");
    // Metrics are flushed after the response: poll (bounded) for the document.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let metric = loop {
        let found = watcher
            .output()
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|doc| doc.get(wiring::emf::metric::TOMBSTONES_FAILED).is_some());
        if let Some(doc) = found {
            break doc;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no TombstonesFailed metric within 20 s:\n{}",
            watcher.output()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(
        metric[wiring::emf::metric::TOMBSTONES_FAILED].as_f64(),
        Some(1.0),
        "{metric}"
    );
    assert_eq!(metric[wiring::emf::FUNCTION_DIMENSION], "prune", "{metric}");
}

/// A person's purge that never answered done, later covered by a purge of
/// the whole tenant, is done: no `PurgeUnfinishedAlarm` for the tombstone's
/// whole life.
#[tokio::test(flavor = "multi_thread")]
async fn a_persons_tombstone_a_tenant_purge_covers_is_done_not_unfinished() {
    let table = TestTable::create().await;
    let run = purge_person(&table.ledger(), Utc::now() - TimeDelta::hours(2), &Stopped).await;
    assert!(!run.finished, "cut off before done: {run:?}");
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    let tenant =
        block_in_place(|| watcher.invoke("purge", r#"{"scope": "tenant", "tenant_id": "t-a"}"#))
            .json();
    assert_eq!(tenant["status"], "done", "{tenant}");
    let report = block_in_place(|| watcher.invoke("prune", r#"{"dry_run": false}"#)).json();
    assert_eq!(report["tombstones"], 2, "{report}");
    assert_eq!(report["purges_unfinished"], 0, "{report}");
    assert_eq!(report["tombstones_failed"], 0, "{report}");
    assert_eq!(report["finished"], true, "{report}");
}

/// The erasure keyring is loaded only on the first need for it, once: a
/// record in a tenant where nobody was erased never waits for the secret
/// store (so no cold start does), and the one read that finds a tenant's
/// people marker loads it and reads the person's tombstones.
#[tokio::test(flavor = "multi_thread")]
async fn record_loads_the_erasure_key_only_where_someone_was_erased_and_once() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let table = TestTable::create().await;
    let loads = Arc::new(AtomicUsize::new(0));
    let counted = loads.clone();
    let lazy = storage::Ledger::new(table.client.clone(), &table.name).with_erasure_key_loader(
        move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, std::io::Error>(domain::testing::erasure_keyring()) }
        },
    );
    let tenant = |id: &str| domain::TenantId::parse(id).expect("id");
    let actor = ActorId::parse("u-1").expect("id");
    let none = lazy
        .tombstones_covering(&tenant("t-a"), &actor)
        .await
        .expect("read");
    assert!(none.tombstones.is_empty());
    assert!(none.guard.is_none(), "no tombstone, no guard: a plain put");
    assert_eq!(
        loads.load(Ordering::SeqCst),
        0,
        "nobody erased: no key needed"
    );

    purge_person(&table.ledger(), Utc::now(), &Never).await;
    for _ in 0..3 {
        let found = lazy
            .tombstones_covering(&tenant("t-a"), &actor)
            .await
            .expect("read");
        assert_eq!(found.tombstones.len(), 1, "{found:?}");
        assert!(found.tombstones[0].scope.actor.is_some());
        assert!(
            found.guard.is_some(),
            "someone of the tenant was erased: the put is guarded"
        );
    }
    assert_eq!(
        loads.load(Ordering::SeqCst),
        1,
        "loaded once, on first need"
    );
    // Another tenant, nobody erased there: still no second load.
    let other = lazy
        .tombstones_covering(&tenant("t-b"), &actor)
        .await
        .expect("read");
    assert!(other.tombstones.is_empty());
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

/// Record's check-then-put window, closed where a tenant has a tombstone: a
/// purge of the person (or of the whole tenant) that lands between record's
/// read of the tombstones and its put refuses the put (`PurgeRaced`), and
/// nothing is stored; read again, the milestone is `purged`. Without the
/// guard (a tenant with no tombstone at the read) the put would land: the
/// row prune's closing walk takes.
#[tokio::test(flavor = "multi_thread")]
async fn a_milestone_racing_a_purge_is_refused_not_stored() {
    let table = TestTable::create().await;
    let ledger = table.ledger();
    let now = Utc::now();
    let tenant = domain::TenantId::parse("t-a").expect("id");
    let purge = |actor: Option<&str>, at| {
        let request = domain::PurgeRequest {
            tenant_id: tenant.clone(),
            actor_id: actor.map(|a| ActorId::parse(a).expect("id")),
        };
        let ledger = ledger.clone();
        async move { ledger.purge(&request, at, &Never).await.expect("purge") }
    };
    // Someone of the tenant was erased earlier: its puts are guarded.
    purge(Some("u-earlier"), now - TimeDelta::hours(2)).await;
    for (racing, actor) in [(Some("u-1"), "u-1"), (None, "u-2")] {
        let mut milestone = row(
            REPORT_CREATED,
            "t-a",
            "t-a-w1",
            &format!("race-{actor}"),
            now - TimeDelta::minutes(10),
        );
        milestone.actor_id = ActorId::parse(actor).expect("id");
        let arrival = domain::Arrival::of(milestone.occurred_at, now);
        let read = ledger
            .tombstones_covering(&tenant, &milestone.actor_id)
            .await
            .expect("read");
        assert!(
            read.guard.is_some(),
            "a tenant with an erased person is guarded"
        );
        let keys = ledger.loaded_erasure_keys();
        assert!(
            !domain::Tombstone::any_erases(&read.tombstones, &milestone, keys.as_deref())
                .expect("judged")
        );
        // The purge (of the person, then of the whole tenant) lands now.
        purge(racing, Utc::now()).await;
        let put = ledger
            .record_guarded(&milestone, arrival, read.guard.as_ref())
            .await
            .expect("the transaction answered");
        assert_eq!(put, storage::PutOutcome::PurgeRaced, "{actor}");
        assert!(
            table
                .event_ids()
                .await
                .iter()
                .all(|id| !id.starts_with("race-")),
            "nothing stored"
        );
        // Read again: the purge covers it.
        let again = ledger
            .tombstones_covering(&tenant, &milestone.actor_id)
            .await
            .expect("read");
        let keys = ledger.loaded_erasure_keys();
        assert!(
            domain::Tombstone::any_erases(&again.tombstones, &milestone, keys.as_deref())
                .expect("judged"),
            "{actor}: purged"
        );
    }
}
