"""The caller's recent prompts on the image records' twin: the prompts of their generations, newest
first, each once at its newest use; never an edit's prompt, an upload, another user's image or one
being deleted; read no further than the answer needs, and among the caller's newest images only."""

from __future__ import annotations

import pytest

from imagegen.models.auth import Caller
from imagegen.models.images import Image, ImageStatus, ImageType
from imagegen.services.cursors import CursorCodec
from imagegen.services.images import ImageService
from tests.fakes.images import ImageParts


def made(number: int, prompt: str | None, user_id: str = "ada", **extra: object) -> Image:
    """Image ``IMGnn`` of ``user_id``, made at second ``nn`` (ids sort by time); no prompt: an upload."""
    at = f"2026-12-04T12:00:{number:02}.000Z"
    return Image.model_validate(
        {
            "userId": user_id,
            "imageId": f"IMG{number:02}",
            "type": ImageType.GENERATED if prompt is not None else ImageType.UPLOADED,
            "status": ImageStatus.COMPLETED,
            "prompt": prompt,
            "objectKey": f"images/{user_id}/IMG{number:02}.png",
            "coinsUsed": 100,
            "createdAt": at,
            "updatedAt": at,
            **extra,
        }
    )


class Gallery:
    """ada's images on the twins, and the image service reading them."""

    def __init__(self, prompts_read: int = 500) -> None:
        self.parts = ImageParts()
        self.ada: Caller = self.parts.open_account("ada", 1000)
        self.service = ImageService(
            self.parts.records,
            self.parts.objects,
            self.parts.coins,
            self.parts.transactions,
            CursorCodec(lambda: "s" * 32),
            count=self.parts.counted,
            prompts_read=prompts_read,
        )

    def add(self, *images: Image) -> None:
        for image in images:
            self.parts.transactions.write([self.parts.records.create_write(image)])

    def prompts(self, limit: int = 20) -> list[tuple[str, str, str]]:
        found = self.service.recent_prompts(self.ada, limit).prompts
        return [(used.prompt, used.image_id, used.used_at) for used in found]


@pytest.fixture
def gallery() -> Gallery:
    return Gallery()


def test_the_prompts_of_generations_are_listed_newest_first_each_at_its_newest_use(gallery: Gallery) -> None:
    gallery.add(
        made(1, "a lighthouse at dusk"),
        made(2, "a red fox", status=ImageStatus.FAILED),  # a refused prompt is one to fix and send again
        made(3, None),  # an upload
        made(4, "make it night", parentImageId="IMG01", threadId="IMG01"),  # an edit asks a change
        made(5, "A lighthouse  at DUSK"),  # the same prompt, written otherwise: its newest use
        made(6, "bob's boat", user_id="bob"),
        made(7, "a paper boat", batchId="B7", batchSize=2),
        made(8, "a paper boat", batchId="B7", batchSize=2),  # variations of one request
        made(9, "a quiet street"),
    )
    assert gallery.parts.records.mark_deleting("ada", "IMG09", "2026-12-04T12:01:00.000Z")  # gone with it

    assert gallery.prompts() == [
        ("a paper boat", "IMG08", "2026-12-04T12:00:08.000Z"),
        ("A lighthouse  at DUSK", "IMG05", "2026-12-04T12:00:05.000Z"),
        ("a red fox", "IMG02", "2026-12-04T12:00:02.000Z"),
    ]
    assert gallery.prompts(limit=2) == gallery.prompts()[:2]


def test_a_caller_who_generated_nothing_has_no_prompts(gallery: Gallery) -> None:
    gallery.add(made(1, None), made(2, "bob's boat", user_id="bob"))

    assert gallery.prompts() == []


def test_reading_stops_once_the_prompts_asked_for_are_found(gallery: Gallery) -> None:
    gallery.add(*(made(number, f"prompt {number}") for number in range(1, 31)))

    assert [image_id for _, image_id, _ in gallery.prompts(limit=3)] == ["IMG30", "IMG29", "IMG28"]
    assert gallery.parts.records.prompt_reads == [3]


def test_prompts_are_looked_for_among_the_callers_newest_images_only() -> None:
    gallery = Gallery(prompts_read=4)
    gallery.add(
        made(1, "an old prompt"),
        made(2, "a lighthouse"),
        *(made(number, "make it night", parentImageId="IMG02", threadId="IMG02") for number in (3, 4, 5)),
    )

    assert gallery.prompts() == [("a lighthouse", "IMG02", "2026-12-04T12:00:02.000Z")]
    assert gallery.parts.records.prompt_reads == [4]
