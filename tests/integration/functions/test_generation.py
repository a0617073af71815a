"""generate and generate_worker handlers with events/ samples, against moto and the Gemini stand-in."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from devstack.gemini import LocalGemini
from tests.integration.conftest import Invoke, SignedIn, body_of, load_event

SignIn = Callable[[str], SignedIn]


def generate(invoke: Invoke, token: str, prompt: str, key: str | None = None) -> dict[str, Any]:
    event = load_event("images/generate.json", token=token, body={"prompt": prompt})
    if key is None:
        event["headers"].pop("idempotency-key")
    else:
        event["headers"]["idempotency-key"] = key
    return invoke("GenerateFunction", event)


def batch(jobs: list[dict[str, Any] | str], receive_count: int = 1) -> dict[str, Any]:
    event: dict[str, Any] = load_event("generate_worker/sqs_batch.json")
    template = event["Records"][0]
    records = []
    for index, job in enumerate(jobs):
        record = copy.deepcopy(template)
        record["messageId"] = f"message-{index}"
        record["body"] = job if isinstance(job, str) else json.dumps(job)
        record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
        records.append(record)
    return {"Records": records}


def test_generate_answers_202_with_the_image_and_the_new_balance(invoke: Invoke, sign_in: SignIn) -> None:
    ada = sign_in("ada@example.com")
    response = generate(invoke, ada.token, "a lighthouse", key="K1")
    replay = generate(invoke, ada.token, "a lighthouse", key="K1")
    conflict = generate(invoke, ada.token, "a castle", key="K1")

    assert response["statusCode"] == 202
    body = body_of(response)
    assert (body["image"]["status"], body["image"]["type"], body["user"]["coins"]) == (
        "PENDING",
        "GENERATED",
        900,
    )
    assert body_of(replay)["image"]["id"] == body["image"]["id"]
    assert conflict["statusCode"] == 409
    assert body_of(conflict)["error"]["code"] == "CONFLICT"


def test_one_bad_message_never_fails_its_batch_mates(
    invoke: Invoke, sign_in: SignIn, gemini: LocalGemini
) -> None:
    ada = sign_in("ada@example.com")
    images = [
        body_of(generate(invoke, ada.token, prompt))["image"] for prompt in ("a harbour", "a forbidden thing")
    ]
    jobs: list[dict[str, Any] | str] = [
        {"userId": ada.user["id"], "imageId": image["id"], "prompt": image["prompt"]} for image in images
    ]
    jobs.append("{not json")

    response = invoke("GenerateWorkerFunction", batch(jobs))

    assert response == {"batchItemFailures": []}
    assert gemini.calls == 2


def test_an_unavailable_model_reports_only_that_message_for_redelivery(
    invoke: Invoke, sign_in: SignIn, gemini: LocalGemini
) -> None:
    ada = sign_in("ada@example.com")
    image = body_of(generate(invoke, ada.token, "a harbour"))["image"]
    job = {"userId": ada.user["id"], "imageId": image["id"], "prompt": "a harbour"}
    gemini.fail_next(3, 503)

    response = invoke(
        "GenerateWorkerFunction", batch([job, {**job, "imageId": "01JNOSUCHIMAGE000000000000"}])
    )

    assert response == {"batchItemFailures": [{"itemIdentifier": "message-0"}]}


def test_a_batch_where_every_job_waits_for_the_model_reports_them_all(
    invoke: Invoke, sign_in: SignIn, gemini: LocalGemini
) -> None:
    ada = sign_in("ada@example.com")
    image = body_of(generate(invoke, ada.token, "a harbour"))["image"]
    gemini.fail_next(3, 429)

    response = invoke(
        "GenerateWorkerFunction", batch([{"userId": ada.user["id"], "imageId": image["id"], "prompt": "a"}])
    )

    assert response == {"batchItemFailures": [{"itemIdentifier": "message-0"}]}
