//! The erasure keyring through changes of its key, with the functions as
//! deployed (under `cargo lambda watch`, reading the keyring from the local
//! secret store): a key whose material changed under its id is refused, and
//! a rotation while record processes are warm stores nothing of an erased
//! person.

use crate::support::secrets::put_secret_value;
use crate::support::{TestTable, Watcher, dynamodb_endpoint};
use chrono::{TimeDelta, Utc};
use domain::testing::{ERASURE_KEYRING_JSON, REPORT_CREATED};
use domain::{ActorId, ErasureKeyring, PurgeRequest, TenantId};
use serde_json::json;
use tokio::task::block_in_place;

struct Never;
impl storage::StopSignal for Never {
    fn should_stop(&self) -> bool {
        false
    }
}

fn milestone(actor: &str, event_id: &str) -> serde_json::Value {
    json!({
        "event": REPORT_CREATED, "tenant_id": "t-a", "workspace_id": "t-a-w1",
        "actor_id": actor, "event_id": event_id, "metadata": {"report_type": "usage"},
        "occurred_at": (Utc::now() - TimeDelta::hours(1)).to_rfc3339()
    })
}

async fn purge(ledger: &storage::Ledger, actor: &str) {
    purge_at(ledger, actor, Utc::now()).await;
}

async fn purge_at(ledger: &storage::Ledger, actor: &str, at: chrono::DateTime<Utc>) {
    let request = PurgeRequest {
        tenant_id: TenantId::parse("t-a").expect("id"),
        actor_id: Some(ActorId::parse(actor).expect("id")),
    };
    let run = ledger.purge(&request, at, &Never).await.expect("purged");
    assert!(run.finished, "{run:?}");
}

/// A person purged under key `t1`; then the material under `t1` replaced
/// (an operator re-creating the secret by hand, or the stack regenerating
/// it); the functions start cold. The person's milestone from before the
/// purge is not stored (record fails, so the host's queue keeps it), and
/// prune says it cannot honour the tombstone.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_whose_material_changed_under_its_id_is_refused_and_nothing_erased_comes_back() {
    let table = TestTable::create().await;
    purge(&table.ledger(), "u-erased").await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    let replaced =
        json!({"current": "t1", "t1": "a-new-key-created-under-the-old-id-0123456789-abcd"});
    put_secret_value(&watcher.erasure_key_secret, &replaced.to_string());

    let answer = block_in_place(|| {
        watcher.invoke("record", &milestone("u-erased", "from-before").to_string())
    });
    assert_ne!(answer.json()["status"], "recorded", "{}", answer.body);
    assert!(
        answer.body.contains("errorType") || answer.status >= 500,
        "a retryable error, never an answer: {} {}",
        answer.status,
        answer.body
    );
    assert!(table.event_ids().await.is_empty(), "nothing stored");
    let line = watcher
        .output()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["fields"]["message"] == "record failed")
        .expect("record's outcome line");
    assert!(
        line.to_string().contains("does not match its check value"),
        "{line}"
    );

    // The tombstone settled; prune cannot judge its rows with this keyring.
    storage::testing::age_tombstones(
        &table.ledger(),
        domain::rollup::SETTLE + TimeDelta::minutes(1),
    )
    .await
    .expect("age");
    let report = block_in_place(|| watcher.invoke("prune", r#"{"dry_run": false}"#)).json();
    assert_eq!(report["tombstones_failed"], 1, "{report}");
    assert_eq!(report["finished"], false, "{report}");
}

/// A rotation while record processes are warm: record loaded the keyring
/// (`t1` current) before the rotation; a purge that starts after it makes
/// its tombstone under the new key `k2`. The warm record process finds `k2`
/// named by the tenant's people marker, loads the keyring again, and
/// refuses the erased person's milestone (`purged`).
#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_with_warm_record_processes_stores_nothing_of_an_erased_person() {
    let table = TestTable::create().await;
    // Someone of the tenant was erased earlier, under t1: record loads the
    // keyring for this tenant.
    purge(&table.ledger(), "u-earlier").await;
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);
    let warm =
        block_in_place(|| watcher.invoke("record", &milestone("u-kept", "warm").to_string()))
            .json();
    assert_eq!(warm["status"], "recorded", "{warm}");

    // Step 1 of the runbook's rotation: the new key, made current.
    let mut rotated: serde_json::Value = serde_json::from_str(ERASURE_KEYRING_JSON).expect("json");
    rotated["k2"] = "the-rotated-erasure-key-0123456789-abcdefghijklmnopq".into();
    rotated["current"] = "k2".into();
    put_secret_value(&watcher.erasure_key_secret, &rotated.to_string());
    // A purge that starts after it (a purge process that loaded the new keyring).
    let after = ErasureKeyring::parse(&rotated.to_string()).expect("keyring");
    purge(&table.ledger().with_erasure_keys(after), "u-leaver").await;
    let tombstones = storage::testing::tombstones(&table.ledger())
        .await
        .expect("tombstones");
    assert!(
        tombstones.iter().any(|t| t
            .scope
            .actor
            .as_ref()
            .is_some_and(|d| d.key().as_str() == "k2")),
        "the new tombstone is made under k2"
    );

    // The warm record process: the erased person's milestone from before the purge.
    let late =
        block_in_place(|| watcher.invoke("record", &milestone("u-leaver", "late").to_string()))
            .json();
    assert_eq!(late["status"], "purged", "{late}");
    assert_eq!(
        table.event_ids().await,
        ["warm"],
        "nothing of the erased person"
    );
    // Others still record, with the reloaded keyring.
    let other =
        block_in_place(|| watcher.invoke("record", &milestone("u-kept", "after").to_string()))
            .json();
    assert_eq!(other["status"], "recorded", "{other}");
}

