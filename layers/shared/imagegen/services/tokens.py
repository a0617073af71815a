"""Our own credentials: short-lived access tokens (JWT) and opaque, rotating refresh tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from imagegen.errors import Unauthorized
from imagegen.signing import mac, same_mac


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
