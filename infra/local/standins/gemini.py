"""A local stand-in for Gemini's image models: ``generateContent`` with Google's shapes and checks.

It serves the image models Google serves today (``SERVED_MODELS``, written from Google's model
pages and kept apart from the service's catalog on purpose: the stand-in plays Google, so a
mistake in our catalog must not be mirrored by it) on both of Google's API versions,
``POST /{v1beta|v1}/models/{model}:generateContent`` (the colon may come as ``%3A``), and
answers like Google for anything else:

* 404 ``NOT_FOUND`` for a model id Google has shut down or never had, or another method;
* 400 ``INVALID_ARGUMENT`` for a field the version does not have ("Unknown name"), an image
  size, aspect ratio or number of input images the model does not take, a malformed
  conversation, a model turn whose image carries no ``thoughtSignature`` or one the model did
  not issue, a request over 20 MB;
* 401/403 for a missing or wrong ``x-goog-api-key``;
* a refusal as HTTP 200 with ``promptFeedback.blockReason`` and no candidates, for any prompt
  containing the word "forbidden";
* faults on demand (``fail_next``), so the retry paths of the real client can be exercised.

It reads a request as Google's JSON parsing does (``_normalized``): each field by its camelCase
name or its proto's snake_case name, at every depth, bytes in standard or URL-safe base64; and
it answers in camelCase. A field Google takes but the stand-in does not implement (tools, a
system instruction, files, JSON output...) is refused with a 400 that says so, never ignored.
What ``v1`` lacks is written at ``_MESSAGES``.

Its images have the requested ratio and size class (about 1, 4 and 16 megapixels for 1K, 2K
and 4K, as Google's: a square 1K image is 1024x1024, a 16:9 one 1376x768). Without input
images it draws a landscape from the prompt; with them, it paints the image being edited
(the model's own last image in the conversation, else the first input image) over the whole
canvas and the other inputs as tiles along the top (``reference_tiles``), so a test can tell
which inputs were used. The prompt is written on a band at the bottom. On ``v1beta`` every
reply part carries a ``thoughtSignature``: opaque bytes only this model accepts back.

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
import random
import re
import secrets
import threading
from collections.abc import Callable, Sequence
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
# Google's API versions, each at /{version}/models/{model}:generateContent.
API_VERSIONS: Final = ("v1beta", "v1")

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
# Without responseModalities an image model answers in words and an image, as Google's image
# guide shows: its first example calls generate_content with no config at all
# (ai.google.dev/gemini-api/docs/image-generation). v1 has no responseModalities (_MESSAGES).
_DEFAULT_MODALITIES: Final = ("TEXT", "IMAGE")

_FORBIDDEN = re.compile(r"\bforbidden\b", re.IGNORECASE)
_PATH = re.compile(r"/(?P<version>v1|v1beta)/models/(?P<model>[^/:%]+)(?::|%3[aA])generateContent$")
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


def generate_content_path(model: str, version: str = "v1beta") -> str:
    """The path of ``generateContent`` for ``model``, relative to the base URL the client is given."""
    return f"/{version}/models/{model}:generateContent"


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


# ------------------------------------------------------------------ the request, as Google parses it
# Google parses a request body as protobuf JSON (protobuf.dev/programming-guides/json): "parsers
# accept both the lowerCamelCase name (or the one specified by the json_name option) and the
# original proto field name"; bytes are base64, "either standard or URL-safe base64 encoding
# with/without paddings are accepted"; null is the field's default. A name the message does not
# have is refused: 400 "Invalid JSON payload received. Unknown name \"x\" at 'generation_config':
# Cannot find field." (Google's words, quoted in vercel/ai#2256 for v1).
#
# v1 is not v1beta. Google's published v1 protos (googleapis/googleapis,
# google/ai/generativelanguage/v1/, last changed 2025-12-18; the v1 types of
# @google-ai/generativelanguage 3.7.0 agree) have no GenerationConfig.response_modalities,
# image_config or thinking_config, no Part.thought or thought_signature, no system_instruction or
# tools. On v1 those names are unknown (Google answered "Unknown name \"systemInstruction\"" on
# v1 for the same reason), and a v1 reply carries no signature. So on v1 an image model draws its
# default image (1K; square, or the ratio of the image edited) from words and input images, and
# sizes, ratios and chat edits need v1beta, which Google's image guide and API reference use.
# Published protos lag the live service (v1beta's has no image_size, which Google documents and
# serves): this is the best public evidence, not a measurement.


@dataclass(frozen=True)
class _Field:
    """A field of a request message: its proto (snake_case) name and what its value is."""

    proto: str
    kind: str
    """A message of ``_MESSAGES``; a scalar of ``_SCALARS`` (``bytes`` are decoded); or ``opaque``:
    a message or free-form value the stand-in never reads, kept as sent (its keys, names of a
    schema's properties or a function's arguments, are never renamed)."""
    repeated: bool = False
    v1: bool = True
    """In Google's v1 as well as v1beta."""
    served: bool = True
    """False: Google takes it, the stand-in does not implement it, and says so (a 400)."""


