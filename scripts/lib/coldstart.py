#!/usr/bin/env python3
"""Cold-start, warm-invocation and memory measurements of release bootstraps
against a local Lambda Runtime API stub (used by scripts/bench).

Each bootstrap runs as Lambda would run it: a fresh process whose
environment names the Runtime API, region, dummy credentials and the table.
Cold start = init (process start to its first `next` request) + first
invocation (from handing out the event to the posted response).
"""
import argparse
import http.server
import io
import datetime
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import uuid
import zipfile

RUNTIME = "/2018-06-01/runtime"


class Stub:
    """A minimal Lambda Runtime API: hands out queued events and timestamps every step."""

    def __init__(self):
        self.events = queue.Queue()
        self.lock = threading.Lock()
        self.first_next_at = None
        self.sent_at = {}
        self.done = queue.Queue()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != f"{RUNTIME}/invocation/next":
                    return self.reply(404, b"{}")
                now = time.perf_counter()
                with stub.lock:
                    if stub.first_next_at is None:
                        stub.first_next_at = now
                request_id, payload = stub.events.get()
                body = payload.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 300_000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
                self.end_headers()
                stub.sent_at[request_id] = time.perf_counter()
                self.wfile.write(body)
                self.wfile.flush()

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                now = time.perf_counter()
                parts = self.path.split("/")
                self.reply(202, b'{"status":"OK"}')
                if self.path.endswith("/response") or self.path.endswith("/error"):
                    stub.done.put((parts[-2], parts[-1], body, now))
                elif self.path.endswith("/init/error"):
                    stub.done.put(("init", "error", body, now))

            def reply(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                # A killed function drops its pending `next` connection: expected, not an error.
                if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def lambda_env(name, port, extra):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "INFO",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "LAMBDA_TASK_ROOT": "/var/task",
        "TZ": ":UTC",
    }
    env.update(extra)
    return env


