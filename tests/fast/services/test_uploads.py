"""Uploads on in-memory twins: the upload charged, recorded PENDING and placed in the rate limit in one
commit, then a POST signed for exactly its file, to where nothing is served; nothing charged or written
for a type or size refused, a balance short or a full window; an upload cancelled before its file
arrived refunded once."""

from __future__ import annotations

import pytest

from imagegen.errors import InsufficientCoins, NotFound, RateLimited, TooLarge, UnsupportedMediaType
from imagegen.models.images import ImageStatus, ImageType, UploadRequest
from imagegen.models.keys import incoming_key
from imagegen.services.uploads import UploadService
from tests.fakes.images import MAX_UPLOAD_BYTES, UPLOAD_COST, ImageParts


def request(**changes: object) -> UploadRequest:
    body = {
        "filename": "beach.jpg",
        "contentType": "image/jpeg",
        "size": 2_000_000,
        "title": "Beach",
        **changes,
    }
    return UploadRequest.model_validate(body)


class Uploading:
    """Uploads on twins, for ``ada`` holding 1000 coins."""

    def __init__(self, uploads_per_minute: int = 100) -> None:
        self.parts = ImageParts(uploads_per_minute=uploads_per_minute)
        self.ada = self.parts.open_account("ada", 1000)
        self.service: UploadService = self.parts.uploads()
        self.opened = len(self.parts.transactions.committed)

    def written(self) -> tuple[int, int, int, int]:
        """ada's balance, her images, the places she took, and the commits since her wallet opened."""
        window = self.parts.windows.windows.get("ada#upload")
        return (
            self.parts.balance("ada"),
            len(self.parts.records.records),
            len(window.times) if window else 0,
            len(self.parts.transactions.committed) - self.opened,
        )


@pytest.fixture
def uploading() -> Uploading:
    return Uploading()


def test_an_upload_is_charged_recorded_and_placed_in_one_commit_then_signed_for_its_file(
    uploading: Uploading,
) -> None:
    upload = uploading.service.request_upload(uploading.ada, request())

    image = upload.image
    assert (image.type, image.status, image.coins_used, image.title) == (
        ImageType.UPLOADED,
        ImageStatus.PENDING,
        UPLOAD_COST,
        "Beach",
    )
    assert (image.declared_content_type, image.declared_size, image.thread_id) == (
        "image/jpeg",
        2_000_000,
        image.image_id,
    )
    assert image.object_key == f"images/ada/{image.image_id}.jpg"
    assert uploading.parts.records.get("ada", image.image_id) == image
    assert uploading.parts.transactions.committed[-1] == [
        "new image",
        "rate limit",
        "ledger entry",
        "wallet balance",
    ]
    assert upload.balance == 950 == uploading.parts.ledger_sum("ada")
    assert uploading.parts.wallets.stats["ada"] == {"images": 1, "uploaded": 1, "coinsSpent": UPLOAD_COST}
    # The POST may write exactly this file, to where the pipeline checks it, never where it is served.
    assert upload.post.fields == {"key": incoming_key("ada", image.image_id), "Content-Type": "image/jpeg"}
    assert uploading.written() == (950, 1, 1, 1)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"contentType": "image/tiff"}, UnsupportedMediaType),
        ({"contentType": "text/html"}, UnsupportedMediaType),
        ({"size": MAX_UPLOAD_BYTES + 1}, TooLarge),
    ],
)
def test_a_refused_upload_charges_and_writes_nothing(
    uploading: Uploading, changes: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        uploading.service.request_upload(uploading.ada, request(**changes))

    assert uploading.written() == (1000, 0, 0, 0)


def test_the_largest_upload_is_accepted(uploading: Uploading) -> None:
    upload = uploading.service.request_upload(uploading.ada, request(size=MAX_UPLOAD_BYTES))

    assert upload.image.declared_size == MAX_UPLOAD_BYTES
    assert uploading.written() == (950, 1, 1, 1)


def test_a_short_balance_charges_and_writes_nothing(uploading: Uploading) -> None:
    uploading.parts.coins.grant("ada", -980, note="leave 20")
    uploading.opened += 1

    with pytest.raises(InsufficientCoins):
        uploading.service.request_upload(uploading.ada, request())

    assert uploading.written() == (20, 0, 0, 0)
    assert uploading.parts.charges("ada") == 0


def test_past_the_rate_limit_nothing_is_charged() -> None:
    uploading = Uploading(uploads_per_minute=2)
    for _ in range(2):
        uploading.service.request_upload(uploading.ada, request())

    with pytest.raises(RateLimited):
        uploading.service.request_upload(uploading.ada, request())

    assert uploading.written() == (900, 2, 2, 2)
    assert uploading.parts.charges("ada") == 2


def test_an_upload_cancelled_before_its_file_arrived_is_refunded_once(uploading: Uploading) -> None:
    image = uploading.service.request_upload(uploading.ada, request()).image

    # A first delete got as far as its tombstone, then its Lambda stopped: the client deletes again.
    assert uploading.parts.records.mark_deleting("ada", image.image_id, "now") is not None
    uploading.parts.images.delete(uploading.ada, image.image_id)
    with pytest.raises(NotFound):
        uploading.parts.images.delete(uploading.ada, image.image_id)

    assert uploading.parts.balance("ada") == 1000 == uploading.parts.ledger_sum("ada")
    assert uploading.parts.refunds("ada", image.image_id) == 1
    assert uploading.parts.records.records == {}
    assert uploading.parts.wallets.stats["ada"] == {"images": 0, "uploaded": 0, "coinsSpent": 0}
