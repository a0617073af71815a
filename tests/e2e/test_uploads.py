"""Browser uploads through the local stack: presigned POST, object-created events, metadata, thumbnails."""

from __future__ import annotations

import io
import time
import uuid

import pytest
import requests
from PIL import Image

from tests import images
from tests.e2e.conftest import Api, Session, error_code, ledger_sum, upload, wait_for_image


@pytest.fixture
def session(api: Api) -> Session:
    return api.sign_in(f"uploader-{uuid.uuid4().hex[:8]}@example.com")


def objects_of(api: Api, image_id: str) -> list[str]:
    """Every key in the bucket that belongs to the image (arrival, original, thumbnail, turn)."""
    s3 = api.stack.boto_session().client("s3", endpoint_url=api.stack.aws.url)
    bucket = api.stack.env("UploadUrlFunction")["IMAGES_BUCKET"]
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(item["Key"] for item in listed if image_id in item["Key"])


def coins(api: Api, session: Session) -> int:
    """The balance the API shows, checked against the sum of the ledger."""
    balance: int = api.call("GET", "/users/me", session.token).json()["user"]["coins"]
    assert balance == ledger_sum(api, session.user["id"])
    return balance


def test_a_phone_photo_completes_upright_with_a_thumbnail(api: Api, session: Session) -> None:
    photo = images.jpeg(3000, 2000, orientation=6, gps=True)
    requested = upload(api, session, photo)
    assert requested["image"]["status"] == "PENDING"
    assert (requested["image"]["storageUrl"], requested["image"]["thumbnailUrl"]) == (None, None)
    assert requested["user"]["coins"] == 950

    image = wait_for_image(api, session, requested["image"]["id"])

    assert image["status"] == "COMPLETED", image
    assert image["metadata"] == {
        "width": 2000,
        "height": 3000,
        "format": "JPEG",
        "contentType": "image/jpeg",
        "size": len(photo),
    }
    assert (image["type"], image["coinsUsed"], image["error"], image["errorCode"]) == (
        "UPLOADED",
        50,
        None,
        None,
    )
    assert requests.get(image["storageUrl"], timeout=10).content == photo
    thumbnail = requests.get(image["thumbnailUrl"], timeout=10)
    with Image.open(io.BytesIO(thumbnail.content)) as picture:
        assert (picture.format, picture.size) == ("WEBP", (341, 512))
        assert not picture.getexif()
    assert coins(api, session) == 950


@pytest.mark.parametrize(
    ("data", "content_type", "error", "code"),
    [
        (b"hello, not an image", "image/png", "not a JPEG, PNG, WebP or GIF", "NOT_AN_IMAGE"),
        (images.jpeg()[:300], "image/jpeg", "damaged or incomplete", "IMAGE_DAMAGED"),
        (images.decompression_bomb_png(20_000, 20_000), "image/png", "pixels", "TOO_MANY_PIXELS"),
        (images.png(), "image/jpeg", "a PNG image, but its upload was asked for as image/jpeg", "WRONG_TYPE"),
    ],
    ids=["text named .png", "truncated", "decompression bomb", "png declared as jpeg"],
)
def test_a_bad_file_ends_failed_refunded_and_gone(
    api: Api, session: Session, data: bytes, content_type: str, error: str, code: str
) -> None:
    """A file the bucket's policy lets through (its declared type and size) that is no such image.
    A file of another size or type never lands: the bucket refuses it (test_upload_policy)."""
    requested = upload(api, session, data, content_type)

    image = wait_for_image(api, session, requested["image"]["id"])

    assert image["status"] == "FAILED"
    assert error in image["error"]
    assert image["errorCode"] == code
    assert (image["storageUrl"], image["thumbnailUrl"]) == (None, None)
    assert coins(api, session) == 1000
    assert objects_of(api, requested["image"]["id"]) == []


