"""The image records' twin (``tests.fakes.images.InMemoryImages``) holds to the repository: each scenario
runs on both, DynamoDB's on moto, and expects the same outcomes, refusals and pages included. A fast
test on the twin can then only pass where the repository would let it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from imagegen.models.images import (
    Failure,
    Image,
    ImageFailure,
    ImageMetadata,
    ImageStatus,
    ImageType,
    search_text,
)
from imagegen.services.image_records import ImageQuery, ImageRecords
from imagegen.services.unit_of_work import Refused, Transactions, UnitOfWork, Write
from tests.fakes import InMemoryTransactions
from tests.fakes.images import InMemoryImages

AT = "2026-12-04T12:00:00.000Z"
LATER = "2026-12-04T12:05:00.000Z"
METADATA = ImageMetadata(width=64, height=48, format="PNG", content_type="image/png", size=1234)
NEVER_ARRIVED = Failure(ImageFailure.NEVER_ARRIVED, "The upload never arrived.")
BROKEN = Failure(ImageFailure.STORAGE_FAILED, "The image could not be made or stored.")


@dataclass
class Kept:
    """Image records and the transactions their writes commit through."""

    records: ImageRecords
    transactions: Transactions

    def commit(self, write: Write) -> bool:
        """Whether ``write`` went through (False: refused, nothing written)."""
        try:
            UnitOfWork(self.transactions).with_write(write, Refused).commit()
        except Refused:
            return False
        return True

    def add(self, *images: Image) -> None:
        for image in images:
            assert self.commit(self.records.create_write(image))


@pytest.fixture(params=["in memory", "dynamodb"])
def kept(request: pytest.FixtureRequest) -> Kept:
    if request.param == "in memory":
        return Kept(InMemoryImages(), InMemoryTransactions())
    services = request.getfixturevalue("services")  # moto, only for the repository's run
    return Kept(services.image_records, services.transactions)


def made(
    image_id: str,
    user_id: str = "ada",
    image_type: ImageType = ImageType.GENERATED,
    thread_id: str | None = "own",
    created_at: str = AT,
    title: str | None = None,
    prompt: str = "a lighthouse",
) -> Image:
    return Image(
        user_id=user_id,
        image_id=image_id,
        type=image_type,
        status=ImageStatus.PENDING,
        title=title or f"image {image_id}",
        prompt=prompt if image_type is ImageType.GENERATED else None,
        object_key=f"images/{user_id}/{image_id}.png",
        coins_used=40,
        thread_id=image_id if thread_id == "own" else thread_id,
        created_at=created_at,
        updated_at=created_at,
    )


def ids(images: list[Image]) -> list[str]:
    return [image.image_id for image in images]


def test_a_new_image_is_written_once_and_read_back(kept: Kept) -> None:
    image = made("IMG1")

    first = kept.commit(kept.records.create_write(image))
    again = kept.commit(kept.records.create_write(image.model_copy(update={"title": "another"})))

    assert (first, again) == (True, False)
    assert kept.records.get("ada", "IMG1") == image
    assert kept.records.get("bob", "IMG1") is None
    assert kept.records.get_many("ada", ["IMG1", "NOPE", "IMG1"]) == {"IMG1": image}
    assert kept.records.get_many("bob", ["IMG1"]) == {}


def test_each_step_goes_only_from_the_state_it_expects(kept: Kept) -> None:
    kept.add(made("IMG1"))
    records = kept.records

    outcomes = [
        records.complete("ada", "IMG1", METADATA, LATER, ImageStatus.PROCESSING),
        records.set_object_key("ada", "IMG1", "images/ada/IMG1.webp", "turns/ada/IMG1.json", LATER),
        records.move("ada", "IMG1", ImageStatus.PENDING, ImageStatus.PROCESSING, LATER),
        records.move("ada", "IMG1", ImageStatus.PENDING, ImageStatus.PROCESSING, LATER),
        records.set_object_key("ada", "IMG1", "images/ada/IMG1.webp", "turns/ada/IMG1.json", LATER),
        records.complete("ada", "IMG1", METADATA, LATER, ImageStatus.PROCESSING),
        records.complete("ada", "IMG1", METADATA, LATER, ImageStatus.PROCESSING),
        kept.commit(records.fail_write("ada", "IMG1", BROKEN, LATER, ImageStatus.PROCESSING)),
        records.move("ada", "NOPE", ImageStatus.PENDING, ImageStatus.PROCESSING, LATER),
        records.complete("ada", "NOPE", METADATA, LATER, ImageStatus.PENDING),
    ]

    assert outcomes == [False, False, True, False, True, True, False, False, False, False]
    done = records.get("ada", "IMG1")
    assert done is not None
    assert (done.status, done.metadata, done.object_key, done.turn_key, done.updated_at) == (
        ImageStatus.COMPLETED,
        METADATA,
        "images/ada/IMG1.webp",
        "turns/ada/IMG1.json",
        LATER,
    )


def test_an_image_fails_once_and_from_its_state_only(kept: Kept) -> None:
    kept.add(made("IMG1"))
    records = kept.records

    outcomes = [
        kept.commit(records.fail_write("ada", "IMG1", BROKEN, LATER, ImageStatus.PROCESSING)),
        kept.commit(records.fail_write("ada", "IMG1", NEVER_ARRIVED, LATER, ImageStatus.PENDING)),
        kept.commit(records.fail_write("ada", "IMG1", BROKEN, LATER, ImageStatus.PENDING)),
        records.set_thumbnail("ada", "IMG1", "thumbnails/ada/IMG1/512.webp", LATER),
        records.move("ada", "IMG1", ImageStatus.PENDING, ImageStatus.PROCESSING, LATER),
        kept.commit(records.fail_write("ada", "NOPE", BROKEN, LATER, ImageStatus.PENDING)),
    ]

    assert outcomes == [False, True, False, False, False, False]
    failed = records.get("ada", "IMG1")
    assert failed is not None
    assert (failed.status, failed.error, failed.error_code, failed.thumbnail_key) == (
        ImageStatus.FAILED,
        "The upload never arrived.",
        ImageFailure.NEVER_ARRIVED,
        None,
    )


def test_a_thumbnail_is_recorded_on_an_image_that_is_there_and_has_not_failed(kept: Kept) -> None:
    kept.add(made("IMG1"))

    outcomes = [
        kept.records.set_thumbnail("ada", "IMG1", "thumbnails/ada/IMG1/512.webp", LATER),
        kept.records.set_thumbnail("ada", "NOPE", "thumbnails/ada/NOPE/512.webp", LATER),
    ]

    assert outcomes == [True, False]
    image = kept.records.get("ada", "IMG1")
    assert image is not None
    assert (image.thumbnail_key, image.status) == ("thumbnails/ada/IMG1/512.webp", ImageStatus.PENDING)


def test_unfinished_images_are_listed_oldest_first_until_they_finish(kept: Kept) -> None:
    kept.add(
        made("IMG1", created_at="2026-12-04T12:00:03.000Z"),
        made("IMG2", user_id="bob", created_at="2026-12-04T12:00:01.000Z"),
        made("IMG3", created_at="2026-12-04T12:00:02.000Z"),
        made("IMG4", created_at="2026-12-04T12:00:04.000Z"),
        made("IMG5", created_at="2026-12-04T12:00:00.000Z"),
    )
    records = kept.records
    assert records.move("ada", "IMG3", ImageStatus.PENDING, ImageStatus.PROCESSING, LATER)
    assert kept.commit(records.fail_write("ada", "IMG5", BROKEN, LATER, ImageStatus.PENDING))

    pending = list(records.unfinished_before(ImageStatus.PENDING, "2026-12-04T12:00:04.000Z"))
    processing = list(records.unfinished_before(ImageStatus.PROCESSING, "9999"))
    assert records.complete("ada", "IMG3", METADATA, LATER, ImageStatus.PROCESSING)

    assert pending == [("bob", "IMG2"), ("ada", "IMG1")]
    assert processing == [("ada", "IMG3")]
    assert list(records.unfinished_before(ImageStatus.PROCESSING, "9999")) == []


def test_an_image_being_deleted_reads_as_gone_and_refuses_every_step_but_its_removal(kept: Kept) -> None:
    kept.add(made("IMG1"), made("IMG2"))
    records = kept.records
    assert records.move("ada", "IMG1", ImageStatus.PENDING, ImageStatus.PROCESSING, AT)

    marked = records.mark_deleting("ada", "IMG1", LATER)
    outcomes = [
        records.get("ada", "IMG1"),
        records.get_many("ada", ["IMG1", "IMG2"]).keys(),
        records.update_details("ada", "IMG1", {"title": "new"}, LATER),
        records.complete("ada", "IMG1", METADATA, LATER, ImageStatus.PROCESSING),
        records.move("ada", "IMG1", ImageStatus.PROCESSING, ImageStatus.PENDING, LATER),
        records.set_object_key("ada", "IMG1", "images/ada/IMG1.png", "turns/ada/IMG1.json", LATER),
        records.set_thumbnail("ada", "IMG1", "thumbnails/ada/IMG1/512.webp", LATER),
        kept.commit(records.fail_write("ada", "IMG1", BROKEN, LATER, ImageStatus.PROCESSING)),
        kept.commit(records.start_thread_write("ada", "IMG1")),
        kept.commit(records.create_write(made("IMG1"))),
        list(records.unfinished_before(ImageStatus.PROCESSING, "9999")),  # the index still holds it
        ids(records.list_page("ada", 10, None)[0]),
        ids(records.thread_page("ada", "IMG1", 10, None)[0]),
        records.mark_deleting("ada", "IMG1", LATER) is not None,  # a retried delete finds its own tombstone
        kept.commit(records.delete_write("ada", "IMG1")),
        kept.commit(records.delete_write("ada", "IMG1")),
        records.mark_deleting("ada", "IMG1", LATER),
    ]

    assert marked is not None
    assert (marked.image_id, marked.status) == ("IMG1", ImageStatus.PROCESSING)
    assert outcomes == [
        None,
        {"IMG2"},
        None,
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        [("ada", "IMG1")],
        ["IMG2"],
        [],
        True,
        True,
        False,
        None,
    ]
    assert list(records.unfinished_before(ImageStatus.PROCESSING, "9999")) == []


def test_a_thread_starts_at_an_image_from_before_threads_and_nowhere_else(kept: Kept) -> None:
    kept.add(made("OLD", thread_id=None), made("EDIT", thread_id="FIRST"))
    records = kept.records

    outcomes = [
        kept.commit(records.start_thread_write("ada", "OLD")),
        kept.commit(records.start_thread_write("ada", "EDIT")),
        kept.commit(records.start_thread_write("ada", "NOPE")),
        kept.commit(records.start_thread_write("bob", "OLD")),
    ]

    assert outcomes == [True, True, False, False]
    old, edit = records.get("ada", "OLD"), records.get("ada", "EDIT")
    assert old is not None
    assert edit is not None
    assert (old.thread_id, edit.thread_id) == ("OLD", "FIRST")


def test_details_change_on_an_image_that_is_there(kept: Kept) -> None:
    kept.add(made("IMG1"))

    updated = kept.records.update_details("ada", "IMG1", {"title": "Dusk", "description": "pier"}, LATER)

    assert updated is not None
    assert (updated.title, updated.description, updated.updated_at) == ("Dusk", "pier", LATER)
    assert kept.records.get("ada", "IMG1") == updated
    assert kept.records.update_details("ada", "NOPE", {"title": "Dusk"}, LATER) is None


def pages(kept: Kept, limit: int, **which: Any) -> list[tuple[list[str], dict[str, object] | None]]:
    """Every page of ada's gallery (the images ``which`` asks for), each with the position it ends at."""
    found: list[tuple[list[str], dict[str, object] | None]] = []
    start = None
    while True:
        page, start = kept.records.list_page("ada", limit, start, ImageQuery(**which))
        found.append((ids(page), start))
        if start is None:
            return found


