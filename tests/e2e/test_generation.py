"""Text-to-image generation through the local stack: request, SQS worker, the Gemini stand-in, pipeline."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from PIL import Image

from tests.e2e.conftest import Api, Session, balance, error_code, wait_for_image


@pytest.fixture
def session(api: Api) -> Session:
    return api.sign_in(f"artist-{uuid.uuid4().hex[:8]}@example.com")


@pytest.fixture(autouse=True)
def _no_faults_left(api: Api) -> Iterator[None]:
    yield
    assert api.call("POST", "/_dev/faults", json={"gemini": None}).status_code == 204


def generate(api: Api, session: Session, prompt: str, **extra: Any) -> requests.Response:
    headers = extra.pop("headers", {})
    return api.call(
        "POST", "/images/generate", session.token, json={"prompt": prompt, **extra}, headers=headers
    )


def test_a_prompt_becomes_a_completed_image_with_a_thumbnail(api: Api, session: Session) -> None:
    response = generate(api, session, "  a lighthouse at dusk  ", aspectRatio="16:9", title="Lighthouse")
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["image"]["status"] == "PENDING"
    assert (accepted["image"]["type"], accepted["image"]["prompt"]) == ("GENERATED", "a lighthouse at dusk")
    assert (accepted["image"]["model"], accepted["image"]["imageSize"]) == ("fast", "1K")
    assert accepted["image"]["threadId"] == accepted["image"]["id"]
    assert accepted["user"]["coins"] == 900

    image = wait_for_image(api, session, accepted["image"]["id"])

    assert image["status"] == "COMPLETED", image
    assert image["metadata"]["format"] == "PNG"
    assert (image["metadata"]["width"], image["metadata"]["height"]) == (1376, 768)
    with Image.open(io.BytesIO(requests.get(image["storageUrl"], timeout=10).content)) as png:
        assert (png.format, png.size) == ("PNG", (1376, 768))
    with Image.open(io.BytesIO(requests.get(image["thumbnailUrl"], timeout=10).content)) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("WEBP", (512, 286))
    assert balance(api, session) == 900


def test_the_models_are_listed_with_their_prices_without_a_token(api: Api) -> None:
    response = api.call("GET", "/models")

    assert response.status_code == 200
    models = {model["id"]: model for model in response.json()["models"]}
    assert list(models) == ["fast", "pro", "lite"]
    fast = models["fast"]
    assert (fast["name"], fast["default"]) == ("Nano Banana 2.1", True)
    assert fast["imageSizes"] == ["1K", "2K", "4K"]
    assert fast["costs"] == {"1K": 100, "2K": 150, "4K": 338}
    assert len(fast["aspectRatios"]) == 14
    assert fast["maxReferenceImages"] == 13  # Google takes 14 input images; an edit's source is one
    assert {"4:1", "1:8"} <= set(fast["aspectRatios"])
    assert "4:1" not in models["pro"]["aspectRatios"]
    assert (models["lite"]["imageSizes"], models["lite"]["default"]) == (["1K"], False)
    assert all(set(model) == set(fast) for model in models.values())  # Google's ids stay inside
    assert "gemini" not in response.text


def test_the_style_presets_are_listed_without_a_token_and_sent_as_part_of_the_prompt(
    api: Api, session: Session
) -> None:
    response = api.style_presets()

    assert response.status_code == 200, response.text
    presets = {preset["name"]: preset["words"] for preset in response.json()["presets"]}
    assert len(presets) == 8
    assert presets["Watercolour"].startswith("watercolour painting")
    spanish = [preset["names"].get("es", preset["name"]) for preset in response.json()["presets"]]
    assert spanish[:2] == ["Foto", "Acuarela"]  # a Spanish user's chips; the words stay as they are
    # The service adds nothing: the client sends the words in the prompt, and the image keeps them.
    prompt = f"a lighthouse, {presets['Watercolour']}"
    image = generate(api, session, prompt).json()["image"]
    assert wait_for_image(api, session, image["id"])["prompt"] == prompt


def test_a_2k_4_to_1_image_is_4_megapixels_and_charged_the_2k_price(api: Api, session: Session) -> None:
    accepted = generate(api, session, "a long harbour wall", imageSize="2K", aspectRatio="4:1").json()
    assert (accepted["image"]["coinsUsed"], accepted["user"]["coins"]) == (150, 850)

    image = wait_for_image(api, session, accepted["image"]["id"])

    assert image["status"] == "COMPLETED", image
    assert (image["metadata"]["width"], image["metadata"]["height"]) == (4096, 1024)
    assert (image["imageSize"], image["aspectRatio"]) == ("2K", "4:1")
    with Image.open(io.BytesIO(requests.get(image["thumbnailUrl"], timeout=10).content)) as thumbnail:
        assert thumbnail.size == (512, 128)
    (sent,) = [
        entry
        for entry in api.call("GET", "/_dev/gemini/requests").json()["requests"]
        if any(part.get("text") == "a long harbour wall" for turn in entry["turns"] for part in turn["parts"])
    ]
    assert sent["model"] == "gemini-nano-banana-2.1"
    assert sent["generationConfig"]["imageConfig"] == {"aspectRatio": "4:1", "imageSize": "2K"}
    assert balance(api, session) == 850


def test_a_refused_prompt_fails_at_once_and_is_refunded(api: Api, session: Session) -> None:
    accepted = generate(api, session, "something forbidden").json()

    image = wait_for_image(api, session, accepted["image"]["id"], timeout=20)

    assert image["status"] == "FAILED"
    assert "PROHIBITED_CONTENT" in image["error"]
    assert image["errorCode"] == "MODEL_REFUSED"
    assert (image["coinsUsed"], image["coinsRefunded"]) == (100, 100)  # what it cost, and that it came back
    assert (accepted["image"]["coinsUsed"], accepted["image"]["coinsRefunded"]) == (100, 0)
    assert balance(api, session) == 1000


def test_one_transient_fault_is_retried_and_completes(api: Api, session: Session) -> None:
    assert (
        api.call("POST", "/_dev/faults", json={"gemini": {"failNext": 1, "status": 503}}).status_code == 204
    )
    accepted = generate(api, session, "a red bicycle").json()

    image = wait_for_image(api, session, accepted["image"]["id"])

    assert image["status"] == "COMPLETED"
    assert balance(api, session) == 900


def test_a_provider_that_keeps_failing_ends_failed_and_refunded_within_a_minute(
    api: Api, session: Session
) -> None:
    assert (
        api.call("POST", "/_dev/faults", json={"gemini": {"failNext": 1000, "status": 500}}).status_code
        == 204
    )
    started = time.monotonic()
    accepted = generate(api, session, "a teapot").json()

    image = wait_for_image(api, session, accepted["image"]["id"], timeout=60)

    assert image["status"] == "FAILED"
    assert "unavailable" in image["error"]
    assert image["errorCode"] == "MODEL_UNAVAILABLE"
    assert time.monotonic() - started < 60
    assert balance(api, session) == 1000


def test_thirty_racing_requests_with_coins_for_ten(api: Api, session: Session) -> None:
    with ThreadPoolExecutor(max_workers=30) as pool:
        responses = list(pool.map(lambda n: generate(api, session, f"racer {n}"), range(30)))

    accepted = [response for response in responses if response.status_code == 202]
    busy = [response for response in responses if response.status_code == 429]
    assert 1 <= len(accepted) <= 10
    assert all(int(response.headers["Retry-After"]) >= 1 for response in busy)
    assert len(accepted) + len(busy) + [r.status_code for r in responses].count(402) == 30
    assert balance(api, session) == 1000 - 100 * len(accepted)


def test_an_idempotency_key_replays_the_same_image_and_refuses_another_body(
    api: Api, session: Session
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = generate(api, session, "a quiet harbour", headers=key)
    again = generate(api, session, "a quiet harbour", headers=key)
    other = generate(api, session, "a busy harbour", headers=key)

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["image"]["id"] == first.json()["image"]["id"]
    assert other.status_code == 409
    assert error_code(other) == "CONFLICT"
    assert balance(api, session) == 900
    assert generate(api, session, "a quiet harbour").json()["image"]["id"] != first.json()["image"]["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": ""}, "prompt"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": "x" * 2001}, "prompt"),
        ({"prompt": "a cat", "aspectRatio": "2:1"}, "aspectRatio"),
        ({"prompt": "a cat", "style": "oil"}, "style"),
        ({"prompt": "a cat", "model": "banana"}, "model"),
        ({"prompt": "a cat", "model": "gemini-nano-banana-2.1"}, "model"),
        ({"prompt": "a cat", "model": "lite", "imageSize": "4K"}, "imageSize"),
        ({"prompt": "a cat", "imageSize": "3K"}, "imageSize"),
        ({"prompt": "a cat", "model": "pro", "aspectRatio": "8:1"}, "aspectRatio"),
        ({"prompt": "a cat", "referenceImageIds": []}, "referenceImageIds"),
        ({"prompt": "a cat", "referenceImageIds": ["A", "A"]}, "referenceImageIds"),
        ({"prompt": "a cat", "referenceImageIds": ["NOT-AN-IMAGE"]}, "referenceImageIds"),
        ({"prompt": "a cat", "imageSize": 2}, "imageSize"),
    ],
)
def test_invalid_requests_are_422_and_charge_nothing(
    api: Api, session: Session, body: dict[str, Any], field: str
) -> None:
    response = api.call("POST", "/images/generate", session.token, json=body)
    assert response.status_code == 422
    assert field in [item["field"] for item in response.json()["error"]["details"]["fields"]]
    assert balance(api, session) == 1000
