"""Handlers invoked in-process with their template environment, events from events/, moto in-process."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import boto3
import pytest

from devstack.iam import checker, function_policy
from devstack.lambdas import LambdaContext
from stacktools.samples import sample_event
from stacktools.template import FunctionSpec, Template
from tests.conftest import ServedIssuer


def cold_start(template: Template, logical_id: str, spec: FunctionSpec) -> ModuleType:
    """The function's app.py, loaded afresh from where the template says it is (a new container: its
    composition reads the environment set now), every AWS call it makes held to its template
    policies, as the local stack holds them."""
    path = spec.code_dir / f"{spec.handler.split('.')[0]}.py"
    loader = importlib.util.spec_from_file_location(f"function_{logical_id}", path)
    assert loader
    assert loader.loader
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    composition = getattr(module, "composition", None)
    if composition is not None:  # the health check has no AWS clients
        composition.aws.session.events.register(
            "before-parameter-build", checker(function_policy(template, logical_id), spec.name)
        )
    return module


class Invoke:
    """``invoke("AuthFunction", event)``: the function's handler run on ``event`` with its template env,
    every AWS call it makes held to its template policies (as the local stack holds them). Each function
    starts cold in each test, and stays warm within it."""

    def __init__(self, template: Template, monkeypatch: pytest.MonkeyPatch) -> None:
        self._template = template
        self._functions = template.functions()
        self._monkeypatch = monkeypatch
        self._warm: dict[str, ModuleType] = {}

    def function(self, logical_id: str) -> ModuleType:
        """The function's loaded app.py (its ``app``, its dependencies), as its next call will find it."""
        spec = self._functions[logical_id]
        for name, value in spec.environment.items():
            self._monkeypatch.setenv(name, value)
        if logical_id not in self._warm:
            self._warm[logical_id] = cold_start(self._template, logical_id, spec)
        return self._warm[logical_id]

    def __call__(self, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        module = self.function(logical_id)
        spec = self._functions[logical_id]
        response: dict[str, Any] = module.lambda_handler(event, LambdaContext(function_name=spec.name))
        return response


@pytest.fixture
def invoke(template: Template, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    return Invoke(template, monkeypatch)


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
