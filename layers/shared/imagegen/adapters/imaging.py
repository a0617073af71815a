"""Checking images, making their thumbnails and the image model's inputs: pure functions over
bytes. Pillow checks; libvips (pyvips) shrinks.

Every image is untrusted (uploads come straight from browsers, generated images from a
remote model), so nothing is believed until checked, in this order:

1. the magic bytes must be those of a format of ``models.formats`` (JPEG, PNG, WebP, GIF);
2. the header alone is read, with the decoder of that one format (no other Pillow plugin
   is ever reached), and width x height is checked against a pixel budget before a
   single pixel is decoded, so a decompression bomb costs a few bytes of parsing;
3. the first frame is decoded in full: a truncated or corrupt file is refused.

Thumbnails and the model's inputs are then made by libvips' ``thumbnail``, which decodes at
reduced size where the format allows (JPEG, WebP) and streams the others (PNG, GIF) through the
shrink, so no full-size copy of the image is ever held: on a 4000x3000 WebP, 6 MB and about
90 ms against Pillow's 184 MB and 225 ms (``make bench``). Its loader must be the one of the format we
sniffed, it fails on any decoding error (``fail_on=error``), and its operation cache is off, so
nothing of one image outlives the call.

Pillow's own limit, ``Image.MAX_IMAGE_PIXELS``, still caps the budget, and the bomb
checks Pillow makes inside its decoders (a GIF frame larger than its screen) stay behind
ours, made strict: ``DecompressionBombWarning`` is turned into an error for the duration
of each call (``warnings.catch_warnings``), because after a mere warning Pillow decodes.
Pillow's globals (``MAX_IMAGE_PIXELS``, ``ImageFile.LOAD_TRUNCATED_IMAGES``) are read,
never written. ``catch_warnings`` swaps the process's warning filters, which is
safe in Lambda (one invocation per process at a time) but not across threads.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Final

import pyvips
from PIL import (
    ExifTags,
    GifImagePlugin,
    Image,
    ImageFile,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from imagegen.models import formats
from imagegen.models.formats import ImageFormat
from imagegen.models.images import ImageFailure
from imagegen.services.image_processing import (
    MODEL_INPUT_SIZE,
    EncodedImage,
    ImageInfo,
    ImageRejected,
)

THUMBNAIL_SIZE: Final = 512
MAX_PIXELS: Final = 40_000_000
"""Default pixel budget: 40 Mpx is 160 MB once decoded to RGBA."""

MODEL_INPUT_QUALITY: Final = 90

THUMBNAIL_QUALITY: Final = 80
# libwebp's default effort. Measured on 512 px thumbnails: method 6 saves about 1 % of the bytes
# for 1.5x the time, method 0 costs 6-9 % more bytes to save ~20 ms: 4 is the balance.
THUMBNAIL_METHOD: Final = 4

# libvips loads only with the loaders it counts as safe for untrusted input, fails on a damaged
# image instead of padding it, and caches no operation (an image's pixels would outlive the call).
pyvips.block_untrusted_set(True)
pyvips.cache_set_max(0)
_LOAD_OPTIONS: Final = "fail_on=error"
_NO_METADATA: Final = pyvips.enums.ForeignKeep.NONE

# One header parser per accepted format, called directly rather than through Image.open:
# Image.open runs Pillow's bomb check (an error only above 2x MAX_IMAGE_PIXELS, a warning
# below) before we could run ours, and would try other plugins on a file we did not sniff.
_OPENERS: Final[dict[str, Callable[[IO[bytes]], ImageFile.ImageFile]]] = {
    "JPEG": JpegImagePlugin.jpeg_factory,
    "PNG": PngImagePlugin.PngImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
    "GIF": GifImagePlugin.GifImageFile,
}
# Pillow calls a JPEG carrying more pictures (phones write depth maps and previews) an MPO;
# its first picture is the JPEG everyone displays.
_ALSO_CALLED: Final = {"JPEG": "MPO"}
if set(_OPENERS) != set(formats.BY_NAME):  # the format table and the decoders must agree
    raise RuntimeError(f"no decoder for {set(formats.BY_NAME) ^ set(_OPENERS)}")
_ACCEPTED_LABELS: Final = (
    ", ".join(f.label for f in formats.FORMATS[:-1]) + f" or {formats.FORMATS[-1].label}"
)

# What Pillow raises on malformed data. Image.open treats the first four as "not this
# format"; decoders raise OSError ("image file is truncated"), SyntaxError ("broken PNG
# file"), ValueError (oversized text chunks) or EOFError.
_MALFORMED: Final = (SyntaxError, IndexError, TypeError, struct.error, OSError, ValueError, EOFError)
_BOMB: Final = (Image.DecompressionBombError, Image.DecompressionBombWarning)

_SWAPPED_ORIENTATIONS: Final = {5, 6, 7, 8}  # rotated a quarter turn (and maybe mirrored)


def sniff_content_type(head: bytes) -> str | None:
    """The content type the first bytes (magic numbers) of a file announce, if one we accept."""
    found = formats.sniff(head)
    return found.content_type if found else None


def inspect_image(data: bytes, max_pixels: int = MAX_PIXELS) -> ImageInfo:
    """Check that ``data`` is a whole JPEG, PNG, WebP or GIF image within ``max_pixels``, and describe it.

    Raises ``ImageRejected`` for anything else: another kind of file, a damaged or truncated
    image, or one with more pixels than the budget (refused from its header, undecoded).
    """
    with _opened(data, max_pixels) as (image, image_format):
        stored_width, stored_height = image.size
        frames = _frame_count(image, image_format)
        if isinstance(image, JpegImagePlugin.JpegImageFile):
            # Decoding at 1/8 scale still runs the entropy decoder over every byte, so it
            # finds a truncated or corrupt file as surely as a full decode, for a fraction
            # of the time and memory.
            image.draft(None, (1, 1))
        _decode_first_frame(image, image_format)
        swapped = _orientation(image) in _SWAPPED_ORIENTATIONS
    return ImageInfo(
        format=image_format.name,
        content_type=image_format.content_type,
        width=stored_height if swapped else stored_width,
        height=stored_width if swapped else stored_height,
        size=len(data),
        frames=frames,
    )


def make_thumbnail(data: bytes, max_side: int = THUMBNAIL_SIZE, max_pixels: int = MAX_PIXELS) -> bytes:
    """A WebP thumbnail of an image: at most ``max_side`` pixels on its longest side, upright.

    Never enlarged; the first frame of an animation; RGBA when the image has transparency,
    otherwise RGB; with no metadata at all (no EXIF, so no GPS position; no XMP, no ICC
    profile). Raises ``ImageRejected`` on the same grounds as ``inspect_image``.
    """
    thumbnail, image_format = _shrunk(data, max_side, max_pixels)
    with _decoding(image_format):  # libvips decodes as it saves
        return bytes(
            thumbnail.webpsave_buffer(Q=THUMBNAIL_QUALITY, effort=THUMBNAIL_METHOD, keep=_NO_METADATA)
        )


def model_input(data: bytes, max_side: int = MODEL_INPUT_SIZE, max_pixels: int = MAX_PIXELS) -> EncodedImage:
    """An image as the image model should be given it: upright, at most ``max_side`` on its longest side.

    JPEG when it is opaque, WebP when it shows transparency (both quality 90, both compact),
    whatever it was stored as (the model takes neither GIF nor a 20 MiB original); no
    metadata. Raises ``ImageRejected`` on the same grounds as ``inspect_image``.
    """
    shrunk, image_format = _shrunk(data, max_side, max_pixels)
    with _decoding(image_format):
        picture = shrunk.copy_memory()  # decoded once here: looking at the alpha would decode again
        if picture.hasalpha() and picture.extract_band(picture.bands - 1).min() == 255:
            picture = picture.extract_band(0, n=picture.bands - 1)  # an alpha channel that hides nothing
        if picture.hasalpha():
            encoded = picture.webpsave_buffer(Q=MODEL_INPUT_QUALITY, keep=_NO_METADATA)
            content_type = "image/webp"
        else:
            encoded = picture.jpegsave_buffer(Q=MODEL_INPUT_QUALITY, keep=_NO_METADATA)
            content_type = "image/jpeg"
    return EncodedImage(bytes(encoded), content_type, picture.width, picture.height)


def _shrunk(data: bytes, max_side: int, max_pixels: int) -> tuple[pyvips.Image, ImageFormat]:
    """The first frame of an image, upright, at most ``max_side`` on its longest side, 8-bit sRGB with
    alpha if it has any; not decoded yet: libvips decodes it when it is saved or copied to memory,
    which must happen within ``_decoding``."""
    if max_side < 1:
        raise ValueError(f"max_side must be positive, not {max_side}")
    with _opened(data, max_pixels) as (_, image_format):
        pass  # the header is checked: format, pixel budget, Pillow's own bomb checks
    with _decoding(image_format):
        # Shrink-on-load where the format has it; "down": never enlarged; turned upright by EXIF.
        shrunk = pyvips.Image.thumbnail_buffer(
            data, max_side, height=max_side, size="down", option_string=_LOAD_OPTIONS
        )
        loader = shrunk.get("vips-loader") if shrunk.get_typeof("vips-loader") else ""
        if not loader.startswith(f"{image_format.name.lower()}load"):
            raise ImageRejected(
                f"The file starts like a {image_format.label} image but is not one.",
                ImageFailure.NOT_AN_IMAGE,
            )
        if shrunk.interpretation != "srgb" or shrunk.format != "uchar":
            # Grey, 16-bit (scaled, not clipped) and CMYK become what WebP and JPEG store.
            shrunk = shrunk.colourspace("srgb").cast("uchar")
    return shrunk, image_format


@contextmanager
def _decoding(image_format: ImageFormat) -> Iterator[None]:
    """libvips' errors on the way, said as what they mean for the person who sent the image."""
    try:
        yield
    except pyvips.Error as error:
        raise ImageRejected(
            f"The {image_format.label} image is damaged or incomplete.", ImageFailure.IMAGE_DAMAGED
        ) from error


