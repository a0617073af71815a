"""In-memory twins of what the image use cases need: the image records (``ImageRecords``, with the
conditions ``repositories.images`` writes with), the generate queue (``JobQueue``), the image model
(``ImageModel``, failing as Gemini's client fails) and the image processing (``ImageProcessing``,
without Pillow: it reads pictures made by ``picture``); and the image use cases' parts built on them
(an ``Idempotency-Key`` kept by ``tests.fakes.payments.InMemoryIdempotency``, Powertools' store in memory).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

from imagegen.errors import QueueUnavailable
from imagegen.metrics import Metric
from imagegen.models import formats
from imagegen.models.auth import Caller
from imagegen.models.catalog import ModelCatalog
from imagegen.models.coins import LedgerReason
from imagegen.models.images import (
    Failure,
    GenerationJob,
    Image,
    ImageFailure,
    ImageMetadata,
    ImageStatus,
    ImageType,
    RecentPrompt,
)
from imagegen.models.users import Role, User
from imagegen.services.coins import CoinService
from imagegen.services.cursors import CursorCodec
from imagegen.services.generation import GenerationService
from imagegen.services.image_model import (
    GenerationFailed,
    GenerationRefused,
    GenerationUnavailable,
    ImageRequest,
    InlineImage,
    ModelReply,
    ModelRetired,
    Part,
)
from imagegen.services.image_processing import EncodedImage, ImageInfo, ImageRejected
from imagegen.services.image_records import EVERY_IMAGE, ImageQuery
from imagegen.services.images import ImageService
from imagegen.services.rate_limits import LimitedAction, RateLimits
from imagegen.services.unit_of_work import Write, nth
from imagegen.services.uploads import UploadService
from tests.fakes import (
    InMemoryObjects,
    InMemoryTransactions,
    InMemoryWallets,
    InMemoryWindows,
    SlowClock,
    in_memory_write,
)
from tests.fakes.payments import InMemoryIdempotency

Key = tuple[str, str]


class InMemoryImages:
    """``ImageRecords`` in memory, with the conditions ``repositories.images`` writes with: a new image
    never over an existing id; each lifecycle step only from the state it expects; an image being
    deleted (tombstoned) reads as gone and refuses every step but its removal. Pages are read as
    DynamoDB's queries read them (``limit`` items looked at a time, the filter after), so a page and its
    continuation are the repository's."""

    def __init__(self) -> None:
        self.records: dict[Key, Image] = {}
        self.unfinished: dict[Key, ImageStatus] = {}
        """The sparse index the sweeper reads: the status of each image not yet finished."""
        self.deleting: dict[Key, str] = {}
        """Tombstones: when each image being deleted was marked."""
        self.prompt_reads: list[int] = []
        """How many records each read of a user's prompts looked at, as far as it was iterated."""

    # ------------------------------------------------------------------ reads
    def get(self, user_id: str, image_id: str) -> Image | None:
        key = (user_id, image_id)
        return None if key in self.deleting else self.records.get(key)

    def get_many(self, user_id: str, image_ids: Sequence[str]) -> dict[str, Image]:
        ids = list(dict.fromkeys(image_ids))
        if len(ids) > 100:  # DynamoDB's BatchGetItem takes no more
            raise ValueError(f"at most 100 keys in one read, not {len(ids)}")
        found = (self.get(user_id, image_id) for image_id in ids)
        return {image.image_id: image for image in found if image is not None}

    def list_page(
        self, user_id: str, limit: int, start_key: dict[str, Any] | None, which: ImageQuery = EVERY_IMAGE
    ) -> tuple[list[Image], dict[str, Any] | None]:
        newest_first = sorted(
            (image for (user, _), image in self.records.items() if user == user_id),
            key=lambda image: image.image_id,
            reverse=True,
        )

        def shown(image: Image) -> bool:
            return (user_id, image.image_id) not in self.deleting and which.matches(image)

        after = start_key["imageId"] if start_key else None
        return _full_page(
            [image for image in newest_first if after is None or image.image_id < after],
            shown,
            limit,
            lambda image: {"userId": user_id, "imageId": image.image_id},
        )

    def thread_page(
        self, user_id: str, thread_id: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[Image], dict[str, Any] | None]:
        # The index holds every image of the thread, anyone's; an image without a thread id is not in it.
        oldest_first = sorted(
            (image for image in self.records.values() if image.thread_id == thread_id),
            key=lambda image: image.image_id,
        )
        after = start_key["imageId"] if start_key else None
        return _full_page(
            [image for image in oldest_first if after is None or image.image_id > after],
            lambda image: image.user_id == user_id and (user_id, image.image_id) not in self.deleting,
            limit,
            lambda image: {"threadId": thread_id, "userId": user_id, "imageId": image.image_id},
        )

    def generation_prompts(self, user_id: str, most_read: int) -> Iterator[RecentPrompt]:
        # As the query reads: the user's newest ``most_read`` records (those being deleted among them),
        # then the filter.
        newest_first = sorted(
            ((key, image) for key, image in self.records.items() if key[0] == user_id),
            key=lambda found: found[1].image_id,
            reverse=True,
        )
        self.prompt_reads.append(0)
        for key, image in newest_first[:most_read]:
            self.prompt_reads[-1] += 1
            generated = image.type is ImageType.GENERATED and image.parent_image_id is None
            if generated and image.prompt is not None and key not in self.deleting:
                yield RecentPrompt(prompt=image.prompt, image_id=image.image_id, used_at=image.created_at)

    def unfinished_before(self, status: ImageStatus, created_before: str) -> Iterator[tuple[str, str]]:
        found = [
            self.records[key]
            for key, unfinished in self.unfinished.items()
            if unfinished is status and self.records[key].created_at < created_before
        ]
        for image in sorted(found, key=lambda image: image.created_at):
            yield image.user_id, image.image_id

    # ------------------------------------------------------------------ writes of a unit of work
    def create_write(self, image: Image, index: int = 0) -> Write:
        key = (image.user_id, image.image_id)

        def create() -> None:
            self.records[key] = image
            self.unfinished[key] = image.status

        return in_memory_write(nth("new image", index), lambda: key not in self.records, create)

    def start_thread_write(self, user_id: str, image_id: str) -> Write:
        key = (user_id, image_id)

        def start() -> None:
            image = self.records[key]
            if image.thread_id is None:  # if_not_exists: an image in a thread stays in it
                self.records[key] = image.model_copy(update={"thread_id": image_id})

        return in_memory_write("edit source", lambda: self.get(user_id, image_id) is not None, start)

    def fail_write(
        self, user_id: str, image_id: str, failure: Failure, at: str, expected: ImageStatus
    ) -> Write:
        key = (user_id, image_id)

        def fail() -> None:
            changes = {"status": ImageStatus.FAILED, "error": failure.message, "error_code": failure.code}
            self._finish(key, {**changes, "updated_at": at})

        return in_memory_write("image failure", lambda: self._in(key, expected), fail)

    def delete_write(self, user_id: str, image_id: str) -> Write:
        key = (user_id, image_id)

        def remove() -> None:
            del self.records[key]
            self.unfinished.pop(key, None)
            self.deleting.pop(key, None)

        return in_memory_write("image removal", lambda: key in self.records, remove)

    def completed_check(self, user_id: str, image_id: str) -> Write:
        def completed() -> bool:
            image = self.get(user_id, image_id)
            return image is not None and image.status is ImageStatus.COMPLETED

        return in_memory_write("shared image", completed, lambda: None)

    # ------------------------------------------------------------------ single conditional updates
    def update_details(self, user_id: str, image_id: str, changes: dict[str, Any], at: str) -> Image | None:
        image = self.get(user_id, image_id)
        if image is None:
            return None
        updated = Image.model_validate({**image.model_dump(by_alias=True), **changes, "updatedAt": at})
        self.records[(user_id, image_id)] = updated
        return updated

    def mark_deleting(self, user_id: str, image_id: str, at: str) -> Image | None:
        key = (user_id, image_id)
        if key not in self.records:
            return None
        self.deleting[key] = at
        return self.records[key]

    def complete(
        self, user_id: str, image_id: str, metadata: ImageMetadata, at: str, expected: ImageStatus
    ) -> bool:
        key = (user_id, image_id)
        if not self._in(key, expected):
            return False
        self._finish(key, {"status": ImageStatus.COMPLETED, "metadata": metadata, "updated_at": at})
        return True

    def move(self, user_id: str, image_id: str, expected: ImageStatus, status: ImageStatus, at: str) -> bool:
        key = (user_id, image_id)
        if not self._in(key, expected):
            return False
        self.records[key] = self.records[key].model_copy(update={"status": status, "updated_at": at})
        self.unfinished[key] = status
        return True

    def set_object_key(self, user_id: str, image_id: str, key: str, turn_key: str, at: str) -> bool:
        record = (user_id, image_id)
        if not self._in(record, ImageStatus.PROCESSING):
            return False
        update = {"object_key": key, "turn_key": turn_key, "updated_at": at}
        self.records[record] = self.records[record].model_copy(update=update)
        return True

    def set_thumbnail(self, user_id: str, image_id: str, thumbnail_key: str, at: str) -> bool:
        key = (user_id, image_id)
        image = self.get(user_id, image_id)
        if image is None or image.status is ImageStatus.FAILED:
            return False
        self.records[key] = image.model_copy(update={"thumbnail_key": thumbnail_key, "updated_at": at})
        return True

    def _in(self, key: Key, expected: ImageStatus) -> bool:
        """Whether the image exists, is not being deleted, and is in ``expected``."""
        image = self.get(*key)
        return image is not None and image.status is expected

    def _finish(self, key: Key, update: dict[str, Any]) -> None:
        self.records[key] = self.records[key].model_copy(update=update)
        self.unfinished.pop(key, None)


