//! A model of the roll-up protocol, checked over every interleaving with
//! [stateright]: one closed day, a few rows, and every function that touches
//! them, each step named after the storage call it stands for.
//!
//! - **record** (`Ledger::record_guarded`): an on-time put while the day is
//!   open; a late one as the code runs it: it takes its time when the
//!   invocation starts, and lands later (within the longest invocation), in
//!   one transaction with a version bump that moves `bumped_at` only
//!   forward; refused once a tombstone covers it, at its start or (the
//!   guard) when it lands.
//! - **the writer** (`writer::run_writer`): reads the day's version
//!   (leaving a day bumped less than the settle time ago), reads the rows,
//!   writes the workspace chunks under a chunk set, stores the head in a
//!   transaction conditional on the version, builds the window roll-ups the
//!   retention allows, then sweeps in the code's two steps (the current
//!   heads, then the deletes of every chunk set they do not name), and
//!   deletes the bookkeeping of a day outside the retention. Its clock may
//!   run ahead of the others by the skew. The lease makes runs one at a
//!   time, so one writer stands for every run ([`Races::writers_overlap`]
//!   puts a second one back).
//! - **purge** (`purge::erase`): the tombstone, then a bump of the rows' day,
//!   then the deletes, each landing at most the longest delete after the bump.
//! - **prune** (`prune::prune_partition`): deletes rows of a day outside the
//!   retention in force.
//! - **DynamoDB's TTL**: deletes any row or bookkeeping item at any time
//!   after its `expires_at`, lazily.
//! - **a retention change**, between a long and a short retention.
//! - **summaries** (`window_read`): the day's versions, the head, its chunks
//!   (or, when the roll-up is not usable, the raw rows, page by page: one
//!   page per row here), each a separate read other functions' steps can
//!   fall between.
//!
//! **The invariants** are the product's promise: every summary counts each
//! row as some moment of its read saw it (live: stored, not purged, not
//! expired by the summary's clock; or gone), in counts and in distinct
//! workspaces. A read is many requests, so each row is judged at its own
//! read, not all at one instant. A second property: once the writer has run
//! under the retention in force, no window roll-up of a window that
//! retention no longer allows is left. A third: a current head has every
//! chunk it names.
//!
//! **Each race found in review can be put back** ([`Races`]); the tests in
//! `tests.rs` assert that the checker finds a counterexample for each one,
//! and none with all of them fixed.
//!
//! Time is in ticks: the day is tick 0, it closes at tick 1; a row's
//! `expires_at` is the retention at its record (its day starts at 0).

mod steps;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

pub type RowId = u8;
pub type Workspace = u8;

/// One row the model may record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowSpec {
    pub workspace: Workspace,
    /// Late rows land after the day closed, with a bump.
    pub late: bool,
    /// Whether the purge can read whose the row is (an unreadable row of a
    /// purged tenant is deleted by its key).
    pub readable: bool,
    /// Whether the person the purge names (if it names one) recorded it.
    pub of_purged_person: bool,
}

/// The erasure the model runs, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PurgeSpec {
    Tenant,
    Person,
}

/// The races found in review, each of which can be put back into the model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Races {
    /// A version shard's TTL follows the retention in force, and the writer
    /// deletes it with the roll-ups of a day outside the retention: it can
    /// vanish while a head built from it, or from its absence, is usable
    /// (and take its last bump's settle time with it), and start its
    /// counter again.
    pub counter_restarts: bool,
    /// The chunk set is a function of the version alone: a rebuild at the
    /// same version overwrites the chunks a summary may be reading.
    pub chunks_keyed_by_version: bool,
    /// The settle time is not longer than the longest delete in flight plus
    /// the clock skew.
    pub settle_within_longest_delete: bool,
    /// A tenant purge deletes a row it cannot read without a bump.
    pub unreadable_deleted_without_bump: bool,
    /// The writer's sweep leaves window roll-ups of windows the retention
    /// no longer allows.
    pub windows_outlive_retention: bool,
    /// Prune deletes rows outside a shortened retention without a bump, and
    /// a lengthened retention brings the day back.
    pub prune_deletes_without_bump: bool,
    /// A summary takes a head the writer built with a clock ahead of its own.
    pub heads_from_the_future: bool,
    /// A bump sets `bumped_at` to its own time, even when that is before
    /// the one stored (a late row that took its time earlier lands later).
    pub bumped_at_goes_back: bool,
    /// No lease: two writer runs overlap, and one's sweep can delete the
    /// chunks of the other's build before its head is stored.
    pub writers_overlap: bool,
}

