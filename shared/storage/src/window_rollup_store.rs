//! Building window roll-ups: the writer builds each window's from the day
//! and hour roll-ups it can trust and the raw rows of the rest, and stores
//! it never over a newer build. A summary reads the one for its window's
//! first quarter hour (`window_read`), and uses it only while the versions
//! of every day it covers are the ones it was built from. The rules (which
//! starts, which end, what a window takes) are `domain::window_rollup`'s and
//! `domain::Aggregation`'s.

use crate::error::{StorageError, condition_failed};
use crate::index::QueryOptions;
use crate::layout;
use crate::ledger::Ledger;
use crate::window_read::{fold_days, fold_hours};
use chrono::{DateTime, TimeDelta, Utc};
use domain::rollup::{Rollup, SETTLE, Span};
use domain::window_rollup;
use domain::{Aggregation, Retention, Window, WindowKey};
use std::collections::BTreeSet;

/// One writer run over the window roll-ups.
#[derive(Debug, Default)]
pub struct WindowRun {
    /// Window roll-ups due (six starts per window served for a run at :20;
    /// three to six, by the minute of the hour).
    pub checked: u32,
    pub built: u32,
    /// The window and start of each one stored: what the writer's sweep
    /// keeps of the window roll-ups.
    pub stored: Vec<(WindowKey, DateTime<Utc>)>,
    /// A late row, purge or erasure bumped one of its days less than
    /// [`SETTLE`] ago (the time index may not show it yet): left for the next
    /// run; summaries read day and hour roll-ups meanwhile.
    pub settling: u32,
    /// More distinct workspaces than one item holds: not kept; summaries of
    /// the window read day and hour roll-ups.
    pub too_large: u32,
    /// A version item of one of its days cannot be read: not built.
    pub unreadable: u32,
    /// Built, but a newer build of the same start was stored already (by a
    /// run of another deploy): that one is kept.
    pub newer: u32,
    /// Read and write units DynamoDB reports as consumed by the run: what
    /// keeping window roll-ups costs.
    pub read_units: f64,
    pub write_units: f64,
    /// `false` when the run stopped (the deadline's margin) before every
    /// window roll-up was built; the next run builds them.
    pub finished: bool,
    /// Why some could not be built, when a read or a store failed (a shared
    /// read failing stops them all; a store failing, only its own); the
    /// next run builds them.
    pub error: Option<StorageError>,
}

