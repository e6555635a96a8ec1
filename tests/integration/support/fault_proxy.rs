//! A fault-injecting HTTP proxy in front of DynamoDB Local: the faults the
//! service really produces, at the wire. Per request it either throttles
//! (answers `ProvisionedThroughputExceededException` without forwarding),
//! forwards and then loses the response (answers `InternalServerError` after
//! DynamoDB applied the request), hangs (never answers), or forwards as is.
//! Decisions come from a seeded generator, so a run can be replayed. A fixed
//! delay before each forwarded request makes a slow store. An outage, switched
//! on and off by the test (or by a client in another language, with
//! `POST /__outage/on` and `POST /__outage/off` to the proxy itself),
//! throttles every request while it lasts.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Fault rates, each a fraction of requests.
#[derive(Debug, Clone, Copy, Default)]
pub struct FaultPlan {
    pub throttle: f64,
    pub fail_after_apply: f64,
    pub hang: f64,
    /// Of `TransactWriteItems` requests only: cancelled without forwarding,
    /// as DynamoDB cancels a transaction that conflicts with another
    /// (`TransactionCanceledException`, reason `TransactionConflict`).
    pub cancel_transactions: f64,
    /// Of `BatchGetItem` requests only (the roll-up reads): answered with an
    /// internal server error, without forwarding.
    pub fail_batch_gets: f64,
    /// The first this many requests are read and their connection closed
    /// without an answer, as a server closes a pooled connection it had
    /// idled out just as the client reuses it.
    pub close_first: u64,
    /// Added before every forwarded request: a slow store.
    pub delay: Duration,
    pub seed: u64,
}

/// What the proxy did, for the test's own accounting.
#[derive(Debug, Default)]
pub struct FaultCounts {
    pub forwarded: AtomicU64,
    pub cancelled: AtomicU64,
    pub throttled: AtomicU64,
    pub failed_after_apply: AtomicU64,
    pub hung: AtomicU64,
    pub failed_batch_gets: AtomicU64,
    pub closed: AtomicU64,
    /// Requests seen (the count `close_first` applies to).
    pub requests: AtomicU64,
    /// Items the forwarded responses carried ([`items_in`]): what a read
    /// cost at the wire.
    pub items: AtomicU64,
}

pub struct FaultProxy {
    pub endpoint: String,
    pub counts: Arc<FaultCounts>,
    stop: Arc<AtomicBool>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    None,
    CancelTransaction,
    Close,
    FailBatchGet,
    Throttle,
    FailAfterApply,
    Hang,
}

/// xorshift64*: small, seeded, good enough to spread faults.
struct Dice(AtomicU64);

impl Dice {
    fn roll(&self) -> f64 {
        let mut x = self.0.load(Ordering::Relaxed);
        loop {
            let mut next = x;
            next ^= next >> 12;
            next ^= next << 25;
            next ^= next >> 27;
            match self
                .0
                .compare_exchange(x, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => {
                    let value = next.wrapping_mul(0x2545_F491_4F6C_DD1D);
                    return (value >> 11) as f64 / (1u64 << 53) as f64;
                }
                Err(actual) => x = actual,
            }
        }
    }
}

impl FaultProxy {
    pub fn start(upstream: &str, plan: FaultPlan) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let counts = Arc::new(FaultCounts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let outage = Arc::new(AtomicBool::new(false));
        let dice = Arc::new(Dice(AtomicU64::new(plan.seed.max(1))));
        let (c, s, o) = (Arc::clone(&counts), Arc::clone(&stop), Arc::clone(&outage));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(client) = client else { continue };
                let (upstream, counts, stop, outage, dice) = (
                    upstream.clone(),
                    Arc::clone(&c),
                    Arc::clone(&s),
                    Arc::clone(&o),
                    Arc::clone(&dice),
                );
                std::thread::spawn(move || {
                    let state = State {
                        counts: &counts,
                        stop: &stop,
                        outage: &outage,
                        dice: &dice,
                    };
                    let _ = serve(client, &upstream, plan, &state);
                });
            }
        });
        Self {
            endpoint,
            counts,
            stop,
        }
    }

    pub fn count(&self, pick: impl Fn(&FaultCounts) -> &AtomicU64) -> u64 {
        pick(&self.counts).load(Ordering::Relaxed)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.endpoint.trim_start_matches("http://"));
    }
}

/// The items a DynamoDB response carries: a Query's or Scan's `Count`, a
/// BatchGetItem's `Responses`, a GetItem's `Item`.
fn items_in(response: &[u8]) -> u64 {
    let body = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(&[][..], |i| &response[i + 4..]);
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return 0;
    };
    let batch: u64 = json["Responses"].as_object().map_or(0, |tables| {
        tables
            .values()
            .filter_map(|items| items.as_array())
            .map(|items| items.len() as u64)
            .sum()
    });
    json["Count"].as_u64().unwrap_or(0) + batch + u64::from(json.get("Item").is_some())
}

/// One HTTP/1.1 message: the head (start line and headers) and the body.
fn read_message(reader: &mut impl BufRead) -> std::io::Result<Option<Vec<u8>>> {
    let mut message = Vec::new();
    let mut content_length = 0usize;
    let mut chunked = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        message.extend_from_slice(line.as_bytes());
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            if name == "content-length" {
                content_length = value.trim().parse().unwrap_or(0);
            } else if name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked")
            {
                chunked = true;
            }
        }
    }
    if chunked {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            message.extend_from_slice(size_line.as_bytes());
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0u8; size + 2];
            reader.read_exact(&mut chunk)?;
            message.extend_from_slice(&chunk);
            if size == 0 {
                break;
            }
        }
    } else {
        let mut body = vec![0u8; content_length];
        reader.read_exact(&mut body)?;
        message.extend_from_slice(&body);
    }
    Ok(Some(message))
}

