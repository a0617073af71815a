"""The object-created pipeline on in-memory twins: an upload checked and promoted, or the worker's image
measured where it lies, completes its image once; a file that is not what was asked for fails it with
its refund, once, and leaves nothing behind; thumbnails are kept only for an image that exists and has
not failed; a late, second or stray file changes nothing served."""

from __future__ import annotations

import pytest

from imagegen.metrics import Metric
from imagegen.models.images import Failure, GenerateRequest, Image, ImageFailure, ImageStatus, UploadRequest
from imagegen.models.keys import incoming_key, thumbnail_key, turn_key
from imagegen.services.generation_worker import STORAGE_FAILED
from imagegen.services.object_store import ObjectStore
from imagegen.services.pipeline import ImagePipeline, Outcome
from imagegen.services.sweeper import UPLOAD_NEVER_ARRIVED
from tests.fakes import InMemoryObjects
from tests.fakes.images import MAX_UPLOAD_BYTES, ImageParts, InMemoryJobQueue, LabelledImaging, picture


class Piping:
    """The pipeline on twins, with uploads and generations to feed it, for ``ada`` holding 1000 coins."""

    def __init__(self) -> None:
        self.parts = ImageParts()
        self.ada = self.parts.open_account("ada", 1000)
        self.imaging = LabelledImaging()
        self.pipeline = self.pipeline_with(self.parts.objects)

    def pipeline_with(self, storage: ObjectStore) -> ImagePipeline:
        return ImagePipeline(self.parts.records, self.parts.images, storage, MAX_UPLOAD_BYTES, self.imaging)

    def uploaded(
        self,
        data: bytes,
        content_type: str = "image/jpeg",
        declared_size: int | None = None,
        sent_as: str | None = None,
    ) -> Image:
        """An upload requested as the browser would, and its file put where the POST puts it."""
        body = {"filename": "file", "contentType": content_type, "size": declared_size or len(data)}
        upload = self.parts.uploads().request_upload(self.ada, UploadRequest.model_validate(body))
        assert upload.post.fields["key"] == arrival(upload.image)
        self.arrive(upload.image, data, sent_as or content_type)
        return upload.image

    def arrive(self, image: Image, data: bytes, content_type: str) -> None:
        """A file POSTed to the upload of ``image`` (a first, or another while its POST is valid)."""
        self.parts.objects.write(arrival(image), data, content_type)

    def generated(self, data: bytes) -> Image:
        """A generated image PROCESSING, its bytes written by the worker under its ``images/`` key."""
        generation = self.parts.generation(InMemoryJobQueue())
        image = generation.generate(self.ada, GenerateRequest(prompt="static")).image
        records = self.parts.records
        assert records.move("ada", image.image_id, ImageStatus.PENDING, ImageStatus.PROCESSING, "now")
        assert records.set_object_key(
            "ada", image.image_id, image.object_key, turn_key("ada", image.image_id), "now"
        )
        self.parts.objects.write(image.object_key, data, "image/png")
        return self.record(image)

    def record(self, image: Image) -> Image:
        return self.parts.record(image.user_id, image.image_id)

    def stored(self, key: str) -> bytes | None:
        return self.parts.objects.read_if_exists(key)

    def settled(self, image: Image) -> tuple[int, int]:
        """ada's balance, and the refunds of ``image``."""
        return self.parts.balance("ada"), self.parts.refunds("ada", image.image_id)


def arrival(image: Image) -> str:
    """Where the browser's POST puts an upload's file."""
    return incoming_key(image.user_id, image.image_id)


@pytest.fixture
def piping() -> Piping:
    return Piping()


