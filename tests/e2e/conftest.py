"""The local stack on free ports, and the API's client (stacktools.api_client) on it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from devstack.__main__ import local_stack
from devstack.stack import LocalStack
from stacktools.api_client import ApiClient
from stacktools.chromium import CHROMIUM_ARGS, chromium

ADMIN_EMAIL = "admin@example.com"
# A frontend served elsewhere (a Vite dev server), let in by ALLOWED_ORIGINS.
FRONTEND_ORIGIN = "http://localhost:5173"
E2E_UPLOADS_PER_MINUTE = 300


@pytest.fixture(scope="package")
def stack() -> Iterator[LocalStack]:
    """The local stack for the e2e tests only: its threads' AWS clients must be gone before other
    tests patch boto3 in this process with moto's in-process mock."""
    # Configured as `make dev` configures it, from its environment, on free ports.
    environment = {
        "PORT": "0",
        "AWS_PORT": "0",
        "ADMIN_EMAILS": ADMIN_EMAIL,
        "ALLOWED_ORIGINS": FRONTEND_ORIGIN,
        "DATA_DIR": "",  # every run starts empty
        # Room for the bursts and long galleries of single users; test_rate_limits fills a window.
        "PARAMETER_OVERRIDES": f"GenerationsPerMinute=60 UploadsPerMinute={E2E_UPLOADS_PER_MINUTE}",
    }
    local = local_stack(environment).start()
    yield local
    local.stop()


class Api(ApiClient):
    """The API's client (``stacktools.api_client``) on the local stack, as no one (``with_token``
    for a session), and ``call`` for what its operations do not send: the local stack's own routes
    (``/_dev/...``, ``/``), what the contract refuses (hostile input, the wrong method), headers
    of a test's choosing."""

    def __init__(self, stack: LocalStack) -> None:
        super().__init__(stack.api_url, timeout=30)
        self.stack = stack

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        """``method path`` with ``token`` as the bearer: relative to /api/v1, but for the local
        stack's own routes."""
        url = f"{self.base_url}{path}" if path.startswith("/_dev") or path == "/" else self.url(path)
        return self.send(method, url, token=token, **kwargs)

    def id_token(self, email: str, **names: str) -> str:
        response = self.local_id_token(email, **names)
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    def sign_in(self, email: str) -> Session:
        response = self.sign_in_with_google({"token": self.id_token(email)})
        assert response.status_code == 200, response.text
        body = response.json()
        return Session(user=body["user"], token=body["token"], refresh_token=body["refreshToken"])

    def of(self, session: Session) -> Api:
        """This client as ``session``."""
        return self.with_token(session.token)


@dataclass
class Session:
    user: dict[str, Any]
    token: str
    refresh_token: str


def new_email() -> str:
    """An email no earlier test signed in with: a new user."""
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
def api(stack: LocalStack) -> Api:
    return Api(stack)


def error_code(response: requests.Response) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    code: str = body["error"]["code"]
    return code


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's, installed by `make test`), driven by Playwright."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    yield context.new_page()
    context.close()


def upload(api: Api, session: Session, data: bytes, content_type: str = "image/jpeg") -> dict[str, Any]:
    """Ask for an upload URL and POST ``data`` to it as a browser form does (fields first, file last)."""
    response = api.of(session).request_upload(
        {"filename": "photo", "contentType": content_type, "size": len(data)}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    posted = api.post_form(body["upload"], "photo", data, content_type)
    assert posted.status_code in (200, 201, 204), posted.text
    return body


def wait_for_image(api: Api, session: Session, image_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll GET /images/{id} until the image is COMPLETED (with its thumbnail) or FAILED."""
    deadline = time.monotonic() + timeout
    while True:
        image: dict[str, Any] = api.of(session).get_image(image_id).json()["image"]
        if image["status"] == "FAILED" or (image["status"] == "COMPLETED" and image["thumbnailUrl"]):
            return image
        assert time.monotonic() < deadline, f"still {image['status']} after {timeout} s"
        time.sleep(0.1)


def balance(api: Api, session: Session) -> int:
    """The session's balance, once checked to be the sum of its ledger."""
    coins: int = api.of(session).my_profile().json()["user"]["coins"]
    assert coins == ledger_sum(api, session.user["id"])
    return coins


def ledger_sum(api: Api, user_id: str) -> int:
    """The sum of the user's ledger entries, read from the local DynamoDB."""
    dynamodb = api.stack.boto_session().client("dynamodb", endpoint_url=api.stack.aws.url)
    pages = dynamodb.get_paginator("query").paginate(
        TableName=api.stack.env("AuthFunction")["COINS_TABLE"],
        KeyConditionExpression="userId = :user AND begins_with(sk, :txn)",
        ExpressionAttributeValues={":user": {"S": user_id}, ":txn": {"S": "TXN#"}},
    )
    return sum(int(item["amount"]["N"]) for page in pages for item in page["Items"])
