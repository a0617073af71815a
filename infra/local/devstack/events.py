"""EventBridge rules and schedules, delivered to local functions as AWS delivers them.

Each ``AWS::Events::Rule`` of the template exists in moto with its real event pattern; its
Lambda targets are replaced by one local SQS queue, which a poller drains: every matched
event (reshaped to exactly what AWS sends, see ``aws_shaped``) goes to each target function
in parallel, as an asynchronous invocation does: retried as the function's ``EventInvokeConfig``
says (twice by default) on a function error, then its invocation record sent to the function's
on-failure queue (``OnFailure``), or dropped if it has none. ``Schedule`` events of functions run
on their ``rate(...)``, invoked the same way.

Pollers receive with short polls (a long poll would hold the serialized moto server for its
whole wait) only when there may be something to receive: between polls they wait on moto's own
signal that a message was added to their queue (``MessageWait``), so an idle stack makes no
requests at all.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from devstack.lambdas import LocalFunction, log_invocation
from stacktools.template import ACCOUNT_ID, REGION, FunctionSpec

log = logging.getLogger("devstack.events")

# Lambda retries a failed asynchronous invocation twice (after about 1 and 2 minutes);
# locally the same retries come after 1 and 2 seconds.
ASYNC_RETRY_DELAYS = (1.0, 2.0)
# How often an idle poller looks again without being told: the latest a message whose visibility
# timeout ran out (no one is told of that) is received again. A new message wakes pollers at once.
IDLE_WAIT_SECONDS = 1
# The pause after a failed poll, or when a queue shows messages a receive does not hand out.
POLL_INTERVAL_SECONDS = 0.1
# Whether a queue shows a message to receive, waiting up to the given seconds for one.
MessageWait = Callable[[int], bool]
_RATE = re.compile(r"^rate\((\d+) (second|minute|hour|day)s?\)$")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def aws_shaped(event: dict[str, Any]) -> dict[str, Any]:
    """moto's S3 EventBridge event with the field names and values AWS uses.

    moto writes ``eTag`` and a ``reason`` of ``ObjectCreated``; AWS writes ``etag`` and the
    operation (``PutObject``, ``POST Object``...).
    """
    shaped = copy.deepcopy(event)
    if shaped.get("source") == "aws.s3":
        detail = shaped.setdefault("detail", {})
        obj = detail.setdefault("object", {})
        if "eTag" in obj:
            obj["etag"] = obj.pop("eTag")
        if detail.get("reason") == "ObjectCreated":
            detail["reason"] = "PutObject"
    return shaped


def failure_record(
    spec: FunctionSpec, event: dict[str, Any], error: Mapping[str, Any], request_id: str, invocations: int
) -> dict[str, Any]:
    """The invocation record Lambda sends an on-failure destination when an asynchronous event has
    failed every try: the function and why in ``requestContext``, the event as ``requestPayload``,
    the function's error as ``responsePayload``."""
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{spec.name}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": invocations,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {
            "errorMessage": error.get("errorMessage", ""),
            "errorType": error.get("errorType", "Error"),
            "requestId": request_id,
            "stackTrace": error.get("stackTrace", []),
        },
    }


class OnFailure:
    """Lambda's on-failure destinations: the record of an event that failed every try goes to the
    queue the function's ``EventInvokeConfig`` names (``queue_urls``: each queue's ARN to its URL)."""

    def __init__(self, sqs: Any, queue_urls: Mapping[str, str]) -> None:
        self._sqs = sqs
        self._queue_urls = dict(queue_urls)

    def send(self, function: LocalFunction, record: dict[str, Any]) -> None:
        name, destination = function.spec.logical_id, function.spec.on_failure
        if destination is None:
            log.warning("%s: event dropped after its last try (no on-failure destination)", name)
            return
        try:
            self._sqs.send_message(QueueUrl=self._queue_urls[destination], MessageBody=json.dumps(record))
        except (BotoCoreError, ClientError) as error:
            log.warning("%s: cannot send the failed event to %s: %s", name, destination, error)


def invoke_async(
    function: LocalFunction,
    event: dict[str, Any],
    sleep: Callable[[float], object] = time.sleep,
    on_failure: OnFailure | None = None,
) -> bool:
    """Invoke as Lambda's asynchronous invocation does: retried on error, then the event's record sent
    to the function's on-failure destination; True if it succeeded."""
    request_id = str(uuid.uuid4())
    delays = (0.0, *ASYNC_RETRY_DELAYS[: function.spec.async_retries])
    error: Mapping[str, Any] = {}
    for attempt, delay in enumerate(delays):
        if delay:
            sleep(delay)
        outcome = function.invoke(event)
        result = "ok" if outcome.error is None else "ERR"
        log_invocation(log, function.spec.logical_id, "event", _describe(event), result, outcome)
        if outcome.error is None:
            return True
        error = outcome.error
        log.warning(
            "%s failed (attempt %d): %s", function.spec.logical_id, attempt + 1, error.get("errorMessage")
        )
    if on_failure is not None:
        on_failure.send(function, failure_record(function.spec, event, error, request_id, len(delays)))
    return False


def _describe(event: dict[str, Any]) -> str:
    """A few words on an event for the log: the object key, or what kind of event it is."""
    key = event.get("detail", {}).get("object", {}).get("key")
    return str(key) if key else str(event.get("detail-type", "event"))


