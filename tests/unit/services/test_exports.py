"""Exports on moto: the zip checked file by file, one at a time and one a day, and a failure that leaves
nothing behind."""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from imagegen.adapters.queue import ExportQueue
from imagegen.composition import Composition
from imagegen.errors import RateLimited, StorageUnavailable
from imagegen.ids import iso, utc_now
from imagegen.models.auth import Caller
from imagegen.models.exports import ExportJob, ExportStatus
from imagegen.models.users import UserView
from imagegen.services.exports import ExportService, ExportWorker, ObjectUpload, export_key
from tests import images
from tests.unit.conftest import UploadImage


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def exports(services: Composition, clock: Clock) -> ExportService:
    queue = ExportQueue(services.aws.sqs, services.settings.exports.queue_url)
    return ExportService(services.export_records, queue, clock=clock)


def queued_jobs(services: Composition) -> list[ExportJob]:
    """The messages waiting on the export queue (received, so taken off it)."""
    received = services.aws.sqs.receive_message(
        QueueUrl=services.settings.exports.queue_url, MaxNumberOfMessages=10
    ).get("Messages", [])
    return [ExportJob.model_validate_json(message["Body"]) for message in received]


def worker(services: Composition, store: Any = None, seconds_left: float = 900.0) -> ExportWorker:
    return ExportWorker(
        services.export_records,
        services.export_sources,
        store or services.storage,
        progress_every=2,
        seconds_left=lambda: seconds_left,
    )


def titled(services: Composition, caller: Caller, upload: UploadImage, title: str, data: bytes) -> str:
    image = upload(caller, data)
    services.image_records.update_details(caller.user_id, image.image_id, {"title": title}, iso(utc_now()))
    return image.image_id


def the_zip(services: Composition, key: str) -> zipfile.ZipFile:
    body = services.aws.s3.get_object(Bucket=services.settings.images.bucket, Key=key)["Body"].read()
    return zipfile.ZipFile(io.BytesIO(body))


def test_the_zip_holds_every_original_by_its_title_and_every_record(
    services: Composition, exports: ExportService, caller: Caller, completed_upload: UploadImage
) -> None:
    # Written newest first: the newer of two names alike in any case keeps it.
    originals = {
        "images/Red fox (2).png": images.png(64, 48),
        "images/red fox.png": images.png(32, 32),
        "images/a_b.png": images.png(40, 20),
    }
    ids = [
        titled(services, caller, completed_upload, "Red fox", originals["images/Red fox (2).png"]),
        titled(services, caller, completed_upload, "red fox", originals["images/red fox.png"]),
        titled(services, caller, completed_upload, "a/b", originals["images/a_b.png"]),
    ]
    started = exports.start(caller.user_id)
    (job,) = queued_jobs(services)

    outcome = worker(services).build(job)

    assert (job.user_id, job.export_id) == (caller.user_id, started.id)
    assert outcome.outcome == "ready"
    archive = the_zip(services, export_key(caller.user_id, started.id))
    assert archive.testzip() is None
    names = set(archive.namelist())
    assert names == {*originals, "profile.json", "images.json", "ledger.json", "orders.json"}
    for name, data in originals.items():
        assert archive.read(name) == data
    user = services.users.get(caller.user_id)
    assert (
        json.loads(archive.read("profile.json"))
        == UserView.of(user, services.coins.balance(caller.user_id)).to_json()
    )
    records = json.loads(archive.read("images.json"))
    assert sorted(record["id"] for record in records) == sorted(ids)
    for record in records:
        image = services.image_records.get(caller.user_id, record["id"])
        assert image is not None
        assert record == services.image_views.image(image, with_urls=False).to_json()
        assert record["storageUrl"] is None
        assert record["thumbnailUrl"] is None
    ledger = json.loads(archive.read("ledger.json"))
    entries, _ = services.coins.entries(caller.user_id, 100, None)
    assert ledger == [entry.view().to_json() for entry in entries]
    assert [entry["reason"] for entry in ledger] == ["upload", "upload", "upload", "welcome"]
    assert json.loads(archive.read("orders.json")) == []


def test_a_ready_export_says_when_its_zip_is_deleted_and_counted_every_original(
    services: Composition, exports: ExportService, caller: Caller, completed_upload: UploadImage
) -> None:
    for index in range(3):
        titled(services, caller, completed_upload, f"n{index}", images.png(8 + index, 8))
    exports.start(caller.user_id)
    (job,) = queued_jobs(services)

    worker(services).build(job)

    ready = exports.latest(caller.user_id)
    assert ready.status is ExportStatus.READY
    assert (ready.progress.done, ready.progress.total) == (3, 3)
    assert ready.ready_at is not None
    assert ready.expires_at is not None
    kept = datetime.fromisoformat(ready.expires_at) - datetime.fromisoformat(ready.ready_at)
    assert kept == timedelta(days=7)


def test_one_at_a_time_then_one_a_day_then_again(
    services: Composition, exports: ExportService, caller: Caller, clock: Clock
) -> None:
    exports.start(caller.user_id)

    with pytest.raises(RateLimited) as running:
        exports.start(caller.user_id)
    assert running.value.retry_after == 30

    (job,) = queued_jobs(services)
    worker(services).build(job)
    clock.now += timedelta(hours=23)
    with pytest.raises(RateLimited) as today:
        exports.start(caller.user_id)
    assert today.value.retry_after == 3600
    assert today.value.details == {"retryAfter": 3600, "limit": 1, "windowSeconds": 86400}

    clock.now += timedelta(hours=1)
    assert exports.start(caller.user_id).status is ExportStatus.PENDING


