//! The prose that lists events, generated from the catalog: `docs/events.md`
//! whole, and marked blocks inside hand-written pages. No hand-written page
//! names an event outside such a block (a test scans them), so adding an
//! event is: edit the catalog, run `scripts/regenerate`, run the tests.
//!
//! A block sits between `<!-- generated from the catalog: NAME -->` and
//! `<!-- end of generated: NAME -->`; everything else on the page is kept.

use chrono::{DateTime, TimeDelta, Utc};
use domain::format_millis;
use domain::{CATALOG, EventSpec, IdPart, Resend, ValueRule};
use serde_json::{Value, json};

/// The command that rewrites every generated file and block.
pub const REGENERATE: &str = "scripts/regenerate";

/// Where each generated block lives: (page under `docs/`, block name, text).
pub fn blocks() -> Vec<(&'static str, &'static str, String)> {
    vec![
        ("integration.md", "example-cli", example_cli_block()),
        ("integration.md", "event-ids", event_id_table()),
        ("record.md", "example-request", example_request_block()),
        ("summary.md", "example-response", example_response_block()),
    ]
}

/// The opening marker of block `name`.
pub fn opening(name: &str) -> String {
    format!("<!-- generated from the catalog: {name} -->")
}

/// The closing marker of block `name`.
pub fn closing(name: &str) -> String {
    format!("<!-- end of generated: {name} -->")
}

/// `page` with block `name` replaced by `text`, or `None` when the page does
/// not hold the block's two markers in order.
pub fn splice(page: &str, name: &str, text: &str) -> Option<String> {
    let (open, close) = (opening(name), closing(name));
    let start = page.find(&open)? + open.len();
    let end = start + page[start..].find(&close)?;
    Some(format!("{}\n{}{}", &page[..start], text, &page[end..]))
}

/// The whole of `docs/events.md`: the catalog as a table, for people.
pub fn events_markdown() -> String {
    let mut text = format!(
        "# The event catalog\n\n\
         Generated from `shared/domain/src/events.rs` by `{REGENERATE}`; do not edit by hand.\n\n\
         | event | feature area | label | required metadata | subject types |\n\
         |---|---|---|---|---|\n"
    );
    for spec in CATALOG {
        let metadata: Vec<String> = spec
            .metadata
            .iter()
            .map(|key| match key.rule {
                ValueRule::Identifier => format!("`{}`", key.key),
                ValueRule::OneOf(values) => format!(
                    "`{}`: {}",
                    key.key,
                    values
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            })
            .collect();
        let metadata = if metadata.is_empty() {
            "none".to_owned()
        } else {
            metadata.join(", ")
        };
        let subjects: Vec<String> = spec
            .subject_types
            .iter()
            .map(|t| format!("`{t}`"))
            .collect();
        text.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            spec.name,
            spec.feature_area,
            spec.label,
            metadata,
            subjects.join(", ")
        ));
    }
    text.push_str("\nEvery listed metadata key is required, and an event accepts no other key.\n");
    text.push_str(&format!(
        "\n## Recommended `event_id`s\n\n{}",
        event_id_table()
    ));
    text
}

/// The recommended `event_id` of an event, with its placeholders.
pub fn event_id_scheme(spec: &EventSpec) -> String {
    std::iter::once(spec.name.to_owned())
        .chain(spec.event_id.iter().map(IdPart::placeholder))
        .collect::<Vec<_>>()
        .join(":")
}

/// The recommended `event_id` of a request (JSON), built from its own
/// values; `None` when a part it needs is missing.
pub fn recommended_event_id(spec: &EventSpec, request: &Value) -> Option<String> {
    let text = |value: &Value| value.as_str().map(str::to_owned);
    let mut parts = vec![spec.name.to_owned()];
    for part in spec.event_id {
        parts.push(match part {
            IdPart::WorkspaceId => text(&request["workspace_id"])?,
            IdPart::ActorId => text(&request["actor_id"])?,
            IdPart::SubjectId => text(&request["subject"]["id"])?,
            IdPart::Metadata(key) => text(&request["metadata"][key])?,
            IdPart::Day => domain::time::parse_rfc3339(request["occurred_at"].as_str()?)?
                .format("%Y-%m-%d")
                .to_string(),
        });
    }
    Some(parts.join(":"))
}

