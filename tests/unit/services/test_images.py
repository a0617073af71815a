"""Deleting images, also while a generation or a pipeline event is in flight."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from imagegen.adapters.gemini import GeminiClient
from imagegen.composition import Composition
from imagegen.errors import NotFound
from imagegen.models.auth import Caller
from imagegen.models.images import (
    GenerateRequest,
    GenerationJob,
    ImageStatus,
    ImageUpdate,
    JobOutcome,
    UploadRequest,
)
from imagegen.models.keys import thumbnail_key
from imagegen.repositories.callers import CallerRecord, CallerRepository
from imagegen.services.image_model import ImageRequest, ModelReply
from imagegen.services.pipeline import Outcome
from imagegen.services.sweeper import UPLOAD_NEVER_ARRIVED
from standins.gemini import LocalGemini
from tests import images
from tests.unit.conftest import MakeWorker


def account(services: Composition, user_id: str) -> CallerRecord:
    """The user's record, balance and stats, as the caller's one read sees them."""
    settings = services.settings
    callers = CallerRepository(
        services.aws.dynamodb,
        settings.accounts.sessions_table,
        settings.accounts.users_table,
        settings.coins.table,
    )
    return callers.load("no-session", user_id)


def keys(services: Composition) -> list[str]:
    listed = services.aws.s3.list_objects_v2(Bucket=services.settings.images.bucket).get("Contents", [])
    return [item["Key"] for item in listed]


def uploaded(services: Composition, caller: Caller, arrived: bool = True) -> str:
    """An upload's image id: COMPLETED once its file ``arrived``, else PENDING."""
    data = images.jpeg()
    body = {"filename": "a.jpg", "contentType": "image/jpeg", "size": len(data)}
    upload = services.uploads.request_upload(caller, UploadRequest.model_validate(body))
    if not arrived:
        return upload.image.image_id
    services.aws.s3.put_object(
        Bucket=services.settings.images.bucket,
        Key=upload.post.fields["key"],
        Body=data,
        ContentType="image/jpeg",
    )
    assert services.pipeline.measure(upload.post.fields["key"]) is Outcome.COMPLETED
    return upload.image.image_id


def test_a_deleted_image_is_gone_with_its_files(services: Composition, caller: Caller) -> None:
    image_id = uploaded(services, caller)
    image = services.images.get(caller, image_id)
    services.pipeline.thumbnail(image.object_key)
    assert len(keys(services)) == 2

    services.images.delete(caller, image_id)

    assert keys(services) == []
    with pytest.raises(NotFound):
        services.images.get(caller, image_id)
    with pytest.raises(NotFound):
        services.images.delete(caller, image_id)
    assert services.coins.balance(caller.user_id) == 950  # deleting refunds nothing


def test_deleting_an_upload_whose_file_never_arrived_refunds_it_with_its_removal(
    services: Composition, caller: Caller, ledger_sum: Callable[[str], int]
) -> None:
    image_id = uploaded(services, caller, arrived=False)
    assert services.coins.balance(caller.user_id) == 950

    services.images.delete(caller, image_id)

    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)
    entries, _ = services.coins.entries(caller.user_id, limit=10, start_key=None)
    assert [(entry.reason.value, entry.amount, entry.image_id) for entry in entries[:2]] == [
        ("refund", 50, image_id),
        ("upload", -50, image_id),
    ]
    record = account(services, caller.user_id)
    assert record.stats.model_dump() == {"images": 0, "generated": 0, "uploaded": 0, "coins_spent": 0}
    with pytest.raises(NotFound):  # and once only
        services.images.delete(caller, image_id)
    assert services.coins.balance(caller.user_id) == 1000


def test_a_file_arriving_after_its_upload_was_cancelled_is_deleted_unread(
    services: Composition, caller: Caller
) -> None:
    data = images.jpeg()
    body = {"filename": "a.jpg", "contentType": "image/jpeg", "size": len(data)}
    upload = services.uploads.request_upload(caller, UploadRequest.model_validate(body))
    services.images.delete(caller, upload.image.image_id)
    arrival = upload.post.fields["key"]
    bucket = services.settings.images.bucket
    services.aws.s3.put_object(Bucket=bucket, Key=arrival, Body=data, ContentType="image/jpeg")

    assert services.pipeline.measure(arrival) is Outcome.IGNORED
    assert keys(services) == []
    assert services.coins.balance(caller.user_id) == 1000  # refunded once, by the delete


