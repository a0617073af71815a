"""The local Gemini stand-in: Google's checks, shapes and refusals, faults, and its pictures."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from typing import Any

import pytest
from PIL import Image
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from devstack.gemini import DEFAULT_MODEL, LocalGemini, draw, image_size

KEY = "local-gemini-key"


@pytest.fixture
def gemini() -> LocalGemini:
    return LocalGemini(KEY)


@pytest.fixture
def client(gemini: LocalGemini) -> Client:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = gemini.handle(request) if request.path == gemini.path() else Response("", status=404)
        return response(environ, start_response)

    return Client(app)


def body(prompt: str = "a red fox in the snow", ratio: str | None = None, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"responseModalities": ["IMAGE"]}
    if ratio is not None:
        config["imageConfig"] = {"aspectRatio": ratio}
    document: dict[str, Any] = {
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": config,
    }
    return {**document, **overrides}


def post(client: Client, gemini: LocalGemini, payload: Any, key: str | None = KEY) -> tuple[int, Any]:
    headers = {"x-goog-api-key": key} if key is not None else {}
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = client.post(gemini.path(), data=data, headers=headers, content_type="application/json")
    return response.status_code, json.loads(response.get_data())


def assert_google_error(reply: Any, code: int, status: str) -> None:
    assert set(reply) == {"error"}
    assert reply["error"]["code"] == code
    assert reply["error"]["status"] == status
    assert isinstance(reply["error"]["message"], str)
    assert reply["error"]["message"]


def test_path_names_the_model() -> None:
    assert LocalGemini(KEY).path() == f"/v1beta/models/{DEFAULT_MODEL}:generateContent"
    assert LocalGemini(KEY, "other-model").path() == "/v1beta/models/other-model:generateContent"


def test_an_image_reply_has_geminis_shape(client: Client, gemini: LocalGemini) -> None:
    status, reply = post(client, gemini, body("a red fox", "16:9"))

    assert status == 200
    (candidate,) = reply["candidates"]
    assert candidate["finishReason"] == "STOP"
    assert candidate["index"] == 0
    assert candidate["content"]["role"] == "model"
    text, image = candidate["content"]["parts"]
    assert text == {"text": "Here is your image."}
    assert image["inlineData"]["mimeType"] == "image/png"
    png = base64.b64decode(image["inlineData"]["data"], validate=True)
    assert png == draw("a red fox", "16:9")
    assert reply["modelVersion"] == DEFAULT_MODEL
    usage = reply["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert gemini.calls == 1


def test_without_an_image_config_the_image_is_square(client: Client, gemini: LocalGemini) -> None:
    _, reply = post(client, gemini, body("a lighthouse"))

    data = reply["candidates"][0]["content"]["parts"][1]["inlineData"]["data"]
    assert Image.open(io.BytesIO(base64.b64decode(data))).size == (1024, 1024)


def test_a_missing_key_is_unauthenticated(client: Client, gemini: LocalGemini) -> None:
    status, reply = post(client, gemini, body(), key=None)

    assert status == 401
    assert_google_error(reply, 401, "UNAUTHENTICATED")
    assert "unregistered callers" in reply["error"]["message"]


def test_a_wrong_key_is_denied(client: Client, gemini: LocalGemini) -> None:
    status, reply = post(client, gemini, body(), key="not-the-key")

    assert status == 403
    assert_google_error(reply, 403, "PERMISSION_DENIED")
    assert gemini.calls == 1


def test_only_post_is_allowed(client: Client, gemini: LocalGemini) -> None:
    response = client.get(gemini.path(), headers={"x-goog-api-key": KEY})

    assert response.status_code == 405
    assert_google_error(json.loads(response.get_data()), 405, "INVALID_ARGUMENT")


def test_another_model_is_not_found(gemini: LocalGemini) -> None:
    request = Request.from_values(
        path="/v1beta/models/gemini-9:generateContent",
        method="POST",
        data=json.dumps(body()),
        headers={"x-goog-api-key": KEY},
    )

    response = gemini.handle(request)

    assert response.status_code == 404
    assert_google_error(json.loads(response.get_data()), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"{not json", id="not-json"),
        pytest.param([1, 2], id="not-an-object"),
        pytest.param({"generationConfig": {"responseModalities": ["IMAGE"]}}, id="no-contents"),
        pytest.param(body(contents=[]), id="empty-contents"),
        pytest.param(body(contents=[{"role": "user"}]), id="no-parts"),
        pytest.param(body(contents=[{"role": "user", "parts": [{"text": "   "}]}]), id="blank-text"),
        pytest.param(body(contents=[{"role": "user", "parts": [{"text": 42}]}]), id="text-not-a-string"),
        pytest.param(body(contents=[{"role": "user", "parts": ["a fox"]}]), id="part-not-an-object"),
        pytest.param(body(generationConfig=None), id="no-generation-config"),
        pytest.param(body(generationConfig={"responseModalities": ["TEXT"]}), id="no-image-modality"),
        pytest.param(body(generationConfig={"responseModalities": "IMAGE"}), id="modalities-not-a-list"),
        pytest.param(body(ratio="7:3"), id="unknown-ratio"),
        pytest.param(body(ratio="16x9"), id="malformed-ratio"),
        pytest.param(
            body(generationConfig={"responseModalities": ["IMAGE"], "imageConfig": "16:9"}),
            id="image-config-not-an-object",
        ),
    ],
)
def test_bad_requests_are_invalid_arguments(client: Client, gemini: LocalGemini, payload: Any) -> None:
    status, reply = post(client, gemini, payload)

    assert status == 400
    assert_google_error(reply, 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("prompt", ["forbidden", "a FORBIDDEN fruit", "The Forbidden City at night."])
def test_forbidden_prompts_are_refused_like_gemini(client: Client, gemini: LocalGemini, prompt: str) -> None:
    status, reply = post(client, gemini, body(prompt))

    assert status == 200
    assert reply["promptFeedback"] == {"blockReason": "PROHIBITED_CONTENT"}
    assert "candidates" not in reply
    assert reply["usageMetadata"]["promptTokenCount"] >= 1


def test_forbidden_must_be_a_word(client: Client, gemini: LocalGemini) -> None:
    status, reply = post(client, gemini, body("unforbiddenness is not a word"))

    assert status == 200
    assert "candidates" in reply


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (429, "RESOURCE_EXHAUSTED"),
        (500, "INTERNAL"),
        (503, "UNAVAILABLE"),
        (504, "DEADLINE_EXCEEDED"),
        (418, "UNKNOWN"),
    ],
)
def test_faults_count_down(client: Client, gemini: LocalGemini, status: int, name: str) -> None:
    gemini.fail_next(2, status)

    for _ in range(2):
        got, reply = post(client, gemini, body())
        assert got == status
        assert_google_error(reply, status, name)
    got, _ = post(client, gemini, body())

    assert got == 200
    assert gemini.calls == 3


def test_faults_come_before_every_check(client: Client, gemini: LocalGemini) -> None:
    gemini.fail_next(1, 503)

    status, _ = post(client, gemini, b"garbage", key="wrong")

    assert status == 503


def test_faults_can_be_cleared_and_replaced(client: Client, gemini: LocalGemini) -> None:
    gemini.fail_next(5, 500)
    gemini.clear_faults()
    assert post(client, gemini, body())[0] == 200

    gemini.fail_next(5, 500)
    gemini.fail_next(1, 429)
    assert post(client, gemini, body())[0] == 429
    assert post(client, gemini, body())[0] == 200
    assert gemini.pending_faults == 0


@pytest.mark.parametrize(("count", "status"), [(-1, 500), (1, 200), (1, 600)])
def test_fail_next_refuses_nonsense(gemini: LocalGemini, count: int, status: int) -> None:
    with pytest.raises(ValueError, match="fail_next"):
        gemini.fail_next(count, status)


def test_calls_are_counted_across_threads(gemini: LocalGemini) -> None:
    def call() -> None:
        for _ in range(25):
            gemini.handle(Request.from_values(path=gemini.path(), method="POST", data=b"{}"))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert gemini.calls == 200


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("1:1", (1024, 1024)),
        ("16:9", (1024, 576)),
        ("9:16", (576, 1024)),
        ("21:9", (1024, 439)),
        ("3:4", (768, 1024)),
    ],
)
def test_draw_sizes_follow_the_ratio(ratio: str, size: tuple[int, int]) -> None:
    image = Image.open(io.BytesIO(draw("mountains at dawn", ratio)))

    assert image.format == "PNG"
    assert image.size == size == image_size(ratio)


def test_draw_honours_the_long_side() -> None:
    assert Image.open(io.BytesIO(draw("small", "16:9", long_side=256))).size == (256, 144)


def test_draw_is_deterministic_per_prompt_and_ratio() -> None:
    first = draw("a castle on a hill", "16:9")

    assert draw("a castle on a hill", "16:9") == first
    assert draw("a castle on a hill", "9:16") != first
    assert draw("a castle on a lake", "16:9") != first


def test_draw_is_a_picture_not_noise() -> None:
    image = Image.open(io.BytesIO(draw("a quiet valley", "1:1"))).convert("RGB")

    # A handful of flat shapes and a gradient: few distinct colours, and it compresses well.
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is not None
    assert len(colours) < 20_000
    assert len(draw("a quiet valley", "1:1")) < 400_000


def test_draw_writes_long_prompts_without_failing() -> None:
    prompt = "an extraordinarily " * 40 + "Pneumonoultramicroscopicsilicovolcanoconiosis" * 4
    image = Image.open(io.BytesIO(draw(prompt, "9:16")))

    assert image.size == (576, 1024)


def test_draw_is_quick() -> None:
    draw("warm up", "1:1")
    started = time.perf_counter()
    for index in range(5):
        draw(f"timing prompt {index}", "1:1")

    assert (time.perf_counter() - started) / 5 < 0.25  # ~50 ms here; generous for slow CI machines


def test_draw_refuses_an_unknown_ratio() -> None:
    with pytest.raises(ValueError, match="aspect ratio"):
        draw("x", "5:7")
