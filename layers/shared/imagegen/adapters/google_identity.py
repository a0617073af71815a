"""Verifying Google ID tokens against the issuer's published keys (OIDC JWKS)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import jwt

from imagegen.errors import Unauthorized
from imagegen.models.auth import GoogleIdentity

if TYPE_CHECKING:
    import requests

_MAX_AGE = re.compile(r"max-age=(\d+)")


class JwksCache:
    """The issuer's signing keys, fetched with requests and kept across warm invocations (requests is
    imported at the first fetch: most invocations verify our own tokens and never fetch).

    Keys are refetched when the response's ``Cache-Control: max-age`` runs out, or when a
    token names a key we do not have (the issuer rotated) - but no more than once per
    ``min_refetch_seconds``, so tokens with made-up key ids cannot hammer the issuer.
    """

    def __init__(
        self,
        url: str,
        http: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        default_max_age: float = 3600.0,
        min_refetch_seconds: float = 10.0,
        timeout: tuple[float, float] = (2.0, 4.0),
    ) -> None:
        self._url = url
        self._http = http
        self._clock = clock
        self._default_max_age = default_max_age
        self._min_refetch = min_refetch_seconds
        self._timeout = timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def key(self, kid: str) -> jwt.PyJWK:
        """The key with id ``kid``; raises ``Unauthorized`` if the issuer does not publish it."""
        with self._lock:
            now = self._clock()
            stale = now >= self._expires_at
            unknown = kid not in self._keys
            may_refetch = self._fetched_at is None or now - self._fetched_at >= self._min_refetch
            if stale or (unknown and may_refetch):
                self._fetch(now)
            found = self._keys.get(kid)
        if found is None:
            raise Unauthorized("The token is signed with an unknown key.")
        return found

    def _fetch(self, now: float) -> None:
        import requests

        if self._http is None:
            self._http = requests.Session()
        try:
            response = self._http.get(self._url, timeout=self._timeout)
            response.raise_for_status()
            document = response.json()
            keys = jwt.PyJWKSet.from_dict(document).keys
        except (requests.RequestException, ValueError, jwt.PyJWKSetError) as error:
            if self._keys:  # keep serving the keys we have while the issuer is unreachable
                self._fetched_at = now
                return
            raise Unauthorized("The sign-in keys are unavailable; try again shortly.") from error
        self._keys = {key.key_id: key for key in keys if key.key_id}
        self._fetched_at = now
        match = _MAX_AGE.search(response.headers.get("Cache-Control", ""))
        self._expires_at = now + (float(match.group(1)) if match else self._default_max_age)


class GoogleTokenVerifier:
    """Checks a Google ID token for real: RS256 signature, issuer, audience, lifetime, verified email."""

    def __init__(
        self,
        keys: JwksCache,
        client_ids: Sequence[str],
        issuers: Sequence[str],
        leeway_seconds: int = 30,
    ) -> None:
        self._keys = keys
        self._client_ids = list(client_ids)
        self._issuers = list(issuers)
        self._leeway = leeway_seconds

    def verify(self, token: str) -> GoogleIdentity:
        """The identity in ``token``; raises ``Unauthorized`` for anything that is not a valid token."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise Unauthorized("The Google token is malformed.") from error
        kid = header.get("kid")
        if header.get("alg") != "RS256" or not isinstance(kid, str):
            raise Unauthorized("The Google token is not signed the way Google signs.")
        key = self._keys.key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self._client_ids,
                issuer=self._issuers,
                leeway=self._leeway,
                options={"require": ["iss", "aud", "sub", "iat", "exp"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthorized("The Google token has expired.") from error
        except jwt.PyJWTError as error:
            raise Unauthorized("The Google token is not valid.") from error
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise Unauthorized("The Google token carries no email.")
        if claims.get("email_verified") not in (True, "true"):
            raise Unauthorized("The Google account's email is not verified.")
        return GoogleIdentity(
            subject=str(claims["sub"]),
            email=email.lower(),
            first_name=str(claims.get("given_name") or ""),
            last_name=str(claims.get("family_name") or ""),
        )
