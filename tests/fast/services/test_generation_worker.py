"""The generation worker on in-memory twins: a job draws its image once, whatever SQS delivers again; the
model's refusal, a retired model, a permanent failure or an input gone fails the image and refunds it
exactly once; a model that times out or is overloaded, or storage that fails, hands the image back for
the next delivery, and the last delivery fails and refunds it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from imagegen.errors import StorageUnavailable
from imagegen.metrics import Metric
from imagegen.models.catalog import CatalogInvalid, ModelCatalog
from imagegen.models.images import (
    Failure,
    GenerateRequest,
    GenerationJob,
    Image,
    ImageFailure,
    ImageStatus,
    JobOutcome,
    UploadRequest,
)
from imagegen.models.keys import incoming_key, turn_key
from imagegen.models.turns import ModelTurn
from imagegen.services.generation_worker import (
    INPUT_UNREADABLE,
    MODEL_RETIRED,
    MODEL_UNAVAILABLE,
    REFERENCE_GONE,
    SOURCE_GONE,
    STORAGE_FAILED,
    GenerationWorker,
)
from imagegen.services.image_model import ImageModel, ImageRequest, ModelReply, Part
from imagegen.services.object_store import ObjectStore
from imagegen.services.pipeline import ImagePipeline, Outcome
from tests.fakes import InMemoryObjects
from tests.fakes.images import (
    CATALOG,
    MAX_UPLOAD_BYTES,
    ImageParts,
    InMemoryJobQueue,
    LabelledImaging,
    ScriptedImageModel,
    picture,
)

MAX_RECEIVES = 3


def ask(prompt: str = "a lighthouse", **extra: Any) -> GenerateRequest:
    return GenerateRequest.model_validate({"prompt": prompt, **extra})


class Drawing:
    """A worker and the pipeline after it on twins, for ``ada`` holding 1000 coins."""

    def __init__(self) -> None:
        self.parts = ImageParts()
        self.generation = self.parts.generation(InMemoryJobQueue())
        self.ada = self.parts.open_account("ada", 1000)
        self.model = ScriptedImageModel()
        self.imaging = LabelledImaging()
        self.retired: list[str] = []
        self.worker = self.worker_with()
        self.pipeline = ImagePipeline(
            self.parts.records, self.parts.images, self.parts.objects, MAX_UPLOAD_BYTES, self.imaging
        )

    def worker_with(
        self,
        model: ImageModel | None = None,
        catalog: Callable[[], ModelCatalog] = lambda: CATALOG,
        storage: ObjectStore | None = None,
    ) -> GenerationWorker:
        return GenerationWorker(
            self.parts.records,
            self.parts.images,
            storage or self.parts.objects,
            model or self.model,
            catalog,
            max_receives=MAX_RECEIVES,
            imaging=self.imaging,
            on_retired_model=lambda spec: self.retired.append(spec.id),
        )

    def generate(self, prompt: str = "a lighthouse", **extra: Any) -> Image:
        return self.generation.generate(self.ada, ask(prompt, **extra)).image

    def edit(self, source: Image, prompt: str, **extra: Any) -> Image:
        return self.generation.edit(self.ada, source.image_id, ask(prompt, **extra)).image

    def process(
        self, image: Image, receive_count: int = 1, worker: GenerationWorker | None = None
    ) -> JobOutcome:
        job = GenerationJob(user_id=image.user_id, image_id=image.image_id)
        return (worker or self.worker).process(job, receive_count=receive_count)

    def drawn(self, image: Image) -> Image:
        """``image`` drawn by the worker and completed by the pipeline."""
        assert self.process(image) is JobOutcome.STORED
        assert self.pipeline.measure(self.record(image).object_key) is Outcome.COMPLETED
        return self.record(image)

    def uploaded(self, data: bytes) -> Image:
        """A PNG upload of ``data``, arrived and completed."""
        request = UploadRequest.model_validate(
            {"filename": "a.png", "contentType": "image/png", "size": len(data)}
        )
        image = self.parts.uploads().request_upload(self.ada, request).image
        self.parts.objects.write(incoming_key("ada", image.image_id), data, "image/png")
        assert self.pipeline.measure(incoming_key("ada", image.image_id)) is Outcome.COMPLETED
        return self.record(image)

    def record(self, image: Image) -> Image:
        return self.parts.record(image.user_id, image.image_id)

    def settled(self, image: Image) -> tuple[int, int, int]:
        """ada's balance, the charges and the refunds of ``image``."""
        return self.parts.balance("ada"), self.parts.charges("ada"), self.parts.refunds("ada", image.image_id)

    def sizes(self, request: ImageRequest) -> list[list[tuple[str, int, int] | str | None]]:
        """Each turn's parts: a text, or an input image's content type and size."""
        return [[self._shown(part) for part in turn.parts] for turn in request.turns]

    def _shown(self, part: Part) -> tuple[str, int, int] | str | None:
        if part.image is None:
            return part.text
        info = self.imaging.inspect(part.image.data)
        return part.image.mime_type, info.width, info.height


