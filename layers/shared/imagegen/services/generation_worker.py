"""The generate queue's worker: one job is one image to draw with the model its record names.

The worker moves the image PENDING -> PROCESSING (a duplicate delivery or a deleted image
does nothing), builds the model's request from the record, asks Gemini, and stores the
model's turn under ``turns/`` and the bytes under ``images/``; the object-created pipeline
then measures, thumbnails and completes the image, as for uploads.

The request: the prompt, then the reference images in order. An edit gives the model its
source first: when the same model made the source, by replaying the source's own turn (its
prompt, then the model's answer with the source image and the ``thoughtSignature`` it
returned), which keeps subject and style along a chain of edits; otherwise (an upload, or
another model's image, whose signatures this model would refuse) as the first input image.
Every input image is read from S3 and downscaled to what the model uses (``model_input``).

A refusal, a permanent error, a retired model or an input that is gone fails the image at
once (refunded); an unavailable model or an S3 hiccup is retried by SQS redelivery, and the
last delivery fails and refunds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pydantic import ValidationError

from imagegen.errors import StorageUnavailable
from imagegen.ids import now_iso
from imagegen.models.catalog import DEFAULT_ASPECT_RATIO, DEFAULT_IMAGE_SIZE, ModelCatalog, ModelSpec
from imagegen.models.images import Failure, GenerationJob, Image, ImageFailure, ImageStatus, JobOutcome
from imagegen.models.keys import object_key, turn_key
from imagegen.models.turns import ModelTurn, TurnPart
from imagegen.services.image_model import (
    GenerationFailed,
    GenerationRefused,
    GenerationUnavailable,
    ImageRequest,
    InlineImage,
    ModelReply,
    ModelRetired,
    Part,
    Turn,
)
from imagegen.services.image_processing import ImageProcessing, ImageRejected, model_input_size

if TYPE_CHECKING:
    from imagegen.services.image_model import ImageModel
    from imagegen.services.image_records import ImageRecords
    from imagegen.services.images import ImageService
    from imagegen.services.object_store import ObjectStore

MODEL_UNAVAILABLE = Failure(
    ImageFailure.MODEL_UNAVAILABLE, "The image model stayed unavailable; your coins were refunded."
)
STORAGE_FAILED = Failure(
    ImageFailure.STORAGE_FAILED, "The image could not be made or stored; your coins were refunded."
)
MODEL_RETIRED = Failure(
    ImageFailure.MODEL_RETIRED, "This model is no longer available; your coins were refunded."
)
SOURCE_GONE = Failure(ImageFailure.SOURCE_GONE, "The image to edit is gone; your coins were refunded.")
REFERENCE_GONE = Failure(ImageFailure.REFERENCE_GONE, "A reference image is gone; your coins were refunded.")
INPUT_UNREADABLE = Failure(
    ImageFailure.INPUT_UNREADABLE, "An input image could not be read; your coins were refunded."
)

_log = logging.getLogger(__name__)


class _InputsGone(Exception):
    """An image the request needs is no longer there (or no longer finished): ``failure`` says which."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class GenerationWorker:
    """Handles one generation job."""

    def __init__(
        self,
        records: ImageRecords,
        images: ImageService,
        storage: ObjectStore,
        model: ImageModel,
        catalog: Callable[[], ModelCatalog],
        max_receives: int,
        imaging: ImageProcessing,
        on_retired_model: Callable[[ModelSpec], None],
    ) -> None:
        self._records = records
        self._images = images
        self._storage = storage
        self._model = model
        self._catalog = catalog
        self._max_receives = max_receives
        self._imaging = imaging
        self._on_retired_model = on_retired_model

    def process(self, job: GenerationJob, receive_count: int) -> JobOutcome:
        """Draw the image of ``job``; ``receive_count`` says which delivery of the job this is."""
        image = self._records.get(job.user_id, job.image_id)
        if image is None or image.status is not ImageStatus.PENDING:
            return JobOutcome.SKIPPED
        # Read before taking the image: a catalog that fails to load leaves it PENDING for redelivery.
        model = self._model_of(image)
        if not self._records.move(
            job.user_id, job.image_id, ImageStatus.PENDING, ImageStatus.PROCESSING, now_iso()
        ):
            return JobOutcome.SKIPPED  # another delivery took it
        processing = image.model_copy(update={"status": ImageStatus.PROCESSING})
        try:
            return self._draw(processing, model, receive_count)
        except Exception:
            # A bug or an outage nobody foresaw: the image must not wait in PROCESSING for the
            # sweeper. Hand it back for the next delivery (the last one fails and refunds it),
            # and let the job fail loudly.
            _log.exception("generation of image %s failed unexpectedly", image.image_id)
            self._retry_or_fail(processing, receive_count, STORAGE_FAILED)
            raise

    def _draw(self, image: Image, model: ModelSpec | None, receive_count: int) -> JobOutcome:
        """Ask the model for the PROCESSING ``image`` and store what it answers."""
        if model is None:  # taken out of the catalog since the request: Google may not serve it either
            self._images.fail(image, MODEL_RETIRED, expected=ImageStatus.PROCESSING)
            return JobOutcome.FAILED
        try:
            reply = self._model.generate(self._request(image, model))
        except ModelRetired as retired:
            _log.error(
                "the image model %s (%s) is retired: %s", model.id, model.provider_model, retired.detail
            )
            self._on_retired_model(model)
            self._images.fail(image, MODEL_RETIRED, expected=ImageStatus.PROCESSING)
            return JobOutcome.FAILED
        except GenerationFailed as failed:
            _log.error("the image model failed image %s: %s", image.image_id, failed.detail)
            self._images.fail(
                image, Failure(ImageFailure.MODEL_FAILED, str(failed)), expected=ImageStatus.PROCESSING
            )
            return JobOutcome.FAILED
        except GenerationRefused as refused:
            self._images.fail(
                image, Failure(ImageFailure.MODEL_REFUSED, str(refused)), expected=ImageStatus.PROCESSING
            )
            return JobOutcome.FAILED
        except _InputsGone as gone:
            self._images.fail(image, gone.failure, expected=ImageStatus.PROCESSING)
            return JobOutcome.FAILED
        except GenerationUnavailable:
            return self._retry_or_fail(image, receive_count, MODEL_UNAVAILABLE)
        except StorageUnavailable:
            return self._retry_or_fail(image, receive_count, STORAGE_FAILED)
        return self._store(image, model, reply, receive_count)

    def _model_of(self, image: Image) -> ModelSpec | None:
        catalog = self._catalog()
        # Images queued before the catalog existed name no model: they were asked of the default.
        return catalog.get(image.model) if image.model else catalog.default

    # ------------------------------------------------------------------ the request
    def _request(self, image: Image, model: ModelSpec) -> ImageRequest:
        """The conversation for ``image``; raises ``_InputsGone``, or S3's errors (worth a retry)."""
        assert image.prompt is not None  # every generated image has one
        turns: list[Turn] = []
        inputs: list[InlineImage] = []
        side = model_input_size(len(image.reference_image_ids) + (1 if image.parent_image_id else 0))
        if image.parent_image_id is not None:
            source = self._finished(image.user_id, [image.parent_image_id], SOURCE_GONE)[0]
            source_input = self._input(source, side, SOURCE_GONE)
            replayed = self._replayable_turn(source, model)
            if replayed is not None:
                turns.extend(_replay(replayed, source_input))
            else:
                inputs.append(source_input)
        references = self._finished(image.user_id, image.reference_image_ids, REFERENCE_GONE)
        inputs.extend(self._input(reference, side, REFERENCE_GONE) for reference in references)
        turns.append(Turn("user", (Part(text=image.prompt), *(Part(image=item) for item in inputs))))
        return ImageRequest(
            model=model.provider_model,
            turns=turns,
            aspect_ratio=image.aspect_ratio or DEFAULT_ASPECT_RATIO,
            image_size=image.image_size or DEFAULT_IMAGE_SIZE,
        )

    def _finished(self, user_id: str, image_ids: Sequence[str], gone: Failure) -> list[Image]:
        """The user's completed images ``image_ids``, in order; ``_InputsGone(gone)`` if one is not."""
        finished, unfinished = self._images.completed(user_id, image_ids)
        if unfinished:
            raise _InputsGone(gone)
        return finished

    def _input(self, image: Image, side: int, gone: Failure) -> InlineImage:
        """``image`` as the model is given it: read from S3, upright, at most ``side`` pixels."""
        data = self._storage.read_if_exists(image.object_key)
        if data is None:  # deleted since it was read
            raise _InputsGone(gone)
        try:
            encoded = self._imaging.model_input(data, side)
        except ImageRejected as rejected:
            raise _InputsGone(INPUT_UNREADABLE) from rejected
        return InlineImage(encoded.data, encoded.content_type)

    def _replayable_turn(self, source: Image, model: ModelSpec) -> ModelTurn | None:
        """The turn that made ``source``, if this same model made it and it was kept."""
        if source.turn_key is None:
            return None  # an upload, or an image made before turns were kept
        stored = self._storage.read_if_exists(source.turn_key)
        if stored is None:
            return None
        try:
            turn = ModelTurn.model_validate_json(stored)
        except ValidationError:
            _log.warning("unreadable turn of image %s; edited without it", source.image_id)
            return None
        return turn if turn.provider_model == model.provider_model else None

    # ------------------------------------------------------------------ the answer
    def _store(self, image: Image, model: ModelSpec, reply: ModelReply, receive_count: int) -> JobOutcome:
        """The turn under ``turns/``, then the image's key on its record, then the bytes under ``images/``.

        The turn goes first so that a delete arriving meanwhile (its record refuses the key)
        is answered by removing it here; a delete after that removes it with the image.
        """
        key = object_key(image.user_id, image.image_id, reply.image.mime_type)
        turn = turn_key(image.user_id, image.image_id)
        try:
            self._storage.write(
                turn,
                _turn_of(model, image, reply).model_dump_json(by_alias=True).encode(),
                "application/json",
            )
        except StorageUnavailable:
            return self._retry_or_fail(image, receive_count, STORAGE_FAILED)
        # The record names the key before the object exists, so the pipeline finds its image.
        if not self._records.set_object_key(image.user_id, image.image_id, key, turn, now_iso()):
            self._storage.delete(turn)  # deleted meanwhile: keep nothing
            return JobOutcome.SKIPPED
        try:
            self._storage.write(key, reply.image.data, reply.image.mime_type)
        except StorageUnavailable:
            stored = image.model_copy(update={"object_key": key})
            return self._retry_or_fail(stored, receive_count, STORAGE_FAILED)
        return JobOutcome.STORED

    def _retry_or_fail(self, image: Image, receive_count: int, failure: Failure) -> JobOutcome:
        """Hand ``image`` back for the next delivery, or on the last one fail it with ``failure``."""
        if receive_count >= self._max_receives:
            self._images.fail(image, failure, expected=ImageStatus.PROCESSING)
            return JobOutcome.FAILED
        # Hand the image back so the next delivery may take it again.
        self._records.move(
            image.user_id, image.image_id, ImageStatus.PROCESSING, ImageStatus.PENDING, now_iso()
        )
        return JobOutcome.RETRY


def _replay(turn: ModelTurn, source: InlineImage) -> tuple[Turn, Turn]:
    """The source's own turn: what the model was asked, then its answer with the source image."""
    answer = tuple(
        Part(image=source, thought_signature=part.thought_signature)
        if part.image
        else Part(text=part.text or "", thought_signature=part.thought_signature)
        for part in turn.parts
    )
    return Turn("user", (Part(text=turn.prompt),)), Turn("model", answer)


def _turn_of(model: ModelSpec, image: Image, reply: ModelReply) -> ModelTurn:
    """What to keep of the model's answer: its texts, and its one image (the one stored), with signatures."""
    parts: list[TurnPart] = []
    for part in reply.parts:
        if part.image is None:
            parts.append(TurnPart(text=part.text, thought_signature=part.thought_signature))
        elif part.image is reply.image:
            parts.append(TurnPart(image=True, thought_signature=part.thought_signature))
    return ModelTurn(provider_model=model.provider_model, prompt=image.prompt or "", parts=parts)