def _full_page(
    ordered: list[Image],
    shown: Callable[[Image], bool],
    limit: int,
    position_of: Callable[[Image], dict[str, Any]],
) -> tuple[list[Image], dict[str, Any] | None]:
    """A page as ``repositories.images`` reads one: queries that each look at ``limit`` images of
    ``ordered`` and keep those ``shown``, until ``limit`` are kept; a position is returned when the query
    that filled the page kept more, or left images unread (as moto's queries answer)."""
    page: list[Image] = []
    start = 0
    while True:
        looked_at = ordered[start : start + limit]
        start += len(looked_at)
        kept = [image for image in looked_at if shown(image)]
        unread = start < len(ordered)
        for index, image in enumerate(kept):
            page.append(image)
            if len(page) == limit:
                more = index < len(kept) - 1 or unread
                return page, (position_of(image) if more else None)
        if not unread:
            return page, None


class InMemoryJobQueue:
    """``JobQueue`` in memory: the jobs sent, in order; refused (``QueueUnavailable``, as SQS's adapter
    says it) as often as the test says."""

    def __init__(self) -> None:
        self.jobs: list[GenerationJob] = []
        self._refusals = 0

    def refuse(self, times: int = 1) -> None:
        """The next ``times`` jobs are not taken."""
        self._refusals += times

    def send(self, job: GenerationJob) -> None:
        if self._refusals:
            self._refusals -= 1
            raise QueueUnavailable("the generate queue did not take the job: AWS.SimpleQueueService.Down")
        self.jobs.append(job)


