"""Real image files, made in memory for tests (no binary fixtures in the repository).

Plain functions returning the bytes of a file, so any test can use them. Colours are flat
so that lossy formats keep them recognisable: compare with ``close_to``.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from PIL import ExifTags, Image, ImageCms

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)

Color = tuple[int, int, int]

# The picture ``jpeg`` shows once displayed upright: four quadrants of different colours,
# so that any rotation or mirror of it is told apart by its corners.
QUADRANTS: dict[str, Color] = {
    "top-left": RED,
    "top-right": GREEN,
    "bottom-left": BLUE,
    "bottom-right": WHITE,
}

GPS_POSITION = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (51.0, 30.0, 26.0),
    ExifTags.GPS.GPSLongitudeRef: "W",
    ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0),
}
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Ada"/></rdf:RDF></x:xmpmeta>'
)


def close_to(actual: Any, expected: tuple[int, ...], tolerance: int = 40) -> bool:
    """Whether a pixel is ``expected`` give or take lossy compression."""
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def encode(image: Image.Image, image_format: str, **params: Any) -> bytes:
    """The bytes of ``image`` saved as ``image_format``."""
    output = io.BytesIO()
    image.save(output, image_format, **params)
    return output.getvalue()


def displayed_position(x: int, y: int, orientation: int, width: int, height: int) -> tuple[int, int]:
    """Where the stored pixel (x, y) of a ``width`` x ``height`` image shows, per EXIF orientation.

    Straight from the EXIF specification's definition of the tag (where the stored row 0
    and column 0 end up), independent of how Pillow implements it.
    """
    return {
        1: (x, y),  # row 0 top, column 0 left
        2: (width - 1 - x, y),  # row 0 top, column 0 right
        3: (width - 1 - x, height - 1 - y),  # row 0 bottom, column 0 right
        4: (x, height - 1 - y),  # row 0 bottom, column 0 left
        5: (y, x),  # row 0 left, column 0 top
        6: (height - 1 - y, x),  # row 0 right, column 0 top
        7: (height - 1 - y, width - 1 - x),  # row 0 right, column 0 bottom
        8: (y, width - 1 - x),  # row 0 left, column 0 bottom
    }[orientation]


def quadrant_picture(width: int, height: int, orientation: int = 1) -> Image.Image:
    """Stored pixels that show as ``QUADRANTS`` once EXIF ``orientation`` is applied."""
    names = {(0, 0): "top-left", (1, 0): "top-right", (0, 1): "bottom-left", (1, 1): "bottom-right"}
    grid = Image.new("RGB", (2, 2))
    for x in range(2):
        for y in range(2):
            grid.putpixel((x, y), QUADRANTS[names[displayed_position(x, y, orientation, 2, 2)]])
    return grid.resize((width, height), Image.Resampling.NEAREST)


def exif_block(orientation: int = 1, gps: bool = False) -> Image.Exif:
    """EXIF with an orientation and, if asked, a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Test camera"
    if gps:
        exif[ExifTags.IFD.GPSInfo] = GPS_POSITION
    return exif


def jpeg(
    width: int = 64, height: int = 32, orientation: int = 1, gps: bool = False, quality: int = 90
) -> bytes:
    """A JPEG showing ``QUADRANTS`` when displayed upright, stored turned as EXIF ``orientation`` says.

    Stored ``width`` x ``height``, so orientations 5 to 8 display ``height`` x ``width``.
    With ``gps``, the EXIF also holds a GPS position, and the file an XMP packet and an
    ICC profile: all the metadata a thumbnail must not carry.
    """
    params: dict[str, Any] = {"quality": quality, "exif": exif_block(orientation, gps).tobytes()}
    if gps:
        params["xmp"] = XMP
        params["icc_profile"] = srgb_profile()
    return encode(quadrant_picture(width, height, orientation), "JPEG", **params)


def srgb_profile() -> bytes:
    """The bytes of an sRGB ICC profile."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def png(width: int = 64, height: int = 48, mode: str = "RGB", color: Any = RED, **params: Any) -> bytes:
    """A PNG of one colour, in any mode Pillow writes to PNG."""
    return encode(Image.new(mode, (width, height), color), "PNG", **params)


def png_with_alpha(width: int = 64, height: int = 48) -> bytes:
    """An RGBA PNG: the left half fully transparent, the right half opaque red."""
    image = Image.new("RGBA", (width, height), (*RED, 255))
    image.paste((0, 0, 0, 0), (0, 0, width // 2, height))
    return encode(image, "PNG")


def png_with_orientation(width: int = 64, height: int = 32, orientation: int = 6) -> bytes:
    """A PNG showing ``QUADRANTS`` upright, turned as its eXIf chunk's ``orientation`` says."""
    return encode(quadrant_picture(width, height, orientation), "PNG", exif=exif_block(orientation).tobytes())


