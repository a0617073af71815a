"""A local stand-in for Gemini's image model: ``generateContent`` with Google's shapes.

It checks what Google checks (the method, the ``x-goog-api-key`` header, the request's
shape, the aspect ratio) and answers the way Google answers: an image reply with a text
part and an ``inlineData`` PNG, a refusal as HTTP 200 with ``promptFeedback.blockReason``
and no candidates (for any prompt containing the word "forbidden"), and errors as
``{"error": {"code", "message", "status"}}``. Faults can be injected (``fail_next``) so the
retry paths of the real client can be exercised against it, locally and in tests.

The picture (``draw``) is made from the prompt alone, deterministically: a sky, a sun or a
moon, hills, and the prompt written on it, so a person looking at the console can tell
which prompt an image came from, and a test can compare bytes.
"""

from __future__ import annotations

import base64
import colorsys
import hashlib
import hmac
import io
import json
import math
import re
import threading
from typing import Any, Final

from PIL import Image, ImageDraw, ImageFont
from werkzeug.wrappers import Request, Response

DEFAULT_MODEL: Final = "gemini-2.5-flash-image"

# Google's list, kept here rather than imported from the service: the stand-in plays Google,
# so a mistake in our client's list must not be mirrored by it.
ASPECT_RATIOS: Final = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")

# Gemini bills every generated image as 1290 output tokens.
IMAGE_TOKENS: Final = 1290

_FORBIDDEN = re.compile(r"\bforbidden\b", re.IGNORECASE)

# google.rpc.Code names and the messages Google sends with them.
_STATUS_NAMES: Final = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "Request is missing required authentication credential."),
    403: ("PERMISSION_DENIED", "The caller does not have permission."),
    404: ("NOT_FOUND", "Requested entity was not found."),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: ("INTERNAL", "An internal error has occurred. Please retry or report the problem."),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
}
_MISSING_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
_WRONG_KEY = "API key not valid. Please pass a valid API key."


def google_error(code: int, message: str | None = None, status: str | None = None) -> Response:
    """A response in Google's error shape: ``{"error": {"code", "message", "status"}}``."""
    name, default_message = _STATUS_NAMES.get(code, ("UNKNOWN", "Unknown error."))
    body = {"error": {"code": code, "message": message or default_message, "status": status or name}}
    return _json(body, code)


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=UTF-8")


class LocalGemini:
    """Answers ``generateContent`` calls for one model and one API key, like Gemini does."""

    def __init__(self, api_key: str, model: str = DEFAULT_MODEL) -> None:
        self.api_key = api_key
        self.model = model
        self.calls = 0
        self._faults_left = 0
        self._fault_status = 0
        self._lock = threading.Lock()

    def path(self) -> str:
        """The path of ``generateContent``, relative to the base URL the client is given."""
        return f"/v1beta/models/{self.model}:generateContent"

    def fail_next(self, count: int, status: int) -> None:
        """Answer the next ``count`` calls with ``status`` and Google's error body (replaces any pending)."""
        if count < 0 or not 400 <= status <= 599:
            raise ValueError("fail_next needs a count >= 0 and an error status (400-599)")
        with self._lock:
            self._faults_left, self._fault_status = count, status

    def clear_faults(self) -> None:
        """Forget pending faults: the next call is answered normally."""
        self.fail_next(0, 500)

    @property
    def pending_faults(self) -> int:
        """How many calls are still going to fail."""
        with self._lock:
            return self._faults_left

    def handle(self, request: Request) -> Response:
        """Answer one ``generateContent`` request."""
        with self._lock:
            # Counted first, whatever the outcome: tests assert how many calls a client made.
            self.calls += 1
            fault = self._fault_status if self._faults_left > 0 else None
            if fault is not None:
                self._faults_left -= 1
        if fault is not None:
            return google_error(fault)
        if request.method != "POST":
            return google_error(405, f"Method {request.method} is not allowed; use POST.", "INVALID_ARGUMENT")
        if not request.path.endswith(f"/models/{self.model}:generateContent"):
            return google_error(
                404, f"{request.path} is not found for API version v1beta, or is not supported."
            )
        key = request.headers.get("x-goog-api-key")
        if not key:
            return google_error(401, _MISSING_KEY)
        if not hmac.compare_digest(key.encode(), self.api_key.encode()):
            return google_error(403, _WRONG_KEY)

        parsed = _parse(request.get_data())
        if isinstance(parsed, Response):
            return parsed
        prompt, aspect_ratio = parsed
        usage = {"promptTokenCount": max(1, len(prompt.split()))}
        if _FORBIDDEN.search(prompt):
            return _json({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": usage})

        png = draw(prompt, aspect_ratio or "1:1")
        usage |= {
            "candidatesTokenCount": IMAGE_TOKENS,
            "totalTokenCount": usage["promptTokenCount"] + IMAGE_TOKENS,
        }
        reply = {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"text": "Here is your image."},
                            {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(png).decode()}},
                        ],
                    },
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": usage,
            "modelVersion": self.model,
        }
        return _json(reply)


