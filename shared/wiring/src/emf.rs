//! CloudWatch metrics in Embedded Metric Format, through the `metrics` facade
//! and `metrics_cloudwatch_embedded`, flushed to stdout after every invocation.
//!
//! Namespace `AdoptionLedger`; every metric carries the dimension `function`.
//! Dimensions are bounded: never a tenant or workspace id. The only other
//! dimension is a rejection `code`, one of the catalog's fixed codes.

use domain::RejectCode;
use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_cloudwatch_embedded::{Builder, Collector};

pub const NAMESPACE: &str = "AdoptionLedger";
pub const FUNCTION_DIMENSION: &str = "function";

/// Installs the global EMF recorder for one function. Call once, in `main`.
pub fn init(
    function: &'static str,
) -> Result<&'static Collector, metrics_cloudwatch_embedded::Error> {
    init_with(Builder::new(), function)
}

/// As [`init`], from a prepared builder (tests pin the timestamp).
pub fn init_with(
    builder: Builder,
    function: &'static str,
) -> Result<&'static Collector, metrics_cloudwatch_embedded::Error> {
    let collector = builder
        .cloudwatch_namespace(NAMESPACE)
        .with_dimension(FUNCTION_DIMENSION, function)
        .init()?;
    describe_counter!(metric::RECORDED, Unit::Count, "milestones written");
    describe_counter!(
        metric::DUPLICATE,
        Unit::Count,
        "replays of an already recorded milestone"
    );
    describe_counter!(
        metric::REJECTED,
        Unit::Count,
        "rejected record requests, by rejection code"
    );
    describe_counter!(
        metric::REJECTED_TOTAL,
        Unit::Count,
        "rejected record requests, all codes"
    );
    describe_counter!(
        metric::FAILED,
        Unit::Count,
        "invocations that failed after retries"
    );
    describe_histogram!(metric::LATENCY, Unit::Milliseconds, "summary latency");
    describe_counter!(
        metric::ITEMS_READ,
        Unit::Count,
        "index items a summary read"
    );
    describe_counter!(
        metric::QUERY_CALLS,
        Unit::Count,
        "Query calls a summary made"
    );
    describe_gauge!(
        metric::SKIPPED_ROWS,
        Unit::Count,
        "index rows a summary (or prune) could not read and skipped"
    );
    describe_counter!(metric::DELETED, Unit::Count, "rows prune deleted");
    describe_gauge!(
        metric::LEFT,
        Unit::Count,
        "rows a real prune run found due but left for the next run"
    );
    describe_gauge!(
        metric::FAILED_PARTITIONS,
        Unit::Count,
        "partitions a prune run skipped after their retries"
    );
    describe_gauge!(metric::DAYS_BUILT, Unit::Count, "days a roll-up run built");
    describe_gauge!(
        metric::DAYS_FAILED,
        Unit::Count,
        "days a roll-up run could not build"
    );
    describe_gauge!(
        metric::FINISHED,
        Unit::Count,
        "1 when a prune run finished its walk, else 0"
    );
    Ok(collector)
}

/// Metric names, shared with the template's alarms (a test compares them).
pub mod metric {
    pub const RECORDED: &str = "Recorded";
    pub const DUPLICATE: &str = "Duplicate";
    pub const PURGED: &str = "Purged";
    pub const REJECTED: &str = "Rejected";
    pub const REJECTED_TOTAL: &str = "RejectedTotal";
    pub const FAILED: &str = "Failed";
    pub const LATENCY: &str = "Latency";
    pub const ITEMS_READ: &str = "ItemsRead";
    pub const QUERY_CALLS: &str = "QueryCalls";
    pub const SKIPPED_ROWS: &str = "SkippedRows";
    pub const DELETED: &str = "Deleted";
    pub const LEFT: &str = "Left";
    pub const FAILED_PARTITIONS: &str = "FailedPartitions";
    pub const DAYS_BUILT: &str = "DaysBuilt";
    pub const DAYS_FAILED: &str = "DaysFailed";
    pub const FINISHED: &str = "Finished";
    pub const ROWS_PURGED: &str = "RowsPurged";
    pub const ROWS_ERASED: &str = "RowsErased";
    pub const PURGES_UNFINISHED: &str = "PurgesUnfinished";
    pub const TOMBSTONES_FAILED: &str = "TombstonesFailed";
}

/// The dimension a rejection count carries besides `function`.
pub const CODE_DIMENSION: &str = "code";

/// One milestone written.
pub fn recorded() {
    counter!(metric::RECORDED).increment(1);
}

/// One replay of an already recorded milestone.
pub fn duplicate() {
    counter!(metric::DUPLICATE).increment(1);
}

/// One milestone refused because a purge erased it (never a rejection: no
/// host-app bug, and no alarm).
pub fn record_purged() {
    counter!(metric::PURGED).increment(1);
}

/// One rejected record request, by its code and in the all-codes total.
pub fn rejected(code: RejectCode) {
    counter!(metric::REJECTED, CODE_DIMENSION => code.as_str()).increment(1);
    // Without the code dimension, so one alarm covers every code.
    counter!(metric::REJECTED_TOTAL).increment(1);
}

/// One summary read. `skipped_rows` is a per-invocation gauge, so it is
/// emitted on every read, zero included (a zero counter is not emitted at all).
pub fn summary_read(latency_ms: f64, items_read: u64, query_calls: u32, skipped_rows: u64) {
    histogram!(metric::LATENCY).record(latency_ms);
    counter!(metric::ITEMS_READ).increment(items_read);
    counter!(metric::QUERY_CALLS).increment(u64::from(query_calls));
    gauge!(metric::SKIPPED_ROWS).set(skipped_rows as f64);
}

