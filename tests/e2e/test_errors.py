"""The error envelope and API Gateway's behaviour in front of the functions."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import Api, error_code


def test_health(api: Api) -> None:
    response = api.call("GET", "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "0.1.0"}
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/nothing"), ("GET", "/users/me/extra/deep"), ("GET", "/images/a/b")]
)
def test_unknown_routes_are_404_in_the_envelope(api: Api, method: str, path: str) -> None:
    response = api.call(method, path)
    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/auth/google", "POST"),
        ("GET", "/auth/google", "POST"),
        ("POST", "/health", "GET"),
        ("PATCH", "/images/01JDQ4ZC3V8N8QK6Y7M2B5T9XW", "DELETE, GET, PUT"),
        ("POST", "/users/me", "DELETE, GET, PUT"),  # the path written out, not /users/{id}
    ],
)
def test_a_route_asked_with_another_method_is_405_with_allow(
    api: Api, method: str, path: str, allowed: str
) -> None:
    response = api.call(method, path)
    assert response.status_code == 405
    assert error_code(response) == "METHOD_NOT_ALLOWED"
    assert response.headers["Allow"] == allowed


def test_malformed_json_is_400(api: Api) -> None:
    response = api.call(
        "POST", "/auth/google", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert error_code(response) == "INVALID_JSON"


def test_schema_errors_are_422_with_the_fields(api: Api) -> None:
    response = api.call("POST", "/auth/google", json={"tok": "x"})
    assert response.status_code == 422
    assert error_code(response) == "VALIDATION_ERROR"
    fields = {item["field"] for item in response.json()["error"]["details"]["fields"]}
    assert fields == {"token", "tok"}


def test_an_oversized_body_is_413(api: Api) -> None:
    response = api.call("POST", "/auth/google", json={"token": "x" * 100_000})
    assert response.status_code == 413
    assert error_code(response) == "TOO_LARGE"


def test_no_token_is_401(api: Api) -> None:
    for path in ("/auth/me", "/users/me", "/users"):
        response = api.call("GET", path)
        assert response.status_code == 401
        assert error_code(response) == "UNAUTHORIZED"


def test_cors_preflight_and_response_headers_for_an_allowed_origin(api: Api) -> None:
    origin = api.stack.api_url
    preflight = api.call(
        "OPTIONS",
        "/auth/google",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"]

    response = api.call("GET", "/health", headers={"Origin": origin})
    assert response.headers["Access-Control-Allow-Origin"] == origin


def test_cors_says_nothing_to_other_origins(api: Api) -> None:
    preflight = api.call(
        "OPTIONS",
        "/auth/google",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert (
        "Access-Control-Allow-Origin"
        not in api.call("GET", "/health", headers={"Origin": "https://evil.example"}).headers
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [({"email": "not-an-email"}, 422), ({}, 422), ({"email": "a@b.co", "role": "ADMIN"}, 422)],
)
def test_the_dev_id_token_route_validates_its_input(api: Api, body: dict[str, str], status: int) -> None:
    response = api.call("POST", "/_dev/id-token", json=body)
    assert response.status_code == status
    assert error_code(response) == "VALIDATION_ERROR"


def test_the_front_end_is_served_at_the_root(api: Api) -> None:
    response = api.call("GET", "/", allow_redirects=False)
    assert (response.status_code, response.headers["Location"]) == (308, "/app/")
    page = api.call("GET", "/")
    assert (page.url, page.status_code) == (f"{api.stack.api_url}/app/", 200)
    assert page.headers["Content-Type"].startswith("text/html")
    outside = requests.get(f"{api.stack.api_url}/app/%2e%2e/template.yaml", timeout=10)
    assert outside.status_code == 404  # nothing outside web/


def test_a_body_that_is_not_json_is_415(api: Api) -> None:
    response = api.call("POST", "/auth/google", data='{"token": "x"}', headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert error_code(response) == "UNSUPPORTED_MEDIA_TYPE"
