"""The Gemini client: reply shapes classified, and the real client against the local stand-in over HTTP."""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from PIL import Image
from werkzeug.wrappers import Request, Response

from imagegen.adapters.gemini import RETRYABLE_STATUSES, GeminiClient, classify_reply
from imagegen.services.image_model import (
    GenerationFailed,
    GenerationRefused,
    GenerationUnavailable,
    ImageRequest,
    InlineImage,
    ModelRetired,
    Part,
    Turn,
)
from standins.gemini import LocalGemini
from tests.loopback import serving

KEY = "test-gemini-key"
MODEL = "gemini-nano-banana-2.1"
PNG = b"\x89PNG\r\n\x1a\n-not-really-a-png"

# ---------------------------------------------------------------------------------------------
# classify_reply on recorded reply shapes


def reply(*parts: dict[str, Any], finish: str = "STOP", **extra: Any) -> bytes:
    candidate = {"content": {"role": "model", "parts": list(parts)}, "finishReason": finish, "index": 0}
    return json.dumps(
        {
            "candidates": [candidate],
            "usageMetadata": {"promptTokenCount": 7, "candidatesTokenCount": 1290, "totalTokenCount": 1297},
            "modelVersion": MODEL,
            **extra,
        }
    ).encode()


def inline(data: bytes = PNG, mime: str = "image/png") -> dict[str, Any]:
    return {"inlineData": {"mimeType": mime, "data": base64.b64encode(data).decode()}}


def google_error(code: int, status: str, message: str, **extra: Any) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "status": status, **extra}}).encode()


def test_an_image_reply_with_a_text_part_gives_the_image_and_the_turn() -> None:
    body = reply({"text": "Here is a fox in the snow."}, inline())

    answer = classify_reply(200, body)

    assert answer.image == InlineImage(data=PNG, mime_type="image/png")
    assert answer.parts == (Part(text="Here is a fox in the snow."), Part(image=answer.image))


@pytest.mark.parametrize("mime", ["image/png", "image/jpeg", "image/webp"])
def test_supported_image_types(mime: str) -> None:
    assert classify_reply(200, reply(inline(mime=mime))).image.mime_type == mime


def test_the_first_image_part_wins() -> None:
    assert (
        classify_reply(200, reply(inline(b"first"), inline(b"second", "image/jpeg"))).image.data == b"first"
    )


def test_thoughts_are_skipped_and_signatures_kept() -> None:
    # Gemini 3 image models may think in words and interim images before the answer; each
    # answer part may carry a thoughtSignature to be sent back on the next turn.
    body = reply(
        {"text": "Planning the composition...", "thought": True},
        {**inline(b"draft"), "thought": True},
        {"text": "Here it is.", "thoughtSignature": "c2lnLTE="},
        {**inline(b"final"), "thoughtSignature": "c2lnLTI="},
    )

    answer = classify_reply(200, body)

    assert answer.image.data == b"final"
    assert answer.parts == (
        Part(text="Here it is.", thought_signature="c2lnLTE="),
        Part(image=answer.image, thought_signature="c2lnLTI="),
    )


def test_only_thoughts_are_no_image() -> None:
    with pytest.raises(GenerationFailed, match="no image"):
        classify_reply(200, reply({**inline(b"draft"), "thought": True}))


def test_a_text_only_reply_is_a_refusal_with_the_models_words() -> None:
    words = "I can't create images of real people in that situation. " * 20

    with pytest.raises(GenerationRefused) as refused:
        classify_reply(200, reply({"text": words}))

    message = str(refused.value)
    assert message.startswith("The image model did not make an image: I can't create images of real people")
    assert len(message) < 400
    assert message.endswith("…")


def test_a_block_reason_without_candidates_is_a_refusal() -> None:
    body = json.dumps(
        {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 9}}
    ).encode()

    with pytest.raises(
        GenerationRefused, match=r"^The image model declined this prompt \(PROHIBITED_CONTENT\)\.$"
    ):
        classify_reply(200, body)


