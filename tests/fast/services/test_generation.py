"""Generation and edit requests on in-memory twins: charged once with the image's record and its place
in the rate limit, in one commit, then queued; nothing written for a request refused, a balance short,
or a source gone meanwhile; a job the queue refuses failed and refunded before answering; the same
request under one ``Idempotency-Key`` answered again without a second charge (Powertools' idempotency
on its store's twin)."""

from __future__ import annotations

from typing import Any

import pytest

from imagegen.errors import Conflict, InsufficientCoins, Invalid, NotFound, QueueUnavailable, RateLimited
from imagegen.metrics import Metric
from imagegen.models.images import (
    GenerateRequest,
    GenerationJob,
    ImageMetadata,
    ImageStatus,
    UpscaleRequest,
)
from imagegen.services.generation import QUEUE_FAILED, UPSCALE_PROMPT
from tests.fakes.images import WIDE, Generating

NOW = "2026-12-04T12:00:00.000Z"
ONE_COMMIT = ["new image", "rate limit", "ledger entry", "wallet balance"]


def ask(prompt: str = "a lighthouse", **extra: Any) -> GenerateRequest:
    return GenerateRequest.model_validate({"prompt": prompt, **extra})


def upscale(size: str, model: str | None = None) -> UpscaleRequest:
    return UpscaleRequest.model_validate({"imageSize": size, **({"model": model} if model else {})})


@pytest.fixture
def generating() -> Generating:
    return Generating()


def test_a_request_is_charged_recorded_and_placed_in_one_commit_then_queued(generating: Generating) -> None:
    generation = generating.service.generate(generating.ada, ask("  a lighthouse  "))

    image = generation.image
    assert (image.status, image.prompt, image.model, image.image_size, image.aspect_ratio) == (
        ImageStatus.PENDING,
        "a lighthouse",
        "fast",
        "1K",
        "1:1",
    )
    assert image.thread_id == image.image_id
    assert generation.balance == 900 == generating.parts.ledger_sum("ada")
    assert generating.parts.transactions.committed[-1] == ONE_COMMIT
    assert generating.parts.records.get("ada", image.image_id) == image
    assert generating.queue.jobs == [GenerationJob(user_id="ada", image_id=image.image_id)]
    assert generating.parts.wallets.stats["ada"] == {"images": 1, "generated": 1, "coinsSpent": 100}


def test_the_charge_is_the_catalogs_price_for_the_model_and_size(generating: Generating) -> None:
    generation = generating.service.generate(
        generating.ada, ask(model="pro", imageSize="4K", aspectRatio="21:9")
    )

    assert generation.image.coins_used == 700
    assert generation.balance == 300 == generating.parts.ledger_sum("ada")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"model": "gemini-fast-image"}, "model"),  # Google's id is not ours
        ({"model": "pro", "imageSize": "2K"}, "imageSize"),
        ({"model": "pro", "aspectRatio": "4:1"}, "aspectRatio"),
    ],
)
def test_what_the_catalog_does_not_offer_is_invalid_and_writes_nothing(
    generating: Generating, extra: dict[str, str], field: str
) -> None:
    opened = len(generating.parts.transactions.committed)

    with pytest.raises(Invalid) as invalid:
        generating.service.generate(generating.ada, ask(**extra))

    assert [found["field"] for found in invalid.value.details["fields"]] == [field]
    assert generating.written() == (1000, [], 0)
    assert len(generating.parts.transactions.committed) == opened


def test_references_must_be_the_callers_finished_images(generating: Generating) -> None:
    mine = generating.completed("MINE")
    generating.completed("THEIRS", user_id="bob")
    pending = generating.service.generate(generating.ada, ask()).image

    with pytest.raises(Invalid) as invalid:
        generating.service.generate(
            generating.ada,
            ask(model="pro", referenceImageIds=[mine.image_id, "THEIRS", pending.image_id, "NOPE"]),
        )

    assert invalid.value.details["imageIds"] == ["THEIRS", pending.image_id, "NOPE"]
    assert generating.written() == (900, sorted(["MINE", pending.image_id]), 1)
    accepted = generating.service.generate(generating.ada, ask(referenceImageIds=[mine.image_id])).image
    assert accepted.reference_image_ids == [mine.image_id]


