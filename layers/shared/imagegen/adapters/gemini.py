"""Generating and editing images with Google's Gemini image models over their REST API (plain ``requests``).

The google-genai SDK costs ~0.8 s of import and ~29 MB in the layer and does not retry by
default, so this module speaks the one call we need, ``models/{model}:generateContent``,
itself, and owns the retry policy.

A request (``ImageRequest``) is a conversation: user turns of text and input images, and,
for an edit of an image the model made, the model's own earlier turn replayed with the
``thoughtSignature`` it returned on its parts (Gemini 3 image models expect it back, and
keep the subject and style of an edit chain with it).

Every reply ends in one of four outcomes:

* a ``ModelReply``: the first inline image of the reply that is not a thought (Gemini 3 may
  send interim "thought" images first), and the reply's parts with their signatures, for
  a later edit to replay;
* ``GenerationRefused``: the model declined the prompt. Gemini says so with HTTP 200 and no
  image (a ``promptFeedback.blockReason``, a refusing ``finishReason``, or only text), so a
  refusal is never an HTTP error and is never retried: asking again gets the same answer;
* ``GenerationUnavailable``: a transient failure (429, 500, 503, 504, a timeout, a dropped
  connection) that is still failing after ``attempts`` tries with capped, fully jittered
  exponential backoff;
* ``GenerationFailed``: a permanent failure (a bad request or key, a reply we cannot read):
  retrying would only repeat it. ``ModelRetired`` is the one that ops must hear about: the
  model id is one Google does not serve (404), typically because it shut the model down.

``classify_reply`` is a pure function from (status, body) to an outcome, so each reply
shape is testable without a network; ``GeminiClient`` adds HTTP, the key and the retries.
The API key is read through a callable on every call (so a rotated secret is picked up),
sent only in the ``x-goog-api-key`` header (never in the URL, which ends up in logs and
exception messages), and never logged.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import random as _random
import re
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Final
from urllib.parse import quote

import requests

from imagegen.models.formats import FROM_MODEL
from imagegen.services.image_model import (
    GenerationFailed,
    GenerationRefused,
    GenerationUnavailable,
    ImageRequest,
    InlineImage,
    ModelReply,
    ModelRetired,
    Part,
)

RETRYABLE_STATUSES = frozenset({429, 500, 503, 504})
"""HTTP statuses worth another try: quota (429), and Google's side failing or overloaded."""

# finishReasons of a candidate that mean "the model would not make this image". Others
# (STOP, MAX_TOKENS, OTHER, ...) without an image are failures, not refusals.
REFUSAL_FINISH_REASONS: Final = frozenset(
    {
        "SAFETY",
        "PROHIBITED_CONTENT",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_OTHER",
        "NO_IMAGE",
        "IMAGE_RECITATION",
        "RECITATION",
        "BLOCKLIST",
        "SPII",
    }
)

# Connecting should be quick; the read timeout (the model drawing) is the caller's budget.
CONNECT_TIMEOUT_SECONDS: Final = 3.05
# The model's own words in a refusal are shown to people: keep them short.
MAX_MODEL_TEXT: Final = 300
MAX_ERROR_TEXT: Final = 300

_log = logging.getLogger(__name__)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def payload(request: ImageRequest) -> dict[str, Any]:
    """The ``generateContent`` body of ``request``."""
    return {
        "contents": [
            {"role": turn.role, "parts": [_part_json(part) for part in turn.parts]} for turn in request.turns
        ],
        "generationConfig": {
            "responseModalities": ["IMAGE"],
            "imageConfig": {"aspectRatio": request.aspect_ratio, "imageSize": request.image_size},
        },
    }


def _part_json(part: Part) -> dict[str, Any]:
    json_part: dict[str, Any] = {}
    if part.text is not None:
        json_part["text"] = part.text
    if part.image is not None:
        data = base64.b64encode(part.image.data).decode()
        json_part["inlineData"] = {"mimeType": part.image.mime_type, "data": data}
    if part.thought_signature is not None:
        json_part["thoughtSignature"] = part.thought_signature
    return json_part


