"""The object-created pipeline against moto in-process, with real image files."""

from __future__ import annotations

import io
import os
from collections.abc import Callable

import pytest
from PIL import Image as PILImage

from imagegen.composition import Composition
from imagegen.metrics import Metric
from imagegen.models.auth import Caller
from imagegen.models.images import GenerateRequest, Image, ImageStatus, UploadRequest
from imagegen.models.keys import incoming_key, thumbnail_key, turn_key
from imagegen.services.generation_worker import STORAGE_FAILED
from imagegen.services.pipeline import Outcome, parse_incoming_key, parse_object_key
from imagegen.services.sweeper import UPLOAD_NEVER_ARRIVED
from tests import images
from tests.conftest import CountedMetrics

LedgerSum = Callable[[str], int]


def uploaded(
    services: Composition,
    caller: Caller,
    data: bytes,
    content_type: str = "image/jpeg",
    declared_size: int | None = None,
    sent_as: str | None = None,
) -> Image:
    """An upload requested as the browser would, and its bytes put where the POST would put them."""
    body = {"filename": "file", "contentType": content_type, "size": declared_size or len(data)}
    upload = services.uploads.request_upload(caller, UploadRequest.model_validate(body))
    assert upload.post.fields["key"] == arrival(upload.image)
    arrive(services, upload.image, data, sent_as or content_type)
    return upload.image


def arrival(image: Image) -> str:
    """Where the browser's POST puts an upload's file."""
    return incoming_key(image.user_id, image.image_id)


def arrive(services: Composition, image: Image, data: bytes, content_type: str) -> None:
    """A file POSTed to the upload of ``image`` (a first, or another while its POST is still valid)."""
    services.aws.s3.put_object(
        Bucket=services.settings.images.bucket, Key=arrival(image), Body=data, ContentType=content_type
    )


def generated_bytes(services: Composition, caller: Caller, data: bytes) -> Image:
    """A generated image PROCESSING, its bytes written by the worker under its ``images/`` key."""
    image = services.generation.generate(caller, GenerateRequest(prompt="static")).image
    records = services.image_records
    assert records.move(caller.user_id, image.image_id, ImageStatus.PENDING, ImageStatus.PROCESSING, "now")
    assert records.set_object_key(
        caller.user_id, image.image_id, image.object_key, turn_key(caller.user_id, image.image_id), "now"
    )
    services.storage.write(image.object_key, data, "image/png")
    return record(services, image)


def stored(services: Composition, key: str) -> bytes | None:
    fetched = services.storage.fetch(key, max_bytes=2**31)
    return fetched.data if fetched else None


def exists(services: Composition, key: str) -> bool:
    return stored(services, key) is not None


def record(services: Composition, image: Image) -> Image:
    found = services.image_records.get(image.user_id, image.image_id)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("orientation", "size"), [(1, (64, 32)), (3, (64, 32)), (6, (32, 64)), (8, (32, 64))]
)
def test_a_photo_is_measured_upright_and_completed(
    services: Composition, caller: Caller, counted: CountedMetrics, orientation: int, size: tuple[int, int]
) -> None:
    data = images.jpeg(64, 32, orientation=orientation)
    image = uploaded(services, caller, data)

    assert services.pipeline.measure(arrival(image)) is Outcome.COMPLETED
    assert services.pipeline.measure(image.object_key) is Outcome.IGNORED  # the promoted copy's event
    assert counted.totals() == {Metric.UPLOADS_COMPLETED: 1}
    assert stored(services, image.object_key) == data  # the checked bytes, promoted
    assert not exists(services, arrival(image))

    completed = record(services, image)
    assert completed.status is ImageStatus.COMPLETED
    assert completed.metadata is not None
    assert (completed.metadata.width, completed.metadata.height) == size
    assert (completed.metadata.format, completed.metadata.content_type, completed.metadata.size) == (
        "JPEG",
        "image/jpeg",
        len(data),
    )
    assert not list(services.image_records.unfinished_before(ImageStatus.PENDING, "9999"))