def _is_int(value: Any) -> bool:
    """A JSON integer, or one in a string: protobuf JSON takes both."""
    if isinstance(value, str):
        return re.fullmatch(r"-?[0-9]+", value) is not None
    return isinstance(value, int) and not isinstance(value, bool)


def _is_float(value: Any) -> bool:
    """A JSON number, or one in a string."""
    if isinstance(value, str):
        return re.fullmatch(r"-?[0-9.]+(?:[eE][-+]?[0-9]+)?", value) is not None
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


# Each scalar kind: the type Google names in "Invalid value at 'x' (TYPE_...)", and what JSON it takes.
_SCALARS: Final[dict[str, tuple[str, Callable[[Any], bool]]]] = {
    "string": ("TYPE_STRING", _is_string),
    "enum": ("TYPE_ENUM", _is_string),
    "bool": ("TYPE_BOOL", _is_bool),
    "int": ("TYPE_INT32", _is_int),
    "float": ("TYPE_FLOAT", _is_float),
}

_F = _Field
# GenerateContentRequest as Google's v1beta reference and protos have it, each field's JSON name
# (the key of the dict) and proto name; v1=False where the v1 protos lack it (see above).
_MESSAGES: Final[dict[str, dict[str, _Field]]] = {
    "GenerateContentRequest": {
        "model": _F("model", "string"),
        "contents": _F("contents", "Content", repeated=True),
        "generationConfig": _F("generation_config", "GenerationConfig"),
        "safetySettings": _F("safety_settings", "SafetySetting", repeated=True),
        "systemInstruction": _F("system_instruction", "opaque", v1=False, served=False),
        "tools": _F("tools", "opaque", repeated=True, v1=False, served=False),
        "toolConfig": _F("tool_config", "opaque", v1=False, served=False),
        "cachedContent": _F("cached_content", "string", v1=False, served=False),
    },
    "Content": {"role": _F("role", "string"), "parts": _F("parts", "Part", repeated=True)},
    "Part": {
        "text": _F("text", "string"),
        "inlineData": _F("inline_data", "Blob"),
        "thought": _F("thought", "bool", v1=False),
        "thoughtSignature": _F("thought_signature", "bytes", v1=False),
        "videoMetadata": _F("video_metadata", "opaque", served=False),
        "fileData": _F("file_data", "opaque", v1=False, served=False),
        "functionCall": _F("function_call", "opaque", v1=False, served=False),
        "functionResponse": _F("function_response", "opaque", v1=False, served=False),
        "executableCode": _F("executable_code", "opaque", v1=False, served=False),
        "codeExecutionResult": _F("code_execution_result", "opaque", v1=False, served=False),
        "partMetadata": _F("part_metadata", "opaque", v1=False, served=False),
    },
    "Blob": {"mimeType": _F("mime_type", "string"), "data": _F("data", "bytes")},
    "GenerationConfig": {
        # Sampling settings change nothing the stand-in draws: taken, checked, not used.
        "candidateCount": _F("candidate_count", "int"),
        "stopSequences": _F("stop_sequences", "string", repeated=True),
        "maxOutputTokens": _F("max_output_tokens", "int"),
        "temperature": _F("temperature", "float"),
        "topP": _F("top_p", "float"),
        "topK": _F("top_k", "int"),
        "seed": _F("seed", "int"),
        "presencePenalty": _F("presence_penalty", "float"),
        "frequencyPenalty": _F("frequency_penalty", "float"),
        "responseLogprobs": _F("response_logprobs", "bool"),
        "logprobs": _F("logprobs", "int"),
        "enableEnhancedCivicAnswers": _F("enable_enhanced_civic_answers", "bool"),
        # A json_name of its own: the proto's response_json_schema_ordered.
        "responseJsonSchema": _F("response_json_schema_ordered", "opaque", served=False),
        "responseMimeType": _F("response_mime_type", "string", v1=False, served=False),
        "responseSchema": _F("response_schema", "opaque", v1=False, served=False),
        "speechConfig": _F("speech_config", "opaque", v1=False, served=False),
        "responseModalities": _F("response_modalities", "enum", repeated=True, v1=False),
        "thinkingConfig": _F("thinking_config", "ThinkingConfig", v1=False),
        "imageConfig": _F("image_config", "ImageConfig", v1=False),
        "mediaResolution": _F("media_resolution", "enum", v1=False),
    },
    "ImageConfig": {
        "aspectRatio": _F("aspect_ratio", "string"),
        "imageSize": _F("image_size", "string"),
    },
    "ThinkingConfig": {
        "includeThoughts": _F("include_thoughts", "bool"),
        "thinkingBudget": _F("thinking_budget", "int"),
        "thinkingLevel": _F("thinking_level", "enum"),
    },
    "SafetySetting": {"category": _F("category", "enum"), "threshold": _F("threshold", "enum")},
}
# Each message's names, both spellings, to the JSON name.
_SPELLINGS: Final = {
    message: {spelling: name for name, field in fields.items() for spelling in (name, field.proto)}
    for message, fields in _MESSAGES.items()
}
_BASE64: Final = re.compile(r"[A-Za-z0-9+/]*={0,2}|[A-Za-z0-9_-]*={0,2}")


