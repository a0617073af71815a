"""Images: the stored record, its API view, and the upload request."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator

from imagegen.models.base import CamelModel, RequestModel

# The image types the service can store, and the extension of their object keys.
FILE_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


# The aspect ratios the Gemini image model accepts.
AspectRatio = Literal["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]


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
    declared_content_type: str | None = None
    declared_size: int | None = None
    metadata: ImageMetadata | None = None
    coins_used: int
    error: str | None = None
    created_at: str
    updated_at: str


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
    error: str | None
    created_at: str
    updated_at: str


class UploadRequest(RequestModel):
    """``POST /images/upload``: what the browser is about to send."""

    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=1, max_length=100)
    size: int = Field(gt=0, description="bytes the browser will send")
    title: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)

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

    title: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class GenerateRequest(RequestModel):
    """``POST /images/generate``."""

    prompt: str = Field(min_length=1, max_length=2000)
    title: str | None = Field(default=None, max_length=200)
    aspect_ratio: AspectRatio | None = None


class GenerationJob(CamelModel):
    """The generate queue's message: which image to draw, and how."""

    user_id: str
    image_id: str
    prompt: str
    aspect_ratio: str | None = None


class PresignedPost(CamelModel):
    """Where and how the browser POSTs the file: ``fields`` first, ``file`` last."""

    url: str
    fields: dict[str, str]
    expires_at: str