def classify_reply(status: int, body: bytes) -> ModelReply:
    """The image in a ``generateContent`` reply, or the exception that the reply amounts to.

    Pure: it looks at the HTTP status and body only. Raises ``GenerationRefused``,
    ``GenerationUnavailable`` (``status`` set) or ``GenerationFailed`` (``ModelRetired`` on 404).
    """
    if status != 200:
        raise _http_error(status, body)
    try:
        reply = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise GenerationFailed("The image model sent a reply that is not JSON.") from error
    if not isinstance(reply, dict):
        raise _unexpected()

    candidates = reply.get("candidates") or []
    if not isinstance(candidates, list):
        raise _unexpected()
    texts: list[str] = []
    finish_reasons: list[str] = []
    for candidate in candidates:
        if not isinstance(candidate, dict):
            raise _unexpected()
        reason = candidate.get("finishReason")
        if isinstance(reason, str):
            finish_reasons.append(reason)
        parts = _answer_parts(candidate)
        texts.extend(part.text.strip() for part in parts if part.text and part.text.strip())
        image = next((part.image for part in parts if part.image is not None), None)
        if image is not None:
            return ModelReply(image=image, parts=parts)

    feedback = reply.get("promptFeedback")
    block_reason = feedback.get("blockReason") if isinstance(feedback, dict) else None
    model_text = _trim(" ".join(texts), MAX_MODEL_TEXT)
    if isinstance(block_reason, str) and block_reason:
        raise _refused(block_reason, model_text)
    refusal = next((reason for reason in finish_reasons if reason in REFUSAL_FINISH_REASONS), None)
    if refusal is not None:
        raise _refused(refusal, model_text)
    if model_text:
        # The model answered in words instead of drawing: in practice that is a polite refusal
        # ("I can't create images of ..."), and asking again the same way gets the same answer.
        raise _refused(None, model_text)
    if finish_reasons:
        raise GenerationFailed(f"The image model returned no image (finish reason {finish_reasons[0]}).")
    raise GenerationFailed("The image model returned no image.")


def _unexpected() -> GenerationFailed:
    return GenerationFailed("The image model sent a reply of an unexpected shape.")


def _answer_parts(candidate: Mapping[str, Any]) -> tuple[Part, ...]:
    """The parts of a candidate's answer: its texts and images, not its thoughts (Gemini 3 may think in
    words and in interim images, marked ``"thought": true``), each with its signature."""
    content = candidate.get("content")
    if content is None:
        return ()  # a blocked candidate has no content at all
    parts = content.get("parts") if isinstance(content, dict) else None
    if parts is None:
        return ()
    if not isinstance(parts, list):
        raise _unexpected()
    answer: list[Part] = []
    for part in parts:
        if not isinstance(part, dict):
            raise _unexpected()
        if part.get("thought") is True:
            continue
        signature = part.get("thoughtSignature", part.get("thought_signature"))
        signature = signature if isinstance(signature, str) and signature else None
        text = part.get("text")
        # The REST API answers in camelCase; snake_case is what protobuf JSON may also carry.
        inline = part.get("inlineData", part.get("inline_data"))
        if inline is not None:
            answer.append(Part(image=_decode_inline(inline), thought_signature=signature))
        elif isinstance(text, str):
            answer.append(Part(text=text, thought_signature=signature))
    return tuple(answer)


def _decode_inline(inline: Any) -> InlineImage:
    if not isinstance(inline, dict):
        raise GenerationFailed("The image model sent an image part of an unexpected shape.")
    mime_type = inline.get("mimeType", inline.get("mime_type"))
    data = inline.get("data")
    if not isinstance(mime_type, str) or not isinstance(data, str):
        raise GenerationFailed("The image model sent an image part without its type or data.")
    mime_type = mime_type.split(";")[0].strip().lower()
    if mime_type not in FROM_MODEL:
        raise GenerationFailed(f"The image model sent an image of an unsupported type ({mime_type[:60]}).")
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        try:  # protobuf JSON may use the URL-safe alphabet
            decoded = base64.urlsafe_b64decode(data)
        except (binascii.Error, ValueError) as error:
            raise GenerationFailed("The image model sent image data that is not valid base64.") from error
    if not decoded:
        raise GenerationFailed("The image model sent an empty image.")
    return InlineImage(data=decoded, mime_type=mime_type)


def _refused(reason: str | None, model_text: str) -> GenerationRefused:
    if reason and model_text:
        message = f"The image model declined this prompt ({reason}): {model_text}"
    elif reason:
        message = f"The image model declined this prompt ({reason})."
    else:
        message = f"The image model did not make an image: {model_text}"
    return GenerationRefused(message, reason)


def _http_error(status: int, body: bytes) -> GenerationUnavailable | GenerationFailed:
    """The exception for a non-200 reply, with Google's error message when it sent one."""
    message, code, retry_delay = _google_error(body)
    detail = f"HTTP {status}" + (f" {code}" if code else "")
    if status in RETRYABLE_STATUSES:
        text = f"The image model is unavailable ({detail})" + (f": {message}" if message else ".")
        return GenerationUnavailable(text, status=status, retry_after=retry_delay)
    if status == 404:  # generateContent has one thing to find: the model
        return ModelRetired(f"{detail}: {message}" if message else detail)
    return GenerationFailed(f"The image model rejected the request ({detail}).", message)