# ---------------------------------------------------------------------------------- pictures
# A picture is a format's magic bytes, then what it shows, then an end mark: enough for the imaging twin to
# tell a picture from another file, a whole one from a cut one, and its format and size, with no pixels.
_DRAWN = re.compile(rb"twin picture (\d+)x(\d+) frames=(\d+)")
_END = b";end of picture"
_MAGIC = {
    "JPEG": b"\xff\xd8\xff\xe0",
    "PNG": b"\x89PNG\r\n\x1a\n",
    "WEBP": b"RIFF\x00\x00\x00\x00WEBP",
    "GIF": b"GIF89a",
}
_ACCEPTED_LABELS = ", ".join(f.label for f in formats.FORMATS[:-1]) + f" or {formats.FORMATS[-1].label}"


def picture(image_format: str, width: int, height: int, frames: int = 1, padding: int = 0) -> bytes:
    """A picture ``LabelledImaging`` reads: ``image_format`` is a format's name (``PNG``, ``JPEG``...);
    ``padding`` bytes make it that much larger, as pixels that do not compress would."""
    drawn = b"twin picture %dx%d frames=%d" % (width, height, frames)
    return _MAGIC[image_format] + drawn + b"\0" * padding + _END


def shrunk(width: int, height: int, max_side: int) -> tuple[int, int]:
    """``width`` x ``height`` at most ``max_side`` on its longest side, never enlarged."""
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


