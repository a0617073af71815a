"""A local stand-in for Gemini's image models: ``generateContent`` with Google's shapes and checks.

It serves the image models Google serves today (``SERVED_MODELS``, written from Google's model
pages and kept apart from the service's catalog on purpose: the stand-in plays Google, so a
mistake in our catalog must not be mirrored by it) and answers like Google for anything else:

* 404 ``NOT_FOUND`` for a model id Google has shut down or never had;
* 400 ``INVALID_ARGUMENT`` for an image size, aspect ratio or number of input images the model
  does not take, a malformed conversation, a model turn whose image carries no
  ``thoughtSignature`` or one the model did not issue, a request over 20 MB;
* 401/403 for a missing or wrong ``x-goog-api-key``;
* a refusal as HTTP 200 with ``promptFeedback.blockReason`` and no candidates, for any prompt
  containing the word "forbidden";
* faults on demand (``fail_next``), so the retry paths of the real client can be exercised.

Its images have the requested ratio and size class (about 1, 4 and 16 megapixels for 1K, 2K
and 4K, as Google's: a square 1K image is 1024x1024, a 16:9 one 1376x768). Without input
images it draws a landscape from the prompt; with them, it paints the image being edited
(the model's own last image in the conversation, else the first input image) over the whole
canvas and the other inputs as tiles along the top (``reference_tiles``), so a test can tell
which inputs were used. The prompt is written on a band at the bottom. Every reply part
carries a ``thoughtSignature`` that only this model accepts back.

``requests(limit)`` is what it was sent, newest first, images summarized (type, size, bytes).
"""

from __future__ import annotations

import base64
import binascii
import collections
import colorsys
import hashlib
import hmac
import io
import json
import math
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError
from werkzeug.wrappers import Request, Response

TEN_RATIOS: Final = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
FOURTEEN_RATIOS: Final = (*TEN_RATIOS, "1:4", "4:1", "1:8", "8:1")


@dataclass(frozen=True)
class ServedModel:
    """What Google's model takes: image sizes, aspect ratios, input images per request."""

    sizes: tuple[str, ...]
    ratios: tuple[str, ...]
    max_images: int


# Google's image models as of November 2026 (../shared/FACTS.md, Google's model pages).
SERVED_MODELS: Final = {
    "gemini-nano-banana-2.1": ServedModel(("1K", "2K", "4K"), FOURTEEN_RATIOS, 14),
    "gemini-3-pro-image": ServedModel(("1K", "2K", "4K"), TEN_RATIOS, 14),
    "gemini-3.1-flash-lite-image": ServedModel(("1K",), FOURTEEN_RATIOS, 14),
}
# Shut down by Google: answered 404 like any id it never had (listed for the reader and the tests).
RETIRED_MODELS: Final = (
    "gemini-2.5-flash-image",
    "gemini-2.5-flash-image-preview",
    "gemini-3-pro-image-preview",
    "gemini-3.1-flash-image-preview",
    "gemini-3.1-flash-image",
)

# Google's 1K sizes for its ten classic ratios; the others are derived (about 1 megapixel,
# multiples of 16). 2K and 4K are twice and four times each side.
_ONE_K: Final = {
    "1:1": (1024, 1024),
    "2:3": (848, 1264),
    "3:2": (1264, 848),
    "3:4": (896, 1200),
    "4:3": (1200, 896),
    "4:5": (928, 1152),
    "5:4": (1152, 928),
    "9:16": (768, 1376),
    "16:9": (1376, 768),
    "21:9": (1584, 672),
}
_SCALE: Final = {"1K": 1, "2K": 2, "4K": 4}
# Output tokens Google bills per image, by size.
IMAGE_TOKENS: Final = {"1K": 1120, "2K": 1680, "4K": 2520}
INPUT_MIME_TYPES: Final = frozenset({"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"})
MAX_REQUEST_BYTES: Final = 20 * 1024 * 1024
REQUEST_LOG_SIZE: Final = 100

_FORBIDDEN = re.compile(r"\bforbidden\b", re.IGNORECASE)
_PATH = re.compile(r"/v1beta/models/(?P<model>[^/:]+):generateContent$")
_RATIO = re.compile(r"^(?P<across>[1-9][0-9]?):(?P<down>[1-9][0-9]?)$")

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
_BAD_SIGNATURE = "Unable to submit request because Thought signature is not valid."
_MAC_BYTES = 16


def google_error(code: int, message: str | None = None, status: str | None = None) -> Response:
    """A response in Google's error shape: ``{"error": {"code", "message", "status"}}``."""
    name, default_message = _STATUS_NAMES.get(code, ("UNKNOWN", "Unknown error."))
    body = {"error": {"code": code, "message": message or default_message, "status": status or name}}
    return _json(body, code)


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=UTF-8")


