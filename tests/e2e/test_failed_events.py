"""An event that a function invoked asynchronously fails on every try is kept, as in AWS: the local
stack sends Lambda's invocation record to the function's on-failure queue, from which
infra/redrive_failed_events.py invokes the function again with the event."""

from __future__ import annotations

import json
from typing import Any

from devstack.stack import LocalStack
from tests.scripts import infra_script


class Lambda:
    """What the redrive asks Lambda to invoke (the local stack has no Lambda API)."""

    def __init__(self) -> None:
        self.invocations: list[tuple[str, str, Any]] = []

    def invoke(self, FunctionName: str, InvocationType: str, Payload: str) -> dict[str, Any]:
        self.invocations.append((FunctionName, InvocationType, json.loads(Payload)))
        return {"StatusCode": 202}


def test_an_event_that_keeps_failing_lands_in_the_failed_events_queue_and_is_redriven_from_it(
    stack: LocalStack,
) -> None:
    sqs = stack.boto_session().client("sqs", endpoint_url=stack.aws.url)
    url = stack.template.physical["FailedEventsQueue"].ref
    # An "Object Created" event without its object: the metadata function fails on it every time.
    event = {
        "version": "0",
        "id": "poison",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {"bucket": {"name": stack.template.physical["ImagesBucket"].ref}},
    }

    stack.rules["UploadArrivedRule"].deliver(event)  # the first try and two retries

    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    assert len(messages) == 1
    record = json.loads(messages[0]["Body"])
    function_arn = f"{stack.template.physical['MetadataFunction'].attributes['Arn']}:$LATEST"
    assert record["requestContext"]["functionArn"] == function_arn
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == event
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"]  # the handler's error, KeyError today
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"], VisibilityTimeout=0
    )

    lambda_client = Lambda()
    with infra_script("redrive_failed_events") as script:
        done = script.redrive(sqs, lambda_client, url, say=lambda _: None)

    assert (done.redriven, done.left) == (1, 0)
    assert lambda_client.invocations == [(function_arn, "Event", event)]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert attributes == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
