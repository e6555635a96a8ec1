"""Replays the record failure queue through the record function, safely.

Each message in the queue is a Lambda on-failure destination record whose
`requestPayload` is the milestone the host app sent. The payload is invoked
synchronously (RequestResponse), and the message is deleted only when record
answered `recorded` or `duplicate`. A function error (`FunctionError` in the
Invoke response, which `aws lambda invoke` ignores in its exit code), a
rejection, an unreadable message or a failed call leaves the message in place,
visible again at the end of the run, and is reported. The exit code is 1 when
any message was left.

A message whose milestone a purge erased is never stored again: record
refuses it (`purged`), and the message is deleted from the queue and reported
as `purged`, since the queue's copy is personal data the purge promised to
erase. A message of a purged tenant (its tenant tombstone in the ledger table,
and it occurred before that purge) is not even sent: it is deleted at once,
dry runs and an unreachable function included. A person's tombstone holds
only a keyed digest, which this tool cannot compute (it never reads the key):
record answers for those.
"""

import argparse
import json
import re
import sys
from datetime import datetime, timedelta

import boto3
from botocore.config import Config

REPLAYED = ("recorded", "duplicate")
# Record refused it: a purge erased it. Done, and its copy goes.
PURGED = "purged"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="scripts/redrive", description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue-url", required=True, help="RecordFailureQueueUrl from the stack outputs")
    parser.add_argument("--function", required=True, help="RecordFunctionName from the stack outputs")
    parser.add_argument("--table", required=True, help="LedgerTableName from the stack outputs (its purge tombstones)")
    parser.add_argument("--region", default=None, help="AWS region (default: the environment's)")
    parser.add_argument("--max-messages", type=int, default=0, help="stop after this many messages (0: all)")
    parser.add_argument("--dry-run", action="store_true", help="read and report only; invoke and delete nothing")
    parser.add_argument("--sqs-endpoint", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--lambda-endpoint", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--dynamodb-endpoint", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def payload_of(body):
    """The original invocation payload of a destination record, or None."""
    try:
        record = json.loads(body)
    except ValueError:
        return None
    if not isinstance(record, dict) or "requestPayload" not in record:
        return None
    return record["requestPayload"]


# Record accepts times this far ahead (domain::MAX_FUTURE_SKEW): a tombstone
# erases rows stamped up to that long after its purge.
MAX_FUTURE_SKEW = timedelta(minutes=5)

RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$")


def instant(text):
    """An RFC 3339 time (any case, any fraction length) as an aware datetime, or None."""
    match = RFC3339.match(text) if isinstance(text, str) else None
    if not match:
        return None
    date, time, fraction, offset = match.groups()
    micros = (fraction or "0")[:6].ljust(6, "0")
    offset = "+00:00" if offset in ("Z", "z") else offset
    try:
        return datetime.fromisoformat(f"{date}T{time}.{micros}{offset}")
    except ValueError:
        return None


def load_tombstones(dynamodb, table):
    """(tenant, purged_at) of every tenant's purge tombstone. A person's
    tombstone (`<tenant>#<key id>#<keyed digest>`) is left to record."""
    tombstones = []
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": "tenant_id"},
        ExpressionAttributeValues={":pk": {"S": "#purge"}},
        ConsistentRead=True,
    )
    for page in pages:
        for item in page.get("Items", []):
            scope = item.get("event_key", {}).get("S", "")
            tenant, _, person = scope.partition("#")
            if person:
                # A person's tombstone, or the tenant's marker that someone was erased.
                continue
            purged_at = instant(item.get("purged_at", {}).get("S"))
            if not scope or purged_at is None:
                raise ValueError(f"an unreadable purge tombstone: {scope or '?'}")
            tombstones.append((tenant, purged_at))
    return tombstones


def purged(tombstones, payload):
    """Whether a tenant purge erased this milestone: True, False, or None when
    its tenant was purged but its time cannot be read (never replayed)."""
    if not isinstance(payload, dict):
        return False
    tenant = payload.get("tenant_id")
    occurred = instant(payload.get("occurred_at"))
    for stone_tenant, purged_at in tombstones:
        if stone_tenant != tenant:
            continue
        if occurred is None:
            return None
        if occurred < purged_at + MAX_FUTURE_SKEW:
            return True
    return False


