"""Generation and edit requests: checked against the model catalog, charged once, recorded, queued.

A request names a model of the catalog (or takes its default), one of its image sizes and
aspect ratios, and up to its limit of reference images (the caller's own finished images).
An edit also names its source, the caller's finished image, and starts from it. The image is
charged the catalog's price for that model and size and recorded in one transaction, then
queued; if the job cannot be queued, the image is failed and refunded before answering.
With an ``Idempotency-Key`` a repeated request returns the same image and charges nothing.
The worker (``services.generation_worker``) draws it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from imagegen.errors import Conflict, Invalid, NotFound, QueueUnavailable
from imagegen.ids import new_id, new_id_after, now_iso
from imagegen.models.catalog import (
    DEFAULT_ASPECT_RATIO,
    DEFAULT_IMAGE_SIZE,
    LONGER_SIDE,
    ImageSize,
    ModelCatalog,
    ModelSpec,
)
from imagegen.models.coins import LedgerReason
from imagegen.models.images import (
    Failure,
    GenerateRequest,
    GenerationJob,
    Image,
    ImageFailure,
    ImageStatus,
    ImageType,
    UpscaleRequest,
    default_title,
)
from imagegen.models.keys import object_key
from imagegen.services.idempotency import at_most_once
from imagegen.services.rate_limits import LimitedAction
from imagegen.services.unit_of_work import Transactions, UnitOfWork

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

    from imagegen.models.auth import Caller
    from imagegen.services.coins import CoinService
    from imagegen.services.image_records import ImageRecords
    from imagegen.services.images import ImageService
    from imagegen.services.rate_limits import RateLimits


class JobQueue(Protocol):
    """Where an accepted image waits to be drawn (``adapters.queue.GenerationQueue``)."""

    def send(self, job: GenerationJob) -> None:
        """Queue ``job``; ``QueueUnavailable`` if it was not taken."""
        ...


QUEUE_FAILED = Failure(
    ImageFailure.QUEUE_FAILED, "The generation could not be queued; your coins were refunded."
)
# What an upscale asks of the model: the picture again, larger, and nothing else.
UPSCALE_PROMPT = (
    "Render this exact image again at a higher resolution: the same picture, composition, colours and "
    "details, sharper; add, remove or change nothing."
)


@dataclass(frozen=True, slots=True)
class Generation:
    """What a request made: its images (the variations asked for, in order), and the balance left."""

    images: list[Image]
    balance: int

    @property
    def image(self) -> Image:
        """The first of the images."""
        return self.images[0]


@dataclass(frozen=True, slots=True)
class _Choice:
    """What a request asks the catalog for, once checked."""

    model: ModelSpec
    image_size: ImageSize
    aspect_ratio: str


class GenerationService:
    """Accepts generation and edit requests: checked, charged once, recorded, queued."""

    def __init__(
        self,
        records: ImageRecords,
        images: ImageService,
        coins: CoinService,
        transactions: Transactions,
        queue: JobQueue,
        catalog: Callable[[], ModelCatalog],
        limits: RateLimits,
        persistence: BasePersistenceLayer,
        idempotency: IdempotencyConfig,
    ) -> None:
        self._records = records
        self._images = images
        self._coins = coins
        self._transactions = transactions
        self._queue = queue
        self._catalog = catalog
        self._limits = limits
        self._persistence = persistence
        self._idempotency = idempotency

    def generate(
        self, caller: Caller, request: GenerateRequest, idempotency_key: str | None = None
    ) -> Generation:
        """Charge, record and queue a new image; with ``idempotency_key``, at most once per key and body.

        ``Invalid`` (nothing charged) for a model, size, ratio or reference the catalog or the
        caller's gallery does not allow; ``RateLimited`` (nothing charged) past the caller's
        generations a minute. The same key with another body is a ``Conflict``, as
        is a key whose first request is still running.
        """
        return self._once(caller, request, None, idempotency_key)

    def edit(
        self, caller: Caller, source_id: str, request: GenerateRequest, idempotency_key: str | None = None
    ) -> Generation:
        """As ``generate``, for a new image made from the caller's image ``source_id`` and the prompt.

        ``NotFound`` if the source is not the caller's, ``Conflict`` if it is not ``COMPLETED``.
        The new image joins the source's thread; its ratio defaults to the one nearest the source's.
        """
        return self._once(caller, request, source_id, idempotency_key)

    def upscale(
        self, caller: Caller, source_id: str, request: UpscaleRequest, idempotency_key: str | None = None
    ) -> Generation:
        """The caller's finished image ``source_id`` drawn again at the larger ``request.image_size``,
        keeping its content: an edit with the service's own instruction, in the source's thread, by
        the source's model (unless ``request.model`` says), charged as that size.

        As ``edit``; ``Invalid`` for a size no larger than the source is already.
        """
        source = self._source(caller, source_id)
        size = request.image_size
        measured = source.metadata
        if size in LONGER_SIDE and measured and LONGER_SIDE[size] <= max(measured.width, measured.height):
            raise Invalid(
                "imageSize",
                f"This image is {measured.width} x {measured.height} already: ask for a larger size.",
            )
        catalog = self._catalog()
        kept = source.model if source.model and catalog.get(source.model) else None
        asked = GenerateRequest.model_validate(
            {
                "prompt": UPSCALE_PROMPT,
                "title": source.title or None,
                "model": request.model or kept,
                "imageSize": size,
            }
        )
        return self._once(caller, asked, source_id, idempotency_key)

    def _once(
        self, caller: Caller, request: GenerateRequest, source_id: str | None, idempotency_key: str | None
    ) -> Generation:
        if idempotency_key is None:
            return self._create(caller, request, source_id)

        made: list[Generation] = []

        def create() -> dict[str, Any]:
            made.append(self._create(caller, request, source_id))
            return {"imageIds": [image.image_id for image in made[0].images]}

        # One image, the request as it was before variations: keys made then still match.
        body = request.model_dump(mode="json", exclude={"count"} if request.count == 1 else None)
        first = at_most_once(
            self._persistence,
            self._idempotency,
            caller.user_id,
            idempotency_key,
            {**body, "sourceImageId": source_id},
            create,
        )
        if made:
            return made[0]
        # A replay: the images as they are now, those not deleted since.
        ids = [str(image_id) for image_id in first.get("imageIds", [first.get("imageId")])]
        found = self._records.get_many(caller.user_id, ids)
        images = [found[image_id] for image_id in ids if image_id in found]
        if not images:  # the replay still names the images it made
            gone = (
                "image this Idempotency-Key made no longer exists"
                if len(ids) == 1
                else f"{len(ids)} images this Idempotency-Key made no longer exist"
            )
            raise Conflict(f"The {gone}.")
        return Generation(images=images, balance=self._coins.balance(caller.user_id))

    def _create(self, caller: Caller, request: GenerateRequest, source_id: str | None) -> Generation:
        source = self._source(caller, source_id) if source_id is not None else None
        choice = self._choose(request, source)
        references = self._references(caller, request.reference_image_ids or [], choice.model, source)
        now = now_iso()
        prompt = request.prompt  # trimmed by the request model
        batch_id = new_id() if request.count > 1 else None
        images: list[Image] = []
        for _ in range(request.count):
            # Each variation's id after the one before: the gallery, newest first, shows them in turn.
            image_id = new_id_after(images[-1].image_id if images else None)
            images.append(
                Image(
                    user_id=caller.user_id,
                    image_id=image_id,
                    type=ImageType.GENERATED,
                    status=ImageStatus.PENDING,
                    title=request.title or default_title(prompt),
                    prompt=prompt,
                    object_key=object_key(caller.user_id, image_id, "image/png"),
                    coins_used=choice.model.costs[choice.image_size],
                    model=choice.model.id,
                    image_size=choice.image_size,
                    aspect_ratio=choice.aspect_ratio,
                    parent_image_id=source.image_id if source else None,
                    thread_id=source.thread if source else image_id,
                    reference_image_ids=list(references),
                    batch_id=batch_id,
                    batch_size=request.count if batch_id else None,
                    created_at=now,
                    updated_at=now,
                )
            )
        # An image from before threads starts the thread its edit joins, with the charge or not at all.
        unit = UnitOfWork(self._transactions)
        if source:  # refused if the source was deleted meanwhile
            thread_start = self._records.start_thread_write(source.user_id, source.image_id)
            unit = unit.with_write(thread_start, lambda: NotFound("No such image."))
        balance = self._images.create(
            images,
            LedgerReason.GENERATE,
            lambda: self._limits.slot(caller.user_id, LimitedAction.GENERATE, places=request.count),
            unit,
        )
        return Generation(images=self._queued(images), balance=balance)

    def _queued(self, images: list[Image]) -> list[Image]:
        """Queue each image's job; an image whose job the queue refuses is failed and refunded. The
        images as they are now; ``QueueUnavailable`` if none could be queued."""
        now: list[Image] = []
        refused: QueueUnavailable | None = None
        for image in images:
            try:
                self._queue.send(GenerationJob(user_id=image.user_id, image_id=image.image_id))
                now.append(image)
            except QueueUnavailable as error:
                refused = error
                self._images.fail(image, QUEUE_FAILED, expected=ImageStatus.PENDING)
                now.append(self._records.get(image.user_id, image.image_id) or image)
        if refused is not None and all(image.status is ImageStatus.FAILED for image in now):
            raise refused
        return now

    def _source(self, caller: Caller, source_id: str) -> Image:
        source = self._records.get(caller.user_id, source_id)
        if source is None:
            raise NotFound("No such image.")
        if source.status is not ImageStatus.COMPLETED:
            raise Conflict(f"Only a completed image can be edited; this one is {source.status.value}.")
        return source

    def _choose(self, request: GenerateRequest, source: Image | None) -> _Choice:
        catalog = self._catalog()
        model = catalog.default if request.model is None else catalog.get(request.model)
        if model is None:
            known = ", ".join(entry.id for entry in catalog.models)
            raise Invalid("model", f"There is no model {request.model!r}; the models are {known}.")
        measured = source.metadata if source else None
        if request.image_size is None:  # an edit keeps its source's size, as near as the model makes it
            size: ImageSize | None = (
                model.nearest_size(measured.width, measured.height) if measured else DEFAULT_IMAGE_SIZE
            )
        else:
            size = model.offered_size(request.image_size)
        if size is None:
            raise Invalid("imageSize", f"{model.name} makes images of {', '.join(model.image_sizes)}.")
        ratio = request.aspect_ratio
        if ratio is None:
            ratio = model.nearest_ratio(measured.width, measured.height) if measured else DEFAULT_ASPECT_RATIO
        if ratio not in model.aspect_ratios:
            raise Invalid("aspectRatio", f"{model.name} makes images of {', '.join(model.aspect_ratios)}.")
        return _Choice(model, size, ratio)

    def _references(
        self, caller: Caller, ids: Sequence[str], model: ModelSpec, source: Image | None
    ) -> Sequence[str]:
        """The reference ids, once known to be the caller's completed images and within the model's limit."""
        room = model.max_reference_images
        if len(ids) > room:
            raise Invalid("referenceImageIds", f"{model.name} takes at most {room} reference images.")
        if source is not None and source.image_id in ids:
            raise Invalid("referenceImageIds", "The image being edited is given to the model already.")
        _, refused = self._images.completed(caller.user_id, ids)
        if refused:
            raise Invalid(
                "referenceImageIds",
                "A reference must be one of your own completed images.",
                details={"imageIds": refused},
            )
        return ids