def test_a_short_balance_writes_and_queues_nothing(generating: Generating) -> None:
    generating.parts.coins.grant("ada", -950, note="leave 50")

    with pytest.raises(InsufficientCoins):
        generating.service.generate(generating.ada, ask())

    assert generating.written() == (50, [], 0)
    assert generating.parts.windows.windows == {}  # no place taken either
    assert generating.parts.charges("ada") == 0


def test_past_the_rate_limit_nothing_is_charged() -> None:
    generating = Generating(generations_per_minute=1)
    first = generating.service.generate(generating.ada, ask()).image

    with pytest.raises(RateLimited):
        generating.service.generate(generating.ada, ask())

    assert generating.written() == (900, [first.image_id], 1)
    assert generating.parts.charges("ada") == 1


def test_an_edit_starts_the_thread_of_an_image_from_before_threads_with_its_charge(
    generating: Generating,
) -> None:
    source = generating.completed("OLD", thread_id=None)

    edit = generating.service.edit(generating.ada, source.image_id, ask("make it night")).image

    assert generating.parts.transactions.committed[-1] == ["edit source", *ONE_COMMIT]
    assert (edit.parent_image_id, edit.thread_id) == ("OLD", "OLD")
    assert edit.aspect_ratio == "4:1"  # the fast model's ratio nearest the source's 400 x 100
    assert generating.parts.records.get("ada", "OLD").thread_id == "OLD"  # type: ignore[union-attr]
    assert generating.written() == (900, sorted(["OLD", edit.image_id]), 1)


def test_an_edit_of_an_edit_stays_in_the_first_images_thread(generating: Generating) -> None:
    generating.completed("FIRST")
    edit = generating.service.edit(generating.ada, "FIRST", ask("sepia")).image
    # As the pipeline completes it once the worker stored it.
    assert generating.parts.records.complete("ada", edit.image_id, WIDE, NOW, ImageStatus.PENDING)

    second = generating.service.edit(generating.ada, edit.image_id, ask("a frame")).image

    assert (second.parent_image_id, second.thread_id) == (edit.image_id, "FIRST")


def test_an_edit_of_a_source_that_is_not_the_callers_finished_image_charges_nothing(
    generating: Generating,
) -> None:
    generating.completed("THEIRS", user_id="bob")
    pending = generating.service.generate(generating.ada, ask()).image

    with pytest.raises(NotFound):
        generating.service.edit(generating.ada, "THEIRS", ask())
    with pytest.raises(NotFound):
        generating.service.edit(generating.ada, "NOPE", ask())
    with pytest.raises(Conflict, match="PENDING"):
        generating.service.edit(generating.ada, pending.image_id, ask())

    assert generating.written() == (900, [pending.image_id], 1)


def test_an_edit_of_a_source_deleted_meanwhile_is_not_found_and_charges_nothing(
    generating: Generating,
) -> None:
    source = generating.completed("SRC", thread_id=None)
    # Between the edit's read of its source and its commit, the owner deletes the source.
    generating.parts.transactions.before_commit = lambda: generating.parts.images.delete(
        generating.ada, "SRC"
    )

    with pytest.raises(NotFound, match="No such image"):
        generating.service.edit(generating.ada, source.image_id, ask())

    assert generating.written() == (1000, [], 0)
    assert generating.parts.charges("ada") == 0
    assert generating.parts.windows.windows == {}


