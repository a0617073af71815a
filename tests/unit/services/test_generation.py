"""Generation and edit requests against moto in-process: the catalog's checks and prices, references,
sources, threads, the queue and idempotency."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from imagegen.adapters.queue import GenerationQueue
from imagegen.composition import Composition
from imagegen.errors import Conflict, InsufficientCoins, Invalid, NotFound, QueueUnavailable
from imagegen.models.auth import Caller
from imagegen.models.images import GenerateRequest, GenerationJob, ImageStatus, JobOutcome
from imagegen.services.generation import QUEUE_FAILED, GenerationService
from standins.gemini import LocalGemini
from tests import images
from tests.unit.conftest import UploadImage

LedgerSum = Callable[[str], int]


def ask(prompt: str = "a lighthouse", **extra: Any) -> GenerateRequest:
    return GenerateRequest.model_validate({"prompt": prompt, **extra})


def queued(services: Composition) -> list[dict[str, object]]:
    messages = services.aws.sqs.receive_message(
        QueueUrl=services.settings.generation.queue_url, MaxNumberOfMessages=10
    )
    return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


def fields(error: pytest.ExceptionInfo[Invalid]) -> list[str]:
    return [field["field"] for field in error.value.details["fields"]]


def test_a_request_is_charged_recorded_and_queued_with_the_defaults(
    services: Composition, caller: Caller, ledger_sum: LedgerSum
) -> None:
    generation = services.generation.generate(caller, ask("  a lighthouse  "))

    image = generation.image
    assert (image.status, image.prompt, image.title) == (ImageStatus.PENDING, "a lighthouse", "a lighthouse")
    assert (image.model, image.image_size, image.aspect_ratio, image.coins_used) == ("fast", "1K", "1:1", 100)
    assert (image.parent_image_id, image.thread_id, image.reference_image_ids) == (None, image.image_id, [])
    assert generation.balance == 900 == ledger_sum(caller.user_id)
    assert queued(services) == [{"userId": caller.user_id, "imageId": image.image_id}]
    assert services.image_records.get(caller.user_id, image.image_id) == image


@pytest.mark.parametrize(
    ("model", "size", "ratio", "cost"),
    [
        ("fast", "2K", "4:1", 150),
        ("fast", "4K", "8:1", 338),
        ("pro", "4K", "21:9", 715),
        ("lite", "1K", "1:8", 100),
    ],
)
def test_the_charge_is_the_catalogs_price_for_the_model_and_size(
    services: Composition, caller: Caller, ledger_sum: LedgerSum, model: str, size: str, ratio: str, cost: int
) -> None:
    generation = services.generation.generate(caller, ask(model=model, imageSize=size, aspectRatio=ratio))

    assert (generation.image.model, generation.image.image_size, generation.image.aspect_ratio) == (
        model,
        size,
        ratio,
    )
    assert generation.image.coins_used == cost
    assert generation.balance == 1000 - cost == ledger_sum(caller.user_id)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"model": "gemini-nano-banana-2.1"}, "model"),  # Google's id is not ours
        ({"model": "imagen"}, "model"),
        ({"model": "lite", "imageSize": "2K"}, "imageSize"),
        ({"imageSize": "8K"}, "imageSize"),
        ({"imageSize": "1k"}, "imageSize"),
        ({"model": "pro", "aspectRatio": "4:1"}, "aspectRatio"),
        ({"aspectRatio": "2:1"}, "aspectRatio"),
    ],
)
def test_what_the_catalog_does_not_offer_is_invalid_and_charges_nothing(
    services: Composition, caller: Caller, extra: dict[str, str], field: str
) -> None:
    with pytest.raises(Invalid) as invalid:
        services.generation.generate(caller, ask(**extra))

    assert fields(invalid) == [field]
    assert services.coins.balance(caller.user_id) == 1000
    assert queued(services) == []


def test_references_are_the_callers_completed_images_in_order(
    services: Composition, caller: Caller, completed_upload: UploadImage
) -> None:
    first, second = completed_upload(caller), completed_upload(caller)

    image = services.generation.generate(
        caller, ask(referenceImageIds=[second.image_id, first.image_id])
    ).image

    assert image.reference_image_ids == [second.image_id, first.image_id]
    assert image.thread_id == image.image_id  # references do not make a thread


def test_references_that_are_not_the_callers_completed_images_are_named(
    services: Composition, caller: Caller, stranger: Caller, completed_upload: UploadImage
) -> None:
    mine = completed_upload(caller)
    theirs = completed_upload(stranger)
    pending = services.generation.generate(caller, ask()).image
    balance = services.coins.balance(caller.user_id)

    with pytest.raises(Invalid) as invalid:
        services.generation.generate(
            caller, ask(referenceImageIds=[mine.image_id, theirs.image_id, pending.image_id, "NO-SUCH-ID"])
        )

    assert fields(invalid) == ["referenceImageIds"]
    assert invalid.value.details["imageIds"] == [theirs.image_id, pending.image_id, "NO-SUCH-ID"]
    assert services.coins.balance(caller.user_id) == balance


def test_more_references_than_the_model_takes_are_invalid(
    services: Composition, caller: Caller, completed_upload: UploadImage
) -> None:
    services.coins.grant(caller.user_id, 1000, note="uploads")
    ids = [completed_upload(caller).image_id for _ in range(14)]

    with pytest.raises(Invalid, match="not valid") as invalid:
        services.generation.generate(caller, ask(referenceImageIds=ids))
    # Google takes 14 input images; one stays free for an edit's source, for generations too.
    assert "at most 13" in invalid.value.details["fields"][0]["message"]

    assert services.generation.generate(caller, ask(referenceImageIds=ids[:13])).image.coins_used == 100


def test_an_edit_joins_the_sources_thread_at_the_ratio_nearest_the_source(
    services: Composition, caller: Caller, completed_upload: UploadImage
) -> None:
    source = completed_upload(caller, images.png(400, 100))

    edit = services.generation.edit(caller, source.image_id, ask("make it night")).image
    again = services.generation.edit(caller, source.image_id, ask("make it day", model="pro")).image

    assert (edit.parent_image_id, edit.thread_id) == (source.image_id, source.image_id)
    assert (edit.aspect_ratio, again.aspect_ratio) == ("4:1", "21:9")  # pro has no 4:1
    assert (edit.prompt, edit.type.value, edit.coins_used) == ("make it night", "GENERATED", 100)


def test_an_edit_of_an_edit_stays_in_the_first_images_thread(
    services: Composition, caller: Caller, completed_upload: UploadImage
) -> None:
    source = completed_upload(caller)
    edit = services.generation.edit(caller, source.image_id, ask("first change")).image
    services.image_records.complete(  # as the pipeline would once the worker stored it
        caller.user_id,
        edit.image_id,
        source.metadata,
        "2026-11-29T00:00:00.000Z",
        ImageStatus.PENDING,  # type: ignore[arg-type]
    )

    second = services.generation.edit(caller, edit.image_id, ask("second change")).image

    assert (second.parent_image_id, second.thread_id) == (edit.image_id, source.image_id)


def test_the_source_of_an_edit_must_be_the_callers_and_completed(
    services: Composition, caller: Caller, stranger: Caller, completed_upload: UploadImage
) -> None:
    theirs = completed_upload(stranger)
    pending = services.generation.generate(caller, ask()).image
    balance = services.coins.balance(caller.user_id)

    with pytest.raises(NotFound):
        services.generation.edit(caller, theirs.image_id, ask())
    with pytest.raises(NotFound):
        services.generation.edit(caller, "NO-SUCH-IMAGE", ask())
    with pytest.raises(Conflict, match="PENDING"):
        services.generation.edit(caller, pending.image_id, ask())

    assert services.coins.balance(caller.user_id) == balance


def test_an_edit_with_all_its_references_stays_within_the_models_input_images(
    services: Composition, caller: Caller, gemini: LocalGemini, completed_upload: UploadImage
) -> None:
    services.coins.grant(caller.user_id, 1000, note="uploads")
    source = completed_upload(caller)
    ids = [completed_upload(caller).image_id for _ in range(14)]

    with pytest.raises(Invalid) as too_many:
        services.generation.edit(caller, source.image_id, ask(referenceImageIds=ids))
    with pytest.raises(Invalid) as itself:
        services.generation.edit(caller, source.image_id, ask(referenceImageIds=[source.image_id]))
    edit = services.generation.edit(caller, source.image_id, ask(referenceImageIds=ids[:13])).image

    assert "at most 13 reference images" in too_many.value.details["fields"][0]["message"]
    assert fields(itself) == ["referenceImageIds"]
    # The source and 13 references: the 14 input images Google takes.
    job = GenerationJob(user_id=caller.user_id, image_id=edit.image_id)
    assert services.generation_worker.process(job, receive_count=1) is JobOutcome.STORED
    (sent,) = gemini.requests(limit=1)
    assert sum("image" in part for part in sent["turns"][-1]["parts"]) == 14


def test_short_of_coins_writes_and_queues_nothing(services: Composition, caller: Caller) -> None:
    services.coins.grant(caller.user_id, -950, note="leave 50")
    with pytest.raises(InsufficientCoins):
        services.generation.generate(caller, ask())
    assert queued(services) == []
    assert services.coins.balance(caller.user_id) == 50


def test_a_job_that_cannot_be_queued_is_failed_and_refunded_before_answering(
    services: Composition, caller: Caller, ledger_sum: LedgerSum
) -> None:
    generation = GenerationService(
        services.image_records,
        services.images,
        services.coins,
        services.transactions,
        GenerationQueue(services.aws.sqs, f"{services.settings.generation.queue_url}-gone"),  # SQS refuses
        services.catalog,
        services.rate_limits,
        DynamoDBPersistenceLayer(
            table_name=services.settings.generation.idempotency_table, boto3_client=services.aws.dynamodb
        ),
        services.idempotency,
    )
    with pytest.raises(QueueUnavailable):
        generation.generate(caller, ask())

    (image,) = services.image_records.list_page(caller.user_id, 10, None)[0]
    assert (image.status, image.failure) == (ImageStatus.FAILED, QUEUE_FAILED)
    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)


def test_an_idempotency_key_makes_one_image_per_user_and_body(services: Composition, caller: Caller) -> None:
    first = services.generation.generate(caller, ask(), idempotency_key="K1")
    again = services.generation.generate(caller, ask(), idempotency_key="K1")
    with pytest.raises(Conflict):
        services.generation.generate(caller, ask("another prompt"), idempotency_key="K1")
    with pytest.raises(Conflict):
        services.generation.generate(caller, ask(imageSize="2K"), idempotency_key="K1")

    assert again.image.image_id == first.image.image_id
    assert services.coins.balance(caller.user_id) == 900
    assert len(queued(services)) == 1


def test_an_idempotency_key_on_an_edit_is_bound_to_its_source(
    services: Composition, caller: Caller, completed_upload: UploadImage
) -> None:
    one, other = completed_upload(caller), completed_upload(caller)
    balance = services.coins.balance(caller.user_id)

    first = services.generation.edit(caller, one.image_id, ask("sepia"), idempotency_key="E1")
    again = services.generation.edit(caller, one.image_id, ask("sepia"), idempotency_key="E1")
    with pytest.raises(Conflict):
        services.generation.edit(caller, other.image_id, ask("sepia"), idempotency_key="E1")
    with pytest.raises(Conflict):
        services.generation.generate(caller, ask("sepia"), idempotency_key="E1")

    assert again.image.image_id == first.image.image_id
    assert services.coins.balance(caller.user_id) == balance - 100


def test_a_refused_request_under_a_key_can_be_retried(services: Composition, caller: Caller) -> None:
    services.coins.grant(caller.user_id, -950, note="leave 50")
    with pytest.raises(InsufficientCoins):
        services.generation.generate(caller, ask(), idempotency_key="K2")
    with pytest.raises(Invalid):
        services.generation.generate(caller, ask(model="nope"), idempotency_key="K3")
    services.coins.grant(caller.user_id, 50, note="top up")

    assert services.generation.generate(caller, ask(), idempotency_key="K2").balance == 0


def test_images_of_a_thread_page_oldest_first(
    services: Composition, caller: Caller, stranger: Caller, completed_upload: UploadImage
) -> None:
    source = completed_upload(caller)
    edits = [services.generation.edit(caller, source.image_id, ask(f"edit {n}")).image for n in range(4)]
    services.generation.generate(caller, ask("another thread"))

    first = services.images.thread_page(caller, edits[2].image_id, 3, None)
    rest = services.images.thread_page(caller, edits[2].image_id, 3, first.next_cursor)

    assert [image.image_id for image in first.images + rest.images] == [
        source.image_id,
        *(edit.image_id for edit in edits),
    ]
    assert rest.next_cursor is None
    assert {image.thread for image in first.images} == {source.image_id}
    with pytest.raises(NotFound):
        services.images.thread_page(stranger, source.image_id, 3, None)


def test_deleting_an_image_of_a_thread_leaves_the_others(
    services: Composition, caller: Caller, completed_upload: UploadImage
) -> None:
    source = completed_upload(caller)
    edits = [services.generation.edit(caller, source.image_id, ask(f"edit {n}")).image for n in range(2)]

    services.images.delete(caller, source.image_id)

    remaining = services.images.thread_page(caller, edits[1].image_id, 10, None).images
    assert [image.image_id for image in remaining] == [edit.image_id for edit in edits]
    assert all(
        (image.parent_image_id, image.thread) == (source.image_id, source.image_id) for image in remaining
    )


def test_an_image_from_before_threads_starts_one_when_it_is_edited(
    services: Composition, caller: Caller, completed_upload: UploadImage
) -> None:
    legacy = completed_upload(caller)
    services.aws.dynamodb.update_item(
        TableName=services.settings.images.table,
        Key={"userId": {"S": caller.user_id}, "imageId": {"S": legacy.image_id}},
        UpdateExpression="REMOVE threadId, referenceImageIds",
    )
    assert (
        services.image_views.image(services.images.get(caller, legacy.image_id)).thread_id == legacy.image_id
    )
    assert [
        image.image_id for image in services.images.thread_page(caller, legacy.image_id, 10, None).images
    ] == [legacy.image_id]

    with pytest.raises(Invalid):  # a refused edit writes nothing, not even the thread's start
        services.generation.edit(caller, legacy.image_id, ask("x", model="nope"))
    assert services.image_records.get(caller.user_id, legacy.image_id).thread_id is None  # type: ignore[union-attr]

    edit = services.generation.edit(caller, legacy.image_id, ask("now with threads")).image

    thread = services.images.thread_page(caller, edit.image_id, 10, None).images
    assert [image.image_id for image in thread] == [legacy.image_id, edit.image_id]


def test_variations_are_charged_recorded_and_queued_in_one_dynamodb_transaction(
    services: Composition, caller: Caller, ledger_sum: LedgerSum
) -> None:
    generation = services.generation.generate(caller, ask(count=4), idempotency_key="V1")

    ids = [image.image_id for image in generation.images]
    stored = services.image_records.get_many(caller.user_id, ids)
    assert [stored[image_id].batch_id for image_id in ids] == [generation.image.batch_id] * 4
    assert generation.balance == 600 == ledger_sum(caller.user_id)
    entries, _ = services.coins.entries(caller.user_id, 10, None)
    assert sorted(entry.image_id for entry in entries if entry.amount == -100) == sorted(ids)
    assert sorted(job["imageId"] for job in queued(services)) == sorted(ids)
    again = services.generation.generate(caller, ask(count=4), idempotency_key="V1")
    assert [image.image_id for image in again.images] == ids
    assert services.coins.balance(caller.user_id) == 600


def test_variations_the_balance_cannot_cover_charge_nothing(
    services: Composition, caller: Caller, ledger_sum: LedgerSum
) -> None:
    services.coins.grant(caller.user_id, -750, "most of it")

    with pytest.raises(InsufficientCoins):
        services.generation.generate(caller, ask(count=3))

    assert ledger_sum(caller.user_id) == 250 == services.coins.balance(caller.user_id)
    assert services.images.list_page(caller, 10, None).images == []
    assert queued(services) == []
