"""A container's AWS clients, made lazily, all from one boto3 session.

A session per client costs its own credential and endpoint resolution (three clients took 283 ms
that way against 160 ms from one session), so every client, and Powertools' secret and parameter
providers, come from one session. boto3 honours ``AWS_ENDPOINT_URL`` itself, which is how the
local stack points every client at its AWS emulation without any local-only code here.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3
    from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider
    from botocore.credentials import ReadOnlyCredentials
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

CLIENT_OPTIONS: dict[str, Any] = {
    "connect_timeout": 2,
    "read_timeout": 5,
    "retries": {"mode": "standard", "max_attempts": 3},
}
# Presigned URLs must be SigV4 (regional buckets refuse SigV2) and valid for the browser.
SERVICE_OPTIONS: dict[str, dict[str, Any]] = {"s3": {"signature_version": "s3v4"}}


class AwsClients:
    """The clients of one container, each made on first use and kept for warm invocations.

    boto3 itself is imported on first use, so a function that calls no AWS service (the health
    check) never loads it.
    """

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}
        # A session is not thread-safe: clients are made from it one at a time (clients themselves are).
        self._lock = threading.Lock()

    @cached_property
    def session(self) -> boto3.session.Session:
        import boto3

        return boto3.session.Session()

    def credentials(self) -> ReadOnlyCredentials:
        """The AWS credentials as of now (botocore refreshes temporary ones), as every client signs."""
        current = self.session.get_credentials()
        if current is None:
            raise RuntimeError("no AWS credentials")
        return current.get_frozen_credentials()

    def client(self, service: str) -> Any:
        """The client for ``service`` (``dynamodb``, ``s3``, ``sqs``...), made once."""
        with self._lock:
            if service not in self._clients:
                from botocore.config import Config

                config = Config(**CLIENT_OPTIONS, **SERVICE_OPTIONS.get(service, {}))
                self._clients[service] = self.session.client(service, config=config)  # type: ignore[call-overload]
            return self._clients[service]

    @property
    def dynamodb(self) -> DynamoDBClient:
        return self.client("dynamodb")  # type: ignore[no-any-return]

    @property
    def sqs(self) -> SQSClient:
        return self.client("sqs")  # type: ignore[no-any-return]

    @property
    def s3(self) -> S3Client:
        """SigV4, for presigning too."""
        return self.client("s3")  # type: ignore[no-any-return]

    @cached_property
    def secrets(self) -> SecretsProvider:
        """Powertools' Secrets Manager provider (it caches values by ``max_age``)."""
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        return SecretsProvider(boto3_client=self.client("secretsmanager"))

    @cached_property
    def ssm(self) -> SSMProvider:
        """Powertools' SSM parameter provider (it caches values by ``max_age``)."""
        from aws_lambda_powertools.utilities.parameters import SSMProvider

        return SSMProvider(boto3_client=self.client("ssm"))