@pytest.fixture
def drawing() -> Drawing:
    return Drawing()


def test_a_job_is_drawn_at_the_records_model_size_and_ratio_and_completed_once(drawing: Drawing) -> None:
    image = drawing.generate(imageSize="2K", aspectRatio="4:1")

    done = drawing.drawn(image)

    (request,) = drawing.model.requests
    assert (request.model, request.image_size, request.aspect_ratio) == ("gemini-fast-image", "2K", "4:1")
    assert drawing.sizes(request) == [["a lighthouse"]]
    assert (done.status, done.metadata.width, done.metadata.height) == (ImageStatus.COMPLETED, 2048, 512)  # type: ignore[union-attr]
    # SQS delivers the job again, S3's event comes again: nothing is drawn, charged or counted twice.
    assert drawing.process(image, receive_count=2) is JobOutcome.SKIPPED
    assert drawing.pipeline.measure(done.object_key) is Outcome.IGNORED
    assert len(drawing.model.requests) == 1
    assert drawing.settled(image) == (850, 1, 0)
    assert drawing.parts.counted.totals == {Metric.GENERATIONS_COMPLETED: 1}


def test_the_models_turn_is_kept_beside_the_image_with_its_signatures(drawing: Drawing) -> None:
    image = drawing.drawn(drawing.generate("a red fox", model="pro"))

    kept = drawing.parts.objects.read_if_exists(turn_key("ada", image.image_id))

    assert kept is not None
    turn = ModelTurn.model_validate_json(kept)
    assert (turn.provider_model, turn.prompt, image.turn_key) == (
        "gemini-pro-image",
        "a red fox",
        turn_key("ada", image.image_id),
    )
    assert [(part.text, part.image, part.thought_signature) for part in turn.parts] == [
        ("Here is your image.", False, "signed-words"),
        (None, True, "signed-image"),
    ]


def test_an_edit_of_the_same_models_image_replays_its_turn(drawing: Drawing) -> None:
    source = drawing.drawn(drawing.generate("a red fox"))

    edit = drawing.drawn(drawing.edit(source, "give it a hat"))

    request = drawing.model.requests[-1]
    assert [turn.role for turn in request.turns] == ["user", "model", "user"]
    assert drawing.sizes(request) == [
        ["a red fox"],
        ["Here is your image.", ("image/jpeg", 1024, 1024)],
        ["give it a hat"],
    ]
    assert [part.thought_signature for part in request.turns[1].parts] == ["signed-words", "signed-image"]
    assert (edit.parent_image_id, edit.thread_id) == (source.image_id, source.image_id)


def test_an_upload_is_given_downscaled_before_the_references(drawing: Drawing) -> None:
    source = drawing.uploaded(picture("PNG", 3000, 2000))
    reference = drawing.uploaded(picture("PNG", 200, 120))

    drawing.drawn(drawing.edit(source, "make it pop", referenceImageIds=[reference.image_id]))

    request = drawing.model.requests[-1]
    assert drawing.sizes(request) == [["make it pop", ("image/jpeg", 1536, 1024), ("image/jpeg", 200, 120)]]
    assert request.aspect_ratio == "3:2"


def test_another_models_image_is_given_as_an_input_not_replayed(drawing: Drawing) -> None:
    source = drawing.drawn(drawing.generate("a red fox"))

    drawing.drawn(drawing.edit(source, "in oils", model="pro"))

    request = drawing.model.requests[-1]
    assert (request.model, drawing.sizes(request)) == (
        "gemini-pro-image",
        [["in oils", ("image/jpeg", 1024, 1024)]],
    )


