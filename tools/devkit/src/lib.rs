//! Local tooling: the ledger table as `infra/template.yaml` defines it, created
//! on DynamoDB Local, so tests and the local stack can never drift from what is
//! deployed; synthetic rows for benchmarks ([`seed`]) and a realistic demo
//! history ([`demo`]).

pub mod demo;
pub mod seed;
pub mod template;

pub use template::{
    ERASURE_LOG_TABLE, KeyElement, LEDGER_TABLE, SecondaryIndex, TableDefinition, TemplateError,
};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use std::error::Error;

/// A client for DynamoDB Local at `endpoint`, with dummy credentials and a fixed region.
pub fn local_client(endpoint: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "devkit"))
        .build();
    Client::from_conf(config)
}

#[derive(Debug, thiserror::Error)]
pub enum DevkitError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("DynamoDB {operation} on {endpoint_hint} failed")]
    Dynamo {
        operation: &'static str,
        endpoint_hint: String,
        #[source]
        source: Box<dyn Error + Send + Sync>,
    },
    #[error("the template's table uses {0}, which this tool does not map")]
    Unsupported(String),
}

fn dynamo(
    operation: &'static str,
    table: &str,
    source: impl Error + Send + Sync + 'static,
) -> DevkitError {
    DevkitError::Dynamo {
        operation,
        endpoint_hint: format!("table {table}"),
        source: Box::new(source),
    }
}

fn key_schema(elements: &[KeyElement]) -> Result<Vec<KeySchemaElement>, DevkitError> {
    elements
        .iter()
        .map(|element| {
            let key_type = match element.key_type.as_str() {
                "HASH" => KeyType::Hash,
                "RANGE" => KeyType::Range,
                other => return Err(DevkitError::Unsupported(format!("KeyType {other}"))),
            };
            KeySchemaElement::builder()
                .attribute_name(&element.attribute_name)
                .key_type(key_type)
                .build()
                .map_err(|e| DevkitError::Unsupported(e.to_string()))
        })
        .collect()
}

/// Creates `table_name` exactly as the template defines the table (keys,
/// attribute definitions, GSIs with their projection, billing mode), then
/// enables TTL on the template's attribute.
pub async fn create_table(
    client: &Client,
    definition: &TableDefinition,
    table_name: &str,
) -> Result<(), DevkitError> {
    let mut request = client
        .create_table()
        .table_name(table_name)
        .set_key_schema(Some(key_schema(&definition.key_schema)?));
    for attribute in &definition.attribute_definitions {
        let scalar = match attribute.attribute_type.as_str() {
            "S" => ScalarAttributeType::S,
            "N" => ScalarAttributeType::N,
            "B" => ScalarAttributeType::B,
            other => return Err(DevkitError::Unsupported(format!("AttributeType {other}"))),
        };
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(&attribute.attribute_name)
                .attribute_type(scalar)
                .build()
                .map_err(|e| DevkitError::Unsupported(e.to_string()))?,
        );
    }
    request = match definition.billing_mode.as_str() {
        "PAY_PER_REQUEST" => request.billing_mode(BillingMode::PayPerRequest),
        other => return Err(DevkitError::Unsupported(format!("BillingMode {other}"))),
    };
    for index in &definition.global_secondary_indexes {
        let projection_type = match index.projection.projection_type.as_str() {
            "ALL" => ProjectionType::All,
            "KEYS_ONLY" => ProjectionType::KeysOnly,
            "INCLUDE" => ProjectionType::Include,
            other => return Err(DevkitError::Unsupported(format!("ProjectionType {other}"))),
        };
        let projection = Projection::builder()
            .projection_type(projection_type)
            .set_non_key_attributes(index.projection.non_key_attributes.clone())
            .build();
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&index.index_name)
                .set_key_schema(Some(key_schema(&index.key_schema)?))
                .projection(projection)
                .build()
                .map_err(|e| DevkitError::Unsupported(e.to_string()))?,
        );
    }
    request
        .send()
        .await
        .map_err(|e| dynamo("CreateTable", table_name, e))?;
    if let Some(ttl) = definition.time_to_live.as_ref().filter(|ttl| ttl.enabled) {
        let specification = TimeToLiveSpecification::builder()
            .attribute_name(&ttl.attribute_name)
            .enabled(true)
            .build()
            .map_err(|e| DevkitError::Unsupported(e.to_string()))?;
        client
            .update_time_to_live()
            .table_name(table_name)
            .time_to_live_specification(specification)
            .send()
            .await
            .map_err(|e| dynamo("UpdateTimeToLive", table_name, e))?;
    }
    Ok(())
}

/// True when the table exists.
pub async fn table_exists(client: &Client, table_name: &str) -> Result<bool, DevkitError> {
    match client.describe_table().table_name(table_name).send().await {
        Ok(_) => Ok(true),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Ok(false)
        }
        Err(error) => Err(dynamo("DescribeTable", table_name, error)),
    }
}

pub async fn delete_table(client: &Client, table_name: &str) -> Result<(), DevkitError> {
    client
        .delete_table()
        .table_name(table_name)
        .send()
        .await
        .map_err(|e| dynamo("DeleteTable", table_name, e))?;
    Ok(())
}
