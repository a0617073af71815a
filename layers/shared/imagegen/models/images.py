"""Images: the stored record, its API view, why one failed, and the upload request."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from imagegen.ids import ID_PATTERN, MAX_ID_LENGTH
from imagegen.models.base import CamelModel, RequestModel

# One limit for a title however it is given (in a request, or taken from a file name or a prompt),
# so that what one route writes another route accepts back.
TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000


def default_title(text: str) -> str:
    """A title made from a file name or a prompt: its first ``TITLE_MAX_LENGTH`` characters."""
    return text[:TITLE_MAX_LENGTH]


# What a search of the gallery may ask: a few words, matched in titles and prompts.
SEARCH_MAX_LENGTH = 100


def search_text(title: str, prompt: str | None) -> str:
    """What a search matches an image by: its title and prompt, in lower case (a search is too)."""
    return f"{title}\n{prompt or ''}".casefold()


def prompt_key(prompt: str) -> str:
    """What makes two prompts the same one: their words, in any case and spacing."""
    return " ".join(prompt.split()).casefold()


ImageId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
# An upper bound on references whatever the catalog says, so a request stays small to check.
MAX_REFERENCES = 32
# How many variations one request may ask for (each an image of its own, charged and counted).
MAX_VARIATIONS = 4


class ImageType(StrEnum):
    GENERATED = "GENERATED"
    UPLOADED = "UPLOADED"


class ImageStatus(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"

    @property
    def finished(self) -> bool:
        return self in (ImageStatus.COMPLETED, ImageStatus.FAILED)


class ImageFailure(StrEnum):
    """Why an image FAILED, as a stable code (its ``errorCode``) beside the English ``error`` a person
    reads: what a client translates by. One per reason the service gives; a code's meaning never
    changes, and new ones may come (docs/api.md lists them)."""

    NOT_AN_IMAGE = "NOT_AN_IMAGE"
    """Not a JPEG, PNG, WebP or GIF image, or it starts like one and is not."""
    IMAGE_DAMAGED = "IMAGE_DAMAGED"
    """Damaged, incomplete, or without pixels."""
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"
    """More pixels than the service processes."""
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    """More bytes than its upload declared."""
    WRONG_TYPE = "WRONG_TYPE"
    """Sent as, or being, another type than its upload declared."""
    NEVER_ARRIVED = "NEVER_ARRIVED"
    """The upload's file never arrived, or was gone when it was to be checked."""
    GENERATION_TIMED_OUT = "GENERATION_TIMED_OUT"
    """Not made within the generation deadline (the sweeper's)."""
    MODEL_REFUSED = "MODEL_REFUSED"
    """The model declined the prompt."""
    MODEL_FAILED = "MODEL_FAILED"
    """The model answered with an error, or without a usable image."""
    MODEL_UNAVAILABLE = "MODEL_UNAVAILABLE"
    """The model stayed unavailable through every retry."""
    MODEL_RETIRED = "MODEL_RETIRED"
    """The model is no longer available."""
    SOURCE_GONE = "SOURCE_GONE"
    """The image to edit is gone (or no longer finished)."""
    REFERENCE_GONE = "REFERENCE_GONE"
    """A reference image is gone (or no longer finished)."""
    INPUT_UNREADABLE = "INPUT_UNREADABLE"
    """An input image could not be read."""
    STORAGE_FAILED = "STORAGE_FAILED"
    """It could not be made or stored: the service failed through every retry."""
    QUEUE_FAILED = "QUEUE_FAILED"
    """Its generation could not be queued."""


@dataclass(frozen=True, slots=True)
class Failure:
    """Why an image failed: the stable ``code`` and the ``message`` a person reads (in English)."""

    code: ImageFailure
    message: str


def created_counters(image_type: ImageType, cost: int) -> dict[str, int]:
    """What a new image adds to its owner's stats."""
    return {"images": 1, image_type.value.lower(): 1, "coinsSpent": cost}


def deleted_counters(image_type: ImageType) -> dict[str, int]:
    """What a deleted image takes from its owner's stats (the coins stay spent)."""
    return {"images": -1, image_type.value.lower(): -1}


class ImageMetadata(CamelModel):
    """What the metadata function measured on the stored object (dimensions as displayed)."""

    width: int
    height: int
    format: str
    content_type: str
    size: int


class Image(CamelModel):
    """An image as stored in the images table."""

    user_id: str
    image_id: str
    type: ImageType
    status: ImageStatus
    title: str = ""
    description: str = ""
    prompt: str | None = None
    object_key: str
    thumbnail_key: str | None = None
    turn_key: str | None = None
    """Where the model's turn that made it is kept (what an edit of it replays); None for uploads."""
    declared_content_type: str | None = None
    declared_size: int | None = None
    metadata: ImageMetadata | None = None
    coins_used: int
    error: str | None = None
    error_code: ImageFailure | None = None
    """Why it failed, as a code; None on images that failed before codes were kept (none is guessed)."""
    model: str | None = None
    """The catalog id of the model that made it (generated images only)."""
    image_size: str | None = None
    aspect_ratio: str | None = None
    parent_image_id: str | None = None
    """The image this one is an edit of."""
    thread_id: str | None = None
    """The first image of its edit thread; None (on images older than threads) reads as its own id."""
    reference_image_ids: list[str] = Field(default_factory=list)
    batch_id: str | None = None
    """The id the variations of one request share (asked with ``count`` > 1); None for one alone."""
    batch_size: int | None = None
    """How many variations that request made; None for one alone."""
    favorite: bool = False
    created_at: str
    updated_at: str

    @property
    def thread(self) -> str:
        """The id of the edit thread the image belongs to."""
        return self.thread_id or self.image_id

    @property
    def failure(self) -> Failure | None:
        """Why it failed, as a code and in words; None unless it failed with a code (older failures
        kept their words alone)."""
        if self.error_code is None or self.error is None:
            return None
        return Failure(self.error_code, self.error)

    @property
    def coins_refunded(self) -> int:
        """What came back of ``coins_used``: all of it once FAILED (the refund is in the same write
        that fails an image, see ``ImageService.fail``), else nothing."""
        return self.coins_used if self.status is ImageStatus.FAILED else 0