def palette_png(transparent: bool = False) -> bytes:
    """A palette ("P") PNG: left half red, right half blue; with ``transparent``, red is transparent."""
    image = Image.new("P", (64, 48), 0)
    image.putpalette([*RED, *BLUE])
    image.paste(1, (32, 0, 64, 48))
    return encode(image, "PNG", **({"transparency": 0} if transparent else {}))


def sixteen_bit_png(value: int = 32768) -> bytes:
    """A 16-bit greyscale ("I;16") PNG of one level: 32768 is mid-grey."""
    return encode(Image.new("I;16", (64, 48), value), "PNG")


def cmyk_jpeg(cmyk: tuple[int, int, int, int] = (255, 0, 0, 0)) -> bytes:
    """A CMYK JPEG (Adobe style) of one colour, by default pure cyan."""
    return encode(Image.new("CMYK", (64, 48), cmyk), "JPEG", quality=95)


def webp(width: int = 64, height: int = 48, color: Color = GREEN, lossless: bool = False) -> bytes:
    """A WebP of one colour (lossy "VP8 ", or lossless "VP8L")."""
    return encode(Image.new("RGB", (width, height), color), "WEBP", lossless=lossless)


def webp_with_alpha(width: int = 64, height: int = 48) -> bytes:
    """A lossy WebP with transparency, so an extended one ("VP8X" header): left half transparent."""
    image = Image.new("RGBA", (width, height), (*BLUE, 255))
    image.paste((0, 0, 0, 0), (0, 0, width // 2, height))
    return encode(image, "WEBP")


def animated_gif(colors: list[Color], width: int = 40, height: int = 30) -> bytes:
    """An animated GIF with one frame of each colour."""
    frames = [Image.new("RGB", (width, height), color) for color in colors]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def animated_webp(colors: list[Color], width: int = 40, height: int = 30) -> bytes:
    """An animated WebP with one frame of each colour."""
    frames = [Image.new("RGB", (width, height), color) for color in colors]
    return encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, loop=0)


def animated_png(colors: list[Color], width: int = 40, height: int = 30) -> bytes:
    """An animated PNG (APNG) with one frame of each colour."""
    frames = [Image.new("RGB", (width, height), color) for color in colors]
    return encode(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100)


def mpo(colors: list[Color], width: int = 40, height: int = 30) -> bytes:
    """A JPEG carrying further pictures (MPO, as phones write), one picture of each colour."""
    pictures = [Image.new("RGB", (width, height), color) for color in colors]
    return encode(pictures[0], "MPO", save_all=True, append_images=pictures[1:])


def gif_with_oversized_frame(screen: tuple[int, int], frame: tuple[int, int]) -> bytes:
    """A GIF whose logical screen is ``screen`` but whose first frame is the larger ``frame``.

    Pillow grows the image to the frame while reading the header, and runs its own
    decompression-bomb check on the grown size there, before any caller can look.
    """
    data = bytearray(encode(Image.new("L", frame, 128), "GIF"))
    data[6:10] = struct.pack("<HH", *screen)
    return bytes(data)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def decompression_bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit black PNG of ``width`` x ``height``: a few KB that decode to width x height pixels.

    Written chunk by chunk rather than with Pillow, which would first allocate the whole
    image (a byte per pixel) just to save it.
    """
    row = b"\x00" * (1 + (width + 7) // 8)  # filter type 0, then the packed bits
    compressor = zlib.compressobj(9)
    rows_per_block = max(1, (1 << 20) // len(row))
    compressed = []
    for start in range(0, height, rows_per_block):
        compressed.append(compressor.compress(row * min(rows_per_block, height - start)))
    compressed.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(compressed))
        + _png_chunk(b"IEND", b"")
    )


def webp_claiming_canvas(width: int, height: int) -> bytes:
    """An extended WebP whose VP8X header claims a ``width`` x ``height`` canvas (the data is small)."""
    data = bytearray(webp_with_alpha())
    assert data[12:16] == b"VP8X"
    data[24:27] = (width - 1).to_bytes(3, "little")
    data[27:30] = (height - 1).to_bytes(3, "little")
    return bytes(data)


def solid(width: int, height: int, color: Color = RED) -> Image.Image:
    """A picture of one colour, to encode in any format."""
    return Image.new("RGB", (width, height), color)
