//! The steps: what each actor may do in a state, and what it does, one
//! method per actor.

use crate::*;
use stateright::{Model, Property};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;

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
            recording: BTreeMap::new(),
            shard: None,
            head: None,
            chunks: BTreeMap::new(),
            builds: 0,
            heads_stored: 0,
            windows: BTreeSet::new(),
            writers: vec![Writer::Idle; self.writers()],
            writer_runs: 0,
            runs_since_change: 0,
            summary: Summary::Idle,
            purge: PurgeStage::NotStarted,
            wrong_answer: None,
            answered_rebuilt: false,
        }]
    }

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        if state.wrong_answer.is_some() {
            return;
        }
        // A summary takes no time: the clock stands still while one reads.
        if state.now < self.horizon
            && state.summary == Summary::Idle
            && !self.in_flight_must_land(state)
        {
            actions.push(Action::Tick);
        }
        if state.retention_changes < self.retention_changes {
            actions.push(Action::ChangeRetention);
        }
        self.record_actions(state, actions);
        for (w, writer) in state.writers.iter().enumerate() {
            self.writer_actions(state, w as u8, writer, actions);
        }
        self.purge_actions(state, actions);
        if !self.in_retention(state, state.now) {
            for id in state.rows.keys() {
                actions.push(Action::PruneDelete(*id));
            }
        }
        self.ttl_actions(state, actions);
        match &state.summary {
            Summary::Idle if state.now >= 1 && self.in_retention(state, state.now) => {
                actions.push(Action::SummaryDayVersions)
            }
            Summary::Idle => {}
            Summary::Versions { .. } => actions.push(Action::SummaryCurrentHeads),
            Summary::Head { .. } => actions.push(Action::SummaryWithChunks),
            Summary::Raw { next, .. } => actions.push(Action::SummaryRawPage(*next)),
        }
    }

    fn next_state(&self, last: &State, action: Action) -> Option<State> {
        let mut state = last.clone();
        state.answered_rebuilt = false;
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
            Action::Record(_) | Action::RecordStart(_) | Action::RecordLand(_) => {
                self.record_step(&mut state, action)
            }
            Action::WriterDayVersions { w, .. }
            | Action::WriterReadRange(w)
            | Action::WriterPutChunks(w)
            | Action::WriterStoreHead(w)
            | Action::WriterWindows(w)
            | Action::WriterSweepHeads(w)
            | Action::WriterSweepDelete(w) => self.writer_step(&mut state, w as usize, action)?,
            Action::PurgeTombstone
            | Action::PurgeBumpSpan
            | Action::PurgeDelete(_)
            | Action::PurgeFinished => self.purge_step(&mut state, action)?,
            Action::PruneDelete(id) => {
                // Prune bumps the day before it deletes a row a roll-up may
                // count (one whose TTL has not passed).
                if !self.races.prune_deletes_without_bump && state.rows[&id].expires_at > state.now
                {
                    let now = state.now;
                    self.bump(&mut state, now);
                }
                state.rows.remove(&id);
            }
            Action::TtlRow(_)
            | Action::TtlShard
            | Action::TtlHead
            | Action::TtlChunks(_)
            | Action::TtlWindow(_) => Self::ttl_step(&mut state, action),
            Action::SummaryDayVersions
            | Action::SummaryCurrentHeads
            | Action::SummaryWithChunks
            | Action::SummaryRawPage(_) => self.summary_step(&mut state, action)?,
        }
        // Every step between a summary's first read and its answer is a
        // moment that may be a row's own read.
        let mut summary = std::mem::replace(&mut state.summary, Summary::Idle);
        match &mut summary {
            Summary::Versions { seen, .. }
            | Summary::Head { seen, .. }
            | Summary::Raw { seen, .. } => self.observe(&state, seen),
            Summary::Idle => {}
        }
        state.summary = summary;
        Some(state)
    }

    fn within_boundary(&self, state: &State) -> bool {
        if state.answered_rebuilt {
            self.rebuilt_summaries.fetch_add(1, Ordering::Relaxed);
        }
        true
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(
                "every summary counts each row as a moment of its read saw it",
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
            Property::always(
                "a current head has every chunk it names",
                |_: &Protocol, state: &State| {
                    state.head.as_ref().is_none_or(|head| {
                        head.expires_at <= state.now
                            || head.version != version_of(&state.shard)
                            || state.chunks.contains_key(&head.chunk_set)
                    })
                },
            ),
        ]
    }
}