@pytest.mark.parametrize(
    "reason", ["SAFETY", "NO_IMAGE", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "RECITATION"]
)
def test_a_refusing_finish_reason_is_a_refusal(reason: str) -> None:
    # Blocked candidates come without content at all; some carry safety ratings only.
    body = json.dumps(
        {
            "candidates": [{"finishReason": reason, "index": 0, "safetyRatings": []}],
            "modelVersion": MODEL,
        }
    ).encode()

    with pytest.raises(GenerationRefused) as refused:
        classify_reply(200, body)

    assert str(refused.value) == f"The image model declined this prompt ({reason})."
    assert refused.value.reason == reason


def test_a_refusing_finish_reason_with_text_quotes_the_model() -> None:
    with pytest.raises(GenerationRefused, match=r"\(IMAGE_SAFETY\): I could not draw that\.$"):
        classify_reply(200, reply({"text": "I could not draw that."}, finish="IMAGE_SAFETY"))


@pytest.mark.parametrize(
    ("status", "name"),
    [(429, "RESOURCE_EXHAUSTED"), (500, "INTERNAL"), (503, "UNAVAILABLE"), (504, "DEADLINE_EXCEEDED")],
)
def test_retryable_statuses_are_unavailable(status: int, name: str) -> None:
    with pytest.raises(GenerationUnavailable) as unavailable:
        classify_reply(status, google_error(status, name, "The model is overloaded. Please try again later."))

    assert unavailable.value.status == status
    assert name in str(unavailable.value)
    assert "overloaded" in str(unavailable.value)


def test_a_429_carries_googles_retry_delay() -> None:
    body = google_error(
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota.",
        details=[{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}],
    )

    with pytest.raises(GenerationUnavailable) as unavailable:
        classify_reply(429, body)

    assert unavailable.value.retry_after == 37.0


def test_an_unavailable_reply_need_not_be_json() -> None:
    with pytest.raises(GenerationUnavailable) as unavailable:
        classify_reply(503, b"<html>Service Unavailable</html>")

    assert unavailable.value.status == 503


def test_a_400_is_a_failure_keeping_googles_message_for_the_logs() -> None:
    message = "Project 123456789 has no access to models/gemini-3-pro-image. Please pass a valid API key."
    body = google_error(400, "INVALID_ARGUMENT", message)

    with pytest.raises(GenerationFailed) as failed:
        classify_reply(400, body)

    # What people see says what happened; Google's words (project numbers, model ids) stay in the logs.
    assert str(failed.value) == "The image model rejected the request (HTTP 400 INVALID_ARGUMENT)."
    assert failed.value.detail == message


@pytest.mark.parametrize("details", [{"@type": "type.googleapis.com/google.rpc.RetryInfo"}, "37s", 42])
def test_an_error_of_an_unexpected_shape_is_still_read(details: object) -> None:
    body = json.dumps(
        {"error": {"code": 429, "message": "Slow down.", "status": "RESOURCE_EXHAUSTED", "details": details}}
    )

    with pytest.raises(GenerationUnavailable) as unavailable:
        classify_reply(429, body.encode())

    assert unavailable.value.retry_after is None


@pytest.mark.parametrize("status", [401, 403, 409, 502])
def test_other_statuses_are_failures(status: int) -> None:
    with pytest.raises(GenerationFailed, match=f"HTTP {status}") as failed:
        classify_reply(status, b"")

    assert not isinstance(failed.value, ModelRetired)


def test_a_404_is_a_retired_model() -> None:
    body = google_error(404, "NOT_FOUND", "models/gemini-2.5-flash-image is not found for API version v1beta")

    with pytest.raises(ModelRetired) as retired:
        classify_reply(404, body)

    assert str(retired.value) == "This model is no longer available."
    assert "gemini-2.5-flash-image is not found" in retired.value.detail


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="malformed-json"),
        pytest.param(b"\xff\xfe", id="not-utf8"),
        pytest.param(b"[]", id="not-an-object"),
        pytest.param(b'{"candidates": {}}', id="candidates-not-a-list"),
        pytest.param(b'{"candidates": [42]}', id="candidate-not-an-object"),
        pytest.param(b'{"candidates": [{"content": {"parts": {}}}]}', id="parts-not-a-list"),
        pytest.param(b"{}", id="empty"),
        pytest.param(reply(finish="STOP"), id="no-parts"),
        pytest.param(reply({"inlineData": {"mimeType": "image/png"}}), id="no-data"),
        pytest.param(
            reply({"inlineData": {"mimeType": "image/png", "data": "@@@ not base64 @@@"}}), id="bad-b64"
        ),
        pytest.param(reply(inline(b"")), id="empty-image"),
    ],
)
def test_unreadable_200_replies_are_failures(body: bytes) -> None:
    with pytest.raises(GenerationFailed):
        classify_reply(200, body)


