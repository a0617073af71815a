"""What the image use cases need of where image records are kept, in their own terms: an image as read,
pages of a user's gallery and of an edit thread, the prompts of a user's generations, the images left
unfinished, and each step of an image's lifecycle as a write that is refused unless the image is where
the step expects it (``repositories.images.ImageRepository`` keeps them in DynamoDB;
``tests.fakes.images.InMemoryImages`` in memory).

An image being deleted (``mark_deleting``) reads as gone from then on, and every later step of its
lifecycle is refused: a generation or a pipeline event still in flight writes nothing to it.

A write (``Write``) is committed by a ``UnitOfWork``, which raises what its refusal means; a step
that is a single conditional update answers whether it was made (False: refused, nothing changed).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from imagegen.models.images import search_text

if TYPE_CHECKING:
    from imagegen.models.images import Failure, Image, ImageMetadata, ImageStatus, ImageType, RecentPrompt
    from imagegen.services.unit_of_work import Write


@dataclass(frozen=True, slots=True)
class ImageQuery:
    """Which of a user's images a gallery page shows: of a type, in a status, starred, with ``text``
    in the title or the prompt (any case); None asks nothing of that."""

    image_type: ImageType | None = None
    status: ImageStatus | None = None
    favorite: bool | None = None
    text: str | None = None

    def matches(self, image: Image) -> bool:
        """Whether ``image`` is one of them."""
        return (
            (self.image_type is None or image.type is self.image_type)
            and (self.status is None or image.status is self.status)
            and (self.favorite is None or image.favorite is self.favorite)
            and (self.text is None or self.text.casefold() in search_text(image.title, image.prompt))
        )


EVERY_IMAGE = ImageQuery()


class ImageRecords(Protocol):
    """Each user's image records, by user and image id (ids sort by time)."""

    def get(self, user_id: str, image_id: str) -> Image | None:
        """The image, read consistently; None if there is none or it is being deleted."""
        ...

    def get_many(self, user_id: str, image_ids: Sequence[str]) -> dict[str, Image]:
        """The user's images among ``image_ids`` (at most 100), read consistently, by id; ids that are
        not the user's, do not exist or are being deleted are absent."""
        ...

    def list_page(
        self, user_id: str, limit: int, start_key: dict[str, Any] | None, which: ImageQuery = EVERY_IMAGE
    ) -> tuple[list[Image], dict[str, Any] | None]:
        """Up to ``limit`` of the user's images that ``which`` asks for, newest first, from after
        ``start_key``; and where the next page starts (None at the end). Images being deleted are
        left out. Only the user's own images are read, never another user's."""
        ...

    def thread_page(
        self, user_id: str, thread_id: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[Image], dict[str, Any] | None]:
        """Up to ``limit`` of the user's images of the edit thread ``thread_id``, oldest first, from after
        ``start_key``; and where the next page starts (None at the end)."""
        ...

    def generation_prompts(self, user_id: str, most_read: int) -> Iterator[RecentPrompt]:
        """The prompt of each of the user's images generated from a prompt (not edits, whose prompt asks a
        change of an image), with its id and time, newest first, among the user's ``most_read`` newest
        images of every kind (the others are read too, to be passed over); images being deleted are left
        out. Read as it is iterated: a caller that stops early reads nothing further."""
        ...

    def unfinished_before(self, status: ImageStatus, created_before: str) -> Iterable[tuple[str, str]]:
        """``(user_id, image_id)`` of each image still in ``status`` created before ``created_before``
        (an ISO time), oldest first; an image being deleted may be among them (read it to know)."""
        ...

    def create_write(self, image: Image, index: int = 0) -> Write:
        """The write of a new image (the ``index``-th of those made together: ``new image``, ``new image
        2``...); refused if an image with its id exists (even one being deleted)."""
        ...

    def start_thread_write(self, user_id: str, image_id: str) -> Write:
        """The write making an image from before threads the first of its own thread (an image already
        in a thread stays in it); refused if the image is gone or being deleted."""
        ...

    def fail_write(
        self, user_id: str, image_id: str, failure: Failure, at: str, expected: ImageStatus
    ) -> Write:
        """The write moving the image from ``expected`` to FAILED with ``failure`` (its message as the
        ``error``, its code as the ``errorCode``), so it is no longer unfinished; refused if it is in any
        other state, gone, or being deleted."""
        ...

    def delete_write(self, user_id: str, image_id: str) -> Write:
        """The write removing the record for good; refused if it is gone already."""
        ...

    def completed_check(self, user_id: str, image_id: str) -> Write:
        """A check, written nothing, that the image is still COMPLETED (named ``shared image``): refused
        if it is in another state, gone, or being deleted. What is made of an image (its share link)
        is committed with it, so that nothing is made of an image a delete has begun to remove."""
        ...

    def update_details(self, user_id: str, image_id: str, changes: dict[str, Any], at: str) -> Image | None:
        """Set the given camelCase attributes (title, description) and the time; the image as it is now,
        or None (nothing changed) if it is gone or being deleted."""
        ...

    def mark_deleting(self, user_id: str, image_id: str, at: str) -> Image | None:
        """Mark the image as being deleted (again, for a retried delete); the image, or None if there is
        no such image."""
        ...

    def complete(
        self, user_id: str, image_id: str, metadata: ImageMetadata, at: str, expected: ImageStatus
    ) -> bool:
        """Move the image from ``expected`` to COMPLETED with its measured ``metadata``, so it is no longer
        unfinished; False (nothing changed) if it is in any other state, gone, or being deleted."""
        ...

    def move(self, user_id: str, image_id: str, expected: ImageStatus, status: ImageStatus, at: str) -> bool:
        """Move the image from ``expected`` to the unfinished ``status``; False (nothing changed) if it is
        in any other state, gone, or being deleted."""
        ...

    def set_object_key(self, user_id: str, image_id: str, key: str, turn_key: str, at: str) -> bool:
        """Name where a PROCESSING image's bytes and the model's turn for it are stored; False (nothing
        changed) if it is not PROCESSING, gone, or being deleted."""
        ...

    def set_thumbnail(self, user_id: str, image_id: str, thumbnail_key: str, at: str) -> bool:
        """Record the image's thumbnail; False (nothing changed) if it has failed, is gone, or is being
        deleted."""
        ...
