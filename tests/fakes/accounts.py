"""In-memory twins of the accounts' ports (``services.accounts``: ``Users``, ``Sessions``, ``Callers``),
with the conditions the DynamoDB repositories write with, and of the two outside parties sign-in
trusts (``services.auth``'s ``IdentityVerifier`` and ``AccessTokenIssuer``), so that sign-in, sessions
and users run with no JWT library, no Google and no AWS. ``tests/unit/repositories/test_accounts_twins``
holds the stores to the repositories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from imagegen.errors import TokenExpired, Unauthorized
from imagegen.models.auth import AccessClaims, GoogleIdentity
from imagegen.models.sessions import Session
from imagegen.models.users import AccountStats, Role, User, UserStatus
from imagegen.services.accounts import CallerRecord, NewUser
from imagegen.services.unit_of_work import Write
from tests.fakes import InMemoryWallets, in_memory_write

# The names of a first sign-in's writes, as repositories.users names them (a test refuses them by name).
USER_PROFILE, SUBJECT_CLAIM, EMAIL_CLAIM = "user profile", "Google subject claim", "email claim"


class InMemoryUsers:
    """``Users`` in memory: a first sign-in's writes are refused if the id, the Google subject or the
    email (in any case) is held already; a role is added only to the roles it was read with."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.subjects: dict[str, str] = {}  # Google subject -> user id
        self.emails: dict[str, str] = {}  # lower-case email -> user id
        self.welcomed: set[str] = set()  # the marks of Google accounts welcomed in accounts since deleted
        self.exports: set[str] = set()  # the users with an export record
        self._created: list[str] = []  # ids in the order their profiles were written

    def get(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    def find_id_by_google_subject(self, subject: str) -> str | None:
        return self.subjects.get(subject)

    def creation(self, user: User) -> NewUser:
        def profile() -> None:
            self.users[user.id] = user
            self._created.append(user.id)

        email = user.email.lower()
        return NewUser(
            profile=in_memory_write(USER_PROFILE, lambda: user.id not in self.users, profile),
            subject_claim=in_memory_write(
                SUBJECT_CLAIM,
                lambda: user.google_sub not in self.subjects,
                lambda: self.subjects.__setitem__(user.google_sub, user.id),
            ),
            email_claim=in_memory_write(
                EMAIL_CLAIM, lambda: email not in self.emails, lambda: self.emails.__setitem__(email, user.id)
            ),
        )

    def was_welcomed(self, mark: str) -> bool:
        return mark in self.welcomed

    def update(self, user_id: str, changes: dict[str, Any], updated_at: str) -> User | None:
        user = self.users.get(user_id)
        if user is None or user.is_being_deleted:
            return None
        return self._keep(
            User.model_validate({**user.model_dump(by_alias=True), **changes, "updatedAt": updated_at})
        )

    def deletion_writes(self, user: User, requested_at: str, welcome_mark: str) -> list[Write]:
        def mark() -> None:
            self.users[user.id] = self.users[user.id].model_copy(
                update={
                    "status": UserStatus.DELETING,
                    "sessions_valid_from": requested_at,
                    "deletion_requested_at": requested_at,
                    "updated_at": requested_at,
                }
            )

        def markable() -> bool:
            return user.id in self.users and not self.users[user.id].is_being_deleted

        return [
            in_memory_write("account deletion", markable, mark),
            in_memory_write("welcome record", lambda: True, lambda: self.welcomed.add(welcome_mark)),
        ]

    def being_deleted_since(self, before: str) -> list[str]:
        return [
            user.id
            for user in self.users.values()
            if user.is_being_deleted and (user.deletion_requested_at or "") < before
        ]

    def remove_export_record(self, user_id: str) -> None:
        self.exports.discard(user_id)

    def removal_writes(self, user: User) -> list[Write]:
        def remove() -> None:
            del self.users[user.id]
            self.subjects = {subject: held for subject, held in self.subjects.items() if held != user.id}
            self.emails = {email: held for email, held in self.emails.items() if held != user.id}

        def removable() -> bool:
            return user.id in self.users and self.users[user.id].is_being_deleted

        return [in_memory_write("user record", removable, remove)]

    def add_role(self, user_id: str, role: Role, roles: list[Role], updated_at: str) -> User | None:
        user = self.users.get(user_id)
        if user is None or user.roles != roles:
            return None
        return self._keep(user.model_copy(update={"roles": [*roles, role], "updated_at": updated_at}))

    def list_page(
        self, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[User], dict[str, Any] | None]:
        # Newest first; profiles created in the same millisecond, the later written first.
        by_creation = sorted(self._created, key=lambda user_id: self.users[user_id].created_at)
        return _page([self.users[user_id] for user_id in reversed(by_creation)], limit, start_key)

    def search_page(
        self, email_prefix: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[User], dict[str, Any] | None]:
        found = sorted(
            (user for user in self.users.values() if user.email.startswith(email_prefix)),
            key=lambda user: (user.email, user.id),
        )
        return _page(found, limit, start_key)

    def _keep(self, user: User) -> User:
        self.users[user.id] = user
        return user


def _page(
    ordered: list[User], limit: int, start_key: dict[str, Any] | None
) -> tuple[list[User], dict[str, Any] | None]:
    """The ``limit`` users after the one ``start_key`` names, and the key to continue from (None when
    none are left)."""
    ids = [user.id for user in ordered]
    start = ids.index(start_key["after"]) + 1 if start_key else 0
    page = ordered[start : start + limit]
    return page, ({"after": page[-1].id} if start + limit < len(ordered) else None)


class InMemorySessions:
    """``Sessions`` in memory: a rotation goes through only if the session is live and still holds the
    hash it was read with; a revocation keeps the first revocation's time."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        # Another request, between a refresh's read of the session and its rotation.
        self.before_rotate: Callable[[], None] | None = None

    def create(self, session: Session) -> None:
        if session.session_id in self.sessions:
            raise ValueError(f"session {session.session_id} exists: a session is never overwritten")
        self.sessions[session.session_id] = session

    def get(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)

    def rotate(
        self, session_id: str, old_hash: str, new_hash: str, rotated_at: str, expires_at: int, now: int
    ) -> bool:
        if self.before_rotate is not None:
            before, self.before_rotate = self.before_rotate, None
            before()
        session = self.sessions.get(session_id)
        if (
            session is None
            or session.refresh_hash != old_hash
            or session.revoked_at is not None
            or session.expires_at <= now
        ):
            return False
        self.sessions[session_id] = session.model_copy(
            update={
                "refresh_hash": new_hash,
                "previous_refresh_hash": old_hash,
                "rotated_at": rotated_at,
                "rotated_epoch": now,
                "expires_at": expires_at,
            }
        )
        return True

    def revoke(self, session_id: str, revoked_at: str) -> None:
        session = self.sessions.get(session_id)
        if session is not None and session.revoked_at is None:
            self.sessions[session_id] = session.model_copy(update={"revoked_at": revoked_at})


class InMemoryCallers:
    """``Callers`` over the twins that keep users, sessions and wallets."""

    def __init__(self, users: InMemoryUsers, sessions: InMemorySessions, wallets: InMemoryWallets) -> None:
        self._users = users
        self._sessions = sessions
        self._wallets = wallets

    def load(self, session_id: str, user_id: str) -> CallerRecord:
        return CallerRecord(
            session=self._sessions.get(session_id),
            user=self._users.get(user_id),
            balance=self._wallets.get_balance(user_id) or 0,
            stats=AccountStats.model_validate(self._wallets.stats.get(user_id, {})),
        )


class InMemoryGoogle:
    """An ``IdentityVerifier`` that trusts the ID tokens it issued, and only those."""

    def __init__(self) -> None:
        self.identities: dict[str, GoogleIdentity] = {}

    @staticmethod
    def subject_for(email: str) -> str:
        """The Google subject of ``email``'s account, unless a test says another."""
        return f"google-{email}"

    def id_token(
        self,
        email: str,
        subject: str | None = None,
        first_name: str = "Ada",
        last_name: str = "Lovelace",
    ) -> str:
        """An ID token saying that ``email``'s Google account (``subject``) signed in."""
        token = f"google-id-token-{len(self.identities) + 1}"
        self.identities[token] = GoogleIdentity(
            subject=subject or self.subject_for(email),
            email=email,
            first_name=first_name,
            last_name=last_name,
        )
        return token

    def verify(self, token: str) -> GoogleIdentity:
        identity = self.identities.get(token)
        if identity is None:
            raise Unauthorized("The Google ID token is not valid.")
        return identity


class InMemoryAccessTokens:
    """An ``AccessTokenIssuer`` on ``clock``: a token names its user, session and issue time (the same
    ones give the same token, as a signed JWT does), is valid only if it issued it, and expires after
    ``ttl_seconds``."""

    def __init__(self, clock: Callable[[], float], ttl_seconds: int = 900) -> None:
        self._clock = clock
        self.ttl_seconds = ttl_seconds
        self._issued: set[str] = set()

    def issue(self, user_id: str, session_id: str, issued_at: int | None = None) -> str:
        now = int(self._clock()) if issued_at is None else issued_at
        token = f"access.{user_id}.{session_id}.{now}"
        self._issued.add(token)
        return token

    def verify(self, token: str) -> AccessClaims:
        if token not in self._issued:
            raise Unauthorized("The access token is not valid.")
        _, user_id, session_id, issued_at = token.split(".")
        if self._clock() >= int(issued_at) + self.ttl_seconds:
            raise TokenExpired("The access token has expired.")
        return AccessClaims(user_id=user_id, session_id=session_id)
