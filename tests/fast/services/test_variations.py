"""Variations: ``count`` images from one request, on in-memory twins. All of them are charged, recorded
and placed in the rate limit in one commit (one ledger entry each), or none; each is queued on its own
and fails on its own; one ``Idempotency-Key`` answers the whole request again."""

from __future__ import annotations

from typing import Any

import pytest

from imagegen.errors import Conflict, InsufficientCoins, Invalid, QueueUnavailable, RateLimited
from imagegen.models.coins import LedgerReason
from imagegen.models.images import GenerateRequest, ImageStatus
from imagegen.services.generation import QUEUE_FAILED
from tests.fakes.images import Generating


def ask(count: int, prompt: str = "a lighthouse", **extra: Any) -> GenerateRequest:
    return GenerateRequest.model_validate({"prompt": prompt, "count": count, **extra})


@pytest.fixture
def generating() -> Generating:
    return Generating()


def test_four_variations_are_charged_recorded_and_placed_in_one_commit(generating: Generating) -> None:
    generation = generating.service.generate(generating.ada, ask(4))

    images = generation.images
    ids = [image.image_id for image in images]
    assert len(set(ids)) == 4
    assert ids == sorted(ids)  # in turn: the gallery, newest first, shows them in order
    assert {image.batch_id for image in images} == {images[0].batch_id} != {None}
    assert {(image.batch_size, image.status, image.prompt) for image in images} == {
        (4, ImageStatus.PENDING, "a lighthouse")
    }
    assert generation.image == images[0]
    assert generation.balance == 600 == generating.parts.ledger_sum("ada")
    assert generating.parts.transactions.committed[-1] == [
        "new image",
        "new image 2",
        "new image 3",
        "new image 4",
        "rate limit",
        "ledger entry",
        "ledger entry 2",
        "ledger entry 3",
        "ledger entry 4",
        "wallet balance",
    ]
    assert [job.image_id for job in generating.queue.jobs] == [image.image_id for image in images]
    assert generating.parts.wallets.stats["ada"] == {"images": 4, "generated": 4, "coinsSpent": 400}


def test_each_variation_has_its_own_ledger_entry_and_the_balances_follow_each_other(
    generating: Generating,
) -> None:
    generation = generating.service.generate(generating.ada, ask(3))

    entries = sorted(
        (entry for (user, _), entry in generating.parts.wallets.entries.items() if user == "ada"),
        key=lambda entry: entry.seq,
    )
    charges = [entry for entry in entries if entry.reason is LedgerReason.GENERATE]
    assert [entry.image_id for entry in charges] == [image.image_id for image in generation.images]
    assert [(entry.amount, entry.balance) for entry in charges] == [(-100, 900), (-100, 800), (-100, 700)]
    assert [entry.seq for entry in entries] == list(range(1, len(entries) + 1))
    assert [entry.id for entry in entries] == sorted(entry.id for entry in entries)


def test_one_image_alone_has_no_batch(generating: Generating) -> None:
    image = generating.service.generate(generating.ada, ask(1)).image

    assert (image.batch_id, image.batch_size) == (None, None)


def test_a_balance_that_covers_fewer_than_asked_charges_none(generating: Generating) -> None:
    generating.parts.coins.grant("ada", -750, note="most of it")  # 250 left: two of four

    with pytest.raises(InsufficientCoins) as short:
        generating.service.generate(generating.ada, ask(4))

    assert (short.value.details["balance"], short.value.details["required"]) == (250, 400)
    assert generating.written() == (250, [], 0)


def test_fewer_places_left_in_the_minute_than_asked_charges_none() -> None:
    generating = Generating(generations_per_minute=5)
    generating.service.generate(generating.ada, ask(3))

    with pytest.raises(RateLimited):
        generating.service.generate(generating.ada, ask(3))  # 2 places left

    assert generating.written()[::2] == (700, 3)
    assert len(generating.service.generate(generating.ada, ask(2)).images) == 2  # what is left fits