@contextmanager
def _opened(data: bytes, max_pixels: int) -> Iterator[tuple[ImageFile.ImageFile, ImageFormat]]:
    """The image with only its header read, once its format and pixel count are known to be acceptable."""
    image_format = formats.sniff(data[:16])
    if image_format is None:
        raise ImageRejected(f"The file is not a {_ACCEPTED_LABELS} image.", ImageFailure.NOT_AN_IMAGE)
    label = image_format.label
    budget = _pixel_budget(max_pixels)
    if image_format.name == "WEBP":
        # libwebp allocates the whole canvas as soon as the file is opened: check its size first.
        canvas = _webp_canvas_size(data[:30])
        if canvas is None:
            raise ImageRejected(f"The {label} image is damaged or incomplete.", ImageFailure.IMAGE_DAMAGED)
        _check_pixels(canvas, budget)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _OPENERS[image_format.name](io.BytesIO(data))
        except _BOMB as error:  # Pillow's check inside a plugin (a GIF frame larger than its screen)
            raise ImageRejected(
                f"The {label} image is too large to process.", ImageFailure.TOO_MANY_PIXELS
            ) from error
        except _MALFORMED as error:
            raise ImageRejected(
                f"The {label} image is damaged or incomplete.", ImageFailure.IMAGE_DAMAGED
            ) from error
        with image:
            if image.format not in (image_format.name, _ALSO_CALLED.get(image_format.name)):
                raise ImageRejected(
                    f"The file starts like a {label} image but is not one.", ImageFailure.NOT_AN_IMAGE
                )
            _check_pixels(image.size, budget)
            yield image, image_format


