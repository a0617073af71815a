"""Reading the gallery through the local stack."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import Api, error_code, new_email, wait_for_image


def test_the_gallery_pages_newest_first_and_cursors_stay_with_their_owner(api: Api) -> None:
    ada = api.sign_in(f"gallery-{uuid.uuid4().hex[:8]}@example.com")
    body = {"filename": "a.png", "contentType": "image/png", "size": 10}
    created = [
        api.call("POST", "/images/upload", ada.token, json=body).json()["image"]["id"] for _ in range(5)
    ]

    seen, cursor = [], None
    while True:
        page = api.call(
            "GET", "/images", ada.token, params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        ).json()
        assert len(page["images"]) <= 2
        seen.extend(image["id"] for image in page["images"])
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert seen == list(reversed(created))

    first = api.call("GET", "/images", ada.token, params={"limit": 1}).json()
    bob = api.sign_in(f"gallery-{uuid.uuid4().hex[:8]}@example.com")
    stolen = api.call("GET", "/images", bob.token, params={"cursor": first["nextCursor"]})
    assert stolen.status_code == 400
    assert error_code(stolen) == "BAD_REQUEST"
    assert api.call("GET", "/images", bob.token).json() == {"images": [], "nextCursor": None}


def test_recent_prompts_are_the_callers_generations_newest_first_each_once(api: Api) -> None:
    ada = api.sign_in(new_email())
    mine = api.of(ada)
    first = mine.generate({"prompt": "a lighthouse at dusk"}).json()["image"]
    assert wait_for_image(api, ada, first["id"])["status"] == "COMPLETED"
    assert mine.edit(first["id"], {"prompt": "make it night"}).status_code == 202  # a change, not a prompt
    assert mine.generate({"prompt": "a red fox", "count": 2}).status_code == 202
    again = mine.generate({"prompt": "A lighthouse  at dusk"}).json()["image"]

    listed = mine.my_prompts()

    assert listed.status_code == 200, listed.text
    assert [(used["prompt"], used["imageId"]) for used in listed.json()["prompts"][:1]] == [
        ("A lighthouse  at dusk", again["id"])
    ]
    assert [used["prompt"] for used in listed.json()["prompts"]] == ["A lighthouse  at dusk", "a red fox"]
    assert [used["prompt"] for used in mine.my_prompts(limit=1).json()["prompts"]] == [
        "A lighthouse  at dusk"
    ]
    assert api.of(api.sign_in(new_email())).my_prompts().json() == {"prompts": []}


@pytest.mark.parametrize("limit", ["0", "51", "1000", "abc", "-1", "2.0"])
def test_recent_prompts_take_a_limit_of_1_to_50(api: Api, limit: str) -> None:
    ada = api.sign_in(new_email())

    response = api.call("GET", "/users/me/prompts", ada.token, params={"limit": limit})

    assert response.status_code == 422, response.text
    assert error_code(response) == "VALIDATION_ERROR"
    assert [field["field"] for field in response.json()["error"]["details"]["fields"]] == ["limit"]