/// What one window roll-up build takes whole, and what it reads raw.
struct Build {
    fingerprint: u64,
    aggregation: Aggregation,
    raw: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Ledger {
    /// Builds the window roll-ups of `keys` that a run at `now` serves (six
    /// starts each after an hourly run, ending at the latest hour closed past
    /// the lag), and
    /// stores each whole, until `should_stop` says to stop (checked before
    /// the raw read and before each store). Never fails as a whole: what it
    /// could not build is counted in the run, with why.
    pub async fn roll_up_windows(
        &self,
        keys: &[WindowKey],
        now: DateTime<Utc>,
        retention: Retention,
        should_stop: impl Fn() -> bool,
    ) -> WindowRun {
        let end = window_rollup::end_at(now);
        let plans: Vec<Aggregation> = keys
            .iter()
            .flat_map(|key| {
                window_rollup::starts(*key, now)
                    .into_iter()
                    .map(move |start| Window {
                        key: *key,
                        start,
                        end,
                    })
            })
            .map(|window| Aggregation::new(window, now, retention))
            .collect();
        let mut run = WindowRun {
            checked: plans.len() as u32,
            finished: true,
            ..WindowRun::default()
        };
        if let Err(error) = self
            .build_windows(plans, retention, &should_stop, &mut run)
            .await
        {
            run.error = Some(error);
        }
        if run.error.is_some() {
            run.finished = false;
        }
        run
    }

    /// Builds the window roll-ups `plans` aggregate (all at one `now`, under
    /// `retention`), each from the day and hour roll-ups it takes and the
    /// raw rows of the rest, read once for all of them.
    async fn build_windows(
        &self,
        plans: Vec<Aggregation>,
        retention: Retention,
        should_stop: &impl Fn() -> bool,
        run: &mut WindowRun,
    ) -> Result<(), StorageError> {
        let (Some(outer), Some(end), Some(now)) = (
            plans
                .iter()
                .map(|plan| *plan.window())
                .min_by_key(|window| window.start),
            plans.iter().map(|plan| plan.window().end).max(),
            plans.first().map(Aggregation::now),
        ) else {
            return Ok(());
        };
        let outer = Window { end, ..outer };
        // The versions first: a bump after this read makes what is built
        // stale (its fingerprint is the older one), never wrong.
        let (versions, version_cost) = self
            .day_versions(
                outer.start.date_naive(),
                (end - TimeDelta::milliseconds(1)).date_naive(),
            )
            .await?;
        run.read_units += version_cost.consumed_capacity;
        let mut builds = Vec::new();
        for plan in plans {
            let days = plan.window().days();
            let Some(fingerprint) = layout::versions_fingerprint(&versions, &days) else {
                run.unreadable += 1;
                continue;
            };
            if layout::last_bump(&versions, &days).is_some_and(|at| now - at < SETTLE) {
                run.settling += 1;
                continue;
            }
            builds.push(Build {
                fingerprint,
                aggregation: plan,
                raw: Vec::new(),
            });
        }
        if builds.is_empty() {
            return Ok(());
        }
        // The day and hour roll-ups every window can use, read once, against
        // the versions read above (a bump since makes what is built stale).
        let whole = Aggregation::new(outer, now, retention);
        let spans: Vec<Span> = whole
            .whole_days()
            .into_iter()
            .map(Span::Day)
            .chain(
                whole
                    .whole_hours(&BTreeSet::new())
                    .into_iter()
                    .map(|(day, hour)| Span::Hour(day, hour)),
            )
            .collect();
        let (heads, cost) = self.heads_at(&spans, &versions).await?;
        let (rollups, cost) = self.with_chunks(heads, cost).await?;
        run.read_units += cost.consumed_capacity;
        let (day_rollups, hour_rollups): (Vec<Rollup>, Vec<Rollup>) = rollups
            .into_values()
            .partition(|rollup| rollup.span.hour().is_none());
        // Each window takes the day roll-ups inside it, then the hour
        // roll-ups of the days those leave; the rest is read raw.
        for build in &mut builds {
            let days = fold_days(&mut build.aggregation, &day_rollups);
            let hours = fold_hours(&mut build.aggregation, &hour_rollups, &days.answered);
            let spans: Vec<_> = days.spans.into_iter().chain(hours.spans).collect();
            build.raw = build.aggregation.window().raw_ranges_outside(&spans);
        }
        if should_stop() {
            run.finished = false;
            return Ok(());
        }
        // Raw rows once for all of them, each to the windows that read it raw.
        for (start, end) in merged(builds.iter().flat_map(|b| b.raw.iter().copied())) {
            let stats = self
                .read_range(start, end, QueryOptions::default(), |rows| {
                    for row in rows {
                        let at = row.occurred_at.instant();
                        for build in builds.iter_mut() {
                            if build.raw.iter().any(|(a, b)| *a <= at && at < *b) {
                                build.aggregation.add(row);
                            }
                        }
                    }
                })
                .await?;
            run.read_units += stats.consumed_capacity;
        }
        for build in builds {
            if should_stop() {
                run.finished = false;
                return Ok(());
            }
            let rollup = build.aggregation.into_window_rollup();
            if rollup.workspaces.len() > layout::MAX_WINDOW_WORKSPACES {
                run.too_large += 1;
                continue;
            }
            // Never over a newer build of the same start (a run of another
            // deploy, under another retention). One failed store does not
            // cost the others theirs: the first error is kept, and the next
            // run builds this one again.
            match self
                .client
                .put_item()
                .table_name(&self.table_name)
                .set_item(Some(layout::window_rollup_item(&rollup, build.fingerprint)))
                .condition_expression(layout::WINDOW_PUT_CONDITION)
                .set_expression_attribute_names(Some(layout::window_put_names()))
                .set_expression_attribute_values(Some(layout::window_put_values(&rollup)))
                .return_consumed_capacity(aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total)
                .send()
                .await
            {
                Ok(put) => {
                    run.write_units += put
                        .consumed_capacity()
                        .and_then(|c| c.capacity_units())
                        .unwrap_or(0.0);
                    run.built += 1;
                    run.stored.push((rollup.key, rollup.start));
                }
                Err(error) if condition_failed(&error) => {
                    // The newer one stays, and the sweep keeps it.
                    run.newer += 1;
                    run.stored.push((rollup.key, rollup.start));
                }
                Err(error) => {
                    run.error
                        .get_or_insert(StorageError::dynamo("PutItem", error));
                }
            }
        }
        Ok(())
    }
}

/// `ranges` sorted and merged where they overlap or touch.
fn merged(
    ranges: impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut sorted: Vec<_> = ranges.filter(|(a, b)| a < b).collect();
    sorted.sort();
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for (start, end) in sorted {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::testing::at;

    #[test]
    fn overlapping_and_touching_ranges_merge_and_empty_ones_go() {
        let r = |a: &str, b: &str| (at(a), at(b));
        let ranges = merged(
            [
                r("2026-11-27T05:00:00Z", "2026-11-27T06:00:00Z"),
                r("2026-11-27T01:00:00Z", "2026-11-27T03:00:00Z"),
                r("2026-11-27T02:00:00Z", "2026-11-27T04:00:00Z"),
                r("2026-11-27T04:00:00Z", "2026-11-27T04:30:00Z"),
                r("2026-11-27T07:00:00Z", "2026-11-27T07:00:00Z"),
            ]
            .into_iter(),
        );
        assert_eq!(
            ranges,
            vec![
                r("2026-11-27T01:00:00Z", "2026-11-27T04:30:00Z"),
                r("2026-11-27T05:00:00Z", "2026-11-27T06:00:00Z"),
            ]
        );
    }
}