fn error_response(status: &str, error_type: &str, message: &str) -> Vec<u8> {
    let body = format!(
        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{error_type}","message":"{message}"}}"#
    );
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: fault-proxy\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Whether the request is a `TransactWriteItems` call.
fn is_transaction(request: &[u8]) -> bool {
    is_operation(request, "transactwriteitems")
}

/// Whether the request is a call of `operation` (lower case).
fn is_operation(request: &[u8], operation: &str) -> bool {
    let head_end = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(request.len());
    String::from_utf8_lossy(&request[..head_end])
        .to_ascii_lowercase()
        .contains(&format!("x-amz-target: dynamodb_20120810.{operation}\r\n"))
}

/// DynamoDB's answer to a transaction cancelled by a conflict on its second
/// item (the day version a late row bumps).
fn transaction_conflict() -> Vec<u8> {
    let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","message":"Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]","CancellationReasons":[{"Code":"None"},{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]}"#;
    format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: fault-proxy\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// `Some(on)` for a request to the proxy's own outage switch.
fn outage_switch(request: &[u8]) -> Option<bool> {
    if request.starts_with(b"POST /__outage/on ") {
        Some(true)
    } else if request.starts_with(b"POST /__outage/off ") {
        Some(false)
    } else {
        None
    }
}

/// What every connection of the proxy shares.
struct State<'a> {
    counts: &'a FaultCounts,
    stop: &'a AtomicBool,
    outage: &'a AtomicBool,
    dice: &'a Dice,
}

fn serve(
    client: TcpStream,
    upstream: &str,
    plan: FaultPlan,
    state: &State<'_>,
) -> std::io::Result<()> {
    let State {
        counts,
        stop,
        outage,
        dice,
    } = *state;
    let mut writer = client.try_clone()?;
    let mut reader = BufReader::new(client);
    let mut upstream_conn: Option<(TcpStream, BufReader<TcpStream>)> = None;
    while let Some(request) = read_message(&mut reader)? {
        if let Some(on) = outage_switch(&request) {
            outage.store(on, Ordering::Relaxed);
            // The switch's answer closes its connection: a client that reads
            // to the end (PHP's stream wrapper) would otherwise wait for its
            // timeout.
            writer.write_all(
                b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )?;
            return Ok(());
        }
        let roll = dice.roll();
        let seen = counts.requests.fetch_add(1, Ordering::Relaxed);
        let fault = if outage.load(Ordering::Relaxed) {
            Fault::Throttle
        } else if seen < plan.close_first {
            Fault::Close
        } else if is_transaction(&request) && dice.roll() < plan.cancel_transactions {
            Fault::CancelTransaction
        } else if is_operation(&request, "batchgetitem") && dice.roll() < plan.fail_batch_gets {
            Fault::FailBatchGet
        } else if roll < plan.hang {
            Fault::Hang
        } else if roll < plan.hang + plan.throttle {
            Fault::Throttle
        } else if roll < plan.hang + plan.throttle + plan.fail_after_apply {
            Fault::FailAfterApply
        } else {
            Fault::None
        };
        match fault {
            Fault::Hang => {
                counts.hung.fetch_add(1, Ordering::Relaxed);
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                    // The client gave up and closed: stop holding it.
                    let mut probe = [0u8; 1];
                    reader.get_ref().set_nonblocking(true)?;
                    let closed = matches!(reader.get_mut().read(&mut probe), Ok(0));
                    reader.get_ref().set_nonblocking(false)?;
                    if closed {
                        break;
                    }
                }
                return Ok(());
            }
            Fault::Throttle => {
                counts.throttled.fetch_add(1, Ordering::Relaxed);
                writer.write_all(&error_response(
                    "400 Bad Request",
                    "ProvisionedThroughputExceededException",
                    "injected throttle",
                ))?;
                continue;
            }
            Fault::CancelTransaction => {
                counts.cancelled.fetch_add(1, Ordering::Relaxed);
                writer.write_all(&transaction_conflict())?;
                continue;
            }
            Fault::Close => {
                counts.closed.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            Fault::FailBatchGet => {
                counts.failed_batch_gets.fetch_add(1, Ordering::Relaxed);
                writer.write_all(&error_response(
                    "500 Internal Server Error",
                    "InternalServerError",
                    "injected failure",
                ))?;
                continue;
            }
            Fault::None | Fault::FailAfterApply => {}
        }
        if !plan.delay.is_zero() {
            std::thread::sleep(plan.delay);
        }
        if upstream_conn.is_none() {
            let stream = TcpStream::connect(upstream)?;
            let reader = BufReader::new(stream.try_clone()?);
            upstream_conn = Some((stream, reader));
        }
        let Some((up_writer, up_reader)) = upstream_conn.as_mut() else {
            return Ok(());
        };
        up_writer.write_all(&request)?;
        let Some(response) = read_message(up_reader)? else {
            return Ok(());
        };
        if fault == Fault::FailAfterApply {
            counts.failed_after_apply.fetch_add(1, Ordering::Relaxed);
            writer.write_all(&error_response(
                "500 Internal Server Error",
                "InternalServerError",
                "injected failure after the request was applied",
            ))?;
        } else {
            counts.forwarded.fetch_add(1, Ordering::Relaxed);
            counts
                .items
                .fetch_add(items_in(&response), Ordering::Relaxed);
            writer.write_all(&response)?;
        }
    }
    Ok(())
}