def test_more_variations_than_the_minute_allows_is_invalid_not_a_wait() -> None:
    generating = Generating(generations_per_minute=2)

    with pytest.raises(Invalid) as invalid:
        generating.service.generate(generating.ada, ask(3))

    assert [field["field"] for field in invalid.value.details["fields"]] == ["count"]
    assert generating.written() == (1000, [], 0)


def test_an_edit_makes_its_variations_in_the_sources_thread(generating: Generating) -> None:
    source = generating.completed("SRC")

    images = generating.service.edit(generating.ada, "SRC", ask(2, "make it night")).images

    assert [(image.parent_image_id, image.thread_id) for image in images] == [("SRC", "SRC")] * 2
    assert images[0].batch_id == images[1].batch_id
    assert generating.parts.balance("ada") == 800
    assert source.thread_id == "SRC"


def test_a_variation_the_queue_refuses_fails_alone_with_its_refund(generating: Generating) -> None:
    generating.queue.refuse(1)  # the first job is not taken; the others are

    generation = generating.service.generate(generating.ada, ask(3))

    first, *others = generation.images
    assert (first.status, first.failure) == (ImageStatus.FAILED, QUEUE_FAILED)
    assert [image.status for image in others] == [ImageStatus.PENDING] * 2
    assert [job.image_id for job in generating.queue.jobs] == [image.image_id for image in others]
    assert generating.parts.refunds("ada", first.image_id) == 1
    assert generation.balance == 700  # as charged: the answer's balance is the charge's
    assert generating.parts.balance("ada") == 800 == generating.parts.ledger_sum("ada")


def test_a_queue_that_takes_none_fails_and_refunds_them_all(generating: Generating) -> None:
    generating.queue.refuse(2)

    with pytest.raises(QueueUnavailable):
        generating.service.generate(generating.ada, ask(2))

    assert generating.parts.balance("ada") == 1000 == generating.parts.ledger_sum("ada")
    statuses = {image.status for image in generating.parts.records.records.values()}
    assert statuses == {ImageStatus.FAILED}


def test_one_key_answers_the_whole_batch_again_without_charging(generating: Generating) -> None:
    first = generating.service.generate(generating.ada, ask(3), idempotency_key="K1")

    again = generating.service.generate(generating.ada, ask(3), idempotency_key="K1")

    assert [image.image_id for image in again.images] == [image.image_id for image in first.images]
    assert generating.parts.charges("ada") == 3
    assert generating.parts.balance("ada") == 700


def test_the_same_key_with_another_count_is_a_conflict(generating: Generating) -> None:
    generating.service.generate(generating.ada, ask(2), idempotency_key="K1")

    with pytest.raises(Conflict):
        generating.service.generate(generating.ada, ask(3), idempotency_key="K1")

    assert generating.parts.charges("ada") == 2


def test_a_replay_answers_the_variations_not_deleted_since(generating: Generating) -> None:
    first = generating.service.generate(generating.ada, ask(2), idempotency_key="K1")
    generating.parts.images.delete(generating.ada, first.images[0].image_id)

    again = generating.service.generate(generating.ada, ask(2), idempotency_key="K1")

    assert [image.image_id for image in again.images] == [first.images[1].image_id]
    generating.parts.images.delete(generating.ada, first.images[1].image_id)
    with pytest.raises(Conflict, match="2 images this Idempotency-Key made no longer exist"):
        generating.service.generate(generating.ada, ask(2), idempotency_key="K1")


@pytest.mark.parametrize("count", [0, 5, "2", 2.0, True])
def test_a_count_outside_one_to_four_or_not_an_integer_is_refused_by_the_request(count: object) -> None:
    with pytest.raises(ValueError, match="count"):
        GenerateRequest.model_validate({"prompt": "a lighthouse", "count": count})
