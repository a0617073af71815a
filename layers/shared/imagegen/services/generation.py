"""Text-to-image generation: the request (charged once, queued) and the worker (Gemini, then S3).

The request charges and records the image in one transaction and queues a job; if the job
cannot be queued, the image is failed and refunded before answering. With an
``Idempotency-Key`` a repeated request returns the same image and charges nothing.

The worker moves the image PENDING -> PROCESSING (a duplicate delivery or a deleted image
does nothing), asks Gemini, and stores the bytes under ``images/``; the object-created
pipeline then measures, thumbnails and completes it, as for uploads. A refusal or a
permanent error fails the image at once (refunded); an unavailable model is retried by SQS
redelivery, and the last delivery fails and refunds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from botocore.exceptions import BotoCoreError, ClientError

from imagegen.errors import Conflict
from imagegen.ids import new_id, now_iso
from imagegen.models.coins import LedgerReason
from imagegen.models.images import GenerateRequest, GenerationJob, Image, ImageStatus, ImageType
from imagegen.services.gemini import GenerationFailed, GenerationRefused, GenerationUnavailable
from imagegen.services.storage import object_key

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
    from mypy_boto3_sqs import SQSClient

    from imagegen.models.auth import Caller
    from imagegen.repositories.images import ImageRepository
    from imagegen.services.coins import CoinService
    from imagegen.services.gemini import GeminiClient
    from imagegen.services.images import ImageService
    from imagegen.services.storage import ImageStorage

QUEUE_FAILED = "The generation could not be queued; your coins were refunded."
MODEL_UNAVAILABLE = "The image model stayed unavailable; your coins were refunded."


@dataclass(frozen=True, slots=True)
class Generation:
    image: Image
    balance: int


class GenerationQueue:
    """The generate queue."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, job: GenerationJob) -> None:
        self._client.send_message(QueueUrl=self._url, MessageBody=job.model_dump_json(by_alias=True))


class GenerationService:
    """Accepts generation requests: charged once, recorded, queued."""

    def __init__(
        self,
        repository: ImageRepository,
        images: ImageService,
        coins: CoinService,
        queue: GenerationQueue,
        cost: int,
        persistence: BasePersistenceLayer,
        idempotency: IdempotencyConfig,
    ) -> None:
        self._repository = repository
        self._images = images
        self._coins = coins
        self._queue = queue
        self._cost = cost
        self._persistence = persistence
        self._idempotency = idempotency

    def request(
        self, caller: Caller, request: GenerateRequest, idempotency_key: str | None = None
    ) -> Generation:
        """Charge, record and queue one image; with ``idempotency_key``, at most once per key and body.

        The same key with another body is a ``Conflict``, as is a key whose first request is
        still running.
        """
        if idempotency_key is None:
            return self._generate(caller, request)

        made: list[Generation] = []

        @idempotent_function(
            data_keyword_argument="command", persistence_store=self._persistence, config=self._idempotency
        )
        def generate_once(command: dict[str, Any]) -> dict[str, Any]:  # noqa: ARG001 - the idempotency key
            made.append(self._generate(caller, request))
            return {"imageId": made[0].image.image_id}

        command = {
            "userId": caller.user_id,
            "key": idempotency_key,
            "request": request.model_dump(mode="json"),
        }
        try:
            first = generate_once(command=command)
        except IdempotencyValidationError as error:
            raise Conflict("This Idempotency-Key was already used with another request.") from error
        except IdempotencyAlreadyInProgressError as error:
            raise Conflict("A request with this Idempotency-Key is still in progress.") from error
        if made:
            return made[0]
        image = self._repository.get(caller.user_id, str(first["imageId"]))  # a replay: as it is now
        if image is None:  # deleted since: the replay still names the image it made
            raise Conflict("The image this Idempotency-Key made no longer exists.")
        return Generation(image=image, balance=self._coins.balance(caller.user_id))

    def _generate(self, caller: Caller, request: GenerateRequest) -> Generation:
        now = now_iso()
        image_id = new_id()
        prompt = request.prompt  # trimmed by the request model
        image = Image(
            user_id=caller.user_id,
            image_id=image_id,
            type=ImageType.GENERATED,
            status=ImageStatus.PENDING,
            title=request.title or prompt[:200],
            prompt=prompt,
            object_key=object_key(caller.user_id, image_id, "image/png"),
            coins_used=self._cost,
            created_at=now,
            updated_at=now,
        )
        balance = self._images.create(image, LedgerReason.GENERATE)
        job = GenerationJob(
            user_id=caller.user_id, image_id=image_id, prompt=prompt, aspect_ratio=request.aspect_ratio
        )
        try:
            self._queue.send(job)
        except (BotoCoreError, ClientError):
            self._images.fail(image, QUEUE_FAILED, expected=ImageStatus.PENDING)
            raise
        return Generation(image=image, balance=balance)


class JobOutcome(StrEnum):
    STORED = "stored"  # the bytes are in S3; the pipeline completes the image
    FAILED = "failed"  # refused or broken: failed and refunded
    SKIPPED = "skipped"  # a duplicate delivery, or the image is gone
    RETRY = "retry"  # the model is unavailable: SQS delivers the job again


class GenerationWorker:
    """Handles one generation job."""

    def __init__(
        self,
        repository: ImageRepository,
        images: ImageService,
        storage: ImageStorage,
        gemini: GeminiClient,
        max_receives: int,
    ) -> None:
        self._repository = repository
        self._images = images
        self._storage = storage
        self._gemini = gemini
        self._max_receives = max_receives

    def process(self, job: GenerationJob, receive_count: int) -> JobOutcome:
        """Draw the image of ``job``; ``receive_count`` says which delivery of the job this is."""
        image = self._repository.get(job.user_id, job.image_id)
        if image is None or image.status is not ImageStatus.PENDING:
            return JobOutcome.SKIPPED
        if not self._repository.move(
            job.user_id, job.image_id, ImageStatus.PENDING, ImageStatus.PROCESSING, now_iso()
        ):
            return JobOutcome.SKIPPED  # another delivery took it
        processing = image.model_copy(update={"status": ImageStatus.PROCESSING})
        try:
            generated = self._gemini.generate(job.prompt, job.aspect_ratio)
        except (GenerationRefused, GenerationFailed) as error:
            self._images.fail(processing, str(error), expected=ImageStatus.PROCESSING)
            return JobOutcome.FAILED
        except GenerationUnavailable:
            return self._retry_or_fail(processing, receive_count)
        key = object_key(job.user_id, job.image_id, generated.mime_type)
        # The record names the key before the object exists, so the pipeline finds its image.
        if not self._repository.set_object_key(job.user_id, job.image_id, key, now_iso()):
            return JobOutcome.SKIPPED  # deleted meanwhile: store nothing
        try:
            self._storage.write(key, generated.data, generated.mime_type)
        except (BotoCoreError, ClientError):
            return self._retry_or_fail(processing.model_copy(update={"object_key": key}), receive_count)
        return JobOutcome.STORED

    def _retry_or_fail(self, image: Image, receive_count: int) -> JobOutcome:
        if receive_count >= self._max_receives:
            self._images.fail(image, MODEL_UNAVAILABLE, expected=ImageStatus.PROCESSING)
            return JobOutcome.FAILED
        # Hand the image back so the next delivery may take it again.
        self._repository.move(
            image.user_id, image.image_id, ImageStatus.PROCESSING, ImageStatus.PENDING, now_iso()
        )
        return JobOutcome.RETRY
