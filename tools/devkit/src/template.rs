//! Reads the ledger table's definition out of the SAM template.

use serde::Deserialize;
use serde_yaml_ng::Value;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid YAML")]
    Yaml {
        path: String,
        #[source]
        source: serde_yaml_ng::Error,
    },
    #[error("the template defines no AWS::DynamoDB::Table named {0}")]
    NoTable(&'static str),
    #[error("the table resource's Properties do not match the expected shape")]
    Shape(#[source] serde_yaml_ng::Error),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyElement {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexProjection {
    pub projection_type: String,
    pub non_key_attributes: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecondaryIndex {
    pub index_name: String,
    pub key_schema: Vec<KeyElement>,
    pub projection: IndexProjection,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeToLive {
    pub attribute_name: String,
    pub enabled: bool,
}

/// The parts of the template's table that shape data: what tests and the local stack create.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDefinition {
    pub billing_mode: String,
    pub attribute_definitions: Vec<AttributeDefinition>,
    pub key_schema: Vec<KeyElement>,
    #[serde(default)]
    pub global_secondary_indexes: Vec<SecondaryIndex>,
    #[serde(rename = "TimeToLiveSpecification")]
    pub time_to_live: Option<TimeToLive>,
}

/// The ledger's table, as the template names it.
pub const LEDGER_TABLE: &str = "LedgerTable";
/// The erasure log's table: what a restore of the ledger's does not reach.
pub const ERASURE_LOG_TABLE: &str = "ErasureLogTable";

impl TableDefinition {
    /// The ledger table's definition in the template file at `path`.
    pub fn from_template_file(path: &Path) -> Result<Self, TemplateError> {
        Self::table_in_file(path, LEDGER_TABLE)
    }

    /// The definition of table `logical_id` in the template file at `path`.
    pub fn table_in_file(path: &Path, logical_id: &'static str) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let template: Value =
            serde_yaml_ng::from_str(&text).map_err(|source| TemplateError::Yaml {
                path: path.display().to_string(),
                source,
            })?;
        Self::table_in(&template, logical_id)
    }

    /// The ledger table's Properties.
    pub fn from_template(template: &Value) -> Result<Self, TemplateError> {
        Self::table_in(template, LEDGER_TABLE)
    }

    /// The `AWS::DynamoDB::Table` resource `logical_id`'s Properties.
    pub fn table_in(template: &Value, logical_id: &'static str) -> Result<Self, TemplateError> {
        let table = template
            .get("Resources")
            .and_then(|resources| resources.get(logical_id))
            .filter(|r| r.get("Type").and_then(Value::as_str) == Some("AWS::DynamoDB::Table"))
            .ok_or(TemplateError::NoTable(logical_id))?;
        let properties = table.get("Properties").cloned().unwrap_or(Value::Null);
        serde_yaml_ng::from_value(properties).map_err(TemplateError::Shape)
    }

    /// The path of `infra/template.yaml` in this repository.
    pub fn repo_template_path() -> std::path::PathBuf {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
        path.canonicalize().unwrap_or(path)
    }
}