class LabelledImaging:
    """``ImageProcessing`` without Pillow, for pictures made by ``picture``: it tells their format and size
    as ``adapters.imaging`` tells a real image's, and refuses as it refuses (another kind of file, a
    damaged or cut picture, more pixels than ``max_pixels``), with its words. Thumbnails are WebP
    pictures of at most 512 pixels, the model's inputs JPEG pictures of at most ``max_side``."""

    def __init__(self, max_pixels: int = 40_000_000) -> None:
        self.max_pixels = max_pixels

    def inspect(self, data: bytes) -> ImageInfo:
        image_format, width, height, frames = self._read(data)
        return ImageInfo(
            format=image_format.name,
            content_type=image_format.content_type,
            width=width,
            height=height,
            size=len(data),
            frames=frames,
        )

    def thumbnail(self, data: bytes) -> bytes:
        _, width, height, _ = self._read(data)
        return picture("WEBP", *shrunk(width, height, 512))

    def model_input(self, data: bytes, max_side: int) -> EncodedImage:
        if max_side < 1:
            raise ValueError(f"max_side must be positive, not {max_side}")
        _, width, height, _ = self._read(data)
        side_width, side_height = shrunk(width, height, max_side)
        return EncodedImage(picture("JPEG", side_width, side_height), "image/jpeg", side_width, side_height)

    def _read(self, data: bytes) -> tuple[formats.ImageFormat, int, int, int]:
        image_format = formats.sniff(data[:16])
        if image_format is None:
            raise ImageRejected(f"The file is not a {_ACCEPTED_LABELS} image.", ImageFailure.NOT_AN_IMAGE)
        drawn = _DRAWN.search(data)
        if drawn is None or not data.endswith(_END) or not data.startswith(_MAGIC[image_format.name]):
            raise ImageRejected(
                f"The {image_format.label} image is damaged or incomplete.", ImageFailure.IMAGE_DAMAGED
            )
        width, height, frames = (int(value) for value in drawn.groups())
        if width * height > self.max_pixels:
            raise ImageRejected(
                f"The image is {width}x{height}, {width * height:,} pixels: "
                f"more than the {self.max_pixels:,} accepted.",
                ImageFailure.TOO_MANY_PIXELS,
            )
        return image_format, width, height, frames


# ---------------------------------------------------------------------------------- the model
_LONGEST_SIDE = {"1K": 1024, "2K": 2048, "4K": 4096}


class ScriptedImageModel:
    """``ImageModel`` in memory: answers each request with a PNG ``picture`` of the size and ratio asked,
    and the model's words, both signed, as Gemini answers; unless the test said otherwise for the next
    requests (a refusal, a timeout, an overload, a permanent failure), or the request names a model id in
    ``retired``. Failures are the ones ``adapters.gemini`` raises, with its words. Keeps the requests."""

    def __init__(self, retired: Sequence[str] = ()) -> None:
        self.requests: list[ImageRequest] = []
        self.retired = set(retired)
        self._next: list[Exception] = []

    def refuse(self, reason: str = "PROHIBITED_CONTENT") -> None:
        """The next request is declined, as Gemini declines a prompt."""
        self._next.append(GenerationRefused(f"The image model declined this prompt ({reason}).", reason))

    def time_out(self, times: int = 1) -> None:
        """The next ``times`` requests get no answer in time, even after the client's own retries."""
        for _ in range(times):
            self._next.append(
                GenerationUnavailable("The image model did not answer in time. (gave up after 3 attempts)")
            )

    def overload(self, times: int = 1, status: int = 503) -> None:
        """The next ``times`` requests find the model overloaded, even after the client's own retries."""
        for _ in range(times):
            text = f"The image model is unavailable (HTTP {status}). (gave up after 3 attempts)"
            self._next.append(GenerationUnavailable(text, status=status))

    def break_down(self, detail: str = "Request contains an invalid argument.") -> None:
        """The next request is rejected for good (a bad request or key)."""
        self._next.append(GenerationFailed("The image model rejected the request (HTTP 400).", detail))

    def generate(self, request: ImageRequest) -> ModelReply:
        self.requests.append(request)
        if request.model in self.retired:  # a 404 whatever the prompt: generateContent finds no model
            raise ModelRetired(f"HTTP 404 NOT_FOUND: models/{request.model} is not found")
        if self._next:
            raise self._next.pop(0)
        across, down = (int(side) for side in request.aspect_ratio.split(":"))
        longest = _LONGEST_SIDE[request.image_size]
        width, height = shrunk(longest * across, longest * down, longest)
        image = InlineImage(picture("PNG", width, height), "image/png")
        parts = (
            Part(text="Here is your image.", thought_signature="signed-words"),
            Part(image=image, thought_signature="signed-image"),
        )
        return ModelReply(image=image, parts=parts)


