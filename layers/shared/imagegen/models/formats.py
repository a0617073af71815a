"""The image formats the service stores: the one table every other list of formats is derived from.

Uploads are checked against it (``services.imaging``), object keys are named and parsed with
its extensions (``services.storage``, ``services.pipeline``), the configuration refuses an
upload type it does not know (``config``), and the Gemini client accepts from the model only
the formats marked ``from_model``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class ImageFormat:
    """One stored image format."""

    name: str
    """Pillow's name for it (``JPEG``, ``PNG``...), also what the metadata's ``format`` says."""
    label: str
    """How people write it, in error messages."""
    content_type: str
    extension: str
    """Of object keys: ``images/{userId}/{imageId}.{extension}``."""
    sniff: Callable[[bytes], bool]
    """Whether the first 16 bytes of a file are this format's magic numbers."""
    from_model: bool
    """Whether the image model may answer in it (Gemini sends PNG, JPEG or WebP)."""


def _webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


FORMATS: Final[tuple[ImageFormat, ...]] = (
    ImageFormat("JPEG", "JPEG", "image/jpeg", "jpg", lambda head: head.startswith(b"\xff\xd8\xff"), True),
    ImageFormat("PNG", "PNG", "image/png", "png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"), True),
    ImageFormat("WEBP", "WebP", "image/webp", "webp", _webp, True),
    ImageFormat("GIF", "GIF", "image/gif", "gif", lambda head: head[:6] in (b"GIF87a", b"GIF89a"), False),
)

BY_CONTENT_TYPE: Final = {image_format.content_type: image_format for image_format in FORMATS}
BY_NAME: Final = {image_format.name: image_format for image_format in FORMATS}
CONTENT_TYPES: Final = tuple(BY_CONTENT_TYPE)
FROM_MODEL: Final = frozenset(
    image_format.content_type for image_format in FORMATS if image_format.from_model
)


def sniff(head: bytes) -> ImageFormat | None:
    """The format the first bytes (magic numbers) of a file announce, if one we store."""
    return next((image_format for image_format in FORMATS if image_format.sniff(head)), None)
