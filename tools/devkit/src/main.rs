//! Local tooling used by the scripts.
//!
//! Its commands and flags are [`USAGE`] (what `devkit` prints).
//! The endpoint defaults to `AWS_ENDPOINT_URL_DYNAMODB`.

use chrono::{TimeDelta, Utc};
use devkit::seed::synthetic_milestone;
use devkit::{TableDefinition, create_table, local_client, table_exists};
use domain::{Aggregation, Retention, Window, WindowKey};
use std::collections::HashMap;
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use storage::{Ledger, QueryOptions, Sources, testing};

type BoxError = Box<dyn Error + Send + Sync>;

const USAGE: &str = "usage:
  devkit create-table --table NAME [--template PATH] [--endpoint URL]
  devkit seed         --table NAME --count N [--days 90] [--workspaces 1000] [--endpoint URL]
  devkit demo         --invoke-url URL [--days 90] [--concurrency 4]
  devkit summarize    --table NAME --window 24h|7d|30d|90d [--rollups true [--windows false]] [--endpoint URL]
  devkit rollup       --table NAME [--endpoint URL]
  devkit bare         --table NAME --op put|query [--count 1000] [--endpoint URL]
  devkit item-size
  devkit example-request";

#[tokio::main]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("devkit: {}", domain::error_chain::error_chain(&*error));
            ExitCode::FAILURE
        }
    }
}

struct Args {
    command: String,
    flags: HashMap<String, String>,
}

impl Args {
    fn parse(args: Vec<String>) -> Result<Self, BoxError> {
        let mut args = args.into_iter();
        let command = args.next().ok_or(USAGE)?;
        let mut flags = HashMap::new();
        while let Some(flag) = args.next() {
            let name = flag
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {flag}\n{USAGE}"))?;
            let value = args
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
            flags.insert(name.to_owned(), value);
        }
        Ok(Self { command, flags })
    }

    fn required(&self, name: &str) -> Result<&str, BoxError> {
        self.flags
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("--{name} is required\n{USAGE}").into())
    }

    fn endpoint(&self) -> Result<String, BoxError> {
        self.flags
            .get("endpoint")
            .cloned()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_DYNAMODB").ok())
            .ok_or_else(|| "no endpoint: pass --endpoint or set AWS_ENDPOINT_URL_DYNAMODB".into())
    }
}

async fn run(args: Vec<String>) -> Result<(), BoxError> {
    let args = Args::parse(args)?;
    match args.command.as_str() {
        "create-table" => create(&args).await,
        "seed" => seed(&args).await,
        "demo" => demo(&args),
        "summarize" => summarize(&args).await,
        "rollup" => rollup(&args).await,
        "bare" => bare(&args).await,
        "item-size" => item_size(),
        "example-request" => example_request(),
        other => Err(format!("unknown command {other}\n{USAGE}").into()),
    }
}

async fn create(args: &Args) -> Result<(), BoxError> {
    let table = args.required("table")?;
    let endpoint = args.endpoint()?;
    let template = args
        .flags
        .get("template")
        .map(PathBuf::from)
        .unwrap_or_else(TableDefinition::repo_template_path);
    let definition = TableDefinition::from_template_file(&template)?;
    let client = local_client(&endpoint);
    if table_exists(&client, table).await? {
        println!("table {table} already exists at {endpoint}");
    } else {
        create_table(&client, &definition, table).await?;
        println!(
            "created table {table} at {endpoint} from {}",
            template.display()
        );
    }
    Ok(())
}

