"""The local bucket holds a browser upload to its signed policy, as S3 does: a form changed after
it was signed is refused with S3's status and XML error, and nothing is written."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

import pytest
import requests
from botocore.config import Config

from imagegen.adapters.storage import ImageStorage
from tests import images
from tests.e2e.conftest import Api, Session, balance, upload, wait_for_image

PHOTO = images.png(64, 48)


@pytest.fixture
def session(api: Api) -> Session:
    return api.sign_in(f"policy-{uuid.uuid4().hex[:8]}@example.com")


def requested(api: Api, session: Session, size: int = len(PHOTO)) -> dict[str, Any]:
    """What POST /images/upload answers: the image, and where and how to post its file."""
    body = {"filename": "photo.png", "contentType": "image/png", "size": size}
    response = api.call("POST", "/images/upload", session.token, json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def post(
    url: str, fields: dict[str, str], data: bytes = PHOTO, content_type: str = "image/png"
) -> requests.Response:
    """POST the form as a browser does: the fields in order, the file last."""
    return requests.post(url, data=fields, files={"file": ("photo.png", data, content_type)}, timeout=30)


def s3_error(response: requests.Response) -> dict[str, str]:
    assert response.headers["Content-Type"] == "application/xml", response.text
    root = ElementTree.fromstring(response.content)  # noqa: S314 - the local stack's own answer
    assert root.tag == "Error"
    return {element.tag: element.text or "" for element in root}


def stored(api: Api, key: str) -> bytes | None:
    s3 = api.stack.boto_session().client("s3", endpoint_url=api.stack.aws.url)
    bucket = api.stack.env("UploadUrlFunction")["IMAGES_BUCKET"]
    try:
        body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return body


def expired_fields(api: Api, fields: dict[str, str]) -> dict[str, str]:
    """The same policy as the stack's, signed with the stack's credentials (SigV4, as the functions
    sign), already expired."""
    s3 = api.stack.boto_session().client(
        "s3", endpoint_url=api.stack.aws.url, config=Config(signature_version="s3v4")
    )
    credentials = api.stack.boto_session().get_credentials()
    assert credentials is not None
    storage = ImageStorage(
        s3,
        api.stack.env("UploadUrlFunction")["IMAGES_BUCKET"],
        read_url_ttl_seconds=60,
        credentials=credentials.get_frozen_credentials,
    )
    post_ = storage.presign_upload(fields["key"], fields["Content-Type"], len(PHOTO), expires_in=-1)
    return dict(post_.fields)


Tamper = Callable[[Api, dict[str, str]], tuple[dict[str, str], bytes, str]]

REFUSALS: dict[str, tuple[Tamper, int, str]] = {
    "another content type": (
        lambda _, fields: ({**fields, "Content-Type": "text/html"}, b"<script>1</script>", "text/html"),
        403,
        "AccessDenied",
    ),
    "more bytes than declared": (
        lambda _, fields: (fields, PHOTO + b"\0", "image/png"),
        400,
        "EntityTooLarge",
    ),
    "an expired policy": (
        lambda api, fields: (expired_fields(api, fields), PHOTO, "image/png"),
        403,
        "AccessDenied",
    ),
    "a forged signature": (
        lambda _, fields: ({**fields, "x-amz-signature": "0" * 64}, PHOTO, "image/png"),
        403,
        "SignatureDoesNotMatch",
    ),
    "no key field": (
        lambda _, fields: ({k: v for k, v in fields.items() if k != "key"}, PHOTO, "image/png"),
        400,
        "InvalidArgument",
    ),
}


@pytest.mark.parametrize(("tamper", "status", "code"), REFUSALS.values(), ids=REFUSALS.keys())
def test_a_tampered_upload_is_refused_as_s3_refuses_it_and_nothing_is_written(
    api: Api, session: Session, tamper: Tamper, status: int, code: str
) -> None:
    answer = requested(api, session)
    url, fields = answer["upload"]["url"], answer["upload"]["fields"]
    form, data, content_type = tamper(api, dict(fields))

    response = post(url, form, data, content_type)

    assert response.status_code == status
    assert s3_error(response)["Code"] == code
    assert stored(api, fields["key"]) is None
    image = api.call("GET", f"/images/{answer['image']['id']}", session.token).json()["image"]
    assert image["status"] == "PENDING"
    # The form as signed still uploads, and the image completes.
    assert post(url, fields).status_code == 204
    assert wait_for_image(api, session, answer["image"]["id"])["status"] == "COMPLETED"


def test_another_key_is_refused_and_writes_nothing_there(api: Api, session: Session) -> None:
    answer = requested(api, session)
    fields = answer["upload"]["fields"]

    response = post(
        answer["upload"]["url"], {**fields, "key": "public/x.html"}, b"<script>1</script>", "text/html"
    )

    assert response.status_code == 403
    error = s3_error(response)
    assert error["Code"] == "AccessDenied"
    assert (
        error["Message"]
        == f'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "{fields["key"]}"]'
    )
    assert stored(api, "public/x.html") is None
    assert stored(api, fields["key"]) is None
    assert (
        api.call("GET", f"/images/{answer['image']['id']}", session.token).json()["image"]["status"]
        == "PENDING"
    )


def test_one_user_cannot_overwrite_another_users_image(api: Api, session: Session) -> None:
    other = api.sign_in(f"victim-{uuid.uuid4().hex[:8]}@example.com")
    theirs = upload(api, other, PHOTO, "image/png")
    their_key = theirs["upload"]["fields"]["key"]
    assert wait_for_image(api, other, theirs["image"]["id"])["status"] == "COMPLETED"
    mine = requested(api, session)

    response = post(mine["upload"]["url"], {**mine["upload"]["fields"], "key": their_key}, images.png(8, 8))

    assert response.status_code == 403
    assert s3_error(response)["Code"] == "AccessDenied"
    assert stored(api, their_key) in (None, PHOTO)  # wherever the pipeline keeps originals, not replaced
    image = api.call("GET", f"/images/{theirs['image']['id']}", other.token).json()["image"]
    assert requests.get(image["storageUrl"], timeout=10).content == PHOTO


def test_an_upload_the_bucket_refused_is_cancelled_with_its_coins_back_at_once(
    api: Api, session: Session
) -> None:
    answer = requested(api, session, size=len(PHOTO))
    refused = post(answer["upload"]["url"], answer["upload"]["fields"], data=PHOTO + b"\0" * 10)
    assert s3_error(refused)["Code"] == "EntityTooLarge"
    assert balance(api, session) == 950

    cancelled = api.call("DELETE", f"/images/{answer['image']['id']}", session.token)

    assert cancelled.status_code == 204
    assert balance(api, session) == 1000  # the balance is still the sum of the ledger
    assert api.call("GET", f"/images/{answer['image']['id']}", session.token).status_code == 404
    # The form is still signed: a file sent now is deleted unread, and nothing is charged or refunded twice.
    assert post(answer["upload"]["url"], answer["upload"]["fields"]).status_code == 204
    deadline = time.monotonic() + 30
    while stored(api, answer["upload"]["fields"]["key"]) is not None:
        assert time.monotonic() < deadline, "the late file is still there"
        time.sleep(0.1)
    assert balance(api, session) == 1000
