"""A user's uploads a minute, over HTTP: past the limit, 429 RATE_LIMITED with Retry-After, and
nothing charged or written. (The e2e stack allows E2E_UPLOADS_PER_MINUTE, set through
PARAMETER_OVERRIDES as `make dev` takes it; tests/unit/services/test_rate_limits.py holds the rules.)"""

from __future__ import annotations

import uuid

from tests.e2e.conftest import ADMIN_EMAIL, E2E_UPLOADS_PER_MINUTE, Api, balance, error_code

UPLOAD = {"filename": "a.png", "contentType": "image/png", "size": 1000}


def images_of(api: Api, token: str) -> int:
    count, cursor = 0, None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = api.call("GET", "/images", token, params=params).json()
        count += len(page["images"])
        cursor = page["nextCursor"]
        if not cursor:
            return count


def test_uploads_past_the_minutes_limit_are_refused_with_nothing_charged(api: Api) -> None:
    session = api.sign_in(f"limited-{uuid.uuid4().hex[:8]}@example.com")
    admin = api.sign_in(ADMIN_EMAIL)
    grant = {"amount": 100 * E2E_UPLOADS_PER_MINUTE, "reason": "room for a minute of uploads"}
    assert api.call("POST", f"/users/{session.user['id']}/coins", admin.token, json=grant).status_code == 200

    # One at a time: requests at once on one wallet may lose its race (429 too, but not this one).
    statuses = [
        api.call("POST", "/images/upload", session.token, json=UPLOAD).status_code
        for _ in range(E2E_UPLOADS_PER_MINUTE)
    ]
    assert statuses == [201] * E2E_UPLOADS_PER_MINUTE
    before = balance(api, session)

    refused = api.call("POST", "/images/upload", session.token, json=UPLOAD)

    assert (refused.status_code, error_code(refused)) == (429, "RATE_LIMITED")
    details = refused.json()["error"]["details"]
    assert details["limit"] == E2E_UPLOADS_PER_MINUTE
    assert 1 <= int(refused.headers["Retry-After"]) == details["retryAfter"] <= 60
    assert balance(api, session) == before
    assert images_of(api, session.token) == E2E_UPLOADS_PER_MINUTE
    # Another user's allowance is untouched.
    other = api.sign_in(f"unlimited-{uuid.uuid4().hex[:8]}@example.com")
    assert api.call("POST", "/images/upload", other.token, json=UPLOAD).status_code == 201
