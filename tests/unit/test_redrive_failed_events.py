"""infra/redrive_failed_events.py: each of Lambda's invocation records in the stack's failed-events queue
is invoked again, asynchronously, with its event, and deleted only once Lambda accepted it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.scripts import infra_script

STACK = "imagegen-test"
METADATA = "arn:aws:lambda:us-east-1:123456789012:function:imagegen-test-MetadataFunction-AbC:$LATEST"
SWEEPER = "arn:aws:lambda:us-east-1:123456789012:function:imagegen-test-SweeperFunction-XyZ:$LATEST"
UPLOAD = {
    "version": "0",
    "id": "17793124-05d4-b198-2fde-7ededc63b103",
    "detail-type": "Object Created",
    "source": "aws.s3",
    "detail": {"bucket": {"name": "images"}, "object": {"key": "incoming/u/01JABCDEFGHJKMNPQRSTVWXYZ1"}},
}
SWEEP = {"version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}


def record(function_arn: str, event: dict[str, Any]) -> dict[str, Any]:
    """What Lambda sends an on-failure destination (the Lambda developer guide's example's shape)."""
    return {
        "version": "1.0",
        "timestamp": "2026-12-04T18:16:05.568Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-4e2c-8880-a18cdf61200e",
            "functionArn": function_arn,
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "boom", "errorType": "RuntimeError"},
    }


class Lambda:
    """Stands in for Lambda's Invoke (moto's would run the code in Docker): what was invoked, how, with
    what; functions in ``refusing`` answer as Lambda does a function that does not exist."""

    def __init__(self, refusing: frozenset[str] = frozenset()) -> None:
        self.invocations: list[tuple[str, str, Any]] = []
        self.refusing = refusing

    def invoke(self, FunctionName: str, InvocationType: str, Payload: str) -> dict[str, Any]:
        if FunctionName in self.refusing:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "gone"}}, "Invoke")
        self.invocations.append((FunctionName, InvocationType, json.loads(Payload)))
        return {"StatusCode": 202}


class Session:
    """A boto3 session (moto's) whose Lambda client is ``lambda_client``."""

    def __init__(self, lambda_client: Lambda) -> None:
        self._lambda = lambda_client

    def client(self, service: str) -> Any:
        return self._lambda if service == "lambda" else boto3.client(service)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def script() -> Iterator[ModuleType]:
    with infra_script("redrive_failed_events") as module:
        yield module


@pytest.fixture
def queue(aws: None) -> str:
    """The failed-events queue of a stack deployed (in moto) with the template's output."""
    template = {
        "Resources": {"FailedEventsQueue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"FailedEventsQueueUrl": {"Value": {"Ref": "FailedEventsQueue"}}},
    }
    boto3.client("cloudformation").create_stack(StackName=STACK, TemplateBody=json.dumps(template))
    outputs = boto3.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]
    url: str = outputs[0]["OutputValue"]
    return url


def put(url: str, *bodies: Any) -> None:
    for body in bodies:
        boto3.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(body))


def counts(url: str) -> tuple[int, int]:
    """(visible, hidden) messages of the queue."""
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def run(script: ModuleType, lambda_client: Lambda, *argv: str) -> int:
    code: int = script.main(
        ["--stack", STACK, "--region", "us-east-1", *argv], session=Session(lambda_client)
    )
    return code


def test_each_record_is_invoked_again_asynchronously_with_its_event_then_deleted(
    script: ModuleType, queue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    put(queue, record(METADATA, UPLOAD), record(SWEEPER, SWEEP))
    lambda_client = Lambda()

    assert run(script, lambda_client) == 0

    assert sorted(lambda_client.invocations, key=str) == sorted(
        [(METADATA, "Event", UPLOAD), (SWEEPER, "Event", SWEEP)], key=str
    )
    assert counts(queue) == (0, 0)
    out = capsys.readouterr().out
    assert "redriven  imagegen-test-MetadataFunction-AbC:$LATEST  RetriesExhausted  incoming/u/" in out
    assert "Scheduled Event" in out
    assert out.endswith("2 redriven, 0 left in the queue\n")


def test_a_record_lambda_refuses_stays_in_the_queue_and_the_run_fails(
    script: ModuleType, queue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    put(queue, record(METADATA, UPLOAD), record(SWEEPER, SWEEP))
    lambda_client = Lambda(refusing=frozenset({SWEEPER}))

    assert run(script, lambda_client) == 1

    assert lambda_client.invocations == [(METADATA, "Event", UPLOAD)]
    assert counts(queue) == (0, 1)  # hidden while the run looked at it, then back for the next run
    assert "ResourceNotFoundException" in capsys.readouterr().out


def test_a_message_that_is_no_invocation_record_is_left_alone(script: ModuleType, queue: str) -> None:
    put(queue, {"userId": "u", "imageId": "i"})
    lambda_client = Lambda()

    assert run(script, lambda_client) == 1

    assert lambda_client.invocations == []
    assert counts(queue) == (0, 1)


def test_a_dry_run_lists_the_records_and_leaves_them_all_visible(
    script: ModuleType, queue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    put(queue, record(METADATA, UPLOAD), record(SWEEPER, SWEEP))
    lambda_client = Lambda()

    assert run(script, lambda_client, "--dry-run") == 0

    assert lambda_client.invocations == []
    assert counts(queue) == (2, 0)
    out = capsys.readouterr().out
    assert out.count("would redrive  ") == 2
    assert out.endswith("2 would be redriven, 0 left in the queue\n")


def test_a_stack_without_the_queue_is_named(script: ModuleType, aws: None) -> None:
    boto3.client("cloudformation").create_stack(
        StackName=STACK, TemplateBody=json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})
    )
    with pytest.raises(SystemExit, match="imagegen-test has no FailedEventsQueueUrl output"):
        run(script, Lambda())