def proto_bytes(text: str) -> bytes | None:
    """The bytes of a protobuf JSON ``bytes`` value (standard or URL-safe base64, padded or not,
    as Google's parsing takes them), or None when it is not base64."""
    if not _BASE64.fullmatch(text):
        return None
    standard = text.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _at(where: str) -> str:
    return f" at '{where}'" if where else ""


def _shown(value: Any) -> str:
    return json.dumps(value)[:40]


def _normalized(value: Any, message: str, where: str, version: str) -> dict[str, Any]:
    """``value``, the JSON of a ``message``, with every field under its JSON (camelCase) name and
    bytes decoded, at every depth, or ``_Refused`` where Google's parsing refuses it. ``where`` is
    the field's path as Google names it in its errors (``contents[0].parts[1]``)."""
    if not isinstance(value, dict):
        raise _invalid(
            f"Invalid value{_at(where)} "
            f"(type.googleapis.com/google.ai.generativelanguage.{version}.{message}), {_shown(value)}"
        )
    fields, spellings = _MESSAGES[message], _SPELLINGS[message]
    normalized: dict[str, Any] = {}
    seen: set[str] = set()
    for key, item in value.items():
        name = spellings.get(key, "")
        field = fields.get(name)
        if field is None or (version == "v1" and not field.v1):
            raise _invalid(
                f'Invalid JSON payload received. Unknown name "{key[:60]}"{_at(where)}: Cannot find field.'
            )
        path = f"{where}.{field.proto}" if where else field.proto
        if not field.served:
            raise _invalid(
                f"'{path}' is not implemented by the local Gemini stand-in (Google takes it): "
                "it answers image generation and editing only."
            )
        if name in seen:
            raise _invalid(
                f"Invalid JSON payload received. '{path}' is given twice (as {key!r} and another name)."
            )
        seen.add(name)
        if item is not None:  # null is the field's default
            normalized[name] = _field_value(item, field, path, version)
    return normalized


def _field_value(value: Any, field: _Field, where: str, version: str) -> Any:
    if not field.repeated:
        return _single_value(value, field.kind, where, version)
    if not isinstance(value, list):
        raise _invalid(f"Invalid value at '{where}': expected a list, not {_shown(value)}")
    return [_single_value(item, field.kind, f"{where}[{index}]", version) for index, item in enumerate(value)]


