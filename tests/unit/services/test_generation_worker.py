"""The generation worker against moto in-process and the Gemini stand-in over HTTP: what it asks the
model (sizes, ratios, inputs, replayed turns), what it keeps, and how every failure ends."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image as PILImage

from imagegen.adapters.gemini import GeminiClient
from imagegen.composition import Composition
from imagegen.errors import StorageUnavailable
from imagegen.models.auth import Caller
from imagegen.models.catalog import CatalogInvalid, ModelCatalog
from imagegen.models.images import (
    GenerateRequest,
    GenerationJob,
    Image,
    ImageFailure,
    ImageStatus,
    JobOutcome,
)
from imagegen.models.keys import turn_key
from imagegen.models.turns import ModelTurn
from imagegen.services.generation_worker import (
    MODEL_RETIRED,
    MODEL_UNAVAILABLE,
    REFERENCE_GONE,
    SOURCE_GONE,
    STORAGE_FAILED,
)
from imagegen.services.image_model import ImageRequest, ModelReply
from imagegen.services.pipeline import Outcome
from standins.gemini import LocalGemini, reference_tiles
from tests import images
from tests.images import BLUE, GREEN, RED, close_to
from tests.unit.conftest import MakeWorker, UploadImage

LedgerSum = Callable[[str], int]


def ask(prompt: str = "a lighthouse", **extra: Any) -> GenerateRequest:
    return GenerateRequest.model_validate({"prompt": prompt, **extra})


def job(image: Image) -> GenerationJob:
    return GenerationJob(user_id=image.user_id, image_id=image.image_id)


def record(services: Composition, image: Image) -> Image:
    found = services.image_records.get(image.user_id, image.image_id)
    assert found is not None
    return found


def drawn(services: Composition, image: Image) -> Image:
    """Run the worker on ``image``'s job, then the pipeline: the image as it ends."""
    assert services.generation_worker.process(job(image), receive_count=1) is JobOutcome.STORED
    stored = record(services, image)
    assert services.pipeline.measure(stored.object_key) is Outcome.COMPLETED
    return record(services, image)


def picture(services: Composition, image: Image) -> PILImage.Image:
    return PILImage.open(io.BytesIO(services.storage.read(image.object_key)))


def test_the_worker_draws_the_model_size_and_ratio_of_the_record(
    services: Composition, caller: Caller, gemini: LocalGemini
) -> None:
    image = services.generation.generate(caller, ask(imageSize="2K", aspectRatio="4:1")).image

    done = drawn(services, image)

    assert done.status is ImageStatus.COMPLETED
    assert (done.metadata.width, done.metadata.height) == (4096, 1024)  # type: ignore[union-attr]
    assert picture(services, done).size == (4096, 1024)
    (sent,) = gemini.requests()
    assert sent["model"] == "gemini-nano-banana-2.1"
    assert sent["generationConfig"]["imageConfig"] == {"aspectRatio": "4:1", "imageSize": "2K"}
    assert sent["turns"] == [{"role": "user", "parts": [{"text": "a lighthouse"}]}]
    assert (
        services.generation_worker.process(job(image), receive_count=1) is JobOutcome.SKIPPED
    )  # a duplicate
    assert gemini.calls == 1


def test_the_models_turn_is_kept_beside_the_image_with_its_signatures(
    services: Composition, caller: Caller, gemini: LocalGemini
) -> None:
    image = drawn(services, services.generation.generate(caller, ask("a red fox", model="pro")).image)

    turn = ModelTurn.model_validate_json(services.storage.read(turn_key(caller.user_id, image.image_id)))

    assert (turn.provider_model, turn.prompt) == ("gemini-3-pro-image", "a red fox")
    assert [(part.text, part.image) for part in turn.parts] == [("Here is your image.", False), (None, True)]
    assert all(part.thought_signature for part in turn.parts)


