"""Reading the gallery through the local stack."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import Api, error_code


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