def _parse(raw: bytes) -> tuple[str, str | None] | Response:
    """(prompt, aspect ratio) from a request body, or the 400 Google would answer."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return google_error(400, "Invalid JSON payload received.")
    if not isinstance(body, dict):
        return google_error(400, "Invalid JSON payload received. Expected an object.")
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents or not isinstance(contents[0], dict):
        return google_error(400, "* GenerateContentRequest.contents: contents is not specified")
    parts = contents[0].get("parts")
    if not isinstance(parts, list) or not all(isinstance(part, dict) for part in parts):
        return google_error(
            400, "* GenerateContentRequest.contents[0].parts: contents.parts must not be empty."
        )
    texts = [part.get("text") for part in parts if "text" in part]
    if not all(isinstance(text, str) for text in texts):
        return google_error(400, "Invalid value at 'contents[0].parts[0].text': expected a string.")
    prompt = " ".join(str(text) for text in texts).strip()
    if not prompt:
        return google_error(400, "* GenerateContentRequest.contents[0].parts: a text prompt is required.")

    config = body.get("generationConfig")
    modalities = config.get("responseModalities") if isinstance(config, dict) else None
    if not isinstance(config, dict) or not isinstance(modalities, list) or "IMAGE" not in modalities:
        return google_error(400, "This model only supports responseModalities that include IMAGE.")
    image_config = config.get("imageConfig")
    if image_config is None:
        return prompt, None
    if not isinstance(image_config, dict):
        return google_error(400, "Invalid value at 'generation_config.image_config': expected an object.")
    ratio = image_config.get("aspectRatio")
    if ratio is not None and ratio not in ASPECT_RATIOS:
        return google_error(
            400, f"Unsupported aspect ratio {str(ratio)[:20]!r}; use one of {', '.join(ASPECT_RATIOS)}."
        )
    return prompt, ratio


def image_size(aspect_ratio: str, long_side: int = 1024) -> tuple[int, int]:
    """(width, height) of an image of ``aspect_ratio`` whose longer side is ``long_side``."""
    if aspect_ratio not in ASPECT_RATIOS:
        raise ValueError(f"Unsupported aspect ratio {aspect_ratio!r}")
    across, down = (int(side) for side in aspect_ratio.split(":"))
    if across >= down:
        return long_side, round(long_side * down / across)
    return round(long_side * across / down), long_side


def _colour(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def draw(prompt: str, aspect_ratio: str = "1:1", long_side: int = 1024) -> bytes:
    """A PNG picture of ``prompt``: the same prompt and ratio always give the same bytes."""
    width, height = image_size(aspect_ratio, long_side)
    seed = hashlib.sha256(prompt.encode()).digest()

    def unit(index: int) -> float:  # a number in [0, 1) from the prompt's hash
        return seed[index % len(seed)] / 256

    hue = unit(0)
    night = seed[1] % 4 == 0
    # Sky: a vertical gradient between two related colours (a 256 px ramp, resized: fast).
    if night:
        top, bottom = _colour(hue + 0.6, 0.7, 0.15), _colour(hue + 0.65, 0.6, 0.45)
    else:
        top, bottom = _colour(hue + 0.55, 0.55, 0.95), _colour(hue + 0.1, 0.35, 1.0)
    ramp = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(
        Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), ramp
    )
    canvas = ImageDraw.Draw(image)

    # A sun or a moon somewhere in the upper part, never cut by the top edge.
    radius = round(min(width, height) * (0.07 + 0.06 * unit(2)))
    halo = round(radius * 1.5)
    cx = round(width * (0.15 + 0.7 * unit(3)))
    cy = halo + round(height * 0.04) + round(height * 0.2 * unit(4))
    if night:
        # A crescent: a disc with a second, offset disc taken out of its mask, so the sky's
        # gradient shows through the bite.
        shade = round(radius * 0.45)
        mask = Image.new("L", (2 * radius + 1, 2 * radius + 1), 0)
        cutter = ImageDraw.Draw(mask)
        cutter.ellipse((0, 0, 2 * radius, 2 * radius), fill=255)
        cutter.ellipse((shade, -shade // 2, 2 * radius + shade, 2 * radius - shade // 2), fill=0)
        image.paste((236, 236, 220), (cx - radius, cy - radius, cx + radius + 1, cy + radius + 1), mask)
    else:
        canvas.ellipse((cx - halo, cy - halo, cx + halo, cy + halo), fill=_colour(0.13, 0.25, 1.0))
        canvas.ellipse(
            (cx - radius, cy - radius, cx + radius, cy + radius),
            fill=_colour(0.12 + 0.05 * unit(5), 0.8, 1.0),
        )

    # Three ranges of hills, paler far away, darker near, each a sum of two sine waves.
    step = max(4, width // 128)
    for layer in range(3):
        base = height * (0.55 + 0.12 * layer)
        amplitude = height * (0.10 - 0.025 * layer) * (0.5 + unit(6 + layer))
        frequency = (1.0 + 3.0 * unit(9 + layer)) * 2 * math.pi / width
        phase = 2 * math.pi * unit(12 + layer)
        ripple = 0.3 * unit(15 + layer)
        points = [
            (
                x,
                base
                - amplitude
                * (math.sin(x * frequency + phase) + ripple * math.sin(x * frequency * 3.7 + phase)),
            )
            for x in range(0, width + step, step)
        ]
        fill = _colour(
            hue + 0.25 + 0.08 * unit(18 + layer),
            0.45 + 0.15 * layer,
            (0.75 - 0.2 * layer) * (0.6 if night else 1.0),
        )
        canvas.polygon([*points, (width, height), (0, height)], fill=fill)

    _caption(canvas, prompt, width, height)
    out = io.BytesIO()
    # compress_level 1: the stand-in is about speed (~4x faster than the default, larger files).
    image.save(out, format="PNG", optimize=False, compress_level=1)
    return out.getvalue()


def _caption(canvas: ImageDraw.ImageDraw, prompt: str, width: int, height: int) -> None:
    """The prompt, wrapped to at most four lines, on a dark band at the bottom."""
    size = max(12, min(width, height) // 22)
    font = ImageFont.load_default(size=size)
    margin = size
    lines: list[str] = []
    for word in prompt.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= width - 2 * margin:
            lines[-1] = candidate
        else:
            lines.append(word)
    if len(lines) > 4:
        lines = [*lines[:3], lines[3] + " …"]
    lines = [_fit(line, font, width - 2 * margin) for line in lines] or [""]
    line_height = round(size * 1.25)
    band_top = height - margin - line_height * len(lines) - margin // 2
    canvas.rectangle((0, band_top, width, height), fill=(20, 20, 28))
    for index, line in enumerate(lines):
        canvas.text(
            (margin, band_top + margin // 2 + index * line_height), line, font=font, fill=(245, 245, 245)
        )


def _fit(line: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, room: float) -> str:
    """``line``, cut short with an ellipsis if a single long word does not fit."""
    if font.getlength(line) <= room:
        return line
    while line and font.getlength(line + "…") > room:
        line = line[:-1]
    return line + "…"