def start(bootstrap, name, extra_env):
    stub = Stub()
    started = time.perf_counter()
    process = subprocess.Popen([bootstrap], env=lambda_env(name, stub.port, extra_env),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return stub, process, started


def invoke(stub, payload, timeout=120):
    request_id = str(uuid.uuid4())
    stub.events.put((request_id, payload))
    got_id, kind, body, done_at = stub.done.get(timeout=timeout)
    if got_id != request_id or kind != "response":
        raise RuntimeError(f"invocation failed ({got_id} {kind}): {body[:300]!r}")
    return request_id, done_at, body


def stop(stub, process):
    process.kill()
    process.wait()
    stub.close()


def cold_start(bootstrap, name, payload_fn, extra_env):
    stub, process, started = start(bootstrap, name, extra_env)
    try:
        request_id, done_at, _ = invoke(stub, payload_fn())
        init_ms = (stub.first_next_at - started) * 1000
        first_ms = (done_at - stub.first_next_at) * 1000
        return init_ms, first_ms
    finally:
        stop(stub, process)


def warm(bootstrap, name, payload_fn, extra_env, count):
    stub, process, _ = start(bootstrap, name, extra_env)
    try:
        invoke(stub, payload_fn())  # the cold one is not counted
        latencies = []
        for _ in range(count):
            request_id, done_at, _ = invoke(stub, payload_fn())
            latencies.append((done_at - stub.sent_at[request_id]) * 1000)
        with open(f"/proc/{process.pid}/status") as status:
            hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        return latencies, hwm / 1024
    finally:
        stop(stub, process)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def zipped_size(path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.write(path, "bootstrap")
    return len(buffer.getvalue())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warm", type=int, default=1000)
    parser.add_argument("--bare", default="{}", help="JSON of bare PutItem/Query latencies")
    parser.add_argument("--secrets-endpoint", required=True, help="the local secret store (moto)")
    parser.add_argument("--erasure-key-secret", required=True, help="the erasure keyring's secret there")
    args = parser.parse_args()

    common = {"TABLE_NAME": args.table, "RETENTION_DAYS": "90", "AWS_ENDPOINT_URL_DYNAMODB": args.endpoint}
    # record and prune read the erasure keyring at start, as deployed (one
    # GetSecretValue against the local secret store: part of their cold start).
    keyed = dict(common, ERASURE_KEY_SECRET=args.erasure_key_secret,
                 AWS_ENDPOINT_URL_SECRETS_MANAGER=args.secrets_endpoint)
    schedule = open(os.path.join(args.fixtures, "schedule-event.json")).read()

    with open(os.path.join(args.fixtures, "demo-milestones.jsonl")) as demo:
        record_base = json.loads(demo.readlines()[2])

    def record_event():
        occurred = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return json.dumps({**record_base, "tenant_id": "bench-tenant", "event_id": f"bench:{uuid.uuid4()}",
                           "occurred_at": occurred})

    def summary_event():
        return json.dumps({
            "version": "2.0", "routeKey": "GET /summary", "rawPath": "/summary", "rawQueryString": "window=24h",
            "headers": {"host": "localhost"}, "queryStringParameters": {"window": "24h"},
            "requestContext": {
                "accountId": "123456789012", "apiId": "bench", "domainName": "localhost", "domainPrefix": "localhost",
                "http": {"method": "GET", "path": "/summary", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench"},
                "requestId": str(uuid.uuid4()), "routeKey": "GET /summary", "stage": "$default",
                "time": "27/Nov/2026:04:00:00 +0000", "timeEpoch": 1795752000000,
            },
            "isBase64Encoded": False,
        })

    functions = [
        ("baseline", lambda: "{}", {}),
        ("record", record_event, keyed),
        ("summary", summary_event, common),
        # RETENTION_DAYS=365 keeps the walk at 8 days x 4 shards per run, so 1,000 warm runs stay short.
        ("prune", lambda: schedule, dict(keyed, RETENTION_DAYS="365")),
    ]
    cold = {name: [] for name, _, _ in functions}
    print(f"cold starts: {args.runs} runs, alternating baseline and functions", file=sys.stderr)
    for run in range(args.runs):
        for name, payload_fn, env in functions:
            cold[name].append(cold_start(os.path.join(args.bin_dir, name), name, payload_fn, env))
        print(f"  run {run + 1}/{args.runs} done", file=sys.stderr)
    results = {}
    for name, payload_fn, env in functions:
        print(f"warm: {args.warm} invocations of {name}", file=sys.stderr)
        latencies, rss = warm(os.path.join(args.bin_dir, name), name, payload_fn, env, args.warm)
        path = os.path.join(args.bin_dir, name)
        inits = [c[0] for c in cold[name]]
        firsts = [c[1] for c in cold[name]]
        sums = [a + b for a, b in cold[name]]
        results[name] = {
            "size_mb": os.path.getsize(path) / 1e6,
            "zip_mb": zipped_size(path) / 1e6,
            "init": (statistics.median(inits), percentile(inits, 0.1), percentile(inits, 0.9)),
            "first": (statistics.median(firsts), percentile(firsts, 0.1), percentile(firsts, 0.9)),
            "sum": (statistics.median(sums), percentile(sums, 0.1), percentile(sums, 0.9)),
            "warm": (statistics.median(latencies), percentile(latencies, 0.99)),
            "rss_mb": rss,
        }
    base = results["baseline"]["sum"][0]
    fmt = lambda t: f"{t[0]:.1f} ({t[1]:.1f}–{t[2]:.1f})"
    print("| function | bootstrap | zipped | init ms | first invoke ms | cold-start sum ms | × baseline | warm median / p99 ms | peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['size_mb']:.2f} MB | {r['zip_mb']:.2f} MB | {fmt(r['init'])} | {fmt(r['first'])} | "
              f"{fmt(r['sum'])} | {r['sum'][0] / base:.2f} | {r['warm'][0]:.2f} / {r['warm'][1]:.2f} | {r['rss_mb']:.1f} MiB |")
    bare = json.loads(args.bare)
    if bare:
        print()
        print("| bare SDK call against DynamoDB Local | median ms | p99 ms |")
        print("|---|---:|---:|")
        for op, figures in bare.items():
            print(f"| {op} | {figures['median_ms']:.2f} | {figures['p99_ms']:.2f} |")
    print("\n(times: median (p10–p90); warm figures over the stub, from event handed out to response received)")


if __name__ == "__main__":
    main()
