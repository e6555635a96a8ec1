//! A realistic demo history, generated from the catalog: every event, many
//! tenants and workspaces, a weekday rhythm and steady growth, so the first
//! screen a newcomer sees shows trends. Deterministic per UTC day: a re-run
//! sends the same payloads for the days already seeded (they answer
//! `duplicate`) and adds the days since.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use domain::{CATALOG, ValueRule};
use serde_json::{Value, json};

/// Tenants in the demo population, and workspaces per tenant.
pub const TENANTS: usize = 12;
pub const WORKSPACES_PER_TENANT: usize = 6;

/// Milestones on a weekday at the start of the history, and at its end.
const FIRST_DAY_RATE: f64 = 14.0;
const LAST_DAY_RATE: f64 = 60.0;

/// Record payloads for the `days` UTC days up to and including `now`'s, none
/// after `now`, oldest first.
pub fn history(now: DateTime<Utc>, days: u32) -> Vec<Value> {
    let today = now.date_naive();
    let mut payloads = Vec::new();
    for back in (0..days).rev() {
        let day = today - TimeDelta::days(i64::from(back));
        let progress = 1.0 - f64::from(back) / f64::from(days.max(1));
        payloads.extend(
            day_history(day, progress)
                .into_iter()
                .filter(|(at, _)| *at <= now)
                .map(|(_, payload)| payload),
        );
    }
    payloads
}

/// One day's milestones: `progress` (0 at the start of the history, 1 at its
/// end) sets the volume and how many workspaces have adopted.
fn day_history(day: NaiveDate, progress: f64) -> Vec<(DateTime<Utc>, Value)> {
    let mut rng = fastrand::Rng::with_seed(u64::from(day.num_days_from_ce().unsigned_abs()));
    let weekday = match day.weekday() {
        Weekday::Sat => 0.35,
        Weekday::Sun => 0.25,
        _ => 1.0,
    };
    let rate = (FIRST_DAY_RATE + (LAST_DAY_RATE - FIRST_DAY_RATE) * progress) * weekday;
    let count = (rate * (0.85 + 0.3 * rng.f64())).round() as usize;
    let workspaces = TENANTS * WORKSPACES_PER_TENANT;
    let adopted = ((workspaces as f64) * (0.3 + 0.7 * progress)).ceil() as usize;
    let start = day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    (0..count)
        .map(|k| {
            // Working hours mostly, a few at night.
            let hour = if rng.f64() < 0.9 {
                rng.u32(7..19)
            } else {
                rng.u32(0..24)
            };
            let at = start
                + TimeDelta::hours(i64::from(hour))
                + TimeDelta::seconds(i64::from(rng.u32(0..3600)))
                + TimeDelta::milliseconds(i64::from(rng.u32(0..1000)));
            let workspace = rng.usize(0..adopted.max(1));
            let tenant = workspace / WORKSPACES_PER_TENANT;
            // Earlier catalog events are the more common ones.
            let weights: usize = (1..=CATALOG.len()).sum();
            let mut pick = rng.usize(0..weights);
            let spec = CATALOG
                .iter()
                .enumerate()
                .find(|(i, _)| {
                    let weight = CATALOG.len() - i;
                    if pick < weight {
                        true
                    } else {
                        pick -= weight;
                        false
                    }
                })
                .map(|(_, spec)| spec)
                .unwrap_or(&CATALOG[0]);
            let metadata: serde_json::Map<String, Value> = spec
                .metadata
                .iter()
                .map(|key| {
                    let value = match key.rule {
                        ValueRule::OneOf(values) => values[rng.usize(0..values.len())].to_owned(),
                        ValueRule::Identifier => format!("{}_{}", key.key, rng.u32(1..5)),
                    };
                    (key.key.to_owned(), json!(value))
                })
                .collect();
            let mut payload = json!({
                "event": spec.name,
                "tenant_id": format!("demo-tenant-{tenant:02}"),
                "workspace_id": format!("demo-ws-{workspace:03}"),
                "actor_id": format!("demo-user-{}", rng.u32(1..400)),
                "event_id": format!("demo:{day}:{k}"),
                "occurred_at": domain::format_millis(at),
                "metadata": metadata,
            });
            if let Some(kind) = spec.subject_types.first() {
                payload["subject"] =
                    json!({"type": kind, "id": format!("demo-{}-{k}", day.ordinal())});
            }
            (at, payload)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::testing::at;

    fn history_at(now: &str, days: u32) -> Vec<Value> {
        history(at(now), days)
    }

    #[test]
    fn every_payload_is_a_valid_record_request_and_every_event_appears() {
        let now = at("2026-11-27T15:00:00Z");
        let payloads = history(now, 90);
        assert!(
            payloads.len() > 2_000,
            "thousands of milestones: {}",
            payloads.len()
        );
        for payload in &payloads {
            let parsed =
                domain::Milestone::parse(&payload.to_string(), now, domain::Retention::default());
            assert!(parsed.is_ok(), "{payload}: {parsed:?}");
        }
        for spec in CATALOG {
            assert!(
                payloads.iter().any(|p| p["event"] == spec.name),
                "{} never appears",
                spec.name
            );
        }
    }

    #[test]
    fn nothing_is_after_now_and_a_day_is_the_same_on_every_run() {
        let earlier = history_at("2026-11-27T09:00:00Z", 3);
        let later = history_at("2026-11-27T23:59:59Z", 3);
        let now = at("2026-11-27T09:00:00Z");
        assert!(earlier.iter().all(|p| {
            domain::time::parse_rfc3339(p["occurred_at"].as_str().unwrap_or(""))
                .is_some_and(|t| t <= now)
        }));
        // The morning's payloads are exactly the first ones of the evening's run.
        for payload in &earlier {
            assert!(later.contains(payload), "{payload}");
        }
        assert!(later.len() > earlier.len());
    }

    #[test]
    fn weekdays_are_busier_than_weekends_and_the_history_grows() {
        let payloads = history_at("2026-11-29T23:59:59Z", 84);
        let per_day = |day: &str| {
            payloads
                .iter()
                .filter(|p| {
                    p["occurred_at"]
                        .as_str()
                        .is_some_and(|t| t.starts_with(day))
                })
                .count()
        };
        // 2026-11-25 is a Wednesday, 2026-11-29 a Sunday.
        assert!(per_day("2026-11-25") > 2 * per_day("2026-11-29"));
        // The history starts on Monday 2026-09-07: its first week against its last.
        let week = |monday: u32, month: u32| -> usize {
            (monday..monday + 7)
                .map(|day| per_day(&format!("2026-{month:02}-{day:02}")))
                .sum()
        };
        assert!(week(23, 11) > 2 * week(7, 9), "growth");
    }
}
