"""generate and generate_worker handlers with events/ samples, against moto and the Gemini stand-in."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from stacktools.samples import sample_event
from stacktools.template import Template
from standins.gemini import LocalGemini
from tests import images
from tests.integration.conftest import Invoke, SignedIn, body_of, completed_upload

SignIn = Callable[[str], SignedIn]


def generate(invoke: Invoke, token: str, prompt: str, key: str | None = None) -> dict[str, Any]:
    event = sample_event("images/generate.json", token=token, body={"prompt": prompt})
    if key is None:
        event["headers"].pop("idempotency-key")
    else:
        event["headers"]["idempotency-key"] = key
    return invoke("GenerateFunction", event)


def batch(jobs: list[dict[str, Any] | str], receive_count: int = 1) -> dict[str, Any]:
    event: dict[str, Any] = sample_event("generate_worker/sqs_batch.json")
    template = event["Records"][0]
    records = []
    for index, job in enumerate(jobs):
        record = copy.deepcopy(template)
        record["messageId"] = f"message-{index}"
        record["body"] = job if isinstance(job, str) else json.dumps(job)
        record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
        records.append(record)
    return {"Records": records}


def test_the_models_are_listed_without_a_token(invoke: Invoke) -> None:
    response = invoke("GenerateFunction", sample_event("images/list_models.json"))

    assert response["statusCode"] == 200
    models = body_of(response)["models"]
    assert [(model["id"], model["default"], model["costs"]["1K"]) for model in models] == [
        ("fast", True, 100),
        ("pro", False, 399),
        ("lite", False, 100),
    ]
    assert "providerModel" not in models[0]


def test_a_bad_catalog_fails_loudly_and_charges_nothing(
    invoke: Invoke, sign_in: SignIn, template: Template
) -> None:
    ada = sign_in("ada@example.com")
    boto3.client("ssm").put_parameter(
        Name=template.physical["ModelCatalogParameter"].ref,
        Value='[{"id": "fast", "name": "no sizes"}]',
        Overwrite=True,
    )

    listed = invoke("GenerateFunction", sample_event("images/list_models.json"))
    generated = generate(invoke, ada.token, "a lighthouse")

    assert (listed["statusCode"], body_of(listed)["error"]["code"]) == (500, "INTERNAL")
    assert generated["statusCode"] == 500
    me = invoke("UsersFunction", sample_event("users/my_profile.json", token=ada.token))
    assert body_of(me)["user"]["coins"] == 1000


def test_the_style_presets_are_listed_without_a_token(invoke: Invoke) -> None:
    response = invoke("GenerateFunction", sample_event("images/style_presets.json"))

    assert response["statusCode"] == 200, response
    presets = body_of(response)["presets"]
    assert [preset["name"] for preset in presets][:3] == ["Photo", "Watercolour", "Anime"]
    assert set(presets[0]) == {"name", "names", "words"}
    # A Spanish user's chips: names["es"], else the name.
    assert [preset["names"].get("es", preset["name"]) for preset in presets][:3] == [
        "Foto",
        "Acuarela",
        "Anime",
    ]


def test_a_preset_without_names_in_other_languages_is_listed_with_none(
    invoke: Invoke, template: Template
) -> None:
    boto3.client("ssm").put_parameter(
        Name=template.physical["StylePresetsParameter"].ref,
        Value='[{"name": "Photo", "words": "a photograph"}]',
        Overwrite=True,
    )

    response = invoke("GenerateFunction", sample_event("images/style_presets.json"))

    assert body_of(response)["presets"] == [{"name": "Photo", "names": {}, "words": "a photograph"}]


def test_bad_style_presets_fail_loudly_until_fixed_and_generation_goes_on(
    invoke: Invoke, sign_in: SignIn, template: Template
) -> None:
    ada = sign_in("ada@example.com")
    boto3.client("ssm").put_parameter(
        Name=template.physical["StylePresetsParameter"].ref,
        Value='[{"name": "Photo", "words": ""}]',
        Overwrite=True,
    )

    listed = invoke("GenerateFunction", sample_event("images/style_presets.json"))

    assert (listed["statusCode"], body_of(listed)["error"]["code"]) == (500, "INTERNAL")
    assert generate(invoke, ada.token, "a lighthouse, watercolour painting")["statusCode"] == 202


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
    assert (body["image"]["model"], body["image"]["imageSize"], body["image"]["aspectRatio"]) == (
        "fast",
        "1K",
        "1:1",
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
        {"userId": ada.user["id"], "imageId": image["id"]} for image in images
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
    job = {"userId": ada.user["id"], "imageId": image["id"]}
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

    response = invoke("GenerateWorkerFunction", batch([{"userId": ada.user["id"], "imageId": image["id"]}]))

    assert response == {"batchItemFailures": [{"itemIdentifier": "message-0"}]}


def test_edit_and_thread_with_the_sample_events(invoke: Invoke, sign_in: SignIn, template: Template) -> None:
    ada = sign_in("ada@example.com")
    source = completed_upload(invoke, template, ada.token, images.png(80, 60), "image/png")
    reference = completed_upload(invoke, template, ada.token, images.png(40, 40), "image/png")
    event = sample_event("images/edit_image.json", token=ada.token, path_id=source)
    sample = json.loads(event["body"])
    event["body"] = json.dumps({**sample, "referenceImageIds": [reference]})

    edited = invoke("GenerateFunction", event)
    replay = invoke("GenerateFunction", copy.deepcopy(event))
    thread = invoke(
        "ListImagesFunction", sample_event("images/image_thread.json", token=ada.token, path_id=source)
    )

    assert edited["statusCode"] == 202, edited
    image = body_of(edited)["image"]
    assert (image["parentImageId"], image["threadId"], image["referenceImageIds"]) == (
        source,
        source,
        [reference],
    )
    assert (image["imageSize"], image["aspectRatio"], image["coinsUsed"]) == ("2K", "4:3", 150)
    assert body_of(edited)["user"]["coins"] == 1000 - 50 - 50 - 150
    assert body_of(replay)["image"]["id"] == image["id"]
    assert thread["statusCode"] == 200
    assert [item["id"] for item in body_of(thread)["images"]] == [source, image["id"]]


def test_an_edit_of_a_missing_image_is_404(invoke: Invoke, sign_in: SignIn) -> None:
    ada = sign_in("ada@example.com")
    event = sample_event("images/edit_image.json", token=ada.token, path_id="01JNOSUCHIMAGE000000000000")

    response = invoke("GenerateFunction", event)

    assert (response["statusCode"], body_of(response)["error"]["code"]) == (404, "NOT_FOUND")


def test_a_retired_model_is_counted_for_the_alarm(
    invoke: Invoke,
    sign_in: SignIn,
    template: Template,
    gemini: LocalGemini,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ada = sign_in("ada@example.com")
    image = body_of(generate(invoke, ada.token, "a harbour"))["image"]
    # Ops' catalog still names a model Google has since shut down.
    ssm = boto3.client("ssm")
    name = template.physical["ModelCatalogParameter"].ref
    catalog = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    catalog[0]["providerModel"] = "gemini-2.5-flash-image"
    ssm.put_parameter(Name=name, Value=json.dumps(catalog), Overwrite=True)
    capsys.readouterr()

    response = invoke("GenerateWorkerFunction", batch([{"userId": ada.user["id"], "imageId": image["id"]}]))

    assert response == {"batchItemFailures": []}
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    alarm = template.resources["RetiredModelAlarm"]["Properties"]
    (metric,) = [blob for blob in emitted if alarm["MetricName"] in blob]
    (directive,) = metric["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == template.resolve(alarm["Namespace"])
    assert directive["Dimensions"] == [[dimension["Name"] for dimension in alarm["Dimensions"]]]
    assert metric["service"] == alarm["Dimensions"][0]["Value"]
    assert (metric[alarm["MetricName"]], metric["model"]) == ([1.0], "fast")
    assert gemini.calls == 1


def test_a_job_that_fails_other_than_waiting_for_the_model_is_counted(
    invoke: Invoke, sign_in: SignIn, template: Template, capsys: pytest.CaptureFixture[str]
) -> None:
    ada = sign_in("ada@example.com")
    image = body_of(generate(invoke, ada.token, "a harbour"))["image"]
    # Ops broke the catalog after the request was accepted: the job cannot be priced or drawn.
    boto3.client("ssm").put_parameter(
        Name=template.physical["ModelCatalogParameter"].ref, Value="[{", Overwrite=True
    )
    capsys.readouterr()

    response = invoke("GenerateWorkerFunction", batch([{"userId": ada.user["id"], "imageId": image["id"]}]))

    assert response == {"batchItemFailures": [{"itemIdentifier": "message-0"}]}
    # (Its log line goes to the stream the worker's logger was made with, in an earlier test.)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (counted,) = [line for line in lines if "GenerationJobErrors" in line]
    assert (counted["service"], counted["GenerationJobErrors"]) == ("generate_worker", [1.0])


def test_waiting_for_the_model_is_no_job_error(
    invoke: Invoke, sign_in: SignIn, gemini: LocalGemini, capsys: pytest.CaptureFixture[str]
) -> None:
    ada = sign_in("ada@example.com")
    image = body_of(generate(invoke, ada.token, "a harbour"))["image"]
    gemini.fail_next(3, 503)
    capsys.readouterr()

    response = invoke("GenerateWorkerFunction", batch([{"userId": ada.user["id"], "imageId": image["id"]}]))

    assert response == {"batchItemFailures": [{"itemIdentifier": "message-0"}]}
    assert "GenerationJobErrors" not in capsys.readouterr().out
