from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from devstack import events
from devstack.events import (
    OnFailure,
    QueuePoller,
    RuleDelivery,
    Schedule,
    aws_shaped,
    invoke_async,
    schedule_seconds,
    scheduled_event,
)
from devstack.iam import Permission, function_policy
from devstack.lambdas import LocalFunction
from stacktools.template import Template
from tests.unit.devstack.test_lambdas import spec

FAILED_EVENTS_ARN = "arn:aws:sqs:us-east-1:123456789012:failed-events"
ASYNCHRONOUS = {"MetadataFunction", "ThumbnailFunction", "SweeperFunction", "PaymentsReconcileFunction"}

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


class Sent:
    """Stands in for SQS's ``send_message``: what was sent to which queue URL."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:
        self.messages.append((QueueUrl, json.loads(MessageBody)))


@pytest.fixture
def failing() -> Iterator[LocalFunction]:
    """A function whose EventInvokeConfig sends failed events to the failed-events queue."""
    local = LocalFunction(dataclasses.replace(spec(), on_failure=FAILED_EVENTS_ARN), {})
    yield local
    local.close()


def test_an_event_that_fails_every_try_goes_to_the_on_failure_queue_as_lambdas_record(
    failing: LocalFunction,
) -> None:
    sent = Sent()
    event = {"raise": "boom", "detail": {"object": {"key": "images/u/i.png"}}}

    on_failure = OnFailure(sent, {FAILED_EVENTS_ARN: "url"})
    assert invoke_async(failing, event, sleep=lambda _: None, on_failure=on_failure) is False

    ((url, record),) = sent.messages
    assert url == "url"
    assert set(record) == {
        "version",
        "timestamp",
        "requestContext",
        "requestPayload",
        "responseContext",
        "responsePayload",
    }
    assert record["version"] == "1.0"
    assert record["timestamp"].endswith("Z")
    context = record["requestContext"]
    assert (
        context["functionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:local-ProbeFunction:$LATEST"
    )
    assert (context["condition"], context["approximateInvokeCount"]) == ("RetriesExhausted", 3)
    assert record["requestPayload"] == event
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    payload = record["responsePayload"]
    assert (payload["errorType"], payload["errorMessage"]) == ("ValueError", "boom")
    assert payload["requestId"] == context["requestId"]
    assert any("boom" in line for line in payload["stackTrace"])


def test_without_an_on_failure_destination_a_failed_event_is_dropped(function: LocalFunction) -> None:
    sent = Sent()
    on_failure = OnFailure(sent, {FAILED_EVENTS_ARN: "url"})
    assert invoke_async(function, {"raise": "boom"}, sleep=lambda _: None, on_failure=on_failure) is False
    assert sent.messages == []


def test_a_succeeding_invocation_sends_nothing(failing: LocalFunction) -> None:
    sent = Sent()
    assert invoke_async(
        failing, {}, sleep=lambda _: None, on_failure=OnFailure(sent, {FAILED_EVENTS_ARN: "url"})
    )
    assert sent.messages == []


def test_the_retries_are_those_of_the_functions_event_invoke_config() -> None:
    sent, waits = Sent(), []
    local = LocalFunction(dataclasses.replace(spec(), on_failure=FAILED_EVENTS_ARN, async_retries=0), {})
    try:
        on_failure = OnFailure(sent, {FAILED_EVENTS_ARN: "url"})
        assert invoke_async(local, {"raise": "boom"}, sleep=waits.append, on_failure=on_failure) is False
    finally:
        local.close()
    assert waits == []
    assert sent.messages[0][1]["requestContext"]["approximateInvokeCount"] == 1


def test_a_rule_gives_the_event_to_every_target_and_keeps_each_ones_failure(
    failing: LocalFunction, function: LocalFunction, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "ASYNC_RETRY_DELAYS", (0.0, 0.0))
    sent = Sent()
    rule = RuleDelivery(
        "r", None, "url", [failing, function], lambda _: False, OnFailure(sent, {FAILED_EVENTS_ARN: "failed"})
    )

    rule.deliver({"raise": "boom"})

    assert [url for url, _ in sent.messages] == ["failed"]  # the other target has no destination
    assert function.invoke({}).result["invocations"] == 4  # it was tried three times too


def test_a_scheduled_invocation_that_fails_every_try_is_kept_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "ASYNC_RETRY_DELAYS", (0.0, 0.0))
    sent = Sent()
    broken = dataclasses.replace(spec({"PROBE_FAIL_AT_IMPORT": "1"}), on_failure=FAILED_EVENTS_ARN)
    local = LocalFunction(broken, {})
    schedule = Schedule(
        local, 0.01, "arn:aws:events:us-east-1:1:rule/r", OnFailure(sent, {FAILED_EVENTS_ARN: "url"})
    )
    schedule.start()
    try:
        deadline = time.monotonic() + 30
        while not sent.messages and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        schedule.stop()
        local.close()
    record = sent.messages[0][1]
    assert record["requestPayload"]["detail-type"] == "Scheduled Event"
    assert record["responsePayload"]["errorMessage"] == "init failed"


def test_every_function_invoked_asynchronously_sends_what_fails_to_the_failed_events_queue(
    template: Template,
) -> None:
    queue = template.physical["FailedEventsQueue"]
    specs = template.functions()

    assert {name for name, function in specs.items() if function.on_failure} == ASYNCHRONOUS
    for name in ASYNCHRONOUS:
        assert (specs[name].on_failure, specs[name].async_retries) == (queue.attributes["Arn"], 2)
        # SAM gives the function's role what the destination needs, and so does the local stack.
        assert function_policy(template, name).allows(Permission("sqs:SendMessage", queue.attributes["Arn"]))
    assert not function_policy(template, "GenerateFunction").allows(
        Permission("sqs:SendMessage", queue.attributes["Arn"])
    )
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=queue.ref, AttributeNames=["All"])[
        "Attributes"
    ]
    assert (attributes["MessageRetentionPeriod"], attributes["SqsManagedSseEnabled"]) == ("1209600", "true")


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