/// Seeds `count` synthetic milestones spread over the last `days` days, in
/// chunks loaded with retried BatchWriteItem calls, reporting progress.
async fn seed(args: &Args) -> Result<(), BoxError> {
    let table = args.required("table")?;
    let count: usize = args.required("count")?.parse()?;
    let days: i64 = args
        .flags
        .get("days")
        .map(|d| d.parse())
        .transpose()?
        .unwrap_or(90);
    let workspaces: usize = flag(args, "workspaces", devkit::seed::DEFAULT_WORKSPACES)?;
    let retention = Retention::default();
    let ledger = Ledger::new(local_client(&args.endpoint()?), table);
    let population = devkit::seed::Population {
        count,
        end: Utc::now(),
        span: TimeDelta::days(days),
        retention,
        workspaces,
    };
    let started = Instant::now();
    const CHUNK: usize = 5_000;
    let mut written = 0usize;
    let mut next_report = count / 10;
    for chunk_start in (0..count).step_by(CHUNK) {
        let milestones = (chunk_start..(chunk_start + CHUNK).min(count))
            .map(|i| synthetic_milestone(i, &population))
            .collect::<Result<Vec<_>, _>>()?;
        written += testing::load(&ledger, &milestones, 8).await?;
        if written >= next_report {
            println!(
                "    seeded {written}/{count} ({:.0} items/s)",
                written as f64 / started.elapsed().as_secs_f64()
            );
            next_report += (count / 10).max(1);
        }
    }
    println!(
        "    seeded {written} milestones over {days} days in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Prints the catalog's example record request (`docs/record.md`), at the
/// current minute, with an event id of that minute.
fn example_request() -> Result<(), BoxError> {
    let mut request = catalog::docs::example_request();
    let now = Utc::now();
    request["occurred_at"] = now.format("%Y-%m-%dT%H:%M:00Z").to_string().into();
    let id = format!(
        "{}:{}",
        request["event_id"].as_str().unwrap_or("example"),
        now.format("%Y%m%d%H%M")
    );
    request["event_id"] = id.into();
    println!("{request}");
    Ok(())
}

/// A flag's value, parsed, or `default` when it is absent.
fn flag<T: std::str::FromStr>(args: &Args, name: &str, default: T) -> Result<T, BoxError>
where
    T::Err: Error + Send + Sync + 'static,
{
    match args.flags.get(name) {
        Some(value) => Ok(value.parse()?),
        None => Ok(default),
    }
}

/// Records the demo history (`devkit::demo`) through record's Lambda Invoke
/// API, `--concurrency` at a time, with progress. A milestone record did not
/// answer is sent again, a bounded number of times ([`record_with_retries`]).
/// Every payload must end `recorded` or `duplicate` (a re-run); anything else
/// fails the command.
fn demo(args: &Args) -> Result<(), BoxError> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let url = format!(
        "{}/record/invocations",
        args.required("invoke-url")?.trim_end_matches('/')
    );
    let days: u32 = flag(args, "days", 90)?;
    let concurrency: usize = flag(args, "concurrency", 4)?;
    let payloads = devkit::demo::history(Utc::now(), days);
    let total = payloads.len();
    let started = Instant::now();
    let (next, done) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let outcomes: Mutex<HashMap<String, usize>> = Mutex::default();
    let first_failure: Mutex<Option<String>> = Mutex::default();
    std::thread::scope(|scope| {
        for _ in 0..concurrency.max(1) {
            scope.spawn(|| {
                let agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(std::time::Duration::from_secs(60)))
                    .build()
                    .new_agent();
                while let Some(payload) = payloads.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let (status, reply) = record_with_retries(&agent, &url, payload);
                    if status != "recorded" && status != "duplicate" {
                        let mut first = first_failure.lock().unwrap_or_else(|p| p.into_inner());
                        first.get_or_insert_with(|| format!("{payload} -> {reply:?}"));
                    }
                    *outcomes
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .entry(status)
                        .or_default() += 1;
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if finished % (total / 10).max(1) == 0 || finished == total {
                        println!(
                            "    demo: {finished}/{total} sent ({:.0}/s)",
                            finished as f64 / started.elapsed().as_secs_f64()
                        );
                    }
                }
            });
        }
    });
    let outcomes = outcomes.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut summary: Vec<String> = outcomes.iter().map(|(k, v)| format!("{v} {k}")).collect();
    summary.sort();
    println!(
        "    demo: {total} milestones over {days} days in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        summary.join(", ")
    );
    match first_failure
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
    {
        Some(failure) => Err(format!("a demo milestone was not recorded: {failure}").into()),
        None => Ok(()),
    }
}

/// How often, and after what waits, a demo milestone is sent again when
/// record did not answer it (a busy machine: the watcher still compiling, a
/// timeout). Every send is idempotent: a re-send answers `duplicate`.
const DEMO_RETRY_WAITS: [u64; 5] = [1, 2, 4, 8, 15];