# ---------------------------------------------------------------------------------- the parts
CATALOG = ModelCatalog.parse(
    json.dumps(
        [
            {
                "id": "fast",
                "name": "Fast",
                "providerModel": "gemini-fast-image",
                "default": True,
                "imageSizes": ["1K", "2K"],
                "aspectRatios": ["1:1", "3:2", "4:1", "16:9"],
                "maxInputImages": 4,
                "costs": {"1K": 100, "2K": 150},
            },
            {
                "id": "pro",
                "name": "Pro",
                "providerModel": "gemini-pro-image",
                "imageSizes": ["1K", "4K"],
                "aspectRatios": ["1:1", "21:9"],
                "maxInputImages": 14,
                "costs": {"1K": 200, "4K": 700},
            },
        ]
    )
)
"""A catalog of two models: ``fast`` (the default, 100 coins at 1K) and ``pro``."""
UPLOAD_COST = 50
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")


class CountedMetrics:
    """What the use cases counted, by metric."""

    def __init__(self) -> None:
        self.totals: dict[Metric, int] = {}

    def __call__(self, metric: Metric, value: int = 1, **metadata: str) -> None:
        self.totals[metric] = self.totals.get(metric, 0) + value


class _Invocation:
    """A Lambda invocation with time left, so an Idempotency-Key's record says how long it is in progress."""

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


