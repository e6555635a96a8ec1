//! `infra/template.yaml`, read as data: least privilege role by role, the
//! function wiring, and the table the tests create being the template's.

use crate::support::TestTable;
use devkit::TableDefinition;
use serde_yaml_ng::Value;
use std::collections::BTreeSet;
use storage::TABLE_SHAPE;

pub(crate) fn template() -> Value {
    let text = std::fs::read_to_string(TableDefinition::repo_template_path())
        .expect("read infra/template.yaml");
    serde_yaml_ng::from_str(&text).expect("template is YAML")
}

/// The names of the template's resources of one `Type`, in template order.
fn resources_of_type(template: &Value, kind: &str) -> Vec<String> {
    at(template, &["Resources"])
        .as_mapping()
        .expect("resources")
        .iter()
        .filter(|(_, r)| render(at(r, &["Type"])) == kind)
        .map(|(name, _)| render(name))
        .collect()
}

/// An alarm that fires on any occurrence in one period: `statistic` over
/// `period` seconds above 0, with silence counted as health.
fn assert_alarms_on_any_occurrence(alarm: &str, props: &Value, statistic: &str, period: u64) {
    assert_eq!(render(at(props, &["Statistic"])), statistic, "{alarm}");
    assert_eq!(number(at(props, &["Period"])), period, "{alarm}");
    assert_eq!(number(at(props, &["EvaluationPeriods"])), 1, "{alarm}");
    assert_eq!(number(at(props, &["Threshold"])), 0, "{alarm}");
    assert_eq!(
        render(at(props, &["ComparisonOperator"])),
        "GreaterThanThreshold",
        "{alarm}"
    );
    assert_eq!(
        render(at(props, &["TreatMissingData"])),
        "notBreaching",
        "{alarm}"
    );
}

/// The summary API's access log format, one JSON object.
fn access_log_format(template: &Value) -> serde_json::Value {
    let api = properties(template, "SummaryApi");
    serde_json::from_str(&render(at(api, &["AccessLogSettings", "Format"])))
        .expect("the access log format is one JSON object")
}

fn resource<'a>(template: &'a Value, name: &str) -> &'a Value {
    template
        .get("Resources")
        .and_then(|r| r.get(name))
        .unwrap_or_else(|| panic!("resource {name} missing"))
}

/// A CloudFormation value as text: `!GetAtt X.Arn` becomes `GetAtt X.Arn`.
fn render(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Tagged(tagged) => format!(
            "{} {}",
            tagged.tag.to_string().trim_start_matches('!'),
            render(&tagged.value)
        ),
        Value::Sequence(items) => items.iter().map(render).collect::<Vec<_>>().join(" "),
        other => serde_yaml_ng::to_string(other)
            .expect("yaml")
            .trim()
            .to_owned(),
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Sequence(items) => items.iter().map(render).collect(),
        single => vec![render(single)],
    }
}

/// A policy document's statements, a conditional one (`!If [Cond, statement,
/// !Ref AWS::NoValue]`) as its statement: what the role may do when the
/// condition holds.
fn statements(document: &Value) -> Vec<&Value> {
    document
        .get("Statement")
        .and_then(Value::as_sequence)
        .expect("statements")
        .iter()
        .map(|statement| match statement {
            Value::Tagged(tagged) if tagged.tag == "!If" => {
                let branches = tagged
                    .value
                    .as_sequence()
                    .expect("!If [condition, then, else]");
                assert_eq!(
                    render(&branches[2]),
                    "Ref AWS::NoValue",
                    "a conditional statement or none"
                );
                &branches[1]
            }
            plain => plain,
        })
        .collect()
}

/// Every (action, resource) an IAM policy document allows.
fn grants(document: &Value) -> BTreeSet<(String, String)> {
    let mut grants = BTreeSet::new();
    for statement in statements(document) {
        assert!(statement.get("NotAction").is_none() && statement.get("NotResource").is_none());
        let effect = statement.get("Effect").and_then(Value::as_str);
        assert!(matches!(effect, Some("Allow" | "Deny")), "{effect:?}");
        if effect == Some("Deny") {
            continue;
        }
        for action in strings(statement.get("Action").expect("Action")) {
            for resource in strings(statement.get("Resource").expect("Resource")) {
                grants.insert((action.clone(), resource));
            }
        }
    }
    grants
}

fn role_grants(template: &Value, role: &str) -> BTreeSet<(String, String)> {
    let properties = resource(template, role)
        .get("Properties")
        .expect("Properties");
    assert!(
        properties.get("ManagedPolicyArns").is_none(),
        "{role} must not attach managed policies"
    );
    let policies = properties
        .get("Policies")
        .and_then(Value::as_sequence)
        .expect("inline policies");
    policies
        .iter()
        .flat_map(|p| grants(p.get("PolicyDocument").expect("PolicyDocument")))
        .collect()
}

fn set(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs
        .iter()
        .map(|(a, r)| (a.to_string(), r.to_string()))
        .collect()
}

#[test]
fn record_role_grants_exactly_put_item_send_message_and_its_logs() {
    let expected = set(&[
        ("dynamodb:PutItem", "GetAtt LedgerTable.Arn"),
        ("dynamodb:BatchGetItem", "GetAtt LedgerTable.Arn"),
        ("dynamodb:ConditionCheckItem", "GetAtt LedgerTable.Arn"),
        ("secretsmanager:GetSecretValue", "Ref ErasureKeySecret"),
        ("kms:Decrypt", "Ref ErasureKeyKmsKeyArn"),
        ("dynamodb:UpdateItem", "GetAtt LedgerTable.Arn"),
        ("sqs:SendMessage", "GetAtt RecordFailureQueue.Arn"),
        ("logs:CreateLogStream", "GetAtt RecordLogGroup.Arn"),
        ("logs:PutLogEvents", "GetAtt RecordLogGroup.Arn"),
    ]);
    assert_eq!(role_grants(&template(), "RecordRole"), expected);
}

#[test]
fn summary_role_grants_exactly_query_on_the_index_and_its_logs() {
    let expected = set(&[
        ("dynamodb:Query", "Sub ${LedgerTable.Arn}/index/by_time"),
        ("dynamodb:BatchGetItem", "GetAtt LedgerTable.Arn"),
        ("dynamodb:Query", "GetAtt LedgerTable.Arn"),
        ("logs:CreateLogStream", "GetAtt SummaryLogGroup.Arn"),
        ("logs:PutLogEvents", "GetAtt SummaryLogGroup.Arn"),
    ]);
    assert_eq!(role_grants(&template(), "SummaryRole"), expected);
}

#[test]
fn prune_role_grants_exactly_query_on_the_index_delete_item_and_its_logs() {
    // DeleteItem, not BatchWriteItem: conditional deletes, and no way to put.
    // Query and UpdateItem on the table: purge tombstones (see leading keys).
    let expected = set(&[
        ("dynamodb:Query", "Sub ${LedgerTable.Arn}/index/by_time"),
        ("dynamodb:Query", "GetAtt LedgerTable.Arn"),
        ("dynamodb:UpdateItem", "GetAtt LedgerTable.Arn"),
        ("dynamodb:DeleteItem", "GetAtt LedgerTable.Arn"),
        ("dynamodb:BatchGetItem", "GetAtt LedgerTable.Arn"),
        ("dynamodb:Scan", "GetAtt ErasureLogTable.Arn"),
        ("secretsmanager:GetSecretValue", "Ref ErasureKeySecret"),
        ("kms:Decrypt", "Ref ErasureKeyKmsKeyArn"),
        ("logs:CreateLogStream", "GetAtt PruneLogGroup.Arn"),
        ("logs:PutLogEvents", "GetAtt PruneLogGroup.Arn"),
    ]);
    assert_eq!(role_grants(&template(), "PruneRole"), expected);
}

#[test]
fn rollup_role_grants_exactly_reads_of_the_index_and_rollup_items_and_its_logs() {
    let expected = set(&[
        ("dynamodb:Query", "Sub ${LedgerTable.Arn}/index/by_time"),
        ("dynamodb:BatchGetItem", "GetAtt LedgerTable.Arn"),
        ("dynamodb:ConditionCheckItem", "GetAtt LedgerTable.Arn"),
        ("dynamodb:PutItem", "GetAtt LedgerTable.Arn"),
        ("dynamodb:Query", "GetAtt LedgerTable.Arn"),
        ("dynamodb:DeleteItem", "GetAtt LedgerTable.Arn"),
        ("logs:CreateLogStream", "GetAtt RollupLogGroup.Arn"),
        ("logs:PutLogEvents", "GetAtt RollupLogGroup.Arn"),
    ]);
    assert_eq!(role_grants(&template(), "RollupRole"), expected);
}

