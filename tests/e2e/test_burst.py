"""Forty charges at once on one wallet: no 5xx, each request charged once or not at all, every
charged image queued, and the ledger a chain."""

from __future__ import annotations

import itertools
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from tests.e2e.conftest import ADMIN_EMAIL, Api, Session, ledger_sum, wait_for_image

BURST = 40


def transactions(api: Api, session: Session) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = api.call("GET", "/users/me/transactions", session.token, params=params).json()
        entries.extend(page["transactions"])
        cursor = page["nextCursor"]
        if not cursor:
            return entries


def assert_chain(entries: list[dict[str, Any]]) -> None:
    """Newest first, each entry's balance less its amount is the balance of the one below it."""
    for newer, older in itertools.pairwise(entries):
        assert newer["balance"] - newer["amount"] == older["balance"], (newer, older)
        assert newer["createdAt"] >= older["createdAt"], (newer, older)


def test_a_burst_on_one_wallet_charges_each_accepted_request_once_and_nothing_else(api: Api) -> None:
    session = api.sign_in(f"burst-{uuid.uuid4().hex[:8]}@example.com")
    admin = api.sign_in(ADMIN_EMAIL)
    wallet = f"/users/{session.user['id']}/coins"

    def generate(index: int) -> requests.Response:
        return api.call("POST", "/images/generate", session.token, json={"prompt": f"burst {index}"})

    def grant(index: int) -> requests.Response:  # an admin topping up while the user spends
        return api.call("POST", wallet, admin.token, json={"amount": 100, "reason": f"top-up {index}"})

    with ThreadPoolExecutor(max_workers=BURST + BURST // 2) as pool:
        charging = [pool.submit(generate, index) for index in range(BURST)]
        granting = [pool.submit(grant, index) for index in range(BURST // 2)]
        responses = [future.result() for future in charging]
        grants = [future.result() for future in granting]

    assert [r.status_code for r in [*responses, *grants] if r.status_code >= 500] == []
    accepted = [r.json()["image"] for r in responses if r.status_code == 202]
    granted = [r for r in grants if r.status_code == 200]
    for response in [r for r in [*responses, *grants] if r.status_code not in (200, 202)]:
        assert response.status_code in (402, 409, 429), response.text
        if response.status_code != 402:
            assert int(response.headers["Retry-After"]) >= 1
    assert accepted, "not one request of the burst was accepted"

    entries = transactions(api, session)
    charges = [entry for entry in entries if entry["reason"] == "generate"]
    assert sorted(entry["imageId"] for entry in charges) == sorted(image["id"] for image in accepted)
    assert len([entry for entry in entries if entry["reason"] == "grant"]) == len(granted)
    assert ledger_sum(api, session.user["id"]) == 1000 + 100 * len(granted) - 100 * len(accepted)
    assert entries[0]["balance"] == ledger_sum(api, session.user["id"])
    assert_chain(entries)

    for image in accepted:  # every charged image was queued: the worker finishes it
        assert wait_for_image(api, session, image["id"])["status"] == "COMPLETED"