def test_an_upload_is_checked_promoted_and_completed_once(piping: Piping) -> None:
    data = picture("JPEG", 64, 32)
    image = piping.uploaded(data)

    assert piping.pipeline.measure(arrival(image)) is Outcome.COMPLETED
    assert piping.pipeline.measure(image.object_key) is Outcome.IGNORED  # the promoted copy's event
    assert piping.pipeline.measure(arrival(image)) is Outcome.IGNORED  # S3's event again

    assert piping.stored(image.object_key) == data  # the checked bytes, promoted
    assert piping.stored(arrival(image)) is None
    completed = piping.record(image)
    assert completed.status is ImageStatus.COMPLETED
    assert completed.metadata is not None
    assert completed.metadata.model_dump() == {
        "width": 64,
        "height": 32,
        "format": "JPEG",
        "content_type": "image/jpeg",
        "size": len(data),
    }
    assert list(piping.parts.records.unfinished_before(ImageStatus.PENDING, "9999")) == []
    assert piping.parts.counted.totals == {Metric.UPLOADS_COMPLETED: 1}
    assert piping.settled(image) == (950, 0)


@pytest.mark.parametrize(
    ("data", "content_type", "error", "code"),
    [
        (b"hello, not an image", "image/png", "not a JPEG, PNG, WebP or GIF", ImageFailure.NOT_AN_IMAGE),
        (picture("JPEG", 64, 32)[:30], "image/jpeg", "damaged or incomplete", ImageFailure.IMAGE_DAMAGED),
        (picture("PNG", 20_000, 20_000), "image/png", "pixels", ImageFailure.TOO_MANY_PIXELS),
        (
            picture("PNG", 64, 32),
            "image/jpeg",
            "a PNG image, but its upload was asked for as image/jpeg",
            ImageFailure.WRONG_TYPE,
        ),
    ],
    ids=["text named .png", "cut jpeg", "too many pixels", "png declared as jpeg"],
)
def test_a_bad_upload_fails_is_refunded_once_and_is_removed(
    piping: Piping, data: bytes, content_type: str, error: str, code: ImageFailure
) -> None:
    image = piping.uploaded(data, content_type)
    assert piping.settled(image) == (950, 0)

    assert piping.pipeline.measure(arrival(image)) is Outcome.FAILED
    assert piping.pipeline.measure(arrival(image)) is Outcome.IGNORED  # a duplicate event

    failed = piping.record(image)
    assert failed.status is ImageStatus.FAILED
    assert error in (failed.error or "")
    assert failed.error_code is code
    assert piping.parts.objects.objects == {}
    assert piping.settled(image) == (1000, 1)
    assert piping.parts.ledger_sum("ada") == 1000
    assert piping.parts.counted.totals == {Metric.UPLOADS_FAILED: 1, Metric.COINS_REFUNDED: 50}


def test_a_file_larger_than_declared_fails_and_is_refunded(piping: Piping) -> None:
    data = picture("JPEG", 64, 32)
    image = piping.uploaded(data, declared_size=len(data) - 1)

    assert piping.pipeline.measure(arrival(image)) is Outcome.FAILED

    assert "more than the" in (piping.record(image).error or "")
    assert piping.record(image).error_code is ImageFailure.FILE_TOO_LARGE
    assert piping.stored(arrival(image)) is None
    assert piping.settled(image) == (1000, 1)


def test_a_file_sent_as_another_content_type_fails_and_is_refunded(piping: Piping) -> None:
    image = piping.uploaded(picture("JPEG", 64, 32), sent_as="text/html")

    assert piping.pipeline.measure(arrival(image)) is Outcome.FAILED

    assert "text/html" in (piping.record(image).error or "")
    assert piping.record(image).error_code is ImageFailure.WRONG_TYPE
    assert piping.settled(image) == (1000, 1)


def test_a_file_gone_before_it_is_checked_fails_as_never_arrived_and_is_refunded(piping: Piping) -> None:
    image = piping.uploaded(picture("JPEG", 64, 32))
    piping.parts.objects.delete(arrival(image))  # its event comes after the file is gone

    assert piping.pipeline.measure(arrival(image)) is Outcome.FAILED

    assert piping.record(image).failure == Failure(ImageFailure.NEVER_ARRIVED, "The file never arrived.")
    assert piping.settled(image) == (1000, 1)


def test_a_late_upload_after_the_image_failed_is_removed_and_refunds_nothing_more(piping: Piping) -> None:
    image = piping.uploaded(picture("JPEG", 64, 32))
    assert piping.parts.images.fail(image, UPLOAD_NEVER_ARRIVED, expected=ImageStatus.PENDING)
    piping.arrive(image, picture("JPEG", 64, 32), "image/jpeg")

    assert piping.pipeline.measure(arrival(image)) is Outcome.IGNORED

    assert piping.parts.objects.objects == {}
    assert piping.record(image).status is ImageStatus.FAILED
    assert piping.settled(image) == (1000, 1)


