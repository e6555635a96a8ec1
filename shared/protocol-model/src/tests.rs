//! The protocol checked over every interleaving, and each race put back
//! found by the checker.

use super::*;
use stateright::{Checker, HasDiscoveries, Model};

fn row(workspace: Workspace, late: bool) -> RowSpec {
    RowSpec {
        workspace,
        late,
        readable: true,
        of_purged_person: false,
    }
}

/// The protocol as the code runs it, with `rows` and `purge`.
fn protocol(rows: Vec<RowSpec>, purge: Option<PurgeSpec>) -> Protocol {
    Protocol {
        rows,
        purge,
        long_retention: 4,
        short_retention: 2,
        retention_changes: 2,
        skew: 1,
        longest_delete: 1,
        writer_runs: 2,
        horizon: 5,
        races: Races::default(),
        rebuilt_summaries: Default::default(),
    }
}

fn across_a_retention_change() -> Protocol {
    protocol(vec![row(0, false), row(1, false)], None)
}

fn with_a_late_row() -> Protocol {
    protocol(vec![row(0, false), row(1, true)], None)
}

fn with_a_persons_purge() -> Protocol {
    let person = RowSpec {
        of_purged_person: true,
        ..row(0, false)
    };
    Protocol {
        // Rows live past the settle time after a late row's bump, so a
        // rebuilt head counts a row; retention changes are the first two
        // scenarios' subject.
        long_retention: 6,
        horizon: 7,
        retention_changes: 0,
        ..protocol(vec![person, row(1, true)], Some(PurgeSpec::Person))
    }
}

fn with_a_tenant_purge() -> Protocol {
    let unreadable = RowSpec {
        readable: false,
        ..row(1, false)
    };
    protocol(vec![row(0, false), unreadable], Some(PurgeSpec::Tenant))
}

/// The scenarios the model is checked over: each small, together covering
/// every actor.
fn scenarios() -> Vec<(&'static str, Protocol)> {
    vec![
        (
            "two rows across retention changes",
            across_a_retention_change(),
        ),
        ("an on-time and a late row", with_a_late_row()),
        ("a person's purge beside a late row", with_a_persons_purge()),
        (
            "a tenant purge with an unreadable row",
            with_a_tenant_purge(),
        ),
    ]
}

struct Explored {
    states: usize,
    unique: usize,
    /// Each property violated, with the steps that violate it.
    violated: BTreeMap<&'static str, Vec<Action>>,
}

fn check(model: Protocol) -> Explored {
    explore(model, HasDiscoveries::All)
}

fn explore(model: Protocol, finish_when: HasDiscoveries) -> Explored {
    let checker = model
        .checker()
        .threads(2)
        .finish_when(finish_when)
        .spawn_bfs()
        .join();
    let violated = checker
        .discoveries()
        .into_iter()
        .map(|(name, path)| (name, path.into_actions()))
        .collect();
    Explored {
        states: checker.state_count(),
        unique: checker.unique_state_count(),
        violated,
    }
}

#[test]
fn every_interleaving_keeps_every_summary_exact_and_the_retention() {
    for (name, model) in scenarios() {
        let rebuilt = model.rebuilt_summaries.clone();
        let explored = check(model);
        let k = rebuilt.load(std::sync::atomic::Ordering::Relaxed);
        println!(
            "model {name}: {} states, {k} summaries over a rebuilt head that counts a row",
            explored.unique
        );
        assert!(
            explored.unique > 1_000,
            "{name}: too few states to mean anything"
        );
        assert!(
            k > 0,
            "{name}: no summary over a rebuilt head that counts a row: the check proves little"
        );
        assert!(
            explored.violated.is_empty(),
            "{name}: {:#?}",
            explored.violated
        );
    }
}

const EXACT: &str = "every summary counts each row as a moment of its read saw it";
const RETENTION: &str = "no window roll-up outlives the retention once the writer ran";

/// Checks `model` with `race` put back, and says which property broke, and how.
fn with_race(mut model: Protocol, race: fn(&mut Races)) -> BTreeMap<&'static str, Vec<Action>> {
    race(&mut model.races);
    let name = model.races.put_back().join(", ");
    let explored = explore(model, HasDiscoveries::AnyFailures);
    for (property, steps) in &explored.violated {
        println!(
            "protocol model: put back {}: counterexample to \"{property}\" after {} states: {steps:?}",
            name, explored.states
        );
    }
    explored.violated
}

#[test]
fn a_version_counter_that_restarts_gives_a_counterexample() {
    // A stale head matches again: the first property to see it breaks.
    let found = with_race(with_a_late_row(), |r| r.counter_restarts = true);
    assert!(
        found.contains_key(EXACT) || found.contains_key(CHUNKS),
        "{found:?}"
    );
}

#[test]
fn chunks_keyed_by_the_version_alone_give_a_counterexample() {
    let found = with_race(across_a_retention_change(), |r| {
        r.chunks_keyed_by_version = true
    });
    assert!(found.contains_key(EXACT), "{found:?}");
}

#[test]
fn a_settle_time_within_the_longest_delete_gives_a_counterexample() {
    let found = with_race(with_a_persons_purge(), |r| {
        r.settle_within_longest_delete = true
    });
    assert!(found.contains_key(EXACT), "{found:?}");
}

#[test]
fn an_unreadable_row_purged_without_a_bump_gives_a_counterexample() {
    let found = with_race(with_a_tenant_purge(), |r| {
        r.unreadable_deleted_without_bump = true
    });
    assert!(found.contains_key(EXACT), "{found:?}");
}

#[test]
fn window_rollups_left_past_a_shortened_retention_give_a_counterexample() {
    let found = with_race(across_a_retention_change(), |r| {
        r.windows_outlive_retention = true
    });
    assert!(found.contains_key(RETENTION), "{found:?}");
}

#[test]
fn prune_deleting_without_a_bump_gives_a_counterexample() {
    let found = with_race(across_a_retention_change(), |r| {
        r.prune_deletes_without_bump = true
    });
    assert!(found.contains_key(EXACT), "{found:?}");
}

#[test]
fn a_head_built_by_a_clock_ahead_gives_a_counterexample() {
    let found = with_race(across_a_retention_change(), |r| {
        r.heads_from_the_future = true
    });
    assert!(found.contains_key(EXACT), "{found:?}");
}

const CHUNKS: &str = "a current head has every chunk it names";

#[test]
fn a_bump_that_moves_bumped_at_back_gives_a_counterexample() {
    let found = with_race(with_a_persons_purge(), |r| r.bumped_at_goes_back = true);
    assert!(found.contains_key(EXACT), "{found:?}");
}

#[test]
fn two_writer_runs_without_the_lease_give_a_counterexample() {
    let found = with_race(with_a_late_row(), |r| r.writers_overlap = true);
    assert!(found.contains_key(CHUNKS), "{found:?}");
}