impl Races {
    /// The names of the races put back.
    pub fn put_back(&self) -> Vec<&'static str> {
        [
            ("counter_restarts", self.counter_restarts),
            ("chunks_keyed_by_version", self.chunks_keyed_by_version),
            (
                "settle_within_longest_delete",
                self.settle_within_longest_delete,
            ),
            (
                "unreadable_deleted_without_bump",
                self.unreadable_deleted_without_bump,
            ),
            ("windows_outlive_retention", self.windows_outlive_retention),
            (
                "prune_deletes_without_bump",
                self.prune_deletes_without_bump,
            ),
            ("heads_from_the_future", self.heads_from_the_future),
            ("bumped_at_goes_back", self.bumped_at_goes_back),
            ("writers_overlap", self.writers_overlap),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect()
    }
}

/// The protocol's numbers and the races put back.
#[derive(Debug, Clone)]
pub struct Protocol {
    pub rows: Vec<RowSpec>,
    pub purge: Option<PurgeSpec>,
    /// Retentions, in ticks after the day's start.
    pub long_retention: u8,
    pub short_retention: u8,
    pub retention_changes: u8,
    /// How far the writer's clock may run ahead.
    pub skew: u8,
    /// The longest a delete may land after the bump before it, and a late
    /// put after its record started (the longest invocation).
    pub longest_delete: u8,
    /// How many writer runs the model allows.
    pub writer_runs: u8,
    /// The last tick.
    pub horizon: u8,
    pub races: Races,
    /// Summaries answered from a rebuilt head that counts a row, over the
    /// whole check: that the check reaches them at all.
    pub rebuilt_summaries: Arc<AtomicUsize>,
}

impl Protocol {
    /// The settle time the protocol derives: longer than the longest delete
    /// in flight plus the skew ([`Races::settle_within_longest_delete`] puts
    /// back the old relation, equal to it).
    pub fn settle(&self) -> u8 {
        if self.races.settle_within_longest_delete {
            self.longest_delete
        } else {
            self.longest_delete + self.skew + 1
        }
    }

    /// Writer processes: one (the lease makes runs one at a time), or two
    /// with [`Races::writers_overlap`].
    pub fn writers(&self) -> usize {
        if self.races.writers_overlap { 2 } else { 1 }
    }
}

/// A version shard: its counter, last bump and TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shard {
    pub counter: u8,
    pub bumped_at: u8,
    pub expires_at: u8,
}

/// What a head records of the version it was built from (`None`: never
/// bumped).
pub type Version = Option<u8>;

fn version_of(shard: &Option<Shard>) -> Version {
    shard.map(|s| s.counter)
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Head {
    pub version: Version,
    pub chunk_set: u8,
    /// The rows counted (their number is the head's count).
    pub rows: BTreeSet<RowId>,
    pub valid_until: Option<u8>,
    pub built_at: u8,
    pub expires_at: u8,
    /// 1 for the first head stored, 2 for the next (a rebuild), and so on.
    pub generation: u8,
}

/// A row in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Row {
    pub expires_at: u8,
}

/// A window roll-up item: whether it is the long window, and its TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WindowItem {
    pub long: bool,
    pub expires_at: u8,
}

/// Where the writer is in one run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Writer {
    Idle,
    /// `day_versions` read; rows next.
    Read {
        now: u8,
        version: Version,
    },
    /// `read_range` done: the roll-up built.
    Built {
        now: u8,
        version: Version,
        rows: BTreeSet<RowId>,
        valid_until: Option<u8>,
    },
    /// Chunks written under `chunk_set`, to expire at `expires_at`; the
    /// head next, with the same TTL (one `store_rollup`, one retention).
    Chunked {
        now: u8,
        version: Version,
        rows: BTreeSet<RowId>,
        valid_until: Option<u8>,
        chunk_set: u8,
        expires_at: u8,
    },
    /// Head stored or superseded (or no build due); the windows next.
    Windows {
        now: u8,
    },
    /// Windows built; the sweep's read of the current heads next.
    SweepHeads {
        now: u8,
    },
    /// The sweep's deletes next: every chunk set but `keep`.
    SweepDelete {
        now: u8,
        keep: Option<u8>,
    },
}