@pytest.mark.parametrize("mime", ["image/gif", "image/svg+xml", "text/html"])
def test_an_unsupported_mime_type_is_a_failure(mime: str) -> None:
    with pytest.raises(GenerationFailed, match="unsupported type"):
        classify_reply(200, reply({"text": "Here it is."}, inline(mime=mime)))


def test_the_contract_constants() -> None:
    assert sorted(RETRYABLE_STATUSES) == [429, 500, 503, 504]


# ---------------------------------------------------------------------------------------------
# GeminiClient over real HTTP


@dataclass
class Served:
    gemini: LocalGemini
    base_url: str


@pytest.fixture
def served() -> Iterator[Served]:
    """The local stand-in behind a tiny router, on a free loopback port."""
    gemini = LocalGemini(KEY)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = (
            gemini.handle(request) if request.path.startswith("/v1beta/models/") else Response("", status=404)
        )
        return response(environ, start_response)

    with serving(app) as base_url:
        yield Served(gemini, base_url)


@dataclass
class Sleeps:
    """Records the delays the client asks for instead of sleeping."""

    delays: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def client(base_url: str, sleeps: Sleeps, key: str = KEY, **options: Any) -> GeminiClient:
    return GeminiClient(base_url, lambda: key, timeout_seconds=5.0, sleep=sleeps, **options)


def ask(prompt: str, ratio: str = "1:1", size: str = "1K", model: str = MODEL) -> ImageRequest:
    return ImageRequest(
        model=model, turns=[Turn("user", (Part(text=prompt),))], aspect_ratio=ratio, image_size=size
    )


@pytest.mark.parametrize(
    ("ratio", "size", "pixels"),
    [("16:9", "1K", (1376, 768)), ("9:16", "1K", (768, 1376)), ("1:1", "2K", (2048, 2048))],
)
def test_generate_returns_a_png_of_the_ratio_and_size(
    served: Served, ratio: str, size: str, pixels: tuple[int, int]
) -> None:
    answer = client(served.base_url, Sleeps()).generate(ask("a fox in the snow", ratio, size))

    assert answer.image.mime_type == "image/png"
    picture = Image.open(io.BytesIO(answer.image.data))
    assert picture.format == "PNG"
    assert picture.size == pixels
    assert all(part.thought_signature for part in answer.parts)
    assert served.gemini.calls == 1


def test_an_edit_replays_the_models_turn_and_the_model_accepts_it(served: Served) -> None:
    gemini = client(served.base_url, Sleeps())
    first = gemini.generate(ask("a red fox"))
    edit = ImageRequest(
        model=MODEL,
        turns=[
            Turn("user", (Part(text="a red fox"),)),
            Turn("model", first.parts),
            Turn("user", (Part(text="give it a hat"), Part(image=first.image))),
        ],
        aspect_ratio="1:1",
        image_size="1K",
    )

    assert gemini.generate(edit).image.mime_type == "image/png"
    (logged, _) = served.gemini.requests()
    assert [turn["role"] for turn in logged["turns"]] == ["user", "model", "user"]
    assert logged["turns"][1]["parts"][1]["thoughtSignature"] is True


def test_a_turn_replayed_to_another_model_is_refused(served: Served) -> None:
    gemini = client(served.base_url, Sleeps())
    first = gemini.generate(ask("a red fox"))
    edit = ImageRequest(
        model="gemini-3-pro-image",
        turns=[
            Turn("user", (Part(text="a red fox"),)),
            Turn("model", first.parts),
            Turn("user", (Part(text="give it a hat"),)),
        ],
        aspect_ratio="1:1",
        image_size="1K",
    )

    with pytest.raises(GenerationFailed) as failed:
        gemini.generate(edit)

    assert "Thought signature is not valid" in failed.value.detail


