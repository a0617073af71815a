"""The object-created pipeline: one event, two functions, each updating only its own attributes.

A browser's upload lands under ``incoming/``; nothing there is ever served. ``measure`` (the
metadata function) trusts nothing about it: in one GET it takes the bytes, checks their real
size and content type against what the upload declared, sniffs and decodes them under a pixel
budget, and then either writes exactly those bytes to the image's ``images/`` key (only if
nothing is there yet) and completes the image with their metadata, or fails it with a refund
and removes its files. A presigned POST stays usable until it expires, so a second file posted
to the same upload may arrive later: it is deleted unread once the image has left PENDING, and
can never replace the checked bytes, their metadata or their thumbnail.

The model's images are written by the worker straight under ``images/``, and measured there.
``thumbnail`` (the thumbnail function) writes the 512 px WebP of an ``images/`` object and
records it only while the image exists and has not failed, removing what it wrote otherwise.

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
from imagegen.models.images import Failure, Image, ImageFailure, ImageMetadata, ImageStatus, ImageType
from imagegen.models.keys import thumbnail_key
from imagegen.services.image_processing import ImageProcessing, ImageRejected

if TYPE_CHECKING:
    from imagegen.services.image_records import ImageRecords
    from imagegen.services.images import ImageService
    from imagegen.services.object_store import ObjectStore

_EXTENSIONS = "|".join(re.escape(image_format.extension) for image_format in formats.FORMATS)
_OBJECT_KEY = re.compile(rf"^images/(?P<user_id>[^/]+)/(?P<image_id>[0-9A-Z]{{26}})\.(?:{_EXTENSIONS})$")
_INCOMING_KEY = re.compile(r"^incoming/(?P<user_id>[^/]+)/(?P<image_id>[0-9A-Z]{26})$")
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


def parse_incoming_key(key: str) -> ObjectRef | None:
    """The upload an ``incoming/`` key belongs to, or None for any other key."""
    match = _INCOMING_KEY.match(key)
    return ObjectRef(match["user_id"], match["image_id"], key) if match else None


@dataclass(frozen=True, slots=True)
class Checked:
    """Bytes that passed every check, and what they are."""

    data: bytes
    metadata: ImageMetadata


class ImagePipeline:
    def __init__(
        self,
        records: ImageRecords,
        images: ImageService,
        storage: ObjectStore,
        max_upload_bytes: int,
        imaging: ImageProcessing,
    ) -> None:
        self._records = records
        self._images = images
        self._storage = storage
        self._max_bytes = max_upload_bytes
        self._imaging = imaging

    def _image_for(self, key: str) -> tuple[ObjectRef, Image] | None:
        """The image an object belongs to; an object whose image is gone is deleted."""
        ref = parse_object_key(key)
        if ref is None:
            return None
        image = self._records.get(ref.user_id, ref.image_id)
        if image is None or image.object_key != key:
            self._storage.delete(key)  # nobody will ever show it: leave nothing behind
            return None
        return ref, image

    def measure(self, key: str) -> Outcome:
        """Verify the object at ``key`` and complete its image, or fail it (refunded, files removed).

        An ``incoming/`` upload is admitted (checked, then copied to the image's ``images/`` key);
        an ``images/`` object was written by the service, and is measured where it is.
        """
        arrival = parse_incoming_key(key)
        if arrival is not None:
            return self._admit(arrival)
        found = self._image_for(key)
        if found is None:
            return Outcome.IGNORED
        _, image = found
        if image.status is ImageStatus.FAILED:
            self._images.remove_files(image)  # a late upload after a sweep, say
            return Outcome.IGNORED
        if image.status not in _AWAITING_BYTES:
            return Outcome.IGNORED
        checked = self._check(image, key)
        if isinstance(checked, Failure):
            self._images.fail(image, checked, expected=image.status)
            return Outcome.FAILED
        if self._images.complete(image, checked.metadata, expected=image.status):
            return Outcome.COMPLETED
        return Outcome.IGNORED

    def _admit(self, arrival: ObjectRef) -> Outcome:
        """Check a browser's upload and promote exactly the checked bytes, or fail the image."""
        image = self._records.get(arrival.user_id, arrival.image_id)
        awaited = (
            image is not None and image.type is ImageType.UPLOADED and image.status is ImageStatus.PENDING
        )
        if image is None or not awaited:
            self._storage.delete(arrival.key)  # a late or second file for an image that has moved on
            return Outcome.IGNORED
        checked = self._check(image, arrival.key)
        if isinstance(checked, Failure):
            if self._images.fail(image, checked, expected=ImageStatus.PENDING):  # removes the arrival too
                return Outcome.FAILED
            self._storage.delete(arrival.key)  # another file of the upload settled it meanwhile
            return Outcome.IGNORED
        assert image.declared_content_type is not None  # every upload declares one
        outcome = Outcome.IGNORED
        # Only the first checked file of an upload is promoted; the event of the promoted object
        # completes the image should this function stop between the two writes.
        if self._storage.write_new(
            image.object_key, checked.data, image.declared_content_type
        ) and self._images.complete(image, checked.metadata, expected=ImageStatus.PENDING):
            outcome = Outcome.COMPLETED
        self._storage.delete(arrival.key)
        return outcome

    def _size_limit(self, image: Image) -> int:
        """The most bytes the object may have: what an upload declared, never over the largest upload;
        for the model's images, ``MAX_GENERATED_BYTES`` (a 4K PNG can outgrow the largest upload)."""
        if image.type is ImageType.GENERATED:
            return MAX_GENERATED_BYTES
        return min(image.declared_size or self._max_bytes, self._max_bytes)

    def _check(self, image: Image, key: str) -> Checked | Failure:
        """The bytes at ``key`` and their metadata if they are what ``image`` awaits; else what is wrong."""
        limit = self._size_limit(image)
        fetched = self._storage.fetch(key, max_bytes=limit)
        if fetched is None:
            return Failure(ImageFailure.NEVER_ARRIVED, "The file never arrived.")
        if fetched.data is None:
            return Failure(
                ImageFailure.FILE_TOO_LARGE,
                f"The file is {fetched.size} bytes, more than the {limit} bytes declared.",
            )
        declared = image.declared_content_type
        if declared and fetched.content_type.lower() != declared:
            sent = fetched.content_type or "no type"
            return Failure(
                ImageFailure.WRONG_TYPE,
                f"The file was sent as {sent}, but its upload was asked for as {declared}.",
            )
        try:
            info = self._imaging.inspect(fetched.data)
        except ImageRejected as rejected:
            return rejected.failure
        if declared and info.content_type != declared:
            return Failure(
                ImageFailure.WRONG_TYPE,
                f"The file is a {info.format} image, but its upload was asked for as {declared}.",
            )
        metadata = ImageMetadata(
            width=info.width,
            height=info.height,
            format=info.format,
            content_type=info.content_type,
            size=info.size,
        )
        return Checked(data=fetched.data, metadata=metadata)

    def thumbnail(self, key: str) -> Outcome:
        """Write the 512 px WebP thumbnail of the object at ``key`` and record it on its image."""
        found = self._image_for(key)
        if found is None:
            return Outcome.IGNORED
        ref, image = found
        if image.status is ImageStatus.FAILED:
            return Outcome.IGNORED
        fetched = self._storage.fetch(key, max_bytes=self._size_limit(image))
        if fetched is None or fetched.data is None:
            return Outcome.IGNORED  # the metadata function fails it
        try:
            thumbnail = self._imaging.thumbnail(fetched.data)
        except ImageRejected:
            return Outcome.IGNORED  # not an image: the metadata function fails it
        target = thumbnail_key(ref.user_id, ref.image_id)
        self._storage.write(target, thumbnail, "image/webp")
        if not self._records.set_thumbnail(ref.user_id, ref.image_id, target, now_iso()):
            self._storage.delete(target)  # failed or deleted meanwhile
            return Outcome.IGNORED
        return Outcome.THUMBNAILED