def test_deleting_a_generation_still_queued_refunds_nothing(services: Composition, caller: Caller) -> None:
    request = GenerateRequest.model_validate({"prompt": "a lighthouse"})
    generation = services.generation.generate(caller, request)
    assert generation.image.status is ImageStatus.PENDING

    services.images.delete(caller, generation.image.image_id)

    assert services.coins.balance(caller.user_id) == generation.balance  # the model may be at work


def test_a_delete_interrupted_after_its_tombstone_is_finished_by_a_retry(
    services: Composition, caller: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    image_id = uploaded(services, caller)

    def s3_down(*_: str) -> None:
        raise RuntimeError("S3 is down")

    monkeypatch.setattr(services.storage, "delete", s3_down)
    with pytest.raises(RuntimeError):
        services.images.delete(caller, image_id)
    with pytest.raises(NotFound):  # tombstoned: already gone for the user
        services.images.get(caller, image_id)
    monkeypatch.undo()

    services.images.delete(caller, image_id)
    assert keys(services) == []


def test_pipeline_events_after_a_delete_write_nothing(services: Composition, caller: Caller) -> None:
    image_id = uploaded(services, caller)
    key = services.images.get(caller, image_id).object_key
    services.image_records.mark_deleting(
        caller.user_id, image_id, "2026-01-01T00:00:00.000Z"
    )  # delete under way

    assert services.pipeline.thumbnail(key) is Outcome.IGNORED
    assert services.pipeline.measure(key) is Outcome.IGNORED
    assert thumbnail_key(caller.user_id, image_id) not in keys(services)
    assert key not in keys(services)


def test_a_thumbnail_racing_a_delete_is_removed(
    services: Composition, caller: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thumbnail function read the image before the delete, and writes after it."""
    image_id = uploaded(services, caller)
    key = services.images.get(caller, image_id).object_key
    write = services.storage.write

    def write_after_the_delete(target: str, data: bytes, content_type: str) -> None:
        services.images.delete(caller, image_id)
        write(target, data, content_type)

    monkeypatch.setattr(services.storage, "write", write_after_the_delete)

    assert services.pipeline.thumbnail(key) is Outcome.IGNORED
    assert keys(services) == []


def test_a_generation_racing_a_delete_leaves_no_object(
    services: Composition, caller: Caller, gemini: LocalGemini, make_worker: MakeWorker
) -> None:
    image = services.generation.generate(caller, GenerateRequest.model_validate({"prompt": "a boat"})).image
    job = GenerationJob(user_id=caller.user_id, image_id=image.image_id)

    class DeletedWhileDrawing(GeminiClient):
        def generate(self, request: ImageRequest) -> ModelReply:
            services.images.delete(caller, image.image_id)
            return super().generate(request)

    client = DeletedWhileDrawing(
        services.settings.gemini.base_url, lambda: gemini.api_key, timeout_seconds=5.0
    )

    assert make_worker(gemini_client=client).process(job, receive_count=1) is JobOutcome.SKIPPED
    assert keys(services) == []
    assert services.coins.balance(caller.user_id) == 900


def test_the_worker_stores_nothing_for_an_image_deleted_before_it_started(
    services: Composition, caller: Caller, gemini: LocalGemini
) -> None:
    image = services.generation.generate(caller, GenerateRequest.model_validate({"prompt": "a boat"})).image
    services.images.delete(caller, image.image_id)
    job = GenerationJob(user_id=caller.user_id, image_id=image.image_id)

    assert services.generation_worker.process(job, receive_count=1) is JobOutcome.SKIPPED
    assert gemini.calls == 0


def test_an_edit_changes_only_title_and_description(services: Composition, caller: Caller) -> None:
    image_id = uploaded(services, caller)
    edited = services.images.update(
        caller, image_id, ImageUpdate.model_validate({"title": "New", "description": "D"})
    )
    assert (edited.title, edited.description, edited.status) == ("New", "D", ImageStatus.COMPLETED)


def test_stats_follow_creation_refunds_and_deletes(
    services: Composition, caller: Caller, ledger_sum: Callable[[str], int]
) -> None:
    kept, gone = uploaded(services, caller, arrived=False), uploaded(services, caller)
    services.images.fail(
        services.images.get(caller, kept), UPLOAD_NEVER_ARRIVED, expected=ImageStatus.PENDING
    )
    services.images.delete(caller, gone)

    record = account(services, caller.user_id)
    assert record.stats.model_dump() == {"images": 1, "generated": 0, "uploaded": 1, "coins_spent": 50}
    assert record.balance == 950 == ledger_sum(caller.user_id)
