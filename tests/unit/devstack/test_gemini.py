"""The local Gemini stand-in: Google's models, checks, shapes and refusals, faults, pictures, log."""

from __future__ import annotations

import base64
import io
import json
import threading
from typing import Any

import pytest
from PIL import Image
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from devstack.gemini import (
    FOURTEEN_RATIOS,
    RETIRED_MODELS,
    SERVED_MODELS,
    TEN_RATIOS,
    LocalGemini,
    generate_content_path,
    output_size,
    picture,
    reference_tiles,
)
from tests.images import BLUE, GREEN, RED, close_to, encode, png, solid

KEY = "local-gemini-key"
FAST = "gemini-nano-banana-2.1"
PRO = "gemini-3-pro-image"
LITE = "gemini-3.1-flash-lite-image"


@pytest.fixture
def gemini() -> LocalGemini:
    return LocalGemini(KEY)


@pytest.fixture
def client(gemini: LocalGemini) -> Client:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = (
            gemini.handle(request) if request.path.startswith("/v1beta/models/") else Response(status=404)
        )
        return response(environ, start_response)

    return Client(app)


def text(value: str, **extra: Any) -> dict[str, Any]:
    return {"text": value, **extra}


def inline(data: bytes, mime_type: str = "image/png", **extra: Any) -> dict[str, Any]:
    return {"inlineData": {"mimeType": mime_type, "data": base64.b64encode(data).decode()}, **extra}


def body(
    prompt: str = "a red fox in the snow",
    ratio: str | None = None,
    size: str | None = None,
    images: tuple[bytes, ...] = (),
    **overrides: Any,
) -> dict[str, Any]:
    image_config = {
        **({"aspectRatio": ratio} if ratio else {}),
        **({"imageSize": size} if size else {}),
    }
    document: dict[str, Any] = {
        "contents": [{"role": "user", "parts": [text(prompt), *(inline(data) for data in images)]}],
        "generationConfig": {
            "responseModalities": ["IMAGE"],
            **({"imageConfig": image_config} if image_config else {}),
        },
    }
    return {**document, **overrides}


def post(
    client: Client, payload: Any, model: str = FAST, key: str | None = KEY
) -> tuple[int, dict[str, Any]]:
    headers = {"x-goog-api-key": key} if key is not None else {}
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = client.post(
        generate_content_path(model), data=data, headers=headers, content_type="application/json"
    )
    return response.status_code, json.loads(response.get_data())


def image_of(reply: dict[str, Any]) -> Image.Image:
    data = reply["candidates"][0]["content"]["parts"][1]["inlineData"]["data"]
    return Image.open(io.BytesIO(base64.b64decode(data)))


def assert_google_error(reply: Any, code: int, status: str) -> None:
    assert set(reply) == {"error"}
    assert reply["error"]["code"] == code
    assert reply["error"]["status"] == status
    assert isinstance(reply["error"]["message"], str)
    assert reply["error"]["message"]


