"""The exports and export worker functions with the events/ samples, against moto, each call held to its
template policies: an export started, refused while it runs, built from the queue's message into a zip
holding the original, then shown READY with its download."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from typing import Any

import boto3

from devstack.lambdas import LambdaContext
from stacktools.samples import sample_event
from stacktools.template import Template
from tests import images
from tests.integration.conftest import Invoke, SignedIn, body_of, completed_upload

SignIn = Callable[[str], SignedIn]


def queued(template: Template) -> dict[str, Any]:
    """The export queue's message, as an SQS event for the worker (the sample's, with its body)."""
    url = template.physical["ExportQueue"].ref
    (message,) = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    event = sample_event("export_worker/sqs_batch.json")
    event["Records"][0]["body"] = message["Body"]
    return event


def build(invoke: Invoke, template: Template, event: dict[str, Any]) -> Any:
    """The worker run on ``event`` with the whole of its template timeout ahead of it (a plain
    invocation here has ten seconds, which the worker would take for a function about to end)."""
    worker = invoke.function("ExportWorkerFunction")
    spec = template.functions()["ExportWorkerFunction"]
    return worker.lambda_handler(event, LambdaContext(spec.name, deadline=time.time() + 900))


def test_an_export_is_started_refused_while_it_runs_built_and_downloaded(
    invoke: Invoke, template: Template, sign_in: SignIn
) -> None:
    ada = sign_in("ada@example.com")
    original = images.png(64, 48)
    image_id = completed_upload(invoke, template, ada.token, original, "image/png")
    nothing_yet = invoke("ExportsFunction", sample_event("exports/get_export.json", token=ada.token))

    started = invoke("ExportsFunction", sample_event("exports/start_export.json", token=ada.token))
    again = invoke("ExportsFunction", sample_event("exports/start_export.json", token=ada.token))
    built = build(invoke, template, queued(template))
    shown = invoke("ExportsFunction", sample_event("exports/get_export.json", token=ada.token))

    assert nothing_yet["statusCode"] == 404, nothing_yet
    assert started["statusCode"] == 202, started
    export = body_of(started)["export"]
    assert export["status"] == "PENDING"
    assert (export["downloadUrl"], export["expiresAt"]) == (None, None)
    assert export["progress"] == {"done": 0, "total": 0}
    assert again["statusCode"] == 429, again
    assert again["headers"]["Retry-After"] == "30"
    assert body_of(again)["error"]["code"] == "RATE_LIMITED"
    assert built == {"batchItemFailures": []}
    assert shown["statusCode"] == 200, shown
    ready = body_of(shown)["export"]
    assert (ready["id"], ready["status"]) == (export["id"], "READY")
    assert ready["progress"] == {"done": 1, "total": 1}
    assert ready["downloadUrl"].startswith("http")
    assert f"{export['id']}.zip" in ready["downloadUrl"]
    assert ready["expiresAt"] is not None
    key = f"exports/{ada.user['id']}/{export['id']}.zip"
    data = boto3.client("s3").get_object(Bucket=template.physical["ImagesBucket"].ref, Key=key)["Body"].read()
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.read("images/Holiday.png") == original
    assert [record["id"] for record in json.loads(archive.read("images.json"))] == [image_id]
    assert json.loads(archive.read("profile.json"))["email"] == "ada@example.com"
