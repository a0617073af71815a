"""The service's access tokens: JWTs signed with its secret (HS256, pinned), through PyJWT, loaded
only where sign-in or a signed-in route first needs one."""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt

from imagegen.errors import TokenExpired, Unauthorized
from imagegen.models.auth import AccessClaims

ACCESS_TOKEN_ALGORITHM = "HS256"  # noqa: S105 - an algorithm name, not a secret


class AccessTokens:
    """Issues and verifies access tokens signed with the service's secret, algorithm pinned (an
    ``AccessTokenIssuer``)."""

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