def test_a_gallery_pages_newest_first_as_the_query_reads_it(kept: Kept) -> None:
    kept.add(
        *(made(f"IMG{n}") for n in (1, 2, 3, 4)),
        made("IMG5", image_type=ImageType.UPLOADED),
        made("IMG6", user_id="bob"),
    )
    assert kept.records.mark_deleting("ada", "IMG1", LATER) is not None
    assert kept.records.mark_deleting("ada", "IMG3", LATER) is not None
    assert kept.records.complete("ada", "IMG2", METADATA, LATER, ImageStatus.PENDING)

    # Two images looked at a query: IMG5 and IMG4, then IMG3 (deleting) and IMG2, then IMG1 (deleting).
    assert pages(kept, 2) == [
        (["IMG5", "IMG4"], {"userId": "ada", "imageId": "IMG4"}),
        (["IMG2"], None),
    ]
    assert pages(kept, 3) == [(["IMG5", "IMG4", "IMG2"], None)]
    assert pages(kept, 1) == [
        (["IMG5"], {"userId": "ada", "imageId": "IMG5"}),
        (["IMG4"], {"userId": "ada", "imageId": "IMG4"}),
        (["IMG2"], {"userId": "ada", "imageId": "IMG2"}),
        ([], None),
    ]
    # IMG1, deleting, is left unread by the query that fills the page: a last page comes back empty.
    assert pages(kept, 2, image_type=ImageType.GENERATED) == [
        (["IMG4", "IMG2"], {"userId": "ada", "imageId": "IMG2"}),
        ([], None),
    ]
    assert pages(kept, 5, status=ImageStatus.COMPLETED) == [(["IMG2"], None)]


