//! The steps: what each actor may do in a state, and what it does.

use crate::*;
use stateright::{Model, Property};
use std::collections::{BTreeMap, BTreeSet};

impl Model for Protocol {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        vec![State {
            now: 0,
            retention: self.long_retention,
            retention_changes: 0,
            rows: BTreeMap::new(),
            recorded: BTreeSet::new(),
            shard: None,
            head: None,
            chunks: BTreeMap::new(),
            builds: 0,
            windows: BTreeSet::new(),
            writer: Writer::Idle,
            writer_runs: 0,
            runs_since_change: 0,
            summary: Summary::Idle,
            purge: PurgeStage::NotStarted,
            wrong_answer: None,
        }]
    }

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        if state.wrong_answer.is_some() {
            return;
        }
        let summary_idle = state.summary == Summary::Idle;
        // A summary takes no time: the clock stands still while one reads.
        if state.now < self.horizon && summary_idle && !self.purge_deadline_passed(state) {
            actions.push(Action::Tick);
        }
        if state.retention_changes < self.retention_changes {
            actions.push(Action::ChangeRetention);
        }
        for (id, spec) in self.rows.iter().enumerate() {
            let id = id as RowId;
            let open = if spec.late {
                state.now >= 1 && self.in_retention(state, state.now)
            } else {
                state.now == 0
            };
            if open && !state.recorded.contains(&id) && !self.tombstoned(state, id) {
                actions.push(Action::Record(id));
            }
        }
        match &state.writer {
            Writer::Idle if state.now >= 1 && state.writer_runs < self.writer_runs => {
                actions.push(Action::WriterDayVersions { ahead: false });
                if self.skew > 0 {
                    actions.push(Action::WriterDayVersions { ahead: true });
                }
            }
            Writer::Idle => {}
            Writer::Read { .. } => actions.push(Action::WriterReadRange),
            Writer::Built { .. } => actions.push(Action::WriterPutChunks),
            Writer::Chunked { .. } => actions.push(Action::WriterStoreHead),
            Writer::Sweep { .. } => actions.push(Action::WriterWindowsAndSweep),
        }
        if let Some(spec) = self.purge {
            match state.purge {
                PurgeStage::NotStarted if state.now >= 1 => actions.push(Action::PurgeTombstone),
                PurgeStage::Tombstoned => actions.push(Action::PurgeBumpSpan),
                PurgeStage::Deleting { .. } => {
                    let mut pending = false;
                    for id in self.purged_rows(spec) {
                        if state.rows.contains_key(&id) {
                            pending = true;
                            actions.push(Action::PurgeDelete(id));
                        }
                    }
                    if !pending {
                        actions.push(Action::PurgeFinished);
                    }
                }
                _ => {}
            }
        }
        if !self.in_retention(state, state.now) {
            for id in state.rows.keys() {
                actions.push(Action::PruneDelete(*id));
            }
        }
        for (id, row) in &state.rows {
            if row.expires_at <= state.now {
                actions.push(Action::TtlRow(*id));
            }
        }
        if state.shard.is_some_and(|s| s.expires_at <= state.now) {
            actions.push(Action::TtlShard);
        }
        if state
            .head
            .as_ref()
            .is_some_and(|h| h.expires_at <= state.now)
        {
            actions.push(Action::TtlHead);
        }
        for (set, (_, expires_at)) in &state.chunks {
            if *expires_at <= state.now {
                actions.push(Action::TtlChunks(*set));
            }
        }
        for window in &state.windows {
            if window.expires_at <= state.now {
                actions.push(Action::TtlWindow(*window));
            }
        }
        match &state.summary {
            Summary::Idle if state.now >= 1 && self.in_retention(state, state.now) => {
                actions.push(Action::SummaryDayVersions)
            }
            Summary::Idle => {}
            Summary::Versions { .. } => actions.push(Action::SummaryCurrentHeads),
            Summary::Head { .. } => actions.push(Action::SummaryWithChunks),
        }
    }

    fn next_state(&self, last: &State, action: Action) -> Option<State> {
        let mut state = last.clone();
        match action {
            Action::Tick => state.now += 1,
            Action::ChangeRetention => {
                state.retention = if state.retention == self.long_retention {
                    self.short_retention
                } else {
                    self.long_retention
                };
                state.retention_changes += 1;
                state.runs_since_change = 0;
            }
            Action::Record(id) => {
                let expires_at = state.retention;
                state.rows.insert(id, Row { expires_at });
                state.recorded.insert(id);
                if self.rows[id as usize].late {
                    // The put and the bump in one transaction; the shard's
                    // TTL from the row's retention.
                    self.bump(&mut state);
                }
            }
            Action::WriterDayVersions { ahead } => {
                let now = state.now + if ahead { self.skew } else { 0 };
                if !self.in_retention(&state, now) {
                    // `delete_bookkeeping_before`: the day is outside the
                    // retention; its roll-ups go, its version stays (its TTL
                    // is past every retention; deleted, it would take the
                    // last bump's settle time with it, and its counter).
                    state.head = None;
                    state.chunks.clear();
                    if self.races.counter_restarts {
                        state.shard = None;
                    }
                    state.writer = Writer::Sweep { now };
                    return Some(state);
                }
                let current = version_of(&state.shard);
                let head_usable = state.head.as_ref().is_some_and(|h| {
                    h.version == current && h.valid_until.is_none_or(|until| until > now)
                });
                let settling = state
                    .shard
                    .is_some_and(|s| now < s.bumped_at + self.settle());
                state.writer = if head_usable || settling {
                    Writer::Sweep { now }
                } else {
                    Writer::Read {
                        now,
                        version: current,
                    }
                };
            }
            Action::WriterReadRange => {
                let Writer::Read { now, version } = state.writer else {
                    return None;
                };
                let rows: BTreeSet<RowId> = state
                    .rows
                    .iter()
                    .filter(|(_, row)| row.expires_at > now)
                    .map(|(id, _)| *id)
                    .collect();
                let valid_until = rows.iter().map(|id| state.rows[id].expires_at).min();
                state.writer = Writer::Built {
                    now,
                    version,
                    rows,
                    valid_until,
                };
            }
            Action::WriterPutChunks => {
                let Writer::Built {
                    now,
                    version,
                    rows,
                    valid_until,
                } = state.writer.clone()
                else {
                    return None;
                };
                let chunk_set = if self.races.chunks_keyed_by_version {
                    version.map_or(0, |c| 1 + c)
                } else {
                    state.builds += 1;
                    100 + state.builds
                };
                let workspaces = rows
                    .iter()
                    .map(|id| self.rows[*id as usize].workspace)
                    .collect();
                let expires_at = head_expiry(valid_until, 1 + state.retention);
                state.chunks.insert(chunk_set, (workspaces, expires_at));
                state.writer = Writer::Chunked {
                    now,
                    version,
                    rows,
                    valid_until,
                    chunk_set,
                };
            }
            Action::WriterStoreHead => {
                let Writer::Chunked {
                    now,
                    version,
                    rows,
                    valid_until,
                    chunk_set,
                } = state.writer.clone()
                else {
                    return None;
                };
                if version_of(&state.shard) == version {
                    state.head = Some(Head {
                        version,
                        chunk_set,
                        rows,
                        valid_until,
                        built_at: now,
                        expires_at: head_expiry(valid_until, 1 + state.retention),
                    });
                }
                state.writer = Writer::Sweep { now };
            }
            Action::WriterWindowsAndSweep => {
                let Writer::Sweep { now } = state.writer else {
                    return None;
                };
                let named = state.head.as_ref().map(|h| h.chunk_set);
                state.chunks.retain(|set, _| Some(*set) == named);
                let mut built = BTreeSet::new();
                if self.in_retention(&state, now) {
                    built.insert(WindowItem {
                        long: false,
                        expires_at: 1 + state.retention,
                    });
                    if state.retention == self.long_retention {
                        built.insert(WindowItem {
                            long: true,
                            expires_at: 1 + state.retention,
                        });
                    }
                }
                if self.races.windows_outlive_retention {
                    state.windows.extend(built);
                } else {
                    state.windows = built;
                }
                state.writer = Writer::Idle;
                state.writer_runs += 1;
                state.runs_since_change = state.runs_since_change.saturating_add(1);
            }
            Action::PurgeTombstone => state.purge = PurgeStage::Tombstoned,
            Action::PurgeBumpSpan => {
                let spec = self.purge?;
                let touches = self.purged_rows(spec).any(|id| {
                    state.rows.contains_key(&id)
                        && (self.rows[id as usize].readable
                            || !self.races.unreadable_deleted_without_bump)
                });
                if touches {
                    self.bump(&mut state);
                }
                state.purge = PurgeStage::Deleting {
                    bumped_at: state.now,
                };
            }
            Action::PurgeDelete(id) | Action::PruneDelete(id) => {
                let prune = matches!(action, Action::PruneDelete(_));
                if prune && !self.races.prune_deletes_without_bump {
                    // Prune bumps the day before it deletes a row a roll-up
                    // may count (one whose TTL has not passed).
                    if state.rows[&id].expires_at > state.now {
                        self.bump(&mut state);
                    }
                }
                state.rows.remove(&id);
            }
            Action::PurgeFinished => state.purge = PurgeStage::Done,
            Action::TtlRow(id) => {
                state.rows.remove(&id);
            }
            Action::TtlShard => state.shard = None,
            Action::TtlHead => state.head = None,
            Action::TtlChunks(set) => {
                state.chunks.remove(&set);
            }
            Action::TtlWindow(window) => {
                state.windows.remove(&window);
            }
            Action::SummaryDayVersions => {
                let truths = BTreeSet::from([self.truth(&state)]);
                state.summary = Summary::Versions {
                    version: version_of(&state.shard),
                    truths,
                };
            }
            Action::SummaryCurrentHeads => {
                let Summary::Versions { version, truths } = state.summary.clone() else {
                    return None;
                };
                let usable = state.head.clone().filter(|h| {
                    h.version == version
                        && h.valid_until.is_none_or(|until| until > state.now)
                        && (self.races.heads_from_the_future || h.built_at <= state.now)
                });
                match usable {
                    Some(head) => state.summary = Summary::Head { head, truths },
                    None => self.raw_read(&mut state, &truths),
                }
            }
            Action::SummaryWithChunks => {
                let Summary::Head { head, truths } = state.summary.clone() else {
                    return None;
                };
                match state.chunks.get(&head.chunk_set) {
                    Some((workspaces, _)) => {
                        let answer = (head.rows.len() as u8, workspaces.clone());
                        Self::answer(&mut state, answer, &truths);
                    }
                    // Its chunks are gone: the day is read raw.
                    None => self.raw_read(&mut state, &truths),
                }
            }
        }
        // Every step between a summary's first read and its answer is a
        // moment it may linearise at.
        let truth = self.truth(&state);
        match &mut state.summary {
            Summary::Versions { truths, .. } | Summary::Head { truths, .. } => {
                truths.insert(truth);
            }
            Summary::Idle => {}
        }
        Some(state)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(
                "every summary equals the truth at its read",
                |_: &Protocol, state: &State| state.wrong_answer.is_none(),
            ),
            Property::always(
                "no window roll-up outlives the retention once the writer ran",
                |model: &Protocol, state: &State| {
                    state.runs_since_change == 0
                        || state.retention == model.long_retention
                        || state.windows.iter().all(|w| !w.long)
                },
            ),
        ]
    }
}
