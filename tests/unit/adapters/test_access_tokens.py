"""The service's access tokens (JWT)."""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
import pytest

from imagegen.adapters.access_tokens import AccessTokens
from imagegen.errors import TokenExpired, Unauthorized

SECRET = "s" * 64


def tokens(clock: float = 1_000_000.0, secret: str = SECRET, audience: str = "api") -> AccessTokens:
    return AccessTokens(
        lambda: secret, issuer="imagegen/test", audience=audience, ttl_seconds=900, clock=lambda: clock
    )


def test_an_issued_token_verifies_to_its_user_and_session() -> None:
    access = tokens(clock=time.time())
    claims = access.verify(access.issue("U1", "S1"))
    assert (claims.user_id, claims.session_id) == ("U1", "S1")


def test_the_token_carries_the_documented_claims_with_a_pinned_algorithm() -> None:
    token = tokens().issue("U1", "S1")
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert set(claims) == {"sub", "sid", "iat", "exp", "iss", "aud"}
    assert claims["exp"] - claims["iat"] == 900


def test_an_expired_token_is_reported_as_expired() -> None:
    old = tokens(clock=1_000_000.0).issue("U1", "S1")
    with pytest.raises(TokenExpired):
        tokens(clock=time.time()).verify(old)


def claims(now: float, **changes: object) -> dict[str, object]:
    """Claims of a token this service would issue, with ``changes`` (None drops a claim)."""
    base: dict[str, object] = {
        "sub": "U1",
        "sid": "S1",
        "iat": int(now),
        "exp": int(now) + 60,
        "iss": "imagegen/test",
        "aud": "api",
    }
    merged = {**base, **changes}
    return {name: value for name, value in merged.items() if value is not None}


@pytest.mark.parametrize(
    "forge",
    [
        lambda now: tokens(clock=now, secret="x" * 64).issue("U1", "S1"),
        lambda now: tokens(clock=now, audience="other").issue("U1", "S1"),
        lambda now: jwt.encode(claims(now), None, algorithm="none"),
        lambda now: jwt.encode(claims(now, sid=None), SECRET, algorithm="HS256"),
        lambda now: jwt.encode(claims(now, iss="someone-else"), SECRET, algorithm="HS256"),
        lambda now: jwt.encode(claims(now), SECRET, algorithm="HS512"),
    ],
    ids=["other secret", "other audience", "alg none", "no session", "other issuer", "other algorithm"],
)
def test_forged_tokens_are_refused(forge: Callable[[float], str]) -> None:
    now = time.time()
    with pytest.raises(Unauthorized) as refused:
        tokens(clock=now).verify(forge(now))
    assert not isinstance(refused.value, TokenExpired)


def test_an_access_token_issued_at_a_given_second_is_the_same_token() -> None:
    access = tokens(clock=time.time())
    issued_at = int(time.time()) - 5

    assert access.issue("U1", "S1", issued_at) == access.issue("U1", "S1", issued_at)
    assert (
        jwt.decode(access.issue("U1", "S1", issued_at), options={"verify_signature": False})["iat"]
        == issued_at
    )