class ImageView(CamelModel):
    """An image as the API shows it; the URLs are short-lived presigned GETs."""

    id: str
    user_id: str
    type: ImageType
    status: ImageStatus
    title: str
    description: str
    prompt: str | None
    storage_url: str | None
    thumbnail_url: str | None
    metadata: ImageMetadata | None
    coins_used: int
    coins_refunded: int = 0
    error: str | None
    error_code: ImageFailure | None = Field(
        description="why a FAILED image failed, as a stable code beside `error` (null otherwise, and on"
        " images that failed before codes were kept)"
    )
    model: str | None
    image_size: str | None
    aspect_ratio: str | None
    parent_image_id: str | None
    thread_id: str
    reference_image_ids: list[str]
    batch_id: str | None
    batch_size: int | None
    favorite: bool
    created_at: str
    updated_at: str


class ImagePage(CamelModel):
    """A page of images and the cursor of the next page (null on the last)."""

    images: list[ImageView]
    next_cursor: str | None


class RecentPrompt(CamelModel):
    """A prompt the caller generated images from: as last sent, with the newest image made from it and
    when (that image's ``createdAt``)."""

    prompt: str
    image_id: str
    used_at: str


class RecentPrompts(CamelModel):
    """The prompts of the caller's generations (not edits), newest first, each once: at its newest use."""

    prompts: list[RecentPrompt]


class UploadRequest(RequestModel):
    """``POST /images/upload``: what the browser is about to send."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"filename": "beach.jpg", "contentType": "image/jpeg", "size": 482113, "title": "Beach"}
            ]
        }
    )

    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=1, max_length=100)
    size: int = Field(gt=0, description="bytes the browser will send")
    title: str | None = Field(default=None, max_length=TITLE_MAX_LENGTH)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX_LENGTH)

    @field_validator("filename")
    @classmethod
    def _plain_name(cls, filename: str) -> str:
        if any(char in filename for char in "/\\\x00"):
            raise ValueError("a file name, without a path")
        return filename

    @field_validator("content_type")
    @classmethod
    def _lower(cls, content_type: str) -> str:
        return content_type.lower()


class ImageUpdate(RequestModel):
    """``PUT /images/{id}``: the only fields an owner may change. Absent fields stay as they are."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"title": "Beach at dusk", "description": "Taken from the pier."},
                {"favorite": True},
            ]
        }
    )

    title: str | None = Field(default=None, max_length=TITLE_MAX_LENGTH)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX_LENGTH)
    favorite: bool | None = Field(default=None, description="starred by its owner")


class GenerateRequest(RequestModel):
    """``POST /images/generate``, and ``POST /images/{id}/edit`` (the prompt is then the instruction).

    ``model``, ``imageSize`` and ``aspectRatio`` are checked against the model catalog by the
    service (the catalog is configuration); here only their shape.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "prompt": "A lighthouse at dawn, watercolour",
                    "model": "fast",
                    "imageSize": "1K",
                    "aspectRatio": "16:9",
                }
            ]
        }
    )

    prompt: str = Field(min_length=1, max_length=2000)
    title: str | None = Field(default=None, max_length=TITLE_MAX_LENGTH)
    model: str | None = Field(default=None, min_length=1, max_length=32)
    image_size: str | None = Field(default=None, min_length=1, max_length=8)
    aspect_ratio: str | None = Field(default=None, min_length=1, max_length=8)
    reference_image_ids: (
        Annotated[
            list[ImageId],
            Field(min_length=1, max_length=MAX_REFERENCES, json_schema_extra={"uniqueItems": True}),
        ]
        | None
    ) = None
    count: int = Field(
        default=1, ge=1, le=MAX_VARIATIONS, description="how many variations of the request to make"
    )

    @field_validator("reference_image_ids")
    @classmethod
    def _distinct(cls, ids: list[str] | None) -> list[str] | None:
        if ids is not None and len(set(ids)) != len(ids):
            raise ValueError("each image may be given once")
        return ids


class UpscaleRequest(RequestModel):
    """``POST /images/{id}/upscale``: the larger size of the catalog to draw the image again at."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"imageSize": "4K"}]})

    image_size: str = Field(min_length=1, max_length=8)
    model: str | None = Field(default=None, min_length=1, max_length=32)


class GenerationJob(CamelModel):
    """The generate queue's message: which image to draw. Everything else is on the image's record."""

    user_id: str
    image_id: str


class JobOutcome(StrEnum):
    """What became of one delivery of a generation job."""

    STORED = "stored"  # the bytes are in S3; the pipeline completes the image
    FAILED = "failed"  # refused or broken: failed and refunded
    SKIPPED = "skipped"  # a duplicate delivery, or the image is gone
    RETRY = "retry"  # the model or S3 is unavailable: SQS delivers the job again


class PresignedPost(CamelModel):
    """Where and how the browser POSTs the file: ``fields`` first, ``file`` last."""

    url: str
    fields: dict[str, str]
    expires_at: str
