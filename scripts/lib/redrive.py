"""Replays the record failure queue through the record function, safely.

Each message in the queue is a Lambda on-failure destination record whose
`requestPayload` is the milestone the host app sent. The payload is invoked
synchronously (RequestResponse), and the message is deleted only when record
answered `recorded` or `duplicate`. A function error (`FunctionError` in the
Invoke response, which `aws lambda invoke` ignores in its exit code), a
rejection, an unreadable message or a failed call leaves the message in place,
visible again at the end of the run, and is reported. The exit code is 1 when
any message was left.
"""

import argparse
import json
import sys

import boto3
from botocore.config import Config

REPLAYED = ("recorded", "duplicate")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="scripts/redrive", description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue-url", required=True, help="RecordFailureQueueUrl from the stack outputs")
    parser.add_argument("--function", required=True, help="RecordFunctionName from the stack outputs")
    parser.add_argument("--region", default=None, help="AWS region (default: the environment's)")
    parser.add_argument("--max-messages", type=int, default=0, help="stop after this many messages (0: all)")
    parser.add_argument("--dry-run", action="store_true", help="read and report only; invoke and delete nothing")
    parser.add_argument("--sqs-endpoint", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--lambda-endpoint", default=None, help=argparse.SUPPRESS)
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
    if status in REPLAYED:
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
    seen, kept, deleted = set(), {}, 0
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
            elif args.dry_run:
                outcome, replayed = "dry_run", False
            else:
                outcome, replayed = replay(lam, args.function, payload)
            if replayed:
                sqs.delete_message(QueueUrl=args.queue_url, ReceiptHandle=message["ReceiptHandle"])
                deleted += 1
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
    print(f"redrive: {len(seen)} message(s) read, {deleted} replayed and deleted, {len(kept)} kept in the queue")
    return 1 if kept else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
