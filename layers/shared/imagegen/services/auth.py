"""Sign-in, refresh, logout, and authenticating every request."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from imagegen.errors import AccountDeleting, AccountSuspended, Unauthorized
from imagegen.ids import iso_at, now_iso
from imagegen.models.auth import AccessClaims, Caller, GoogleIdentity, TokenPair
from imagegen.models.sessions import Session
from imagegen.services.tokens import RefreshToken

# How long a used refresh token still gets the pair it was exchanged for: long enough for tabs that
# refresh at once and a retry after a timeout, short enough that a stolen token is soon worthless.
REFRESH_REUSE_GRACE_SECONDS = 30

ACCOUNT_SUSPENDED = (
    "This account is suspended. Its sessions have ended, and it cannot sign in until an admin restores it."
)
SESSION_ENDED = "The session has ended; sign in again."
ACCOUNT_DELETING = "This account is being deleted. Once that is done, you can sign up again as a new user."
# When a sign-in refused for a deletion under way may try again: the job takes seconds, but a large
# gallery, or a deletion the sweeper resumes, takes longer.
DELETING_RETRY_AFTER_SECONDS = 60

if TYPE_CHECKING:
    from imagegen.models.users import User
    from imagegen.services.accounts import Callers, Sessions
    from imagegen.services.tokens import RefreshTokens
    from imagegen.services.users import UserService


class IdentityVerifier(Protocol):
    """Who a Google ID token says signed in (``adapters.google_identity.GoogleTokenVerifier``)."""

    def verify(self, token: str) -> GoogleIdentity:
        """The token's identity, once its signature and claims check; ``Unauthorized`` otherwise."""
        ...


class AccessTokenIssuer(Protocol):
    """The service's short-lived access tokens (``adapters.access_tokens.AccessTokens``)."""

    ttl_seconds: int

    def issue(self, user_id: str, session_id: str, issued_at: int | None = None) -> str:
        """A token for ``user_id`` in ``session_id``, issued now or at ``issued_at``."""
        ...

    def verify(self, token: str) -> AccessClaims:
        """Whom a token speaks for; ``TokenExpired`` or ``Unauthorized`` otherwise."""
        ...


@dataclass(frozen=True, slots=True)
class SignIn:
    """A signed-in user and the tokens of their new session."""

    user: User
    tokens: TokenPair


