"""The sweeper on in-memory twins: an image unfinished past its deadline (an upload's, or a generation's,
which is longer) is failed and refunded once, however often it sweeps; an image within its deadline, one
being deleted, or one that finished meanwhile is left alone and refunds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from imagegen.ids import utc_now
from imagegen.models.images import Failure, GenerateRequest, Image, ImageMetadata, ImageStatus, UploadRequest
from imagegen.models.keys import turn_key
from imagegen.services.sweeper import GENERATION_NEVER_FINISHED, UPLOAD_NEVER_ARRIVED, Sweeper
from tests.fakes.images import ImageParts, InMemoryJobQueue

UPLOAD_DEADLINE = timedelta(minutes=15)
GENERATION_DEADLINE = timedelta(hours=1)


class Sweeping:
    """A sweeper on twins, with uploads and generations of ``ada``, who held 1000 coins."""

    def __init__(self) -> None:
        self.parts = ImageParts()
        self.ada = self.parts.open_account("ada", 1000)
        self.sweeper = Sweeper(self.parts.records, self.parts.images, UPLOAD_DEADLINE, GENERATION_DEADLINE)

    def upload(self) -> Image:
        request = UploadRequest.model_validate({"filename": "a.png", "contentType": "image/png", "size": 10})
        return self.parts.uploads().request_upload(self.ada, request).image

    def generation(self, processing: bool = False) -> Image:
        image = (
            self.parts.generation(InMemoryJobQueue())
            .generate(self.ada, GenerateRequest(prompt="a fox"))
            .image
        )
        if processing:  # a worker took it and stored its bytes' key, then crashed
            records = self.parts.records
            assert records.move("ada", image.image_id, ImageStatus.PENDING, ImageStatus.PROCESSING, "now")
            assert records.set_object_key(
                "ada", image.image_id, image.object_key, turn_key("ada", image.image_id), "now"
            )
        return image

    def state(self, image: Image) -> tuple[ImageStatus, Failure | None, int]:
        """The image's status and why it failed, and how many refunds it had."""
        record = self.parts.record("ada", image.image_id)
        return record.status, record.failure, self.parts.refunds("ada", image.image_id)


@pytest.fixture
def sweeping() -> Sweeping:
    return Sweeping()


def test_uploads_past_their_deadline_are_failed_and_refunded_once(sweeping: Sweeping) -> None:
    stale = [sweeping.upload() for _ in range(3)]
    later = utc_now() + UPLOAD_DEADLINE + timedelta(seconds=1)

    assert sweeping.sweeper.sweep(later) == 3
    assert sweeping.sweeper.sweep(later) == 0

    assert [sweeping.state(image) for image in stale] == [(ImageStatus.FAILED, UPLOAD_NEVER_ARRIVED, 1)] * 3
    assert sweeping.parts.balance("ada") == 1000 == sweeping.parts.ledger_sum("ada")


def test_an_upload_within_its_deadline_is_left_alone(sweeping: Sweeping) -> None:
    image = sweeping.upload()

    assert sweeping.sweeper.sweep(utc_now() + UPLOAD_DEADLINE - timedelta(seconds=5)) == 0

    assert sweeping.state(image) == (ImageStatus.PENDING, None, 0)
    assert sweeping.parts.balance("ada") == 950


def test_a_generation_gets_its_longer_deadline(sweeping: Sweeping) -> None:
    upload, pending, processing = (
        sweeping.upload(),
        sweeping.generation(),
        sweeping.generation(processing=True),
    )

    assert sweeping.sweeper.sweep(utc_now() + UPLOAD_DEADLINE + timedelta(seconds=1)) == 1
    assert [sweeping.state(image)[0] for image in (upload, pending, processing)] == [
        ImageStatus.FAILED,
        ImageStatus.PENDING,
        ImageStatus.PROCESSING,
    ]

    assert sweeping.sweeper.sweep(utc_now() + GENERATION_DEADLINE + timedelta(seconds=1)) == 2
    assert sweeping.sweeper.sweep(utc_now() + GENERATION_DEADLINE + timedelta(seconds=1)) == 0
    assert [sweeping.state(image) for image in (pending, processing)] == [
        (ImageStatus.FAILED, GENERATION_NEVER_FINISHED, 1)
    ] * 2
    assert sweeping.parts.balance("ada") == 1000 == sweeping.parts.ledger_sum("ada")


def test_an_image_being_deleted_is_left_to_its_delete(sweeping: Sweeping) -> None:
    image = sweeping.upload()
    assert (
        sweeping.parts.records.mark_deleting("ada", image.image_id, "now") is not None
    )  # a delete under way

    assert sweeping.sweeper.sweep(utc_now() + UPLOAD_DEADLINE + timedelta(seconds=1)) == 0

    assert sweeping.state(image) == (ImageStatus.PENDING, None, 0)
    assert sweeping.parts.balance("ada") == 950


def test_an_image_that_finished_meanwhile_is_not_swept_nor_refunded(sweeping: Sweeping) -> None:
    image = sweeping.generation(processing=True)
    measured = ImageMetadata(width=1024, height=1024, format="PNG", content_type="image/png", size=10)

    def completed_by_the_pipeline() -> None:
        assert sweeping.parts.records.complete("ada", image.image_id, measured, "now", ImageStatus.PROCESSING)

    # Between the sweeper's read and its failure of the image, the pipeline completes it.
    sweeping.parts.transactions.before_commit = completed_by_the_pipeline

    assert sweeping.sweeper.sweep(utc_now() + GENERATION_DEADLINE + timedelta(seconds=1)) == 0

    assert sweeping.state(image) == (ImageStatus.COMPLETED, None, 0)
    assert sweeping.parts.balance("ada") == 900
