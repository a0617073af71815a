"""Handlers invoked in-process with their template environment, events from events/, moto in-process."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from devstack.iam import checker, function_policy
from devstack.lambdas import LambdaContext
from imagegen import aws as aws_clients
from stacktools.samples import sample_event
from stacktools.template import Template
from tests.conftest import ServedIssuer, reset_container

Invoke = Callable[..., dict[str, Any]]


_modules: dict[Path, ModuleType] = {}


def _handler_module(path: Path, name: str) -> ModuleType:
    """The function's app.py, loaded from where the template says it is."""
    if path not in _modules:
        spec = importlib.util.spec_from_file_location(f"function_{name}", path)
        assert spec
        assert spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[path] = module
    return _modules[path]


@pytest.fixture
def invoke(template: Template, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``invoke("AuthFunction", event)``: the function's handler run on ``event`` with its template env,
    every AWS call it makes held to its template policies (as the local stack holds them)."""
    functions = template.functions()

    def call(logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        spec = functions[logical_id]
        for name, value in spec.environment.items():
            monkeypatch.setenv(name, value)
        reset_container()
        # The container's clients, made from its session after this, carry the check.
        aws_clients.session().events.register(
            "before-parameter-build", checker(function_policy(template, logical_id), spec.name)
        )
        module = _handler_module(spec.code_dir / f"{spec.handler.split('.')[0]}.py", logical_id)
        response: dict[str, Any] = module.lambda_handler(event, LambdaContext(function_name=spec.name))
        return response

    return call


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None


@dataclass
class SignedIn:
    user: dict[str, Any]
    token: str
    refresh_token: str


@pytest.fixture
def sign_in(invoke: Invoke, issuer: ServedIssuer) -> Callable[[str], SignedIn]:
    """Sign ``email`` in through the auth function."""

    def sign_in_(email: str) -> SignedIn:
        response = invoke(
            "AuthFunction",
            sample_event("auth/sign_in_with_google.json", body={"token": issuer.id_token(email)}),
        )
        assert response["statusCode"] == 200, response
        body = body_of(response)
        return SignedIn(user=body["user"], token=body["token"], refresh_token=body["refreshToken"])

    return sign_in_


def object_created(template: Template, key: str) -> dict[str, Any]:
    """The EventBridge "Object Created" sample event for ``key`` in the images bucket."""
    event = sample_event("pipeline/object_created.json")
    bucket = template.physical["ImagesBucket"].ref
    event["detail"]["bucket"]["name"] = bucket
    event["resources"] = [f"arn:aws:s3:::{bucket}"]
    event["detail"]["object"]["key"] = key
    return event


def request_upload(
    invoke: Invoke, token: str, data: bytes, content_type: str = "image/jpeg"
) -> dict[str, Any]:
    """``POST /images/upload`` through the upload function: ``{image, upload, user}``."""
    body = {"filename": "photo", "contentType": content_type, "size": len(data), "title": "Holiday"}
    response = invoke("UploadUrlFunction", sample_event("images/request_upload.json", token=token, body=body))
    assert response["statusCode"] == 201, response
    return dict(body_of(response))


def put(template: Template, key: str, data: bytes, content_type: str) -> None:
    """What the browser's POST to the presigned URL leaves in the bucket."""
    boto3.client("s3").put_object(
        Bucket=template.physical["ImagesBucket"].ref, Key=key, Body=data, ContentType=content_type
    )


def completed_upload(invoke: Invoke, template: Template, token: str, data: bytes, content_type: str) -> str:
    """An upload through the upload and metadata functions, COMPLETED: its id."""
    requested = request_upload(invoke, token, data, content_type)
    key = requested["upload"]["fields"]["key"]
    put(template, key, data, content_type)
    assert invoke("MetadataFunction", object_created(template, key))["outcome"] == "completed"
    return str(requested["image"]["id"])
