"""Edits, reference images and threads through the local stack: the request, the worker, the Gemini
stand-in (what it was sent), the pipeline, and every refusal of the contract with the coins it keeps."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
import requests
from PIL import Image

from standins.gemini import reference_tiles
from tests import images
from tests.e2e.conftest import Api, Session, balance, error_code, upload, wait_for_image
from tests.images import BLUE, GREEN, RED, close_to


@pytest.fixture
def session(api: Api) -> Session:
    return api.sign_in(f"editor-{uuid.uuid4().hex[:8]}@example.com")


def uploaded(api: Api, session: Session, data: bytes, content_type: str = "image/png") -> dict[str, Any]:
    """An upload as the browser makes it, once COMPLETED."""
    image = wait_for_image(api, session, upload(api, session, data, content_type)["image"]["id"])
    assert image["status"] == "COMPLETED", image
    return image


def edit(api: Api, session: Session, source_id: str, prompt: str, **extra: Any) -> requests.Response:
    headers = extra.pop("headers", {})
    return api.call(
        "POST", f"/images/{source_id}/edit", session.token, json={"prompt": prompt, **extra}, headers=headers
    )


def finished(api: Api, session: Session, response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    image = wait_for_image(api, session, response.json()["image"]["id"])
    assert image["status"] == "COMPLETED", image
    return image


def sent_with(api: Api, prompt: str) -> dict[str, Any]:
    """The request the Gemini stand-in received whose last turn says ``prompt``."""
    logged = api.call("GET", "/_dev/gemini/requests", params={"limit": "100"}).json()["requests"]
    (request,) = [
        entry
        for entry in logged
        if entry["status"] == 200 and entry["turns"][-1]["parts"][0].get("text") == prompt
    ]
    return request


def picture(image: dict[str, Any]) -> Image.Image:
    return Image.open(io.BytesIO(requests.get(image["storageUrl"], timeout=10).content)).convert("RGB")


def test_an_edit_chain_of_an_uploaded_photo_replays_the_first_turn_and_makes_one_thread(
    api: Api, session: Session
) -> None:
    photo = uploaded(api, session, images.encode(images.solid(1200, 900, RED), "JPEG"), "image/jpeg")
    first = finished(api, session, edit(api, session, photo["id"], "make it look like a watercolour"))
    second = finished(api, session, edit(api, session, first["id"], "add a small boat"))

    # The first edit got the photo itself, downscaled, at the photo's own ratio.
    first_request = sent_with(api, "make it look like a watercolour")
    (turn,) = first_request["turns"]
    assert turn["parts"][1]["image"]["mimeType"] == "image/jpeg"
    assert first_request["generationConfig"]["imageConfig"]["aspectRatio"] == "4:3"
    # The second carries the first turn back: its prompt, then the model's image with its signature.
    second_request = sent_with(api, "add a small boat")
    assert [entry["role"] for entry in second_request["turns"]] == ["user", "model", "user"]
    assert second_request["turns"][0]["parts"] == [{"text": "make it look like a watercolour"}]
    replayed = second_request["turns"][1]["parts"]
    assert any("image" in part and part.get("thoughtSignature") for part in replayed)
    assert all(part.get("thoughtSignature") for part in replayed)
    # The photo runs through the chain: the stand-in paints the image it was asked to edit.
    assert close_to(picture(second).getpixel((600, 300)), RED)

    assert (first["parentImageId"], first["threadId"]) == (photo["id"], photo["id"])
    assert (second["parentImageId"], second["threadId"]) == (first["id"], photo["id"])
    assert (first["type"], first["model"], first["coinsUsed"]) == ("GENERATED", "fast", 100)
    thread = api.call("GET", f"/images/{second['id']}/thread", session.token).json()
    assert [image["id"] for image in thread["images"]] == [photo["id"], first["id"], second["id"]]
    assert thread["nextCursor"] is None
    assert balance(api, session) == 1000 - 50 - 100 - 100


def test_a_generation_with_two_references_sends_both_in_order(api: Api, session: Session) -> None:
    blue = uploaded(api, session, images.png(300, 300, color=BLUE))
    green = uploaded(api, session, images.webp(200, 100, GREEN), "image/webp")
    response = api.call(
        "POST",
        "/images/generate",
        session.token,
        json={"prompt": "the two of them together", "referenceImageIds": [green["id"], blue["id"]]},
    )
    image = finished(api, session, response)

    (turn,) = sent_with(api, "the two of them together")["turns"]
    assert [(part["image"]["width"], part["image"]["height"]) for part in turn["parts"][1:]] == [
        (200, 100),
        (300, 300),
    ]
    assert image["referenceImageIds"] == [green["id"], blue["id"]]
    result = picture(image)
    for box, colour in zip(reference_tiles(*result.size, 1), (BLUE,), strict=True):
        assert close_to(result.getpixel(((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)), colour)
    assert balance(api, session) == 1000 - 50 - 50 - 100


def test_refusals_answer_as_the_contract_says_and_move_no_coin(api: Api, session: Session) -> None:
    stranger = api.sign_in(f"stranger-{uuid.uuid4().hex[:8]}@example.com")
    theirs = uploaded(api, stranger, images.png())
    mine = uploaded(api, session, images.png())
    refused = upload(api, session, b"<html>not an image</html>", "image/png")
    broken = wait_for_image(api, session, refused["image"]["id"])
    assert (broken["status"], broken["errorCode"]) == ("FAILED", "NOT_AN_IMAGE")
    coins = balance(api, session)

    other_users_source = edit(api, session, theirs["id"], "mine now")
    missing_source = edit(api, session, "01J0000000000000000000000Z", "anything")
    failed_source = edit(api, session, broken["id"], "fix it")
    other_users_reference = edit(api, session, mine["id"], "with theirs", referenceImageIds=[theirs["id"]])
    failed_reference = api.call(
        "POST", "/images/generate", session.token, json={"prompt": "x", "referenceImageIds": [broken["id"]]}
    )
    too_many = edit(api, session, mine["id"], "crowded", referenceImageIds=[f"ID{n}" for n in range(14)])
    unknown_model = edit(api, session, mine["id"], "x", model="ultra")
    unknown_size = edit(api, session, mine["id"], "x", model="lite", imageSize="2K")

    assert (other_users_source.status_code, error_code(other_users_source)) == (404, "NOT_FOUND")
    assert (missing_source.status_code, error_code(missing_source)) == (404, "NOT_FOUND")
    assert (failed_source.status_code, error_code(failed_source)) == (409, "CONFLICT")
    for response, offending in ((other_users_reference, theirs["id"]), (failed_reference, broken["id"])):
        assert (response.status_code, error_code(response)) == (422, "VALIDATION_ERROR")
        assert response.json()["error"]["details"]["imageIds"] == [offending]
    for response, field in (
        (too_many, "referenceImageIds"),
        (unknown_model, "model"),
        (unknown_size, "imageSize"),
    ):
        assert (response.status_code, error_code(response)) == (422, "VALIDATION_ERROR")
        assert [item["field"] for item in response.json()["error"]["details"]["fields"]] == [field]
    assert balance(api, session) == coins
    assert api.call("GET", "/images", session.token, params={"type": "GENERATED"}).json()["images"] == []


def test_an_idempotency_key_replays_an_edit(api: Api, session: Session) -> None:
    photo = uploaded(api, session, images.png())
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = edit(api, session, photo["id"], "sepia", headers=key)
    again = edit(api, session, photo["id"], "sepia", headers=key)
    other = edit(api, session, photo["id"], "black and white", headers=key)

    assert (first.status_code, again.status_code, other.status_code) == (202, 202, 409)
    assert again.json()["image"]["id"] == first.json()["image"]["id"]
    assert balance(api, session) == 1000 - 50 - 100


def test_deleting_an_image_of_a_thread_leaves_the_others_naming_what_they_named(
    api: Api, session: Session
) -> None:
    photo = uploaded(api, session, images.png())
    first = finished(api, session, edit(api, session, photo["id"], "brighter"))
    second = finished(api, session, edit(api, session, first["id"], "brighter still"))

    assert api.call("DELETE", f"/images/{first['id']}", session.token).status_code == 204

    thread = api.call("GET", f"/images/{photo['id']}/thread", session.token).json()["images"]
    assert [image["id"] for image in thread] == [photo["id"], second["id"]]
    assert thread[1]["parentImageId"] == first["id"]
    gone = api.call("GET", f"/images/{first['id']}/thread", session.token)
    assert (gone.status_code, error_code(gone)) == (404, "NOT_FOUND")
    # The rest of the thread can still be edited, and the new image joins the same thread.
    third = finished(api, session, edit(api, session, second["id"], "darker"))
    assert third["threadId"] == photo["id"]


def test_a_thread_pages_oldest_first_with_a_cursor_bound_to_it(api: Api, session: Session) -> None:
    photo = uploaded(api, session, images.png())
    edits = [edit(api, session, photo["id"], f"variation {n}").json()["image"]["id"] for n in range(3)]

    first = api.call("GET", f"/images/{photo['id']}/thread", session.token, params={"limit": "2"}).json()
    rest = api.call(
        "GET",
        f"/images/{photo['id']}/thread",
        session.token,
        params={"limit": "2", "cursor": first["nextCursor"]},
    ).json()
    elsewhere = api.call("GET", "/images", session.token, params={"cursor": first["nextCursor"]})

    assert [image["id"] for image in first["images"] + rest["images"]] == [photo["id"], *edits]
    assert rest["nextCursor"] is None
    assert (elsewhere.status_code, error_code(elsewhere)) == (400, "BAD_REQUEST")
    for image_id in edits:
        wait_for_image(api, session, image_id)


def test_an_upscale_draws_the_photo_again_at_the_larger_size_with_its_content(
    api: Api, session: Session
) -> None:
    photo = uploaded(api, session, images.jpeg(800, 600), "image/jpeg")
    before = balance(api, session)

    response = api.call("POST", f"/images/{photo['id']}/upscale", session.token, json={"imageSize": "2K"})
    larger = finished(api, session, response)

    assert (larger["parentImageId"], larger["threadId"], larger["imageSize"]) == (
        photo["id"],
        photo["id"],
        "2K",
    )
    assert max(larger["metadata"]["width"], larger["metadata"]["height"]) > 1024
    assert larger["aspectRatio"] == "4:3"
    assert balance(api, session) == before - larger["coinsUsed"]
    assert sent_with(api, larger["prompt"])["status"] == 200  # the model was given the instruction
    again = api.call("POST", f"/images/{larger['id']}/upscale", session.token, json={"imageSize": "2K"})
    assert (again.status_code, error_code(again)) == (422, "VALIDATION_ERROR")
    assert balance(api, session) == before - larger["coinsUsed"]
