"""What the pipeline and the generation worker need done to images, in the service's own terms: check
an image and describe it, make its thumbnail, make an input for the image model. The pixels are
``adapters.imaging``'s work (Pillow and libvips); how large the model's inputs are is a rule of ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from imagegen.models.images import Failure, ImageFailure

# What the image model is given of an input image: Gemini reads an image at a fixed token
# budget (1120 tokens at its high media resolution), so more pixels than this only make the
# request bigger (Google refuses requests over 20 MB) and slower to send. With many inputs each
# gets fewer pixels: 14 photos at 1024 px stay far below the 20 MB.
MODEL_INPUT_SIZE: Final = 1536
MODEL_INPUT_SIZE_FOR_MANY: Final = 1024
MANY_INPUTS: Final = 5


class ImageRejected(Exception):
    """The data is not an image we accept; the message says why, in words for the person who sent it,
    and ``failure`` as a stable code (``NOT_AN_IMAGE``, ``IMAGE_DAMAGED``, ``TOO_MANY_PIXELS``)."""

    def __init__(self, message: str, failure: ImageFailure) -> None:
        super().__init__(message)
        self.failure = Failure(failure, message)


@dataclass(frozen=True)
class ImageInfo:
    """What ``inspect_image`` found out about an image it accepted."""

    format: str
    """``JPEG``, ``PNG``, ``WEBP`` or ``GIF``."""
    content_type: str
    width: int
    """As displayed: EXIF orientations 5 to 8 swap the stored width and height."""
    height: int
    size: int
    """Bytes."""
    frames: int
    """1, or the frame count of an animation."""


@dataclass(frozen=True)
class EncodedImage:
    """Image bytes made here, with what they are."""

    data: bytes
    content_type: str
    width: int
    height: int


def model_input_size(inputs: int) -> int:
    """The longest side each of ``inputs`` input images of one request is given to the model at."""
    return MODEL_INPUT_SIZE if inputs < MANY_INPUTS else MODEL_INPUT_SIZE_FOR_MANY


class ImageProcessing(Protocol):
    """Checks and remakes images, within a pixel budget; each raises ``ImageRejected`` for data that is
    not an image the service accepts (another kind of file, damaged, or too many pixels)."""

    def inspect(self, data: bytes) -> ImageInfo:
        """What the image is, once checked whole."""
        ...

    def thumbnail(self, data: bytes) -> bytes:
        """Its WebP thumbnail."""
        ...

    def model_input(self, data: bytes, max_side: int) -> EncodedImage:
        """It, as the image model should be given it, at most ``max_side`` on its longest side."""
        ...