class ImageParts:
    """The image use cases' common parts on twins (records, objects, wallets, windows, one transaction
    log), kept for a test to look into: the coins' and the images' services, and the rate limits."""

    def __init__(self, generations_per_minute: int = 100, uploads_per_minute: int = 100) -> None:
        self.transactions = InMemoryTransactions()
        self.wallets = InMemoryWallets()
        self.records = InMemoryImages()
        self.objects = InMemoryObjects()
        self.windows = InMemoryWindows()
        self.clock = SlowClock(now=1_000_000.0)
        self.counted = CountedMetrics()
        self.idempotency = InMemoryIdempotency()
        self.coins = CoinService(
            self.wallets, self.transactions, sleep=self.clock.sleep, clock=self.clock, budget_seconds=1.0
        )
        self.limits = RateLimits(
            self.windows,
            {LimitedAction.GENERATE: generations_per_minute, LimitedAction.UPLOAD: uploads_per_minute},
            clock=self.clock,
        )
        self.images = ImageService(
            self.records,
            self.objects,
            self.coins,
            self.transactions,
            CursorCodec(lambda: "s" * 32),
            count=self.counted,
        )

    def open_account(self, user_id: str, coins: int) -> Caller:
        """A wallet for ``user_id`` holding ``coins``; the user, as an authenticated caller."""
        self.transactions.write(self.coins.open_account(user_id, coins))
        user = User(
            id=user_id,
            email=f"{user_id}@example.com",
            google_sub=f"sub-{user_id}",
            roles=[Role.USER],
            created_at="2026-01-01T00:00:00.000Z",
            updated_at="2026-01-01T00:00:00.000Z",
        )
        return Caller(user=user, session_id=f"S-{user_id}", balance=coins)

    def generation(
        self, queue: InMemoryJobQueue, catalog: Callable[[], ModelCatalog] = lambda: CATALOG
    ) -> GenerationService:
        """Generations on these parts, queued on ``queue``, each ``Idempotency-Key`` kept in
        ``self.idempotency`` as the composition configures Powertools' idempotency."""
        config = IdempotencyConfig(
            event_key_jmespath="[userId, key]",
            payload_validation_jmespath="request",
            expires_after_seconds=24 * 3600,
        )
        config.register_lambda_context(_Invocation())  # type: ignore[arg-type]  # the context's one method
        return GenerationService(
            self.records,
            self.images,
            self.coins,
            self.transactions,
            queue,
            catalog,
            self.limits,
            persistence=self.idempotency,
            idempotency=config,
        )

    def uploads(self) -> UploadService:
        """Uploads on these parts: ``UPLOAD_COST`` coins each, up to ``MAX_UPLOAD_BYTES``."""
        return UploadService(
            self.images,
            self.objects,
            self.limits,
            accepted_types=UPLOAD_TYPES,
            max_upload_bytes=MAX_UPLOAD_BYTES,
            cost=UPLOAD_COST,
            url_ttl_seconds=300,
        )

    def balance(self, user_id: str) -> int:
        return self.coins.balance(user_id)

    def ledger_sum(self, user_id: str) -> int:
        """What every entry of the user's ledger adds up to (the balance, if no coin was lost)."""
        return sum(entry.amount for (user, _), entry in self.wallets.entries.items() if user == user_id)

    def charges(self, user_id: str) -> int:
        """How many entries of the user's ledger paid for an image."""
        paid = (LedgerReason.GENERATE, LedgerReason.UPLOAD)
        return sum(
            1 for (user, _), entry in self.wallets.entries.items() if user == user_id and entry.reason in paid
        )

    def refunds(self, user_id: str, image_id: str) -> int:
        """How many entries of the user's ledger gave back the coins of ``image_id``."""
        return sum(
            1
            for (user, _), entry in self.wallets.entries.items()
            if user == user_id and entry.image_id == image_id and entry.reason is LedgerReason.REFUND
        )

    def record(self, user_id: str, image_id: str) -> Image:
        """The image's record as stored, tombstoned or not."""
        return self.records.records[(user_id, image_id)]


# A finished upload's measure: wide, so an edit of it defaults to a wide ratio.
WIDE = ImageMetadata(width=400, height=100, format="PNG", content_type="image/png", size=10)


class Generating:
    """Generations on twins, for ``ada`` holding 1000 coins."""

    def __init__(self, generations_per_minute: int = 100) -> None:
        self.parts = ImageParts(generations_per_minute=generations_per_minute)
        self.queue = InMemoryJobQueue()
        self.service: GenerationService = self.parts.generation(self.queue)
        self.ada: Caller = self.parts.open_account("ada", 1000)

    def completed(
        self,
        image_id: str,
        user_id: str = "ada",
        thread_id: str | None = "own",
        metadata: ImageMetadata = WIDE,
    ) -> Image:
        """A finished upload (of 400 x 100 pixels, unless ``metadata`` says) in ``user_id``'s gallery
        (``thread_id`` None: from before threads)."""
        image = Image(
            user_id=user_id,
            image_id=image_id,
            type=ImageType.UPLOADED,
            status=ImageStatus.COMPLETED,
            object_key=f"images/{user_id}/{image_id}.png",
            metadata=metadata,
            coins_used=0,
            thread_id=image_id if thread_id == "own" else thread_id,
            created_at="2026-12-04T12:00:00.000Z",
            updated_at="2026-12-04T12:00:00.000Z",
        )
        self.parts.transactions.write([self.parts.records.create_write(image)])
        return image

    def written(self) -> tuple[int, list[str], int]:
        """ada's balance, the ids of ada's images, and the jobs queued."""
        ids = sorted(image_id for user, image_id in self.parts.records.records if user == "ada")
        return self.parts.balance("ada"), ids, len(self.queue.jobs)
