from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from imagegen.composition import UPLOAD_SWEEP_MARGIN, Composition
from imagegen.ids import utc_now
from imagegen.models.auth import Caller
from imagegen.models.images import ImageStatus, UploadRequest
from imagegen.services.sweeper import UPLOAD_NEVER_ARRIVED

DEADLINE = timedelta(seconds=300) + UPLOAD_SWEEP_MARGIN


def request_upload(services: Composition, caller: Caller) -> str:
    body = {"filename": "a.png", "contentType": "image/png", "size": 10}
    return services.uploads.request_upload(caller, UploadRequest.model_validate(body)).image.image_id


def status_of(services: Composition, caller: Caller, image_id: str) -> ImageStatus:
    image = services.image_records.get(caller.user_id, image_id)
    assert image is not None
    return image.status


def test_uploads_past_their_deadline_are_failed_and_refunded_once(
    services: Composition, caller: Caller, ledger_sum: Callable[[str], int]
) -> None:
    stale = [request_upload(services, caller) for _ in range(3)]
    later = utc_now() + DEADLINE + timedelta(seconds=1)

    assert services.sweeper.sweep(later) == 3
    assert services.sweeper.sweep(later) == 0

    for image_id in stale:
        assert status_of(services, caller, image_id) is ImageStatus.FAILED
        image = services.image_records.get(caller.user_id, image_id)
        assert image is not None
        assert image.failure == UPLOAD_NEVER_ARRIVED
    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)


def test_uploads_within_their_deadline_are_left_alone(services: Composition, caller: Caller) -> None:
    image_id = request_upload(services, caller)
    assert services.sweeper.sweep(utc_now() + DEADLINE - timedelta(seconds=5)) == 0
    assert status_of(services, caller, image_id) is ImageStatus.PENDING
    assert services.coins.balance(caller.user_id) == 950
