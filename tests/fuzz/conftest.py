"""A local stack of the fuzzing tests' own (what they do to users and coins touches no other test),
and a user and an admin signed in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.stack import LocalStack
from tests.e2e.conftest import Api, Session

ADMIN_EMAIL = "fuzz-admin@example.com"
USER_EMAIL = "fuzz-user@example.com"


@pytest.fixture(scope="package")
def stack() -> Iterator[LocalStack]:
    local = LocalStack(api_port=0, aws_port=0, admin_emails=ADMIN_EMAIL).start()
    yield local
    local.stop()


@pytest.fixture(scope="package")
def api(stack: LocalStack) -> Api:
    return Api(stack)


@pytest.fixture(scope="package")
def user(api: Api) -> Session:
    return api.sign_in(USER_EMAIL)


@pytest.fixture(scope="package")
def admin(api: Api) -> Session:
    return api.sign_in(ADMIN_EMAIL)


def every_user(api: Api, admin: Session) -> list[dict[str, Any]]:
    """Every user of the stack with their balance, as an admin lists them."""
    users: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = api.call("GET", "/users", admin.token, params={"limit": 100, "cursor": cursor}).json()
        users += page["users"]
        cursor = page["nextCursor"]
        if cursor is None:
            return users


def wait_for_the_queues(api: Api, timeout: float = 120.0) -> None:
    """Until every message of the stack's queues is handled (images generated, or failed)."""
    sqs = api.stack.boto_session().client("sqs", endpoint_url=api.stack.aws.url)
    urls = sqs.list_queues().get("QueueUrls", [])
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 3:  # three readings in a row: nothing in flight between them either
        counts = [
            sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            for url in urls
            if not url.endswith("dlq")
        ]
        busy = any(int(value) for attributes in counts for value in attributes.values())
        quiet = 0 if busy else quiet + 1
        assert time.monotonic() < deadline, f"queues still busy after {timeout} s"
        time.sleep(0.5)