def test_a_job_the_queue_refuses_fails_the_image_and_refunds_it_before_answering(
    generating: Generating,
) -> None:
    generating.queue.refuse()

    with pytest.raises(QueueUnavailable):
        generating.service.generate(generating.ada, ask())

    ((_, image_id),) = generating.parts.records.records
    failed = generating.parts.record("ada", image_id)
    assert (failed.status, failed.failure) == (ImageStatus.FAILED, QUEUE_FAILED)
    assert generating.parts.balance("ada") == 1000 == generating.parts.ledger_sum("ada")
    assert generating.parts.refunds("ada", image_id) == 1
    assert generating.parts.counted.totals == {Metric.GENERATIONS_FAILED: 1, Metric.COINS_REFUNDED: 100}
    assert list(generating.parts.records.unfinished_before(ImageStatus.PENDING, "9999")) == []


def test_without_an_idempotency_key_each_request_is_its_own_image(generating: Generating) -> None:
    first = generating.service.generate(generating.ada, ask())
    second = generating.service.generate(generating.ada, ask())

    assert first.image.image_id != second.image.image_id
    assert second.balance == 800 == generating.parts.ledger_sum("ada")
    assert generating.parts.charges("ada") == 2


def test_an_idempotency_key_answers_the_same_request_again_without_a_second_charge(
    generating: Generating,
) -> None:
    first = generating.service.generate(generating.ada, ask(), idempotency_key="K1")
    again = generating.service.generate(generating.ada, ask(), idempotency_key="K1")

    assert again.image == first.image
    assert again.balance == 900 == generating.parts.ledger_sum("ada")
    assert generating.parts.charges("ada") == 1
    assert len(generating.queue.jobs) == 1


def test_an_idempotency_key_with_another_request_is_a_conflict_and_charges_nothing(
    generating: Generating,
) -> None:
    first = generating.service.generate(generating.ada, ask(), idempotency_key="K1")

    with pytest.raises(Conflict, match="another request"):
        generating.service.generate(generating.ada, ask("another prompt"), idempotency_key="K1")
    with pytest.raises(Conflict, match="another request"):
        generating.service.generate(generating.ada, ask(imageSize="2K"), idempotency_key="K1")

    assert generating.written() == (900, [first.image.image_id], 1)


def test_an_idempotency_key_is_the_callers_own(generating: Generating) -> None:
    bob = generating.parts.open_account("bob", 1000)
    mine = generating.service.generate(generating.ada, ask(), idempotency_key="K1")

    theirs = generating.service.generate(bob, ask(), idempotency_key="K1")

    assert (theirs.image.user_id, theirs.balance) == ("bob", 900)
    assert theirs.image.image_id != mine.image.image_id


def test_an_idempotency_key_on_an_edit_is_bound_to_its_source(generating: Generating) -> None:
    generating.completed("ONE")
    generating.completed("OTHER")

    first = generating.service.edit(generating.ada, "ONE", ask("sepia"), idempotency_key="E1")
    again = generating.service.edit(generating.ada, "ONE", ask("sepia"), idempotency_key="E1")
    with pytest.raises(Conflict):
        generating.service.edit(generating.ada, "OTHER", ask("sepia"), idempotency_key="E1")
    with pytest.raises(Conflict):
        generating.service.generate(generating.ada, ask("sepia"), idempotency_key="E1")

    assert again.image.image_id == first.image.image_id
    assert generating.parts.charges("ada") == 1


def test_a_request_refused_under_a_key_can_be_sent_again(generating: Generating) -> None:
    generating.parts.coins.grant("ada", -950, note="leave 50")
    with pytest.raises(InsufficientCoins):
        generating.service.generate(generating.ada, ask(), idempotency_key="K2")
    generating.parts.coins.grant("ada", 50, note="top up")

    generation = generating.service.generate(generating.ada, ask(), idempotency_key="K2")

    assert generation.balance == 0 == generating.parts.ledger_sum("ada")
    assert generating.parts.charges("ada") == 1


def test_a_key_whose_image_was_deleted_since_is_a_conflict_and_charges_nothing(
    generating: Generating,
) -> None:
    first = generating.service.generate(generating.ada, ask(), idempotency_key="K1")
    generating.parts.images.delete(generating.ada, first.image.image_id)

    with pytest.raises(Conflict, match="no longer exists"):
        generating.service.generate(generating.ada, ask(), idempotency_key="K1")

    assert generating.parts.charges("ada") == 1
    assert generating.parts.balance("ada") == 900 == generating.parts.ledger_sum("ada")


