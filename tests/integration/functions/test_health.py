from __future__ import annotations

import json

from imagegen.api.openapi import DOCUMENT_PATH
from stacktools.samples import sample_event
from tests.integration.conftest import Invoke, body_of


def test_health_reports_ok_and_the_version(invoke: Invoke) -> None:
    response = invoke("HealthFunction", sample_event("health/get_health.json"))

    assert response["statusCode"] == 200
    assert body_of(response) == {"status": "ok", "version": "0.1.0"}


def test_an_unknown_route_is_404_in_the_envelope(invoke: Invoke) -> None:
    response = invoke("HealthFunction", sample_event("health/unknown_route.json"))

    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "NOT_FOUND"
    assert response["headers"]["Content-Type"] == "application/json"


def test_a_route_asked_with_another_method_is_405_with_allow(invoke: Invoke) -> None:
    response = invoke("HealthFunction", sample_event("health/method_not_allowed.json"))

    assert response["statusCode"] == 405
    assert body_of(response)["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert response["headers"]["Allow"] == "DELETE, GET, PUT"


def test_the_api_serves_its_openapi_document(invoke: Invoke) -> None:
    response = invoke("HealthFunction", sample_event("health/get_openapi.json"))

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    assert body_of(response) == json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    assert "/api/v1/images/generate" in body_of(response)["paths"]


def test_every_answer_names_its_request(invoke: Invoke) -> None:
    answered = invoke("HealthFunction", sample_event("health/get_health.json"))
    refused = invoke("HealthFunction", sample_event("health/unknown_route.json"))
    too_large = invoke("HealthFunction", sample_event("health/get_health.json", raw_body="x" * 70_000))

    for response, event in [(answered, "get_health"), (refused, "unknown_route"), (too_large, "get_health")]:
        request_id = sample_event(f"health/{event}.json")["requestContext"]["requestId"]
        assert response["headers"]["x-request-id"] == request_id
    assert too_large["statusCode"] == 413