/// Where a summary is. `seen` holds, per row, what the moments of the read
/// so far saw of it (live, gone).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Summary {
    Idle,
    /// `day_versions` read.
    Versions {
        version: Version,
        seen: Seen,
    },
    /// A usable head read; its chunks next.
    Head {
        head: Head,
        seen: Seen,
    },
    /// The raw read (`read_range`), one page per row in key order: `next`
    /// is the next row's page, `counted` the rows the pages so far found.
    Raw {
        next: RowId,
        counted: BTreeSet<RowId>,
        seen: Seen,
    },
}

/// Per row: whether some moment of the read saw it live, and whether one
/// saw it gone.
pub type Seen = BTreeMap<RowId, (bool, bool)>;

/// What a summary answers of the day: its count and distinct workspaces.
pub type Answer = (u8, BTreeSet<Workspace>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PurgeStage {
    NotStarted,
    /// Tombstone written; the bump next.
    Tombstoned,
    /// Bumped at the tick: the deletes, each by `bumped_at + longest_delete`.
    Deleting {
        bumped_at: u8,
    },
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct State {
    pub now: u8,
    pub retention: u8,
    pub retention_changes: u8,
    pub rows: BTreeMap<RowId, Row>,
    pub recorded: BTreeSet<RowId>,
    /// Late puts in flight: the time each took at its start.
    pub recording: BTreeMap<RowId, u8>,
    pub shard: Option<Shard>,
    pub head: Option<Head>,
    pub chunks: BTreeMap<u8, (BTreeSet<Workspace>, u8)>,
    pub builds: u8,
    pub heads_stored: u8,
    pub windows: BTreeSet<WindowItem>,
    pub writers: Vec<Writer>,
    pub writer_runs: u8,
    /// Writer runs finished since the retention last changed.
    pub runs_since_change: u8,
    pub summary: Summary,
    pub purge: PurgeStage,
    /// A summary answered something no choice of a moment per row during
    /// its read gives: the answer, and what the read saw.
    pub wrong_answer: Option<(Answer, Seen)>,
    /// The last step was a summary answering from a rebuilt head that
    /// counts a row (counted in [`Protocol::rebuilt_summaries`]).
    pub answered_rebuilt: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    Tick,
    ChangeRetention,
    /// `Ledger::record`: an on-time row's conditional put.
    Record(RowId),
    /// A late row's record starts: it reads the tombstones and takes its time.
    RecordStart(RowId),
    /// Its transaction lands: the put and the bump, at the time it took.
    RecordLand(RowId),
    /// `roll_up_span`: the day's versions, at writer `w`'s clock.
    WriterDayVersions {
        w: u8,
        ahead: bool,
    },
    /// `roll_up_span`: the rows through the time index.
    WriterReadRange(u8),
    /// `store_rollup`: the workspace chunks.
    WriterPutChunks(u8),
    /// `store_rollup`: the head, conditional on the version.
    WriterStoreHead(u8),
    /// `roll_up_windows`.
    WriterWindows(u8),
    /// `sweep_rollups`: the current heads.
    WriterSweepHeads(u8),
    /// `sweep_rollups`: the deletes of what they do not name.
    WriterSweepDelete(u8),
    /// `purge::erase`: the tombstone.
    PurgeTombstone,
    /// `bookkeeping::bump_day`.
    PurgeBumpSpan,
    /// `purge::delete_if_unchanged` (or `delete_keys`) of one row.
    PurgeDelete(RowId),
    PurgeFinished,
    /// `prune::prune_partition`: one row outside the retention.
    PruneDelete(RowId),
    /// TTL deletes an expired row, the shard, the head, a chunk set or a window.
    TtlRow(RowId),
    TtlShard,
    TtlHead,
    TtlChunks(u8),
    TtlWindow(WindowItem),
    /// `window_read`: the day's versions (strongly consistent).
    SummaryDayVersions,
    /// `current_heads`: the head, used or not.
    SummaryCurrentHeads,
    /// `with_chunks`: the head's workspace chunks.
    SummaryWithChunks,
    /// `read_range`: the raw read's page of one row.
    SummaryRawPage(RowId),
}

impl Protocol {
    fn in_retention(&self, state: &State, now: u8) -> bool {
        now < 1 + state.retention
    }

    /// Whether `id` is live by the summary's clock: stored and not expired.
    fn live(state: &State, id: RowId) -> bool {
        state
            .rows
            .get(&id)
            .is_some_and(|row| row.expires_at > state.now)
    }

    /// What this moment sees of every row, added to `seen`.
    fn observe(&self, state: &State, seen: &mut Seen) {
        for id in 0..self.rows.len() as RowId {
            let entry = seen.entry(id).or_insert((false, false));
            if Self::live(state, id) {
                entry.0 = true;
            } else {
                entry.1 = true;
            }
        }
    }

    /// Whether `answer` counts each row as some moment of the read saw it:
    /// some choice, per row, of live or gone among what was seen of it.
    fn consistent(&self, answer: &Answer, seen: &Seen) -> bool {
        let rows = self.rows.len();
        (0u32..1 << rows).any(|live| {
            let chosen = |id: usize| live & (1 << id) != 0;
            let possible = (0..rows).all(|id| {
                let (was_live, was_gone) =
                    seen.get(&(id as RowId)).copied().unwrap_or((false, true));
                if chosen(id) { was_live } else { was_gone }
            });
            let count = (0..rows).filter(|id| chosen(*id)).count() as u8;
            let workspaces: BTreeSet<Workspace> = (0..rows)
                .filter(|id| chosen(*id))
                .map(|id| self.rows[id].workspace)
                .collect();
            possible && (count, workspaces) == *answer
        })
    }

    /// Rows the purge covers.
    fn purged_rows(&self, spec: PurgeSpec) -> impl Iterator<Item = RowId> + '_ {
        self.rows
            .iter()
            .enumerate()
            .filter(move |(_, r)| spec == PurgeSpec::Tenant || (r.of_purged_person && r.readable))
            .map(|(id, _)| id as RowId)
    }

    fn tombstoned(&self, state: &State, row: RowId) -> bool {
        match (self.purge, state.purge) {
            (Some(spec), stage) if stage != PurgeStage::NotStarted => {
                self.purged_rows(spec).any(|r| r == row)
            }
            _ => false,
        }
    }

    /// A bump of the shard at `at` (`layout::bump`): `bumped_at` only
    /// forward ([`Races::bumped_at_goes_back`]: set to `at`). Its TTL is
    /// past the longest retention there is, so a counter never restarts
    /// while a head built from it, or from its absence, can be read
    /// ([`Races::counter_restarts`]: from the retention in force).
    fn bump(&self, state: &mut State, at: u8) {
        let expires_at = if self.races.counter_restarts {
            1 + state.retention
        } else {
            1 + self.long_retention
        };
        let bumped_at = match state.shard {
            Some(shard) if !self.races.bumped_at_goes_back => shard.bumped_at.max(at),
            _ => at,
        };
        state.shard = Some(Shard {
            counter: state.shard.map_or(1, |s| s.counter + 1),
            bumped_at,
            expires_at,
        });
    }

    /// Every read of a summary ends here.
    fn answer(&self, state: &mut State, answer: Answer, seen: &Seen) {
        if !self.consistent(&answer, seen) {
            state.wrong_answer = Some((answer, seen.clone()));
        }
        state.summary = Summary::Idle;
    }

    /// Whether the clock cannot move on: a purge delete or a late put in
    /// flight must land first (within the longest invocation).
    fn in_flight_must_land(&self, state: &State) -> bool {
        let late_put_due = state
            .recording
            .values()
            .any(|at| state.now + 1 > at + self.longest_delete);
        late_put_due || self.purge_deadline_passed(state)
    }

    fn purge_deadline_passed(&self, state: &State) -> bool {
        match state.purge {
            PurgeStage::Deleting { bumped_at } => {
                let pending = self.purge.is_some_and(|spec| {
                    self.purged_rows(spec).any(|r| state.rows.contains_key(&r))
                });
                pending && state.now + 1 > bumped_at + self.longest_delete
            }
            _ => false,
        }
    }
}

/// A roll-up's TTL: when its first counted row expires, or when its day
/// leaves the retention, whichever is first.
fn head_expiry(valid_until: Option<u8>, leaves: u8) -> u8 {
    valid_until.map_or(leaves, |until| until.min(leaves))
}
