"""What the generation worker needs of an image model, in the service's own terms: a conversation
(``ImageRequest``) in, an image and the model's turn (``ModelReply``) out, or one of the failures
below. ``adapters.gemini.GeminiClient`` is the one that speaks to Google; a test may use any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class InlineImage:
    """Image bytes and their MIME type, as they travel in ``inlineData``."""

    data: bytes
    mime_type: str


@dataclass(frozen=True)
class Part:
    """One part of a turn: a text or an image, with the model's ``thoughtSignature`` when it gave one."""

    text: str | None = None
    image: InlineImage | None = None
    thought_signature: str | None = None


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "model"]
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class ImageRequest:
    """One image to ask for: which model (Google's id), the conversation, and the output's shape."""

    model: str
    turns: Sequence[Turn]
    aspect_ratio: str
    image_size: str


@dataclass(frozen=True)
class ModelReply:
    """What the model answered: its image, and the parts of its turn (the image among them)."""

    image: InlineImage
    parts: tuple[Part, ...]


class GenerationRefused(Exception):
    """The model declined the prompt (safety, policy, recitation, ...); ``str()`` is readable.

    ``reason`` is Gemini's code (``PROHIBITED_CONTENT``, ``IMAGE_SAFETY``, ...) when it gave one.
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class GenerationUnavailable(Exception):
    """The model could not be reached or was overloaded, even after our retries: try later.

    ``status`` is the last HTTP status (429, 500, 503, 504), or ``None`` for a timeout or a
    connection error. ``retry_after`` is the delay Google asked for, in seconds, if it did.
    """

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class GenerationFailed(Exception):
    """A permanent failure (bad request or key, unknown model, unreadable reply).

    ``str()`` is readable and safe to show the person who asked; ``detail`` is Google's own
    message, for the logs only (it may name Google's model ids or the project).
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class ModelRetired(GenerationFailed):
    """Google does not serve this model id (404): shut down, or never one of its models."""

    def __init__(self, detail: str) -> None:
        super().__init__("This model is no longer available.", detail)


class ImageModel(Protocol):
    """Draws one image for a request."""

    def generate(self, request: ImageRequest) -> ModelReply:
        """The model's image; ``GenerationRefused``, ``GenerationUnavailable`` (after retries) or
        ``GenerationFailed`` (``ModelRetired`` for a model id no longer served) otherwise."""
        ...
