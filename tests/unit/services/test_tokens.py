"""Refresh tokens: opaque, rotating, stored only as hashes."""

from __future__ import annotations

import pytest

from imagegen.errors import Unauthorized
from imagegen.services.tokens import RefreshToken, RefreshTokens

SECRET = "s" * 64


def test_a_refresh_token_round_trips_and_only_its_hash_matches() -> None:
    token = RefreshTokens(lambda: SECRET).issue("S1")
    parsed = RefreshToken.parse(str(token))

    assert parsed == token
    assert parsed.matches(token.hash)
    assert not RefreshTokens(lambda: SECRET).issue("S1").matches(token.hash)
    assert token.secret not in token.hash


def test_a_refresh_token_is_recognised_as_issued_only_for_its_own_session_and_secret() -> None:
    issuer = RefreshTokens(lambda: SECRET)
    token = issuer.issue("S1")
    nonce, _, mac = token.secret.rpartition("~")

    assert issuer.was_issued(RefreshToken.parse(str(token)))
    assert not issuer.was_issued(RefreshToken("S2", token.secret))
    assert not issuer.was_issued(RefreshToken("S1", f"{nonce}x~{mac}"))
    assert not issuer.was_issued(RefreshToken("S1", "x" * 43))
    assert not issuer.was_issued(RefreshToken("S1", "é" * 43))
    assert not RefreshTokens(lambda: "another secret").was_issued(token)


def test_a_refresh_tokens_successor_is_always_the_same_issued_token_and_only_its_own() -> None:
    issuer = RefreshTokens(lambda: SECRET)
    token = issuer.issue("S1")

    successor = issuer.successor(token)

    assert successor == issuer.successor(RefreshToken.parse(str(token)))  # asked twice, the same
    assert successor.session_id == "S1"
    assert issuer.was_issued(successor)
    assert successor.secret != token.secret
    assert issuer.successor(successor) != successor
    assert issuer.successor(issuer.issue("S1")) != successor
    assert RefreshTokens(lambda: "another secret").successor(token) != successor


@pytest.mark.parametrize("garbage", ["", "S1", "S1.", ".secret" + "x" * 40, "S1.short"])
def test_malformed_refresh_tokens_are_refused(garbage: str) -> None:
    with pytest.raises(Unauthorized):
        RefreshToken.parse(garbage)
