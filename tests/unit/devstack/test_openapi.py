"""The OpenAPI document: generated from the code, checked in, valid, and complete about errors."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from openapi_spec_validator import validate

from imagegen.api.openapi import DOCUMENT_PATH
from stacktools.openapi import generate
from stacktools.template import ROOT, Template

METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def generated() -> str:
    return generate()


@pytest.fixture(scope="module")
def document(generated: str) -> dict[str, Any]:
    return json.loads(generated)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_published_document_is_what_the_code_generates(generated: str) -> None:
    assert DOCUMENT_PATH.read_text(encoding="utf-8") == generated, "stale: run `make openapi`"


def test_docs_openapi_json_is_the_published_document() -> None:
    assert (ROOT / "docs" / "openapi.json").resolve() == DOCUMENT_PATH.resolve()


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_route_of_the_template_is_documented_and_nothing_else(document: dict[str, Any]) -> None:
    def shape(path: str) -> str:  # the template says {id}, the handlers name it image_id or user_id
        return re.sub(r"\{[^}]+\}", "{}", path)

    deployed = {
        f"{route.method} {shape(route.path)}"
        for route in Template.load({"GoogleClientId": "openapi", "Payments": "enabled"}).http_routes()
        if route.path is not None
    }
    assert {f"{method} {shape(path)}" for method, path, _ in operations(document)} == deployed


def is_page(operation: dict[str, Any]) -> bool:
    """Whether the operation answers an HTML page (a share link's), not JSON."""
    return "text/html" in operation["responses"].get("200", {}).get("content", {})


def test_every_error_answer_is_the_envelope_with_its_codes_but_a_pages_own(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, answer in operation["responses"].items():
            if int(status) < 400:
                continue
            if is_page(operation) and status in ("404", "429"):
                assert set(answer["content"]) == {"text/html"}, (method, path, status)
                continue
            assert answer["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorEnvelope"
            }, (method, path, status)
            assert answer["x-error-codes"], (method, path, status)
        assert "500" in operation["responses"], (method, path)


def test_a_route_with_a_token_documents_401_and_the_bearer_scheme(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    secured = {(method, path) for method, path, operation in operations(document) if "security" in operation}
    for method, path, operation in operations(document):
        if (method, path) in secured:
            assert set(operation["responses"]["401"]["x-error-codes"]) == {"UNAUTHORIZED", "TOKEN_EXPIRED"}
            # A suspended user's token is refused on every route that takes one.
            assert "ACCOUNT_SUSPENDED" in operation["responses"]["403"]["x-error-codes"], (method, path)
    public = {(method, path) for method, path, _ in operations(document)} - secured
    assert public == {
        ("GET", "/api/v1/health"),
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/api/v1/models"),
        ("GET", "/api/v1/style-presets"),
        ("POST", "/api/v1/auth/google"),
        ("POST", "/api/v1/auth/refresh"),
        ("GET", "/api/v1/coin-packs"),
        ("POST", "/api/v1/payments/stripe/webhook"),  # Stripe's signature instead
        ("GET", "/api/v1/shared/{token}"),  # the share link's token instead
        ("GET", "/s/{token}"),
    }
    # Signing in and refreshing take no access token, and refuse a suspended user all the same.
    for path in ("/api/v1/auth/google", "/api/v1/auth/refresh"):
        assert document["paths"][path]["post"]["responses"]["403"]["x-error-codes"] == ["ACCOUNT_SUSPENDED"]


def test_a_share_links_page_is_html_its_refusals_too(document: dict[str, Any]) -> None:
    pages = [(method, path) for method, path, operation in operations(document) if is_page(operation)]
    page = document["paths"]["/s/{token}"]["get"]

    assert pages == [("GET", "/s/{token}")]
    assert {status for status, answer in page["responses"].items() if "text/html" in answer["content"]} == {
        "200",
        "404",
        "429",
    }
    assert "Retry-After" in page["responses"]["429"]["headers"]
    # Any token is looked up the same way: no pattern a malformed one would fail with a 422.
    for path in ("/s/{token}", "/api/v1/shared/{token}"):
        (token,) = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == "token"]
        assert token["schema"] == {
            "type": "string",
            "title": "Token",
            "description": token["schema"]["description"],
        }


def test_a_route_with_a_body_documents_what_the_resolver_refuses(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        statuses = set(operation["responses"])
        if "requestBody" in operation:
            assert {"400", "413", "415", "422"} <= statuses, (method, path)
        elif not operation.get("parameters"):
            assert "422" not in statuses, (method, path)  # nothing there to be invalid


def test_limits_of_parameters_and_bodies_are_in_the_document(document: dict[str, Any]) -> None:
    images = document["paths"]["/api/v1/images"]["get"]
    limit = next(parameter for parameter in images["parameters"] if parameter["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 100)
    generate_request = document["components"]["schemas"]["GenerateRequest"]
    assert generate_request["properties"]["prompt"]["maxLength"] == 2000
    assert generate_request["additionalProperties"] is False
    generate_ = document["paths"]["/api/v1/images/generate"]["post"]
    assert [parameter["name"] for parameter in generate_["parameters"]] == ["idempotency-key"]
    assert set(generate_["responses"]) >= {"202", "402", "409", "429"}
    assert "Retry-After" in generate_["responses"]["429"]["headers"]