#[test]
fn purge_role_grants_exactly_tenant_reads_and_deletes_bumps_tombstones_and_its_logs() {
    let expected = set(&[
        ("dynamodb:Query", "GetAtt LedgerTable.Arn"),
        ("dynamodb:DeleteItem", "GetAtt LedgerTable.Arn"),
        ("dynamodb:UpdateItem", "GetAtt LedgerTable.Arn"),
        ("dynamodb:BatchGetItem", "GetAtt LedgerTable.Arn"),
        ("dynamodb:PutItem", "GetAtt ErasureLogTable.Arn"),
        ("secretsmanager:GetSecretValue", "Ref ErasureKeySecret"),
        ("kms:Decrypt", "Ref ErasureKeyKmsKeyArn"),
        ("logs:CreateLogStream", "GetAtt PurgeLogGroup.Arn"),
        ("logs:PutLogEvents", "GetAtt PurgeLogGroup.Arn"),
    ]);
    assert_eq!(role_grants(&template(), "PurgeRole"), expected);
}

/// Purge is invoked by the host's job, which retries until done: one at a
/// time, never retried by Lambda, and its walk stops before the timeout.
#[test]
fn purge_runs_one_at_a_time_and_is_never_retried_by_lambda() {
    let template = template();
    let props = properties(&template, "PurgeFunction");
    assert_one_at_a_time_when_asked(&template, props);
    assert_eq!(
        number(at(props, &["EventInvokeConfig", "MaximumRetryAttempts"])),
        0
    );
    assert!(
        props.get("Events").is_none(),
        "purge runs only when invoked"
    );
    let margin = number(at(
        props,
        &["Environment", "Variables", "PURGE_SAFETY_MARGIN_SECONDS"],
    ));
    assert!(margin < number(at(props, &["Timeout"])));
}

/// The leading keys (partitions) each table-level grant is limited to, by
/// (role, action). A grant without the condition reaches every row.
fn leading_keys(template: &Value, role: &str) -> BTreeSet<(String, Vec<String>)> {
    let mut limited = BTreeSet::new();
    for policy in properties(template, role)
        .get("Policies")
        .and_then(Value::as_sequence)
        .expect("policies")
    {
        for statement in statements(at(policy, &["PolicyDocument"])) {
            let Some(keys) = statement
                .get("Condition")
                .and_then(|c| c.get("ForAllValues:StringEquals"))
                .and_then(|c| c.get("dynamodb:LeadingKeys"))
            else {
                continue;
            };
            let keys = strings(keys);
            for action in strings(statement.get("Action").expect("Action")) {
                limited.insert((action, keys.clone()));
            }
        }
    }
    limited
}

/// The erasure keyring is a secret the template generates (64 characters,
/// under the id the code's keyring format expects), kept with the table,
/// and read only by the three functions that write or match tombstones:
/// record, purge and prune, each through the variable wiring reads.
#[test]
fn the_erasure_key_is_a_generated_secret_only_record_purge_and_prune_read() {
    let template = template();
    let secret = resource(&template, "ErasureKeySecret");
    assert_eq!(render(at(secret, &["Type"])), "AWS::SecretsManager::Secret");
    assert_eq!(render(at(secret, &["DeletionPolicy"])), "Retain");
    assert_eq!(render(at(secret, &["UpdateReplacePolicy"])), "Retain");
    let generate = at(secret, &["Properties", "GenerateSecretString"]);
    assert!(number(at(generate, &["PasswordLength"])) >= domain::erasure_key::MIN_KEY_BYTES as u64);
    let key = render(at(generate, &["GenerateStringKey"]));
    let shape: serde_json::Value =
        serde_json::from_str(&render(at(generate, &["SecretStringTemplate"]))).expect("JSON");
    assert_eq!(
        shape[domain::erasure_key::CURRENT],
        key.as_str(),
        "current names the generated key"
    );
    // What the stack generates is a keyring the code reads.
    let generated = serde_json::json!({"current": key, key.clone(): "x".repeat(64)});
    domain::ErasureKeyring::parse(&generated.to_string()).expect("a readable keyring");

    let mut readers = BTreeSet::new();
    for role in resources_of_type(&template, "AWS::IAM::Role") {
        for (action, target) in role_grants(&template, &role) {
            if action.starts_with("secretsmanager:") {
                assert_eq!(
                    (action.as_str(), target.as_str()),
                    ("secretsmanager:GetSecretValue", "Ref ErasureKeySecret"),
                    "{role}"
                );
                readers.insert(role.clone());
            }
        }
    }
    let expected: BTreeSet<String> = ["PruneRole", "PurgeRole", "RecordRole"]
        .iter()
        .map(|r| r.to_string())
        .collect();
    assert_eq!(readers, expected);
    for function in resources_of_type(&template, "AWS::Serverless::Function") {
        let variable = properties(&template, &function)
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(|v| v.get(wiring::secrets::ERASURE_KEY_SECRET))
            .map(render);
        let reads =
            ["RecordFunction", "PurgeFunction", "PruneFunction"].contains(&function.as_str());
        assert_eq!(
            variable,
            reads.then(|| "Ref ErasureKeySecret".to_owned()),
            "{function}"
        );
    }
}

/// The keyring is readable by its readers only: the secret's resource policy
/// denies `GetSecretValue` to every principal but record's, purge's and
/// prune's roles and the account root (recovery), whatever other policies in
/// the account allow; a customer-managed key, when the stack names one,
/// encrypts it, and only those roles may decrypt with it, through Secrets
/// Manager only.
#[test]
fn the_erasure_keyring_is_readable_by_its_readers_only() {
    let template = template();
    let policies: Vec<String> = resources_of_type(&template, "AWS::SecretsManager::ResourcePolicy");
    assert_eq!(
        policies,
        ["ErasureKeySecretPolicy"],
        "one resource policy, on the keyring"
    );
    let props = properties(&template, "ErasureKeySecretPolicy");
    assert_eq!(render(at(props, &["SecretId"])), "Ref ErasureKeySecret");
    assert_eq!(render(at(props, &["BlockPublicPolicy"])), "true");
    let document = at(props, &["ResourcePolicy"]);
    let all = statements(document);
    assert_eq!(all.len(), 1, "one statement: the Deny");
    let deny = all[0];
    assert_eq!(render(at(deny, &["Effect"])), "Deny");
    assert_eq!(render(at(deny, &["Principal"])), "*", "to every principal");
    assert_eq!(
        strings(at(deny, &["Action"])),
        ["secretsmanager:GetSecretValue"]
    );
    assert_eq!(render(at(deny, &["Resource"])), "*");
    let excepted: BTreeSet<String> =
        strings(at(deny, &["Condition", "ArnNotEquals", "aws:PrincipalArn"]))
            .into_iter()
            .collect();
    let readers: BTreeSet<String> = [
        "GetAtt PruneRole.Arn",
        "GetAtt PurgeRole.Arn",
        "GetAtt RecordRole.Arn",
        "Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:root",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(
        excepted, readers,
        "the three readers and the account root, no one else"
    );

    // The optional customer-managed key.
    let parameter = at(&template, &["Parameters", "ErasureKeyKmsKeyArn"]);
    assert_eq!(
        render(at(parameter, &["Default"])),
        "",
        "off unless the stack names a key"
    );
    assert_eq!(
        render(at(properties(&template, "ErasureKeySecret"), &["KmsKeyId"])),
        "If HasErasureKmsKey Ref ErasureKeyKmsKeyArn Ref AWS::NoValue"
    );
    for role in resources_of_type(&template, "AWS::IAM::Role") {
        let decrypts = role_grants(&template, &role)
            .iter()
            .any(|(action, _)| action.starts_with("kms:"));
        assert_eq!(
            decrypts,
            ["PruneRole", "PurgeRole", "RecordRole"].contains(&role.as_str()),
            "{role}"
        );
        for policy in at(properties(&template, &role), &["Policies"])
            .as_sequence()
            .expect("policies")
        {
            for statement in statements(at(policy, &["PolicyDocument"])) {
                if strings(at(statement, &["Action"]))
                    .iter()
                    .any(|a| a.starts_with("kms:"))
                {
                    assert_eq!(
                        render(at(
                            statement,
                            &["Condition", "StringEquals", "kms:ViaService"]
                        )),
                        "Sub secretsmanager.${AWS::Region}.amazonaws.com",
                        "{role}: through Secrets Manager only"
                    );
                }
            }
        }
    }
}

/// The erasure log outlives a restore of the ledger table: a table of its
/// own, kept with the stack's data, that purge writes (only puts) and prune
/// reads (only a scan), both wired to it; no other role touches it.
#[test]
fn the_erasure_log_is_a_table_a_restore_does_not_reach_written_by_purge_read_by_prune() {
    let template = template();
    let log = resource(&template, "ErasureLogTable");
    assert_eq!(render(at(log, &["Type"])), "AWS::DynamoDB::Table");
    assert_eq!(render(at(log, &["DeletionPolicy"])), "Retain");
    assert_eq!(
        render(at(
            properties(&template, "ErasureLogTable"),
            &["TimeToLiveSpecification", "AttributeName"]
        )),
        "expires_at"
    );
    for function in resources_of_type(&template, "AWS::Serverless::Function") {
        let variable = properties(&template, &function)
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(|v| v.get(wiring::ERASURE_LOG_TABLE))
            .map(render);
        let uses = ["PurgeFunction", "PruneFunction"].contains(&function.as_str());
        assert_eq!(
            variable,
            uses.then(|| "Ref ErasureLogTable".to_owned()),
            "{function}"
        );
    }
    let mut touching = BTreeSet::new();
    for role in resources_of_type(&template, "AWS::IAM::Role") {
        for (action, target) in role_grants(&template, &role) {
            if target.contains("ErasureLogTable") {
                touching.insert((role.clone(), action));
            }
        }
    }
    assert_eq!(
        touching,
        BTreeSet::from([
            ("PruneRole".to_owned(), "dynamodb:Scan".to_owned()),
            ("PurgeRole".to_owned(), "dynamodb:PutItem".to_owned()),
        ])
    );
}

/// Point-in-time recovery is on: a restore is the safety net for a bad
/// deploy or a mistaken purge (and docs/operations.md says what a restore
/// must do so that it never brings an erased person back).
#[test]
fn point_in_time_recovery_is_on() {
    let template = template();
    let pitr = at(
        properties(&template, "LedgerTable"),
        &["PointInTimeRecoverySpecification"],
    );
    assert_eq!(render(at(pitr, &["PointInTimeRecoveryEnabled"])), "true");
}

/// `sam build` builds each function with `cargo lambda build`, which reads
/// the workspace's `[workspace.metadata.lambda.build]`: `locked = true` there
/// makes the deploy build the committed Cargo.lock, the versions tested, or
/// fail (cargo lambda 1.9.2 refuses a lock file that would change).
#[test]
fn the_deploy_builds_the_committed_lock_file() {
    let manifest = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml"),
    )
    .expect("Cargo.toml");
    let section = manifest
        .split("\n[")
        .find(|part| part.starts_with("workspace.metadata.lambda.build]"))
        .expect("Cargo.toml has [workspace.metadata.lambda.build]");
    assert!(
        section.lines().any(|line| line.trim() == "locked = true"),
        "cargo lambda builds with --locked: {section}"
    );
    let template = template();
    for function in resources_of_type(&template, "AWS::Serverless::Function") {
        assert_eq!(
            render(at(
                resource(&template, &function),
                &["Metadata", "BuildMethod"]
            )),
            "rust-cargolambda",
            "{function} is built by cargo lambda, which reads that setting"
        );
    }
}