def _pixel_budget(max_pixels: int) -> int:
    # Pillow's limit, when set, still caps ours, so a process that lowered it is obeyed.
    if Image.MAX_IMAGE_PIXELS is None:
        return max_pixels
    return min(max_pixels, Image.MAX_IMAGE_PIXELS)


def _check_pixels(size: tuple[int, int], budget: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise ImageRejected(f"The image has no pixels ({width}x{height}).", ImageFailure.IMAGE_DAMAGED)
    if width * height > budget:
        raise ImageRejected(
            f"The image is {width}x{height}, {width * height:,} pixels: more than the {budget:,} accepted.",
            ImageFailure.TOO_MANY_PIXELS,
        )


def _webp_canvas_size(head: bytes) -> tuple[int, int] | None:
    """Width and height from the first chunk of a WebP file, which must be VP8X, VP8L or VP8."""
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        return 1 + int.from_bytes(head[24:27], "little"), 1 + int.from_bytes(head[27:30], "little")
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        return int.from_bytes(head[26:28], "little") & 0x3FFF, int.from_bytes(head[28:30], "little") & 0x3FFF
    return None


def _frame_count(image: ImageFile.ImageFile, image_format: ImageFormat) -> int:
    if image_format.name == "JPEG":
        return 1  # an MPO's further pictures are previews or depth maps, not frames
    try:
        # Counting GIF frames walks their headers without decoding them.
        return int(getattr(image, "n_frames", 1))
    except _BOMB as error:
        raise ImageRejected(
            f"The {image_format.label} image is too large to process.", ImageFailure.TOO_MANY_PIXELS
        ) from error
    except _MALFORMED as error:
        raise ImageRejected(
            f"The {image_format.label} image is damaged or incomplete.", ImageFailure.IMAGE_DAMAGED
        ) from error


def _decode_first_frame(image: ImageFile.ImageFile, image_format: ImageFormat) -> None:
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # With it set, Pillow pads a truncated image with grey instead of failing: we could
        # no longer tell a whole image from half of one.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is set; images cannot be checked")
    try:
        image.load()
    except _BOMB as error:
        raise ImageRejected(
            f"The {image_format.label} image is too large to process.", ImageFailure.TOO_MANY_PIXELS
        ) from error
    except _MALFORMED as error:
        raise ImageRejected(
            f"The {image_format.label} image is damaged or incomplete.", ImageFailure.IMAGE_DAMAGED
        ) from error


def _orientation(image: Image.Image) -> int:
    # getexif() also finds an orientation given only in XMP, as exif_transpose does.
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    return orientation if isinstance(orientation, int) else 1


class Imaging:
    """The checks, thumbnails and model inputs above, within one pixel budget (an ``ImageProcessing``)."""

    def __init__(self, max_pixels: int = MAX_PIXELS) -> None:
        self._max_pixels = max_pixels

    def inspect(self, data: bytes) -> ImageInfo:
        return inspect_image(data, max_pixels=self._max_pixels)

    def thumbnail(self, data: bytes) -> bytes:
        return make_thumbnail(data, max_pixels=self._max_pixels)

    def model_input(self, data: bytes, max_side: int) -> EncodedImage:
        return model_input(data, max_side, max_pixels=self._max_pixels)
