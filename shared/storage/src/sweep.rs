//! The writer's sweep of the `#rollup` partition, after it built: every item
//! that no current roll-up and no window roll-up of this run names is
//! deleted. Such an item (a replaced or superseded chunk set, a stale head
//! and its chunks, hour roll-ups past their use, an earlier run's window
//! roll-ups) still holds workspace digests of rows that may have been purged
//! since, so after a purge and the next writer run no digest of them is
//! left anywhere.
//!
//! A summary that read a head just before its chunks went finds them
//! missing and reads that span raw (`window_read` never uses a
//! head whose chunks are not all there): exact either way.

use crate::error::StorageError;
use crate::layout;
use crate::ledger::Ledger;
use chrono::{DateTime, Utc};
use domain::WindowKey;
use domain::rollup::Due;
use domain::rollup::Span;
use std::collections::BTreeSet;

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepRun {
    /// Items deleted.
    pub deleted: u32,
    /// `false` when it stopped at the deadline's margin before every delete;
    /// the next run sweeps the rest.
    pub finished: bool,
}

impl Ledger {
    /// Deletes every `#rollup` item except the head and chunks of each
    /// current roll-up of `due`'s days and hours (the spans the writer keeps),
    /// and, when `windows` is given (the run built them), the window
    /// roll-ups it names. With `windows` `None`, window roll-ups are left.
    pub async fn sweep_rollups(
        &self,
        due: &Due,
        windows: Option<&[(WindowKey, DateTime<Utc>)]>,
        should_stop: impl Fn() -> bool,
    ) -> Result<SweepRun, StorageError> {
        let spans: Vec<Span> = due
            .days
            .iter()
            .map(|day| Span::Day(*day))
            .chain(due.hours.iter().map(|(day, hour)| Span::Hour(*day, *hour)))
            .collect();
        // Read after the builds: a head this run stored is current here.
        let (heads, _) = self.current_heads(&spans).await?;
        let mut keep: BTreeSet<String> = heads
            .iter()
            .flat_map(|(span, head)| layout::rollup_sort_keys(*span, head))
            .collect();
        keep.insert(layout::LEASE_SORT.to_owned());
        keep.extend(
            windows
                .unwrap_or_default()
                .iter()
                .filter_map(|(key, start)| layout::window_sort_key(*key, *start)),
        );
        let mut run = SweepRun {
            finished: true,
            ..SweepRun::default()
        };
        for key in self
            .bookkeeping_keys(layout::ROLLUP_PARTITION, None)
            .await?
        {
            let Some(sort) = layout::sort_of(&key) else {
                continue;
            };
            if keep.contains(&sort) || (windows.is_none() && layout::is_window_sort(&sort)) {
                continue;
            }
            if should_stop() {
                run.finished = false;
                return Ok(run);
            }
            self.delete_key(key).await?;
            run.deleted += 1;
        }
        Ok(run)
    }
}
