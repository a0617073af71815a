"""AWS clients, created lazily once per container.

boto3 honours ``AWS_ENDPOINT_URL`` itself, which is how the local stack points every
client at its AWS emulation without any local-only code here.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

_CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "max_attempts": 3},
)
# Creating clients from the shared default session is not thread-safe.
_lock = threading.Lock()


# Presigned URLs must be SigV4 (regional buckets refuse SigV2) and valid for the browser.
_SERVICE_CONFIG = {"s3": Config(signature_version="s3v4")}


@cache
def client(service: str) -> Any:
    """A cached boto3 client for ``service`` (``dynamodb``, ``s3``, ``sqs``...)."""
    config = _CLIENT_CONFIG.merge(_SERVICE_CONFIG[service]) if service in _SERVICE_CONFIG else _CLIENT_CONFIG
    with _lock:
        return boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]


def dynamodb() -> DynamoDBClient:
    """The DynamoDB client of this container."""
    return client("dynamodb")  # type: ignore[no-any-return]


def sqs() -> SQSClient:
    """The SQS client of this container."""
    return client("sqs")  # type: ignore[no-any-return]


def s3() -> S3Client:
    """The S3 client of this container (SigV4, for presigning too)."""
    return client("s3")  # type: ignore[no-any-return]
