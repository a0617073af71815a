"""The gallery through the local stack: filters, edits, deletes, and other users' images."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import images
from tests.e2e.conftest import ADMIN_EMAIL, Api, Session, error_code, upload, wait_for_image


@pytest.fixture
def owner(api: Api) -> Session:
    return api.sign_in(f"gallery-{uuid.uuid4().hex[:8]}@example.com")


def all_pages(api: Api, session: Session, path: str, **params: object) -> list[dict[str, object]]:
    found, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = api.call("GET", path, session.token, params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["images"]) <= int(str(params.get("limit", 20)))
        found.extend(body["images"])
        cursor = body["nextCursor"]
        if not cursor:
            return found


def test_filters_still_fill_full_pages(api: Api, owner: Session) -> None:
    body = {"filename": "a.png", "contentType": "image/png", "size": 10}
    pending = [
        api.call("POST", "/images/upload", owner.token, json=body).json()["image"]["id"] for _ in range(7)
    ]
    refused = api.call("POST", "/images/generate", owner.token, json={"prompt": "something forbidden"}).json()
    assert wait_for_image(api, owner, refused["image"]["id"])["status"] == "FAILED"

    first = api.call("GET", "/images", owner.token, params={"limit": 3, "type": "UPLOADED"}).json()
    assert len(first["images"]) == 3
    uploaded = all_pages(api, owner, "/images", limit=3, type="UPLOADED")
    assert [image["id"] for image in uploaded] == list(reversed(pending))
    failed = all_pages(api, owner, "/images", limit=2, status="FAILED")
    assert [image["id"] for image in failed] == [refused["image"]["id"]]
    assert all_pages(api, owner, "/images", type="GENERATED", status="COMPLETED") == []

    bad = api.call("GET", "/images", owner.token, params={"type": "DRAWN"})
    assert bad.status_code == 422


def test_an_image_is_renamed_and_described(api: Api, owner: Session) -> None:
    image = upload(api, owner, images.png(), "image/png")["image"]

    updated = api.call(
        "PUT", f"/images/{image['id']}", owner.token, json={"title": "Sunset", "description": "At the beach"}
    )

    assert updated.status_code == 200
    assert (updated.json()["image"]["title"], updated.json()["image"]["description"]) == (
        "Sunset",
        "At the beach",
    )
    again = api.call("GET", f"/images/{image['id']}", owner.token).json()["image"]
    assert (again["title"], again["description"]) == ("Sunset", "At the beach")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"description": "x" * 2001}, "description"),
        ({"status": "COMPLETED"}, "status"),
        ({"coinsUsed": 0}, "coinsUsed"),
        ({"title": 5}, "title"),
    ],
)
def test_edits_are_validated(api: Api, owner: Session, body: dict[str, object], field: str) -> None:
    image = upload(api, owner, images.png(), "image/png")["image"]
    response = api.call("PUT", f"/images/{image['id']}", owner.token, json=body)
    assert response.status_code == 422
    assert field in [item["field"] for item in response.json()["error"]["details"]["fields"]]


def test_a_deleted_image_is_gone_with_its_files_and_nothing_refunded(api: Api, owner: Session) -> None:
    requested = upload(api, owner, images.jpeg(800, 600), "image/jpeg")
    image = wait_for_image(api, owner, requested["image"]["id"])
    assert image["status"] == "COMPLETED"

    assert api.call("DELETE", f"/images/{image['id']}", owner.token).status_code == 204

    assert api.call("GET", f"/images/{image['id']}", owner.token).status_code == 404
    assert api.call("DELETE", f"/images/{image['id']}", owner.token).status_code == 404
    s3 = api.stack.boto_session().client("s3", endpoint_url=api.stack.aws.url)
    listed = s3.list_objects_v2(Bucket=api.stack.env("UploadUrlFunction")["IMAGES_BUCKET"]).get(
        "Contents", []
    )
    assert not [item["Key"] for item in listed if image["id"] in item["Key"]]
    assert api.call("GET", "/users/me", owner.token).json()["user"]["coins"] == 950


def test_other_users_images_are_not_found_on_every_route(api: Api, owner: Session) -> None:
    image = upload(api, owner, images.png(), "image/png")["image"]
    stranger = api.sign_in(f"stranger-{uuid.uuid4().hex[:8]}@example.com")

    for method, body in (("GET", None), ("PUT", {"title": "mine now"}), ("DELETE", None)):
        response = api.call(method, f"/images/{image['id']}", stranger.token, json=body)
        assert response.status_code == 404, method
        assert error_code(response) == "NOT_FOUND"
    assert api.call("GET", f"/images/{image['id']}", owner.token).json()["image"]["title"] == "photo"


def test_a_users_gallery_is_for_them_and_admins_only(api: Api, owner: Session) -> None:
    image = upload(api, owner, images.png(), "image/png")["image"]
    stranger = api.sign_in(f"stranger-{uuid.uuid4().hex[:8]}@example.com")
    admin = api.sign_in(ADMIN_EMAIL)
    path = f"/users/{owner.user['id']}/images"

    assert [found["id"] for found in api.call("GET", path, owner.token).json()["images"]] == [image["id"]]
    assert [found["id"] for found in api.call("GET", path, admin.token).json()["images"]] == [image["id"]]
    refused = api.call("GET", path, stranger.token)
    assert refused.status_code == 403
    assert error_code(refused) == "FORBIDDEN"


def test_paging_hundreds_of_images_sees_each_exactly_once_while_new_ones_arrive(
    api: Api, owner: Session
) -> None:
    admin = api.sign_in(ADMIN_EMAIL)
    api.call(
        "POST", f"/users/{owner.user['id']}/coins", admin.token, json={"amount": 20_000, "reason": "load"}
    )
    body = {"filename": "a.png", "contentType": "image/png", "size": 10}

    def request_upload(_: int) -> str:
        response = api.call("POST", "/images/upload", owner.token, json=body)
        assert response.status_code == 201, response.text
        image_id: str = response.json()["image"]["id"]
        return image_id

    with ThreadPoolExecutor(max_workers=2) as pool:  # one balance: more would mostly wait on each other
        existing = list(pool.map(request_upload, range(240)))

    seen: list[str] = []
    cursor = None
    while True:
        page = api.call(
            "GET", "/images", owner.token, params={"limit": 37, **({"cursor": cursor} if cursor else {})}
        )
        seen.extend(image["id"] for image in page.json()["images"])
        if len(seen) == 37:
            arrived = [request_upload(n) for n in range(3)]  # newer than every page still to come
        cursor = page.json()["nextCursor"]
        if not cursor:
            break

    assert sorted(seen) == sorted(existing)
    assert len(seen) == len(set(seen)) == 240
    assert seen == sorted(seen, reverse=True)
    assert not set(arrived) & set(seen)


def test_starred_images_and_words_of_titles_and_prompts_are_found_in_full_pages(
    api: Api, owner: Session
) -> None:
    made = api.call(
        "POST", "/images/generate", owner.token, json={"prompt": "A Harbour at dusk", "count": 3}
    ).json()["images"]
    cat = api.call("POST", "/images/generate", owner.token, json={"prompt": "a sleeping cat"}).json()["image"]
    starred = api.call("PUT", f"/images/{made[1]['id']}", owner.token, json={"favorite": True})
    assert (starred.status_code, starred.json()["image"]["favorite"]) == (200, True)
    renamed = api.call("PUT", f"/images/{cat['id']}", owner.token, json={"title": "Harbour cat"})
    assert renamed.status_code == 200
    stranger = api.sign_in(f"stranger-{uuid.uuid4().hex[:8]}@example.com")
    api.call("POST", "/images/generate", stranger.token, json={"prompt": "harbour lights"})

    assert [image["id"] for image in all_pages(api, owner, "/images", favorite="true")] == [made[1]["id"]]
    found = all_pages(api, owner, "/images", limit=1, q="HARBOUR")
    assert [image["id"] for image in found] == [cat["id"], *reversed([image["id"] for image in made])]
    assert all_pages(api, owner, "/images", q="harbour", favorite="true")[0]["id"] == made[1]["id"]
    assert all_pages(api, owner, "/images", q="lights") == []  # another user's words are not searched
    unstarred = api.call("PUT", f"/images/{made[1]['id']}", owner.token, json={"favorite": False})
    assert unstarred.json()["image"]["favorite"] is False
    assert all_pages(api, owner, "/images", favorite="true") == []

    for bad in ({"q": ""}, {"q": "x" * 101}, {"favorite": "maybe"}):
        assert api.call("GET", "/images", owner.token, params=bad).status_code == 422
    assert api.call("PUT", f"/images/{cat['id']}", owner.token, json={"favorite": "yes"}).status_code == 422
