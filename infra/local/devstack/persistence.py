"""What ``make dev`` keeps between runs: the stack's data, saved when it stops, put back when it starts.

Kept in a folder (``make dev``: ``.devstack/``, which ``.gitignore`` names; ``make dev-reset``
deletes it): every item of every table of the template, every object of every bucket with its
content type, the value of every secret, so that sessions and page cursors signed before a
restart still verify, and the messages of every queue (the template's, and those EventBridge's
rules deliver to locally), as SQS would keep them: a generation queued when the stack stopped is
made after it starts again. A message a function was working on when the stack stopped comes
back when its visibility timeout ends (2 s for generations locally): the save waits for it up to
``HIDDEN_WAIT_SECONDS``; one still hidden then (a slow call of the real Gemini API) is not kept,
and its image is failed and refunded by the sweeper, as in AWS when a job is lost. The resources
themselves are provisioned again from the template each time, so a change of the template (a new
table, an index) applies to the kept data.

A save is written beside the last one and then swapped in, so a stack killed while saving
leaves the previous save whole. The stack saves only after everything else has stopped, so no
function writes meanwhile, and only once what was kept before is back in place, so a stack that
failed to start never overwrites a good save with an empty one.
"""

from __future__ import annotations

import base64
import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacktools.template import Template

_TABLES = "tables"
_BUCKETS = "buckets"
_QUEUES = "queues"
_SECRETS = "secrets.json"
_OBJECTS_MANIFEST = "objects.json"
_BATCH = 25  # BatchWriteItem's most items per request
HIDDEN_WAIT_SECONDS = 5.0


