from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from imagegen.composition import Composition
from imagegen.errors import InsufficientCoins, TooLarge, UnsupportedMediaType
from imagegen.ids import utc_now
from imagegen.models.auth import Caller
from imagegen.models.images import ImageStatus, ImageType, UploadRequest


def request(**changes: object) -> UploadRequest:
    body = {
        "filename": "beach.jpg",
        "contentType": "image/jpeg",
        "size": 2_000_000,
        "title": "Beach",
        **changes,
    }
    return UploadRequest.model_validate(body)


def policy_of(fields: dict[str, str]) -> dict[str, object]:
    decoded: dict[str, object] = json.loads(base64.b64decode(fields["policy"]))
    return decoded


def test_an_upload_is_charged_recorded_and_signed_for_exactly_its_file(
    services: Composition, caller: Caller, ledger_sum: Callable[[str], int]
) -> None:
    upload = services.uploads.request_upload(caller, request())

    image = upload.image
    assert (image.type, image.status, image.coins_used, image.title) == (
        ImageType.UPLOADED,
        ImageStatus.PENDING,
        50,
        "Beach",
    )
    assert image.object_key == f"images/{caller.user_id}/{image.image_id}.jpg"
    assert services.image_records.get(caller.user_id, image.image_id) == image
    assert upload.balance == services.coins.balance(caller.user_id) == 950 == ledger_sum(caller.user_id)

    fields = upload.post.fields
    arrival = f"incoming/{caller.user_id}/{image.image_id}"  # never the key that is served
    assert fields["key"] == arrival
    assert fields["Content-Type"] == "image/jpeg"
    conditions = policy_of(fields)["conditions"]
    assert {"key": arrival} in conditions  # type: ignore[operator]
    assert {"Content-Type": "image/jpeg"} in conditions  # type: ignore[operator]
    assert ["content-length-range", 1, 2_000_000] in conditions  # type: ignore[operator]
    expires = datetime.fromisoformat(upload.post.expires_at.replace("Z", "+00:00"))
    assert timedelta(minutes=4) < expires - utc_now() <= timedelta(minutes=5)
    assert policy_of(fields)["expiration"][:16] == upload.post.expires_at[:16]  # type: ignore[index]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"contentType": "image/tiff"}, UnsupportedMediaType),
        ({"contentType": "text/html"}, UnsupportedMediaType),
        ({"size": 20 * 1024 * 1024 + 1}, TooLarge),
    ],
)
def test_refused_uploads_charge_and_write_nothing(
    services: Composition, caller: Caller, changes: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        services.uploads.request_upload(caller, request(**changes))
    assert services.coins.balance(caller.user_id) == 1000
    assert not list(services.image_records.unfinished_before(ImageStatus.PENDING, "9999"))


def test_the_largest_upload_is_accepted(services: Composition, caller: Caller) -> None:
    upload = services.uploads.request_upload(caller, request(size=20 * 1024 * 1024))
    assert ["content-length-range", 1, 20 * 1024 * 1024] in policy_of(upload.post.fields)["conditions"]  # type: ignore[operator]


def test_content_types_are_compared_without_case(services: Composition, caller: Caller) -> None:
    assert services.uploads.request_upload(
        caller, request(contentType="IMAGE/PNG")
    ).image.object_key.endswith(".png")


def test_short_of_coins_is_refused_and_writes_nothing(
    services: Composition, caller: Caller, ledger_sum: Callable[[str], int]
) -> None:
    services.coins.grant(caller.user_id, -980, note="leave 20")
    with pytest.raises(InsufficientCoins):
        services.uploads.request_upload(caller, request())
    assert services.coins.balance(caller.user_id) == 20 == ledger_sum(caller.user_id)
    assert not list(services.image_records.unfinished_before(ImageStatus.PENDING, "9999"))


@pytest.mark.parametrize(
    "changes",
    [
        {"filename": ""},
        {"filename": "../etc/passwd"},
        {"size": 0},
        {"size": -5},
        {"title": "x" * 201},
        {"extra": 1},
    ],
)
def test_malformed_requests_are_refused_by_the_model(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="validation error"):
        request(**changes)
