from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization

from imagegen.adapters.google_identity import GoogleTokenVerifier, JwksCache
from imagegen.errors import Unauthorized
from standins.google import SigningKey
from tests.conftest import ServedIssuer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(issuer: ServedIssuer, clock: Clock) -> GoogleTokenVerifier:
    return GoogleTokenVerifier(JwksCache(issuer.jwks_url, clock=clock), [issuer.client_id], [issuer.issuer])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(claims: dict[str, object], header: dict[str, object]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def _hs256(claims: dict[str, object], header: dict[str, object], secret: bytes) -> str:
    """Signed by hand: PyJWT itself refuses to HMAC with something that looks like a public key."""
    signing_input = _unsigned(claims, header)[:-1]
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def test_a_valid_token_gives_the_identity(verifier: GoogleTokenVerifier, issuer: ServedIssuer) -> None:
    token = issuer.id_token("Ada@Example.com", "Ada", "Lovelace", locale="en-GB")

    identity = verifier.verify(token)

    assert identity.email == "ada@example.com"
    assert identity.subject == issuer.subject_for("ada@example.com")
    assert (identity.first_name, identity.last_name) == ("Ada", "Lovelace")


def test_the_bare_google_issuer_form_is_accepted_when_configured(issuer: ServedIssuer, clock: Clock) -> None:
    verifier = GoogleTokenVerifier(
        JwksCache(issuer.jwks_url, clock=clock),
        [issuer.client_id],
        ["https://accounts.google.com", "accounts.google.com"],
    )
    assert (
        verifier.verify(issuer.id_token("a@example.com", iss="accounts.google.com")).email == "a@example.com"
    )


@dataclass(frozen=True)
class FromNow:
    """A time claim this many seconds from when the test runs (not from when tests are collected:
    a long run would turn "in the future" into the past)."""

    seconds: int


@pytest.mark.parametrize(
    ("case", "claims"),
    [
        ("wrong audience", {"aud": "someone-else.apps.googleusercontent.com"}),
        ("wrong issuer", {"iss": "https://evil.example.com"}),
        ("expired", {"exp": FromNow(-120), "iat": FromNow(-3720)}),
        ("issued in the future", {"iat": FromNow(600)}),
        ("email not verified", {"email_verified": False}),
        ("email verified as a string 'false'", {"email_verified": "false"}),
        ("no email", {"email": None}),
        ("no subject", {"sub": None}),
    ],
)
def test_tokens_with_bad_claims_are_refused(
    verifier: GoogleTokenVerifier, issuer: ServedIssuer, case: str, claims: dict[str, object]
) -> None:
    claims = {
        name: int(time.time()) + value.seconds if isinstance(value, FromNow) else value
        for name, value in claims.items()
    }
    token = issuer.id_token("a@example.com", **claims)
    if None in claims.values():  # drop the claim entirely
        payload = jwt.decode(token, options={"verify_signature": False})
        for name, value in claims.items():
            if value is None:
                del payload[name]
        token = jwt.encode(
            payload, issuer.keys[-1].private_key, algorithm="RS256", headers={"kid": issuer.keys[-1].kid}
        )
    with pytest.raises(Unauthorized):
        verifier.verify(token)


def test_a_token_signed_by_another_key_under_a_published_kid_is_refused(
    verifier: GoogleTokenVerifier, issuer: ServedIssuer
) -> None:
    forger = SigningKey(issuer.keys[-1].kid)
    with pytest.raises(Unauthorized):
        verifier.verify(issuer.id_token("a@example.com", key=forger))


def test_an_unsigned_token_is_refused(verifier: GoogleTokenVerifier, issuer: ServedIssuer) -> None:
    claims = jwt.decode(issuer.id_token("a@example.com"), options={"verify_signature": False})
    with pytest.raises(Unauthorized):
        verifier.verify(_unsigned(claims, {"alg": "none", "kid": issuer.keys[-1].kid}))


def test_a_token_signed_with_the_public_key_as_an_hmac_secret_is_refused(
    verifier: GoogleTokenVerifier, issuer: ServedIssuer
) -> None:
    claims = jwt.decode(issuer.id_token("a@example.com"), options={"verify_signature": False})
    public_pem = (
        issuer.keys[-1]
        .private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    forged = _hs256(claims, {"alg": "HS256", "typ": "JWT", "kid": issuer.keys[-1].kid}, public_pem)
    with pytest.raises(Unauthorized):
        verifier.verify(forged)


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c", "e30.e30.e30"])
def test_garbage_is_refused(verifier: GoogleTokenVerifier, garbage: str) -> None:
    with pytest.raises(Unauthorized):
        verifier.verify(garbage)


def test_keys_are_fetched_once_while_fresh(
    verifier: GoogleTokenVerifier, issuer: ServedIssuer, clock: Clock
) -> None:
    before = issuer.jwks_fetches
    for _ in range(3):
        verifier.verify(issuer.id_token("a@example.com"))
        clock.now += 10
    assert issuer.jwks_fetches - before == 1


def test_keys_are_fetched_again_when_their_max_age_runs_out(
    verifier: GoogleTokenVerifier, issuer: ServedIssuer, clock: Clock
) -> None:
    before = issuer.jwks_fetches
    verifier.verify(issuer.id_token("a@example.com"))
    clock.now += 301  # the issuer serves max-age=300
    verifier.verify(issuer.id_token("a@example.com"))
    assert issuer.jwks_fetches - before == 2


def test_a_token_from_a_rotated_key_makes_the_keys_be_fetched_again(
    verifier: GoogleTokenVerifier, issuer: ServedIssuer, clock: Clock
) -> None:
    verifier.verify(issuer.id_token("a@example.com"))
    clock.now += 11
    rotated = issuer.rotate()
    before = issuer.jwks_fetches

    assert verifier.verify(issuer.id_token("a@example.com", key=rotated)).email == "a@example.com"
    assert issuer.jwks_fetches - before == 1


def test_unknown_key_ids_cannot_make_it_hammer_the_issuer(
    verifier: GoogleTokenVerifier, issuer: ServedIssuer
) -> None:
    verifier.verify(issuer.id_token("a@example.com"))
    before = issuer.jwks_fetches
    for attempt in range(5):
        with pytest.raises(Unauthorized):
            verifier.verify(issuer.id_token("a@example.com", key=SigningKey(f"made-up-{attempt}")))
    assert issuer.jwks_fetches == before


def test_cached_keys_keep_working_while_the_issuer_is_unreachable(issuer: ServedIssuer, clock: Clock) -> None:
    class Flaky(requests.Session):
        down = False

        def get(self, url: str, **kwargs: object) -> requests.Response:  # type: ignore[override]
            if self.down:
                raise requests.ConnectionError("down")
            return super().get(url, **kwargs)  # type: ignore[arg-type]

    http = Flaky()
    verifier = GoogleTokenVerifier(
        JwksCache(issuer.jwks_url, http=http, clock=clock), [issuer.client_id], [issuer.issuer]
    )
    verifier.verify(issuer.id_token("a@example.com"))
    http.down = True
    clock.now += 1000

    assert verifier.verify(issuer.id_token("a@example.com")).email == "a@example.com"


def test_no_keys_at_all_is_unauthorized_not_a_crash(issuer: ServedIssuer, clock: Clock) -> None:
    verifier = GoogleTokenVerifier(
        JwksCache(issuer.issuer + "/missing", clock=clock), [issuer.client_id], [issuer.issuer]
    )
    with pytest.raises(Unauthorized):
        verifier.verify(issuer.id_token("a@example.com"))
