from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import pytest

from stacktools.samples import sample_event
from tests.conftest import ServedIssuer
from tests.integration.conftest import Invoke, SignedIn, body_of

SignIn = Callable[[str], SignedIn]


def test_sign_in_returns_the_new_user_and_tokens(invoke: Invoke, issuer: ServedIssuer) -> None:
    token = issuer.id_token("ada@example.com", "Ada", "Lovelace")
    response = invoke("AuthFunction", sample_event("auth/sign_in_with_google.json", body={"token": token}))

    assert response["statusCode"] == 200
    body = body_of(response)
    assert set(body) == {"user", "token", "refreshToken", "expiresIn"}
    assert body["expiresIn"] == 900
    user = body["user"]
    assert set(user) == {
        "id",
        "email",
        "firstName",
        "lastName",
        "roles",
        "language",
        "coins",
        "purchasesFrozen",
        "status",
        "createdAt",
        "updatedAt",
    }
    assert (user["email"], user["firstName"], user["lastName"], user["roles"], user["coins"]) == (
        "ada@example.com",
        "Ada",
        "Lovelace",
        ["USER"],
        1000,
    )
    assert user["createdAt"].endswith("Z")


def signed_in_language(invoke: Invoke, issuer: ServedIssuer, email: str, accept_language: str | None) -> str:
    """The ``language`` of the user that signing ``email`` in with ``accept_language`` answers."""
    event = sample_event("auth/sign_in_with_google.json", body={"token": issuer.id_token(email)})
    if accept_language is not None:
        event["headers"]["accept-language"] = accept_language
    response = invoke("AuthFunction", event)
    assert response["statusCode"] == 200, response
    return str(body_of(response)["user"]["language"])


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [("es-MX,es;q=0.9", "es"), ("fr", "en"), (None, "en"), ("en;q=0,es;q=0", "en")],
)
def test_a_new_user_gets_the_language_their_browser_prefers_among_the_services(
    invoke: Invoke, issuer: ServedIssuer, accept_language: str | None, language: str
) -> None:
    assert signed_in_language(invoke, issuer, "ada@example.com", accept_language) == language


def test_a_returning_user_keeps_their_language_whatever_the_browser_says(
    invoke: Invoke, issuer: ServedIssuer
) -> None:
    assert signed_in_language(invoke, issuer, "ada@example.com", "es") == "es"

    assert signed_in_language(invoke, issuer, "ada@example.com", "en-US,en") == "es"


def test_me_is_the_signed_in_user(invoke: Invoke, sign_in: SignIn) -> None:
    ada = sign_in("ada@example.com")
    response = invoke("AuthFunction", sample_event("auth/me.json", token=ada.token))

    assert response["statusCode"] == 200
    assert body_of(response) == {"user": ada.user}


def test_refresh_rotates_and_logout_revokes(invoke: Invoke, sign_in: SignIn) -> None:
    ada = sign_in("ada@example.com")
    refreshed = invoke(
        "AuthFunction", sample_event("auth/refresh.json", body={"refreshToken": ada.refresh_token})
    )
    assert refreshed["statusCode"] == 200
    tokens = body_of(refreshed)
    assert set(tokens) == {"token", "refreshToken", "expiresIn"}

    logout = invoke("AuthFunction", sample_event("auth/logout.json", token=tokens["token"]))
    assert logout["statusCode"] == 204
    assert not logout.get("body")

    after = invoke("AuthFunction", sample_event("auth/me.json", token=tokens["token"]))
    assert after["statusCode"] == 401
    assert body_of(after)["error"]["code"] == "UNAUTHORIZED"


def test_a_bad_google_token_is_401(invoke: Invoke, issuer: ServedIssuer) -> None:
    token = issuer.id_token("ada@example.com", aud="not-our-client")
    response = invoke("AuthFunction", sample_event("auth/sign_in_with_google.json", body={"token": token}))

    assert response["statusCode"] == 401
    assert body_of(response)["error"] == {
        "code": "UNAUTHORIZED",
        "message": "The Google token is not valid.",
        "details": {},
    }


@pytest.mark.parametrize("raw", ['{"token": ', "not json", "{'token': 'x'}", '{"token": "\ud800"}', "\udcff"])
def test_a_body_that_is_not_json_is_400_invalid_json(invoke: Invoke, raw: str) -> None:
    response = invoke("AuthFunction", sample_event("auth/sign_in_with_google.json", raw_body=raw))

    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "INVALID_JSON"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "token"),
        ({"token": 42}, "token"),
        ({"token": ""}, "token"),
        ({"token": "x", "admin": True}, "admin"),
        ([], "body"),
    ],
)
def test_schema_errors_are_422_naming_the_field(invoke: Invoke, body: object, field: str) -> None:
    response = invoke("AuthFunction", sample_event("auth/sign_in_with_google.json", body=body))

    assert response["statusCode"] == 422
    error = body_of(response)["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in [item["field"] for item in error["details"]["fields"]]


def test_an_oversized_body_is_413(invoke: Invoke) -> None:
    response = invoke(
        "AuthFunction", sample_event("auth/sign_in_with_google.json", body={"token": "x" * 70_000})
    )

    assert response["statusCode"] == 413
    assert body_of(response)["error"]["code"] == "TOO_LARGE"


def test_logout_without_a_token_is_401(invoke: Invoke) -> None:
    response = invoke("AuthFunction", sample_event("auth/logout.json"))

    assert response["statusCode"] == 401
    assert body_of(response)["error"]["code"] == "UNAUTHORIZED"


def test_an_unexpected_failure_is_500_with_nothing_internal_and_a_logged_request_id(
    invoke: Invoke, issuer: ServedIssuer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class BurningAuth:
        def sign_in_with_google(self, token: str, accept_language: str | None) -> None:
            raise RuntimeError("table imagegen-users-secret-name is on fire")

    auth = invoke.function("AuthFunction")
    auth.app.dependency_overrides[auth.auth_service] = BurningAuth
    event = sample_event("auth/sign_in_with_google.json", body={"token": issuer.id_token("a@example.com")})
    for handler in logging.getLogger("auth").handlers:  # Powertools keeps the stream it first saw
        if isinstance(handler, logging.StreamHandler):
            monkeypatch.setattr(handler, "stream", sys.stdout)

    response = invoke("AuthFunction", event)

    assert response["statusCode"] == 500
    error = body_of(response)["error"]
    assert error["code"] == "INTERNAL"
    assert "fire" not in response["body"]
    assert "imagegen" not in response["body"]
    assert error["details"] == {"requestId": event["requestContext"]["requestId"]}
    logged = capsys.readouterr().out
    assert "on fire" in logged
    assert event["requestContext"]["requestId"] in logged


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonp",
    ],
)
def test_a_body_that_is_not_json_is_415(invoke: Invoke, content_type: str) -> None:
    event = sample_event("auth/sign_in_with_google.json", body={"token": "x"})
    event["headers"]["content-type"] = content_type

    response = invoke("AuthFunction", event)

    assert response["statusCode"] == 415
    assert body_of(response)["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON", ""])
def test_json_content_types_and_none_are_read_as_json(invoke: Invoke, content_type: str) -> None:
    event = sample_event("auth/sign_in_with_google.json", body={"token": "x"})
    event["headers"]["content-type"] = content_type

    assert invoke("AuthFunction", event)["statusCode"] == 401  # parsed, then refused as a bad token
