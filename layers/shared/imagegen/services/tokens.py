"""Our own credentials: short-lived access tokens (JWT) and opaque, rotating refresh tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from imagegen.errors import TokenExpired, Unauthorized
from imagegen.signing import mac, same_mac

ACCESS_TOKEN_ALGORITHM = "HS256"  # noqa: S105 - an algorithm name, not a secret


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """Who an access token speaks for."""

    user_id: str
    session_id: str


class AccessTokens:
    """Issues and verifies access tokens signed with the service's secret (algorithm pinned)."""

    def __init__(
        self,
        signing_key: Callable[[], str],
        issuer: str,
        audience: str,
        ttl_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._signing_key = signing_key
        self._issuer = issuer
        self._audience = audience
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    def issue(self, user_id: str, session_id: str, issued_at: int | None = None) -> str:
        """A signed access token for ``user_id`` in ``session_id``, issued now or at ``issued_at``
        (epoch seconds: the same token again, for a pair handed out twice)."""
        now = int(self._clock()) if issued_at is None else issued_at
        claims = {
            "sub": user_id,
            "sid": session_id,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "iss": self._issuer,
            "aud": self._audience,
        }
        return jwt.encode(claims, self._signing_key(), algorithm=ACCESS_TOKEN_ALGORITHM)

    def verify(self, token: str) -> AccessClaims:
        """The claims of a token we issued; ``TokenExpired`` once it has run out, else ``Unauthorized``."""
        try:
            claims = jwt.decode(
                token,
                self._signing_key(),
                algorithms=[ACCESS_TOKEN_ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=5,
                options={"require": ["sub", "sid", "iat", "exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise TokenExpired("The access token has expired.") from error
        except jwt.PyJWTError as error:
            raise Unauthorized("The access token is not valid.") from error
        user_id, session_id = claims.get("sub"), claims.get("sid")
        if not isinstance(user_id, str) or not isinstance(session_id, str):
            raise Unauthorized("The access token is not valid.")
        return AccessClaims(user_id=user_id, session_id=session_id)


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """A refresh token is ``<sessionId>.<secret>``; only the secret's hash is ever stored."""

    session_id: str
    secret: str

    @classmethod
    def parse(cls, token: str) -> RefreshToken:
        """A refresh token from its string form; ``Unauthorized`` if malformed."""
        session_id, dot, secret = token.partition(".")
        if not dot or not session_id or len(secret) < 32:
            raise Unauthorized("The refresh token is not valid.")
        return cls(session_id=session_id, secret=secret)

    def __str__(self) -> str:
        return f"{self.session_id}.{self.secret}"

    @property
    def hash(self) -> str:
        """What is stored: the SHA-256 of the secret."""
        return hashlib.sha256(self.secret.encode("utf-8", "surrogatepass")).hexdigest()

    def matches(self, stored_hash: str) -> bool:
        """Whether this token is the one whose hash is stored (constant time)."""
        return hmac.compare_digest(self.hash, stored_hash)


# Not in the URL-safe base64 alphabet the nonce and the MAC are written in.
_MAC_SEPARATOR = "~"


class RefreshTokens:
    """Issues refresh tokens whose secret is a random nonce and a MAC of it with the session id.

    The session stores only the current token's hash, yet a token this service once issued for a
    session is recognisable: its MAC checks. So presenting an old one is detected as reuse (the
    session is revoked), while a guess, even one naming a real session id (readable in any
    access token), is a plain refusal that changes nothing.
    """

    def __init__(self, signing_key: Callable[[], str]) -> None:
        self._signing_key = signing_key

    def issue(self, session_id: str) -> RefreshToken:
        """A fresh refresh token for the session, with 256 random bits."""
        nonce = secrets.token_urlsafe(32)
        return RefreshToken(
            session_id=session_id, secret=f"{nonce}{_MAC_SEPARATOR}{self._mac(session_id, nonce)}"
        )

    def successor(self, token: RefreshToken) -> RefreshToken:
        """The token that replaces ``token`` when it is used: derived from it, so that the same token
        presented twice at once (two tabs, a retry) is answered with the same successor, though only
        hashes are stored. Only this service can derive it (the MAC's key is its secret)."""
        nonce = mac(self._signing_key(), b"refresh-token-successor", f"{token.session_id}\n{token.secret}")
        return RefreshToken(
            session_id=token.session_id,
            secret=f"{nonce}{_MAC_SEPARATOR}{self._mac(token.session_id, nonce)}",
        )

    def was_issued(self, token: RefreshToken) -> bool:
        """Whether this service issued ``token`` for its session (now or earlier)."""
        nonce, separator, presented = token.secret.rpartition(_MAC_SEPARATOR)
        if not separator or not nonce:
            return False
        return same_mac(presented, self._mac(token.session_id, nonce))

    def _mac(self, session_id: str, nonce: str) -> str:
        return mac(self._signing_key(), b"refresh-token", f"{session_id}\n{nonce}")
