"""What sign-in, sessions and the users' use cases need of where accounts are kept, in their own terms:
users with the claims that keep a Google subject and an email to one account, sign-in sessions, and
everything an authenticated request reads about its caller at once (``repositories.users``,
``repositories.sessions`` and ``repositories.callers`` keep them in DynamoDB; ``tests.fakes.accounts``
in memory)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from imagegen.models.sessions import Session
    from imagegen.models.users import AccountStats, Role, User
    from imagegen.services.unit_of_work import Write


@dataclass(frozen=True, slots=True)
class NewUser:
    """The writes of a first sign-in: the profile (refused if the id exists), and the claims that keep
    the Google subject and the email to one user (each refused if another user holds it)."""

    profile: Write
    subject_claim: Write
    email_claim: Write


@dataclass(frozen=True, slots=True)
class CallerRecord:
    """What is stored about a caller: each part None when missing."""

    session: Session | None
    user: User | None
    balance: int
    stats: AccountStats


class Users(Protocol):
    """Profiles, found by id or by the Google subject that signed them in."""

    def get(self, user_id: str) -> User | None:
        """The user with this id, read consistently, or None."""
        ...

    def find_id_by_google_subject(self, subject: str) -> str | None:
        """The id of the user this Google subject signed in, or None."""
        ...

    def creation(self, user: User) -> NewUser:
        """The writes that create ``user`` and claim its Google subject and email."""
        ...

    def was_welcomed(self, mark: str) -> bool:
        """Whether the Google account of this mark had its welcome in an account since deleted."""
        ...

    def update(self, user_id: str, changes: dict[str, Any], updated_at: str) -> User | None:
        """Set the given attributes (camelCase, as ``User`` names them by alias) on an existing user;
        None if there is no such user."""
        ...

    def add_role(self, user_id: str, role: Role, roles: list[Role], updated_at: str) -> User | None:
        """Give the user ``role`` if their roles are still ``roles``; None if they changed meanwhile."""
        ...

    def list_page(
        self, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[User], dict[str, Any] | None]:
        """A page of users, newest first, and where to continue (None at the end)."""
        ...

    def search_page(
        self, email_prefix: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[User], dict[str, Any] | None]:
        """A page of the users whose email starts with ``email_prefix``, in email order, and where to
        continue (None at the end)."""
        ...


class Sessions(Protocol):
    """Sign-in sessions, each carrying its current refresh token's hash."""

    def create(self, session: Session) -> None:
        """Store a new session (never overwriting one)."""
        ...

    def get(self, session_id: str) -> Session | None:
        """The session, read consistently, or None."""
        ...

    def rotate(
        self, session_id: str, old_hash: str, new_hash: str, rotated_at: str, expires_at: int, now: int
    ) -> bool:
        """Swap the refresh hash if the session is live at ``now`` and still holds ``old_hash`` (kept
        as the previous one, rotated ``now``); False if another rotation or a revocation got in first."""
        ...

    def revoke(self, session_id: str, revoked_at: str) -> None:
        """Mark the session revoked (an earlier revocation's time is kept); no such session is fine."""
        ...


class Callers(Protocol):
    """Everything an authenticated request needs about its caller, read together."""

    def load(self, session_id: str, user_id: str) -> CallerRecord:
        """The session, the user, their balance (0 without a coin account) and their stats."""
        ...