class SavedData:
    """The kept data of one local stack, in ``folder``."""

    def __init__(
        self,
        folder: Path,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.folder = folder
        self._clock = clock
        self._sleep = sleep

    def exists(self) -> bool:
        return (self.folder / _SECRETS).is_file()

    # ------------------------------------------------------------------ saving
    def save(self, template: Template, clients: Clients) -> None:
        """Write what the stack holds now, replacing the last save only once this one is whole."""
        staging = self.folder.with_name(self.folder.name + ".saving")
        shutil.rmtree(staging, ignore_errors=True)
        (staging / _TABLES).mkdir(parents=True)
        for logical_id, table in _physical(template, "AWS::DynamoDB::Table"):
            with (staging / _TABLES / f"{logical_id}.jsonl").open("w", encoding="utf-8") as out:
                for item in _scan(clients.dynamodb, table):
                    out.write(json.dumps(_portable(item)) + "\n")
        for logical_id, bucket in _physical(template, "AWS::S3::Bucket"):
            folder = staging / _BUCKETS / logical_id
            manifest: dict[str, dict[str, str]] = {}
            for key in _keys(clients.s3, bucket):
                got = clients.s3.get_object(Bucket=bucket, Key=key)
                path = folder / "objects" / str(len(manifest))
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(got["Body"].read())
                manifest[key] = {"file": path.name, "contentType": got.get("ContentType", "")}
            folder.mkdir(parents=True, exist_ok=True)
            (folder / _OBJECTS_MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        (staging / _QUEUES).mkdir()
        for name, url in _queues(template):
            with (staging / _QUEUES / f"{name}.jsonl").open("w", encoding="utf-8") as out:
                for message in _drain(clients.sqs, url, self._clock, self._sleep):
                    out.write(json.dumps(message) + "\n")
        secrets = {
            logical_id: clients.secretsmanager.get_secret_value(SecretId=arn)["SecretString"]
            for logical_id, arn in _physical(template, "AWS::SecretsManager::Secret")
        }
        (staging / _SECRETS).write_text(json.dumps(secrets), encoding="utf-8")
        previous = self.folder.with_name(self.folder.name + ".previous")
        shutil.rmtree(previous, ignore_errors=True)
        if self.folder.exists():
            self.folder.rename(previous)
        staging.rename(self.folder)
        shutil.rmtree(previous, ignore_errors=True)

    # ------------------------------------------------------------------ restoring
    def restore(self, template: Template, clients: Clients) -> bool:
        """Put the last save back into the freshly provisioned stack; False if there is none."""
        if not self.exists():
            return False
        for logical_id, table in _physical(template, "AWS::DynamoDB::Table"):
            path = self.folder / _TABLES / f"{logical_id}.jsonl"
            if path.is_file():
                items = [_native(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]
                for start in range(0, len(items), _BATCH):
                    _write_all(clients.dynamodb, table, items[start : start + _BATCH])
        for logical_id, bucket in _physical(template, "AWS::S3::Bucket"):
            folder = self.folder / _BUCKETS / logical_id
            if not (folder / _OBJECTS_MANIFEST).is_file():
                continue
            manifest = json.loads((folder / _OBJECTS_MANIFEST).read_text(encoding="utf-8"))
            for key, stored in manifest.items():
                body = (folder / "objects" / stored["file"]).read_bytes()
                extra = {"ContentType": stored["contentType"]} if stored["contentType"] else {}
                clients.s3.put_object(Bucket=bucket, Key=key, Body=body, **extra)
        for name, url in _queues(template):
            # Putting the objects back raised "Object Created" events: nothing new arrived, drop them.
            clients.sqs.purge_queue(QueueUrl=url)
            path = self.folder / _QUEUES / f"{name}.jsonl"
            for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
                clients.sqs.send_message(QueueUrl=url, **json.loads(line))
        secrets = json.loads((self.folder / _SECRETS).read_text(encoding="utf-8"))
        for logical_id, arn in _physical(template, "AWS::SecretsManager::Secret"):
            if logical_id in secrets:
                clients.secretsmanager.put_secret_value(SecretId=arn, SecretString=secrets[logical_id])
        return True


@dataclass(frozen=True)
class Clients:
    """The AWS clients saving and restoring use (the local AWS's)."""

    dynamodb: Any
    s3: Any
    secretsmanager: Any
    sqs: Any


def _physical(template: Template, resource_type: str) -> list[tuple[str, str]]:
    named = template.resources_of_type(resource_type)
    return [(logical_id, template.physical[logical_id].ref) for logical_id in named]


def _queues(template: Template) -> list[tuple[str, str]]:
    """Every queue of the stack, named and at its URL: the template's, and the one each EventBridge
    rule delivers to locally (``devstack.events``)."""
    queues = _physical(template, "AWS::SQS::Queue")
    for logical_id in template.resources_of_type("AWS::Events::Rule"):
        queues.append(
            (f"{logical_id}.delivery", template.physical[logical_id].attributes["DeliveryQueueUrl"])
        )
    return queues


def _drain(
    sqs: Any, url: str, clock: Callable[[], float], sleep: Callable[[float], None]
) -> Iterator[dict[str, Any]]:
    """Every message of the queue at ``url``, as ``SendMessage`` takes it back: those to receive now,
    then those that come back from a function's hands within ``HIDDEN_WAIT_SECONDS``."""
    deadline = clock() + HIDDEN_WAIT_SECONDS
    taken = 0
    while True:
        received = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=3600, MessageAttributeNames=["All"]
        ).get("Messages", [])
        for message in received:
            attributes = message.get("MessageAttributes")
            yield {
                "MessageBody": message["Body"],
                **({"MessageAttributes": attributes} if attributes else {}),
            }
        taken += len(received)
        if received:
            continue
        counts = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
        )["Attributes"]
        elsewhere = int(counts["ApproximateNumberOfMessagesNotVisible"]) - taken
        if elsewhere + int(counts["ApproximateNumberOfMessagesDelayed"]) <= 0 or clock() >= deadline:
            return
        sleep(0.1)


def _scan(dynamodb: Any, table: str) -> Iterator[dict[str, Any]]:
    start: dict[str, Any] | None = None
    while True:
        page = dynamodb.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def _keys(s3: Any, bucket: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            yield item["Key"]


def _write_all(dynamodb: Any, table: str, items: list[dict[str, Any]]) -> None:
    pending: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in items]}
    while pending:
        pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def _portable(value: Any) -> Any:
    """A typed DynamoDB value as JSON can hold it: binary as base64."""
    if isinstance(value, bytes | bytearray):
        return {"$base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {key: _portable(member) for key, member in value.items()}
    if isinstance(value, list):
        return [_portable(member) for member in value]
    return value


def _native(value: Any) -> Any:
    """``_portable`` undone."""
    if isinstance(value, dict):
        if set(value) == {"$base64"}:
            return base64.b64decode(value["$base64"])
        return {key: _native(member) for key, member in value.items()}
    if isinstance(value, list):
        return [_native(member) for member in value]
    return value
