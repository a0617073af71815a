from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.events import aws_shaped, invoke_async, schedule_seconds, scheduled_event
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