def test_a_file_of_an_image_deleted_meanwhile_is_removed_unread(piping: Piping) -> None:
    image = piping.uploaded(picture("JPEG", 64, 32))
    piping.parts.images.delete(piping.ada, image.image_id)  # cancelled before its file was taken in
    piping.arrive(image, picture("JPEG", 64, 32), "image/jpeg")
    piping.parts.objects.write(image.object_key, picture("JPEG", 64, 32), "image/jpeg")

    assert piping.pipeline.measure(arrival(image)) is Outcome.IGNORED
    assert piping.pipeline.measure(image.object_key) is Outcome.IGNORED
    assert piping.pipeline.thumbnail(image.object_key) is Outcome.IGNORED

    assert piping.parts.objects.objects == {}
    assert piping.settled(image) == (1000, 1)  # the cancelled upload's refund, once


def test_a_second_file_posted_after_completion_changes_nothing_served(piping: Piping) -> None:
    checked = picture("JPEG", 64, 32)
    image = piping.uploaded(checked)
    assert piping.pipeline.measure(arrival(image)) is Outcome.COMPLETED
    assert piping.pipeline.thumbnail(image.object_key) is Outcome.THUMBNAILED
    completed = piping.record(image)

    piping.arrive(image, checked[:4] + b"<html><script>alert(1)</script></html>", "image/jpeg")

    assert piping.pipeline.measure(arrival(image)) is Outcome.IGNORED
    assert piping.stored(arrival(image)) is None
    assert piping.stored(image.object_key) == checked
    assert piping.record(image) == completed


def test_of_two_files_of_one_upload_only_the_first_promoted_is_served_and_described(piping: Piping) -> None:
    first, second = picture("JPEG", 64, 32), picture("JPEG", 40, 40)
    image = piping.uploaded(second)
    piping.parts.objects.write(image.object_key, first, "image/jpeg")  # the other file's promotion

    assert piping.pipeline.measure(arrival(image)) is Outcome.IGNORED  # not promoted over the first
    assert piping.pipeline.measure(image.object_key) is Outcome.COMPLETED  # the first's own event

    completed = piping.record(image)
    assert completed.metadata is not None
    assert (completed.metadata.width, completed.metadata.height, completed.metadata.size) == (
        64,
        32,
        len(first),
    )
    assert piping.stored(image.object_key) == first
    assert piping.stored(arrival(image)) is None


def test_the_models_image_is_measured_where_it_lies_and_thumbnailed(piping: Piping) -> None:
    image = piping.generated(picture("PNG", 1024, 768))

    assert piping.pipeline.thumbnail(image.object_key) is Outcome.THUMBNAILED
    assert piping.pipeline.measure(image.object_key) is Outcome.COMPLETED
    assert piping.pipeline.measure(image.object_key) is Outcome.IGNORED

    done = piping.record(image)
    assert (done.status, done.metadata.width, done.metadata.height) == (ImageStatus.COMPLETED, 1024, 768)  # type: ignore[union-attr]
    assert done.thumbnail_key == thumbnail_key("ada", image.image_id)
    thumbnail = piping.imaging.inspect(piping.stored(done.thumbnail_key) or b"")
    assert (thumbnail.format, thumbnail.width, thumbnail.height) == ("WEBP", 512, 384)
    assert piping.parts.counted.totals == {Metric.GENERATIONS_COMPLETED: 1}
    assert piping.settled(image) == (900, 0)


def test_a_damaged_image_from_the_model_fails_with_its_refund(piping: Piping) -> None:
    image = piping.generated(b"not a png at all")

    assert piping.pipeline.measure(image.object_key) is Outcome.FAILED
    assert piping.pipeline.measure(image.object_key) is Outcome.IGNORED

    assert piping.record(image).status is ImageStatus.FAILED
    assert piping.stored(image.object_key) is None
    assert piping.settled(image) == (1000, 1)
    assert piping.parts.counted.totals == {Metric.GENERATIONS_FAILED: 1, Metric.COINS_REFUNDED: 100}


