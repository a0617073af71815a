"""The queues (SQS): the generate queue, one message per image to draw; the export queue, one per export."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from imagegen.errors import QueueUnavailable
from imagegen.models.exports import ExportJob
from imagegen.models.images import GenerationJob

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class GenerationQueue:
    """The generate queue."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, job: GenerationJob) -> None:
        """Queue ``job``; ``QueueUnavailable`` if SQS did not take it."""
        try:
            self._client.send_message(QueueUrl=self._url, MessageBody=job.model_dump_json(by_alias=True))
        except (BotoCoreError, ClientError) as error:
            raise QueueUnavailable(f"the generate queue did not take the job: {error}") from error


class ExportQueue:
    """The export queue: one message per export to build."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, job: ExportJob) -> None:
        """Queue ``job``; ``QueueUnavailable`` if SQS did not take it."""
        try:
            self._client.send_message(QueueUrl=self._url, MessageBody=job.model_dump_json(by_alias=True))
        except (BotoCoreError, ClientError) as error:
            raise QueueUnavailable(f"the export queue did not take the job: {error}") from error


class DeletionQueue:
    """The queue of accounts to delete: a message names the user."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, user_id: str) -> None:
        """Queue the deletion of ``user_id``'s account; ``QueueUnavailable`` if SQS did not take it."""
        try:
            self._client.send_message(QueueUrl=self._url, MessageBody=json.dumps({"userId": user_id}))
        except (BotoCoreError, ClientError) as error:
            raise QueueUnavailable(f"the deletion queue did not take the job: {error}") from error