/// Each actor: what it may do, and what it does.
impl Protocol {
    fn record_actions(&self, state: &State, actions: &mut Vec<Action>) {
        for (id, spec) in self.rows.iter().enumerate() {
            let id = id as RowId;
            if state.recording.contains_key(&id) {
                actions.push(Action::RecordLand(id));
                continue;
            }
            if state.recorded.contains(&id) || self.tombstoned(state, id) {
                continue;
            }
            if !spec.late && state.now == 0 {
                actions.push(Action::Record(id));
            } else if spec.late && state.now >= 1 && self.in_retention(state, state.now) {
                actions.push(Action::RecordStart(id));
            }
        }
    }

    fn record_step(&self, state: &mut State, action: Action) {
        match action {
            Action::Record(id) => {
                state.rows.insert(
                    id,
                    Row {
                        expires_at: state.retention,
                    },
                );
                state.recorded.insert(id);
            }
            Action::RecordStart(id) => {
                state.recording.insert(id, state.now);
            }
            Action::RecordLand(id) => {
                let Some(at) = state.recording.remove(&id) else {
                    return;
                };
                // The guard: a purge since its start refuses the put.
                if self.tombstoned(state, id) {
                    return;
                }
                state.rows.insert(
                    id,
                    Row {
                        expires_at: state.retention,
                    },
                );
                state.recorded.insert(id);
                // The put and the bump in one transaction, at the time the
                // invocation took when it started.
                self.bump(state, at);
            }
            _ => {}
        }
    }

    fn writer_actions(&self, state: &State, w: u8, writer: &Writer, actions: &mut Vec<Action>) {
        match writer {
            Writer::Idle if state.now >= 1 && state.writer_runs < self.writer_runs => {
                actions.push(Action::WriterDayVersions { w, ahead: false });
                if self.skew > 0 {
                    actions.push(Action::WriterDayVersions { w, ahead: true });
                }
            }
            Writer::Idle => {}
            Writer::Read { .. } => actions.push(Action::WriterReadRange(w)),
            Writer::Built { .. } => actions.push(Action::WriterPutChunks(w)),
            Writer::Chunked { .. } => actions.push(Action::WriterStoreHead(w)),
            Writer::Windows { .. } => actions.push(Action::WriterWindows(w)),
            Writer::SweepHeads { .. } => actions.push(Action::WriterSweepHeads(w)),
            Writer::SweepDelete { .. } => actions.push(Action::WriterSweepDelete(w)),
        }
    }

