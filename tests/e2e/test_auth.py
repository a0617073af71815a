"""Sign-in, tokens and sessions through the local stack, as a client sees them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
import requests

from standins.google import SigningKey
from tests.e2e.conftest import Api, error_code, new_email


def test_first_sign_in_creates_the_user_with_welcome_coins(api: Api) -> None:
    email = new_email()
    response = api.call(
        "POST", "/auth/google", json={"token": api.id_token(email, firstName="Ada", lastName="Lovelace")}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["expiresIn"] == 900
    assert body["user"]["email"] == email
    assert (body["user"]["firstName"], body["user"]["lastName"]) == ("Ada", "Lovelace")
    assert (body["user"]["roles"], body["user"]["coins"], body["user"]["language"]) == (["USER"], 1000, "en")

    again = api.sign_in(email)
    assert again.user["id"] == body["user"]["id"]
    assert again.user["coins"] == 1000


def test_me_on_both_routes(api: Api) -> None:
    session = api.sign_in(new_email())
    assert api.call("GET", "/auth/me", session.token).json() == {"user": session.user}
    profile = api.call("GET", "/users/me", session.token).json()["user"]
    assert profile == {**session.user, "stats": {"images": 0, "generated": 0, "uploaded": 0, "coinsSpent": 0}}


def refresh(api: Api, refresh_token: str) -> requests.Response:
    return api.call("POST", "/auth/refresh", json={"refreshToken": refresh_token})


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_session(api: Api) -> None:
    session = api.sign_in(new_email())

    first = refresh(api, session.refresh_token)
    assert first.status_code == 200
    rotated = first.json()
    assert set(rotated) == {"token", "refreshToken", "expiresIn"}
    assert api.call("GET", "/auth/me", rotated["token"]).status_code == 200
    latest = refresh(api, rotated["refreshToken"]).json()

    # Neither the token just replaced (a second tab gets the same pair for 30 s) nor the current one.
    reuse = refresh(api, session.refresh_token)
    assert reuse.status_code == 401
    assert error_code(reuse) == "UNAUTHORIZED"

    assert api.call("GET", "/auth/me", latest["token"]).status_code == 401
    assert refresh(api, latest["refreshToken"]).status_code == 401


def test_tabs_refreshing_at_once_stay_signed_in_with_the_same_new_pair(api: Api) -> None:
    session = api.sign_in(new_email())

    with ThreadPoolExecutor(max_workers=20) as tabs:
        answers = list(tabs.map(lambda _: refresh(api, session.refresh_token), range(20)))

    assert [answer.status_code for answer in answers] == [200] * 20
    pairs = {(answer.json()["token"], answer.json()["refreshToken"]) for answer in answers}
    assert len(pairs) == 1
    [(token, refresh_token)] = pairs
    assert api.call("GET", "/auth/me", token).status_code == 200
    assert refresh(api, session.refresh_token).json()["refreshToken"] == refresh_token  # a late tab
    assert refresh(api, refresh_token).status_code == 200  # and the session goes on


def test_logout_revokes_access_and_refresh_at_once(api: Api) -> None:
    session = api.sign_in(new_email())

    logout = api.call("POST", "/auth/logout", session.token)
    assert logout.status_code == 204
    assert logout.content == b""

    me = api.call("GET", "/auth/me", session.token)
    assert me.status_code == 401
    assert error_code(me) == "UNAUTHORIZED"
    assert api.call("POST", "/auth/refresh", json={"refreshToken": session.refresh_token}).status_code == 401
    assert api.call("POST", "/auth/logout", session.token).status_code == 401


def test_other_sessions_of_the_user_survive_a_logout(api: Api) -> None:
    email = new_email()
    phone, laptop = api.sign_in(email), api.sign_in(email)
    assert api.call("POST", "/auth/logout", phone.token).status_code == 204
    assert api.call("GET", "/auth/me", laptop.token).status_code == 200


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda api, email: api.stack.issuer.id_token(email, key=SigningKey("local-1")),
            id="forged signature",
        ),
        pytest.param(
            lambda api, email: api.stack.issuer.id_token(email, lifetime_seconds=-120), id="expired"
        ),
        pytest.param(
            lambda api, email: api.stack.issuer.id_token(email, aud="someone-else"), id="wrong audience"
        ),
        pytest.param(
            lambda api, email: api.stack.issuer.id_token(email, iss="https://accounts.google.com"),
            id="wrong issuer",
        ),
        pytest.param(
            lambda api, email: api.stack.issuer.id_token(email, email_verified=False), id="unverified email"
        ),
        pytest.param(
            lambda api, email: jwt.encode(
                jwt.decode(api.id_token(email), options={"verify_signature": False}),
                None,
                algorithm="none",
                headers={"kid": "local-1"},
            ),
            id="alg none",
        ),
        pytest.param(lambda _api, _email: "garbage", id="garbage"),
    ],
)
def test_bad_google_tokens_are_401_and_create_nobody(api: Api, forge) -> None:  # type: ignore[no-untyped-def]
    email = new_email()
    response = api.call("POST", "/auth/google", json={"token": forge(api, email)})

    assert response.status_code == 401
    assert error_code(response) == "UNAUTHORIZED"
    admin = api.sign_in("admin@example.com")
    emails = {
        user["email"]
        for user in api.call("GET", "/users", admin.token, params={"limit": 100}).json()["users"]
    }
    assert email not in emails


def _signing_secret(api: Api) -> str:
    session = api.stack.boto_session()
    client = session.client("secretsmanager", endpoint_url=api.stack.aws.url)
    arn = api.stack.env("AuthFunction")["TOKEN_SECRET_ARN"]
    secret: str = client.get_secret_value(SecretId=arn)["SecretString"]
    return secret


def test_access_tokens_are_checked_for_expiry_audience_and_algorithm(api: Api) -> None:
    session = api.sign_in(new_email())
    claims = jwt.decode(session.token, options={"verify_signature": False})
    secret = _signing_secret(api)
    now = int(time.time())

    expired = jwt.encode({**claims, "iat": now - 1000, "exp": now - 100}, secret, algorithm="HS256")
    response = api.call("GET", "/auth/me", expired)
    assert response.status_code == 401
    assert error_code(response) == "TOKEN_EXPIRED"

    for forged in (
        jwt.encode({**claims, "aud": "another-api"}, secret, algorithm="HS256"),
        jwt.encode(claims, "not-the-secret-" * 4, algorithm="HS256"),
        jwt.encode(claims, None, algorithm="none"),
        jwt.encode(claims, secret, algorithm="HS512"),
    ):
        response = api.call("GET", "/auth/me", forged)
        assert response.status_code == 401
        assert error_code(response) == "UNAUTHORIZED"


def test_racing_first_sign_ins_create_one_user_with_one_welcome(api: Api) -> None:
    email = new_email()
    tokens = [api.id_token(email) for _ in range(8)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(
            pool.map(lambda token: api.call("POST", "/auth/google", json={"token": token}), tokens)
        )

    assert [response.status_code for response in responses] == [200] * 8
    assert len({response.json()["user"]["id"] for response in responses}) == 1
    user_id = responses[0].json()["user"]["id"]

    session = api.stack.boto_session()
    dynamodb = session.client("dynamodb", endpoint_url=api.stack.aws.url)
    env = api.stack.env("AuthFunction")
    entries = dynamodb.query(
        TableName=env["COINS_TABLE"],
        KeyConditionExpression="userId = :u AND begins_with(sk, :txn)",
        ExpressionAttributeValues={":u": {"S": user_id}, ":txn": {"S": "TXN#"}},
    )["Items"]
    assert [entry["reason"]["S"] for entry in entries] == ["welcome"]
    assert api.call("GET", "/users/me", responses[0].json()["token"]).json()["user"]["coins"] == 1000
    users = dynamodb.scan(
        TableName=env["USERS_TABLE"],
        FilterExpression="email = :e",
        ExpressionAttributeValues={":e": {"S": email}},
    )["Items"]
    assert len(users) == 1