/// One deterministic `event_id` per real-world milestone, per event.
pub fn event_id_table() -> String {
    let mut text = String::from(
        "| event | PHP builder | `event_id` | why | a later send with other content |\n|---|---|---|---|---|\n",
    );
    for spec in CATALOG {
        let resend = match spec.resend {
            Resend::SameContent => "`idempotency_conflict` (rejected)",
            Resend::FirstWins => "`duplicate`: the first one wins",
        };
        text.push_str(&format!(
            "| `{}` | `Milestones::{}()` | `{}` | {} | {resend} |\n",
            spec.name,
            crate::php::builder_name(spec),
            event_id_scheme(spec),
            spec.once_per
        ));
    }
    text
}

/// A valid record request for the catalog's first event, every field filled,
/// its `event_id` built by the catalog's scheme from the request's own values.
pub fn example_request() -> Value {
    let spec = &CATALOG[0];
    let metadata: serde_json::Map<String, Value> = spec
        .metadata
        .iter()
        .map(|key| {
            let value = match key.rule {
                ValueRule::OneOf(values) => values[0],
                ValueRule::Identifier => "example_value",
            };
            (key.key.to_owned(), json!(value))
        })
        .collect();
    let mut request = json!({
        "event": spec.name,
        "tenant_id": "tenant-42",
        "workspace_id": "ws-7",
        "actor_id": "user-1001",
        "occurred_at": "2026-11-27T09:30:00Z",
        "metadata": metadata,
    });
    if let Some(kind) = spec.subject_types.first() {
        request["subject"] = json!({"type": kind, "id": "subject-9001"});
    }
    let event_id = recommended_event_id(spec, &request).unwrap_or_default();
    request["event_id"] = json!(event_id);
    request
}

fn example_request_block() -> String {
    let request = example_request();
    let lines: Vec<String> = domain::parse::FIELDS
        .iter()
        .filter_map(|key| Some(format!("  \"{key}\": {}", compact(request.get(*key)?))))
        .collect();
    format!("```json\n{{\n{}\n}}\n```\n", lines.join(",\n"))
}

/// An object's entries in a fixed order, whatever serde_json's map keeps
/// (its `preserve_order` feature depends on the build): the request fields in
/// contract order, a subject's `type` before its `id`, anything else sorted.
fn entries(value: &Value) -> Vec<(&str, &Value)> {
    let Value::Object(map) = value else {
        return Vec::new();
    };
    let rank = |key: &str| {
        domain::parse::FIELDS
            .iter()
            .chain(&["type", "id"])
            .position(|k| *k == key)
            .unwrap_or(usize::MAX)
    };
    let mut entries: Vec<(&str, &Value)> = map.iter().map(|(k, v)| (k.as_str(), v)).collect();
    entries.sort_by(|a, b| (rank(a.0), a.0).cmp(&(rank(b.0), b.0)));
    entries
}

/// One line of JSON with its entries in [`entries`] order; `separator`
/// follows each colon.
fn compact_with(value: &Value, separator: &str) -> String {
    match value {
        Value::Object(_) => format!(
            "{{{}}}",
            entries(value)
                .into_iter()
                .map(|(k, v)| format!("\"{k}\":{separator}{}", compact_with(v, separator)))
                .collect::<Vec<_>>()
                .join(if separator.is_empty() { "," } else { ", " })
        ),
        other => other.to_string(),
    }
}

fn compact(value: &Value) -> String {
    compact_with(value, " ")
}