def test_one_users_export_does_not_hold_back_anothers(
    exports: ExportService, caller: Caller, stranger: Caller
) -> None:
    exports.start(caller.user_id)

    assert exports.start(stranger.user_id).user_id == stranger.user_id


class FailingStore:
    """The bucket, whose read of the ``fail_at``-th original fails."""

    def __init__(self, services: Composition, fail_at: int) -> None:
        self._storage = services.storage
        self._reads = 0
        self._fail_at = fail_at
        self.uploads: list[ObjectUpload] = []

    def read_chunks(self, key: str) -> Iterator[bytes] | None:
        self._reads += 1
        if self._reads == self._fail_at:
            raise StorageUnavailable("the images bucket failed")
        return self._storage.read_chunks(key)

    def upload(self, key: str, content_type: str) -> ObjectUpload:
        upload = self._storage.upload(key, content_type, part_bytes=5 * 1024 * 1024)
        self.uploads.append(upload)
        return upload


def test_a_failure_mid_way_aborts_the_upload_and_fails_the_export_and_another_may_start(
    services: Composition, exports: ExportService, caller: Caller, completed_upload: UploadImage
) -> None:
    bucket = services.settings.images.bucket
    first = completed_upload(caller, images.png(16, 16))
    # Larger than a part: the zip has uploaded a part before the failure.
    services.aws.s3.put_object(Bucket=bucket, Key=first.object_key, Body=os.urandom(6 * 1024 * 1024))
    completed_upload(caller, images.png(16, 16))
    started = exports.start(caller.user_id)
    (job,) = queued_jobs(services)
    store = FailingStore(services, fail_at=2)

    outcome = worker(services, store).build(job)

    assert outcome.outcome == "failed"
    failed = exports.latest(caller.user_id)
    assert failed.status is ExportStatus.FAILED
    assert failed.error == "The export could not be written. Try again."
    assert services.aws.s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    listed = services.aws.s3.list_objects_v2(Bucket=bucket, Prefix=f"exports/{caller.user_id}/")
    assert listed.get("KeyCount") == 0
    assert exports.start(caller.user_id).id != started.id  # at once


def test_an_export_that_would_outlive_the_function_stops_and_fails(
    services: Composition, exports: ExportService, caller: Caller, completed_upload: UploadImage
) -> None:
    completed_upload(caller)
    exports.start(caller.user_id)
    (job,) = queued_jobs(services)

    outcome = worker(services, seconds_left=30).build(job)

    assert outcome.outcome == "failed"
    assert exports.latest(caller.user_id).error == "The gallery is too large to export in one run."


def test_a_message_for_an_export_that_is_not_the_latest_changes_nothing(
    services: Composition, exports: ExportService, caller: Caller
) -> None:
    started = exports.start(caller.user_id)
    (job,) = queued_jobs(services)
    worker(services).build(job)

    again = worker(services).build(job)  # delivered twice
    other = worker(services).build(ExportJob(user_id=caller.user_id, export_id="01OTHER"))

    assert (again.outcome, other.outcome) == ("stale", "stale")
    latest = exports.latest(caller.user_id)
    assert (latest.id, latest.status) == (started.id, ExportStatus.READY)


def forget_the_export(services: Composition, user_id: str) -> None:
    """What deleting the account does to the export's state."""
    services.aws.dynamodb.delete_item(
        TableName=services.settings.exports.table, Key={"pk": {"S": f"EXPORT#{user_id}"}}
    )


class DeletingStore(FailingStore):
    """The bucket, while the account is deleted as the first original is read."""

    def __init__(self, services: Composition, user_id: str) -> None:
        super().__init__(services, fail_at=0)
        self._services = services
        self._user_id = user_id

    def read_chunks(self, key: str) -> Iterator[bytes] | None:
        forget_the_export(self._services, self._user_id)
        return super().read_chunks(key)


def nothing_exported(services: Composition, user_id: str) -> bool:
    bucket = services.settings.images.bucket
    listed = services.aws.s3.list_objects_v2(Bucket=bucket, Prefix=f"exports/{user_id}/")
    uploads = services.aws.s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return listed.get("KeyCount") == 0 and uploads == [] and services.export_records.get(user_id) is None


def test_an_account_deleted_while_its_export_runs_is_left_with_nothing_exported(
    services: Composition, exports: ExportService, caller: Caller, completed_upload: UploadImage
) -> None:
    completed_upload(caller)
    exports.start(caller.user_id)
    (job,) = queued_jobs(services)

    outcome = worker(services, DeletingStore(services, caller.user_id)).build(job)

    assert outcome.outcome == "stale"
    assert nothing_exported(services, caller.user_id)


class DeletedBeforeReady:
    """The exports' records, the account deleted just before the export is marked READY."""

    def __init__(self, services: Composition, user_id: str) -> None:
        self._records = services.export_records
        self._services = services
        self._user_id = user_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self._records, name)

    def move(self, export: Any, expected: Any, status: ExportStatus, at: str, **changes: Any) -> Any:
        if status is ExportStatus.READY:
            forget_the_export(self._services, self._user_id)
        return self._records.move(export, expected, status, at, **changes)


def test_an_account_deleted_as_its_zip_is_written_loses_the_zip_too(
    services: Composition, exports: ExportService, caller: Caller, completed_upload: UploadImage
) -> None:
    completed_upload(caller)
    exports.start(caller.user_id)
    (job,) = queued_jobs(services)
    records = DeletedBeforeReady(services, caller.user_id)
    late = ExportWorker(
        records, services.export_sources, services.storage, progress_every=2, seconds_left=lambda: 900.0
    )

    outcome = late.build(job)

    assert outcome.outcome == "stale"
    assert nothing_exported(services, caller.user_id)