def replay(lam, function, payload):
    """Invokes record; returns (outcome, replayed)."""
    try:
        response = lam.invoke(
            FunctionName=function,
            InvocationType="RequestResponse",
            Payload=json.dumps(payload).encode(),
        )
    except Exception as error:  # noqa: BLE001 - any failure leaves the message
        return f"invoke_failed: {type(error).__name__}", False
    body = response["Payload"].read()
    if response.get("FunctionError"):
        try:
            kind = json.loads(body).get("errorType", "unknown")
        except ValueError:
            kind = "unknown"
        return f"function_error: {kind}", False
    try:
        answer = json.loads(body)
    except ValueError:
        return "unreadable_response", False
    status = answer.get("status") if isinstance(answer, dict) else None
    if status in REPLAYED or status == PURGED:
        return status, True
    code = (answer.get("error") or {}).get("code", "unknown") if isinstance(answer, dict) else "unknown"
    return f"{status or 'unexpected'}: {code}", False


def main(argv):
    args = parse_args(argv)
    config = Config(retries={"mode": "standard", "max_attempts": 3})
    sqs = boto3.client("sqs", region_name=args.region, endpoint_url=args.sqs_endpoint, config=config)
    lam = boto3.client(
        "lambda",
        region_name=args.region,
        endpoint_url=args.lambda_endpoint,
        config=Config(retries={"mode": "standard", "max_attempts": 3}, read_timeout=60),
    )
    dynamodb = boto3.client("dynamodb", region_name=args.region, endpoint_url=args.dynamodb_endpoint, config=config)
    try:
        tombstones = load_tombstones(dynamodb, args.table)
    except Exception as error:  # noqa: BLE001 - never replay without knowing what was erased
        print(f"redrive: the purge tombstones of {args.table} could not be read ({error}); nothing was replayed",
              file=sys.stderr)
        return 2
    seen, kept, deleted, erased = set(), {}, 0, 0
    idle = 0
    # Stop after a few receives in a row bring nothing new: an empty queue, or
    # only messages already tried (kept ones that became visible again in a
    # long run; their newest receipt handle is remembered).
    while idle < 3 and (not args.max_messages or len(seen) < args.max_messages):
        # Kept messages stay invisible for the run, so each is tried once.
        batch = sqs.receive_message(
            QueueUrl=args.queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=900,
            WaitTimeSeconds=1,
        ).get("Messages", [])
        for message in batch:
            if message["MessageId"] in kept:
                kept[message["MessageId"]] = (message, kept[message["MessageId"]][1])
        fresh = [m for m in batch if m["MessageId"] not in seen]
        idle = 0 if fresh else idle + 1
        for message in fresh:
            seen.add(message["MessageId"])
            payload = payload_of(message["Body"])
            if payload is None:
                outcome, replayed = "unreadable_message", False
            elif (erasure := purged(tombstones, payload)) is None:
                # A purged scope, but its time cannot be read: never replayed.
                outcome, replayed = "purged_scope_unreadable_time", False
            elif erasure:
                # Erased by a purge: never replayed; the queue's copy goes too.
                outcome, replayed = "purged", not args.dry_run
                erased += int(replayed)
            elif args.dry_run:
                outcome, replayed = "dry_run", False
            else:
                outcome, replayed = replay(lam, args.function, payload)
                erased += int(outcome == PURGED)
            if replayed:
                sqs.delete_message(QueueUrl=args.queue_url, ReceiptHandle=message["ReceiptHandle"])
                deleted += int(outcome != "purged")
            else:
                kept[message["MessageId"]] = (message, outcome)
            print(f"{message['MessageId']}  {outcome}  {'deleted' if replayed else 'kept'}", flush=True)
    # Everything left becomes visible again at once, for the next attempt or a look by hand.
    for message, _ in kept.values():
        try:
            sqs.change_message_visibility(
                QueueUrl=args.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        except Exception as error:  # noqa: BLE001 - it stays in the queue either way
            print(f"{message['MessageId']}  could not be made visible at once ({type(error).__name__}); "
                  "it reappears when its visibility timeout ends", flush=True)
    print(f"redrive: {len(seen)} message(s) read, {deleted} replayed and deleted, {erased} purged and deleted, "
          f"{len(kept)} kept in the queue")
    return 1 if kept else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
