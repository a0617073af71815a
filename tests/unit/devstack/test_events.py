from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.events import QueuePoller, aws_shaped, invoke_async, schedule_seconds, scheduled_event
from devstack.lambdas import LocalFunction
from tests.unit.devstack.test_lambdas import spec

MOTO_EVENT = {
    "version": "0",
    "id": "1",
    "detail-type": "Object Created",
    "source": "aws.s3",
    "account": "123456789012",
    "time": "2026-11-22T03:48:47Z",
    "region": "us-east-1",
    "resources": ["arn:aws:s3:::b"],
    "detail": {
        "version": "0",
        "bucket": {"name": "b"},
        "object": {
            "key": "images/u/i.png",
            "size": 204,
            "eTag": "d5dd",
            "version-id": "null",
            "sequencer": "61",
        },
        "request-id": "N4N7",
        "requester": "123456789012",
        "source-ip-address": "1.2.3.4",
        "reason": "ObjectCreated",
    },
}


@pytest.fixture
def function() -> Iterator[LocalFunction]:
    local = LocalFunction(spec(), {})
    yield local
    local.close()


def test_s3_events_get_the_field_names_and_values_aws_sends() -> None:
    shaped = aws_shaped(MOTO_EVENT)
    sample = json.loads((Path(__file__).parents[3] / "events/pipeline/object_created.json").read_text())

    assert shaped["detail"]["object"]["etag"] == "d5dd"
    assert "eTag" not in shaped["detail"]["object"]
    assert shaped["detail"]["reason"] == "PutObject"
    assert set(shaped) == set(sample)
    assert set(shaped["detail"]) == set(sample["detail"])
    assert set(shaped["detail"]["object"]) == set(sample["detail"]["object"])
    assert MOTO_EVENT["detail"]["object"]["eTag"] == "d5dd"  # the original is left alone


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(5 minutes)", 300),
        ("rate(1 minute)", 60),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
        ("cron(0 12 * * ? *)", None),
        ("", None),
    ],
)
def test_rates_are_run_and_crons_are_not(expression: str, seconds: int | None) -> None:
    assert schedule_seconds(expression) == seconds


def test_a_failing_asynchronous_invocation_is_tried_three_times(function: LocalFunction) -> None:
    waits: list[float] = []
    assert invoke_async(function, {"raise": "boom"}, sleep=waits.append) is False
    assert waits == [1.0, 2.0]
    assert function.invoke({}).result["invocations"] == 4


def test_a_succeeding_invocation_is_not_retried(function: LocalFunction) -> None:
    waits: list[float] = []
    assert invoke_async(function, scheduled_event("arn:aws:events:us-east-1:1:rule/r"), sleep=waits.append)
    assert waits == []


class Queue:
    """Stands in for one SQS queue and moto's signal on it: ``wait_for_messages`` blocks (scaled
    down a hundredfold) until a message is put in, as the stack's wait on moto's queue does."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.receives = self.waits = 0
        self.deleted: list[str] = []
        self.changed = threading.Condition()

    def put(self, body: str) -> None:
        with self.changed:
            handle = f"handle-{len(self.deleted) + len(self.messages)}"
            self.messages.append({"MessageId": handle, "ReceiptHandle": handle, "Body": body})
            self.changed.notify_all()

    def wait_for_messages(self, seconds: int) -> bool:
        with self.changed:
            self.waits += 1
            self.changed.notify_all()
            return self.changed.wait_for(lambda: bool(self.messages), timeout=seconds / 100)

    def receive_message(self, **_: Any) -> dict[str, Any]:
        with self.changed:
            self.receives += 1
            batch, self.messages = self.messages, []
            return {"Messages": batch}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> None:
        with self.changed:
            self.deleted += [entry["ReceiptHandle"] for entry in Entries]
            self.changed.notify_all()

    def until(self, condition: Any) -> None:
        with self.changed:
            assert self.changed.wait_for(condition, timeout=30)


@pytest.fixture
def queue() -> Queue:
    return Queue()


@pytest.fixture
def poller(function: LocalFunction, queue: Queue) -> Iterator[QueuePoller]:
    local = QueuePoller(function, queue, "url", "arn", 10, False, queue.wait_for_messages)
    local.start()
    yield local
    local.stop()


def test_an_idle_poller_waits_for_the_signal_without_receiving(poller: QueuePoller, queue: Queue) -> None:
    queue.until(lambda: queue.waits >= 5)

    assert queue.receives == 1  # the first look; since then only waits


def test_a_message_put_in_wakes_the_poller_which_hands_it_on_and_deletes_it(
    poller: QueuePoller, queue: Queue, function: LocalFunction
) -> None:
    queue.until(lambda: queue.waits >= 1)

    queue.put("hello")

    queue.until(lambda: queue.deleted == ["handle-0"])
    waits = queue.waits
    queue.until(lambda: queue.waits > waits)  # waiting again
    assert queue.receives == 3  # the first look, the woken one, the one that found it drained
    assert function.invoke({}).result["invocations"] == 2
