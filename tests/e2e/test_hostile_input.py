"""What an attacker or a clumsy client sends: every answer a clear 4xx in the envelope, nothing moved."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import ADMIN_EMAIL, Api, Session, error_code

NOT_UTF8 = b'{"prompt": "\xff\xfe"}'
DEEP = b"[" * 1000 + b"]" * 1000


@pytest.fixture
def ada(api: Api) -> Session:
    return api.sign_in(f"ada-{uuid.uuid4().hex[:8]}@example.com")


def coins(api: Api, session: Session) -> int:
    balance: int = api.call("GET", "/users/me", session.token).json()["user"]["coins"]
    return balance


BODY_ROUTES = [
    ("POST", "/images/generate"),
    ("POST", "/images/upload"),
    ("POST", "/images/01JNOSUCHIMAGE000000000000/edit"),
    ("PUT", "/images/01JNOSUCHIMAGE000000000000"),
]


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize(
    "body", [NOT_UTF8, DEEP, b'{"prompt": "\\ud800"}'], ids=["not-utf8", "deep", "half-pair"]
)
def test_bodies_that_are_not_utf8_json_are_400_and_charge_nothing(
    api: Api, ada: Session, method: str, path: str, body: bytes
) -> None:
    before = coins(api, ada)
    response = api.call(method, path, ada.token, data=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400, response.text
    assert error_code(response) == "INVALID_JSON"
    assert coins(api, ada) == before


@pytest.mark.parametrize("body", [NOT_UTF8, DEEP])
def test_bodies_that_are_not_utf8_json_are_400_on_routes_without_a_token(api: Api, body: bytes) -> None:
    for path in ("/auth/google", "/auth/refresh"):
        response = api.call("POST", path, data=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert error_code(response) == "INVALID_JSON"


@pytest.mark.parametrize("cursor", ["é.é", "%C3%A9.%C3%A9", "é", "💥.x"])
def test_cursors_outside_ascii_are_400_on_every_listing(api: Api, ada: Session, cursor: str) -> None:
    admin = api.sign_in(ADMIN_EMAIL)
    image = api.call("POST", "/images/generate", ada.token, json={"prompt": "a cursor"}).json()["image"]
    listings = [
        (ada, "/images"),
        (ada, "/users/me/transactions"),
        (ada, f"/images/{image['id']}/thread"),
        (ada, f"/users/{ada.user['id']}/images"),
        (admin, "/users"),
    ]
    for session, path in listings:
        response = api.call("GET", path, session.token, params={"cursor": cursor})
        assert response.status_code == 400, (path, response.text)
        assert error_code(response) == "BAD_REQUEST"


@pytest.mark.parametrize("size", [True, "1000", 1000.0, None, [1000]])
def test_an_upload_size_is_an_integer_and_nothing_else(api: Api, ada: Session, size: object) -> None:
    before = coins(api, ada)
    response = api.call(
        "POST",
        "/images/upload",
        ada.token,
        json={"filename": "a.png", "contentType": "image/png", "size": size},
    )

    assert response.status_code == 422, response.text
    assert [field["field"] for field in response.json()["error"]["details"]["fields"]] == ["size"]
    assert coins(api, ada) == before
    assert api.call("GET", "/images", ada.token).json()["images"] == []


@pytest.mark.parametrize("amount", [True, "100", 100.0])
def test_a_grant_amount_is_an_integer_and_nothing_else(api: Api, ada: Session, amount: object) -> None:
    admin = api.sign_in(ADMIN_EMAIL)
    response = api.call(
        "POST", f"/users/{ada.user['id']}/coins", admin.token, json={"amount": amount, "reason": "x"}
    )
    assert response.status_code == 422, response.text
    assert coins(api, ada) == 1000


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/images/generate", {"nothing": 1}),
        ("POST", "/images/upload", {"size": "big"}),
        ("POST", "/images/01JNOSUCHIMAGE000000000000/edit", {}),
        ("PUT", "/images/01JNOSUCHIMAGE000000000000", {"title": 5}),
        ("GET", "/images/" + "x" * 300, None),
        ("GET", "/images?limit=5000", None),
        ("POST", "/users/01JNOSUCHUSER0000000000000/coins", {"amount": "x"}),
        ("PUT", "/users/01JNOSUCHUSER0000000000000", {"roles": ["KING"]}),
        ("POST", "/auth/logout", None),
        ("POST", "/images/generate", NOT_UTF8),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic YTpi"])
def test_a_stranger_gets_401_before_any_validation(
    api: Api, method: str, path: str, body: object, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    if isinstance(body, bytes):
        response = api.call(method, path, data=body, headers={**headers, "Content-Type": "application/json"})
    else:
        response = api.call(method, path, json=body, headers=headers)

    assert response.status_code == 401, response.text
    assert error_code(response) == "UNAUTHORIZED"
    assert "fields" not in response.json()["error"]["details"]


def test_a_stranger_who_knows_a_session_id_cannot_end_the_session(api: Api, ada: Session) -> None:
    session_id = ada.refresh_token.partition(".")[0]
    for guess in ("x" * 43, "A" * 43 + "~" + "B" * 43, ada.refresh_token.partition(".")[2][:-1] + "x"):
        response = api.call("POST", "/auth/refresh", json={"refreshToken": f"{session_id}.{guess}"})
        assert response.status_code == 401, response.text
        assert error_code(response) == "UNAUTHORIZED"

    assert api.call("GET", "/auth/me", ada.token).status_code == 200
    renewed = api.call("POST", "/auth/refresh", json={"refreshToken": ada.refresh_token})
    assert renewed.status_code == 200, renewed.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/users/01JNOSUCHUSER0000000000000/coins", {"amount": "x"}),
        ("PUT", "/users/01JNOSUCHUSER0000000000000", {"roles": ["KING"]}),
        ("GET", "/users?limit=5000", None),
    ],
)
def test_a_user_on_an_admins_route_gets_403_before_any_validation(
    api: Api, ada: Session, method: str, path: str, body: object
) -> None:
    response = api.call(method, path, ada.token, json=body)

    assert response.status_code == 403, response.text
    assert error_code(response) == "FORBIDDEN"


@pytest.mark.parametrize("limit", ["1.0", "+5", " 5", "5 ", "1e1", "\u0665", "0x10", "true"])
def test_a_page_limit_is_a_whole_number_in_digits(api: Api, ada: Session, limit: str) -> None:
    response = api.call("GET", "/images", ada.token, params={"limit": limit})

    assert response.status_code == 422, response.text
    assert [field["field"] for field in response.json()["error"]["details"]["fields"]] == ["limit"]
