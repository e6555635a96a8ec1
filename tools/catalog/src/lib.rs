//! The catalog's generators, apart from the shipped crates: every file
//! (or block of a hand-written page) that is generated from the catalog in
//! `shared/domain/src/events.rs` and the summary's windows. `scripts/regenerate`
//! rewrites them; the `committed_` tests fail while one is out of date.
//!
//! - [`docs`]: `docs/events.md`, the generated blocks of hand-written pages,
//!   and the freshness check;
//! - [`php`]: the PHP client's builders (`Milestones.php`), their examples,
//!   and the windows for PHP and the widget's module.
//!
//! The JSON Schemas and the OpenAPI document are `domain::schema` and
//! `domain::openapi` (the domain's property tests read them); their files
//! are checked here too.

pub mod docs;
pub mod php;

#[cfg(test)]
mod tests {
    use domain::CATALOG;
    use serde_json::{Value, json};

    #[test]
    fn committed_schemas_are_up_to_date() {
        use domain::schema::{record_request_schema, record_response_schema, render};
        for (file, expected) in [
            (
                "record-request.schema.json",
                render(&record_request_schema()),
            ),
            (
                "record-response.schema.json",
                render(&record_response_schema()),
            ),
            (
                "summary.openapi.json",
                render(&domain::openapi::summary_openapi()),
            ),
        ] {
            crate::docs::check_generated(&format!("docs/{file}"), &expected);
        }
    }

    /// Every `event_id` format the catalog recommends is accepted when every
    /// id in it is a UUID (and every metadata value at its longest).
    #[test]
    fn every_recommended_event_id_format_fits_with_uuid_ids() {
        let uuid = "0b7c5f0e-5a4e-4c4f-9c1e-2f6f3a9d8e7b";
        let longest = "x234567890123456789012345678901234567890123456789012345678901234";
        for spec in CATALOG {
            let metadata: serde_json::Map<String, Value> = spec
                .metadata
                .iter()
                .map(|key| {
                    let value = match key.rule {
                        domain::ValueRule::OneOf(values) => {
                            values.iter().max_by_key(|v| v.len()).copied().unwrap_or("")
                        }
                        domain::ValueRule::Identifier => longest,
                    };
                    (key.key.to_owned(), json!(value))
                })
                .collect();
            let mut request = json!({
                "event": spec.name,
                "tenant_id": uuid,
                "workspace_id": uuid,
                "actor_id": uuid,
                "occurred_at": "2026-11-27T09:00:00Z",
                "subject": {"type": spec.subject_types[0], "id": uuid},
                "metadata": metadata,
            });
            let id = crate::docs::recommended_event_id(spec, &request).expect("every part");
            request["event_id"] = json!(id);
            let parsed = domain::Milestone::parse(
                &request.to_string(),
                domain::testing::at("2026-11-27T10:00:00Z"),
                domain::Retention::default(),
            );
            assert!(
                parsed.is_ok(),
                "{} as {id} ({} chars): {parsed:?}",
                crate::docs::event_id_scheme(spec),
                id.len()
            );
        }
    }

    /// Adding an event is one change: the catalog. Nothing else in the source
    /// tree may spell an event name, except the generated `docs/` files, the
    /// generated blocks of hand-written pages (`docs`) and the shared
    /// test corpus (`testing.rs`, `tests/fixtures/`).
    #[test]
    fn event_names_appear_only_in_the_catalog() {
        use std::path::{Path, PathBuf};
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let allowed = [
            "shared/domain/src/events.rs",
            "shared/domain/src/testing.rs",
            "tests/fixtures/",
            "docs/record-request.schema.json",
            "docs/record-response.schema.json",
            "docs/summary.openapi.json",
            "docs/events.md",
            crate::php::MILESTONES_PHP,
        ];
        let skipped_dirs = [
            ".git",
            "target",
            ".tools",
            ".aws-sam",
            ".dev-data",
            "node_modules",
        ];
        let scanned_kinds = [
            "rs", "py", "js", "mjs", "html", "yaml", "yml", "toml", "json", "sh", "md", "php", "",
        ];
        let mut stack: Vec<PathBuf> = vec![root.clone()];
        let mut offenders = Vec::new();
        let mut scanned = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("readable source tree") {
                let path = entry.expect("entry").path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if path.is_dir() {
                    if !skipped_dirs.contains(&name) {
                        stack.push(path);
                    }
                    continue;
                }
                let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                if !scanned_kinds.contains(&extension) {
                    continue;
                }
                let relative = path
                    .strip_prefix(&root)
                    .expect("under root")
                    .to_string_lossy()
                    .replace('\\', "/");
                if allowed.iter().any(|a| relative.starts_with(a)) {
                    continue;
                }
                let Ok(mut text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                if extension == "md" {
                    for (_, name, _) in crate::docs::blocks() {
                        if let Some(outside) = crate::docs::splice(&text, name, "") {
                            text = outside;
                        }
                    }
                }
                scanned += 1;
                for spec in CATALOG {
                    if text.contains(spec.name) {
                        offenders.push(format!("{relative}: {}", spec.name));
                    }
                }
            }
        }
        assert!(scanned > 20, "the scan found only {scanned} files");
        assert!(
            offenders.is_empty(),
            "event names outside the catalog and the test corpus:\n{}",
            offenders.join("\n")
        );
    }
}