def test_a_refused_prompt_fails_and_refunds_exactly_once(drawing: Drawing) -> None:
    image = drawing.generate("something forbidden")
    drawing.model.refuse("PROHIBITED_CONTENT")

    assert drawing.process(image) is JobOutcome.FAILED
    assert drawing.process(image, receive_count=2) is JobOutcome.SKIPPED

    failed = drawing.record(image)
    assert failed.status is ImageStatus.FAILED
    assert "PROHIBITED_CONTENT" in (failed.error or "")
    assert failed.error_code is ImageFailure.MODEL_REFUSED
    assert drawing.settled(image) == (1000, 1, 1)
    assert drawing.parts.ledger_sum("ada") == 1000
    assert drawing.parts.counted.totals == {Metric.GENERATIONS_FAILED: 1, Metric.COINS_REFUNDED: 100}


def test_a_model_google_retired_fails_refunds_once_and_is_reported(drawing: Drawing) -> None:
    image = drawing.generate()
    drawing.model.retired.add("gemini-fast-image")

    assert drawing.process(image) is JobOutcome.FAILED
    assert drawing.process(image, receive_count=2) is JobOutcome.SKIPPED

    assert (drawing.record(image).status, drawing.record(image).failure) == (
        ImageStatus.FAILED,
        MODEL_RETIRED,
    )
    assert drawing.retired == ["fast"]
    assert len(drawing.model.requests) == 1
    assert drawing.settled(image) == (1000, 1, 1)


def test_a_model_taken_out_of_the_catalog_fails_and_refunds_without_asking(drawing: Drawing) -> None:
    image = drawing.generate(model="pro")
    fast_only = ModelCatalog(models=[CATALOG.default])

    assert drawing.process(image, worker=drawing.worker_with(catalog=lambda: fast_only)) is JobOutcome.FAILED

    assert drawing.record(image).failure == MODEL_RETIRED
    assert (drawing.model.requests, drawing.retired) == ([], [])
    assert drawing.settled(image) == (1000, 1, 1)


def test_a_permanent_failure_of_the_model_fails_and_refunds(drawing: Drawing) -> None:
    image = drawing.generate()
    drawing.model.break_down()

    assert drawing.process(image) is JobOutcome.FAILED

    assert drawing.record(image).failure == Failure(
        ImageFailure.MODEL_FAILED, "The image model rejected the request (HTTP 400)."
    )
    assert drawing.settled(image) == (1000, 1, 1)


@pytest.mark.parametrize("unavailable", ["time_out", "overload"])
def test_a_model_unavailable_hands_the_image_back_and_the_next_delivery_draws_it(
    drawing: Drawing, unavailable: str
) -> None:
    image = drawing.generate()
    getattr(drawing.model, unavailable)()

    assert drawing.process(image) is JobOutcome.RETRY
    assert drawing.record(image).status is ImageStatus.PENDING
    assert drawing.settled(image) == (900, 1, 0)

    assert drawing.process(image, receive_count=2) is JobOutcome.STORED
    assert drawing.settled(image) == (900, 1, 0)


def test_the_last_delivery_of_a_model_that_stays_unavailable_fails_and_refunds_exactly_once(
    drawing: Drawing,
) -> None:
    image = drawing.generate()
    drawing.model.time_out(times=MAX_RECEIVES + 1)

    outcomes = [drawing.process(image, receive_count=count) for count in range(1, MAX_RECEIVES + 1)]
    again = drawing.process(image, receive_count=MAX_RECEIVES)  # the last delivery, delivered again

    assert outcomes == [JobOutcome.RETRY, JobOutcome.RETRY, JobOutcome.FAILED]
    assert again is JobOutcome.SKIPPED
    assert (drawing.record(image).status, drawing.record(image).failure) == (
        ImageStatus.FAILED,
        MODEL_UNAVAILABLE,
    )
    assert drawing.settled(image) == (1000, 1, 1)
    assert drawing.parts.ledger_sum("ada") == 1000


def test_a_source_deleted_after_the_request_fails_and_refunds_without_asking(drawing: Drawing) -> None:
    source = drawing.uploaded(picture("PNG", 64, 48))
    edit = drawing.edit(source, "sepia")
    drawing.parts.images.delete(drawing.ada, source.image_id)

    assert drawing.process(edit) is JobOutcome.FAILED

    assert (drawing.record(edit).status, drawing.record(edit).failure) == (ImageStatus.FAILED, SOURCE_GONE)
    assert drawing.model.requests == []
    assert drawing.settled(edit) == (950, 2, 1)  # the upload's 50 stay spent, the edit's 100 come back