def generate_content_path(model: str) -> str:
    """The path of ``generateContent`` for ``model``, relative to the base URL the client is given."""
    return f"/v1beta/models/{model}:generateContent"


def output_size(aspect_ratio: str, image_size: str = "1K") -> tuple[int, int]:
    """(width, height) of an image of ``aspect_ratio`` at ``image_size``, as Google makes them."""
    match = _RATIO.match(aspect_ratio)
    if match is None or image_size not in _SCALE:
        raise ValueError(f"no image size for aspect ratio {aspect_ratio!r} at {image_size!r}")
    scale = _SCALE[image_size]
    if aspect_ratio in _ONE_K:
        width, height = _ONE_K[aspect_ratio]
    else:
        ratio = int(match["across"]) / int(match["down"])
        width = round(math.sqrt(1024 * 1024 * ratio) / 16) * 16
        height = round(math.sqrt(1024 * 1024 / ratio) / 16) * 16
    return width * scale, height * scale


class _Refused(Exception):
    """The request breaks one of Google's rules: answer ``response``."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _invalid(message: str) -> _Refused:
    return _Refused(google_error(400, message))


@dataclass
class _InputImage:
    image: Image.Image
    mime_type: str
    size: int


@dataclass
class _Conversation:
    """A parsed request: the prompt (texts of the last user turn), images, and the log's summary."""

    prompt: str
    user_images: list[_InputImage]
    """Of the last user turn, in order."""
    model_image: _InputImage | None
    """The model's own last image in the conversation (an edit's source, replayed)."""
    image_count: int