def test_a_gallery_finds_its_starred_images_and_words_of_titles_and_prompts_in_any_case(kept: Kept) -> None:
    kept.add(
        made("IMG1", title="Harbour at DUSK"),
        made("IMG2", title="a cat"),
        made("IMG3", title="boats", prompt="Fishing boats in a harbour"),
        made("IMG4", user_id="bob", title="harbour"),
    )
    assert kept.records.update_details("ada", "IMG2", {"favorite": True}, LATER) is not None
    renamed = {"title": "the harbour cat", "searchText": search_text("the harbour cat", "a lighthouse")}
    assert kept.records.update_details("ada", "IMG2", renamed, LATER) is not None

    assert pages(kept, 10, favorite=True) == [(["IMG2"], None)]
    assert pages(kept, 10, favorite=False) == [(["IMG3", "IMG1"], None)]
    assert pages(kept, 10, text="HARBOUR") == [(["IMG3", "IMG2", "IMG1"], None)]  # bob's is not read
    assert pages(kept, 10, text="dusk") == [(["IMG1"], None)]
    assert pages(kept, 10, text="harbour", favorite=True) == [(["IMG2"], None)]
    assert pages(kept, 10, text="a lighthouse at noon") == [([], None)]


def test_a_thread_pages_oldest_first_with_the_owners_images_only(kept: Kept) -> None:
    kept.add(
        made("IMG1", thread_id="IMG1"),
        made("IMG2", thread_id="IMG1"),
        made("IMG3", user_id="bob", thread_id="IMG1"),
        made("IMG4", thread_id="IMG1"),
        made("IMG5", thread_id="IMG1"),
        made("IMG6", thread_id="OTHER"),
        made("IMG7", thread_id=None),
    )
    assert kept.records.mark_deleting("ada", "IMG4", LATER) is not None

    first, start = kept.records.thread_page("ada", "IMG1", 2, None)
    second, end = kept.records.thread_page("ada", "IMG1", 2, start)

    assert (ids(first), start) == (["IMG1", "IMG2"], {"threadId": "IMG1", "userId": "ada", "imageId": "IMG2"})
    assert (ids(second), end) == (["IMG5"], None)
    assert ids(kept.records.thread_page("ada", "IMG7", 10, None)[0]) == []  # not in the index


