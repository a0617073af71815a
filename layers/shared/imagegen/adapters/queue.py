"""The generate queue (SQS): one message per image to draw."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from imagegen.errors import QueueUnavailable
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