/// One roll-up writer run: days built and failed, and whether it covered every due day.
pub fn rollup_run(built: u32, failed: u32, finished: bool) {
    gauge!(metric::DAYS_BUILT).set(f64::from(built));
    gauge!(metric::DAYS_FAILED).set(f64::from(failed));
    gauge!(metric::FINISHED).set(if finished { 1.0 } else { 0.0 });
}

/// One purge invocation: the rows it deleted, and whether it answered done
/// (`Finished`, a per-invocation gauge).
pub fn purged(rows_deleted: u64, done: bool) {
    counter!(metric::ROWS_PURGED).increment(rows_deleted);
    gauge!(metric::FINISHED).set(if done { 1.0 } else { 0.0 });
}

/// One failed invocation, of any function.
pub fn failed() {
    counter!(metric::FAILED).increment(1);
}

/// One prune run. `Left`, `FailedPartitions` and `Finished` are per-invocation
/// gauges, emitted on every run, zeros included (the heartbeat alarm treats
/// missing data as breaching).
pub fn prune_run(
    deleted: u64,
    left: u64,
    finished: bool,
    failed_partitions: u32,
    unreadable_rows: u64,
) {
    counter!(metric::DELETED).increment(deleted);
    gauge!(metric::LEFT).set(left as f64);
    gauge!(metric::FAILED_PARTITIONS).set(f64::from(failed_partitions));
    gauge!(metric::SKIPPED_ROWS).set(unreadable_rows as f64);
    gauge!(metric::FINISHED).set(if finished { 1.0 } else { 0.0 });
}

/// What prune's run did with purge tombstones: rows erased (in flight when
/// a purge ran, landed since), purges it found left unfinished, and
/// tombstones that made no progress (unreadable, a key the keyring lacks, a
/// walk that read nothing; one walked in part is progress, not a failure):
/// gauges, zeros included.
pub fn tombstones_honoured(rows_erased: u64, purges_unfinished: u32, tombstones_failed: u32) {
    counter!(metric::ROWS_ERASED).increment(rows_erased);
    gauge!(metric::PURGES_UNFINISHED).set(f64::from(purges_unfinished));
    gauge!(metric::TOMBSTONES_FAILED).set(f64::from(tombstones_failed));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The only test in this crate that installs the global recorder.
    #[test]
    fn emits_embedded_metric_format_documents() {
        let collector = init_with(Builder::new().with_timestamp(1_764_000_000_000), "record")
            .expect("recorder");
        recorded();
        recorded();
        rejected(RejectCode::UnknownEvent);
        rejected(RejectCode::MissingField);
        summary_read(12.5, 700, 8, 1);
        // One global recorder in this test: SkippedRows is one gauge for summary and prune alike.
        prune_run(3, 0, true, 0, 1);
        let mut output = Vec::new();
        collector.flush(&mut output).expect("flush");
        let documents: Vec<Value> = String::from_utf8(output)
            .expect("utf-8")
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is one JSON document"))
            .collect();
        assert!(!documents.is_empty());

        let mut seen = std::collections::BTreeMap::new();
        for doc in &documents {
            let aws = &doc["_aws"];
            assert_eq!(aws["Timestamp"], 1_764_000_000_000_u64);
            let directive = &aws["CloudWatchMetrics"][0];
            assert_eq!(directive["Namespace"], NAMESPACE);
            let dimensions: Vec<&str> = directive["Dimensions"][0]
                .as_array()
                .expect("one dimension set")
                .iter()
                .map(|d| d.as_str().expect("dimension name"))
                .collect();
            assert_eq!(dimensions[0], FUNCTION_DIMENSION);
            assert!(
                dimensions.iter().all(|d| ["function", "code"].contains(d)),
                "bounded dimensions: {dimensions:?}"
            );
            for dimension in &dimensions {
                assert!(
                    doc[dimension].is_string(),
                    "dimension {dimension} has its value at the root"
                );
            }
            assert_eq!(doc["function"], "record");
            for metric in directive["Metrics"].as_array().expect("metrics") {
                let name = metric["Name"].as_str().expect("name");
                assert!(metric["Unit"].is_string(), "{name} has a unit");
                let code = doc["code"].as_str().unwrap_or("-");
                seen.insert((name.to_owned(), code.to_owned()), doc[name].clone());
            }
        }
        let value = |name: &str, code: &str| seen.get(&(name.to_owned(), code.to_owned())).cloned();
        assert_eq!(value("Recorded", "-"), Some(Value::from(2)));
        assert_eq!(value("Rejected", "unknown_event"), Some(Value::from(1)));
        assert_eq!(value("Rejected", "missing_field"), Some(Value::from(1)));
        assert_eq!(value("RejectedTotal", "-"), Some(Value::from(2)));
        assert_eq!(value("ItemsRead", "-"), Some(Value::from(700)));
        assert_eq!(value("QueryCalls", "-"), Some(Value::from(8)));
        assert_eq!(value("Deleted", "-"), Some(Value::from(3)));
        assert_eq!(value("Finished", "-"), Some(Value::from(1.0)));
        assert!(value("Latency", "-").is_some());
        // Per-invocation gauges are emitted at zero too, so their alarms see data.
        assert_eq!(value("Left", "-"), Some(Value::from(0.0)));
        assert_eq!(value("FailedPartitions", "-"), Some(Value::from(0.0)));
        assert_eq!(value("SkippedRows", "-"), Some(Value::from(1.0)));
    }
}
