"""The local Gemini stand-in: Google's models, versions, checks, shapes, refusals, faults, pictures, log."""

from __future__ import annotations

import base64
import io
import json
import re
import threading
from typing import Any

import pytest
from PIL import Image
from werkzeug.test import Client
from werkzeug.wrappers import Request

from standins.gemini import (
    API_VERSIONS,
    FOURTEEN_RATIOS,
    RETIRED_MODELS,
    SERVED_MODELS,
    TEN_RATIOS,
    LocalGemini,
    generate_content_path,
    output_size,
    picture,
    proto_bytes,
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
        return gemini.handle(Request(environ))(environ, start_response)

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
    client: Client, payload: Any, model: str = FAST, key: str | None = KEY, version: str = "v1beta"
) -> tuple[int, dict[str, Any]]:
    headers = {"x-goog-api-key": key} if key is not None else {}
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = client.post(
        generate_content_path(model, version), data=data, headers=headers, content_type="application/json"
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


@pytest.mark.parametrize("forge", ["another-model", "forged", "one-byte-changed"])
def test_a_signature_the_model_did_not_issue_is_refused(
    client: Client, gemini: LocalGemini, forge: str
) -> None:
    _, first = post(client, body("a red fox"))
    contents = replay(first)
    image_part = contents[1]["parts"][1]
    issued = base64.b64decode(image_part["thoughtSignature"])
    image_part["thoughtSignature"] = {
        "another-model": gemini.sign(PRO),
        "forged": base64.b64encode(f"{FAST}:0000|{'x' * 16}".encode()).decode(),
        "one-byte-changed": base64.b64encode(issued[:-1] + bytes([issued[-1] ^ 1])).decode(),
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


def test_a_landscape_is_deterministic_per_prompt_size_and_seed() -> None:
    first = picture("a castle on a hill", 1376, 768, seed=7)

    assert picture("a castle on a hill", 1376, 768, seed=7) == first
    assert picture("a castle on a hill", 1376, 768, seed=8) != first
    assert picture("a castle on a hill", 768, 1376, seed=7) != first
    assert picture("a castle on a lake", 1376, 768, seed=7) != first


def test_the_same_prompt_draws_a_new_picture_each_time_unless_a_seed_is_given(client: Client) -> None:
    """As the model samples: variations of one prompt differ; generationConfig.seed repeats one."""
    drawn = [image_of(post(client, body("a lighthouse"))[1]).tobytes() for _ in range(2)]
    assert drawn[0] != drawn[1]

    seeded = body("a lighthouse")
    seeded["generationConfig"]["seed"] = 42
    again = [image_of(post(client, seeded)[1]).tobytes() for _ in range(2)]
    assert again[0] == again[1]


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


# ---------------------------------------------------------------------------------------------
# API versions: v1beta has everything; v1 only what Google's v1 protos have


@pytest.mark.parametrize("version", API_VERSIONS)
def test_both_versions_serve_the_models(client: Client, gemini: LocalGemini, version: str) -> None:
    status, reply = post(client, {"contents": [{"parts": [text("a lighthouse")]}]}, version=version)

    assert status == 200
    assert image_of(reply).size == (1024, 1024)
    assert gemini.requests(limit=1)[0]["apiVersion"] == version


@pytest.mark.parametrize("version", API_VERSIONS)
def test_the_method_may_follow_an_encoded_colon(client: Client, version: str) -> None:
    response = client.post(
        f"/{version}/models/{FAST}%3AgenerateContent",
        data=json.dumps({"contents": [{"parts": [text("a lighthouse")]}]}),
        headers={"x-goog-api-key": KEY},
        content_type="application/json",
    )

    assert response.status_code == 200


@pytest.mark.parametrize("version", API_VERSIONS)
def test_a_retired_model_is_not_found_in_the_version_asked(client: Client, version: str) -> None:
    status, reply = post(client, body(), model="gemini-2.5-flash-image", version=version)

    assert status == 404
    assert f"not found for API version {version}," in reply["error"]["message"]


@pytest.mark.parametrize(
    "path",
    [
        f"/v1alpha/models/{FAST}:generateContent",
        f"/v1beta/models/{FAST}:streamGenerateContent",
        f"/v1beta/models/{FAST}:countTokens",
        "/v1beta/models",
    ],
)
def test_other_paths_are_not_found(client: Client, path: str) -> None:
    response = client.post(path, data=json.dumps(body()), headers={"x-goog-api-key": KEY})

    assert response.status_code == 404
    assert_google_error(json.loads(response.get_data()), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("payload", "name", "where"),
    [
        (body(generationConfig={"imageConfig": {"aspectRatio": "16:9"}}), "imageConfig", "generation_config"),
        (body(), "responseModalities", "generation_config"),
        (
            {"contents": [{"parts": [text("a fox")]}], "generationConfig": {"thinkingConfig": {}}},
            "thinkingConfig",
            "generation_config",
        ),
        (
            {"contents": [{"parts": [text("a fox", thoughtSignature="c2ln")]}]},
            "thoughtSignature",
            "contents[0].parts[0]",
        ),
        ({"contents": [{"parts": [text("a fox", thought=False)]}]}, "thought", "contents[0].parts[0]"),
    ],
)
def test_v1_does_not_know_the_v1beta_fields(client: Client, payload: Any, name: str, where: str) -> None:
    status, reply = post(client, payload, version="v1")

    assert status == 400
    assert reply["error"]["message"] == (
        f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': Cannot find field."
    )
    _, on_v1beta = post(client, payload, version="v1beta")
    assert "Unknown name" not in json.dumps(on_v1beta)


def test_v1_knows_neither_a_system_instruction_nor_tools(client: Client) -> None:
    for name, value in {"systemInstruction": {"parts": [text("be brief")]}, "tools": []}.items():
        status, reply = post(client, {**body(generationConfig={}), name: value}, version="v1")

        assert status == 400
        assert (
            reply["error"]["message"]
            == f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.'
        )


def test_a_v1_reply_carries_no_signature_and_its_image_cannot_be_edited_on_v1(client: Client) -> None:
    _, first = post(client, {"contents": [{"parts": [text("a red fox")]}]}, version="v1")
    parts = first["candidates"][0]["content"]["parts"]
    contents = [*replay(first), {"role": "user", "parts": [text("give it a hat")]}]

    status, reply = post(client, {"contents": contents}, version="v1")

    assert [set(part) for part in parts] == [{"text"}, {"inlineData"}]
    assert status == 400
    assert "missing a thought_signature" in reply["error"]["message"]


def test_an_edit_with_input_images_works_on_v1(client: Client) -> None:
    source = encode(solid(400, 300, RED), "PNG")

    status, reply = post(client, {"contents": [{"parts": [text("wider"), inline(source)]}]}, version="v1")

    assert status == 200
    image = image_of(reply).convert("RGB")
    assert image.size == output_size("4:3")
    assert close_to(image.getpixel((image.width // 2, image.height // 2)), RED)


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"generationConfig": None},
        {"generationConfig": {}},
        {"generationConfig": {"responseModalities": []}},
    ],
)
def test_without_response_modalities_the_model_answers_with_an_image(
    client: Client, config: dict[str, Any]
) -> None:
    # As Google's image guide shows: generate_content with no config at all draws.
    status, reply = post(client, {"contents": [{"role": "user", "parts": [text("a lighthouse")]}], **config})

    assert status == 200
    assert image_of(reply).size == (1024, 1024)


# ---------------------------------------------------------------------------------------------
# Field names: camelCase or the proto's snake_case, at every depth, as Google's JSON parsing


def snake_case(value: Any) -> Any:
    """``value`` with every key in snake_case (what a client may send: Google takes both)."""
    if isinstance(value, list):
        return [snake_case(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower(): snake_case(item) for key, item in value.items()}


def test_snake_case_names_at_every_depth_are_taken(client: Client, gemini: LocalGemini) -> None:
    source = encode(solid(300, 300, BLUE), "PNG")
    camel = body("a blue square", "16:9", "2K", images=(source,))
    camel["generationConfig"]["temperature"] = 0.4

    status, reply = post(client, snake_case(camel))

    assert "inline_data" in json.dumps(snake_case(camel))
    assert status == 200
    image = image_of(reply).convert("RGB")
    assert image.size == output_size("16:9", "2K")
    assert close_to(image.getpixel((image.width // 2, image.height // 2)), BLUE)
    # The log and the reply speak camelCase, as Google answers.
    logged = gemini.requests(limit=1)[0]
    assert logged["generationConfig"] == camel["generationConfig"]
    assert logged["turns"][0]["parts"][1]["image"]["mimeType"] == "image/png"
    assert "inlineData" in reply["candidates"][0]["content"]["parts"][1]


def test_the_sdks_mixed_spelling_is_taken(client: Client) -> None:
    # google-genai 3.6.1 sends {"inlineData": {"data": ..., "mime_type": ...}}.
    part = {"inlineData": {"data": base64.b64encode(png(64, 48)).decode(), "mime_type": "image/png"}}

    status, reply = post(client, body(contents=[{"parts": [text("wider"), part], "role": "user"}]))

    assert status == 200
    assert image_of(reply).size == output_size("4:3")


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({**body(), "temprature": 1}, ""),
        (
            body(generationConfig={"responseModalities": ["IMAGE"], "aspectRatio": "1:1"}),
            " at 'generation_config'",
        ),
        (
            body(generationConfig={"responseModalities": ["IMAGE"], "imageConfig": {"size": "2K"}}),
            " at 'generation_config.image_config'",
        ),
        (body(contents=[{"role": "user", "parts": [text("a")], "turn": 1}]), " at 'contents[0]'"),
        (body(contents=[{"role": "user", "parts": [{"txt": "a fox"}]}]), " at 'contents[0].parts[0]'"),
        (
            body(
                contents=[{"parts": [text("a"), {"inlineData": {"mimeType": "image/png", "bytes": "AA=="}}]}]
            ),
            " at 'contents[0].parts[1].inline_data'",
        ),
    ],
)
def test_an_unknown_name_is_refused_where_it_is(client: Client, payload: Any, where: str) -> None:
    status, reply = post(client, payload)

    assert status == 400
    assert reply["error"]["message"].endswith(f"{where}: Cannot find field.")
    assert reply["error"]["message"].startswith('Invalid JSON payload received. Unknown name "')


def test_one_field_under_both_names_is_refused(client: Client) -> None:
    config = {"responseModalities": ["IMAGE"], "imageConfig": {"aspectRatio": "1:1", "aspect_ratio": "16:9"}}

    status, reply = post(client, body(generationConfig=config))

    assert status == 400
    assert "'generation_config.image_config.aspect_ratio' is given twice" in reply["error"]["message"]


@pytest.mark.parametrize(
    ("extra", "name"),
    [
        ({"tools": [{"googleSearch": {}}]}, "tools"),
        ({"systemInstruction": {"parts": [text("be a cat")]}}, "system_instruction"),
        ({"cached_content": "cachedContents/x"}, "cached_content"),
        (
            {"generationConfig": {"responseMimeType": "application/json"}},
            "generation_config.response_mime_type",
        ),
        (
            {"generationConfig": {"responseSchema": {"type": "OBJECT", "properties": {"myName": {}}}}},
            "generation_config.response_schema",
        ),
        (
            {"contents": [{"parts": [text("a"), {"fileData": {"fileUri": "files/x"}}]}]},
            "contents[0].parts[1].file_data",
        ),
        (
            {"contents": [{"parts": [text("a"), {"functionCall": {"name": "f", "args": {"userKey": 1}}}]}]},
            "contents[0].parts[1].function_call",
        ),
    ],
)
def test_what_google_takes_but_the_stand_in_does_not_implement_is_refused_plainly(
    client: Client, extra: dict[str, Any], name: str
) -> None:
    status, reply = post(client, {**body(), **extra})

    assert status == 400
    assert reply["error"]["message"].startswith(f"'{name}' is not implemented by the local Gemini stand-in")


def test_settings_that_change_nothing_drawn_are_taken_in_either_spelling(client: Client) -> None:
    config = {
        "responseModalities": ["TEXT", "IMAGE"],
        "temperature": 1,
        "top_p": "0.95",
        "candidateCount": "1",
        "seed": 7,
        "thinking_config": {"thinkingLevel": "HIGH", "include_thoughts": False},
        "stopSequences": ["END"],
    }
    settings = [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]

    status, _ = post(client, {**body(generationConfig=config), "safety_settings": settings, "model": FAST})

    assert status == 200


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"temperature": "hot"}, "Invalid value at 'generation_config.temperature' (TYPE_FLOAT), \"hot\""),
        ({"seed": 1.5}, "Invalid value at 'generation_config.seed' (TYPE_INT32), 1.5"),
        (
            {"responseModalities": "IMAGE"},
            "Invalid value at 'generation_config.response_modalities': expected a list",
        ),
        ({"imageConfig": "16:9"}, "Invalid value at 'generation_config.image_config' (type.googleapis.com/"),
        ({"thinkingConfig": {"includeThoughts": "yes"}}, "(TYPE_BOOL)"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_as_google_names_it(
    client: Client, config: dict[str, Any], message: str
) -> None:
    status, reply = post(client, body(generationConfig={"responseModalities": ["IMAGE"], **config}))

    assert status == 400
    assert message in reply["error"]["message"]


# ---------------------------------------------------------------------------------------------
# Bytes: standard or URL-safe base64, padded or not; signatures are checked as bytes


def test_proto_bytes_take_every_spelling_google_takes() -> None:
    data = bytes([0xFB, 0xFF, 0xBF, 0x00, 0x10])  # "+/+/" in one alphabet, "-_-_" in the other

    spellings = {
        base64.b64encode(data).decode(),
        base64.b64encode(data).decode().rstrip("="),
        base64.urlsafe_b64encode(data).decode(),
        base64.urlsafe_b64encode(data).decode().rstrip("="),
    }

    assert len(spellings) == 4
    assert {proto_bytes(spelling) for spelling in spellings} == {data}
    assert proto_bytes("") == b""
    for bad in ("not base64!", "+-AA", "A", "AAAA===", "AA AA"):
        assert proto_bytes(bad) is None, bad


@pytest.mark.parametrize("spelling", ["url-safe", "url-safe-unpadded", "standard-unpadded"])
def test_a_signature_decoded_and_encoded_again_is_accepted(client: Client, spelling: str) -> None:
    # The SDK's chat keeps a signature as bytes and sends it back as URL-safe base64.
    _, first = post(client, body("a red fox"))
    contents = replay(first)
    for part in contents[1]["parts"]:
        raw = base64.b64decode(part["thoughtSignature"])
        encoded = base64.urlsafe_b64encode(raw) if spelling.startswith("url-safe") else base64.b64encode(raw)
        part["thoughtSignature"] = (encoded.rstrip(b"=") if "unpadded" in spelling else encoded).decode()
    contents.append({"role": "user", "parts": [text("give it a hat")]})

    status, _ = post(client, body(contents=contents))

    assert status == 200


def test_a_signature_that_is_not_base64_is_a_bad_bytes_value(client: Client) -> None:
    _, first = post(client, body("a red fox"))
    contents = replay(first)
    contents[1]["parts"][1]["thoughtSignature"] = "not base64!"
    contents.append({"role": "user", "parts": [text("give it a hat")]})

    status, reply = post(client, body(contents=contents))

    assert status == 400
    assert reply["error"]["message"].startswith(
        "Invalid value at 'contents[1].parts[1].thought_signature' (TYPE_BYTES), Base64 decoding failed"
    )


def test_input_images_may_come_in_url_safe_base64(client: Client) -> None:
    source = encode(solid(300, 200, GREEN), "PNG")
    part = {
        "inlineData": {"mimeType": "image/png", "data": base64.urlsafe_b64encode(source).decode().rstrip("=")}
    }

    status, reply = post(client, body(contents=[{"parts": [text("same"), part]}]))

    assert status == 200
    assert image_of(reply).size == output_size("3:2")


def test_signatures_are_answered_in_standard_base64(client: Client) -> None:
    signatures = []
    for _ in range(20):
        _, reply = post(client, body())
        signatures += [part["thoughtSignature"] for part in reply["candidates"][0]["content"]["parts"]]

    assert all(
        base64.b64encode(base64.b64decode(signature)).decode() == signature for signature in signatures
    )
    assert any(set(signature) & {"+", "/"} for signature in signatures)  # the alphabet shows