@pytest.mark.parametrize(
    ("data", "content_type", "error"),
    [
        (b"hello, not an image", "image/png", "not a JPEG, PNG, WebP or GIF"),
        (images.jpeg()[:400], "image/jpeg", "damaged or incomplete"),
        (images.decompression_bomb_png(20_000, 20_000), "image/png", "pixels"),
        (images.png(), "image/jpeg", "a PNG image, but its upload was asked for as image/jpeg"),
    ],
    ids=["text named .png", "truncated jpeg", "decompression bomb", "png declared as jpeg"],
)
def test_a_bad_file_fails_is_refunded_once_and_is_removed(
    services: Composition,
    caller: Caller,
    ledger_sum: LedgerSum,
    counted: CountedMetrics,
    data: bytes,
    content_type: str,
    error: str,
) -> None:
    image = uploaded(services, caller, data, content_type)
    assert services.coins.balance(caller.user_id) == 950

    assert services.pipeline.measure(arrival(image)) is Outcome.FAILED
    assert services.pipeline.measure(arrival(image)) is Outcome.IGNORED  # a duplicate event

    failed = record(services, image)
    assert failed.status is ImageStatus.FAILED
    assert failed.error is not None
    assert error in failed.error
    assert not exists(services, arrival(image))
    assert not exists(services, image.object_key)
    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)
    assert counted.totals() == {Metric.UPLOADS_FAILED: 1, Metric.COINS_REFUNDED: 50}


def test_a_file_larger_than_declared_fails(
    services: Composition, caller: Caller, ledger_sum: LedgerSum
) -> None:
    data = images.jpeg()
    image = uploaded(services, caller, data, declared_size=len(data) - 1)

    assert services.pipeline.measure(arrival(image)) is Outcome.FAILED
    failed = record(services, image)
    assert failed.error is not None
    assert "more than the" in failed.error
    assert not exists(services, arrival(image))
    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)


def test_a_file_sent_with_another_content_type_fails(services: Composition, caller: Caller) -> None:
    image = uploaded(services, caller, images.jpeg(), sent_as="text/html")

    assert services.pipeline.measure(arrival(image)) is Outcome.FAILED
    failed = record(services, image)
    assert failed.error is not None
    assert "text/html" in failed.error


def test_an_object_whose_image_was_deleted_is_removed(services: Composition, caller: Caller) -> None:
    image = uploaded(services, caller, images.jpeg())
    services.aws.dynamodb.delete_item(
        TableName=services.settings.images.table,
        Key={"userId": {"S": image.user_id}, "imageId": {"S": image.image_id}},
    )

    assert services.pipeline.measure(arrival(image)) is Outcome.IGNORED
    assert not exists(services, arrival(image))
    assert not exists(services, image.object_key)


def test_a_late_upload_after_the_image_failed_is_removed_and_refunds_nothing_more(
    services: Composition, caller: Caller, ledger_sum: LedgerSum
) -> None:
    image = uploaded(services, caller, images.jpeg())
    services.images.fail(image, UPLOAD_NEVER_ARRIVED, expected=ImageStatus.PENDING)
    arrive(services, image, images.jpeg(), "image/jpeg")

    assert services.pipeline.measure(arrival(image)) is Outcome.IGNORED
    assert not exists(services, arrival(image))
    assert not exists(services, image.object_key)
    assert record(services, image).status is ImageStatus.FAILED
    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)


def test_the_thumbnail_is_a_512_px_upright_webp_recorded_on_the_image(
    services: Composition, caller: Caller
) -> None:
    image = uploaded(services, caller, images.jpeg(2000, 1000, orientation=6, gps=True))
    assert services.pipeline.measure(arrival(image)) is Outcome.COMPLETED

    assert services.pipeline.thumbnail(image.object_key) is Outcome.THUMBNAILED
    assert services.pipeline.thumbnail(image.object_key) is Outcome.THUMBNAILED  # a duplicate rewrites it

    key = thumbnail_key(image.user_id, image.image_id)
    assert record(services, image).thumbnail_key == key
    fetched = services.storage.fetch(key, max_bytes=2**20)
    assert fetched is not None
    assert fetched.data is not None
    assert fetched.content_type == "image/webp"
    with PILImage.open(io.BytesIO(fetched.data)) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("WEBP", (256, 512))
        assert not thumbnail.getexif()


def test_both_functions_on_one_event_update_only_their_own_attributes(
    services: Composition, caller: Caller
) -> None:
    image = generated_bytes(services, caller, images.png_with_alpha())

    assert services.pipeline.thumbnail(image.object_key) is Outcome.THUMBNAILED
    assert services.pipeline.measure(image.object_key) is Outcome.COMPLETED

    done = record(services, image)
    assert done.status is ImageStatus.COMPLETED
    assert done.thumbnail_key == thumbnail_key(image.user_id, image.image_id)
    assert done.metadata is not None


