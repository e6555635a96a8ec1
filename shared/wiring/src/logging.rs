//! The functions' one log subscriber: JSON when Lambda's advanced logging
//! controls ask for it, at the level they ask, but never more verbose than
//! INFO. `lambda_runtime` logs raw event bodies (milestones, with their actor
//! ids and metadata) at DEBUG and TRACE; no deploy setting may reach them.

use lambda_runtime::tracing::subscriber::filter::LevelFilter;
use std::str::FromStr;

/// The level asked for (`AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`), floored at
/// INFO: DEBUG and TRACE become INFO; anything unreadable is INFO.
pub fn log_level(requested: Option<&str>) -> LevelFilter {
    let level = requested
        .and_then(|text| LevelFilter::from_str(text.trim()).ok())
        .unwrap_or(LevelFilter::INFO);
    level.min(LevelFilter::INFO)
}

/// Installs the subscriber. Call once, first thing in `main`.
pub fn init_logging() {
    let requested = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // A level, never RUST_LOG's per-module directives: none may turn a
    // module's DEBUG on.
    let collector = lambda_runtime::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(log_level(requested.as_deref()));
    if json {
        collector.json().init();
    } else {
        collector.init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_is_never_more_verbose_than_info() {
        for (asked, level) in [
            (Some("trace"), LevelFilter::INFO),
            (Some("DEBUG"), LevelFilter::INFO),
            (Some("info"), LevelFilter::INFO),
            (Some("warn"), LevelFilter::WARN),
            (Some("error"), LevelFilter::ERROR),
            (Some("record=trace"), LevelFilter::INFO),
            (Some("nonsense"), LevelFilter::INFO),
            (None, LevelFilter::INFO),
        ] {
            assert_eq!(log_level(asked), level, "{asked:?}");
        }
    }
}
