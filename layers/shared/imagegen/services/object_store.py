"""What the use cases need of the bucket where images live, in the service's own terms: objects by
key, written once or again, fetched with their size, deleted; and presigned URLs for the browser.
Failures are ``StorageUnavailable``. ``adapters.storage.ImageStorage`` is S3's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from imagegen.models.images import PresignedPost


@dataclass(frozen=True, slots=True)
class FetchedObject:
    """An object as one GET saw it: its size and type, and its bytes unless it was over the limit."""

    size: int
    content_type: str
    data: bytes | None


class ObjectStore(Protocol):
    """The images bucket."""

    def presign_upload(self, key: str, content_type: str, size: int, expires_in: int) -> PresignedPost:
        """A browser's POST of exactly ``key``, ``content_type`` and at most ``size`` bytes."""
        ...

    def presign_read(self, key: str, content_type: str | None = None, expires_in: int | None = None) -> str:
        """A short-lived GET URL for ``key``, valid for ``expires_in`` seconds (None: the configured
        lifetime of image URLs)."""
        ...

    def read_if_exists(self, key: str) -> bytes | None:
        """The whole object, or None if there is none."""
        ...

    def fetch(self, key: str, max_bytes: int) -> FetchedObject | None:
        """The object in one read, its bytes left unread when over ``max_bytes``; None if there is none."""
        ...

    def write(self, key: str, data: bytes, content_type: str) -> None:
        """Write ``data`` at ``key``, replacing what is there."""
        ...

    def write_new(self, key: str, data: bytes, content_type: str) -> bool:
        """Write ``data`` at ``key`` unless an object is there already: False if one was."""
        ...

    def delete(self, *keys: str) -> None:
        """Remove objects; keys that do not exist are fine."""
        ...

    def delete_under(self, prefix: str) -> int:
        """Remove every object whose key starts with ``prefix``; how many there were."""
        ...