/// The catalog's example milestone sent with the AWS CLI.
fn example_cli_block() -> String {
    format!(
        "```sh\naws lambda invoke --function-name \"$RecordFunctionName\" --invocation-type Event \\\n  \
         --cli-binary-format raw-in-base64-out \\\n  --payload '{}' \\\n  /dev/null\n```\n",
        compact_with(&example_request(), "")
    )
}

/// The shape of a summary answer, with the catalog's first family shown.
fn example_response_block() -> String {
    let end: DateTime<Utc> = DateTime::from_timestamp(1_795_775_400, 0).unwrap_or_default();
    let start = end - TimeDelta::hours(24);
    let spec = &CATALOG[0];
    let at = |instant: DateTime<Utc>| format!("\"{}\"", format_millis(instant));
    format!(
        r#"```json
{{
  "window": {{"key": "24h", "start": {start}, "end": {end}, "bucket": "hour"}},
  "families": [
    {{
      "event": "{event}",
      "feature_area": "{area}",
      "label": "{label}",
      "count": 2,
      "last_seen_at": {seen},
      "buckets": [{{"start": {first_bucket}, "count": 0}}, "… 25 hourly buckets …"]
    }},
    "… one entry per catalog event, always all of them, in catalog order …"
  ],
  "active_workspaces": 2,
  "total": 2,
  "generated_at": {end}
}}
```
"#,
        start = at(start),
        end = at(end),
        event = spec.name,
        area = spec.feature_area,
        label = spec.label,
        seen = at(end - TimeDelta::minutes(78)),
        first_bucket = at(start - TimeDelta::minutes(30)),
    )
}

/// The freshness check of every generated file: under `UPDATE_CONTRACTS`
/// (never under CI) it writes `expected` to `path` (relative to the
/// repository root); otherwise it fails unless the file holds exactly that.
#[cfg(test)]
pub(crate) fn check_generated(path: &str, expected: &str) {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    if std::env::var_os("UPDATE_CONTRACTS").is_some() {
        assert!(
            std::env::var_os("CI").is_none(),
            "UPDATE_CONTRACTS is refused under CI: regenerate locally and commit"
        );
        std::fs::write(&full, expected).expect("write a generated file");
        return;
    }
    let committed = std::fs::read_to_string(&full).unwrap_or_default();
    assert!(
        committed == expected,
        "{path} is out of date with the catalog; run `{REGENERATE}` and commit it"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn docs(file: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs")
            .join(file)
    }

    #[test]
    fn committed_docs_are_up_to_date() {
        check_generated("docs/events.md", &events_markdown());
        for (file, name, text) in blocks() {
            let page = std::fs::read_to_string(docs(file)).expect("a docs page");
            let expected = splice(&page, name, &text)
                .unwrap_or_else(|| panic!("docs/{file} lacks the markers of block {name}"));
            check_generated(&format!("docs/{file}"), &expected);
        }
    }

    #[test]
    fn splice_replaces_only_the_block() {
        let page = format!("before\n{}\nold\n{}\nafter\n", opening("x"), closing("x"));
        assert_eq!(
            splice(&page, "x", "new\n").as_deref(),
            Some(format!("before\n{}\nnew\n{}\nafter\n", opening("x"), closing("x")).as_str())
        );
        assert_eq!(splice("no markers", "x", "new"), None);
    }

    #[test]
    fn the_examples_are_json_and_the_request_is_accepted() {
        for block in [example_request_block(), example_response_block()] {
            let json = block
                .trim_start_matches("```json\n")
                .trim_end_matches("```\n");
            assert!(serde_json::from_str::<Value>(json).is_ok(), "{block}");
        }
        let raw = example_request().to_string();
        let parsed = domain::Milestone::parse(
            &raw,
            domain::testing::at("2026-11-27T10:00:00Z"),
            domain::Retention::default(),
        );
        assert!(parsed.is_ok(), "{raw}: {parsed:?}");
    }
}