class LocalGemini:
    """Answers ``generateContent`` for Google's served image models and one API key, like Gemini does."""

    def __init__(self, api_key: str, models: dict[str, ServedModel] | None = None) -> None:
        self.api_key = api_key
        self.models = dict(SERVED_MODELS if models is None else models)
        self.calls = 0
        self._faults_left = 0
        self._fault_status = 0
        self._signing_key = secrets.token_bytes(32)
        self._log: collections.deque[dict[str, Any]] = collections.deque(maxlen=REQUEST_LOG_SIZE)
        self._lock = threading.Lock()

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

    def requests(self, limit: int = 20) -> list[dict[str, Any]]:
        """The last ``limit`` requests received, newest first: ``{"model", "generationConfig",
        "turns": [{"role", "parts": [...]}], "status"}``, image data summarized, never echoed."""
        with self._lock:
            return list(self._log)[::-1][:limit]

    # ------------------------------------------------------------------ thought signatures
    def sign(self, model: str) -> str:
        """A thought signature only ``model`` of this stand-in accepts back."""
        payload = f"{model}:{secrets.token_hex(8)}".encode()
        mac = hmac.new(self._signing_key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
        return base64.b64encode(payload + b"|" + mac).decode()

    def accepts_signature(self, model: str, signature: str) -> bool:
        """Whether ``signature`` is one this stand-in issued for ``model``."""
        try:
            signed = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            return False
        # payload | 16 bytes of MAC (which may contain "|" itself: split by length, not by separator)
        payload, separator, mac = (
            signed[: -_MAC_BYTES - 1],
            signed[-_MAC_BYTES - 1 : -_MAC_BYTES],
            signed[-_MAC_BYTES:],
        )
        expected = hmac.new(self._signing_key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
        return (
            separator == b"|"
            and hmac.compare_digest(mac, expected)
            and payload.startswith(f"{model}:".encode())
        )

    # ------------------------------------------------------------------ generateContent
    def handle(self, request: Request) -> Response:
        """Answer one ``generateContent`` request (the model is named in the path)."""
        with self._lock:
            # Counted first, whatever the outcome: tests assert how many calls a client made.
            self.calls += 1
            fault = self._fault_status if self._faults_left > 0 else None
            if fault is not None:
                self._faults_left -= 1
        path = _PATH.search(request.path)
        model_id = path["model"] if path else ""
        entry: dict[str, Any] = {"model": model_id, "generationConfig": None, "turns": [], "status": 0}
        response = google_error(fault) if fault is not None else self._answer(request, model_id, entry)
        entry["status"] = response.status_code
        with self._lock:
            self._log.append(entry)
        return response

    def _answer(self, request: Request, model_id: str, entry: dict[str, Any]) -> Response:
        if request.method != "POST":
            return google_error(405, f"Method {request.method} is not allowed; use POST.", "INVALID_ARGUMENT")
        key = request.headers.get("x-goog-api-key")
        if not key:
            return google_error(401, _MISSING_KEY)
        if not hmac.compare_digest(key.encode(), self.api_key.encode()):
            return google_error(403, _WRONG_KEY)
        model = self.models.get(model_id)
        if model is None:
            return google_error(
                404,
                f"models/{model_id[:80]} is not found for API version v1beta, "
                "or is not supported for generateContent.",
            )
        try:
            return self._draw(request, model_id, model, entry)
        except _Refused as refused:
            return refused.response

    def _draw(self, request: Request, model_id: str, model: ServedModel, entry: dict[str, Any]) -> Response:
        raw = request.get_data()
        if len(raw) > MAX_REQUEST_BYTES:
            raise _invalid(f"Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes.")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise _invalid("Invalid JSON payload received.") from error
        if not isinstance(body, dict):
            raise _invalid("Invalid JSON payload received. Expected an object.")
        config = body.get("generationConfig")
        entry["generationConfig"] = config if isinstance(config, dict) else None
        conversation = self._conversation(body.get("contents"), model_id, entry)
        aspect_ratio, image_size = _image_config(config, model)
        if conversation.image_count > model.max_images:
            raise _invalid(
                f"The request has {conversation.image_count} images; "
                f"this model takes at most {model.max_images}."
            )
        prompt = conversation.prompt
        usage = {"promptTokenCount": max(1, len(prompt.split())) + 258 * conversation.image_count}
        if _FORBIDDEN.search(prompt):
            return _json({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": usage})

        base = conversation.model_image or (conversation.user_images[0] if conversation.user_images else None)
        references = [item.image for item in conversation.user_images if item is not base]
        if aspect_ratio is None:  # Google keeps the ratio of the image edited, else makes a square
            aspect_ratio = _nearest(model.ratios, base.image.size) if base else "1:1"
        width, height = output_size(aspect_ratio, image_size)
        png = picture(prompt, width, height, base.image if base else None, references)
        usage |= {
            "candidatesTokenCount": IMAGE_TOKENS[image_size],
            "totalTokenCount": usage["promptTokenCount"] + IMAGE_TOKENS[image_size],
        }
        parts = [
            {"text": "Here is your image.", "thoughtSignature": self.sign(model_id)},
            {
                "inlineData": {"mimeType": "image/png", "data": base64.b64encode(png).decode()},
                "thoughtSignature": self.sign(model_id),
            },
        ]
        reply = {
            "candidates": [
                {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": usage,
            "modelVersion": model_id,
        }
        return _json(reply)

    def _conversation(self, contents: Any, model_id: str, entry: dict[str, Any]) -> _Conversation:
        """The request's turns, checked as Google checks them, and summarized into ``entry``."""
        if not isinstance(contents, list) or not contents:
            raise _invalid("* GenerateContentRequest.contents: contents is not specified")
        model_image: _InputImage | None = None
        user_images: list[_InputImage] = []
        texts: list[str] = []
        count = 0
        for position, content in enumerate(contents):
            if not isinstance(content, dict):
                raise _invalid(f"Invalid value at 'contents[{position}]': expected an object.")
            role = content.get("role", "user")
            parts = content.get("parts")
            if role not in ("user", "model"):
                raise _invalid(f"Please use a valid role: user, model (not {str(role)[:20]!r}).")
            if not isinstance(parts, list) or not parts:
                raise _invalid(
                    f"* GenerateContentRequest.contents[{position}].parts: contents.parts must not be empty."
                )
            summary: list[dict[str, Any]] = []
            entry["turns"].append({"role": role, "parts": summary})
            texts, user_images = [], []
            for index, part in enumerate(parts):
                text, image, signature = self._part(part, position, index, model_id)
                summary.append(
                    {
                        **({"text": text[:500]} if text is not None else {}),
                        **({"image": _image_summary(image)} if image else {}),
                        **({"thoughtSignature": True} if signature else {}),
                    }
                )
                if image is not None:
                    count += 1
                    if role == "model":
                        if not signature:
                            raise _invalid(
                                "Image part is missing a thought_signature in content position "
                                f"{position + 1}, part position {index + 1}."
                            )
                        model_image = image
                    else:
                        user_images.append(image)
                if text is not None and role == "user":
                    texts.append(text)
        if contents[-1].get("role", "user") != "user":
            raise _invalid("Please ensure that the request ends with a user turn.")
        prompt = " ".join(texts).strip()
        if not prompt:
            raise _invalid("* GenerateContentRequest.contents: the last turn needs a text prompt.")
        return _Conversation(prompt, user_images, model_image, count)

    def _part(
        self, part: Any, position: int, index: int, model_id: str
    ) -> tuple[str | None, _InputImage | None, bool]:
        """(text, image, signed) of one part; ``_Refused`` for anything Google would refuse."""
        where = f"contents[{position}].parts[{index}]"
        if not isinstance(part, dict):
            raise _invalid(f"Invalid value at '{where}': expected an object.")
        unknown = set(part) - {"text", "inlineData", "thoughtSignature", "thought"}
        if unknown:
            raise _invalid(
                f"Invalid JSON payload received. Unknown name \"{sorted(unknown)[0]}\" at '{where}'."
            )
        signature = part.get("thoughtSignature")
        if signature is not None and not (
            isinstance(signature, str) and self.accepts_signature(model_id, signature)
        ):
            raise _invalid(_BAD_SIGNATURE)
        if ("text" in part) == ("inlineData" in part):
            raise _invalid(f"'{where}' must have exactly one of text or inlineData.")
        if "text" in part:
            if not isinstance(part["text"], str):
                raise _invalid(f"Invalid value at '{where}.text': expected a string.")
            return part["text"], None, signature is not None
        return None, _inline_image(part["inlineData"], where), signature is not None


def _inline_image(inline: Any, where: str) -> _InputImage:
    if not isinstance(inline, dict) or not isinstance(inline.get("data"), str):
        raise _invalid(f"Invalid value at '{where}.inline_data': expected mimeType and data.")
    mime_type = inline.get("mimeType")
    if mime_type not in INPUT_MIME_TYPES:
        raise _invalid(f"Unsupported MIME type: {str(mime_type)[:40]}")
    try:
        data = base64.b64decode(inline["data"], validate=True)
    except (binascii.Error, ValueError) as error:
        raise _invalid(
            f"Invalid value at '{where}.inline_data.data' (TYPE_BYTES), Base64 decoding failed."
        ) from error
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise _invalid(
            "Unable to process input image. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
        ) from error
    return _InputImage(image, mime_type, len(data))


def _image_summary(item: _InputImage) -> dict[str, Any]:
    return {
        "mimeType": item.mime_type,
        "width": item.image.width,
        "height": item.image.height,
        "bytes": item.size,
    }


def _image_config(config: Any, model: ServedModel) -> tuple[str | None, str]:
    """(aspect ratio or None, image size) from ``generationConfig``, as this model takes them."""
    modalities = config.get("responseModalities") if isinstance(config, dict) else None
    if not isinstance(config, dict) or not isinstance(modalities, list) or "IMAGE" not in modalities:
        raise _invalid("This model only supports responseModalities that include IMAGE.")
    image_config = config.get("imageConfig")
    if image_config is None:
        return None, "1K"
    if not isinstance(image_config, dict):
        raise _invalid("Invalid value at 'generation_config.image_config': expected an object.")
    ratio = image_config.get("aspectRatio")
    if ratio is not None and ratio not in model.ratios:
        raise _invalid(
            f"Unsupported aspect ratio {str(ratio)[:20]!r}; this model takes {', '.join(model.ratios)}."
        )
    size = image_config.get("imageSize", "1K")
    if size not in model.sizes:
        raise _invalid(
            f"Unsupported image size {str(size)[:20]!r}; this model takes {', '.join(model.sizes)}."
        )
    return ratio, size


def _nearest(ratios: Sequence[str], size: tuple[int, int]) -> str:
    wanted = math.log(size[0] / size[1])

    def distance(ratio: str) -> float:
        across, down = (int(side) for side in ratio.split(":"))
        return abs(math.log(across / down) - wanted)

    return min(ratios, key=distance)


def reference_tiles(width: int, height: int, count: int) -> list[tuple[int, int, int, int]]:
    """Where ``picture`` paints ``count`` reference images: squares along the top, left to right."""
    side = max(8, min(width, height) // 5)
    gap = max(2, side // 10)
    return [(gap + n * (side + gap), gap, gap + n * (side + gap) + side, gap + side) for n in range(count)]


def picture(
    prompt: str,
    width: int,
    height: int,
    base: Image.Image | None = None,
    references: Sequence[Image.Image] = (),
) -> bytes:
    """The PNG the stand-in answers with: ``base`` (else a landscape of the prompt) over the canvas,
    the references in ``reference_tiles``, the prompt on a band at the bottom."""
    image = (
        ImageOps.fit(base.convert("RGB"), (width, height), Image.Resampling.BILINEAR)
        if base is not None
        else landscape(prompt, width, height)
    )
    for reference, box in zip(references, reference_tiles(width, height, len(references)), strict=False):
        side = box[2] - box[0]
        tile = ImageOps.fit(reference.convert("RGB"), (side, side), Image.Resampling.BILINEAR)
        image.paste(tile, box[:2])
    _caption(ImageDraw.Draw(image), prompt, width, height)
    out = io.BytesIO()
    # compress_level 1: the stand-in is about speed (~4x faster than the default, larger files).
    image.save(out, format="PNG", optimize=False, compress_level=1)
    return out.getvalue()


def _colour(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def landscape(prompt: str, width: int, height: int) -> Image.Image:
    """A picture of ``prompt``: the same prompt and size always give the same picture."""
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

    return image


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