def _single_value(value: Any, kind: str, where: str, version: str) -> Any:
    if kind in _MESSAGES:
        return _normalized(value, kind, where, version)
    if kind == "opaque":
        return value
    if kind == "bytes":
        decoded = proto_bytes(value) if isinstance(value, str) else None
        if decoded is None:
            raise _invalid(
                f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed for {_shown(value)}"
            )
        return decoded
    type_name, takes = _SCALARS[kind]
    if not takes(value):
        raise _invalid(f"Invalid value at '{where}' ({type_name}), {_shown(value)}")
    return value


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

    def __init__(
        self,
        api_key: str,
        models: dict[str, ServedModel] | None = None,
        sampling: random.Random | None = None,
    ) -> None:
        self.api_key = api_key
        self.models = dict(SERVED_MODELS if models is None else models)
        # Like the model, each request without a seed samples anew: the same prompt twice draws two
        # pictures (so variations differ); generationConfig.seed draws the same one each time.
        self._sampling = sampling or random.Random()  # noqa: S311 (pictures, not secrets)
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
        """The last ``limit`` requests received, newest first: ``{"apiVersion", "model",
        "generationConfig", "turns": [{"role", "parts": [...]}], "status"}``, image data
        summarized, never echoed."""
        with self._lock:
            return list(self._log)[::-1][:limit]

    # ------------------------------------------------------------------ thought signatures
    def sign(self, model: str) -> str:
        """A thought signature only ``model`` of this stand-in accepts back: opaque bytes, in JSON
        as standard base64 (Google's protobuf JSON writes bytes so)."""
        payload = f"{model}:{secrets.token_hex(8)}".encode()
        mac = hmac.new(self._signing_key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
        return base64.b64encode(payload + b"|" + mac).decode()

    def accepts_signature(self, model: str, signature: str | bytes) -> bool:
        """Whether ``signature`` (its bytes, or their base64 in any spelling Google's parsing takes:
        the SDK sends back URL-safe base64 what it received as standard) is one this stand-in
        issued for ``model``."""
        signed = proto_bytes(signature) if isinstance(signature, str) else signature
        if signed is None:
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
        """Answer one ``generateContent`` request (the version and the model are named in the path)."""
        with self._lock:
            # Counted first, whatever the outcome: tests assert how many calls a client made.
            self.calls += 1
            fault = self._fault_status if self._faults_left > 0 else None
            if fault is not None:
                self._faults_left -= 1
        path = _PATH.search(request.path)
        version, model_id = (path["version"], path["model"]) if path else ("", "")
        entry: dict[str, Any] = {
            "apiVersion": version,
            "model": model_id,
            "generationConfig": None,
            "turns": [],
            "status": 0,
        }
        response = (
            google_error(fault) if fault is not None else self._answer(request, version, model_id, entry)
        )
        entry["status"] = response.status_code
        with self._lock:
            self._log.append(entry)
        return response

    def _answer(self, request: Request, version: str, model_id: str, entry: dict[str, Any]) -> Response:
        if request.method != "POST":
            return google_error(405, f"Method {request.method} is not allowed; use POST.", "INVALID_ARGUMENT")
        key = request.headers.get("x-goog-api-key")
        if not key:
            return google_error(401, _MISSING_KEY)
        if not hmac.compare_digest(key.encode(), self.api_key.encode()):
            return google_error(403, _WRONG_KEY)
        if not version:
            return google_error(
                404,
                f"{request.path[-100:]} is not a method of this stand-in: it serves "
                "POST /v1beta/models/{model}:generateContent and the same on /v1.",
            )
        model = self.models.get(model_id)
        if model is None:
            return google_error(
                404,
                f"models/{model_id[:80]} is not found for API version {version}, "
                "or is not supported for generateContent.",
            )
        try:
            return self._draw(request, version, model_id, model, entry)
        except _Refused as refused:
            return refused.response

    def _draw(
        self, request: Request, version: str, model_id: str, model: ServedModel, entry: dict[str, Any]
    ) -> Response:
        body = _normalized(_request_json(request), "GenerateContentRequest", "", version)
        config = body.get("generationConfig", {})
        entry["generationConfig"] = config or None
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
        seed = config.get("seed")
        if seed is None:
            with self._lock:
                seed = self._sampling.getrandbits(31)
        png = picture(prompt, width, height, base.image if base else None, references, seed=seed)
        usage |= {
            "candidatesTokenCount": IMAGE_TOKENS[image_size],
            "totalTokenCount": usage["promptTokenCount"] + IMAGE_TOKENS[image_size],
        }
        parts: list[dict[str, Any]] = [
            {"text": "Here is your image."},
            {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(png).decode()}},
        ]
        if version == "v1beta":  # v1's Part has no thoughtSignature
            for part in parts:
                part["thoughtSignature"] = self.sign(model_id)
        reply = {
            "candidates": [
                {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": usage,
            "modelVersion": model_id,
        }
        return _json(reply)

    def _conversation(
        self, contents: list[dict[str, Any]] | None, model_id: str, entry: dict[str, Any]
    ) -> _Conversation:
        """The request's turns (normalized), checked as Google checks them, and summarized into ``entry``."""
        if not contents:
            raise _invalid("* GenerateContentRequest.contents: contents is not specified")
        model_image: _InputImage | None = None
        user_images: list[_InputImage] = []
        texts: list[str] = []
        count = 0
        for position, content in enumerate(contents):
            role = content.get("role", "user")
            parts = content.get("parts")
            if role not in ("user", "model"):
                raise _invalid(f"Please use a valid role: user, model (not {role[:20]!r}).")
            if not parts:
                raise _invalid(
                    f"* GenerateContentRequest.contents[{position}].parts: contents.parts must not be empty."
                )
            summary: list[dict[str, Any]] = []
            entry["turns"].append({"role": role, "parts": summary})
            texts, user_images = [], []
            for index, part in enumerate(parts):
                text, image, signed = self._part(part, position, index, model_id)
                summary.append(
                    {
                        **({"text": text[:500]} if text is not None else {}),
                        **({"image": _image_summary(image)} if image else {}),
                        **({"thoughtSignature": True} if signed else {}),
                    }
                )
                if image is not None:
                    count += 1
                    if role == "model":
                        if not signed:
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
        self, part: dict[str, Any], position: int, index: int, model_id: str
    ) -> tuple[str | None, _InputImage | None, bool]:
        """(text, image, signed) of one normalized part; ``_Refused`` for anything Google would refuse."""
        where = f"contents[{position}].parts[{index}]"
        signature = part.get("thoughtSignature")
        if signature is not None and not self.accepts_signature(model_id, signature):
            raise _invalid(_BAD_SIGNATURE)
        data = [name for name in ("text", "inlineData") if name in part]
        if not data:
            raise _invalid(
                f"* GenerateContentRequest.{where}.data: required oneof field 'data' must have one "
                "initialized field"
            )
        if len(data) > 1:
            raise _invalid(
                f"Invalid value at '{where}': oneof field 'data' is already set. Cannot set 'inlineData'."
            )
        if "text" in part:
            return part["text"], None, signature is not None
        return None, _inline_image(part["inlineData"], where), signature is not None


def _request_json(request: Request) -> Any:
    raw = request.get_data()
    if len(raw) > MAX_REQUEST_BYTES:
        raise _invalid(f"Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise _invalid("Invalid JSON payload received.") from error


def _inline_image(blob: dict[str, Any], where: str) -> _InputImage:
    """The image of a normalized ``inlineData`` (its data already decoded)."""
    mime_type, data = blob.get("mimeType"), blob.get("data")
    if mime_type not in INPUT_MIME_TYPES:
        raise _invalid(f"Unsupported MIME type: {str(mime_type)[:40]}")
    if not data:
        raise _invalid(f"Invalid value at '{where}.inline_data': expected mimeType and data.")
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


def _image_config(config: dict[str, Any], model: ServedModel) -> tuple[str | None, str]:
    """(aspect ratio or None, image size) from a normalized ``generationConfig``, as this model takes them."""
    # An empty list is no list in protobuf: the default.
    if "IMAGE" not in (config.get("responseModalities") or _DEFAULT_MODALITIES):
        raise _invalid("This model only supports responseModalities that include IMAGE.")
    image_config = config.get("imageConfig", {})
    ratio = image_config.get("aspectRatio")
    if ratio is not None and ratio not in model.ratios:
        raise _invalid(
            f"Unsupported aspect ratio {ratio[:20]!r}; this model takes {', '.join(model.ratios)}."
        )
    size = image_config.get("imageSize", "1K")
    if size not in model.sizes:
        raise _invalid(f"Unsupported image size {size[:20]!r}; this model takes {', '.join(model.sizes)}.")
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
    seed: int = 0,
) -> bytes:
    """The PNG the stand-in answers with: ``base`` (else a landscape of the prompt and ``seed``) over
    the canvas, the references in ``reference_tiles``, the prompt on a band at the bottom."""
    image = (
        ImageOps.fit(base.convert("RGB"), (width, height), Image.Resampling.BILINEAR)
        if base is not None
        else landscape(prompt, width, height, seed)
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


def landscape(prompt: str, width: int, height: int, seed: int = 0) -> Image.Image:
    """A picture of ``prompt``: the same prompt, size and ``seed`` always give the same picture."""
    seed_bytes = hashlib.sha256(f"{seed}:{prompt}".encode()).digest()

    def unit(index: int) -> float:  # a number in [0, 1) from the prompt's hash
        return seed_bytes[index % len(seed_bytes)] / 256

    hue = unit(0)
    night = seed_bytes[1] % 4 == 0
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
