//! `scripts/redrive` against a local SQS-compatible server (moto, installed by
//! `scripts/test`) and the record function under `cargo lambda watch`: a
//! message is deleted only after `recorded` or `duplicate`; every other
//! message stays in the queue and is reported.

use crate::support::{TestTable, Watcher, dynamodb_endpoint};
use serde_json::{Value, json};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::task::block_in_place;

/// A moto server on a free port, stopped on every exit path.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start() -> Self {
        let server = std::env::var("MOTO_SERVER").unwrap_or_else(|_| {
            panic!("MOTO_SERVER is not set: run the tests with scripts/test, which installs moto into .tools/moto")
        });
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {server}: {e}"));
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not listen within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// One SQS call in the JSON protocol.
    fn sqs(&self, action: &str, body: Value) -> Value {
        let mut response = ureq::post(&self.endpoint)
            .header("X-Amz-Target", &format!("AmazonSQS.{action}"))
            .header("Content-Type", "application/x-amz-json-1.0")
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=local/20261128/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0",
            )
            .send(body.to_string())
            .unwrap_or_else(|e| panic!("SQS {action}: {e}"));
        let text = response.body_mut().read_to_string().expect("body");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Every visible message body (making none of them invisible).
    fn bodies(&self, queue_url: &str) -> Vec<String> {
        let reply = self.sqs(
            "ReceiveMessage",
            json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0}),
        );
        let mut bodies: Vec<String> = reply["Messages"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|m| m["Body"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        bodies.sort();
        bodies
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Lambda on-failure destination record around `payload`.
fn destination_record(payload: &Value) -> String {
    json!({
        "version": "1.0",
        "timestamp": "2026-11-28T10:00:00.000Z",
        "requestContext": {
            "requestId": "d9c9f7b0-0000-4000-8000-000000000000",
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:record:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3
        },
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorType": "StorageUnavailable", "errorMessage": "DynamoDB PutItem failed"}
    })
    .to_string()
}

fn milestone(event_id: &str) -> Value {
    json!({
        "event": domain::testing::REPORT_CREATED, "tenant_id": "t", "workspace_id": "w",
        "actor_id": "a", "event_id": event_id, "metadata": {"report_type": "usage"},
        "occurred_at": (chrono::Utc::now() - chrono::TimeDelta::hours(1)).to_rfc3339()
    })
}

fn redrive(
    moto: &Moto,
    watcher: &Watcher,
    queue_url: &str,
    function: &str,
    table: &str,
) -> (bool, String) {
    let output = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/redrive"))
        .args(["--queue-url", queue_url, "--function", function])
        .args(["--table", table])
        .args(["--dynamodb-endpoint", &dynamodb_endpoint()])
        .args(["--region", "us-east-1"])
        .args(["--sqs-endpoint", &moto.endpoint])
        .args(["--lambda-endpoint", &watcher.invoke_endpoint()])
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .output()
        .expect("run scripts/redrive");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redrive_deletes_only_what_record_replayed_and_reports_the_rest() {
    let table = TestTable::create().await;
    let moto = Moto::start();
    let mut watcher = Watcher::start(&dynamodb_endpoint(), &table.name, 90);

    // Already recorded before the redrive: its replay is a duplicate.
    let earlier = milestone("redrive-dup");
    let reply = block_in_place(|| watcher.invoke("record", &earlier.to_string())).json();
    assert_eq!(reply["status"], "recorded");

    let queue_url = moto.sqs("CreateQueue", json!({"QueueName": "record-failures"}))["QueueUrl"]
        .as_str()
        .expect("queue url")
        .to_owned();
    // A tenant offboarded since its milestone failed: purge left a tombstone.
    let gone =
        block_in_place(|| watcher.invoke("purge", r#"{"scope": "tenant", "tenant_id": "t-gone"}"#))
            .json();
    assert_eq!(gone["status"], "done", "{gone}");
    let mut erased = milestone("redrive-erased");
    erased["tenant_id"] = json!("t-gone");
    // A person erased since: only record can tell (the tombstone's digest is keyed).
    let person = block_in_place(|| {
        watcher.invoke(
            "purge",
            r#"{"scope": "actor", "tenant_id": "t", "actor_id": "a-gone"}"#,
        )
    })
    .json();
    assert_eq!(person["status"], "done", "{person}");
    let mut forgotten = milestone("redrive-forgotten");
    forgotten["actor_id"] = json!("a-gone");
    let mut rejected = milestone("redrive-bad");
    rejected
        .as_object_mut()
        .expect("object")
        .remove("occurred_at");
    let bodies = [
        destination_record(&milestone("redrive-new")),
        destination_record(&earlier),
        destination_record(&rejected),
        "not a destination record".to_owned(),
        destination_record(&erased),
        destination_record(&forgotten),
    ];
    for body in &bodies {
        moto.sqs(
            "SendMessage",
            json!({"QueueUrl": queue_url, "MessageBody": body}),
        );
    }

    // A function that cannot be invoked: nothing is deleted, all is reported.
    // The purged tenant's milestone never reaches record, whatever the
    // function: its copy in the queue is deleted at once, and reported.
    let (ok, output) =
        block_in_place(|| redrive(&moto, &watcher, &queue_url, "no-such-function", &table.name));
    assert!(
        !ok,
        "messages were left, so the exit code says so: {output}"
    );
    assert!(
        output.contains("0 replayed and deleted, 1 purged and deleted, 5 kept"),
        "{output}"
    );
    assert!(output.contains("purged  deleted"), "{output}");
    assert_eq!(moto.bodies(&queue_url).len(), 5, "{output}");

    let (ok, output) =
        block_in_place(|| redrive(&moto, &watcher, &queue_url, "record", &table.name));
    assert!(!ok, "{output}");
    assert!(output.contains("recorded  deleted"), "{output}");
    assert!(output.contains("duplicate  deleted"), "{output}");
    assert!(output.contains("rejected: missing_field  kept"), "{output}");
    assert!(output.contains("unreadable_message  kept"), "{output}");
    // The erased person's milestone: record refused it, and its copy went.
    assert!(output.contains("purged  deleted"), "{output}");
    assert!(
        output.contains("2 replayed and deleted, 1 purged and deleted, 2 kept"),
        "{output}"
    );

    // Left in place, and visible again: exactly the two it could not replay.
    let mut expected = vec![bodies[2].clone(), bodies[3].clone()];
    expected.sort();
    assert_eq!(moto.bodies(&queue_url), expected);
    let ids: Vec<String> = table.event_ids().await;
    assert!(ids.contains(&"redrive-new".to_owned()), "{ids:?}");
    assert!(!ids.contains(&"redrive-erased".to_owned()), "{ids:?}");
    assert!(!ids.contains(&"redrive-forgotten".to_owned()), "{ids:?}");
    assert_eq!(ids.len(), 2, "{ids:?}");
}