class AuthService:
    """Sessions and tokens: who is calling, and for how long.

    ``google`` and ``users`` are what a sign-in needs, built when one first asks: every function
    authenticates its callers, and only the sign-in function has Google's and the languages' settings.
    """

    def __init__(
        self,
        google: Callable[[], IdentityVerifier],
        users: Callable[[], UserService],
        sessions: Sessions,
        callers: Callers,
        access_tokens: AccessTokenIssuer,
        refresh_tokens: RefreshTokens,
        refresh_ttl_seconds: int,
        clock: Callable[[], float] = time.time,
        reuse_grace_seconds: int = REFRESH_REUSE_GRACE_SECONDS,
    ) -> None:
        self._google = google
        self._users = users
        self._sessions = sessions
        self._callers = callers
        self._access = access_tokens
        self._refresh_tokens = refresh_tokens
        self._refresh_ttl = refresh_ttl_seconds
        self._clock = clock
        self._reuse_grace = reuse_grace_seconds

    def sign_in_with_google(self, id_token: str, accept_language: str | None = None) -> SignIn:
        """Verify a Google ID token, find or create its user (a new one in the language the browser's
        ``accept_language`` prefers), and open a session. A suspended user is refused
        (``AccountSuspended``), and so is an account whose deletion is under way (``AccountDeleting``): no
        session is opened, and the account is neither used nor made again until it is gone."""
        identity = self._google().verify(id_token)
        # The session's time is taken before the user is read: a suspension this sign-in does not see
        # is later than its session, which it therefore ends (see ``_admit``).
        opened_at = iso_at(self._clock())
        user = self._users().sign_in(identity, accept_language)
        if user.is_suspended:
            raise AccountSuspended(ACCOUNT_SUSPENDED)
        if user.is_being_deleted:
            raise AccountDeleting(ACCOUNT_DELETING, retry_after=DELETING_RETRY_AFTER_SECONDS)
        refresh = self._refresh_tokens.issue(secrets.token_urlsafe(18))
        self._sessions.create(
            Session(
                session_id=refresh.session_id,
                user_id=user.id,
                refresh_hash=refresh.hash,
                created_at=opened_at,
                rotated_at=opened_at,
                expires_at=int(self._clock()) + self._refresh_ttl,
            )
        )
        return SignIn(user=user, tokens=self._pair(user.id, refresh))

    def refresh(self, refresh_token: str) -> TokenPair:
        """New tokens for a live session; the presented refresh token stops working.

        The same token presented again within ``reuse_grace_seconds`` of its use (a second tab
        refreshing at the same moment, a retry after a lost answer) gets the same new pair. Later,
        presenting a refresh token that was issued for the session and already used means it
        leaked (or a client is confused): the whole session is revoked. Any other token is
        refused and changes nothing, so knowing a session id is not enough to end a session.
        A suspended user's session is refused (``AccountSuspended``), and so is one opened before
        their last suspension (``Unauthorized``), changing nothing.
        """
        presented = RefreshToken.parse(refresh_token)
        if not self._refresh_tokens.was_issued(presented):
            raise Unauthorized("The refresh token is not valid.")
        now = int(self._clock())
        session = self._live_session(presented.session_id, now)
        # The refresh token names only the session: its user is read now (with the balance, unused:
        # one round trip all the same).
        _admit(self._callers.load(session.session_id, session.user_id).user, session)
        successor = self._refresh_tokens.successor(presented)
        if presented.matches(session.refresh_hash):
            if self._sessions.rotate(
                session.session_id, presented.hash, successor.hash, now_iso(), now + self._refresh_ttl, now
            ):
                return self._pair(session.user_id, successor, issued_at=now)
            # Another refresh with this token got in first: it is judged by what that one wrote.
            session = self._live_session(presented.session_id, now)
        if (
            session.previous_refresh_hash is not None
            and session.rotated_epoch is not None
            and presented.matches(session.previous_refresh_hash)
            and now < session.rotated_epoch + self._reuse_grace
        ):
            return self._pair(session.user_id, successor, issued_at=session.rotated_epoch)
        self._sessions.revoke(session.session_id, now_iso())
        raise Unauthorized("The refresh token was already used; the session is revoked.")

    def _live_session(self, session_id: str, now: int) -> Session:
        session = self._sessions.get(session_id)
        if session is None or session.revoked_at or session.expires_at <= now:
            raise Unauthorized("The refresh token is not valid.")
        return session

    def logout(self, caller: Caller) -> None:
        """End the caller's session: its access and refresh tokens stop working at once."""
        self._sessions.revoke(caller.session_id, now_iso())

    def authenticate(self, authorization: str | None) -> Caller:
        """The caller behind an ``Authorization: Bearer`` header, checked against their live session."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Sign in: an 'Authorization: Bearer <token>' header is required.")
        claims = self._access.verify(token.strip())
        record = self._callers.load(claims.session_id, claims.user_id)
        session, user = record.session, record.user
        if (
            session is None
            or user is None
            or session.user_id != claims.user_id
            or session.revoked_at
            or session.expires_at <= int(self._clock())
        ):
            raise Unauthorized(SESSION_ENDED)
        _admit(user, session)
        return Caller(user=user, session_id=session.session_id, balance=record.balance, stats=record.stats)

    def _pair(self, user_id: str, refresh: RefreshToken, issued_at: int | None = None) -> TokenPair:
        return TokenPair(
            token=self._access.issue(user_id, refresh.session_id, issued_at),
            refresh_token=str(refresh),
            expires_in=self._access.ttl_seconds,
        )


def _admit(user: User | None, session: Session) -> None:
    """Refuse a live ``session`` whose ``user`` is gone (401), suspended (403, saying so), or was suspended
    after the session was opened: it ended then, and stays ended once the user is restored (401). So a
    suspension ends every session at once without a scan of the sessions: each is judged by its creation
    time on its next use."""
    if user is None or user.is_being_deleted:  # a deletion ends every session, as the user's removal will
        raise Unauthorized(SESSION_ENDED)
    if user.is_suspended:
        raise AccountSuspended(ACCOUNT_SUSPENDED)
    # Both are written by ids.iso (UTC, milliseconds, "Z"), whose text sorts as time does. A session
    # opened in the very millisecond of the suspension may have read the user before it: it ended too.
    if user.sessions_valid_from is not None and session.created_at <= user.sessions_valid_from:
        raise Unauthorized(SESSION_ENDED)
