//! The PHP client's recording API, generated from the catalog:
//! `clients/php/src/Milestones.php`, one typed builder per event that takes
//! the host's own ids and stored time and builds the payload, its `event_id`
//! by the catalog's scheme included. `scripts/regenerate` rewrites it.

use crate::events::{CATALOG, EventSpec, IdPart, Resend, ValueRule};

/// The generated files, relative to the repository root: the builders, and
/// one valid call of each for the PHP tests.
pub const MILESTONES_PHP: &str = "clients/php/src/Milestones.php";
pub const EXAMPLES_PHP: &str = "clients/php/tests/CatalogExamples.php";

/// `dotted.snake_name` as `DOTTED_SNAKE_NAME`.
fn constant(name: &str) -> String {
    name.replace(['.', '-'], "_").to_uppercase()
}

/// `snake_case` or `dotted.name` as `camelCase`.
fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' || c == '.' || c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A PHP single-quoted string literal (catalog text has no quote or backslash).
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn list(values: &[&str]) -> String {
    format!(
        "[{}]",
        values
            .iter()
            .map(|v| quoted(v))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The PHP builder's method name of an event.
pub fn builder_name(spec: &EventSpec) -> String {
    camel(spec.name)
}

fn builder(spec: &EventSpec) -> String {
    let many_subjects = spec.subject_types.len() > 1;
    let mut params = vec![
        "string|int $tenantId".to_owned(),
        "string|int $workspaceId".to_owned(),
        "string|int $actorId".to_owned(),
        "\\DateTimeInterface $occurredAt".to_owned(),
        "string|int $subjectId".to_owned(),
    ];
    if many_subjects {
        params.push("string $subjectType".to_owned());
    }
    for key in spec.metadata {
        params.push(format!("string ${}", camel(key.key)));
    }
    if !many_subjects {
        params.push(format!(
            "string $subjectType = {}",
            quoted(spec.subject_types[0])
        ));
    }
    let mut checks = vec![format!(
        "        self::oneOf('subjectType', $subjectType, {});",
        list(spec.subject_types)
    )];
    for key in spec.metadata {
        match key.rule {
            ValueRule::OneOf(values) => checks.push(format!(
                "        self::oneOf({}, ${}, {});",
                quoted(&camel(key.key)),
                camel(key.key),
                list(values)
            )),
            ValueRule::Identifier => {}
        }
    }
    let metadata = spec
        .metadata
        .iter()
        .map(|key| format!("{} => ${}", quoted(key.key), camel(key.key)))
        .collect::<Vec<_>>()
        .join(", ");
    let id_parts = spec
        .event_id
        .iter()
        .map(|part| match part {
            IdPart::WorkspaceId => "(string) $workspaceId".to_owned(),
            IdPart::ActorId => "(string) $actorId".to_owned(),
            IdPart::SubjectId => "(string) $subjectId".to_owned(),
            IdPart::Metadata(key) => format!("${}", camel(key)),
            IdPart::Day => "Milestone::utcDay($occurredAt)".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let resend = match spec.resend {
        Resend::FirstWins => {
            "Sent again with other content, it is a duplicate: the first one wins."
        }
        Resend::SameContent => {
            "Sent again with other content, it is rejected (idempotency_conflict): build it from stored data only."
        }
    };
    format!(
        "    /**\n     * {label} ({area}). One event id per milestone: {once_per}.\n     * {resend}\n     *\n     * @param \\DateTimeInterface $occurredAt when it happened, from stored data; never \"now\" at send time\n     */\n    public static function {method}(\n        {params},\n    ): Milestone {{\n{checks}\n\n        return Milestone::build(\n            {name},\n            $tenantId,\n            $workspaceId,\n            $actorId,\n            $occurredAt,\n            ['type' => $subjectType, 'id' => (string) $subjectId],\n            [{metadata}],\n            [{id_parts}],\n        );\n    }}\n",
        label = spec.label,
        area = spec.feature_area,
        once_per = spec.once_per,
        method = camel(spec.name),
        params = params.join(",\n        "),
        checks = checks.join("\n"),
        name = quoted(spec.name),
    )
}

/// The whole of `clients/php/src/Milestones.php`.
pub fn milestones_php() -> String {
    let constants = CATALOG
        .iter()
        .map(|spec| {
            format!(
                "    public const {} = {};",
                constant(spec.name),
                quoted(spec.name)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let events = CATALOG
        .iter()
        .map(|spec| format!("        self::{},", constant(spec.name)))
        .collect::<Vec<_>>()
        .join("\n");
    let builders = CATALOG.iter().map(builder).collect::<Vec<_>>().join("\n");
    format!(
        "<?php\n\n// Generated from shared/domain/src/events.rs by scripts/regenerate; do not edit by hand.\n\ndeclare(strict_types=1);\n\nnamespace AdoptionLedger;\n\n/**\n * One builder per milestone of the ledger's catalog. Each takes the host's own\n * ids and the stored time of the action, and builds the record payload with\n * the catalog's deterministic event id, so every re-send lands on the same row.\n */\nfinal class Milestones\n{{\n    /** The events, by name: for the fake's assertions and the host's own code. */\n{constants}\n\n    /** Every event of the catalog, in catalog order. */\n    public const EVENTS = [\n{events}\n    ];\n\n{builders}\n    /** @param list<string> $allowed */\n    private static function oneOf(string $name, string $value, array $allowed): void\n    {{\n        if (!\\in_array($value, $allowed, true)) {{\n            throw new \\InvalidArgumentException(sprintf('%s must be one of: %s', $name, implode(', ', $allowed)));\n        }}\n    }}\n}}\n"
    )
}

/// One valid call per builder, so the PHP tests cover every event without
/// naming one: `CatalogExamples::oneOfEach($at, $tag)`.
pub fn examples_php() -> String {
    let calls = CATALOG
        .iter()
        .map(|spec| {
            let mut args = vec![
                "\"tenant-$tag\"".to_owned(),
                "\"ws-$tag\"".to_owned(),
                "\"user-$tag\"".to_owned(),
                "$at".to_owned(),
                "\"subject-$tag\"".to_owned(),
            ];
            if spec.subject_types.len() > 1 {
                args.push(quoted(spec.subject_types[0]));
            }
            for key in spec.metadata {
                args.push(match key.rule {
                    ValueRule::OneOf(values) => quoted(values[0]),
                    ValueRule::Identifier => "\"value_$tag\"".to_owned(),
                });
            }
            format!(
                "            Milestones::{}({}),",
                camel(spec.name),
                args.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "<?php\n\n// Generated from shared/domain/src/events.rs by scripts/regenerate; do not edit by hand.\n\ndeclare(strict_types=1);\n\nnamespace AdoptionLedger\\Tests;\n\nuse AdoptionLedger\\Milestone;\nuse AdoptionLedger\\Milestones;\n\n/** One valid milestone of every catalog event, in catalog order. */\nfinal class CatalogExamples\n{{\n    /**\n     * @param string $tag lowercase letters and digits, to keep ids apart between tests\n     *\n     * @return list<Milestone>\n     */\n    public static function oneOfEach(\\DateTimeInterface $at, string $tag = 'x'): array\n    {{\n        return [\n{calls}\n        ];\n    }}\n}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_php_is_up_to_date() {
        for (file, expected) in [
            (MILESTONES_PHP, milestones_php()),
            (EXAMPLES_PHP, examples_php()),
        ] {
            crate::catalog_docs::check_generated(file, &expected);
        }
    }

    #[test]
    fn names_become_camel_case() {
        assert_eq!(camel("some_area.thing_was_done"), "someAreaThingWasDone");
        assert_eq!(camel("operation_type"), "operationType");
    }

    #[test]
    fn every_event_has_one_builder() {
        let php = milestones_php();
        for spec in CATALOG {
            assert_eq!(
                php.matches(&format!("public static function {}(", camel(spec.name)))
                    .count(),
                1,
                "{}",
                spec.name
            );
        }
    }
}
