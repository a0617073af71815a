"""Coin history, admin grants and account stats through the local stack."""

from __future__ import annotations

import uuid

import pytest

from tests import images
from tests.e2e.conftest import ADMIN_EMAIL, Api, Session, error_code, ledger_sum, upload, wait_for_image


@pytest.fixture
def user(api: Api) -> Session:
    return api.sign_in(f"account-{uuid.uuid4().hex[:8]}@example.com")


def history(api: Api, session: Session, limit: int = 2) -> list[dict[str, object]]:
    entries, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = api.call("GET", "/users/me/transactions", session.token, params=params).json()
        entries.extend(page["transactions"])
        cursor = page["nextCursor"]
        if not cursor:
            return entries


def test_the_history_is_newest_first_and_adds_up_to_the_balance(api: Api, user: Session) -> None:
    body = {"filename": "a.png", "contentType": "image/png", "size": 10}
    uploads = [
        api.call("POST", "/images/upload", user.token, json=body).json()["image"]["id"] for _ in range(3)
    ]

    entries = history(api, user)

    assert [entry["reason"] for entry in entries] == ["upload", "upload", "upload", "welcome"]
    assert [entry["imageId"] for entry in entries] == [*reversed(uploads), None]
    assert [entry["amount"] for entry in entries] == [-50, -50, -50, 1000]
    assert [entry["balance"] for entry in entries] == [850, 900, 950, 1000]
    assert set(entries[0]) == {"id", "amount", "balance", "reason", "imageId", "orderId", "note", "createdAt"}
    assert sum(int(str(entry["amount"])) for entry in entries) == 850 == ledger_sum(api, user.user["id"])


def test_an_admin_grants_and_takes_coins_but_never_below_zero(api: Api, user: Session) -> None:
    admin = api.sign_in(ADMIN_EMAIL)
    path = f"/users/{user.user['id']}/coins"

    granted = api.call("POST", path, admin.token, json={"amount": 500, "reason": "contest prize"})
    assert granted.status_code == 200
    assert granted.json()["user"]["coins"] == 1500
    taken = api.call("POST", path, admin.token, json={"amount": -1400, "reason": "refund abuse"})
    assert taken.json()["user"]["coins"] == 100
    too_much = api.call("POST", path, admin.token, json={"amount": -101, "reason": "oops"})
    assert too_much.status_code == 409
    assert error_code(too_much) == "CONFLICT"

    entries = history(api, user, limit=10)
    assert [(entry["reason"], entry["amount"], entry["note"]) for entry in entries[:2]] == [
        ("grant", -1400, "refund abuse"),
        ("grant", 500, "contest prize"),
    ]
    assert (
        api.call("GET", "/users/me", user.token).json()["user"]["coins"]
        == 100
        == ledger_sum(api, user.user["id"])
    )


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 0, "reason": "x"},
        {"amount": "5", "reason": "x"},
        {"amount": 1.5, "reason": "x"},
        {"amount": 5},
        {"amount": 5, "reason": ""},
        {"amount": 5, "reason": "x", "note": "extra"},
    ],
)
def test_grants_are_validated(api: Api, user: Session, body: dict[str, object]) -> None:
    admin = api.sign_in(ADMIN_EMAIL)
    response = api.call("POST", f"/users/{user.user['id']}/coins", admin.token, json=body)
    assert response.status_code == 422
    assert api.call("GET", "/users/me", user.token).json()["user"]["coins"] == 1000


def test_only_admins_grant_and_only_to_users_that_exist(api: Api, user: Session) -> None:
    refused = api.call(
        "POST", f"/users/{user.user['id']}/coins", user.token, json={"amount": 5, "reason": "me"}
    )
    assert refused.status_code == 403
    admin = api.sign_in(ADMIN_EMAIL)
    missing = api.call(
        "POST", "/users/01JNOSUCHUSER0000000000000/coins", admin.token, json={"amount": 5, "reason": "x"}
    )
    assert missing.status_code == 404


def test_stats_count_images_and_coins_spent(api: Api, user: Session) -> None:
    kept = upload(api, user, images.png(), "image/png")
    deleted = upload(api, user, images.png(), "image/png")
    refused = api.call("POST", "/images/generate", user.token, json={"prompt": "something forbidden"}).json()
    assert wait_for_image(api, user, refused["image"]["id"])["status"] == "FAILED"
    assert wait_for_image(api, user, kept["image"]["id"])["status"] == "COMPLETED"
    assert api.call("DELETE", f"/images/{deleted['image']['id']}", user.token).status_code == 204

    me = api.call("GET", "/users/me", user.token).json()["user"]

    assert me["stats"] == {"images": 2, "generated": 1, "uploaded": 1, "coinsSpent": 100}
    assert me["coins"] == 900
    assert "stats" not in api.call("GET", "/auth/me", user.token).json()["user"]