def _google_error(body: bytes) -> tuple[str, str, float | None]:
    """(message, status, RetryInfo delay) from Google's ``{"error": {...}}`` body, or blanks."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "", "", None
    error = document.get("error") if isinstance(document, dict) else None
    if not isinstance(error, dict):
        return "", "", None
    message = error.get("message")
    code = error.get("status")
    retry_delay = None
    # On 429 Gemini says how long to wait in a google.rpc.RetryInfo detail ("retryDelay": "37s").
    details = error.get("details")
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match:
                retry_delay = float(match.group(1))
    return (
        _trim(message, MAX_ERROR_TEXT) if isinstance(message, str) else "",
        code[:60] if isinstance(code, str) else "",
        retry_delay,
    )


def _trim(text: str, limit: int) -> str:
    collapsed = " ".join(text.split())
    return collapsed if len(collapsed) <= limit else collapsed[: limit - 1].rstrip() + "…"


def _retry_after_header(response: requests.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), if sensible."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


class GeminiClient:
    """Calls ``generateContent`` on Gemini's image models, retrying transient failures (an ``ImageModel``).

    ``attempts`` tries in all; between them it sleeps ``random() * min(cap, base * 2**n)``
    (full jitter: concurrent Lambdas that failed together do not retry together), or the
    delay Google asked for (``Retry-After``, or RetryInfo on 429) when that is within the cap.
    ``http``, ``sleep`` and ``random`` are injectable for tests.
    """

    def __init__(
        self,
        base_url: str,
        api_key: Callable[[], str],
        timeout_seconds: float,
        attempts: int = 3,
        backoff_base_seconds: float = 1.0,
        backoff_cap_seconds: float = 8.0,
        http: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = (min(CONNECT_TIMEOUT_SECONDS, timeout_seconds), timeout_seconds)
        self._attempts = attempts
        self._base = backoff_base_seconds
        self._cap = backoff_cap_seconds
        self._http = http or requests.Session()
        self._sleep = sleep
        self._random = random

    def url(self, model: str) -> str:
        """The endpoint called for ``model`` (it holds no secret)."""
        return f"{self._base_url}/v1beta/models/{quote(model, safe='')}:generateContent"

    def backoff(self, retry: int) -> float:
        """The jittered delay before retry number ``retry`` (0 for the first retry)."""
        return self._random() * min(self._cap, self._base * 2.0**retry)

    def generate(self, request: ImageRequest) -> ModelReply:
        """The model's image for ``request``; raises ``GenerationRefused``/``Unavailable``/``Failed``.

        ``ValueError`` for a request without a user turn of text at its end: the caller's bug,
        refused before any request is made.
        """
        last_turn = request.turns[-1] if request.turns else None
        if (
            last_turn is None
            or last_turn.role != "user"
            or not any(part.text and part.text.strip() for part in last_turn.parts)
        ):
            raise ValueError("The request must end with the user's text.")
        body = payload(request)
        headers = {"x-goog-api-key": self._api_key(), "Content-Type": "application/json"}
        url = self.url(request.model)

        last: GenerationUnavailable | None = None
        for attempt in range(self._attempts):
            if attempt:
                assert last is not None
                delay = self.backoff(attempt - 1)
                if last.retry_after is not None and last.retry_after <= self._cap:
                    delay = last.retry_after
                _log.warning(
                    "Gemini attempt %d/%d failed (%s); retrying in %.2f s",
                    attempt,
                    self._attempts,
                    last,
                    delay,
                )
                self._sleep(delay)
            try:
                return self._call(url, body, headers)
            except GenerationUnavailable as unavailable:
                last = unavailable
        assert last is not None
        raise GenerationUnavailable(
            f"{last} (gave up after {self._attempts} attempts)",
            status=last.status,
            retry_after=last.retry_after,
        )

    def _call(self, url: str, payload: dict[str, Any], headers: dict[str, str]) -> ModelReply:
        """One request and its outcome; transient failures come out as ``GenerationUnavailable``."""
        try:
            response = self._http.post(url, json=payload, headers=headers, timeout=self._timeout)
        except requests.Timeout as error:
            raise GenerationUnavailable("The image model did not answer in time.") from error
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            # A dropped or refused connection, or a reply cut off mid-body: worth another try.
            raise GenerationUnavailable("The image model could not be reached.") from error
        except requests.RequestException as error:
            raise GenerationFailed(
                f"The image model could not be called ({type(error).__name__})."
            ) from error
        try:
            return classify_reply(response.status_code, response.content)
        except GenerationUnavailable as unavailable:
            # A Retry-After header wins over RetryInfo in the body: it is the front end's word.
            header = _retry_after_header(response) if response.status_code in (429, 503) else None
            if header is not None:
                unavailable.retry_after = header
            raise
