"""Which requests the local stack's listeners let through (devstack.guard): loopback names only,
and no page of another origin where the origin rule applies."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import Client

from devstack.guard import LocalCallersOnly, loopback_host

OWN = "http://127.0.0.1:3000"


@pytest.mark.parametrize(
    "host", ["127.0.0.1:3000", "localhost:4566", "LOCALHOST", "app.localhost:3000", "[::1]:3000", "127.0.0.1"]
)
def test_loopback_names_are_the_stacks(host: str) -> None:
    assert loopback_host(host)


@pytest.mark.parametrize(
    "host",
    [
        "rebound.test:3000",  # DNS rebinding: an attacker's name, pointed at 127.0.0.1
        "127.0.0.1.nip.io:3000",
        "localhost.attacker.test",
        "localhost:3000@attacker.test",
        "[::1].attacker.test",
        "0.0.0.0:3000",
        "",
    ],
)
def test_other_names_are_not(host: str) -> None:
    assert not loopback_host(host)


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [])
    return [b"reached"]


def test_only_loopback_hosts_and_allowed_origins_reach_the_app() -> None:
    guarded = Client(LocalCallersOnly(app, [OWN], checks_origin=lambda path: path.startswith("/_dev/")))

    def status(path: str, **headers: str) -> int:
        return guarded.post(path, headers={"Host": "127.0.0.1:3000", **headers}).status_code

    assert status("/_dev/faults") == 200  # a tool: no Origin
    assert status("/_dev/faults", Origin=OWN) == 200
    assert status("/_dev/faults", Origin="http://attacker.test") == 403
    assert status("/_dev/faults", Origin="null") == 403  # a sandboxed frame, a file
    assert status("/api/v1/health", Origin="http://attacker.test") == 200  # outside the rule
    assert status("/_dev/faults", Host="rebound.test:3000") == 403
    assert status("/api/v1/health", Host="rebound.test:3000") == 403  # the Host rule has no exception


def test_origins_allowed_later_are_let_in() -> None:
    guard = LocalCallersOnly(app)
    guarded = Client(guard)
    headers = {"Host": "localhost:4566", "Origin": OWN}
    assert guarded.get("/", headers=headers).status_code == 403

    guard.allow([OWN])

    assert guarded.get("/", headers=headers).status_code == 200