def test_a_users_generation_prompts_are_read_newest_first_among_their_newest_images(kept: Kept) -> None:
    kept.add(
        made("IMG1", prompt="a lighthouse", created_at="2026-12-04T12:00:01.000Z"),
        made("IMG2", image_type=ImageType.UPLOADED),
        made("IMG3", prompt="make it night").model_copy(update={"parent_image_id": "IMG1"}),  # an edit
        made("IMG4", prompt="a fox"),
        made("IMG5", prompt="a lighthouse", created_at="2026-12-04T12:00:05.000Z"),
        made("IMG6", user_id="bob", prompt="bob's boat"),
        made("IMG7", prompt="a deleted cat"),
    )
    assert kept.records.mark_deleting("ada", "IMG7", LATER) is not None
    assert kept.records.complete("ada", "IMG4", METADATA, LATER, ImageStatus.PENDING)

    def read(most: int) -> list[tuple[str, str, str]]:
        return [
            (used.image_id, used.prompt, used.used_at)
            for used in kept.records.generation_prompts("ada", most)
        ]

    assert read(500) == [
        ("IMG5", "a lighthouse", "2026-12-04T12:00:05.000Z"),
        ("IMG4", "a fox", AT),
        ("IMG1", "a lighthouse", "2026-12-04T12:00:01.000Z"),
    ]
    # What is passed over counts as read: IMG7 (being deleted), IMG5, IMG4, IMG3 (an edit); not IMG2 or IMG1.
    assert read(4) == [("IMG5", "a lighthouse", "2026-12-04T12:00:05.000Z"), ("IMG4", "a fox", AT)]
    assert read(1) == []
    assert [used.prompt for used in kept.records.generation_prompts("bob", 500)] == ["bob's boat"]
    assert list(kept.records.generation_prompts("carol", 500)) == []


def test_a_users_generation_prompts_are_read_past_a_page_up_to_the_bound(kept: Kept) -> None:
    kept.add(*(made(f"IMG{n:03}", prompt=f"prompt {n}") for n in range(105)))

    read = [used.image_id for used in kept.records.generation_prompts("ada", 103)]

    assert read == [f"IMG{n:03}" for n in range(104, 1, -1)]