class _Background:
    """A loop of the stack's own, on a daemon thread, that ``stop`` ends."""

    def __init__(self, name: str) -> None:
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        stop_all([self])

    def _run(self) -> None:
        raise NotImplementedError


def stop_all(loops: Iterable[_Background]) -> None:
    """Tell every loop to stop, then wait for each: a poller may take ``IDLE_WAIT_SECONDS`` to
    notice, and they notice together."""
    loops = list(loops)
    for loop in loops:
        loop._stopped.set()
    for loop in loops:
        loop._thread.join(timeout=10)


class _QueueReader(_Background):
    """A loop that drains a queue: polls while there is work, waits for moto's signal when not."""

    def __init__(self, name: str, wait_for_messages: MessageWait) -> None:
        super().__init__(name)
        self._wait_for_messages = wait_for_messages

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                handled = self._poll_once()
            except (BotoCoreError, ClientError) as error:  # keep going once the emulation answers again
                log.warning("%s: cannot read its queue: %s", self._thread.name, error)
                self._stopped.wait(POLL_INTERVAL_SECONDS)
                continue
            if not handled:
                self._idle()

    def _idle(self) -> None:
        """Until the queue shows a message (or the loop stops), without a request."""
        started = time.monotonic()
        while not self._wait_for_messages(IDLE_WAIT_SECONDS):
            if self._stopped.is_set():
                return
        if time.monotonic() - started < POLL_INTERVAL_SECONDS:
            # Visible messages that the last receive did not hand out (past their retention, say):
            # poll again as before, every POLL_INTERVAL_SECONDS, rather than spin.
            self._stopped.wait(POLL_INTERVAL_SECONDS)

    def _poll_once(self) -> int:
        raise NotImplementedError


class RuleDelivery(_QueueReader):
    """Drains one rule's local delivery queue into its target functions."""

    def __init__(
        self,
        rule: str,
        sqs: Any,
        queue_url: str,
        targets: Sequence[LocalFunction],
        wait_for_messages: MessageWait,
        on_failure: OnFailure | None = None,
    ) -> None:
        super().__init__(f"rule-{rule}", wait_for_messages)
        self.rule = rule
        self._sqs = sqs
        self._queue_url = queue_url
        self._targets = list(targets)
        self._on_failure = on_failure

    def _poll_once(self) -> int:
        response = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10)
        messages = response.get("Messages", [])
        for message in messages:
            self.deliver(aws_shaped(json.loads(message["Body"])))
            self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def deliver(self, event: dict[str, Any]) -> None:
        """Give ``event`` to every target at once, as EventBridge does."""
        threads = [
            threading.Thread(
                target=invoke_async, args=(target, event), kwargs={"on_failure": self._on_failure}
            )
            for target in self._targets
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def schedule_seconds(expression: str) -> float | None:
    """The period of a ``rate(...)`` expression; None for what the local stack does not run (cron)."""
    match = _RATE.match(expression.strip())
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else None


def scheduled_event(rule_arn: str) -> dict[str, Any]:
    """The event a scheduled rule sends to its function."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [rule_arn],
        "detail": {},
    }


class Schedule(_Background):
    """Invokes a function every ``period`` seconds until stopped."""

    def __init__(
        self, function: LocalFunction, period: float, rule_arn: str, on_failure: OnFailure | None = None
    ) -> None:
        super().__init__(f"schedule-{function.spec.logical_id}")
        self._function = function
        self._period = period
        self._rule_arn = rule_arn
        self._on_failure = on_failure

    def _run(self) -> None:
        while not self._stopped.wait(self._period):
            event = scheduled_event(self._rule_arn)
            invoke_async(self._function, event, sleep=self._stopped.wait, on_failure=self._on_failure)


def sqs_event(messages: Sequence[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source hands a function for a batch of messages."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


class QueuePoller(_QueueReader):
    """One of a function's SQS pollers: batches in, the function invoked, handled messages deleted.

    As Lambda's event source does: a function error leaves the whole batch to come back after
    the visibility timeout; with ``ReportBatchItemFailures`` only the reported messages do.
    SQS itself counts the receives and moves a message to the DLQ past ``maxReceiveCount``.
    """

    def __init__(
        self,
        function: LocalFunction,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        batch_size: int,
        partial: bool,
        wait_for_messages: MessageWait,
    ) -> None:
        super().__init__(f"sqs-{function.spec.logical_id}", wait_for_messages)
        self._function = function
        self._sqs = sqs
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._batch_size = batch_size
        self._partial = partial

    def _poll_once(self) -> int:
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            MessageSystemAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        outcome = self._function.invoke(sqs_event(messages, self._queue_arn))
        failed: set[str] = {message["MessageId"] for message in messages}
        if outcome.error is None:
            reported = (outcome.result or {}).get("batchItemFailures", []) if self._partial else []
            failed = {item["itemIdentifier"] for item in reported}
        what = f"{len(messages)} message(s), {len(failed)} to retry"
        result = "ok" if outcome.error is None else "ERR"
        log_invocation(log, self._function.spec.logical_id, "sqs", what, result, outcome)
        done = [message for message in messages if message["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(done)
                ],
            )
        return len(messages)