def test_a_reference_deleted_after_the_request_fails_and_refunds(drawing: Drawing) -> None:
    reference = drawing.uploaded(picture("PNG", 64, 48))
    image = drawing.generate(referenceImageIds=[reference.image_id])
    drawing.parts.images.delete(drawing.ada, reference.image_id)

    assert drawing.process(image) is JobOutcome.FAILED

    assert drawing.record(image).failure == REFERENCE_GONE
    assert drawing.model.requests == []
    assert drawing.settled(image) == (950, 2, 1)


def test_an_input_that_is_no_longer_an_image_fails_and_refunds(drawing: Drawing) -> None:
    source = drawing.uploaded(picture("PNG", 64, 48))
    edit = drawing.edit(source, "sepia")
    drawing.parts.objects.write(source.object_key, b"overwritten with something else", "image/png")

    assert drawing.process(edit) is JobOutcome.FAILED

    assert drawing.record(edit).failure == INPUT_UNREADABLE
    assert drawing.settled(edit) == (950, 2, 1)


def test_an_image_deleted_while_the_model_draws_keeps_nothing(drawing: Drawing) -> None:
    image = drawing.generate()

    class DeletedMeanwhile(ScriptedImageModel):
        def generate(self, request: ImageRequest) -> ModelReply:
            reply = super().generate(request)
            drawing.parts.images.delete(drawing.ada, image.image_id)
            return reply

    assert drawing.process(image, worker=drawing.worker_with(model=DeletedMeanwhile())) is JobOutcome.SKIPPED

    assert drawing.parts.objects.objects == {}
    assert ("ada", image.image_id) not in drawing.parts.records.records
    assert drawing.settled(image) == (
        900,
        1,
        0,
    )  # a generated image's coins stay spent when its owner deletes it


class Unwritable(InMemoryObjects):
    """The store of ``objects``, refusing every write under ``prefix`` as S3 refuses when it slows down."""

    def __init__(self, objects: InMemoryObjects, prefix: str) -> None:
        super().__init__()
        self.objects = objects.objects  # the same objects: what the worker writes, the service removes
        self.prefix = prefix

    def write(self, key: str, data: bytes, content_type: str) -> None:
        if key.startswith(self.prefix):
            raise StorageUnavailable("the images bucket failed: SlowDown")
        super().write(key, data, content_type)


@pytest.mark.parametrize("unwritable", ["turns/", "images/"])
def test_what_cannot_be_stored_is_retried_then_refunded_leaving_nothing(
    drawing: Drawing, unwritable: str
) -> None:
    image = drawing.generate()
    worker = drawing.worker_with(storage=Unwritable(drawing.parts.objects, unwritable))

    assert drawing.process(image, worker=worker) is JobOutcome.RETRY
    assert drawing.record(image).status is ImageStatus.PENDING
    assert drawing.process(image, receive_count=MAX_RECEIVES, worker=worker) is JobOutcome.FAILED

    assert drawing.record(image).failure == STORAGE_FAILED
    assert drawing.parts.objects.objects == {}
    assert drawing.settled(image) == (1000, 1, 1)


def test_an_unforeseen_error_hands_the_image_back_and_the_last_delivery_refunds(drawing: Drawing) -> None:
    image = drawing.generate()

    class Broken(ScriptedImageModel):
        def generate(self, request: ImageRequest) -> ModelReply:
            raise TypeError("a bug nobody foresaw")

    broken = drawing.worker_with(model=Broken())
    with pytest.raises(TypeError):
        drawing.process(image, worker=broken)
    assert drawing.record(image).status is ImageStatus.PENDING  # not stuck in PROCESSING
    assert drawing.settled(image) == (900, 1, 0)

    with pytest.raises(TypeError):  # the job fails loudly: it goes to the DLQ, and the alarm rings
        drawing.process(image, receive_count=MAX_RECEIVES, worker=broken)
    assert (drawing.record(image).status, drawing.record(image).failure) == (
        ImageStatus.FAILED,
        STORAGE_FAILED,
    )
    assert drawing.settled(image) == (1000, 1, 1)


def test_a_catalog_that_fails_to_load_leaves_the_job_for_redelivery(drawing: Drawing) -> None:
    image = drawing.generate()

    def broken() -> ModelCatalog:
        return ModelCatalog.parse('[{"id": "fast"}]')

    with pytest.raises(CatalogInvalid):
        drawing.process(image, worker=drawing.worker_with(catalog=broken))

    assert drawing.record(image).status is ImageStatus.PENDING
    assert drawing.settled(image) == (900, 1, 0)
    assert drawing.process(image, receive_count=2) is JobOutcome.STORED