/// Prune's and purge's Queries of the table may read only the attributes
/// storage asks for (`dynamodb:Attributes`, with `Select` held to
/// `SPECIFIC_ATTRIBUTES`): never metadata, event ids or workspaces. Every
/// Allow of `dynamodb:Query` on the table in those roles carries the
/// condition, and its list is storage's own.
#[test]
fn prune_and_purge_query_only_the_attributes_storage_reads() {
    let template = template();
    for (role, expected) in [
        ("PruneRole", TABLE_SHAPE.prune_query_attributes),
        ("PurgeRole", TABLE_SHAPE.purge_query_attributes),
    ] {
        let mut seen = 0;
        for policy in at(resource(&template, role), &["Properties", "Policies"])
            .as_sequence()
            .expect("policies")
        {
            for statement in statements(at(policy, &["PolicyDocument"])) {
                let allows_table_query = render(at(statement, &["Effect"])) == "Allow"
                    && strings(at(statement, &["Action"])).contains(&"dynamodb:Query".to_owned())
                    && strings(at(statement, &["Resource"]))
                        .contains(&"GetAtt LedgerTable.Arn".to_owned());
                if !allows_table_query {
                    continue;
                }
                seen += 1;
                let condition = statement.get("Condition").expect("a condition");
                let attributes: BTreeSet<String> = strings(at(
                    condition,
                    &["ForAllValues:StringEquals", "dynamodb:Attributes"],
                ))
                .into_iter()
                .collect();
                let want: BTreeSet<String> = expected.iter().map(|a| a.to_string()).collect();
                assert_eq!(attributes, want, "{role}");
                assert_eq!(
                    render(at(condition, &["StringEqualsIfExists", "dynamodb:Select"])),
                    "SPECIFIC_ATTRIBUTES",
                    "{role}"
                );
            }
        }
        assert_eq!(seen, 1, "{role}: one Query grant on the table");
    }
}

/// Roll-ups and day versions live in partitions no tenant can have; the
/// roles that touch them reach only those partitions, never a row.
#[test]
fn rollup_grants_are_limited_to_the_rollup_partitions() {
    let template = template();
    let keys = |list: &[&str]| list.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    assert_eq!(
        leading_keys(&template, "RecordRole"),
        BTreeSet::from([
            ("dynamodb:UpdateItem".to_owned(), keys(&["#day"])),
            ("dynamodb:ConditionCheckItem".to_owned(), keys(&["#purge"])),
            ("dynamodb:BatchGetItem".to_owned(), keys(&["#purge"])),
        ])
    );
    assert_eq!(
        leading_keys(&template, "SummaryRole"),
        BTreeSet::from([
            ("dynamodb:BatchGetItem".to_owned(), keys(&["#rollup"])),
            ("dynamodb:Query".to_owned(), keys(&["#day"])),
        ])
    );
    assert_eq!(
        leading_keys(&template, "RollupRole"),
        BTreeSet::from([
            ("dynamodb:BatchGetItem".to_owned(), keys(&["#rollup"])),
            ("dynamodb:ConditionCheckItem".to_owned(), keys(&["#day"])),
            ("dynamodb:PutItem".to_owned(), keys(&["#rollup"])),
            ("dynamodb:Query".to_owned(), keys(&["#day", "#rollup"])),
            ("dynamodb:DeleteItem".to_owned(), keys(&["#rollup"])),
        ])
    );
    for role in ["PruneRole", "PurgeRole"] {
        assert_eq!(
            leading_keys(&template, role),
            BTreeSet::from([
                ("dynamodb:UpdateItem".to_owned(), keys(&["#day", "#purge"])),
                ("dynamodb:BatchGetItem".to_owned(), keys(&["#purge"])),
            ]),
            "{role}"
        );
    }
}

#[test]
fn the_index_in_every_policy_is_the_one_storage_queries() {
    let text = std::fs::read_to_string(TableDefinition::repo_template_path()).expect("template");
    let index_arns: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("/index/"))
        .collect();
    assert!(!index_arns.is_empty(), "no policy grants the time index");
    let expected = format!("/index/{}\"", TABLE_SHAPE.index_name);
    for line in index_arns {
        assert!(line.trim_end().ends_with(&expected), "{line}");
    }
}

#[test]
fn caller_policies_are_scoped_to_one_function_and_one_route() {
    let template = template();
    let policy = |name: &str| {
        grants(
            resource(&template, name)
                .get("Properties")
                .and_then(|p| p.get("PolicyDocument"))
                .expect("document"),
        )
    };
    assert_eq!(
        policy("HostAppRecordInvokePolicy"),
        set(&[("lambda:InvokeFunction", "GetAtt RecordFunction.Arn")])
    );
    assert_eq!(
        policy("HostAppPurgeInvokePolicy"),
        set(&[("lambda:InvokeFunction", "GetAtt PurgeFunction.Arn")])
    );
    assert_eq!(
        render(at(
            &template,
            &["Outputs", "HostAppPurgeInvokePolicyArn", "Value"]
        )),
        "Ref HostAppPurgeInvokePolicy"
    );
    assert_eq!(
        policy("DashboardSummaryInvokePolicy"),
        set(&[(
            "execute-api:Invoke",
            "Sub arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${SummaryApi}/$default/GET/summary"
        )])
    );
}

