//! The PHP client's recording API, generated from the catalog:
//! `clients/php/src/Milestones.php`, one typed builder per event that takes
//! the host's own ids and stored time and builds the payload, its `event_id`
//! by the catalog's scheme included. `scripts/regenerate` rewrites it.

use domain::ids::{MAX_IDENTIFIER_LEN, is_identifier_char};
use domain::metadata::is_lower_identifier_char;
use domain::{CATALOG, EventSpec, IdPart, RejectCode, Resend, ValueRule};

/// The generated files, relative to the repository root: the builders, and
/// one valid call of each for the PHP tests.
pub const MILESTONES_PHP: &str = "clients/php/src/Milestones.php";
pub const EXAMPLES_PHP: &str = "clients/php/tests/CatalogExamples.php";
/// The summary's windows, for the package's PHP and its widget's module.
pub const WINDOWS_PHP: &str = "clients/php/src/Windows.php";
pub const WIDGET_JS: &str = "clients/php/resources/js/adoption-summary.js";

/// The windows as PHP: every window, the default, and each in words.
pub fn windows_php() -> String {
    use domain::WindowKey;
    let all = WindowKey::ALL
        .iter()
        .map(|w| quoted(w.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let labels = WindowKey::ALL
        .iter()
        .map(|w| format!("{} => {}", quoted(w.as_str()), quoted(w.label())))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "<?php\n\n// Generated from shared/domain/src/window.rs by scripts/regenerate; do not edit by hand.\n\ndeclare(strict_types=1);\n\nnamespace AdoptionLedger;\n\n/** The summary's windows, as the summary API knows them. */\nfinal class Windows\n{{\n    /** Every window, shortest first. */\n    public const ALL = [{all}];\n\n    /** The window a dashboard shows until someone picks another. */\n    public const DEFAULT = {default};\n\n    /** Each window in words, for people and assistive technology. */\n    public const LABELS = [{labels}];\n}}\n",
        default = quoted(WindowKey::DEFAULT.as_str()),
    )
}

/// The widget module's window constants (between its generated markers).
pub fn windows_js() -> String {
    use domain::WindowKey;
    let all = WindowKey::ALL
        .iter()
        .map(|w| format!("\"{}\"", w.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let labels = WindowKey::ALL
        .iter()
        .map(|w| format!("\"{}\": \"{}\"", w.as_str(), w.label()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "const ALL_WINDOWS = [{all}];\nconst WINDOW_LABELS = {{ {labels} }};\nconst DEFAULT_WINDOW = \"{}\";\n",
        WindowKey::DEFAULT.as_str()
    )
}

/// The widget module with its window block replaced by `windows_js()`.
pub fn widget_js(module: &str) -> Option<String> {
    const OPEN: &str = "// generated from shared/domain/src/window.rs: windows\n";
    const CLOSE: &str = "// end of generated: windows\n";
    let start = module.find(OPEN)? + OPEN.len();
    let end = start + module[start..].find(CLOSE)?;
    Some(format!(
        "{}{}{}",
        &module[..start],
        windows_js(),
        &module[end..]
    ))
}

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
    // The checks record makes of a milestone's own values, in its order,
    // each naming record's code and field.
    let mut checks: Vec<String> = [
        ("tenant_id", "$tenantId"),
        ("workspace_id", "$workspaceId"),
        ("actor_id", "$actorId"),
    ]
    .iter()
    .map(|(field, var)| format!("        self::identifier('{field}', {var});"))
    .collect();
    checks.push(format!(
        "        self::oneOf('subject.type', '{}', $subjectType, {});",
        RejectCode::SubjectTypeNotAllowed,
        list(spec.subject_types)
    ));
    checks.push("        self::identifier('subject.id', $subjectId);".to_owned());
    for key in spec.metadata {
        let field = format!("metadata.{}", key.key);
        checks.push(match key.rule {
            ValueRule::OneOf(values) => format!(
                "        self::oneOf('{field}', '{}', ${}, {});",
                RejectCode::MetadataValueNotAllowed,
                camel(key.key),
                list(values)
            ),
            ValueRule::Identifier => format!(
                "        self::metadataValue('{field}', ${});",
                camel(key.key)
            ),
        });
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
    let identifier_class = php_class(is_identifier_char);
    let metadata_class = php_class(is_lower_identifier_char);
    let max = MAX_IDENTIFIER_LEN;
    let identifier_length = RejectCode::IdentifierLength;
    let identifier_charset = RejectCode::IdentifierCharset;
    let metadata_length = RejectCode::MetadataValueLength;
    let metadata_charset = RejectCode::MetadataValueCharset;
    format!(
        "<?php\n\n// Generated from shared/domain/src/events.rs by scripts/regenerate; do not edit by hand.\n\ndeclare(strict_types=1);\n\nnamespace AdoptionLedger;\n\n/**\n * One builder per milestone of the ledger's catalog. Each takes the host's own\n * ids and the stored time of the action, and builds the record payload with\n * the catalog's deterministic event id, so every re-send lands on the same row.\n * Each refuses what record would refuse of its values (ids, the subject's\n * type, metadata), with record's code and field ({{@see InvalidMilestone}}):\n * only the time's rules (the future, the retention) are record's alone.\n */\nfinal class Milestones\n{{\n    /** The events, by name: for the fake's assertions and the host's own code. */\n{constants}\n\n    /** Every event of the catalog, in catalog order. */\n    public const EVENTS = [\n{events}\n    ];\n\n{builders}\n    /** @throws InvalidMilestone {identifier_length} or {identifier_charset}, as record answers it */\n    private static function identifier(string $field, string|int $value): void\n    {{\n        self::shaped($field, (string) $value, '{identifier_length}', '{identifier_charset}', '/^{identifier_class}*$/D', 'may only contain letters, digits and _ . : -');\n    }}\n\n    /** @throws InvalidMilestone {metadata_length} or {metadata_charset}, as record answers it */\n    private static function metadataValue(string $field, string $value): void\n    {{\n        self::shaped($field, $value, '{metadata_length}', '{metadata_charset}', '/^{metadata_class}*$/D', 'may only contain lowercase letters, digits and _ . : -');\n    }}\n\n    private static function shaped(string $field, string $value, string $lengthCode, string $charsetCode, string $pattern, string $charset): void\n    {{\n        // Characters, not bytes, as record counts them.\n        $length = mb_strlen($value, 'UTF-8');\n        if (0 === $length || $length > {max}) {{\n            throw new InvalidMilestone($lengthCode, $field, sprintf('must be 1 to {max} characters long, got %d', $length));\n        }}\n        if (1 !== preg_match($pattern, $value)) {{\n            throw new InvalidMilestone($charsetCode, $field, $charset);\n        }}\n    }}\n\n    /**\n     * @param list<string> $allowed\n     *\n     * @throws InvalidMilestone with `$code`, as record answers it\n     */\n    private static function oneOf(string $field, string $code, string $value, array $allowed): void\n    {{\n        if (!\\in_array($value, $allowed, true)) {{\n            throw new InvalidMilestone($code, $field, 'must be one of: '.implode(', ', $allowed));\n        }}\n    }}\n}}\n"
    )
}

/// A PHP regex character class of the ASCII characters `allowed` admits
/// (the predicates admit no other), so the builders and record share one rule.
fn php_class(allowed: fn(char) -> bool) -> String {
    let chars: Vec<char> = (0u8..128).map(char::from).filter(|c| allowed(*c)).collect();
    let escape = |c: char| {
        if c.is_ascii_alphanumeric() {
            c.to_string()
        } else {
            format!("\\{c}")
        }
    };
    let mut class = String::from("[");
    let mut i = 0;
    while i < chars.len() {
        // A run of three or more consecutive letters or digits as a range (a-z).
        let kind = |c: char| {
            (
                c.is_ascii_digit(),
                c.is_ascii_uppercase(),
                c.is_ascii_lowercase(),
            )
        };
        let mut j = i;
        while j + 1 < chars.len()
            && chars[i].is_ascii_alphanumeric()
            && kind(chars[j + 1]) == kind(chars[i])
            && chars[j + 1] as u32 == chars[j] as u32 + 1
        {
            j += 1;
        }
        if j >= i + 2 {
            class.push_str(&format!("{}-{}", escape(chars[i]), escape(chars[j])));
        } else {
            chars[i..=j]
                .iter()
                .for_each(|c| class.push_str(&escape(*c)));
        }
        i = j + 1;
    }
    class.push(']');
    class
}

/// Every builder's arguments by name, valid; and every value record refuses
/// of a milestone (ids, the subject's type, metadata), with the code and
/// field record answers, so the PHP tests cover every event and rule
/// without naming one: `CatalogExamples::oneOfEach($at, $tag)`,
/// `CatalogExamples::arguments($at, $tag)`, `CatalogExamples::rejections()`.
pub fn examples_php() -> String {
    let arguments = CATALOG
        .iter()
        .map(|spec| {
            let mut args = vec![
                ("tenantId", "\"tenant-$tag\"".to_owned()),
                ("workspaceId", "\"ws-$tag\"".to_owned()),
                ("actorId", "\"user-$tag\"".to_owned()),
                ("occurredAt", "$at".to_owned()),
                ("subjectId", "\"subject-$tag\"".to_owned()),
                ("subjectType", quoted(spec.subject_types[0])),
            ];
            let keys: Vec<(String, String)> = spec
                .metadata
                .iter()
                .map(|key| {
                    let value = match key.rule {
                        ValueRule::OneOf(values) => quoted(values[0]),
                        ValueRule::Identifier => "\"value_$tag\"".to_owned(),
                    };
                    (camel(key.key), value)
                })
                .collect();
            let mut pairs: Vec<String> = args
                .drain(..)
                .map(|(name, value)| format!("'{name}' => {value}"))
                .collect();
            pairs.extend(
                keys.iter()
                    .map(|(name, value)| format!("'{name}' => {value}")),
            );
            format!(
                "            '{}' => [{}],",
                camel(spec.name),
                pairs.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let long = "a".repeat(MAX_IDENTIFIER_LEN + 1);
    let mut rejections = Vec::new();
    for spec in CATALOG {
        let builder = camel(spec.name);
        let mut case = |param: &str, value: &str, code: RejectCode, field: &str| {
            rejections.push(format!(
                "            ['{builder}', '{param}', {}, '{code}', '{field}'],",
                quoted(value)
            ));
        };
        for (param, field) in [
            ("tenantId", "tenant_id"),
            ("workspaceId", "workspace_id"),
            ("actorId", "actor_id"),
            ("subjectId", "subject.id"),
        ] {
            case(param, "", RejectCode::IdentifierLength, field);
            case(param, &long, RejectCode::IdentifierLength, field);
            case(
                param,
                "user@example.com",
                RejectCode::IdentifierCharset,
                field,
            );
            case(param, "caf\u{e9}", RejectCode::IdentifierCharset, field);
        }
        case(
            "subjectType",
            "not_a_subject_type",
            RejectCode::SubjectTypeNotAllowed,
            "subject.type",
        );
        for key in spec.metadata {
            let param = camel(key.key);
            let field = format!("metadata.{}", key.key);
            match key.rule {
                ValueRule::OneOf(_) => case(
                    &param,
                    "not_in_the_list",
                    RejectCode::MetadataValueNotAllowed,
                    &field,
                ),
                ValueRule::Identifier => {
                    case(&param, "", RejectCode::MetadataValueLength, &field);
                    case(&param, &long, RejectCode::MetadataValueLength, &field);
                    case(&param, "Upper", RejectCode::MetadataValueCharset, &field);
                    case(
                        &param,
                        "two words",
                        RejectCode::MetadataValueCharset,
                        &field,
                    );
                }
            }
        }
    }
    let rejections = rejections.join("\n");
    format!(
        "<?php\n\n// Generated from shared/domain/src/events.rs by scripts/regenerate; do not edit by hand.\n\ndeclare(strict_types=1);\n\nnamespace AdoptionLedger\\Tests;\n\nuse AdoptionLedger\\Milestone;\nuse AdoptionLedger\\Milestones;\n\n/** Valid milestones of every catalog event, in catalog order, and every value record refuses of them. */\nfinal class CatalogExamples\n{{\n    /**\n     * @param string $tag lowercase letters and digits, to keep ids apart between tests\n     *\n     * @return list<Milestone>\n     */\n    public static function oneOfEach(\\DateTimeInterface $at, string $tag = 'x'): array\n    {{\n        $milestones = [];\n        foreach (self::arguments($at, $tag) as $builder => $arguments) {{\n            $milestones[] = Milestones::$builder(...$arguments);\n        }}\n\n        return $milestones;\n    }}\n\n    /**\n     * Each builder's valid arguments, by name.\n     *\n     * @return array<string, array<string, mixed>>\n     */\n    public static function arguments(\\DateTimeInterface $at, string $tag = 'x'): array\n    {{\n        return [\n{arguments}\n        ];\n    }}\n\n    /**\n     * Every value record refuses of a milestone, one argument at a time:\n     * the builder, the argument, the value, and record's code and field.\n     *\n     * @return list<array{{0: string, 1: string, 2: string, 3: string, 4: string}}>\n     */\n    public static function rejections(): array\n    {{\n        return [\n{rejections}\n        ];\n    }}\n}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_php_is_up_to_date() {
        let module = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(WIDGET_JS),
        )
        .expect("the widget module");
        let widget = widget_js(&module).expect("the widget module has its generated windows block");
        for (file, expected) in [
            (MILESTONES_PHP, milestones_php()),
            (EXAMPLES_PHP, examples_php()),
            (WINDOWS_PHP, windows_php()),
            (WIDGET_JS, widget),
        ] {
            crate::docs::check_generated(file, &expected);
        }
    }

    #[test]
    fn the_php_classes_admit_exactly_what_record_admits() {
        assert_eq!(php_class(is_identifier_char), "[\\-\\.0-9\\:A-Z\\_a-z]");
        assert_eq!(php_class(is_lower_identifier_char), "[\\-\\.0-9\\:\\_a-z]");
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
