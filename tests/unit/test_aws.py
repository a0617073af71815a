"""A container's AWS clients: made once, all from one boto3 session (a session each costs its own
credential and endpoint resolution on every cold start)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from imagegen.aws import AwsClients


@pytest.fixture
def sessions_made(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every boto3 session made while the test runs."""
    made: list[Any] = []

    class CountedSession(boto3.session.Session):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(boto3.session, "Session", CountedSession)
    return made


def test_every_client_and_provider_comes_from_one_session(sessions_made: list[Any]) -> None:
    aws = AwsClients()
    clients = [aws.dynamodb, aws.s3, aws.sqs, aws.client("secretsmanager"), aws.client("ssm")]
    secrets, parameters = aws.secrets, aws.ssm

    assert len(sessions_made) == 1
    assert secrets.client is aws.client("secretsmanager")
    assert parameters.client is aws.client("ssm")
    assert len({id(client) for client in clients}) == len(clients)


def test_a_client_is_made_once_per_container(sessions_made: list[Any]) -> None:
    aws = AwsClients()

    assert aws.s3 is aws.s3
    assert aws.secrets is aws.secrets
    assert len(sessions_made) == 1


def test_no_session_is_made_before_a_client_is_asked_for(sessions_made: list[Any]) -> None:
    AwsClients()

    assert sessions_made == []
