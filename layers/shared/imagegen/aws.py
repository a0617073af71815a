"""AWS clients, created lazily once per container, all from one boto3 session.

A session per client costs its own credential and endpoint resolution (three clients took 283 ms
that way against 160 ms from one session), so every client, and Powertools' secret and parameter
providers, come from ``session()``. boto3 honours ``AWS_ENDPOINT_URL`` itself, which is how the
local stack points every client at its AWS emulation without any local-only code here.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3
    from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider
    from botocore.credentials import ReadOnlyCredentials
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

_CLIENT_OPTIONS: dict[str, Any] = {
    "connect_timeout": 2,
    "read_timeout": 5,
    "retries": {"mode": "standard", "max_attempts": 3},
}
# Presigned URLs must be SigV4 (regional buckets refuse SigV2) and valid for the browser.
_SERVICE_OPTIONS: dict[str, dict[str, Any]] = {"s3": {"signature_version": "s3v4"}}
# A session is not thread-safe: clients are made from it one at a time (clients themselves are).
_lock = threading.Lock()


@cache
def session() -> boto3.session.Session:
    """The boto3 session of this container, made on first use: boto3 itself is imported then, so a
    function that calls no AWS service (the health check) never loads it."""
    import boto3

    return boto3.session.Session()


def credentials() -> ReadOnlyCredentials:
    """The container's AWS credentials as of now (botocore refreshes temporary ones), as every client
    of ``session()`` signs with them."""
    current = session().get_credentials()
    if current is None:
        raise RuntimeError("no AWS credentials")
    return current.get_frozen_credentials()


@cache
def client(service: str) -> Any:
    """A cached boto3 client for ``service`` (``dynamodb``, ``s3``, ``sqs``...), from ``session()``."""
    from botocore.config import Config

    config = Config(**_CLIENT_OPTIONS, **_SERVICE_OPTIONS.get(service, {}))
    with _lock:
        return session().client(service, config=config)  # type: ignore[call-overload]


@cache
def secrets() -> SecretsProvider:
    """Powertools' Secrets Manager provider (it caches values by ``max_age``), on this container's
    client."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_client=client("secretsmanager"))


@cache
def ssm() -> SSMProvider:
    """Powertools' SSM parameter provider (it caches values by ``max_age``), on this container's client."""
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return SSMProvider(boto3_client=client("ssm"))


def dynamodb() -> DynamoDBClient:
    """The DynamoDB client of this container."""
    return client("dynamodb")  # type: ignore[no-any-return]


def sqs() -> SQSClient:
    """The SQS client of this container."""
    return client("sqs")  # type: ignore[no-any-return]


def s3() -> S3Client:
    """The S3 client of this container (SigV4, for presigning too)."""
    return client("s3")  # type: ignore[no-any-return]
