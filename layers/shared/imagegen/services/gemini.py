"""Generating images with Google's Gemini image model over its REST API (plain ``requests``).

The google-genai SDK costs ~0.8 s of import and ~29 MB in the layer and does not retry by
default, so this module speaks the one call we need, ``models/{model}:generateContent``,
itself, and owns the retry policy.

Every reply ends in one of four outcomes:

* a ``GeneratedImage`` (the first inline image part of the reply);
* ``GenerationRefused``: the model declined the prompt. Gemini says so with HTTP 200 and no
  image (a ``promptFeedback.blockReason``, a refusing ``finishReason``, or only text), so a
  refusal is never an HTTP error and is never retried: asking again gets the same answer;
* ``GenerationUnavailable``: a transient failure (429, 500, 503, 504, a timeout, a dropped
  connection) that is still failing after ``attempts`` tries with capped, fully jittered
  exponential backoff;
* ``GenerationFailed``: a permanent failure (a bad request or key, an unknown model, a reply
  we cannot read): retrying would only repeat it.

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
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Final

import requests

ASPECT_RATIOS: tuple[str, ...] = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
"""The aspect ratios the image model accepts in ``generationConfig.imageConfig.aspectRatio``."""

RETRYABLE_STATUSES = frozenset({429, 500, 503, 504})
"""HTTP statuses worth another try: quota (429), and Google's side failing or overloaded."""

SUPPORTED_MIME_TYPES: Final = frozenset({"image/png", "image/jpeg", "image/webp"})

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


@dataclass(frozen=True)
class GeneratedImage:
    """An image the model made: its bytes and their (checked-to-be-supported) MIME type."""

    data: bytes
    mime_type: str


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
    """A permanent failure (bad request or key, unknown model, unreadable reply); ``str()`` is readable."""


def classify_reply(status: int, body: bytes) -> GeneratedImage:
    """The image in a ``generateContent`` reply, or the exception that the reply amounts to.

    Pure: it looks at the HTTP status and body only. Raises ``GenerationRefused``,
    ``GenerationUnavailable`` (``status`` set) or ``GenerationFailed``.
    """
    if status != 200:
        raise _http_error(status, body)
    try:
        reply = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise GenerationFailed("The image model sent a reply that is not JSON.") from error
    if not isinstance(reply, dict):
        raise GenerationFailed("The image model sent a reply of an unexpected shape.")

    candidates = reply.get("candidates") or []
    if not isinstance(candidates, list):
        raise GenerationFailed("The image model sent a reply of an unexpected shape.")
    texts: list[str] = []
    finish_reasons: list[str] = []
    for candidate in candidates:
        if not isinstance(candidate, dict):
            raise GenerationFailed("The image model sent a reply of an unexpected shape.")
        reason = candidate.get("finishReason")
        if isinstance(reason, str):
            finish_reasons.append(reason)
        image = _first_image(candidate, texts)
        if image is not None:
            return image

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


def _first_image(candidate: Mapping[str, Any], texts: list[str]) -> GeneratedImage | None:
    """The first inline image of a candidate; its text parts are collected into ``texts``."""
    content = candidate.get("content")
    if content is None:
        return None  # a blocked candidate has no content at all
    parts = content.get("parts") if isinstance(content, dict) else None
    if parts is None:
        return None
    if not isinstance(parts, list):
        raise GenerationFailed("The image model sent a reply of an unexpected shape.")
    for part in parts:
        if not isinstance(part, dict):
            raise GenerationFailed("The image model sent a reply of an unexpected shape.")
        text = part.get("text")
        if isinstance(text, str) and text.strip() and not part.get("thought"):
            texts.append(text.strip())
        # The REST API answers in camelCase; snake_case is what protobuf JSON may also carry.
        inline = part.get("inlineData", part.get("inline_data"))
        if inline is not None:
            return _decode_inline(inline)
    return None


def _decode_inline(inline: Any) -> GeneratedImage:
    if not isinstance(inline, dict):
        raise GenerationFailed("The image model sent an image part of an unexpected shape.")
    mime_type = inline.get("mimeType", inline.get("mime_type"))
    data = inline.get("data")
    if not isinstance(mime_type, str) or not isinstance(data, str):
        raise GenerationFailed("The image model sent an image part without its type or data.")
    mime_type = mime_type.split(";")[0].strip().lower()
    if mime_type not in SUPPORTED_MIME_TYPES:
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
    return GeneratedImage(data=decoded, mime_type=mime_type)


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
    text = f"The image model rejected the request ({detail})" + (f": {message}" if message else ".")
    return GenerationFailed(text)


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
    for detail in error.get("details") or []:
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
    """Calls ``generateContent`` on the image model, retrying transient failures.

    ``attempts`` tries in all; between them it sleeps ``random() * min(cap, base * 2**n)``
    (full jitter: concurrent Lambdas that failed together do not retry together), or the
    delay Google asked for (``Retry-After``, or RetryInfo on 429) when that is within the cap.
    ``http``, ``sleep`` and ``random`` are injectable for tests.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
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
        self._url = f"{base_url.rstrip('/')}/v1beta/models/{model}:generateContent"
        self._api_key = api_key
        self._timeout = (min(CONNECT_TIMEOUT_SECONDS, timeout_seconds), timeout_seconds)
        self._attempts = attempts
        self._base = backoff_base_seconds
        self._cap = backoff_cap_seconds
        self._http = http or requests.Session()
        self._sleep = sleep
        self._random = random

    @property
    def url(self) -> str:
        """The endpoint called (it holds no secret)."""
        return self._url

    def backoff(self, retry: int) -> float:
        """The jittered delay before retry number ``retry`` (0 for the first retry)."""
        return self._random() * min(self._cap, self._base * 2.0**retry)

    def generate(self, prompt: str, aspect_ratio: str | None = None) -> GeneratedImage:
        """An image for ``prompt``; raises ``GenerationRefused``/``Unavailable``/``Failed``.

        ``ValueError`` for a blank prompt or an aspect ratio not in ``ASPECT_RATIOS``: those
        are the caller's bugs, refused before any request is made.
        """
        if not prompt.strip():
            raise ValueError("The prompt is empty.")
        if aspect_ratio is not None and aspect_ratio not in ASPECT_RATIOS:
            raise ValueError(f"Unsupported aspect ratio {aspect_ratio!r}; expected one of {ASPECT_RATIOS}.")
        config: dict[str, Any] = {"responseModalities": ["IMAGE"]}
        if aspect_ratio is not None:
            config["imageConfig"] = {"aspectRatio": aspect_ratio}
        payload = {"contents": [{"role": "user", "parts": [{"text": prompt}]}], "generationConfig": config}
        headers = {"x-goog-api-key": self._api_key(), "Content-Type": "application/json"}

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
                return self._call(payload, headers)
            except GenerationUnavailable as unavailable:
                last = unavailable
        assert last is not None
        raise GenerationUnavailable(
            f"{last} (gave up after {self._attempts} attempts)",
            status=last.status,
            retry_after=last.retry_after,
        )

    def _call(self, payload: dict[str, Any], headers: dict[str, str]) -> GeneratedImage:
        """One request and its outcome; transient failures come out as ``GenerationUnavailable``."""
        try:
            response = self._http.post(self._url, json=payload, headers=headers, timeout=self._timeout)
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