#[test]
fn no_wildcard_actions_or_resources_in_any_policy() {
    let template = template();
    let resources = template
        .get("Resources")
        .and_then(Value::as_mapping)
        .expect("resources");
    let mut checked = 0;
    for (name, resource) in resources {
        let kind = resource
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let documents: Vec<&Value> = match kind {
            "AWS::IAM::Role" => resource
                .get("Properties")
                .and_then(|p| p.get("Policies"))
                .and_then(Value::as_sequence)
                .map(|policies| {
                    policies
                        .iter()
                        .filter_map(|p| p.get("PolicyDocument"))
                        .collect()
                })
                .unwrap_or_default(),
            "AWS::IAM::ManagedPolicy" | "AWS::IAM::Policy" => resource
                .get("Properties")
                .and_then(|p| p.get("PolicyDocument"))
                .into_iter()
                .collect(),
            _ => continue,
        };
        for (action, target) in documents.into_iter().flat_map(grants) {
            assert!(!action.contains('*'), "{name:?}: wildcard action {action}");
            assert!(
                !target.contains('*'),
                "{name:?}: wildcard resource {target}"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 13,
        "expected every role and caller policy to be checked, saw {checked} grants"
    );
}

#[test]
fn each_function_is_a_cargo_lambda_build_with_its_own_role_and_log_group() {
    let template = template();
    for (function, binary) in [
        ("RecordFunction", "record"),
        ("SummaryFunction", "summary"),
        ("PruneFunction", "prune"),
        ("RollupFunction", "rollup"),
        ("PurgeFunction", "purge"),
    ] {
        let resource = resource(&template, function);
        let stem = function.trim_end_matches("Function");
        let metadata = resource.get("Metadata").expect("Metadata");
        assert_eq!(
            metadata.get("BuildMethod").and_then(Value::as_str),
            Some("rust-cargolambda"),
            "{function}"
        );
        assert_eq!(
            metadata
                .get("BuildProperties")
                .and_then(|b| b.get("Binary"))
                .and_then(Value::as_str),
            Some(binary)
        );
        let properties = resource.get("Properties").expect("Properties");
        let get = |key: &str| properties.get(key).map(render).unwrap_or_default();
        assert_eq!(
            get("CodeUri"),
            "..",
            "{function}: one shared workspace build"
        );
        assert_eq!(get("Runtime"), "provided.al2023");
        assert_eq!(get("Handler"), "bootstrap");
        assert_eq!(get("Architectures"), "Ref Architecture");
        assert_eq!(get("Role"), format!("GetAtt {stem}Role.Arn"));
        assert!(
            properties.get("Policies").is_none(),
            "{function}: permissions live in the explicit role only"
        );
        let log_group = properties
            .get("LoggingConfig")
            .and_then(|l| l.get("LogGroup"))
            .map(render);
        assert_eq!(log_group, Some(format!("Ref {stem}LogGroup")));
        let env = properties
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .expect("environment");
        assert_eq!(
            env.get("TABLE_NAME").map(render),
            Some("Ref LedgerTable".into())
        );
        assert_eq!(
            env.get("RETENTION_DAYS").map(render),
            Some("Ref RetentionDays".into())
        );
    }
}

#[test]
fn table_definition_matches_the_storage_layout() {
    let definition =
        TableDefinition::from_template_file(&TableDefinition::repo_template_path()).expect("table");
    let keys: Vec<(&str, &str)> = definition
        .key_schema
        .iter()
        .map(|k| (k.attribute_name.as_str(), k.key_type.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            (TABLE_SHAPE.partition_key, "HASH"),
            (TABLE_SHAPE.sort_key, "RANGE")
        ]
    );
    let [index] = definition.global_secondary_indexes.as_slice() else {
        panic!("one GSI")
    };
    assert_eq!(index.index_name, TABLE_SHAPE.index_name);
    let index_keys: Vec<&str> = index
        .key_schema
        .iter()
        .map(|k| k.attribute_name.as_str())
        .collect();
    assert_eq!(
        index_keys,
        [TABLE_SHAPE.index_partition_key, TABLE_SHAPE.index_sort_key]
    );
    assert_eq!(index.projection.projection_type, "INCLUDE");
    assert_eq!(
        index.projection.non_key_attributes.as_deref(),
        Some(
            &TABLE_SHAPE
                .index_projection
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()[..]
        )
    );
    let ttl = definition.time_to_live.as_ref().expect("TTL");
    assert!(ttl.enabled);
    assert_eq!(ttl.attribute_name, TABLE_SHAPE.ttl_attribute);
    assert_eq!(definition.billing_mode, "PAY_PER_REQUEST");
}

#[tokio::test]
async fn test_tables_are_exactly_the_templates_table() {
    let table = TestTable::create().await;
    let definition =
        TableDefinition::from_template_file(&TableDefinition::repo_template_path()).expect("table");
    let described = table
        .client
        .describe_table()
        .table_name(&table.name)
        .send()
        .await
        .expect("describe");
    let described = described.table.expect("table description");
    let keys: Vec<(String, String)> = described
        .key_schema()
        .iter()
        .map(|k| {
            (
                k.attribute_name().to_owned(),
                k.key_type().as_str().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = definition
        .key_schema
        .iter()
        .map(|k| (k.attribute_name.clone(), k.key_type.clone()))
        .collect();
    assert_eq!(keys, expected);
    let attributes: BTreeSet<(String, String)> = described
        .attribute_definitions()
        .iter()
        .map(|a| {
            (
                a.attribute_name().to_owned(),
                a.attribute_type().as_str().to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = definition
        .attribute_definitions
        .iter()
        .map(|a| (a.attribute_name.clone(), a.attribute_type.clone()))
        .collect();
    assert_eq!(attributes, expected);
    let [index] = described.global_secondary_indexes() else {
        panic!("one GSI")
    };
    let template_index = &definition.global_secondary_indexes[0];
    assert_eq!(index.index_name(), Some(template_index.index_name.as_str()));
    let projection = index.projection().expect("projection");
    assert_eq!(
        projection.projection_type().map(|p| p.as_str()),
        Some("INCLUDE")
    );
    let mut non_key: Vec<String> = projection.non_key_attributes().to_vec();
    non_key.sort();
    let mut expected = template_index
        .projection
        .non_key_attributes
        .clone()
        .unwrap_or_default();
    expected.sort();
    assert_eq!(non_key, expected);
    let ttl = table
        .client
        .describe_time_to_live()
        .table_name(&table.name)
        .send()
        .await
        .expect("ttl");
    let ttl = ttl.time_to_live_description.expect("ttl description");
    assert_eq!(ttl.attribute_name(), Some(TABLE_SHAPE.ttl_attribute));
    assert_eq!(
        ttl.time_to_live_status().map(|s| s.as_str()),
        Some("ENABLED")
    );
}

pub(crate) fn properties<'a>(template: &'a Value, name: &str) -> &'a Value {
    resource(template, name)
        .get("Properties")
        .unwrap_or_else(|| panic!("{name} has no Properties"))
}

pub(crate) fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(value, |v, key| {
        v.get(*key)
            .unwrap_or_else(|| panic!("missing {key} in {}", path.join(".")))
    })
}

pub(crate) fn number(value: &Value) -> u64 {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("not a number: {value:?}"))
}

#[test]
fn every_summary_route_requires_iam_authorisation() {
    let template = template();
    let api = properties(&template, "SummaryApi");
    assert_eq!(
        at(api, &["Auth", "EnableIamAuthorizer"]).as_bool(),
        Some(true)
    );
    assert_eq!(render(at(api, &["Auth", "DefaultAuthorizer"])), "AWS_IAM");
    let mut routes = 0;
    for (name, resource) in template
        .get("Resources")
        .and_then(Value::as_mapping)
        .expect("resources")
    {
        let Some(events) = resource.get("Properties").and_then(|p| p.get("Events")) else {
            continue;
        };
        for (event, spec) in events.as_mapping().expect("events") {
            if spec.get("Type").and_then(Value::as_str) == Some("HttpApi") {
                routes += 1;
                assert_eq!(
                    render(at(spec, &["Properties", "Auth", "Authorizer"])),
                    "AWS_IAM",
                    "{name:?} {event:?}: every route is IAM-authorised"
                );
                assert_eq!(render(at(spec, &["Properties", "ApiId"])), "Ref SummaryApi");
            }
        }
    }
    assert_eq!(routes, 1, "exactly the one GET /summary route");
}

#[test]
fn record_retries_async_failures_then_parks_them_in_the_failure_queue() {
    let template = template();
    let config = at(
        properties(&template, "RecordFunction"),
        &["EventInvokeConfig"],
    );
    assert_eq!(number(at(config, &["MaximumRetryAttempts"])), 2);
    assert_eq!(number(at(config, &["MaximumEventAgeInSeconds"])), 21_600);
    let on_failure = at(config, &["DestinationConfig", "OnFailure"]);
    assert_eq!(render(at(on_failure, &["Type"])), "SQS");
    assert_eq!(
        render(at(on_failure, &["Destination"])),
        "GetAtt RecordFailureQueue.Arn"
    );
}

#[test]
fn prune_runs_daily_on_an_enabled_schedule() {
    let template = template();
    let schedule = at(properties(&template, "PruneFunction"), &["Events", "Daily"]);
    assert_eq!(render(at(schedule, &["Type"])), "Schedule");
    assert_eq!(
        render(at(schedule, &["Properties", "Schedule"])),
        "cron(15 3 * * ? *)"
    );
    assert_eq!(
        at(schedule, &["Properties", "Enabled"]).as_bool(),
        Some(true)
    );
    let props = properties(&template, "PruneFunction");
    assert_one_at_a_time_when_asked(&template, props);
    assert_eq!(
        number(at(props, &["EventInvokeConfig", "MaximumRetryAttempts"])),
        0,
        "a failed run is not walked again at once"
    );
    assert_eq!(
        render(at(
            props,
            &["Environment", "Variables", "PRUNE_TTL_GRACE_HOURS"]
        )),
        "Ref PruneTtlGraceHours"
    );
    assert_eq!(
        number(at(
            &template,
            &["Parameters", "PruneTtlGraceHours", "Default"]
        )),
        48
    );
}

/// Timeouts and memory as docs/deploying.md states them, and each Lambda
/// timeout leaves room for its DynamoDB operation budget (wiring::Timeouts).
#[test]
fn timeouts_and_memory_are_as_documented_and_cover_the_sdk_budget() {
    use wiring::Timeouts;
    let template = template();
    for (function, timeout, memory, budget) in [
        ("RecordFunction", 10, 128, Timeouts::RECORD),
        ("SummaryFunction", 20, 1024, Timeouts::SUMMARY),
        ("PruneFunction", 300, 256, Timeouts::PRUNE),
        ("RollupFunction", 300, 512, Timeouts::ROLLUP),
        ("PurgeFunction", 60, 256, Timeouts::PURGE),
    ] {
        let props = properties(&template, function);
        assert_eq!(number(at(props, &["Timeout"])), timeout, "{function}");
        assert_eq!(number(at(props, &["MemorySize"])), memory, "{function}");
        assert!(budget.attempt <= budget.operation, "{function}");
        assert!(
            budget.operation.as_secs() + 2 <= timeout,
            "{function}: a hanging DynamoDB call must end before the Lambda timeout"
        );
    }

    let margin = number(at(
        properties(&template, "PruneFunction"),
        &["Environment", "Variables", "PRUNE_SAFETY_MARGIN_SECONDS"],
    ));
    // Prune checks the margin before every call and every backoff wait, so
    // the margin must cover the longer of one operation and one wait.
    let longest_step = Timeouts::PRUNE
        .operation
        .max(storage::RetryPolicy::default().max_delay);
    assert!(
        margin > longest_step.as_secs(),
        "prune's safety margin must cover one DynamoDB operation or one backoff wait"
    );
    // Purge checks its margin the same way, before every page, delete and wait.
    let purge_margin = number(at(
        properties(&template, "PurgeFunction"),
        &["Environment", "Variables", "PURGE_SAFETY_MARGIN_SECONDS"],
    ));
    let longest_purge_step = Timeouts::PURGE
        .operation
        .max(storage::RetryPolicy::default().max_delay);
    assert!(
        purge_margin > longest_purge_step.as_secs(),
        "purge's safety margin must cover one DynamoDB operation or one backoff wait"
    );
}

/// The writer leaves a bumped day alone for `SETTLE`: every put or delete
/// sent after the bump must land before then. So every function the
/// template defines (not a list of names: a new one is held too) runs at
/// most `LONGEST_INVOCATION_SECONDS`, and `SETTLE` outlasts that plus the
/// clock skew both ways by `SETTLE_MARGIN_SECONDS`, never by zero. Raise a
/// timeout past it, and this fails instead of the writer counting a row
/// deleted afterwards.
#[test]
fn no_function_outlives_the_writers_settle_time_with_its_margin() {
    use domain::rollup::{
        CLOCK_SKEW_SECONDS, LONGEST_INVOCATION_SECONDS, SETTLE, SETTLE_MARGIN_SECONDS,
    };
    let template = template();
    let functions = resources_of_type(&template, "AWS::Serverless::Function");
    assert!(functions.len() >= 5, "the five functions: {functions:?}");
    const { assert!(SETTLE_MARGIN_SECONDS > 0, "a margin, not equality") };
    for function in functions {
        let timeout = number(at(properties(&template, &function), &["Timeout"]));
        let timeout = i64::try_from(timeout).unwrap_or(i64::MAX);
        assert!(
            timeout <= LONGEST_INVOCATION_SECONDS,
            "{function}: Timeout {timeout} s is longer than LONGEST_INVOCATION_SECONDS"
        );
        assert!(
            SETTLE.num_seconds() >= timeout + 2 * CLOCK_SKEW_SECONDS + SETTLE_MARGIN_SECONDS,
            "{function}: SETTLE must outlast its timeout plus the skew both ways, with the margin"
        );
    }
}

/// Every alarm on a custom metric watches exactly what the code emits: the
/// namespace, the metric name and the dimension set, from the code's own
/// constants. An alarm on a metric emitted with other dimensions never fires.
#[test]
fn custom_metric_alarms_watch_what_the_code_emits() {
    use wiring::emf::{FUNCTION_DIMENSION, NAMESPACE, metric};
    let template = template();
    let expected = [
        ("RecordRejectedAlarm", metric::REJECTED_TOTAL, "record"),
        ("SummaryFailedAlarm", metric::FAILED, "summary"),
        ("SummarySkippedRowsAlarm", metric::SKIPPED_ROWS, "summary"),
        ("PruneLeftRowsAlarm", metric::LEFT, "prune"),
        (
            "PruneFailedPartitionsAlarm",
            metric::FAILED_PARTITIONS,
            "prune",
        ),
        ("PruneSkippedRowsAlarm", metric::SKIPPED_ROWS, "prune"),
        ("RollupFailedDaysAlarm", metric::DAYS_FAILED, "rollup"),
        ("PruneHeartbeatAlarm", metric::FINISHED, "prune"),
        ("RollupHeartbeatAlarm", metric::FINISHED, "rollup"),
        ("PurgeUnfinishedAlarm", metric::PURGES_UNFINISHED, "prune"),
        (
            "PruneTombstonesFailedAlarm",
            metric::TOMBSTONES_FAILED,
            "prune",
        ),
    ];
    for (alarm, metric_name, function) in expected {
        let props = properties(&template, alarm);
        assert_eq!(render(at(props, &["Namespace"])), NAMESPACE, "{alarm}");
        assert_eq!(render(at(props, &["MetricName"])), metric_name, "{alarm}");
        let dimensions: Vec<(String, String)> = at(props, &["Dimensions"])
            .as_sequence()
            .expect("dimensions")
            .iter()
            .map(|d| (render(at(d, &["Name"])), render(at(d, &["Value"]))))
            .collect();
        assert_eq!(
            dimensions,
            vec![(FUNCTION_DIMENSION.to_owned(), function.to_owned())],
            "{alarm}"
        );
        if let Some(hours) = match alarm {
            "PruneHeartbeatAlarm" => Some(26),
            "RollupHeartbeatAlarm" => Some(3),
            _ => None,
        } {
            // No finished run for that many hourly periods, and silence counts as failure.
            assert_eq!(number(at(props, &["Threshold"])), 1);
            assert_eq!(render(at(props, &["Statistic"])), "Maximum", "{alarm}");
            assert_eq!(
                render(at(props, &["ComparisonOperator"])),
                "LessThanThreshold"
            );
            assert_eq!(render(at(props, &["TreatMissingData"])), "breaching");
            let periods =
                number(at(props, &["Period"])) * number(at(props, &["EvaluationPeriods"]));
            assert_eq!(periods, hours * 3600, "{alarm}");
            assert_eq!(number(at(props, &["DatapointsToAlarm"])), hours, "{alarm}");
        } else {
            // The scheduled functions report hourly at most, the
            // request-driven ones live.
            let period = if matches!(function, "prune" | "rollup") {
                3600
            } else {
                300
            };
            assert_alarms_on_any_occurrence(alarm, props, "Sum", period);
        }
    }
    // No other alarm watches the custom namespace unseen by this test.
    let custom: Vec<String> = template
        .get("Resources")
        .and_then(Value::as_mapping)
        .expect("resources")
        .iter()
        .filter(|(_, r)| {
            r.get("Properties")
                .and_then(|p| p.get("Namespace"))
                .map(render)
                .as_deref()
                == Some(NAMESPACE)
        })
        .map(|(name, _)| render(name))
        .collect();
    let mut listed: Vec<String> = expected.iter().map(|(a, ..)| a.to_string()).collect();
    let mut custom_sorted = custom.clone();
    custom_sorted.sort();
    listed.sort();
    assert_eq!(custom_sorted, listed);
}

/// No copy outlives the retention: point-in-time recovery keeps
/// min(35, RetentionDays) days, the failure queue (full payloads) at most
/// RetentionDays, for every value the parameter allows.
#[test]
fn copies_never_outlive_the_retention() {
    let template = template();
    let allowed: Vec<u64> = at(&template, &["Parameters", "RetentionDays", "AllowedValues"])
        .as_sequence()
        .expect("allowed values")
        .iter()
        .map(number)
        .collect();
    assert!(allowed.contains(&90), "the default is allowed");
    let copies = at(&template, &["Mappings", "RetentionCopies"]);
    for days in &allowed {
        let row = copies
            .get(days.to_string().as_str())
            .unwrap_or_else(|| panic!("no RetentionCopies entry for {days}"));
        assert_eq!(
            number(at(row, &["RecoveryPeriodInDays"])),
            (*days).min(35),
            "{days}"
        );
        let queue = number(at(row, &["FailureQueueRetentionSeconds"]));
        assert!(queue <= days * 86_400, "{days}: queue keeps {queue} s");
        assert_eq!(queue, (*days).min(14) * 86_400, "{days}");
        let domain_ok = domain::Retention::from_days(*days).is_ok();
        assert!(domain_ok, "{days} is a retention the functions accept");
    }
    let pitr = at(
        properties(&template, "LedgerTable"),
        &["PointInTimeRecoverySpecification"],
    );
    assert_eq!(
        render(at(pitr, &["RecoveryPeriodInDays"])),
        "FindInMap RetentionCopies Ref RetentionDays RecoveryPeriodInDays"
    );
    assert_eq!(
        render(at(
            properties(&template, "RecordFailureQueue"),
            &["MessageRetentionPeriod"]
        )),
        "FindInMap RetentionCopies Ref RetentionDays FailureQueueRetentionSeconds"
    );
}

#[test]
fn rollup_runs_hourly_one_at_a_time() {
    let template = template();
    let props = properties(&template, "RollupFunction");
    let schedule = at(props, &["Events", "Hourly"]);
    assert_eq!(
        render(at(schedule, &["Properties", "Schedule"])),
        "cron(20 * * * ? *)"
    );
    assert_eq!(
        at(schedule, &["Properties", "Enabled"]).as_bool(),
        Some(true)
    );
    assert_one_at_a_time_when_asked(&template, props);
    assert_eq!(
        number(at(props, &["EventInvokeConfig", "MaximumRetryAttempts"])),
        0
    );
}

/// A function whose runs must not overlap reserves a concurrency of 1 when
/// the stack asks for it (`ReserveOneAtATime=true`), and nothing otherwise.
fn assert_one_at_a_time_when_asked(template: &Value, props: &Value) {
    assert_eq!(
        render(at(props, &["ReservedConcurrentExecutions"])),
        "If ReservesOneAtATime 1 Ref AWS::NoValue"
    );
    assert_eq!(
        render(at(template, &["Conditions", "ReservesOneAtATime"])),
        "Equals Ref ReserveOneAtATime true"
    );
}

/// A first `sam deploy` succeeds on a new account: its concurrency quota
/// (10) leaves nothing to reserve, so at the defaults no function reserves
/// any. Every reservation is a condition on a parameter whose default turns
/// it off; docs/deploying.md says how to raise them.
#[test]
fn the_defaults_reserve_no_concurrency_so_a_new_account_can_deploy() {
    let template = template();
    let parameter = |name: &str| render(at(&template, &["Parameters", name, "Default"]));
    assert_eq!(parameter("RecordReservedConcurrency"), "0");
    assert_eq!(parameter("SummaryReservedConcurrency"), "0");
    assert_eq!(parameter("ReserveOneAtATime"), "false");
    let resources = at(&template, &["Resources"])
        .as_mapping()
        .expect("resources");
    let mut reserving = Vec::new();
    for (name, resource) in resources {
        let Some(reserved) = resource
            .get("Properties")
            .and_then(|p| p.get("ReservedConcurrentExecutions"))
        else {
            continue;
        };
        let text = render(reserved);
        reserving.push(render(name));
        assert!(
            [
                "If ReservesRecord Ref RecordReservedConcurrency Ref AWS::NoValue",
                "If ReservesSummary Ref SummaryReservedConcurrency Ref AWS::NoValue",
                "If ReservesOneAtATime 1 Ref AWS::NoValue",
            ]
            .contains(&text.as_str()),
            "{}: a reservation that holds at the defaults: {text}",
            render(name)
        );
    }
    assert_eq!(reserving.len(), 5, "{reserving:?}");
}

/// Load and cost are bounded, each limit a parameter with a default, wired
/// where it bounds: reserved concurrency for record and summary, the summary
/// API's route throttling, the table's on-demand maximum throughput; and who
/// read the summary is logged (the caller's IAM identity) to a log group with
/// a retention.
#[test]
fn load_and_cost_are_bounded_by_parameters() {
    let template = template();
    for (parameter, default) in [
        ("RecordReservedConcurrency", "0"),
        ("SummaryReservedConcurrency", "0"),
        ("SummaryApiBurstLimit", "20"),
        ("SummaryApiRateLimit", "10"),
        ("TableMaxReadRequestUnits", "4000"),
        ("TableMaxWriteRequestUnits", "1000"),
    ] {
        let declared = at(&template, &["Parameters", parameter]);
        assert_eq!(render(at(declared, &["Default"])), default, "{parameter}");
        assert_eq!(render(at(declared, &["Type"])), "Number", "{parameter}");
    }
    for (function, condition, parameter) in [
        (
            "RecordFunction",
            "ReservesRecord",
            "RecordReservedConcurrency",
        ),
        (
            "SummaryFunction",
            "ReservesSummary",
            "SummaryReservedConcurrency",
        ),
    ] {
        assert_eq!(
            render(at(
                properties(&template, function),
                &["ReservedConcurrentExecutions"]
            )),
            format!("If {condition} Ref {parameter} Ref AWS::NoValue"),
            "{function}"
        );
        assert_eq!(
            render(at(&template, &["Conditions", condition])),
            format!("Not Equals Ref {parameter} 0"),
            "{condition}"
        );
    }
    let api = properties(&template, "SummaryApi");
    assert_eq!(
        render(at(api, &["DefaultRouteSettings", "ThrottlingBurstLimit"])),
        "Ref SummaryApiBurstLimit"
    );
    assert_eq!(
        render(at(api, &["DefaultRouteSettings", "ThrottlingRateLimit"])),
        "Ref SummaryApiRateLimit"
    );
    let table = properties(&template, "LedgerTable");
    assert_eq!(render(at(table, &["BillingMode"])), "PAY_PER_REQUEST");
    assert_eq!(
        render(at(table, &["OnDemandThroughput", "MaxReadRequestUnits"])),
        "Ref TableMaxReadRequestUnits"
    );
    assert_eq!(
        render(at(table, &["OnDemandThroughput", "MaxWriteRequestUnits"])),
        "Ref TableMaxWriteRequestUnits"
    );
    assert_eq!(
        render(at(api, &["AccessLogSettings", "DestinationArn"])),
        "GetAtt SummaryApiAccessLogGroup.Arn"
    );
    let format = access_log_format(&template);
    assert_eq!(format["caller"], "$context.identity.userArn");
    assert_eq!(format["status"], "$context.status");
    assert_eq!(
        render(at(
            properties(&template, "SummaryApiAccessLogGroup"),
            &["RetentionInDays"]
        )),
        "Ref LogRetentionDays"
    );
}

/// Route throttling is alarmed. HTTP APIs publish no throttle metric, so a
/// metric filter counts the access log's 429 lines: the filter must read the
/// access log group, match the field the format writes (a quoted string), and
/// the alarm must watch the metric the filter publishes.
#[test]
fn throttled_summary_requests_are_alarmed_from_the_access_log() {
    let template = template();
    let format = access_log_format(&template);
    assert!(
        format["status"].is_string(),
        "the filter compares the status as a string"
    );
    let filter = properties(&template, "SummaryApiThrottledFilter");
    assert_eq!(
        render(at(filter, &["LogGroupName"])),
        "Ref SummaryApiAccessLogGroup"
    );
    assert_eq!(
        render(at(filter, &["FilterPattern"])),
        r#"{ $.status = "429" }"#
    );
    let transformations = at(filter, &["MetricTransformations"])
        .as_sequence()
        .expect("metric transformations");
    assert_eq!(transformations.len(), 1);
    let published = &transformations[0];
    assert_eq!(render(at(published, &["MetricValue"])), "1");
    assert!(
        published.get("Dimensions").is_none(),
        "the alarm watches the metric without dimensions"
    );

    let alarm = properties(&template, "SummaryApiThrottledAlarm");
    assert_eq!(
        render(at(alarm, &["Namespace"])),
        render(at(published, &["MetricNamespace"]))
    );
    assert_eq!(
        render(at(alarm, &["MetricName"])),
        render(at(published, &["MetricName"]))
    );
    assert!(alarm.get("Dimensions").is_none());
    assert_alarms_on_any_occurrence("SummaryApiThrottledAlarm", alarm, "Sum", 300);
}

/// Defence in depth: beside the identifier charset that keeps tenant ids off
/// `#`, record's put and prune's delete are denied on the bookkeeping
/// partitions by the policy itself.
#[test]
fn record_puts_and_prune_deletes_are_denied_on_the_bookkeeping_partitions() {
    let template = template();
    for (role, actions) in [
        ("RecordRole", vec!["dynamodb:PutItem"]),
        ("PruneRole", vec!["dynamodb:DeleteItem"]),
        ("PurgeRole", vec!["dynamodb:Query", "dynamodb:DeleteItem"]),
    ] {
        let denied: Vec<&Value> = properties(&template, role)
            .get("Policies")
            .and_then(Value::as_sequence)
            .expect("policies")
            .iter()
            .flat_map(|policy| statements(at(policy, &["PolicyDocument"])))
            .filter(|s| s.get("Effect").and_then(Value::as_str) == Some("Deny"))
            .collect();
        assert_eq!(denied.len(), 1, "{role}: one Deny");
        let deny = denied[0];
        assert_eq!(
            strings(deny.get("Action").expect("Action")),
            actions,
            "{role}"
        );
        assert_eq!(
            render(deny.get("Resource").expect("Resource")),
            "GetAtt LedgerTable.Arn"
        );
        assert_eq!(
            strings(at(
                deny,
                &[
                    "Condition",
                    "ForAnyValue:StringLike",
                    "dynamodb:LeadingKeys"
                ]
            )),
            ["#*"],
            "{role}"
        );
    }
}

/// No function logs below INFO: lambda_runtime writes raw event bodies at
/// DEBUG and TRACE. The template asks for INFO or less (and the code floors
/// whatever level a deploy sets at INFO: `wiring::logging`).
#[test]
fn no_function_logs_below_info() {
    let template = template();
    let functions = resources_of_type(&template, "AWS::Serverless::Function");
    assert!(functions.len() >= 4, "{functions:?}");
    for function in functions {
        let logging = at(properties(&template, &function), &["LoggingConfig"]);
        assert_eq!(render(at(logging, &["LogFormat"])), "JSON", "{function}");
        let application = render(at(logging, &["ApplicationLogLevel"]));
        assert!(
            ["INFO", "WARN", "ERROR", "FATAL"].contains(&application.as_str()),
            "{function}: ApplicationLogLevel {application}"
        );
        let system = render(at(logging, &["SystemLogLevel"]));
        assert!(
            ["INFO", "WARN"].contains(&system.as_str()),
            "{function}: SystemLogLevel {system}"
        );
    }
}

/// Every function the template declares (the list is the template's own,
/// so a new one is checked too) has its own role, a log group with the
/// configured retention, Errors and Throttles alarms that notify the alarm
/// topic, Name and Arn outputs, a reserved-concurrency decision, and a timeout
/// and memory size.
#[test]
fn every_function_has_its_role_logs_alarms_outputs_and_limits() {
    let template = template();
    let functions = resources_of_type(&template, "AWS::Serverless::Function");
    assert!(functions.len() >= 4, "{functions:?}");
    let outputs = at(&template, &["Outputs"]);
    for function in &functions {
        let stem = function.trim_end_matches("Function");
        let props = properties(&template, function);
        assert_eq!(
            render(at(props, &["Role"])),
            format!("GetAtt {stem}Role.Arn")
        );
        let log_group = render(at(props, &["LoggingConfig", "LogGroup"]));
        assert_eq!(log_group, format!("Ref {stem}LogGroup"), "{function}");
        assert_eq!(
            render(at(
                properties(&template, &format!("{stem}LogGroup")),
                &["RetentionInDays"]
            )),
            "Ref LogRetentionDays",
            "{function}"
        );
        for metric in ["Errors", "Throttles"] {
            let alarm = format!("{stem}{metric}Alarm");
            let alarm_props = properties(&template, &alarm);
            assert_eq!(
                render(at(alarm_props, &["Namespace"])),
                "AWS/Lambda",
                "{alarm}"
            );
            assert_eq!(render(at(alarm_props, &["MetricName"])), metric, "{alarm}");
            assert_eq!(
                render(at(alarm_props, &["Dimensions"])),
                render(
                    &serde_yaml_ng::from_str::<Value>(&format!(
                        "[{{Name: FunctionName, Value: !Ref {function}}}]"
                    ))
                    .expect("yaml")
                ),
                "{alarm}"
            );
            assert!(
                render(at(alarm_props, &["AlarmActions"])).contains("AlarmTopicArn"),
                "{alarm} notifies the alarm topic"
            );
            // Any error or throttle within 5 minutes (the hourly writer's
            // errors within its hour); silence is health.
            let period = if alarm == "RollupErrorsAlarm" {
                3600
            } else {
                300
            };
            assert_alarms_on_any_occurrence(&alarm, alarm_props, "Sum", period);
        }
        assert_eq!(
            render(at(outputs, &[&format!("{function}Name"), "Value"])),
            format!("Ref {function}")
        );
        assert_eq!(
            render(at(outputs, &[&format!("{function}Arn"), "Value"])),
            format!("GetAtt {function}.Arn")
        );
        assert!(
            props.get("ReservedConcurrentExecutions").is_some(),
            "{function}: reserved concurrency is decided, not left to the account"
        );
        assert!(number(at(props, &["Timeout"])) > 0, "{function}");
        assert!(number(at(props, &["MemorySize"])) >= 128, "{function}");
    }
}

/// Nothing is exposed but the one IAM-authorised route: no function URL, no
/// API event other than `GET /summary`, no other event than schedules, and no
/// `Principal: "*"` anywhere in the template.
#[test]
fn nothing_is_exposed_but_the_one_iam_route() {
    let template = template();
    let resources = at(&template, &["Resources"])
        .as_mapping()
        .expect("resources");
    let mut api_events = Vec::new();
    for (name, resource) in resources {
        let name = render(name);
        let kind = render(at(resource, &["Type"]));
        assert_ne!(kind, "AWS::Lambda::Url", "{name}: a function URL");
        if kind != "AWS::Serverless::Function" {
            continue;
        }
        let props = at(resource, &["Properties"]);
        assert!(
            props.get("FunctionUrlConfig").is_none(),
            "{name}: a function URL"
        );
        let Some(events) = props.get("Events").and_then(Value::as_mapping) else {
            continue;
        };
        for (event, definition) in events {
            match render(at(definition, &["Type"])).as_str() {
                "Schedule" | "ScheduleV2" => {}
                "HttpApi" => api_events.push((
                    name.clone(),
                    render(event),
                    render(at(definition, &["Properties", "Method"])),
                    render(at(definition, &["Properties", "Path"])),
                    render(at(definition, &["Properties", "Auth", "Authorizer"])),
                )),
                other => panic!(
                    "{name}.{}: an event of type {other} exposes it",
                    render(event)
                ),
            }
        }
    }
    assert_eq!(
        api_events,
        [(
            "SummaryFunction".to_owned(),
            "Summary".to_owned(),
            "GET".to_owned(),
            "/summary".to_owned(),
            "AWS_IAM".to_owned()
        )]
    );
    // A wildcard principal only ever in a Deny (the keyring's "everyone but
    // its readers"), never in what a policy allows.
    fn statements_with_principals<'a>(value: &'a Value, found: &mut Vec<&'a Value>) {
        match value {
            Value::Mapping(map) => {
                if map.contains_key("Principal") {
                    found.push(value);
                }
                map.values()
                    .for_each(|v| statements_with_principals(v, found));
            }
            Value::Sequence(items) => items
                .iter()
                .for_each(|v| statements_with_principals(v, found)),
            Value::Tagged(tagged) => statements_with_principals(&tagged.value, found),
            _ => {}
        }
    }
    let mut found = Vec::new();
    statements_with_principals(at(&template, &["Resources"]), &mut found);
    assert!(!found.is_empty());
    for statement in found {
        let principal = render(at(statement, &["Principal"]));
        if principal.contains('*') {
            assert_eq!(
                render(at(statement, &["Effect"])),
                "Deny",
                "a wildcard principal allowed: {statement:?}"
            );
        }
    }
}

/// Every action a role is granted under a condition (its partitions) is
/// granted only so: an unconditioned statement beside it would reach every
/// row. And every alarm notifies the alarm topic, both ways.
#[test]
fn conditioned_grants_have_no_unconditioned_twin_and_every_alarm_notifies() {
    let template = template();
    let resources = at(&template, &["Resources"])
        .as_mapping()
        .expect("resources");
    for (name, resource) in resources {
        let name = render(name);
        match render(at(resource, &["Type"])).as_str() {
            "AWS::IAM::Role" => {
                let mut conditioned = BTreeSet::new();
                let mut unconditioned = BTreeSet::new();
                for policy in at(resource, &["Properties", "Policies"])
                    .as_sequence()
                    .expect("policies")
                {
                    for statement in statements(at(policy, &["PolicyDocument"])) {
                        if render(at(statement, &["Effect"])) != "Allow" {
                            continue;
                        }
                        let target = if statement.get("Condition").is_some() {
                            &mut conditioned
                        } else {
                            &mut unconditioned
                        };
                        for action in strings(at(statement, &["Action"])) {
                            for resource in strings(at(statement, &["Resource"])) {
                                target.insert((action.clone(), resource));
                            }
                        }
                    }
                }
                let twins: Vec<_> = conditioned.intersection(&unconditioned).collect();
                assert!(
                    twins.is_empty(),
                    "{name}: granted with and without its condition: {twins:?}"
                );
            }
            "AWS::CloudWatch::Alarm" => {
                for actions in ["AlarmActions", "OKActions"] {
                    assert!(
                        render(at(resource, &["Properties", actions])).contains("AlarmTopicArn"),
                        "{name}: {actions} notify the alarm topic"
                    );
                }
            }
            _ => {}
        }
    }
}

/// The "add a function" checklist's code steps: every crate under
/// `functions/` is a workspace member and a template function (by its
/// `Binary`), and the other way round; each has the thin shape (`main.rs`
/// wires, `handler.rs` holds the handler) and wires its own metrics
/// dimension and DynamoDB timeouts.
#[test]
fn every_function_crate_is_a_member_a_template_function_and_thin() {
    let template = template();
    let template_path = TableDefinition::repo_template_path();
    let root = template_path
        .parent()
        .and_then(std::path::Path::parent)
        .expect("the template lives in <repo>/infra/");
    let crates: BTreeSet<String> = std::fs::read_dir(root.join("functions"))
        .expect("read functions/")
        .map(|entry| entry.expect("functions/ entry").path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .map(|path| {
            path.file_name()
                .expect("a crate directory")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let binaries: BTreeSet<String> = resources_of_type(&template, "AWS::Serverless::Function")
        .iter()
        .map(|function| {
            render(at(
                resource(&template, function),
                &["Metadata", "BuildProperties", "Binary"],
            ))
        })
        .collect();
    assert_eq!(
        crates, binaries,
        "functions/ and the template's functions differ"
    );
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("read Cargo.toml");
    for name in &crates {
        assert!(
            manifest.contains(&format!("\"functions/{name}\"")),
            "functions/{name} is not a workspace member (root Cargo.toml)"
        );
        let src = root.join("functions").join(name).join("src");
        assert!(
            src.join("handler.rs").is_file(),
            "functions/{name}/src/handler.rs"
        );
        let main = std::fs::read_to_string(src.join("main.rs")).expect("main.rs");
        assert!(
            main.contains(&format!("wiring::emf::init(\"{name}\")")),
            "functions/{name}/src/main.rs initialises its metrics as {name:?}"
        );
        assert!(
            main.contains(&format!("wiring::Timeouts::{}", name.to_uppercase())),
            "functions/{name}/src/main.rs uses its own Timeouts constant"
        );
        assert!(
            main.contains("mod handler;"),
            "functions/{name}: main.rs wires handler.rs"
        );
    }
}

/// `docs/architecture.md`: every Rust file under `shared/` and
/// `functions/` stays under 700 lines, tests included (a module that grows
/// past that is split along its seams).
#[test]
fn no_rust_file_under_shared_or_functions_reaches_700_lines() {
    fn rust_files(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }
    let template_path = TableDefinition::repo_template_path();
    let root = template_path
        .parent()
        .and_then(std::path::Path::parent)
        .expect("the template lives in <repo>/infra/");
    let mut files = Vec::new();
    for top in ["shared", "functions"] {
        rust_files(&root.join(top), &mut files);
    }
    assert!(files.len() > 40, "found {} files", files.len());
    let long: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let lines = std::fs::read_to_string(path).expect("read").lines().count();
            (lines >= 700).then(|| format!("{} ({lines})", path.display()))
        })
        .collect();
    assert!(long.is_empty(), "files of 700 lines or more: {long:?}");
}

/// The failure queue's alarm: any message waiting in record's failure queue
/// alarms. And no alarm goes unasserted: every alarm of the template is one
/// a test above checks in full.
#[test]
fn the_failure_queue_alarm_watches_the_queue_and_every_alarm_is_asserted() {
    let template = template();
    let alarm = properties(&template, "RecordFailureQueueAlarm");
    assert_eq!(render(at(alarm, &["Namespace"])), "AWS/SQS");
    assert_eq!(
        render(at(alarm, &["MetricName"])),
        "ApproximateNumberOfMessagesVisible"
    );
    let dimensions = at(alarm, &["Dimensions"])
        .as_sequence()
        .expect("dimensions");
    assert_eq!(dimensions.len(), 1);
    assert_eq!(render(at(&dimensions[0], &["Name"])), "QueueName");
    assert_eq!(
        render(at(&dimensions[0], &["Value"])),
        "GetAtt RecordFailureQueue.QueueName"
    );
    assert_alarms_on_any_occurrence("RecordFailureQueueAlarm", alarm, "Maximum", 300);

    let resources = at(&template, &["Resources"])
        .as_mapping()
        .expect("resources");
    let alarms: BTreeSet<String> = resources_of_type(&template, "AWS::CloudWatch::Alarm")
        .into_iter()
        .collect();
    // Asserted by every_function_has_its_role_logs_alarms_outputs_and_limits,
    // custom_metric_alarms_watch_what_the_code_emits,
    // throttled_summary_requests_are_alarmed_from_the_access_log and this test.
    let mut asserted: BTreeSet<String> = resources_of_type(&template, "AWS::Serverless::Function")
        .iter()
        .flat_map(|function| {
            let stem = function.trim_end_matches("Function");
            [
                format!("{stem}ErrorsAlarm"),
                format!("{stem}ThrottlesAlarm"),
            ]
        })
        .collect();
    asserted.extend(
        resources
            .iter()
            .filter(|(_, r)| {
                r.get("Properties")
                    .and_then(|p| p.get("Namespace"))
                    .map(render)
                    .as_deref()
                    == Some(wiring::emf::NAMESPACE)
            })
            .map(|(name, _)| render(name)),
    );
    asserted.insert("SummaryApiThrottledAlarm".to_owned());
    asserted.insert("RecordFailureQueueAlarm".to_owned());
    assert_eq!(alarms, asserted, "an alarm no test asserts in full");
}

/// `docs/architecture.md` traces a record and a summary file by file: every
/// file it names exists and defines every function it names there, and
/// both traces are there.
#[test]
fn the_architecture_traces_name_files_and_functions_that_exist() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let page = std::fs::read_to_string(format!("{root}/docs/architecture.md")).expect("page");
    let start = page
        .find("## The two paths, file by file")
        .expect("the traces");
    let section = &page[start..];
    let section = &section[..section[3..]
        .find("\n## ")
        .map_or(section.len(), |end| end + 3)];
    let mut steps = 0;
    for row in section.lines().filter(|line| {
        line.starts_with('|') && !line.starts_with("| step") && !line.starts_with("|---")
    }) {
        let columns: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        let [_, file, functions] = columns[..] else {
            panic!("three columns: {row}")
        };
        let file = file.trim_matches('`');
        let source = std::fs::read_to_string(format!("{root}/{file}"))
            .unwrap_or_else(|_| panic!("{file} does not exist: {row}"));
        let names: Vec<&str> = functions.split('`').skip(1).step_by(2).collect();
        assert!(!names.is_empty(), "a step without a function: {row}");
        for name in names {
            assert!(
                source.contains(&format!("fn {name}(")) || source.contains(&format!("fn {name}<")),
                "{file} defines no fn {name}: {row}"
            );
        }
        steps += 1;
    }
    assert!(steps >= 20, "both traces, {steps} steps");
    assert!(section.contains("**A record**") && section.contains("**A summary**"));
}

/// Every code name the docs put in backticks exists: in `docs/`, every
/// README and the protocol model's crate docs, each `a::b` path, each
/// `snake_case` name and each file name (`x.rs`, `y.php`, …) names
/// something the repository's code or files hold (comments do not count),
/// so a rename or a removal cannot leave a page naming what is gone. The
/// few names of the host application's own files and placeholders are
/// listed here, each with why.
#[test]
fn the_docs_name_only_code_and_files_that_exist() {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};
    const HOST_OR_PLACEHOLDER: [&str; 6] = [
        "AppServiceProvider::boot",       // the host app's provider
        "bootstrap/providers.php",        // the host app's files
        "config/app.php",                 //
        "vendor/composer/installed.json", // Composer's, in the host app
        "functions/NAME/Cargo.toml",      // a checklist's placeholder
        "Ledger::read_window",            // history: what read_summary replaced
    ];
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let skipped = [
        "target",
        ".tools",
        ".git",
        "node_modules",
        ".aws-sam",
        ".dev-data",
    ];
    let mut files: Vec<String> = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a folder").flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !skipped.contains(&name.as_str()) {
                    stack.push(path);
                }
            } else if let Ok(relative) = path.strip_prefix(&root) {
                files.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let identifiers = |text: &str| -> Vec<String> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    // Every identifier of the code, its comments left out.
    let mut words: BTreeSet<String> = BTreeSet::new();
    for file in &files {
        let extension = Path::new(file)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("");
        let comment = match extension {
            "rs" | "php" | "js" | "mjs" => "//",
            "yaml" | "toml" | "sh" => "#",
            "json" => "\u{0}",
            _ if file.starts_with("scripts/") => "#",
            _ => continue,
        };
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        for line in text.lines() {
            let line = line.trim_start();
            if !(line.starts_with(comment) || line.starts_with('*') || line.starts_with("/*")) {
                words.extend(identifiers(line));
            }
        }
        words.extend(identifiers(file));
    }
    let pages: Vec<&String> = files
        .iter()
        .filter(|f| (f.starts_with("docs/") && f.ends_with(".md")) || f.ends_with("README.md"))
        .collect();
    assert!(pages.len() >= 10, "the pages: {pages:?}");
    let mut checked = 0;
    let mut missing = Vec::new();
    let model =
        std::fs::read_to_string(root.join("shared/protocol-model/src/lib.rs")).expect("the model");
    let model_docs: String = model
        .lines()
        .filter(|l| l.starts_with("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    let texts = pages
        .iter()
        .map(|page| {
            (
                page.as_str(),
                std::fs::read_to_string(root.join(page)).expect("a page"),
            )
        })
        .chain(std::iter::once((
            "shared/protocol-model/src/lib.rs",
            model_docs,
        )));
    let is_ident = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    for (page, text) in texts {
        for span in text.split('`').skip(1).step_by(2) {
            let name = span.trim_end_matches("()");
            if name.contains('\n') || HOST_OR_PLACEHOLDER.contains(&name) {
                continue;
            }
            let segments: Vec<&str> = name.split("::").collect();
            let path = segments.len() > 1 && segments.iter().all(|s| is_ident(s));
            let snake = is_ident(name)
                && name.contains('_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && !name.starts_with('_');
            let file = [
                ".rs", ".php", ".js", ".mjs", ".md", ".yaml", ".toml", ".json", ".sh",
            ]
            .iter()
            .any(|e| name.ends_with(e))
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c));
            if path || snake {
                checked += 1;
                if !segments.iter().all(|s| words.contains(*s)) {
                    missing.push(format!("{page}: `{span}`"));
                }
            } else if file {
                checked += 1;
                if !files
                    .iter()
                    .any(|f| f == name || f.ends_with(&format!("/{name}")))
                {
                    missing.push(format!("{page}: `{span}` (no such file)"));
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} names checked");
    assert!(
        missing.is_empty(),
        "names the docs give that the code does not hold:\n{}",
        missing.join("\n")
    );
}
