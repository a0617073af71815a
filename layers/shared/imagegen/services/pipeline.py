"""The object-created pipeline: one event, two functions, each updating only its own attributes.

``measure`` (the metadata function) trusts nothing about the object: it checks the real size
and content type against what the upload declared, sniffs and decodes the bytes under a pixel
budget, and either completes the image or fails it with a refund and removes its files.
``thumbnail`` (the thumbnail function) writes the 512 px WebP and records it only while the
image exists and has not failed, removing what it wrote otherwise.

Both are idempotent: a duplicate or late event (after a delete, after FAILED) changes nothing
and leaves no object behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from imagegen.ids import now_iso
from imagegen.models import formats
from imagegen.models.images import Image, ImageMetadata, ImageStatus, ImageType
from imagegen.services.imaging import ImageRejected, inspect_image, make_thumbnail
from imagegen.services.storage import thumbnail_key

if TYPE_CHECKING:
    from imagegen.repositories.images import ImageRepository
    from imagegen.services.images import ImageService
    from imagegen.services.storage import ImageStorage

_EXTENSIONS = "|".join(re.escape(image_format.extension) for image_format in formats.FORMATS)
_OBJECT_KEY = re.compile(rf"^images/(?P<user_id>[^/]+)/(?P<image_id>[0-9A-Z]{{26}})\.(?:{_EXTENSIONS})$")
# A 4K image is 16 Mpx: as a photographic PNG, 25-35 MB. The pixel budget still applies to it.
MAX_GENERATED_BYTES = 64 * 1024 * 1024
# Generated images wait in PROCESSING for their bytes; uploads wait in PENDING.
_AWAITING_BYTES = (ImageStatus.PENDING, ImageStatus.PROCESSING)


class Outcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    THUMBNAILED = "thumbnailed"
    IGNORED = "ignored"  # not ours, already handled, or for an image that no longer exists


@dataclass(frozen=True, slots=True)
class ObjectRef:
    user_id: str
    image_id: str
    key: str


def parse_object_key(key: str) -> ObjectRef | None:
    """The image an ``images/`` key belongs to, or None for any other key."""
    match = _OBJECT_KEY.match(key)
    return ObjectRef(match["user_id"], match["image_id"], key) if match else None


class ImagePipeline:
    def __init__(
        self,
        repository: ImageRepository,
        images: ImageService,
        storage: ImageStorage,
        max_upload_bytes: int,
        max_pixels: int,
    ) -> None:
        self._repository = repository
        self._images = images
        self._storage = storage
        self._max_bytes = max_upload_bytes
        self._max_pixels = max_pixels

    def _image_for(self, key: str) -> tuple[ObjectRef, Image] | None:
        """The image an object belongs to; an object whose image is gone is deleted."""
        ref = parse_object_key(key)
        if ref is None:
            return None
        image = self._repository.get(ref.user_id, ref.image_id)
        if image is None or image.object_key != key:
            self._storage.delete(key)  # nobody will ever show it: leave nothing behind
            return None
        return ref, image

    def measure(self, key: str) -> Outcome:
        """Verify the object at ``key`` and complete its image, or fail it (refunded, files removed)."""
        found = self._image_for(key)
        if found is None:
            return Outcome.IGNORED
        ref, image = found
        if image.status is ImageStatus.FAILED:
            self._images.remove_files(image)  # a late upload after a sweep, say
            return Outcome.IGNORED
        if image.status not in _AWAITING_BYTES:
            return Outcome.IGNORED
        problem, metadata = self._verify(image)
        if problem is not None:
            self._images.fail(image, problem, expected=image.status)
            return Outcome.FAILED
        assert metadata is not None
        if self._repository.complete(ref.user_id, ref.image_id, metadata, now_iso(), expected=image.status):
            return Outcome.COMPLETED
        return Outcome.IGNORED

    def _size_limit(self, image: Image) -> int:
        """The most bytes the object may have: what an upload declared, never over the largest upload;
        for the model's images, ``MAX_GENERATED_BYTES`` (a 4K PNG can outgrow the largest upload)."""
        if image.type is ImageType.GENERATED:
            return MAX_GENERATED_BYTES
        return min(image.declared_size or self._max_bytes, self._max_bytes)

    def _verify(self, image: Image) -> tuple[str | None, ImageMetadata | None]:
        stored = self._storage.stat(image.object_key)
        if stored is None:
            return "The file never arrived.", None
        limit = self._size_limit(image)
        if stored.size > limit:
            return f"The file is {stored.size} bytes, more than the {limit} bytes declared.", None
        declared = image.declared_content_type
        if declared and stored.content_type.lower() != declared:
            return (
                f"The file was sent as {stored.content_type or 'no type'}, not {declared} as declared.",
                None,
            )
        try:
            info = inspect_image(self._storage.read(image.object_key), max_pixels=self._max_pixels)
        except ImageRejected as rejected:
            return str(rejected), None
        if declared and info.content_type != declared:
            return f"The file is a {info.format} image, not {declared} as declared.", None
        return None, ImageMetadata(
            width=info.width,
            height=info.height,
            format=info.format,
            content_type=info.content_type,
            size=info.size,
        )

    def thumbnail(self, key: str) -> Outcome:
        """Write the 512 px WebP thumbnail of the object at ``key`` and record it on its image."""
        found = self._image_for(key)
        if found is None:
            return Outcome.IGNORED
        ref, image = found
        if image.status is ImageStatus.FAILED:
            return Outcome.IGNORED
        stored = self._storage.stat(key)
        if stored is None or stored.size > self._size_limit(image):
            return Outcome.IGNORED  # the metadata function fails it
        try:
            thumbnail = make_thumbnail(self._storage.read(key), max_pixels=self._max_pixels)
        except ImageRejected:
            return Outcome.IGNORED  # not an image: the metadata function fails it
        target = thumbnail_key(ref.user_id, ref.image_id)
        self._storage.write(target, thumbnail, "image/webp")
        if not self._repository.set_thumbnail(ref.user_id, ref.image_id, target, now_iso()):
            self._storage.delete(target)  # failed or deleted meanwhile
            return Outcome.IGNORED
        return Outcome.THUMBNAILED