def test_the_models_image_may_be_larger_than_the_largest_upload(piping: Piping) -> None:
    data = picture("PNG", 4096, 4096, padding=MAX_UPLOAD_BYTES)
    image = piping.generated(data)

    assert piping.pipeline.measure(image.object_key) is Outcome.COMPLETED
    assert piping.record(image).metadata.size == len(data)  # type: ignore[union-attr]


def test_the_thumbnail_is_at_most_512_pixels_and_a_duplicate_event_rewrites_it(piping: Piping) -> None:
    image = piping.uploaded(picture("JPEG", 2000, 1000))
    assert piping.pipeline.measure(arrival(image)) is Outcome.COMPLETED

    assert piping.pipeline.thumbnail(image.object_key) is Outcome.THUMBNAILED
    assert piping.pipeline.thumbnail(image.object_key) is Outcome.THUMBNAILED

    key = thumbnail_key("ada", image.image_id)
    assert piping.record(image).thumbnail_key == key
    fetched = piping.parts.objects.fetch(key, max_bytes=2**20)
    assert fetched is not None
    assert fetched.content_type == "image/webp"
    info = piping.imaging.inspect(fetched.data or b"")
    assert (info.format, info.width, info.height) == ("WEBP", 512, 256)


def test_an_upload_is_never_thumbnailed_before_its_bytes_are_checked(piping: Piping) -> None:
    image = piping.uploaded(picture("PNG", 64, 32), "image/jpeg")  # a PNG declared as JPEG

    assert piping.pipeline.thumbnail(image.object_key) is Outcome.IGNORED  # nothing promoted yet
    assert piping.pipeline.measure(arrival(image)) is Outcome.FAILED

    assert piping.stored(thumbnail_key("ada", image.image_id)) is None


class FailsMeanwhile(InMemoryObjects):
    """The store of ``objects``, where the image fails (as the metadata function fails it) just before
    the thumbnail function writes."""

    def __init__(self, piping: Piping, image: Image) -> None:
        super().__init__()
        self.objects = piping.parts.objects.objects
        self.images = piping.parts.images
        self.image = image

    def write(self, key: str, data: bytes, content_type: str) -> None:
        self.images.fail(self.image, STORAGE_FAILED, expected=ImageStatus.PROCESSING)
        super().write(key, data, content_type)


def test_no_thumbnail_is_kept_for_an_image_that_failed_meanwhile(piping: Piping) -> None:
    image = piping.generated(picture("PNG", 64, 32))
    pipeline = piping.pipeline_with(FailsMeanwhile(piping, image))

    assert pipeline.thumbnail(image.object_key) is Outcome.IGNORED

    assert piping.stored(thumbnail_key("ada", image.image_id)) is None
    assert piping.record(image).thumbnail_key is None
    assert piping.settled(image) == (1000, 1)


def test_failing_an_image_removes_the_thumbnail_written_before(piping: Piping) -> None:
    image = piping.generated(picture("PNG", 64, 32))
    assert piping.pipeline.thumbnail(image.object_key) is Outcome.THUMBNAILED

    assert piping.parts.images.fail(image, STORAGE_FAILED, expected=ImageStatus.PROCESSING)

    assert piping.parts.objects.objects == {}


@pytest.mark.parametrize(
    "key",
    [
        "thumbnails/ada/01JABCDEFGHJKMNPQRSTVWXYZ1/512.webp",
        "images/ada/not-an-id.png",
        "images/ada/01JABCDEFGHJKMNPQRSTVWXYZ1.exe",
        "incoming/ada/not-an-id",
        "incoming/ada/01JABCDEFGHJKMNPQRSTVWXYZ1/more",
        "other",
    ],
)
def test_keys_that_are_not_originals_are_ignored_and_left_alone(piping: Piping, key: str) -> None:
    piping.parts.objects.write(key, picture("PNG", 8, 8), "image/png")

    assert piping.pipeline.measure(key) is Outcome.IGNORED
    assert piping.pipeline.thumbnail(key) is Outcome.IGNORED

    assert list(piping.parts.objects.objects) == [key]
