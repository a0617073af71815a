"""Generation requests and the worker against moto in-process and the Gemini stand-in over HTTP."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError
from PIL import Image as PILImage

from devstack.gemini import LocalGemini
from imagegen import aws
from imagegen.container import Services
from imagegen.errors import Conflict, InsufficientCoins
from imagegen.models.auth import Caller
from imagegen.models.images import GenerateRequest, GenerationJob, ImageStatus
from imagegen.services.generation import MODEL_UNAVAILABLE, QUEUE_FAILED, JobOutcome
from imagegen.services.pipeline import Outcome

LedgerSum = Callable[[str], int]


def ask(prompt: str = "a lighthouse", **extra: object) -> GenerateRequest:
    return GenerateRequest.model_validate({"prompt": prompt, **extra})


def queued(services: Services) -> list[dict[str, object]]:
    messages = aws.sqs().receive_message(
        QueueUrl=services.settings.generate_queue_url, MaxNumberOfMessages=10
    )
    return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


def job_of(
    services: Services, caller: Caller, prompt: str = "a lighthouse", ratio: str | None = None
) -> GenerationJob:
    image = services.generation.request(
        caller, ask(prompt, **({"aspectRatio": ratio} if ratio else {}))
    ).image
    return GenerationJob(user_id=caller.user_id, image_id=image.image_id, prompt=prompt, aspect_ratio=ratio)


def status(services: Services, job: GenerationJob) -> ImageStatus:
    image = services.image_records.get(job.user_id, job.image_id)
    assert image is not None
    return image.status


def test_a_request_is_charged_recorded_and_queued(
    services: Services, caller: Caller, ledger_sum: LedgerSum
) -> None:
    generation = services.generation.request(caller, ask("  a lighthouse  ", aspectRatio="9:16"))

    image = generation.image
    assert (image.status, image.prompt, image.coins_used, image.title) == (
        ImageStatus.PENDING,
        "a lighthouse",
        100,
        "a lighthouse",
    )
    assert generation.balance == 900 == ledger_sum(caller.user_id)
    assert queued(services) == [
        {"userId": caller.user_id, "imageId": image.image_id, "prompt": "a lighthouse", "aspectRatio": "9:16"}
    ]


def test_short_of_coins_writes_and_queues_nothing(services: Services, caller: Caller) -> None:
    services.coins.grant(caller.user_id, -950, note="leave 50")
    with pytest.raises(InsufficientCoins):
        services.generation.request(caller, ask())
    assert queued(services) == []
    assert services.coins.balance(caller.user_id) == 50


def test_a_job_that_cannot_be_queued_is_failed_and_refunded_before_answering(
    services: Services, caller: Caller, ledger_sum: LedgerSum, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(_: object) -> None:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessage")

    monkeypatch.setattr(services.generation._queue, "send", unreachable)
    with pytest.raises(ClientError):
        services.generation.request(caller, ask())

    (image,) = services.image_records.list_page(caller.user_id, 10, None)[0]
    assert (image.status, image.error) == (ImageStatus.FAILED, QUEUE_FAILED)
    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)


def test_an_idempotency_key_makes_one_image_per_user_and_body(services: Services, caller: Caller) -> None:
    first = services.generation.request(caller, ask(), idempotency_key="K1")
    again = services.generation.request(caller, ask(), idempotency_key="K1")
    with pytest.raises(Conflict):
        services.generation.request(caller, ask("another prompt"), idempotency_key="K1")

    assert again.image.image_id == first.image.image_id
    assert services.coins.balance(caller.user_id) == 900
    assert len(queued(services)) == 1


def test_a_refused_request_under_a_key_can_be_retried(services: Services, caller: Caller) -> None:
    services.coins.grant(caller.user_id, -950, note="leave 50")
    with pytest.raises(InsufficientCoins):
        services.generation.request(caller, ask(), idempotency_key="K2")
    services.coins.grant(caller.user_id, 50, note="top up")

    assert services.generation.request(caller, ask(), idempotency_key="K2").balance == 0


def test_the_worker_stores_the_generated_png_and_the_pipeline_completes_it(
    services: Services, caller: Caller, gemini: LocalGemini
) -> None:
    job = job_of(services, caller, ratio="16:9")

    assert services.generation_worker.process(job, receive_count=1) is JobOutcome.STORED
    assert services.generation_worker.process(job, receive_count=1) is JobOutcome.SKIPPED  # a duplicate

    image = services.image_records.get(job.user_id, job.image_id)
    assert image is not None
    assert (image.status, image.object_key) == (
        ImageStatus.PROCESSING,
        f"images/{job.user_id}/{job.image_id}.png",
    )
    with PILImage.open(io.BytesIO(services.storage.read(image.object_key))) as png:
        assert (png.format, png.size) == ("PNG", (1024, 576))
    assert services.pipeline.measure(image.object_key) is Outcome.COMPLETED
    assert gemini.calls == 1


def test_a_refused_prompt_fails_and_refunds(
    services: Services, caller: Caller, gemini: LocalGemini, ledger_sum: LedgerSum
) -> None:
    job = job_of(services, caller, prompt="something forbidden")

    assert services.generation_worker.process(job, receive_count=1) is JobOutcome.FAILED
    image = services.image_records.get(job.user_id, job.image_id)
    assert image is not None
    assert image.status is ImageStatus.FAILED
    assert image.error is not None
    assert "PROHIBITED_CONTENT" in image.error
    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)


def test_an_unavailable_model_is_retried_by_the_next_delivery(
    services: Services, caller: Caller, gemini: LocalGemini
) -> None:
    job = job_of(services, caller)
    gemini.fail_next(3, 503)  # every in-invocation attempt of the first delivery

    assert services.generation_worker.process(job, receive_count=1) is JobOutcome.RETRY
    assert status(services, job) is ImageStatus.PENDING
    assert services.coins.balance(caller.user_id) == 900
    assert services.generation_worker.process(job, receive_count=2) is JobOutcome.STORED


def test_the_last_delivery_fails_and_refunds_exactly_once(
    services: Services, caller: Caller, gemini: LocalGemini, ledger_sum: LedgerSum
) -> None:
    job = job_of(services, caller)
    gemini.fail_next(100, 500)
    last = services.settings.generate_max_receives

    assert services.generation_worker.process(job, receive_count=last) is JobOutcome.FAILED
    assert services.generation_worker.process(job, receive_count=last) is JobOutcome.SKIPPED
    image = services.image_records.get(job.user_id, job.image_id)
    assert image is not None
    assert (image.status, image.error) == (ImageStatus.FAILED, MODEL_UNAVAILABLE)
    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)


def test_a_deleted_image_is_not_drawn(services: Services, caller: Caller, gemini: LocalGemini) -> None:
    job = job_of(services, caller)
    aws.dynamodb().delete_item(
        TableName=services.settings.images_table,
        Key={"userId": {"S": job.user_id}, "imageId": {"S": job.image_id}},
    )
    assert services.generation_worker.process(job, receive_count=1) is JobOutcome.SKIPPED
    assert gemini.calls == 0


def test_an_s3_write_failure_is_retried_then_refunded(
    services: Services,
    caller: Caller,
    gemini: LocalGemini,
    ledger_sum: LedgerSum,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = job_of(services, caller)

    def broken(*_: object) -> None:
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "slow down"}}, "PutObject")

    monkeypatch.setattr(services.storage, "write", broken)
    assert services.generation_worker.process(job, receive_count=1) is JobOutcome.RETRY
    assert status(services, job) is ImageStatus.PENDING
    last = services.settings.generate_max_receives
    assert services.generation_worker.process(job, receive_count=last) is JobOutcome.FAILED
    assert services.coins.balance(caller.user_id) == 1000 == ledger_sum(caller.user_id)
