from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from devstack.http_api import CorsConfiguration, HttpApiEmulator
from devstack.lambdas import Invocation
from stacktools.template import HttpRoute


class RecordingFunction:
    """Stands in for a LocalFunction: records the events it gets and answers with ``result``."""

    def __init__(self, result: Any = None, error: dict[str, Any] | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.result = result if result is not None else {"statusCode": 200, "body": "{}"}
        self.error = error

    def invoke(self, event: dict[str, Any]) -> Invocation:
        self.events.append(event)
        return Invocation(
            result=None if self.error else self.result, error=self.error, duration_ms=1.0, cold=False
        )


ROUTES = [
    HttpRoute("Item", "GET", "/items/{id}"),
    HttpRoute("Mine", "GET", "/items/mine"),
    HttpRoute("AnyItem", "ANY", "/items/{id}"),
    HttpRoute("Greedy", "ANY", "/files/{path+}"),
    HttpRoute("Default", "ANY", None),
]


def emulator(
    functions: dict[str, RecordingFunction] | None = None, cors: CorsConfiguration | None = None
) -> tuple[Client, dict[str, RecordingFunction]]:
    functions = functions or {
        name: RecordingFunction() for name in ("Item", "Mine", "AnyItem", "Greedy", "Default")
    }
    app = HttpApiEmulator(ROUTES, functions, cors, domain="api.local")  # type: ignore[arg-type]
    return Client(app), functions


@pytest.mark.parametrize(
    ("method", "path", "function", "parameters"),
    [
        ("GET", "/items/mine", "Mine", None),
        ("GET", "/items/42", "Item", {"id": "42"}),
        ("DELETE", "/items/42", "AnyItem", {"id": "42"}),
        ("GET", "/files/a/b/c.png", "Greedy", {"path": "a/b/c.png"}),
        ("GET", "/elsewhere", "Default", None),
        ("GET", "/items/42/more", "Default", None),
    ],
)
def test_the_most_specific_route_wins(
    method: str, path: str, function: str, parameters: dict[str, str] | None
) -> None:
    client, functions = emulator()
    client.open(path, method=method)
    (event,) = functions[function].events
    assert event.get("pathParameters") == parameters


def test_the_event_is_a_payload_format_2_0_event() -> None:
    client, functions = emulator()
    client.set_cookie("a", "1")
    client.set_cookie("b", "2")
    client.get("/items/7?tag=a&tag=b&q=x%20y", headers={"X-Thing": "v", "User-Agent": "ua"})
    (event,) = functions["Item"].events

    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/7"
    assert event["rawQueryString"] == "tag=a&tag=b&q=x%20y"
    assert event["queryStringParameters"] == {"tag": "a,b", "q": "x y"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["x-thing"] == "v"
    assert "cookie" not in event["headers"]
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["http"]["userAgent"] == "ua"
    assert event["requestContext"]["stage"] == "$default"
    assert event["isBase64Encoded"] is False
    assert "body" not in event


def test_json_bodies_pass_as_text_and_binary_bodies_as_base64() -> None:
    client, functions = emulator()
    client.post("/items/1", data='{"a": 1}', content_type="application/json")
    client.post("/items/1", data=b"\x89PNG\x00\xff", content_type="image/png")
    text, binary = functions["AnyItem"].events

    assert (text["body"], text["isBase64Encoded"]) == ('{"a": 1}', False)
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\x89PNG\x00\xff"


def test_results_map_back_to_http() -> None:
    result = {
        "statusCode": 201,
        "headers": {"Content-Type": "image/png", "X-A": "1"},
        "cookies": ["s=1; HttpOnly"],
        "body": base64.b64encode(b"\x00\x01").decode(),
        "isBase64Encoded": True,
    }
    client, _ = emulator({"Item": RecordingFunction(result=result)})
    response = client.get("/items/1")

    assert response.status_code == 201
    assert response.data == b"\x00\x01"
    assert response.headers["X-A"] == "1"
    assert response.headers["Set-Cookie"] == "s=1; HttpOnly"
    assert response.headers["apigw-requestid"]


def test_a_result_without_a_status_is_a_200_json_answer() -> None:
    client, _ = emulator({"Item": RecordingFunction(result={"hello": "world"})})
    response = client.get("/items/1")
    assert (response.status_code, json.loads(response.data)) == (200, {"hello": "world"})


@pytest.mark.parametrize(("error_type", "status"), [("ValueError", 500), ("TimeoutError", 503)])
def test_function_failures_are_api_gateways_own_answers(error_type: str, status: int) -> None:
    failing = RecordingFunction(error={"errorType": error_type, "errorMessage": "x"})
    client, _ = emulator({"Item": failing})
    response = client.get("/items/1")
    assert response.status_code == status
    assert set(json.loads(response.data)) == {"message"}


def test_no_route_and_no_default_is_api_gateways_404() -> None:
    app = HttpApiEmulator([HttpRoute("Item", "GET", "/items")], {}, None, domain="api.local")
    response = Client(app).get("/other")
    assert (response.status_code, json.loads(response.data)) == (404, {"message": "Not Found"})


def test_local_routes_match_exactly_or_by_a_declared_prefix() -> None:
    functions = {"Default": RecordingFunction()}

    def answer(name: str) -> Any:
        return lambda request: Response(f"{name} {request.path}")

    app = HttpApiEmulator(
        [HttpRoute("Default", "ANY", None)],
        functions,  # type: ignore[arg-type]
        None,
        domain="api.local",
        local_routes={
            ("GET", "/"): answer("page"),
            ("POST", "/_dev/gemini/v1beta/models/*"): answer("gemini"),
        },
    )
    client = Client(app)

    assert client.get("/").data == b"page /"
    assert client.post("/_dev/gemini/v1beta/models/m:generateContent").data == (
        b"gemini /_dev/gemini/v1beta/models/m:generateContent"
    )
    assert client.get("/api/v1/users").status_code == 200  # "/" is a page, not a prefix
    assert client.get("/_dev/gemini/v1beta/models/m:generateContent").data == b"{}"  # POST only
    assert len(functions["Default"].events) == 2


def test_payloads_over_10_mb_are_refused_before_any_function() -> None:
    client, functions = emulator()
    response = client.post(
        "/items/1", data=b"x" * (10 * 1024 * 1024 + 1), content_type="application/octet-stream"
    )
    assert response.status_code == 413
    assert not functions["AnyItem"].events


def test_cors_follows_the_configuration() -> None:
    cors = CorsConfiguration(
        ["https://app.example"], ["GET", "POST"], ["authorization"], ["x-request-id"], 600, False
    )
    client, functions = emulator(cors=cors)

    preflight = client.options(
        "/items/1", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert preflight.headers["Access-Control-Max-Age"] == "600"
    assert not functions["AnyItem"].events

    actual = client.get("/items/1", headers={"Origin": "https://app.example"})
    assert actual.headers["Access-Control-Expose-Headers"] == "x-request-id"
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/items/1", headers={"Origin": "https://other"}).headers
    )