/// A point-in-time restore to a moment before a purge brings the purged
/// rows back and loses the tombstone written after it. The erasure log (a
/// table the restore does not reach) still holds it: the first prune on
/// the restored table writes it back and erases the person's rows again,
/// and record refuses the person's milestones as before.
#[tokio::test(flavor = "multi_thread")]
async fn a_table_restored_from_before_a_purge_holds_none_of_the_erased_persons_rows_after_one_prune()
 {
    let table = TestTable::create().await;
    let log = TestTable::create_erasure_log().await;
    let ledger = table.ledger().with_erasure_log(&log.name);
    let at = Utc::now() - TimeDelta::hours(2);
    let mut rows = Vec::new();
    for (i, actor) in ["u-gone", "u-kept", "u-gone", "u-kept"].iter().enumerate() {
        let mut r =
            crate::support::fixtures::row(REPORT_CREATED, "t-a", "t-a-w1", &format!("r-{i}"), at);
        r.actor_id = ActorId::parse(actor).expect("id");
        rows.push(r);
    }
    storage::testing::load(&ledger, &rows, 2)
        .await
        .expect("seed");
    // The point in time a restore goes back to: before the purge.
    let backup = table.all_items().await;
    assert_eq!(backup.len(), 4);
    // The purge, an hour ago (the restore comes later: its tombstone has
    // settled by the first prune after it).
    purge_at(&ledger, "u-gone", Utc::now() - TimeDelta::hours(1)).await;
    assert_eq!(table.event_ids().await, ["r-1", "r-3"]);

    // The restore: a new table from the template, holding the table as it was.
    let restored = TestTable::create().await;
    for item in backup {
        storage::testing::put_raw(&restored.ledger(), item)
            .await
            .expect("restore an item");
    }
    assert_eq!(
        restored.event_ids().await,
        ["r-0", "r-1", "r-2", "r-3"],
        "the back door: the erased rows are back"
    );
    assert!(
        storage::testing::tombstones(&restored.ledger())
            .await
            .expect("tombstones")
            .is_empty(),
        "and no tombstone"
    );

    // The first prune on it (the stack's functions, pointed at the restored table).
    let restored_ledger = restored.ledger().with_erasure_log(&log.name);
    let plan = storage::PrunePlan::new(
        Utc::now(),
        domain::Retention::default(),
        2,
        std::time::Duration::from_secs(48 * 3600),
        false,
    );
    let report = restored_ledger
        .prune(plan, &Never, storage::QueryOptions::default())
        .await;
    assert_eq!(report.tombstones_reapplied, 1, "{report:?}");
    assert_eq!(report.tombstones_failed, 0, "{report:?}");
    assert_eq!(
        restored.event_ids().await,
        ["r-1", "r-3"],
        "none of the erased person's rows: {report:?}"
    );
    // And the person stays erased: record refuses their milestone.
    let covering = restored_ledger
        .tombstones_covering(
            &TenantId::parse("t-a").expect("id"),
            &ActorId::parse("u-gone").expect("id"),
        )
        .await
        .expect("read");
    assert_eq!(covering.tombstones.len(), 1, "{covering:?}");
}
