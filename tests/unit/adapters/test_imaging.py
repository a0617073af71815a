from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest
from PIL import ExifTags, Image, ImageFile

from imagegen.adapters.imaging import (
    THUMBNAIL_SIZE,
    inspect_image,
    make_thumbnail,
    model_input,
    sniff_content_type,
)
from imagegen.models.images import Failure, ImageFailure
from imagegen.services.image_processing import MODEL_INPUT_SIZE, ImageInfo, ImageRejected, model_input_size
from tests import images
from tests.images import BLUE, GREEN, QUADRANTS, RED, close_to

Action = Callable[..., object]  # inspect_image or make_thumbnail
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def corner(image: Image.Image, name: str, inset: int = 3) -> tuple[int, ...]:
    """The pixel just inside a corner (JPEG blurs the very edge of a colour block a little)."""
    x = inset if name.endswith("left") else image.width - 1 - inset
    y = inset if name.startswith("top") else image.height - 1 - inset
    pixel = image.getpixel((x, y))
    assert isinstance(pixel, tuple)
    return pixel


def assert_shows_quadrants(image: Image.Image) -> None:
    for name in CORNERS:
        assert close_to(corner(image, name)[:3], QUADRANTS[name]), (name, corner(image, name))


def never_decode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any decoding of pixels fail the test."""

    def load(self: ImageFile.ImageFile) -> NoReturn:
        raise AssertionError(f"pixels of a {self.size} image were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


@pytest.fixture(scope="module")
def photo_24_megapixels() -> bytes:
    """A 6000x4000 JPEG: slow to encode, so made once."""
    return images.jpeg(6000, 4000)


# --- sniffing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (images.jpeg(), "image/jpeg"),
        (images.png(), "image/png"),
        (images.webp(), "image/webp"),
        (images.webp(lossless=True), "image/webp"),
        (images.animated_gif([RED]), "image/gif"),
        (b"GIF87a" + b"\x00" * 10, "image/gif"),
    ],
)
def test_the_first_bytes_tell_the_content_type(data: bytes, content_type: str) -> None:
    assert sniff_content_type(data[:16]) == content_type


@pytest.mark.parametrize(
    "head",
    [
        b"hello, not an image",
        b"",
        b"\xff\xd8",  # too short to be a JPEG's start
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # RIFF, but audio
        b"BM\x36\x00\x00\x00\x00\x00",  # BMP
        b"II*\x00\x08\x00\x00\x00",  # TIFF
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    ],
)
def test_other_first_bytes_are_no_content_type(head: bytes) -> None:
    assert sniff_content_type(head) is None


# --- inspecting accepted images -------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (images.jpeg(64, 32), ("JPEG", "image/jpeg", 64, 32, 1)),
        (images.png_with_alpha(64, 48), ("PNG", "image/png", 64, 48, 1)),
        (images.webp(64, 48), ("WEBP", "image/webp", 64, 48, 1)),
        (images.webp(64, 48, lossless=True), ("WEBP", "image/webp", 64, 48, 1)),
        (images.webp_with_alpha(64, 48), ("WEBP", "image/webp", 64, 48, 1)),
        (images.animated_gif([RED, GREEN, BLUE], 40, 30), ("GIF", "image/gif", 40, 30, 3)),
        (images.animated_webp([RED, GREEN], 40, 30), ("WEBP", "image/webp", 40, 30, 2)),
        (images.animated_png([RED, GREEN], 40, 30), ("PNG", "image/png", 40, 30, 2)),
        # A JPEG with a second picture (a phone's depth map, a preview) is a JPEG of one frame.
        (images.mpo([RED, GREEN], 40, 30), ("JPEG", "image/jpeg", 40, 30, 1)),
    ],
)
def test_an_image_is_described(data: bytes, expected: tuple[str, str, int, int, int]) -> None:
    image_format, content_type, width, height, frames = expected
    assert inspect_image(data) == ImageInfo(
        format=image_format,
        content_type=content_type,
        width=width,
        height=height,
        size=len(data),
        frames=frames,
    )


@pytest.mark.parametrize("orientation", range(1, 9))
def test_dimensions_are_as_displayed(orientation: int) -> None:
    info = inspect_image(images.jpeg(64, 32, orientation=orientation))
    assert (info.width, info.height) == ((32, 64) if orientation >= 5 else (64, 32))


def test_a_png_orientation_counts_too() -> None:
    data = images.png_with_orientation(64, 32, orientation=6)
    info = inspect_image(data)
    assert (info.width, info.height) == (32, 64)
    thumbnail = opened(make_thumbnail(data))
    assert thumbnail.size == (32, 64)
    assert_shows_quadrants(thumbnail)


def test_a_24_megapixel_photo_is_inspected(photo_24_megapixels: bytes) -> None:
    info = inspect_image(photo_24_megapixels)
    assert (info.format, info.width, info.height, info.frames) == ("JPEG", 6000, 4000, 1)


def test_the_name_of_a_file_plays_no_part(tmp_path: Path) -> None:
    text = tmp_path / "photo.png"
    text.write_bytes(b"hello, not an image")
    with pytest.raises(ImageRejected, match="not a JPEG, PNG, WebP or GIF image"):
        inspect_image(text.read_bytes())
    png = tmp_path / "photo.jpg"
    png.write_bytes(images.png())
    assert inspect_image(png.read_bytes()).format == "PNG"


# --- rejecting ------------------------------------------------------------------------


@pytest.mark.parametrize("action", [inspect_image, make_thumbnail])
@pytest.mark.parametrize(
    "data",
    [
        b"hello, not an image",
        b"",
        images.encode(images.solid(20, 10), "BMP"),
        images.encode(images.solid(20, 10), "TIFF"),
    ],
)
def test_what_is_not_an_accepted_image_is_rejected(action: Action, data: bytes) -> None:
    with pytest.raises(
        ImageRejected, match=r"^The file is not a JPEG, PNG, WebP or GIF image\.$"
    ) as rejected:
        action(data)
    assert rejected.value.failure.code is ImageFailure.NOT_AN_IMAGE


@pytest.mark.parametrize("action", [inspect_image, make_thumbnail])
@pytest.mark.parametrize(
    ("data", "label"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"garbage, " * 20, "PNG"),
        (b"\xff\xd8\xff" + b"garbage, " * 20, "JPEG"),
        (b"RIFF\x00\x01\x00\x00WEBPVP8 " + b"garbage, " * 20, "WebP"),
        (b"GIF89a" + images.jpeg()[6:], "GIF"),  # a GIF signature on a JPEG's body
        (b"GIF89a" + images.png()[6:], "GIF"),
    ],
)
def test_a_file_that_only_starts_like_an_image_is_rejected(action: Action, data: bytes, label: str) -> None:
    with pytest.raises(ImageRejected, match=rf"^The {label} image is damaged or incomplete\.$") as rejected:
        action(data)
    assert rejected.value.failure.code is ImageFailure.IMAGE_DAMAGED


@pytest.mark.parametrize("action", [inspect_image, make_thumbnail])
def test_a_truncated_jpeg_is_rejected(action: Action) -> None:
    whole = images.jpeg(600, 400)
    assert inspect_image(whole).format == "JPEG"
    half = whole[: len(whole) // 2]
    assert sniff_content_type(half) == "image/jpeg"
    with pytest.raises(ImageRejected, match=r"^The JPEG image is damaged or incomplete\.$") as rejected:
        action(half)
    # Pillow (checking) and libjpeg through libvips (shrinking) each say so in their words.
    assert re.search(r"truncated|premature end", str(rejected.value.__cause__))


@pytest.mark.parametrize(
    ("whole", "label"),
    [
        (images.png_with_alpha(600, 400), "PNG"),
        (images.webp(600, 400), "WebP"),
        (images.animated_gif([RED, GREEN], 600, 400), "GIF"),
    ],
)
def test_other_truncated_images_are_rejected(whole: bytes, label: str) -> None:
    for data in (whole[: len(whole) // 2], whole[:40]):
        with pytest.raises(ImageRejected, match=rf"^The {label} image is damaged or incomplete\.$"):
            inspect_image(data)
        with pytest.raises(ImageRejected):
            make_thumbnail(data)


def test_truncated_images_are_not_quietly_padded(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pillow's process-wide switch would pad a truncated image with grey: refuse to vouch then.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        inspect_image(images.jpeg())


# --- pixel budget and decompression bombs ---------------------------------------------


@pytest.mark.parametrize("action", [inspect_image, make_thumbnail])
def test_a_decompression_bomb_is_rejected_from_its_header(
    action: Action, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = images.decompression_bomb_png(20_000, 20_000)
    assert len(bomb) < 100_000  # 400 million pixels in a few dozen KB
    never_decode(monkeypatch)
    with pytest.raises(ImageRejected) as rejected:
        action(bomb)
    assert rejected.value.failure == Failure(
        ImageFailure.TOO_MANY_PIXELS,
        "The image is 20000x20000, 400,000,000 pixels: more than the 40,000,000 accepted.",
    )
    # Our check, not Pillow's DecompressionBombError (which it raises above 2x its limit).
    assert rejected.value.__cause__ is None


def test_the_bomb_maker_makes_real_pngs() -> None:
    small = images.decompression_bomb_png(300, 200)
    assert inspect_image(small) == ImageInfo("PNG", "image/png", 300, 200, len(small), 1)
    assert opened(make_thumbnail(small)).getpixel((0, 0)) == (0, 0, 0)


@pytest.mark.parametrize("action", [inspect_image, make_thumbnail])
def test_an_image_pillow_would_only_warn_about_is_rejected_by_the_budget(
    action: Action, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 100 Mpx: above Pillow's default limit (89.5 Mpx) but below twice it, where Pillow only warns.
    assert Image.MAX_IMAGE_PIXELS is not None
    assert Image.MAX_IMAGE_PIXELS < 100_000_000 < 2 * Image.MAX_IMAGE_PIXELS
    never_decode(monkeypatch)
    with pytest.raises(ImageRejected, match=r"100,000,000 pixels: more than the 40,000,000 accepted"):
        action(images.decompression_bomb_png(10_000, 10_000))


def test_the_budget_is_width_times_height_inclusive() -> None:
    data = images.png(300, 200)
    assert inspect_image(data, max_pixels=60_000).width == 300
    assert opened(make_thumbnail(data, max_pixels=60_000)).size == (300, 200)
    for action in (inspect_image, make_thumbnail):
        with pytest.raises(
            ImageRejected, match=r"^The image is 300x200, 60,000 pixels: more than the 59,999 "
        ):
            action(data, max_pixels=59_999)


def test_a_webp_canvas_is_checked_before_libwebp_allocates_it(monkeypatch: pytest.MonkeyPatch) -> None:
    never_decode(monkeypatch)
    with pytest.raises(ImageRejected, match=r"^The image is 16000x16000, 256,000,000 pixels") as rejected:
        inspect_image(images.webp_claiming_canvas(16_000, 16_000))
    assert rejected.value.__cause__ is None  # not Pillow's DecompressionBombError
    with pytest.raises(ImageRejected, match=r"^The image is 8000x6000, 48,000,000 pixels"):
        make_thumbnail(images.webp_claiming_canvas(8000, 6000))


def test_a_lower_pillow_limit_still_caps_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(ImageRejected, match=r"15,000 pixels: more than the 10,000 accepted"):
        inspect_image(images.png(150, 100), max_pixels=1_000_000)


@pytest.mark.parametrize("action", [inspect_image, make_thumbnail])
def test_pillows_bomb_warning_cannot_pass_silently(action: Action, monkeypatch: pytest.MonkeyPatch) -> None:
    # A GIF's first frame may be larger than its screen: Pillow grows the image while
    # reading the header and checks the grown size itself, before we see it. 200x200 is
    # between 1x and 2x of this limit, where Pillow would only warn, and would decode.
    data = images.gif_with_oversized_frame(screen=(10, 10), frame=(200, 200))
    assert inspect_image(data).width == 200  # under the default limit, the frame is the image
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 30_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a caller (or a runtime) that ignores every warning
        with pytest.raises(ImageRejected, match=r"^The GIF image is too large to process\.$") as rejected:
            action(data)
    assert isinstance(rejected.value.__cause__, Image.DecompressionBombWarning)
    assert rejected.value.failure.code is ImageFailure.TOO_MANY_PIXELS


def pillow_state() -> tuple[object, ...]:
    return list(warnings.filters), Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES


def test_pillows_settings_and_warning_filters_are_left_as_they_were() -> None:
    before = pillow_state()
    inspect_image(images.jpeg())
    make_thumbnail(images.animated_gif([RED, GREEN]))
    with pytest.raises(ImageRejected):
        inspect_image(images.decompression_bomb_png(20_000, 20_000))
    with pytest.raises(ImageRejected):
        make_thumbnail(images.png()[:60])
    assert pillow_state() == before


# --- thumbnails -----------------------------------------------------------------------


def test_a_thumbnail_is_webp() -> None:
    thumbnail = make_thumbnail(images.jpeg())
    assert sniff_content_type(thumbnail) == "image/webp"
    assert opened(thumbnail).format == "WEBP"


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_thumbnail_is_upright(orientation: int) -> None:
    source = images.jpeg(64, 32, orientation=orientation)
    stored = opened(source)
    assert stored.size == (64, 32)
    assert stored.getexif()[ExifTags.Base.Orientation] == orientation
    thumbnail = opened(make_thumbnail(source))
    assert thumbnail.size == ((32, 64) if orientation >= 5 else (64, 32))
    assert_shows_quadrants(thumbnail)


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_a_large_turned_photo_is_reduced_then_upright(orientation: int) -> None:
    # Large enough for JPEG draft decoding, which works on the stored (unturned) image.
    thumbnail = opened(make_thumbnail(images.jpeg(2000, 1000, orientation=orientation)))
    assert thumbnail.size == ((256, 512) if orientation >= 5 else (512, 256))
    assert_shows_quadrants(thumbnail)


def test_a_24_megapixel_photo_makes_a_512_pixel_thumbnail(photo_24_megapixels: bytes) -> None:
    thumbnail = opened(make_thumbnail(photo_24_megapixels))
    # 4000 x 512 / 6000 = 341.3: Pillow keeps the aspect ratio closest, 512x341.
    assert thumbnail.size == (THUMBNAIL_SIZE, 341)
    assert thumbnail.mode == "RGB"
    assert_shows_quadrants(thumbnail)


def test_a_small_image_is_not_enlarged() -> None:
    assert opened(make_thumbnail(images.jpeg(300, 200))).size == (300, 200)


def test_the_longest_side_can_be_chosen() -> None:
    assert opened(make_thumbnail(images.png(300, 200), max_side=100)).size == (100, 67)
    assert opened(make_thumbnail(images.png(200, 300), max_side=100)).size == (67, 100)
    with pytest.raises(ValueError, match="max_side"):
        make_thumbnail(images.png(), max_side=0)


def test_a_thumbnail_carries_no_metadata() -> None:
    source = images.jpeg(64, 32, orientation=6, gps=True)
    original = opened(source)
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the source does give away a position
    assert {"exif", "xmp", "icc_profile"} <= original.info.keys()
    data = make_thumbnail(source)
    thumbnail = opened(data)
    assert dict(thumbnail.getexif()) == {}
    assert not {"exif", "xmp", "icc_profile"} & thumbnail.info.keys()
    for chunk in (b"EXIF", b"XMP ", b"ICCP"):
        assert chunk not in data
    assert_shows_quadrants(thumbnail)  # and it was turned upright before the EXIF went


def test_transparency_is_kept() -> None:
    thumbnail = opened(make_thumbnail(images.png_with_alpha(64, 48)))
    assert thumbnail.mode == "RGBA"
    assert corner(thumbnail, "top-left")[3] == 0
    assert close_to(corner(thumbnail, "top-right"), (*RED, 255))


def test_transparency_of_a_webp_is_kept() -> None:
    thumbnail = opened(make_thumbnail(images.webp_with_alpha(64, 48)))
    assert thumbnail.mode == "RGBA"
    assert corner(thumbnail, "bottom-left")[3] == 0
    assert close_to(corner(thumbnail, "bottom-right"), (*BLUE, 255))


@pytest.mark.parametrize(
    ("data", "color"),
    [
        (images.webp(64, 48, GREEN), GREEN),
        (images.webp(64, 48, GREEN, lossless=True), GREEN),
        (images.png(64, 48, "L", 255), (255, 255, 255)),
        (images.png(64, 48, "1", 0), (0, 0, 0)),
    ],
)
def test_an_opaque_image_makes_an_rgb_thumbnail(data: bytes, color: tuple[int, int, int]) -> None:
    thumbnail = opened(make_thumbnail(data))
    assert thumbnail.mode == "RGB"
    assert close_to(corner(thumbnail, "top-left"), color)


def test_an_animated_gif_makes_a_thumbnail_of_its_first_frame() -> None:
    thumbnail = opened(make_thumbnail(images.animated_gif([GREEN, RED, BLUE])))
    assert getattr(thumbnail, "n_frames", 1) == 1
    assert close_to(corner(thumbnail, "top-left"), GREEN)


def test_an_animated_webp_makes_a_thumbnail_of_its_first_frame() -> None:
    thumbnail = opened(make_thumbnail(images.animated_webp([BLUE, RED])))
    assert getattr(thumbnail, "n_frames", 1) == 1
    assert close_to(corner(thumbnail, "top-left"), BLUE)


def test_a_jpeg_with_more_pictures_makes_a_thumbnail_of_the_first() -> None:
    data = images.mpo([BLUE, RED])
    assert opened(data).format == "MPO"
    assert close_to(corner(opened(make_thumbnail(data)), "top-left"), BLUE)


def test_a_palette_png_makes_a_true_colour_thumbnail() -> None:
    thumbnail = opened(make_thumbnail(images.palette_png()))
    assert thumbnail.mode == "RGB"
    assert close_to(corner(thumbnail, "top-left"), RED)
    assert close_to(corner(thumbnail, "top-right"), BLUE)


def test_a_palette_png_with_a_transparent_colour_keeps_it() -> None:
    thumbnail = opened(make_thumbnail(images.palette_png(transparent=True)))
    assert thumbnail.mode == "RGBA"
    assert corner(thumbnail, "top-left")[3] == 0
    assert close_to(corner(thumbnail, "top-right"), (*BLUE, 255))


def test_a_cmyk_jpeg_makes_an_rgb_thumbnail_of_the_same_colour() -> None:
    data = images.cmyk_jpeg((255, 0, 0, 0))
    assert opened(data).mode == "CMYK"
    assert inspect_image(data).format == "JPEG"
    thumbnail = opened(make_thumbnail(data))
    assert thumbnail.mode == "RGB"
    # libvips converts through a CMYK profile (a file without its own gets libvips' built-in one):
    # full cyan ink shows as the cyan of print, not as the screen's pure (0, 255, 255).
    red, green, blue = corner(thumbnail, "top-left")
    assert red < 30 < 120 < green < blue


@pytest.mark.parametrize(("level", "grey"), [(0, 0), (32768, 128), (65535, 255)])
def test_a_16_bit_png_is_scaled_to_8_bits_not_clipped(level: int, grey: int) -> None:
    data = images.sixteen_bit_png(level)
    assert opened(data).mode == "I;16"
    thumbnail = opened(make_thumbnail(data))
    assert thumbnail.mode == "RGB"
    assert close_to(corner(thumbnail, "top-left"), (grey, grey, grey), tolerance=4)


# ---------------------------------------------------------------------------------------------
# model_input: what the image model is given of an input image


def test_a_large_photo_is_given_to_the_model_downscaled_as_jpeg(photo_24_megapixels: bytes) -> None:
    given = model_input(photo_24_megapixels)

    assert (given.content_type, given.width, given.height) == ("image/jpeg", MODEL_INPUT_SIZE, 1024)
    assert opened(given.data).size == (MODEL_INPUT_SIZE, 1024)
    assert len(given.data) < len(photo_24_megapixels) / 4


@pytest.mark.parametrize("orientation", [6, 8])
def test_the_model_is_given_the_photo_upright_without_its_metadata(orientation: int) -> None:
    given = opened(model_input(images.jpeg(64, 32, orientation=orientation, gps=True)).data)

    assert given.size == (32, 64)
    for name in CORNERS:
        assert close_to(corner(given, name), QUADRANTS[name])
    assert not given.getexif()
    assert "icc_profile" not in given.info


def test_transparency_is_given_as_webp_and_small_images_are_not_enlarged() -> None:
    given = model_input(images.png_with_alpha(64, 48))

    assert (given.content_type, given.width, given.height) == ("image/webp", 64, 48)
    assert opened(given.data).mode == "RGBA"


def test_an_alpha_channel_that_hides_nothing_is_given_as_jpeg() -> None:
    opaque = images.encode(images.solid(64, 48).convert("RGBA"), "PNG")

    assert model_input(opaque).content_type == "image/jpeg"


def test_many_inputs_are_each_given_fewer_pixels() -> None:
    assert [model_input_size(count) for count in (1, 4, 5, 14)] == [1536, 1536, 1024, 1024]


@pytest.mark.parametrize(
    "data", [images.animated_gif([RED, BLUE]), images.webp(80, 60, GREEN), images.palette_png()]
)
def test_formats_the_model_does_not_take_are_converted(data: bytes) -> None:
    given = model_input(data)

    assert given.content_type in ("image/jpeg", "image/png")
    assert opened(given.data).format in ("JPEG", "PNG")


def test_what_is_not_an_image_is_not_given_to_the_model() -> None:
    with pytest.raises(ImageRejected):
        model_input(b"<html>not an image</html>")
    with pytest.raises(ImageRejected, match="more than"):
        model_input(images.decompression_bomb_png(20_000, 20_000), max_pixels=1_000_000)