def test_the_request_is_what_gemini_expects() -> None:
    seen: list[tuple[str, str, dict[str, str], Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        seen.append((request.method, request.full_path, dict(request.headers), request.get_json()))
        return Response(reply(inline()), content_type="application/json")(environ, start_response)

    with serving(app) as base_url:
        keys = iter(["first-key", "rotated-key"])
        gemini = GeminiClient(base_url + "/", lambda: next(keys), timeout_seconds=5.0)
        gemini.generate(ask("a fox", "4:5", "2K", model="some-model"))
        gemini.generate(
            ImageRequest(
                model="other-model",
                turns=[
                    Turn("user", (Part(text="a fox"),)),
                    Turn("model", (Part(image=InlineImage(b"fox", "image/png"), thought_signature="c2ln"),)),
                    Turn("user", (Part(text="in the snow"), Part(image=InlineImage(b"snow", "image/jpeg")))),
                ],
                aspect_ratio="1:1",
                image_size="1K",
            )
        )

    (method, path, headers, payload), (_, edit_path, rotated_headers, edit) = seen
    assert method == "POST"
    assert path == "/v1beta/models/some-model:generateContent?"  # werkzeug's full_path: no query, no key
    assert edit_path == "/v1beta/models/other-model:generateContent?"
    assert headers["X-Goog-Api-Key"] == "first-key"
    assert rotated_headers["X-Goog-Api-Key"] == "rotated-key"  # read at call time
    assert payload == {
        "contents": [{"role": "user", "parts": [{"text": "a fox"}]}],
        "generationConfig": {
            "responseModalities": ["IMAGE"],
            "imageConfig": {"aspectRatio": "4:5", "imageSize": "2K"},
        },
    }
    assert edit["contents"] == [
        {"role": "user", "parts": [{"text": "a fox"}]},
        {
            "role": "model",
            "parts": [
                {
                    "inlineData": {"mimeType": "image/png", "data": base64.b64encode(b"fox").decode()},
                    "thoughtSignature": "c2ln",
                }
            ],
        },
        {
            "role": "user",
            "parts": [
                {"text": "in the snow"},
                {"inlineData": {"mimeType": "image/jpeg", "data": base64.b64encode(b"snow").decode()}},
            ],
        },
    ]


def test_a_wrong_key_fails_at_once(served: Served) -> None:
    sleeps = Sleeps()

    with pytest.raises(GenerationFailed, match="HTTP 403 PERMISSION_DENIED") as failed:
        client(served.base_url, sleeps, key="wrong-key").generate(ask("a fox"))

    assert "wrong-key" not in str(failed.value)
    assert served.gemini.calls == 1
    assert sleeps.delays == []


def test_a_refusal_is_not_retried(served: Served) -> None:
    sleeps = Sleeps()

    with pytest.raises(GenerationRefused, match=r"declined this prompt \(PROHIBITED_CONTENT\)"):
        client(served.base_url, sleeps).generate(ask("something Forbidden"))

    assert served.gemini.calls == 1
    assert sleeps.delays == []


def test_transient_failures_are_retried_until_success(served: Served) -> None:
    served.gemini.fail_next(2, 503)
    sleeps = Sleeps()

    answer = client(
        served.base_url, sleeps, attempts=3, backoff_base_seconds=1.0, backoff_cap_seconds=8.0
    ).generate(ask("a fox"))

    assert answer.image.mime_type == "image/png"
    assert served.gemini.calls == 3
    assert len(sleeps.delays) == 2
    assert all(0 <= delay <= 8.0 for delay in sleeps.delays)


def test_a_persistent_429_gives_up_after_the_attempts(served: Served) -> None:
    served.gemini.fail_next(5, 429)
    sleeps = Sleeps()

    with pytest.raises(GenerationUnavailable) as unavailable:
        client(served.base_url, sleeps, attempts=4).generate(ask("a fox"))

    assert unavailable.value.status == 429
    assert "gave up after 4 attempts" in str(unavailable.value)
    assert served.gemini.calls == 4
    assert len(sleeps.delays) == 3
    assert served.gemini.pending_faults == 1


def test_backoff_is_exponential_and_capped(served: Served) -> None:
    served.gemini.fail_next(6, 500)
    sleeps = Sleeps()
    gemini = client(
        served.base_url,
        sleeps,
        attempts=6,
        backoff_base_seconds=0.5,
        backoff_cap_seconds=3.0,
        random=lambda: 1.0,
    )

    with pytest.raises(GenerationUnavailable):
        gemini.generate(ask("a fox"))

    assert sleeps.delays == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_backoff_is_fully_jittered(served: Served) -> None:
    served.gemini.fail_next(3, 504)
    sleeps = Sleeps()
    draws = iter([0.0, 0.25, 0.5])

    with pytest.raises(GenerationUnavailable):
        client(served.base_url, sleeps, attempts=3, random=lambda: next(draws)).generate(ask("a fox"))

    assert sleeps.delays == [0.0, 0.5]  # random() * min(8, 1 * 2**n) for n = 0, 1


@pytest.mark.parametrize(("retry_after", "expected"), [("2", 2.0), ("0", 0.0), ("30", 1.0), ("soon", 1.0)])
def test_retry_after_is_honoured_within_the_cap(retry_after: str, expected: float) -> None:
    answers = [503, 200]

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        status = answers.pop(0)
        if status == 200:
            return Response(reply(inline()), content_type="application/json")(environ, start_response)
        response = Response(google_error(503, "UNAVAILABLE", "Try later."), status=503)
        response.headers["Retry-After"] = retry_after
        return response(environ, start_response)

    sleeps = Sleeps()
    with serving(app) as base_url:
        # With random() fixed at 1.0 the jittered delay would be exactly base: 1.0.
        client(base_url, sleeps, backoff_cap_seconds=8.0, random=lambda: 1.0).generate(ask("a fox"))

    assert sleeps.delays == [expected]


def test_a_timeout_is_unavailable_without_a_status() -> None:
    release = threading.Event()

    def slow(environ: dict[str, Any], start_response: Any) -> Any:
        release.wait(5)
        return Response(reply(inline()))(environ, start_response)

    sleeps = Sleeps()
    with serving(slow) as base_url:
        try:
            gemini = GeminiClient(base_url, lambda: KEY, timeout_seconds=0.2, attempts=2, sleep=sleeps)
            with pytest.raises(GenerationUnavailable, match="did not answer in time") as unavailable:
                gemini.generate(ask("a fox"))
        finally:
            release.set()

    assert unavailable.value.status is None
    assert len(sleeps.delays) == 1


def test_a_refused_connection_is_unavailable_after_retries() -> None:
    with socket.socket() as probe:  # a port nobody listens on any more
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()

    with pytest.raises(GenerationUnavailable, match="could not be reached") as unavailable:
        client(f"http://127.0.0.1:{port}", sleeps, attempts=3).generate(ask("a fox"))

    assert unavailable.value.status is None
    assert len(sleeps.delays) == 2


@pytest.mark.parametrize("model", ["gemini-2.5-flash-image", "gemini-9"])
def test_a_retired_or_unknown_model_is_retired_at_once(served: Served, model: str) -> None:
    sleeps = Sleeps()

    with pytest.raises(ModelRetired):
        client(served.base_url, sleeps).generate(ask("a fox", model=model))

    assert served.gemini.calls == 1
    assert sleeps.delays == []


@pytest.mark.parametrize(
    "turns",
    [
        pytest.param([], id="no-turns"),
        pytest.param([Turn("user", (Part(text="   "),))], id="blank-prompt"),
        pytest.param([Turn("user", (Part(image=InlineImage(PNG, "image/png")),))], id="no-text"),
        pytest.param(
            [Turn("user", (Part(text="a fox"),)), Turn("model", (Part(text="ok"),))], id="model-last"
        ),
    ],
)
def test_caller_mistakes_are_refused_before_any_call(served: Served, turns: list[Turn]) -> None:
    request = ImageRequest(model=MODEL, turns=turns, aspect_ratio="1:1", image_size="1K")

    with pytest.raises(ValueError, match="user's text"):
        client(served.base_url, Sleeps()).generate(request)

    assert served.gemini.calls == 0
