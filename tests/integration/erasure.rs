//! Erasure leaves nothing a reviewer can find: after a tenant purge, a
//! person's purge and the next writer run (after its settle time), a scan
//! of the whole table finds no digest of the purged tenant's workspaces and
//! no id of the purged people, in any item: rows, roll-up heads and chunks,
//! window roll-ups, versions or tombstones.

use crate::support::fixtures::{row, seed};
use crate::support::{TestTable, Watcher, dynamodb_endpoint};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DurationRound, TimeDelta, Utc};
use domain::day_rollup::WorkspaceDigest;
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
    let aged =
        storage::testing::age_bumps(&ledger, domain::day_rollup::SETTLE + TimeDelta::minutes(1))
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
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let guide = std::fs::read_to_string(format!("{root}/docs/operations.md")).expect("guide");
    let table_start = guide
        .find("**What purge reaches, and when**")
        .expect("the erasure table");
    let rows: Vec<&str> = guide[table_start..]
        .lines()
        .skip_while(|line| !line.starts_with("| copy |"))
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .collect();
    assert!(rows.len() >= 9, "{rows:#?}");
    for row in rows {
        let held_by = row
            .trim_end_matches('|')
            .rsplit('|')
            .next()
            .expect("a column");
        let tests: Vec<&str> = held_by.split('`').skip(1).step_by(2).collect();
        if held_by.contains("(the host's)") {
            continue;
        }
        assert!(!tests.is_empty(), "a line without a test: {row}");
        for test in tests {
            let (module, name) = test.split_once("::").expect("module::test");
            let (file, needle) = if module.ends_with("Test") {
                (
                    format!("{root}/clients/php/tests/Laravel/{module}.php"),
                    format!("function {name}("),
                )
            } else {
                (
                    format!("{root}/tests/integration/{module}.rs"),
                    format!("fn {name}("),
                )
            };
            let source =
                std::fs::read_to_string(&file).unwrap_or_else(|_| panic!("{file} for {test}"));
            assert!(
                source.contains(&needle),
                "{test} is not a test in {file}: {row}"
            );
        }
    }
}
