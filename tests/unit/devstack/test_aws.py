from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from devstack.aws import LOCAL_CREDENTIALS, MotoServer
from stacktools.template import REGION


@pytest.fixture
def server() -> Iterator[MotoServer]:
    local = MotoServer()
    local.start()
    yield local
    local.stop()


def sqs_client(server: MotoServer) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture
def sqs(server: MotoServer) -> Any:
    return sqs_client(server)


def test_a_wait_on_an_empty_queue_ends_with_nothing_to_receive(server: MotoServer, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="idle")["QueueUrl"]

    assert server.wait_for_messages(url, 1) is False


def test_a_message_sent_wakes_who_waits_on_its_queue(server: MotoServer, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="woken")["QueueUrl"]
    outcome: list[bool] = []
    waiter = threading.Thread(target=lambda: outcome.append(server.wait_for_messages(url, 600)))
    waiter.start()

    sqs.send_message(QueueUrl=url, MessageBody="hello")

    waiter.join(timeout=30)
    assert outcome == [True]
    assert server.wait_for_messages(url, 600) is True  # it is still there to receive


def test_a_message_received_is_no_longer_shown(server: MotoServer, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="taken", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")

    sqs.receive_message(QueueUrl=url)

    assert server.wait_for_messages(url, 1) is False


def test_a_server_started_after_another_stopped_starts_empty() -> None:
    first = MotoServer()
    first.start()
    sqs_client(first).create_queue(QueueName="left-behind")
    first.stop()

    later = MotoServer()
    later.start()
    try:
        assert sqs_client(later).list_queues().get("QueueUrls", []) == []
    finally:
        later.stop()
