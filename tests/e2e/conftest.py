"""The local stack on free ports, and a small client for its HTTP API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from devstack.stack import LocalStack

ADMIN_EMAIL = "admin@example.com"


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    local = LocalStack(api_port=0, aws_port=0, admin_emails=ADMIN_EMAIL).start()
    yield local
    local.stop()


class Api:
    """requests against the local stack's API, relative to /api/v1."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.http = requests.Session()

    def url(self, path: str) -> str:
        return f"{self.stack.api_url}{path if path.startswith('/_dev') or path == '/' else '/api/v1' + path}"

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.url(path), headers=headers, timeout=30, **kwargs)

    def id_token(self, email: str, **names: str) -> str:
        response = self.call("POST", "/_dev/id-token", json={"email": email, **names})
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    def sign_in(self, email: str) -> Session:
        response = self.call("POST", "/auth/google", json={"token": self.id_token(email)})
        assert response.status_code == 200, response.text
        body = response.json()
        return Session(user=body["user"], token=body["token"], refresh_token=body["refreshToken"])


@dataclass
class Session:
    user: dict[str, Any]
    token: str
    refresh_token: str


@pytest.fixture
def api(stack: LocalStack) -> Api:
    return Api(stack)


def error_code(response: requests.Response) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    code: str = body["error"]["code"]
    return code
