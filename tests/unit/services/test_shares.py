"""Share tokens: 256 bits derived from a link's 128 random bits with the service's secret, found by their
SHA-256; and client addresses kept as a keyed hash."""

from __future__ import annotations

import base64
import hashlib
import re

from imagegen.services.shares import ShareTokens

SECRET = "k" * 48


def test_a_token_is_256_bits_of_url_safe_text_derived_from_the_links_random_bits() -> None:
    tokens = ShareTokens(lambda: SECRET)
    nonce = tokens.new_nonce()

    token = tokens.token(nonce)

    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert len(base64.urlsafe_b64decode(token + "=")) == 32
    assert tokens.token(nonce) == token  # what lets the owner see the link again
    assert tokens.well_formed(token)


def test_the_random_bits_are_128_and_fresh_for_each_link() -> None:
    nonces = {ShareTokens.new_nonce() for _ in range(1000)}

    assert len(nonces) == 1000
    assert {len(base64.urlsafe_b64decode(nonce + "==")) for nonce in nonces} == {16}


def test_a_token_needs_the_secret_and_says_nothing_of_ids() -> None:
    nonce = "AAAAAAAAAAAAAAAAAAAAAA"

    mine, other = ShareTokens(lambda: SECRET).token(nonce), ShareTokens(lambda: "j" * 48).token(nonce)

    assert mine != other
    # Not a hash of the bits alone, nor of them with any id: only the keyed derivation makes it.
    plain = base64.urlsafe_b64encode(hashlib.sha256(nonce.encode()).digest()).rstrip(b"=").decode()
    assert mine != plain


def test_a_token_is_found_by_its_sha256() -> None:
    token = ShareTokens(lambda: SECRET).token(ShareTokens.new_nonce())

    assert ShareTokens.hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert ShareTokens.hash(token) != ShareTokens.hash(token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_only_text_written_as_a_token_is_one() -> None:
    tokens = ShareTokens(lambda: SECRET)

    assert not tokens.well_formed("A" * 42)
    assert not tokens.well_formed("A" * 44)
    assert not tokens.well_formed("A" * 42 + "=")
    assert not tokens.well_formed("A" * 42 + "é")
    assert not tokens.well_formed("A" * 43 + "\n")


def test_an_address_is_kept_as_a_hash_keyed_by_the_secret() -> None:
    tokens = ShareTokens(lambda: SECRET)

    key = tokens.address_key("203.0.113.7")

    assert "203.0.113.7" not in key
    assert key == tokens.address_key("203.0.113.7")
    assert key != tokens.address_key("203.0.113.8")
    assert key != ShareTokens(lambda: "j" * 48).address_key("203.0.113.7")