@pytest.mark.parametrize(
    ("width", "height", "model", "size", "cost"),
    [
        (3000, 4000, "pro", "4K", 700),  # a phone's photo keeps its size
        (3000, 4000, "fast", "2K", 150),  # as near as the model makes it
        (1500, 1000, "fast", "2K", 150),
        (1400, 900, "fast", "1K", 100),  # nearer 1024 than 2048, as logarithms
        (400, 100, "pro", "1K", 200),
    ],
)
def test_an_edit_keeps_its_sources_size_as_near_as_the_model_makes_it(
    generating: Generating, width: int, height: int, model: str, size: str, cost: int
) -> None:
    measure = ImageMetadata(width=width, height=height, format="JPEG", content_type="image/jpeg", size=10)
    generating.completed("PHOTO", metadata=measure)

    image = generating.service.edit(generating.ada, "PHOTO", ask("brighter", model=model)).image

    assert (image.image_size, image.coins_used) == (size, cost)


def test_an_edit_asked_for_a_size_gets_that_size(generating: Generating) -> None:
    measure = ImageMetadata(width=3000, height=4000, format="JPEG", content_type="image/jpeg", size=10)
    generating.completed("PHOTO", metadata=measure)

    image = generating.service.edit(
        generating.ada, "PHOTO", ask("brighter", model="pro", imageSize="1K")
    ).image

    assert (image.image_size, image.coins_used) == ("1K", 200)


def test_an_upscale_draws_the_image_again_larger_in_its_thread_charged_as_that_size(
    generating: Generating,
) -> None:
    generating.completed("PHOTO")  # 400 x 100

    image = generating.service.upscale(generating.ada, "PHOTO", upscale("2K")).image

    assert (image.parent_image_id, image.thread_id, image.prompt) == ("PHOTO", "PHOTO", UPSCALE_PROMPT)
    assert (image.image_size, image.aspect_ratio, image.coins_used) == ("2K", "4:1", 150)
    assert generating.parts.balance("ada") == 850
    assert generating.queue.jobs[-1].image_id == image.image_id


def test_an_upscale_keeps_the_model_that_made_the_image(generating: Generating) -> None:
    generating.completed("PHOTO")
    made = generating.service.edit(generating.ada, "PHOTO", ask("brighter", model="pro")).image
    generating.parts.records.complete("ada", made.image_id, WIDE, NOW, ImageStatus.PENDING)

    image = generating.service.upscale(generating.ada, made.image_id, upscale("4K")).image

    assert (image.model, image.image_size, image.coins_used) == ("pro", "4K", 700)


@pytest.mark.parametrize(("size", "model"), [("2K", None), ("1K", None), ("4K", None), ("2K", "pro")])
def test_an_upscale_to_no_larger_size_or_one_the_model_lacks_is_invalid_and_charges_nothing(
    generating: Generating, size: str, model: str | None
) -> None:
    photo = ImageMetadata(width=3000, height=2000, format="JPEG", content_type="image/jpeg", size=10)
    generating.completed("PHOTO", metadata=photo)  # already past 2K; fast makes no 4K, pro no 2K

    with pytest.raises(Invalid) as invalid:
        generating.service.upscale(generating.ada, "PHOTO", upscale(size, model))

    assert [field["field"] for field in invalid.value.details["fields"]] == ["imageSize"]
    assert generating.written() == (1000, ["PHOTO"], 0)


def test_an_upscale_of_an_image_gone_or_unfinished_is_refused(generating: Generating) -> None:
    with pytest.raises(NotFound):
        generating.service.upscale(generating.ada, "NOPE", upscale("2K"))
    pending = generating.service.generate(generating.ada, ask()).image
    with pytest.raises(Conflict):
        generating.service.upscale(generating.ada, pending.image_id, upscale("2K"))