def test_an_image_reply_has_geminis_shape_with_signed_parts(client: Client, gemini: LocalGemini) -> None:
    status, reply = post(client, body("a red fox", "16:9"))

    assert status == 200
    (candidate,) = reply["candidates"]
    assert (candidate["finishReason"], candidate["index"], candidate["content"]["role"]) == (
        "STOP",
        0,
        "model",
    )
    words, image = candidate["content"]["parts"]
    assert words["text"] == "Here is your image."
    assert image["inlineData"]["mimeType"] == "image/png"
    assert words["thoughtSignature"]
    assert image["thoughtSignature"]
    assert reply["modelVersion"] == FAST
    usage = reply["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert gemini.calls == 1


@pytest.mark.parametrize(
    ("ratio", "size", "expected"),
    [
        ("1:1", "1K", (1024, 1024)),
        ("16:9", "1K", (1376, 768)),
        ("16:9", "2K", (2752, 1536)),
        ("4:1", "2K", (4096, 1024)),
        ("9:16", "1K", (768, 1376)),
        ("1:8", "1K", (368, 2896)),
        ("1:1", "4K", (4096, 4096)),
    ],
)
def test_images_have_the_ratio_and_size_class_asked_for(
    client: Client, ratio: str, size: str, expected: tuple[int, int]
) -> None:
    status, reply = post(client, body("a lighthouse", ratio, size))

    assert status == 200
    image = image_of(reply)
    assert image.size == expected == output_size(ratio, size)
    megapixels = image.width * image.height / 1_000_000
    assert {"1K": 0.8 < megapixels < 1.3, "2K": 3.4 < megapixels < 5, "4K": 14 < megapixels < 19}[size]


def test_without_an_image_config_the_image_is_a_square_1k(client: Client) -> None:
    assert image_of(post(client, body("a lighthouse"))[1]).size == (1024, 1024)


@pytest.mark.parametrize("model", [*RETIRED_MODELS, "gemini-9-image", "imagen-4.0-generate-001"])
def test_a_retired_or_unknown_model_is_not_found(client: Client, model: str) -> None:
    status, reply = post(client, body(), model=model)

    assert status == 404
    assert_google_error(reply, 404, "NOT_FOUND")
    assert model in reply["error"]["message"]


@pytest.mark.parametrize(
    ("model", "config"),
    [
        (LITE, {"imageSize": "2K"}),
        (LITE, {"imageSize": "4K"}),
        (FAST, {"imageSize": "512"}),
        (FAST, {"imageSize": "2k"}),  # Google wants an upper-case K
        (PRO, {"aspectRatio": "4:1"}),
        (PRO, {"aspectRatio": "1:8"}),
        (FAST, {"aspectRatio": "7:3"}),
        (FAST, {"aspectRatio": "16x9"}),
    ],
)
def test_a_size_or_ratio_the_model_does_not_take_is_an_invalid_argument(
    client: Client, model: str, config: dict[str, str]
) -> None:
    payload = body(generationConfig={"responseModalities": ["IMAGE"], "imageConfig": config})

    status, reply = post(client, payload, model=model)

    assert status == 400
    assert_google_error(reply, 400, "INVALID_ARGUMENT")


def test_each_served_model_takes_what_google_says() -> None:
    assert SERVED_MODELS[FAST].ratios == FOURTEEN_RATIOS
    assert SERVED_MODELS[PRO].ratios == TEN_RATIOS
    assert SERVED_MODELS[LITE].sizes == ("1K",)
    assert {model.max_images for model in SERVED_MODELS.values()} == {14}
    assert not set(RETIRED_MODELS) & set(SERVED_MODELS)


def test_more_input_images_than_the_model_takes_is_an_invalid_argument(client: Client) -> None:
    tiny = png(8, 8)

    assert post(client, body(images=(tiny,) * 14))[0] == 200
    status, reply = post(client, body(images=(tiny,) * 15))

    assert status == 400
    assert "at most 14" in reply["error"]["message"]


def test_an_edit_paints_its_source_and_tiles_its_references(client: Client) -> None:
    source, first, second = (encode(solid(300, 200, colour), "PNG") for colour in (RED, BLUE, GREEN))

    status, reply = post(client, body("make it pop", "3:2", images=(source, first, second)))

    assert status == 200
    image = image_of(reply).convert("RGB")
    assert image.size == (1264, 848)
    assert close_to(image.getpixel((image.width // 2, image.height // 2)), RED)
    for box, colour in zip(reference_tiles(*image.size, 2), (BLUE, GREEN), strict=True):
        assert close_to(image.getpixel(((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)), colour)


def test_an_edit_without_a_ratio_keeps_its_sources(client: Client) -> None:
    source = encode(solid(400, 100, RED), "JPEG")

    status, reply = post(client, body("wider", images=(source,)))

    assert status == 200
    assert image_of(reply).size == output_size("4:1")


def replay(first: dict[str, Any], prompt: str = "a red fox") -> list[dict[str, Any]]:
    """The first turn as a client replays it: the prompt, then the model's parts as they came."""
    return [
        {"role": "user", "parts": [text(prompt)]},
        {"role": "model", "parts": first["candidates"][0]["content"]["parts"]},
    ]


def test_a_replayed_turn_with_the_models_signatures_is_edited(client: Client) -> None:
    _, first = post(client, body("a red fox"))
    contents = [*replay(first), {"role": "user", "parts": [text("give it a hat")]}]

    status, reply = post(client, body(contents=contents))

    assert status == 200
    # The model's own image is the one edited: same picture under the new caption.
    edited, original = image_of(reply).convert("RGB"), image_of(first).convert("RGB")
    assert close_to(edited.getpixel((512, 100)), original.getpixel((512, 100)), tolerance=8)


def test_a_replayed_image_without_its_signature_is_refused(client: Client) -> None:
    _, first = post(client, body("a red fox"))
    contents = replay(first)
    for part in contents[1]["parts"]:
        part.pop("thoughtSignature")
    contents.append({"role": "user", "parts": [text("give it a hat")]})

    status, reply = post(client, body(contents=contents))

    assert status == 400
    assert "thought_signature" in reply["error"]["message"]


@pytest.mark.parametrize("forge", ["another-model", "forged", "not base64!"])
def test_a_signature_the_model_did_not_issue_is_refused(
    client: Client, gemini: LocalGemini, forge: str
) -> None:
    _, first = post(client, body("a red fox"))
    contents = replay(first)
    image_part = contents[1]["parts"][1]
    image_part["thoughtSignature"] = {
        "another-model": gemini.sign(PRO),
        "forged": base64.b64encode(f"{FAST}:0000|{'x' * 16}".encode()).decode(),
        "not base64!": "not base64!",
    }[forge]
    contents.append({"role": "user", "parts": [text("give it a hat")]})

    status, reply = post(client, body(contents=contents))

    assert status == 400
    assert "Thought signature is not valid" in reply["error"]["message"]


def test_the_request_log_summarizes_what_was_sent_newest_first(client: Client, gemini: LocalGemini) -> None:
    _, first = post(client, body("a red fox", "16:9", "2K"))
    reference = encode(solid(640, 480, BLUE), "JPEG")
    contents = [
        *replay(first),
        {"role": "user", "parts": [text("add this"), inline(reference, "image/jpeg")]},
    ]
    post(client, body(contents=contents))
    post(client, body(), model="gemini-2.5-flash-image")

    retired, edit, generation = gemini.requests()

    assert (retired["model"], retired["status"]) == ("gemini-2.5-flash-image", 404)
    assert (generation["model"], generation["status"]) == (FAST, 200)
    assert generation["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "2K"}
    assert generation["turns"] == [{"role": "user", "parts": [{"text": "a red fox"}]}]
    assert [turn["role"] for turn in edit["turns"]] == ["user", "model", "user"]
    replayed = edit["turns"][1]["parts"]
    assert replayed[0] == {"text": "Here is your image.", "thoughtSignature": True}
    assert replayed[1] == {
        "image": {
            "mimeType": "image/png",
            "width": 2752,
            "height": 1536,
            "bytes": replayed[1]["image"]["bytes"],
        },
        "thoughtSignature": True,
    }
    assert edit["turns"][2]["parts"][1] == {
        "image": {"mimeType": "image/jpeg", "width": 640, "height": 480, "bytes": len(reference)}
    }
    assert base64.b64encode(reference).decode()[:40] not in json.dumps(gemini.requests())
    assert len(gemini.requests(limit=1)) == 1


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
        pytest.param(body(contents=[{"role": "user", "parts": [{"txt": "a fox"}]}]), id="unknown-field"),
        pytest.param(body(contents=[{"role": "robot", "parts": [text("a fox")]}]), id="unknown-role"),
        pytest.param(
            body(contents=[{"role": "user", "parts": [text("a"), inline(b"GIF89a", "image/gif")]}]),
            id="unsupported-mime-type",
        ),
        pytest.param(
            body(contents=[{"role": "user", "parts": [text("a"), inline(b"not an image")]}]),
            id="not-an-image",
        ),
        pytest.param(
            body(
                contents=[
                    {
                        "role": "user",
                        "parts": [text("a"), {"inlineData": {"mimeType": "image/png", "data": "%%"}}],
                    }
                ]
            ),
            id="not-base64",
        ),
        pytest.param(
            body(contents=[{"role": "user", "parts": [text("a")]}, {"role": "model", "parts": [text("b")]}]),
            id="ends-with-the-model",
        ),
        pytest.param(body(generationConfig=None), id="no-generation-config"),
        pytest.param(body(generationConfig={"responseModalities": ["TEXT"]}), id="no-image-modality"),
        pytest.param(body(generationConfig={"responseModalities": "IMAGE"}), id="modalities-not-a-list"),
        pytest.param(
            body(generationConfig={"responseModalities": ["IMAGE"], "imageConfig": "16:9"}),
            id="image-config-not-an-object",
        ),
    ],
)
def test_bad_requests_are_invalid_arguments(client: Client, payload: Any) -> None:
    status, reply = post(client, payload)

    assert status == 400
    assert_google_error(reply, 400, "INVALID_ARGUMENT")


def test_a_request_over_20_mb_is_refused(client: Client) -> None:
    status, reply = post(client, body("x" * (21 * 1024 * 1024)))

    assert status == 400
    assert "payload size exceeds" in reply["error"]["message"]


def test_a_missing_key_is_unauthenticated(client: Client) -> None:
    status, reply = post(client, body(), key=None)

    assert status == 401
    assert_google_error(reply, 401, "UNAUTHENTICATED")
    assert "unregistered callers" in reply["error"]["message"]


def test_a_wrong_key_is_denied(client: Client, gemini: LocalGemini) -> None:
    status, reply = post(client, body(), key="not-the-key")

    assert status == 403
    assert_google_error(reply, 403, "PERMISSION_DENIED")
    assert gemini.calls == 1


def test_only_post_is_allowed(client: Client) -> None:
    response = client.get(generate_content_path(FAST), headers={"x-goog-api-key": KEY})

    assert response.status_code == 405
    assert_google_error(json.loads(response.get_data()), 405, "INVALID_ARGUMENT")


@pytest.mark.parametrize("prompt", ["forbidden", "a FORBIDDEN fruit", "The Forbidden City at night."])
def test_forbidden_prompts_are_refused_like_gemini(client: Client, prompt: str) -> None:
    status, reply = post(client, body(prompt))

    assert status == 200
    assert reply["promptFeedback"] == {"blockReason": "PROHIBITED_CONTENT"}
    assert "candidates" not in reply
    assert reply["usageMetadata"]["promptTokenCount"] >= 1


def test_forbidden_must_be_a_word(client: Client) -> None:
    status, reply = post(client, body("unforbiddenness is not a word"))

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
        got, reply = post(client, body())
        assert got == status
        assert_google_error(reply, status, name)
    got, _ = post(client, body())

    assert got == 200
    assert gemini.calls == 3
    assert [entry["status"] for entry in gemini.requests()] == [200, status, status]


def test_faults_win_over_a_bad_request(client: Client, gemini: LocalGemini) -> None:
    gemini.fail_next(1, 503)

    status, _ = post(client, b"garbage", model="gemini-2.5-flash-image", key="wrong")

    assert status == 503


def test_faults_can_be_cleared_and_replaced(client: Client, gemini: LocalGemini) -> None:
    gemini.fail_next(5, 500)
    gemini.clear_faults()
    assert post(client, body())[0] == 200

    gemini.fail_next(5, 500)
    gemini.fail_next(1, 429)
    assert post(client, body())[0] == 429
    assert post(client, body())[0] == 200
    assert gemini.pending_faults == 0


@pytest.mark.parametrize(("count", "status"), [(-1, 500), (1, 200), (1, 600)])
def test_fail_next_refuses_nonsense(gemini: LocalGemini, count: int, status: int) -> None:
    with pytest.raises(ValueError, match="fail_next"):
        gemini.fail_next(count, status)


def test_calls_are_counted_across_threads(gemini: LocalGemini) -> None:
    def call() -> None:
        for _ in range(25):
            gemini.handle(Request.from_values(path=generate_content_path(FAST), method="POST", data=b"{}"))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert gemini.calls == 200
    assert len(gemini.requests(limit=500)) == 100  # the log keeps the last hundred


def test_a_landscape_is_deterministic_per_prompt_and_size() -> None:
    first = picture("a castle on a hill", 1376, 768)

    assert picture("a castle on a hill", 1376, 768) == first
    assert picture("a castle on a hill", 768, 1376) != first
    assert picture("a castle on a lake", 1376, 768) != first


def test_a_landscape_is_a_picture_not_noise() -> None:
    image = Image.open(io.BytesIO(picture("a quiet valley", 1024, 1024))).convert("RGB")

    # A handful of flat shapes and a gradient: few distinct colours.
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is not None
    assert len(colours) < 20_000


def test_long_prompts_are_written_without_failing() -> None:
    prompt = "an extraordinarily " * 40 + "Pneumonoultramicroscopicsilicovolcanoconiosis" * 4

    assert Image.open(io.BytesIO(picture(prompt, 768, 1376))).size == (768, 1376)


def test_output_size_refuses_what_google_does_not_make() -> None:
    with pytest.raises(ValueError, match="aspect ratio"):
        output_size("16x9")
    with pytest.raises(ValueError, match="aspect ratio"):
        output_size("1:1", "8K")


def test_every_signature_the_model_issues_it_accepts_back(gemini: LocalGemini) -> None:
    # Its MAC is random bytes: some of them are the separator, which must not confuse the check.
    signatures = [gemini.sign(FAST) for _ in range(2000)]

    assert all(gemini.accepts_signature(FAST, signature) for signature in signatures)
    assert not any(gemini.accepts_signature(PRO, signature) for signature in signatures[:50])