    fn writer_step(&self, state: &mut State, w: usize, action: Action) -> Option<()> {
        let writer = state.writers.get(w)?.clone();
        let next = match (action, writer) {
            (Action::WriterDayVersions { ahead, .. }, Writer::Idle) => {
                state.writer_runs += 1;
                let now = state.now + if ahead { self.skew } else { 0 };
                if !self.in_retention(state, now) {
                    // `delete_bookkeeping_before`: the day is outside the
                    // retention; its roll-ups go, its version stays (its TTL
                    // is past every retention; deleted, it would take the
                    // last bump's settle time with it, and its counter).
                    state.head = None;
                    state.chunks.clear();
                    if self.races.counter_restarts {
                        state.shard = None;
                    }
                    Writer::Windows { now }
                } else {
                    let current = version_of(&state.shard);
                    let head_usable = state.head.as_ref().is_some_and(|h| {
                        h.version == current && h.valid_until.is_none_or(|until| until > now)
                    });
                    let settling = state
                        .shard
                        .is_some_and(|s| now < s.bumped_at + self.settle());
                    if head_usable || settling {
                        Writer::Windows { now }
                    } else {
                        Writer::Read {
                            now,
                            version: current,
                        }
                    }
                }
            }
            (Action::WriterReadRange(_), Writer::Read { now, version }) => {
                let rows: BTreeSet<RowId> = state
                    .rows
                    .iter()
                    .filter(|(_, row)| row.expires_at > now)
                    .map(|(id, _)| *id)
                    .collect();
                let valid_until = rows.iter().map(|id| state.rows[id].expires_at).min();
                Writer::Built {
                    now,
                    version,
                    rows,
                    valid_until,
                }
            }
            (
                Action::WriterPutChunks(_),
                Writer::Built {
                    now,
                    version,
                    rows,
                    valid_until,
                },
            ) => {
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
                Writer::Chunked {
                    now,
                    version,
                    rows,
                    valid_until,
                    chunk_set,
                    expires_at,
                }
            }
            (
                Action::WriterStoreHead(_),
                Writer::Chunked {
                    now,
                    version,
                    rows,
                    valid_until,
                    chunk_set,
                    expires_at,
                },
            ) => {
                if version_of(&state.shard) == version {
                    state.heads_stored = state.heads_stored.saturating_add(1);
                    state.head = Some(Head {
                        version,
                        chunk_set,
                        rows,
                        valid_until,
                        built_at: now,
                        expires_at,
                        generation: state.heads_stored,
                    });
                }
                Writer::Windows { now }
            }
            (Action::WriterWindows(_), Writer::Windows { now }) => {
                let mut built = BTreeSet::new();
                if self.in_retention(state, now) {
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
                // The windows are the retention's from here on.
                state.runs_since_change = state.runs_since_change.saturating_add(1);
                Writer::SweepHeads { now }
            }
            (Action::WriterSweepHeads(_), Writer::SweepHeads { now }) => {
                // The heads current now: what the deletes keep.
                let current = version_of(&state.shard);
                let keep = state
                    .head
                    .as_ref()
                    .filter(|h| h.version == current)
                    .map(|h| h.chunk_set);
                Writer::SweepDelete { now, keep }
            }
            (Action::WriterSweepDelete(_), Writer::SweepDelete { keep, .. }) => {
                // Every chunk set the heads it read do not name.
                state.chunks.retain(|set, _| Some(*set) == keep);
                Writer::Idle
            }
            _ => return None,
        };
        state.writers[w] = next;
        Some(())
    }

    fn purge_actions(&self, state: &State, actions: &mut Vec<Action>) {
        let Some(spec) = self.purge else {
            return;
        };
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

    fn purge_step(&self, state: &mut State, action: Action) -> Option<()> {
        match action {
            Action::PurgeTombstone => state.purge = PurgeStage::Tombstoned,
            Action::PurgeBumpSpan => {
                let spec = self.purge?;
                let touches = self.purged_rows(spec).any(|id| {
                    state.rows.contains_key(&id)
                        && (self.rows[id as usize].readable
                            || !self.races.unreadable_deleted_without_bump)
                });
                if touches {
                    let now = state.now;
                    self.bump(state, now);
                }
                state.purge = PurgeStage::Deleting {
                    bumped_at: state.now,
                };
            }
            Action::PurgeDelete(id) => {
                state.rows.remove(&id);
            }
            Action::PurgeFinished => state.purge = PurgeStage::Done,
            _ => return None,
        }
        Some(())
    }

    fn ttl_actions(&self, state: &State, actions: &mut Vec<Action>) {
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
    }

    fn ttl_step(state: &mut State, action: Action) {
        match action {
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
            _ => {}
        }
    }

    fn summary_step(&self, state: &mut State, action: Action) -> Option<()> {
        match (action, state.summary.clone()) {
            (Action::SummaryDayVersions, Summary::Idle) => {
                let mut seen = Seen::new();
                self.observe(state, &mut seen);
                state.summary = Summary::Versions {
                    version: version_of(&state.shard),
                    seen,
                };
            }
            (Action::SummaryCurrentHeads, Summary::Versions { version, seen }) => {
                let usable = state.head.clone().filter(|h| {
                    h.version == version
                        && h.valid_until.is_none_or(|until| until > state.now)
                        && (self.races.heads_from_the_future || h.built_at <= state.now)
                });
                state.summary = match usable {
                    Some(head) => Summary::Head { head, seen },
                    None => Self::raw_read(seen),
                };
            }
            (Action::SummaryWithChunks, Summary::Head { head, seen }) => {
                match state.chunks.get(&head.chunk_set) {
                    Some((workspaces, _)) => {
                        let answer = (head.rows.len() as u8, workspaces.clone());
                        state.answered_rebuilt = head.generation >= 2 && !head.rows.is_empty();
                        self.answer(state, answer, &seen);
                    }
                    // Its chunks are gone: the day is read raw (and counted
                    // unreadable).
                    None => state.summary = Self::raw_read(seen),
                }
            }
            (
                Action::SummaryRawPage(id),
                Summary::Raw {
                    next,
                    mut counted,
                    seen,
                },
            ) if id == next => {
                if Self::live(state, id) {
                    counted.insert(id);
                }
                if usize::from(next) + 1 < self.rows.len() {
                    state.summary = Summary::Raw {
                        next: next + 1,
                        counted,
                        seen,
                    };
                } else {
                    let workspaces = counted
                        .iter()
                        .map(|id| self.rows[*id as usize].workspace)
                        .collect();
                    self.answer(state, (counted.len() as u8, workspaces), &seen);
                }
            }
            _ => return None,
        }
        Some(())
    }

    /// The raw read, from its first page.
    fn raw_read(seen: Seen) -> Summary {
        Summary::Raw {
            next: 0,
            counted: BTreeSet::new(),
            seen,
        }
    }
}