def test_no_thumbnail_is_kept_for_an_image_that_failed_meanwhile(
    services: Composition, caller: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thumbnail function read the image before the metadata function failed it."""
    image = generated_bytes(services, caller, images.png())
    write = services.storage.write

    def write_after_the_image_failed(key: str, data: bytes, content_type: str) -> None:
        services.images.fail(image, STORAGE_FAILED, expected=ImageStatus.PROCESSING)
        write(key, data, content_type)

    monkeypatch.setattr(services.storage, "write", write_after_the_image_failed)

    assert services.pipeline.thumbnail(image.object_key) is Outcome.IGNORED
    assert not exists(services, thumbnail_key(image.user_id, image.image_id))
    assert record(services, image).thumbnail_key is None


def test_failing_removes_a_thumbnail_written_before(services: Composition, caller: Caller) -> None:
    image = generated_bytes(services, caller, images.png())
    assert services.pipeline.thumbnail(image.object_key) is Outcome.THUMBNAILED

    assert services.images.fail(image, STORAGE_FAILED, expected=ImageStatus.PROCESSING)
    assert not exists(services, thumbnail_key(image.user_id, image.image_id))
    assert not exists(services, image.object_key)


def test_an_upload_is_never_thumbnailed_before_its_bytes_are_checked(
    services: Composition, caller: Caller
) -> None:
    image = uploaded(services, caller, images.png(), "image/jpeg")  # a PNG declared as JPEG

    assert services.pipeline.thumbnail(image.object_key) is Outcome.IGNORED  # nothing promoted yet
    assert services.pipeline.measure(arrival(image)) is Outcome.FAILED
    assert not exists(services, thumbnail_key(image.user_id, image.image_id))


def test_a_second_file_posted_after_completion_changes_nothing_served(
    services: Composition, caller: Caller
) -> None:
    checked = images.jpeg(64, 32)
    image = uploaded(services, caller, checked)
    assert services.pipeline.measure(arrival(image)) is Outcome.COMPLETED
    assert services.pipeline.thumbnail(image.object_key) is Outcome.THUMBNAILED
    completed = record(services, image)

    arrive(services, image, checked[:4] + b"<html><script>alert(1)</script></html>", "image/jpeg")

    assert services.pipeline.measure(arrival(image)) is Outcome.IGNORED
    assert not exists(services, arrival(image))
    assert stored(services, image.object_key) == checked
    assert record(services, image) == completed


def test_of_two_files_of_one_upload_only_the_first_promoted_is_served_and_described(
    services: Composition, caller: Caller
) -> None:
    """Two POSTs of one upload raced: the other file was promoted while this one was being checked."""
    first, second = images.jpeg(64, 32), images.jpeg(40, 40)
    image = uploaded(services, caller, second)
    services.storage.write(image.object_key, first, "image/jpeg")  # the other file's promotion

    assert services.pipeline.measure(arrival(image)) is Outcome.IGNORED  # not promoted over the first
    assert not exists(services, arrival(image))
    assert services.pipeline.measure(image.object_key) is Outcome.COMPLETED  # the first's own event

    completed = record(services, image)
    assert completed.metadata is not None
    assert (completed.metadata.width, completed.metadata.height, completed.metadata.size) == (
        64,
        32,
        len(first),
    )
    assert stored(services, image.object_key) == first


@pytest.mark.parametrize(
    "key",
    [
        "thumbnails/U/01JABCDEFGHJKMNPQRSTVWXYZ1/512.webp",
        "images/U/not-an-id.png",
        "images/U/01JABCDEFGHJKMNPQRSTVWXYZ1.exe",
        "incoming/U/not-an-id",
        "incoming/U/01JABCDEFGHJKMNPQRSTVWXYZ1/more",
        "other",
    ],
)
def test_keys_that_are_not_originals_are_ignored(services: Composition, key: str) -> None:
    assert parse_object_key(key) is None
    assert parse_incoming_key(key) is None
    assert services.pipeline.measure(key) is Outcome.IGNORED
    assert services.pipeline.thumbnail(key) is Outcome.IGNORED


def test_generated_images_are_counted_as_generations(
    services: Composition, caller: Caller, counted: CountedMetrics
) -> None:
    good = generated_bytes(services, caller, images.png(64, 64))
    broken = generated_bytes(services, caller, b"not a png at all")

    assert services.pipeline.measure(good.object_key) is Outcome.COMPLETED
    assert services.pipeline.measure(broken.object_key) is Outcome.FAILED
    assert counted.totals() == {
        Metric.GENERATIONS_COMPLETED: 1,
        Metric.GENERATIONS_FAILED: 1,
        Metric.COINS_REFUNDED: broken.coins_used,
    }


def test_a_generated_image_may_be_larger_than_the_largest_upload(
    services: Composition, caller: Caller
) -> None:
    # A 4K photographic PNG from the model can outgrow MaxUploadBytes; noise does not compress.
    side = 2700
    noise = PILImage.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    data = images.encode(noise, "PNG", compress_level=0)
    assert len(data) > services.settings.uploads.max_bytes
    image = generated_bytes(services, caller, data)

    assert services.pipeline.measure(image.object_key) is Outcome.COMPLETED
    assert record(services, image).metadata.size == len(data)  # type: ignore[union-attr]