/// Sends one demo milestone until record answers it (`recorded`,
/// `duplicate`, or a rejection, which no retry changes), waiting
/// [`DEMO_RETRY_WAITS`] between tries and saying what it waits for. Returns
/// the last status (`failed` when record never answered) and reply.
fn record_with_retries(
    agent: &ureq::Agent,
    url: &str,
    payload: &serde_json::Value,
) -> (String, Result<String, String>) {
    let mut waits = DEMO_RETRY_WAITS.iter();
    loop {
        let reply = agent
            .post(url)
            .send(payload.to_string())
            .map_err(|e| e.to_string())
            .and_then(|mut r| r.body_mut().read_to_string().map_err(|e| e.to_string()));
        let status = reply
            .as_deref()
            .ok()
            .and_then(|body| serde_json::from_str::<serde_json::Value>(body).ok())
            .and_then(|v| v["status"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "failed".to_owned());
        let answered = status != "failed";
        match waits.next() {
            Some(wait) if !answered => {
                let why = reply
                    .as_ref()
                    .err()
                    .cloned()
                    .unwrap_or_else(|| "no answer".to_owned());
                println!(
                    "    demo: record did not answer ({why}); waiting {wait} s for it, then sending again"
                );
                std::thread::sleep(std::time::Duration::from_secs(*wait));
            }
            _ => return (status, reply),
        }
    }
}

/// Peak resident set size of this process, from /proc (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs one summary the way the function does and prints its cost as one JSON line.
async fn summarize(args: &Args) -> Result<(), BoxError> {
    let table = args.required("table")?;
    let key = WindowKey::parse(Some(args.required("window")?), Retention::default())?;
    let retention = Retention::default();
    let ledger = Ledger::new(local_client(&args.endpoint()?), table);
    let rss_before = peak_rss_kib();
    let now = Utc::now();
    let started = Instant::now();
    let aggregation = Aggregation::new(Window::ending_at(key, now), now, retention);
    // As the summary function reads (--rollups true): the window roll-up,
    // day and hour roll-ups, the rest raw; with --windows false, never the
    // window roll-up (what a summary reads when its roll-up is stale);
    // without --rollups, raw rows only.
    let use_rollups = args.flags.get("rollups").is_some_and(|v| v == "true");
    let use_windows = args.flags.get("windows").is_none_or(|v| v != "false");
    let sources = match (use_rollups, use_windows) {
        (false, _) => Sources::RawRows,
        (true, false) => Sources::DayAndHourRollups,
        (true, true) => Sources::Rollups,
    };
    let read = ledger
        .read_summary(aggregation, sources, QueryOptions::default())
        .await?;
    let summary = read.summary;
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    let report = serde_json::json!({
        "window": key.as_str(),
        "queries": read.stats.raw.queries,
        "items_read": read.stats.raw.items,
        "rollup_days": read.stats.rollup_days,
        "rollup_hours": read.stats.rollup_hours,
        "window_rollup": read.stats.window_rollup.as_str(),
        "rollup_items_read": read.stats.rollup_items,
        "counted": summary.total,
        "active_workspaces": summary.active_workspaces,
        "consumed_rcu": read.stats.raw.consumed_capacity,
        "rollup_rcu": read.stats.rollup_capacity,
        "wall_ms": wall_ms,
        "peak_rss_kib_before": rss_before,
        "peak_rss_kib": peak_rss_kib(),
    });
    println!("{report}");
    Ok(())
}

/// One writer run, as the rollup function runs it (`Ledger::run_writer`).
async fn rollup(args: &Args) -> Result<(), BoxError> {
    let table = args.required("table")?;
    let retention = Retention::default();
    let ledger = Ledger::new(local_client(&args.endpoint()?), table);
    let started = Instant::now();
    let now = Utc::now();
    let deadline = now + chrono::TimeDelta::minutes(15);
    let run = match ledger
        .run_writer(now, retention, deadline, || false)
        .await?
    {
        storage::WriterOutcome::Ran(run) => run,
        storage::WriterOutcome::Overlapping { held_until } => {
            return Err(
                format!("another writer run holds the lease (until {held_until:?})").into(),
            );
        }
    };
    let (days, windows) = (&run.rollups, run.windows.as_ref());
    println!(
        "    rolled up {} of {} due days and {} of {} closed hours ({} superseded, {} failed), built {} of {} window roll-ups ({} settling, {} skipped), swept {} in {:.1} s, writer peak RSS {:.1} MiB",
        days.days_built,
        days.days_checked,
        days.hours_built,
        days.hours_checked,
        days.days_superseded,
        days.failed.len(),
        windows.map_or(0, |w| w.built),
        windows.map_or(0, |w| w.checked),
        windows.map_or(0, |w| w.settling),
        windows.map_or(0, |w| w.too_large + w.unreadable + w.newer),
        run.sweep.as_ref().map_or(0, |s| s.deleted),
        started.elapsed().as_secs_f64(),
        peak_rss_kib().unwrap_or_default() as f64 / 1024.0
    );
    let failed = days
        .failed
        .first()
        .map(|(day, error)| (format!("day {day}"), error));
    let windows_failed = windows
        .and_then(|w| w.error.as_ref())
        .map(|e| ("the window roll-ups".to_owned(), e));
    match failed.or(windows_failed).or(run
        .sweep
        .as_ref()
        .err()
        .map(|e| ("the sweep".to_owned(), e)))
    {
        Some((what, error)) => {
            Err(format!("{what} failed: {}", domain::error_chain::error_chain(error)).into())
        }
        None => Ok(()),
    }
}

/// Latency of bare SDK calls against DynamoDB Local (one PutItem, or one
/// one-partition Query), the floor a warm function invocation is compared with.
async fn bare(args: &Args) -> Result<(), BoxError> {
    let table = args.required("table")?;
    let op = args.required("op")?.to_owned();
    let count: usize = args
        .flags
        .get("count")
        .map(|c| c.parse())
        .transpose()?
        .unwrap_or(1000);
    let ledger = Ledger::new(local_client(&args.endpoint()?), table);
    let now = Utc::now();
    let mut micros = Vec::with_capacity(count);
    for i in 0..count {
        let started = Instant::now();
        match op.as_str() {
            "put" => {
                let mut milestone =
                    synthetic_milestone(i, &devkit::seed::Population::last_hour(count, now))?;
                milestone.event_id =
                    domain::EventId::parse(&format!("bare:{}:{i}", now.timestamp_micros()))?;
                ledger
                    .record(
                        &milestone,
                        domain::Arrival::of(milestone.occurred_at, Utc::now()),
                    )
                    .await?;
            }
            "query" => {
                testing::read_partition(
                    &ledger,
                    now.date_naive(),
                    0,
                    now - TimeDelta::hours(24),
                    now,
                )
                .await?;
            }
            other => return Err(format!("unknown --op {other}; use put or query").into()),
        }
        micros.push(started.elapsed().as_micros() as u64);
    }
    micros.sort_unstable();
    let at =
        |q: f64| micros[((micros.len() as f64 * q) as usize).min(micros.len() - 1)] as f64 / 1000.0;
    println!(
        "{}",
        serde_json::json!({"op": op, "count": count, "median_ms": at(0.5), "p99_ms": at(0.99)})
    );
    Ok(())
}

/// Prints the stored size of a typical row and of its index projection, by DynamoDB's sizing rules.
fn item_size() -> Result<(), BoxError> {
    let mut milestone =
        synthetic_milestone(1, &devkit::seed::Population::last_hour(2, Utc::now()))?;
    // A realistic host-app row: a deterministic event id and a subject.
    milestone.event_id = domain::EventId::parse("diag:run-1029384:user-100234:2026-11-27")?;
    milestone.tenant_id = domain::TenantId::parse("tenant-000123")?;
    milestone.workspace_id = domain::WorkspaceId::parse("ws-000045")?;
    milestone.actor_id = domain::ActorId::parse("user-100234")?;
    milestone.subject = Some(domain::Subject {
        kind: domain::SubjectType::parse(milestone.event, "operation_run").ok_or("subject type")?,
        id: domain::SubjectId::parse("run-1029384")?,
    });
    let (table, index) = testing::item_sizes(&milestone);
    println!(
        "{}",
        serde_json::json!({"event": milestone.event.as_str(), "table_item_bytes": table, "index_item_bytes": index})
    );
    Ok(())
}