def test_a_second_file_posted_after_completion_never_replaces_what_is_served(
    api: Api, session: Session
) -> None:
    photo = images.jpeg(640, 480)
    requested = upload(api, session, photo)
    image = wait_for_image(api, session, requested["image"]["id"])
    thumbnail = requests.get(image["thumbnailUrl"], timeout=10).content

    # The presigned POST is still valid: S3 takes a second file for the same key.
    html = photo[:4] + b"<html><script>document.cookie</script></html>"
    again = requests.post(
        requested["upload"]["url"],
        data=requested["upload"]["fields"],
        files={"file": ("photo", html, "image/jpeg")},
        timeout=30,
    )
    assert again.status_code == 204, again.text
    deadline = time.monotonic() + 30
    while objects_of(api, image["id"]) != sorted(
        [image_key(image), f"thumbnails/{session.user['id']}/{image['id']}/512.webp"]
    ):
        assert time.monotonic() < deadline, objects_of(api, image["id"])  # the arrival is removed unread
        time.sleep(0.1)

    now = api.call("GET", f"/images/{image['id']}", session.token).json()["image"]
    assert (now["status"], now["metadata"], now["updatedAt"]) == (
        "COMPLETED",
        image["metadata"],
        image["updatedAt"],
    )
    assert requests.get(now["storageUrl"], timeout=10).content == photo
    assert requests.get(now["thumbnailUrl"], timeout=10).content == thumbnail
    assert coins(api, session) == 950


def image_key(image: dict[str, object]) -> str:
    return f"images/{image['userId']}/{image['id']}.jpg"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"filename": "a.tif", "contentType": "image/tiff", "size": 10}, 415, "UNSUPPORTED_MEDIA_TYPE"),
        ({"filename": "a.jpg", "contentType": "image/jpeg", "size": 20 * 1024 * 1024 + 1}, 413, "TOO_LARGE"),
        ({"filename": "a.jpg", "contentType": "image/jpeg", "size": 0}, 422, "VALIDATION_ERROR"),
        ({"filename": "a.jpg", "contentType": "image/jpeg"}, 422, "VALIDATION_ERROR"),
    ],
)
def test_refused_requests_charge_nothing(
    api: Api, session: Session, body: dict[str, object], status: int, code: str
) -> None:
    response = api.call("POST", "/images/upload", session.token, json=body)
    assert response.status_code == status
    assert error_code(response) == code
    assert coins(api, session) == 1000


def test_uploads_stop_at_the_last_coin(api: Api, session: Session) -> None:
    body = {"filename": "a.png", "contentType": "image/png", "size": 10}
    accepted = [api.call("POST", "/images/upload", session.token, json=body).status_code for _ in range(20)]
    refused = api.call("POST", "/images/upload", session.token, json=body)

    assert accepted == [201] * 20
    assert refused.status_code == 402
    assert error_code(refused) == "INSUFFICIENT_COINS"
    assert coins(api, session) == 0


def test_another_users_image_is_not_found(api: Api, session: Session) -> None:
    requested = upload(api, session, images.png(), "image/png")
    other = api.sign_in(f"other-{uuid.uuid4().hex[:8]}@example.com")
    response = api.call("GET", f"/images/{requested['image']['id']}", other.token)
    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"


def test_the_browser_may_post_from_the_console_origin(api: Api, session: Session) -> None:
    origin = api.stack.api_url
    picture = images.png(4, 4)
    requested = api.call(
        "POST",
        "/images/upload",
        session.token,
        json={"filename": "a.png", "contentType": "image/png", "size": len(picture)},
    ).json()
    url = requested["upload"]["url"]

    preflight = requests.options(
        url, headers={"Origin": origin, "Access-Control-Request-Method": "POST"}, timeout=10
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == origin

    posted = requests.post(
        url,
        data=requested["upload"]["fields"],
        files={"file": ("a.png", picture, "image/png")},
        headers={"Origin": origin},
        timeout=10,
    )
    assert posted.status_code == 204
    assert posted.headers["Access-Control-Allow-Origin"] in (origin, "*")


def test_a_long_file_name_gives_a_title_that_an_edit_accepts_back(api: Api, session: Session) -> None:
    name = "holiday-" + "x" * 243 + ".jpg"  # the longest file name an upload takes
    body = {"filename": name, "contentType": "image/jpeg", "size": 10}
    image = api.call("POST", "/images/upload", session.token, json=body).json()["image"]

    assert image["title"] == name[:200]
    edited = api.call("PUT", f"/images/{image['id']}", session.token, json={"title": image["title"]})
    assert edited.status_code == 200, edited.text