def test_an_upload_is_edited_from_a_downscaled_copy_with_its_references_after_it(
    services: Composition, caller: Caller, gemini: LocalGemini, completed_upload: UploadImage
) -> None:
    source = completed_upload(caller, images.png(3000, 2000, color=RED))
    first = completed_upload(caller, images.encode(images.solid(200, 200, BLUE), "JPEG"), "image/jpeg")
    second = completed_upload(caller, images.webp(120, 80, GREEN), "image/webp")
    request = ask("make it pop", referenceImageIds=[first.image_id, second.image_id])
    edit = services.generation.edit(caller, source.image_id, request).image

    done = drawn(services, edit)

    (sent,) = gemini.requests()
    (turn,) = sent["turns"]
    text, source_part, first_part, second_part = turn["parts"]
    assert text == {"text": "make it pop"}
    assert source_part["image"]["mimeType"] == "image/jpeg"
    assert (source_part["image"]["width"], source_part["image"]["height"]) == (1536, 1024)
    assert source_part["image"]["bytes"] < 1_000_000
    assert (first_part["image"]["width"], second_part["image"]["width"]) == (200, 120)
    assert sent["generationConfig"]["imageConfig"]["aspectRatio"] == "3:2"
    result = picture(services, done).convert("RGB")
    assert close_to(result.getpixel((result.width // 2, result.height // 2)), RED)
    for box, colour in zip(reference_tiles(*result.size, 2), (BLUE, GREEN), strict=True):
        assert close_to(result.getpixel(((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)), colour)


def test_an_edit_of_the_models_image_replays_its_turn(
    services: Composition, caller: Caller, gemini: LocalGemini
) -> None:
    generated = drawn(services, services.generation.generate(caller, ask("a red fox")).image)
    edit = services.generation.edit(caller, generated.image_id, ask("give it a hat")).image

    done = drawn(services, edit)

    sent = gemini.requests()[0]
    assert [turn["role"] for turn in sent["turns"]] == ["user", "model", "user"]
    assert sent["turns"][0]["parts"] == [{"text": "a red fox"}]
    words, image = sent["turns"][1]["parts"]
    assert words == {"text": "Here is your image.", "thoughtSignature": True}
    assert (image["image"]["width"], image["image"]["height"], image["thoughtSignature"]) == (
        1024,
        1024,
        True,
    )
    assert sent["turns"][2]["parts"] == [{"text": "give it a hat"}]
    assert (done.parent_image_id, done.thread_id) == (generated.image_id, generated.image_id)


def test_a_chain_of_edits_replays_the_previous_edit(
    services: Composition, caller: Caller, gemini: LocalGemini, completed_upload: UploadImage
) -> None:
    upload = completed_upload(caller)
    first = drawn(services, services.generation.edit(caller, upload.image_id, ask("sepia")).image)
    second = drawn(services, services.generation.edit(caller, first.image_id, ask("add a frame")).image)

    chain_request, first_request = gemini.requests(limit=2)

    assert [turn["role"] for turn in first_request["turns"]] == ["user"]
    assert [turn["role"] for turn in chain_request["turns"]] == ["user", "model", "user"]
    assert chain_request["turns"][0]["parts"] == [{"text": "sepia"}]
    assert second.thread_id == upload.image_id


def test_another_models_image_is_given_as_an_input_not_replayed(
    services: Composition, caller: Caller, gemini: LocalGemini
) -> None:
    generated = drawn(services, services.generation.generate(caller, ask("a red fox")).image)
    edit = services.generation.edit(caller, generated.image_id, ask("in oils", model="pro")).image

    drawn(services, edit)

    sent = gemini.requests()[0]
    assert sent["model"] == "gemini-3-pro-image"
    (turn,) = sent["turns"]
    assert [sorted(part) for part in turn["parts"]] == [["text"], ["image"]]


def test_a_source_deleted_after_the_request_fails_and_refunds(
    services: Composition,
    caller: Caller,
    gemini: LocalGemini,
    completed_upload: UploadImage,
    ledger_sum: LedgerSum,
) -> None:
    source = completed_upload(caller)
    edit = services.generation.edit(caller, source.image_id, ask("sepia")).image
    services.images.delete(caller, source.image_id)

    assert services.generation_worker.process(job(edit), receive_count=1) is JobOutcome.FAILED

    assert (record(services, edit).status, record(services, edit).failure) == (
        ImageStatus.FAILED,
        SOURCE_GONE,
    )
    assert services.coins.balance(caller.user_id) == 950 == ledger_sum(caller.user_id)  # the upload's 50
    assert gemini.calls == 0


def test_a_reference_deleted_after_the_request_fails_and_refunds(
    services: Composition, caller: Caller, gemini: LocalGemini, completed_upload: UploadImage
) -> None:
    reference = completed_upload(caller)
    image = services.generation.generate(caller, ask(referenceImageIds=[reference.image_id])).image
    services.images.delete(caller, reference.image_id)

    assert services.generation_worker.process(job(image), receive_count=1) is JobOutcome.FAILED

    assert record(services, image).failure == REFERENCE_GONE
    assert services.coins.balance(caller.user_id) == 950
    assert gemini.calls == 0


def catalog_where_fast_is(provider_model: str, services: Composition) -> ModelCatalog:
    models = [model.model_dump(by_alias=True) for model in services.catalog().models]
    models[0]["providerModel"] = provider_model
    return ModelCatalog.parse(json.dumps(models))


def test_a_model_google_shut_down_fails_refunds_and_is_reported(
    services: Composition, caller: Caller, gemini: LocalGemini, ledger_sum: LedgerSum, make_worker: MakeWorker
) -> None:
    image = services.generation.generate(caller, ask()).image
    retired: list[str] = []
    retired_fast = catalog_where_fast_is("gemini-2.5-flash-image", services)
    worker = make_worker(catalog=lambda: retired_fast, on_retired=retired.append)

    assert worker.process(job(image), receive_count=1) is JobOutcome.FAILED
    assert worker.process(job(image), receive_count=2) is JobOutcome.SKIPPED

    assert (record(services, image).status, record(services, image).failure) == (
        ImageStatus.FAILED,
        MODEL_RETIRED,
    )
    assert "no longer available" in MODEL_RETIRED.message
    assert retired == ["fast"]
    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)
    assert gemini.calls == 1  # a 404 is not retried


def test_a_model_taken_out_of_the_catalog_fails_and_refunds(
    services: Composition, caller: Caller, gemini: LocalGemini, make_worker: MakeWorker
) -> None:
    image = services.generation.generate(caller, ask(model="lite")).image
    without_lite = ModelCatalog.parse(
        json.dumps(
            [model.model_dump(by_alias=True) for model in services.catalog().models if model.id != "lite"]
        )
    )
    retired: list[str] = []
    worker = make_worker(catalog=lambda: without_lite, on_retired=retired.append)

    assert worker.process(job(image), receive_count=1) is JobOutcome.FAILED

    assert record(services, image).failure == MODEL_RETIRED
    assert (retired, gemini.calls) == ([], 0)
    assert services.coins.balance(caller.user_id) == 1000


def test_a_refused_prompt_fails_and_refunds(
    services: Composition, caller: Caller, gemini: LocalGemini, ledger_sum: LedgerSum
) -> None:
    image = services.generation.generate(caller, ask("something forbidden")).image

    assert services.generation_worker.process(job(image), receive_count=1) is JobOutcome.FAILED
    failed = record(services, image)
    assert failed.status is ImageStatus.FAILED
    assert failed.error is not None
    assert "PROHIBITED_CONTENT" in failed.error
    assert failed.error_code is ImageFailure.MODEL_REFUSED
    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)


def test_an_unavailable_model_is_retried_by_the_next_delivery(
    services: Composition, caller: Caller, gemini: LocalGemini
) -> None:
    image = services.generation.generate(caller, ask()).image
    gemini.fail_next(3, 503)  # every in-invocation attempt of the first delivery

    assert services.generation_worker.process(job(image), receive_count=1) is JobOutcome.RETRY
    assert record(services, image).status is ImageStatus.PENDING
    assert services.coins.balance(caller.user_id) == 900
    assert services.generation_worker.process(job(image), receive_count=2) is JobOutcome.STORED


def test_the_last_delivery_fails_and_refunds_exactly_once(
    services: Composition, caller: Caller, gemini: LocalGemini, ledger_sum: LedgerSum
) -> None:
    image = services.generation.generate(caller, ask()).image
    gemini.fail_next(100, 500)
    last = services.settings.generation.max_receives

    assert services.generation_worker.process(job(image), receive_count=last) is JobOutcome.FAILED
    assert services.generation_worker.process(job(image), receive_count=last) is JobOutcome.SKIPPED
    assert (record(services, image).status, record(services, image).failure) == (
        ImageStatus.FAILED,
        MODEL_UNAVAILABLE,
    )
    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)


def test_a_deleted_image_is_not_drawn(services: Composition, caller: Caller, gemini: LocalGemini) -> None:
    image = services.generation.generate(caller, ask()).image
    services.images.delete(caller, image.image_id)

    assert services.generation_worker.process(job(image), receive_count=1) is JobOutcome.SKIPPED
    assert gemini.calls == 0


def test_an_image_deleted_while_the_model_draws_keeps_nothing(
    services: Composition, caller: Caller, gemini: LocalGemini, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = services.generation.generate(caller, ask()).image
    write = services.storage.write

    def delete_after_the_turn(key: str, data: bytes, content_type: str) -> None:
        write(key, data, content_type)
        if key.startswith("turns/"):
            services.images.delete(caller, image.image_id)

    monkeypatch.setattr(services.storage, "write", delete_after_the_turn)

    assert services.generation_worker.process(job(image), receive_count=1) is JobOutcome.SKIPPED
    assert services.aws.s3.list_objects_v2(Bucket=services.settings.images.bucket).get("KeyCount") == 0


def test_deleting_a_generated_image_removes_its_turn(
    services: Composition, caller: Caller, gemini: LocalGemini
) -> None:
    image = drawn(services, services.generation.generate(caller, ask()).image)
    assert services.storage.read_if_exists(turn_key(caller.user_id, image.image_id)) is not None

    services.images.delete(caller, image.image_id)

    assert services.aws.s3.list_objects_v2(Bucket=services.settings.images.bucket).get("KeyCount") == 0


def test_a_catalog_that_fails_to_load_leaves_the_job_for_redelivery(
    services: Composition, caller: Caller, gemini: LocalGemini, make_worker: MakeWorker
) -> None:
    image = services.generation.generate(caller, ask()).image

    def broken() -> ModelCatalog:
        return ModelCatalog.parse('[{"id": "fast"}]')

    with pytest.raises(CatalogInvalid):
        make_worker(catalog=broken).process(job(image), receive_count=1)

    assert record(services, image).status is ImageStatus.PENDING
    assert make_worker().process(job(image), receive_count=2) is JobOutcome.STORED


def test_an_unforeseen_error_hands_the_image_back_and_the_last_delivery_refunds(
    services: Composition,
    caller: Caller,
    gemini: LocalGemini,
    make_worker: MakeWorker,
    ledger_sum: LedgerSum,
) -> None:
    image = services.generation.generate(caller, ask()).image

    class Broken(GeminiClient):
        def generate(self, request: ImageRequest) -> ModelReply:
            raise TypeError("a bug nobody foresaw")

    worker = make_worker(
        gemini_client=Broken(services.settings.gemini.base_url, lambda: "", timeout_seconds=1)
    )
    with pytest.raises(TypeError):
        worker.process(job(image), receive_count=1)
    assert record(services, image).status is ImageStatus.PENDING  # not stuck in PROCESSING

    with pytest.raises(TypeError):  # the job fails loudly: it goes to the DLQ, and the alarm rings
        worker.process(job(image), receive_count=services.settings.generation.max_receives)
    assert (record(services, image).status, record(services, image).failure) == (
        ImageStatus.FAILED,
        STORAGE_FAILED,
    )
    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)


@pytest.mark.parametrize("unwritable", ["turns/", "images/"])
def test_what_cannot_be_stored_is_retried_then_refunded_leaving_nothing(
    services: Composition,
    caller: Caller,
    gemini: LocalGemini,
    ledger_sum: LedgerSum,
    monkeypatch: pytest.MonkeyPatch,
    unwritable: str,
) -> None:
    image = services.generation.generate(caller, ask()).image
    write = services.storage.write

    def slow_down(key: str, data: bytes, content_type: str) -> None:
        if key.startswith(unwritable):
            raise StorageUnavailable("the images bucket failed: SlowDown")
        write(key, data, content_type)

    monkeypatch.setattr(services.storage, "write", slow_down)
    assert services.generation_worker.process(job(image), receive_count=1) is JobOutcome.RETRY
    assert record(services, image).status is ImageStatus.PENDING
    last = services.settings.generation.max_receives
    assert services.generation_worker.process(job(image), receive_count=last) is JobOutcome.FAILED

    assert record(services, image).failure == STORAGE_FAILED
    assert services.aws.s3.list_objects_v2(Bucket=services.settings.images.bucket).get("KeyCount") == 0
    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)


def test_an_edit_of_an_image_without_a_kept_turn_gives_it_as_an_input(
    services: Composition, caller: Caller, gemini: LocalGemini
) -> None:
    generated = drawn(services, services.generation.generate(caller, ask("a red fox")).image)
    services.aws.dynamodb.update_item(  # as an image made before turns were kept
        TableName=services.settings.images.table,
        Key={"userId": {"S": caller.user_id}, "imageId": {"S": generated.image_id}},
        UpdateExpression="REMOVE turnKey",
    )

    drawn(services, services.generation.edit(caller, generated.image_id, ask("in oils")).image)

    (turn,) = gemini.requests()[0]["turns"]
    assert [sorted(part) for part in turn["parts"]] == [["text"], ["image"]]
