#!/usr/bin/env python3
"""Redrive the failed events: invoke each function again with the event it failed.

An event that the metadata, thumbnail or sweeper function failed on every retry waits in the stack's
failed-events queue (output ``FailedEventsQueueUrl``) as Lambda's invocation record: the function
in ``requestContext.functionArn``, the event in ``requestPayload``. Once the cause is fixed, this
reads each record, invokes its function asynchronously with the event (as EventBridge or the
schedule did), and deletes the record only once Lambda has accepted the invocation. A record that
cannot be redriven stays in the queue, and the command ends with exit code 1. An event that fails
again comes back to the queue after its retries. ``--dry-run`` lists what would be redriven and
leaves every record where it was.

    .venv/bin/python infra/redrive_failed_events.py --stack imagegen-prod --region us-east-1 [--dry-run]

(docs/runbook.md, FailedEventsAlarm.)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

QUEUE_OUTPUT = "FailedEventsQueueUrl"
# How long a record read stays hidden from another reader while it is redriven (or listed).
VISIBILITY_SECONDS = 120


@dataclass
class Redriven:
    """What a run did: records redriven (or, in a dry run, that would be), and records left behind."""

    redriven: int = 0
    left: int = 0


def queue_url(cloudformation: Any, stack: str) -> str:
    """The failed-events queue of ``stack``, from its outputs."""
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    for output in outputs:
        if output["OutputKey"] == QUEUE_OUTPUT:
            return str(output["OutputValue"])
    raise SystemExit(f"the stack {stack} has no {QUEUE_OUTPUT} output: is it deployed from this version?")


def describe(record: dict[str, Any]) -> str:
    """The record in a line: its function, why it ended here, and the object or kind of event."""
    context, event = record["requestContext"], record["requestPayload"]
    what = event.get("detail", {}).get("object", {}).get("key") or event.get("detail-type", "event")
    function = context["functionArn"].split(":function:")[-1]
    return f"{function}  {context.get('condition', '?')}  {what}"


def redrive(
    sqs: Any, lambda_client: Any, url: str, dry_run: bool = False, say: Callable[[str], object] = print
) -> Redriven:
    """Invoke the function of every record in the queue at ``url`` with its event, deleting each
    record once its invocation is accepted; in a dry run, only say what would be done."""
    done = Redriven()
    listed: list[str] = []  # a dry run's receipt handles, handed back at the end
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=VISIBILITY_SECONDS, WaitTimeSeconds=1
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            try:
                record = json.loads(message["Body"])
                function = record["requestContext"]["functionArn"]
                payload = json.dumps(record["requestPayload"])
                line = describe(record)
            except (ValueError, KeyError, TypeError, AttributeError):
                say(f"left  {message['MessageId']}: not a Lambda invocation record")
                done.left += 1
                continue
            if dry_run:
                say(f"would redrive  {line}")
                listed.append(message["ReceiptHandle"])
                done.redriven += 1
                continue
            try:
                status = lambda_client.invoke(FunctionName=function, InvocationType="Event", Payload=payload)
            except (BotoCoreError, ClientError) as error:  # the record stays for another run
                say(f"left  {line}: {error}")
                done.left += 1
                continue
            if status["StatusCode"] != 202:
                say(f"left  {line}: Lambda answered {status['StatusCode']}")
                done.left += 1
                continue
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            say(f"redriven  {line}")
            done.redriven += 1
    for handle in listed:  # a dry run changes nothing: its records are visible again at once
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return done


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--stack", required=True, help="the stack's name, e.g. imagegen-prod")
    parser.add_argument("--region", help="the stack's region (default: the AWS CLI's, or AWS_REGION)")
    parser.add_argument(
        "--dry-run", action="store_true", help="list the records that would be redriven; change nothing"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    """Redrive the stack's failed events; 0 when every record was redriven (or listed), 1 otherwise."""
    options = parse_args(argv)
    session = session or boto3.session.Session(region_name=options.region)
    url = queue_url(session.client("cloudformation"), options.stack)
    done = redrive(session.client("sqs"), session.client("lambda"), url, dry_run=options.dry_run)
    verb = "would be redriven" if options.dry_run else "redriven"
    print(f"{done.redriven} {verb}, {done.left} left in the queue")
    return 1 if done.left else 0


if __name__ == "__main__":
    sys.exit(main())
