//! `devkit create-table --table NAME [--template PATH] [--endpoint URL]`
//!
//! Creates the ledger table on DynamoDB Local from the SAM template, unless it exists.

use devkit::{TableDefinition, create_table, local_client, table_exists};
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: devkit create-table --table NAME [--template PATH] [--endpoint URL]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("devkit: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Vec<String>) -> Result<(), Box<dyn Error>> {
    let mut args = args.into_iter();
    if args.next().as_deref() != Some("create-table") {
        return Err(USAGE.into());
    }
    let mut table = None;
    let mut template = TableDefinition::repo_template_path();
    let mut endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").ok();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--table" => table = Some(value),
            "--template" => template = PathBuf::from(value),
            "--endpoint" => endpoint = Some(value),
            _ => return Err(format!("unknown flag {flag}\n{USAGE}").into()),
        }
    }
    let table = table.ok_or(USAGE)?;
    let endpoint =
        endpoint.ok_or("no endpoint: pass --endpoint or set AWS_ENDPOINT_URL_DYNAMODB")?;
    let definition = TableDefinition::from_template_file(&template)?;
    let client = local_client(&endpoint);
    if table_exists(&client, &table).await? {
        println!("table {table} already exists at {endpoint}");
    } else {
        create_table(&client, &definition, &table).await?;
        println!(
            "created table {table} at {endpoint} from {}",
            template.display()
        );
    }
    Ok(())
}
