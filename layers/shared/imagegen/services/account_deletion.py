"""Deleting an account: asked for by its user (confirming with their email) or by an admin, started at
once (every session ended, the user ``DELETING``), then carried out by a background job, step by step,
each step idempotent, so that a job interrupted half-way is finished by running it again (the sweeper
queues again every deletion under way for longer than a bound).

What is kept: the money records, which accounting must keep and trace to Stripe's ids, not to a
person: the user's orders and the ledger entries that belong to them (``MONEY_REASONS``). Neither holds
a name or an email; they keep the user's id, random and, once the user record and its claims are gone,
pointing to no one. And the mark of the Google account's welcome (``WelcomeMarks``), so that signing up
again gives no second welcome.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from imagegen.errors import Conflict, Invalid, NotFound, QueueUnavailable
from imagegen.ids import iso, iso_at
from imagegen.models.coins import LedgerReason
from imagegen.models.users import AccountDeletion, User
from imagegen.services.rate_limits import user_window_keys
from imagegen.services.unit_of_work import Refused, UnitOfWork

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from imagegen.models.auth import Caller
    from imagegen.services.images import ImageService
    from imagegen.services.object_store import ObjectStore
    from imagegen.services.unit_of_work import Transactions, Write

MONEY_REASONS = frozenset(
    {LedgerReason.PURCHASE, LedgerReason.PURCHASE_REFUND, LedgerReason.DISPUTE, LedgerReason.DISPUTE_WON}
)
"""The ledger entries a deletion keeps: those of payments (an order's coins, and what a refund or a
dispute took back or gave back)."""

USER_PREFIXES = ("images", "incoming", "thumbnails", "turns", "exports")
"""Every prefix of the bucket under which a user's objects live, each followed by ``{userId}/``."""

NOT_THE_EMAIL = "must be this account's email"


class DeletionUsers(Protocol):
    """What a deletion needs of the users table (``repositories.users.UserRepository``)."""

    def get(self, user_id: str) -> User | None:
        """The user with this id, read consistently, or None."""
        ...

    def deletion_writes(self, user: User, requested_at: str, welcome_mark: str) -> list[Write]:
        """The writes that mark the user ``DELETING`` (refused if gone or marked already), ending their
        sessions as of ``requested_at``, and record their Google account's welcome."""
        ...

    def being_deleted_since(self, before: str) -> list[str]:
        """The ids of users whose deletion, asked for before ``before``, is still under way."""
        ...

    def remove_export_record(self, user_id: str) -> None:
        """Delete the user's export record, if any."""
        ...

    def removal_writes(self, user: User) -> list[Write]:
        """The last writes: the user's Google-subject and email claims and their record, together."""
        ...


class DeletionQueue(Protocol):
    """The queue of the deletion job (``adapters.queue.DeletionQueue``)."""

    def send(self, user_id: str) -> None:
        """Queue the deletion of ``user_id``; ``QueueUnavailable`` if the queue did not take it."""
        ...


class UserRecords(Protocol):
    """The user's records in the other tables, each removed by key or by a query of the user's
    partition or index (``repositories``' own classes; the idempotency records by a scan, see
    ``repositories.idempotency``)."""

    def image_ids(self, user_id: str) -> Iterable[str]:
        """Every image of the user, tombstoned ones too."""
        ...

    def remove_shares(self, user_id: str) -> None:
        """Delete every share link of the user."""
        ...

    def remove_idempotency_records(self, user_id: str) -> None:
        """Delete every answer kept for the user's ``Idempotency-Key`` requests."""
        ...

    def remove_rate_limit_windows(self, keys: Iterable[str]) -> None:
        """Delete the rate-limit windows under ``keys``."""
        ...

    def remove_sessions(self, user_id: str) -> None:
        """Delete every session of the user."""
        ...

    def remove_wallet_except(self, user_id: str, kept: Iterable[str]) -> None:
        """Delete the user's balance and every ledger entry whose reason is not in ``kept``."""
        ...


class AlreadyDeleting(Refused):
    """The user's deletion was asked for already (or the user is gone)."""


class AccountDeletions:
    """Asking for an account's deletion: the user confirming with their email, or an admin."""

    def __init__(
        self,
        users: DeletionUsers,
        transactions: Transactions,
        queue: DeletionQueue,
        welcome_mark: Callable[[str], str],
        clock: Callable[[], float],
    ) -> None:
        """``clock`` is the sessions' clock (``AuthService``'s): sessions opened up to the request's
        moment on it end."""
        self._users = users
        self._transactions = transactions
        self._queue = queue
        self._welcome_mark = welcome_mark
        self._clock = clock

    def delete_own(self, caller: Caller, email: str) -> AccountDeletion:
        """Start deleting the caller's account, ``email`` confirming it: it must be the account's (in
        any case), else ``Invalid`` and nothing changes."""
        if email.strip().lower() != caller.user.email.lower():
            raise Invalid("email", NOT_THE_EMAIL)
        return self._start(caller.user_id)

    def delete_user(self, admin: Caller, user_id: str) -> AccountDeletion:
        """Start deleting a user's account (an admin's decision); not the admin's own here
        (``Conflict``: they confirm with their email at ``DELETE /users/me``); ``NotFound`` for no such
        user."""
        if user_id == admin.user_id:
            raise Conflict(
                "An admin deletes their own account at DELETE /users/me, confirming with their email."
            )
        return self._start(user_id)

    def _start(self, user_id: str) -> AccountDeletion:
        """Mark the user ``DELETING`` (every session ends with it) and record their welcome, in one
        transaction, then queue the job. Asked again while under way: the deletion as first asked for,
        queued again (harmless: the job's steps find done what was done)."""
        user = self._users.get(user_id)
        if user is None:
            raise NotFound("No such user.")
        if not user.is_being_deleted:
            requested_at = iso_at(self._clock())
            writes = self._users.deletion_writes(user, requested_at, self._welcome_mark(user.google_sub))
            # Refused: another request started it meanwhile, and it is read again below.
            with suppress(AlreadyDeleting):
                UnitOfWork(self._transactions).with_writes(writes, AlreadyDeleting).commit()
            user = self._users.get(user_id)
            if user is None:
                raise NotFound("No such user.")
        # Not taken: the deletion is under way all the same, and the sweeper queues it again in time.
        with suppress(QueueUnavailable):
            self._queue.send(user.id)
        return AccountDeletion(user_id=user.id, requested_at=user.deletion_requested_at or user.updated_at)


class AccountEraser:
    """The deletion job: removes everything of an account whose deletion is under way, step by step."""

    def __init__(
        self,
        users: DeletionUsers,
        records: UserRecords,
        images: ImageService,
        store: ObjectStore,
        transactions: Transactions,
    ) -> None:
        self._users = users
        self._records = records
        self._images = images
        self._store = store
        self._transactions = transactions

    def erase(self, user_id: str) -> bool:
        """Remove everything of ``user_id`` but the money records; False when there is nothing to do
        (no such user, or one whose deletion was never asked for: a stray message changes nothing).

        In order, each step idempotent: the images (each as a delete of it removes it, its link and its
        files; a generation in flight then writes nothing), every object left under the user's prefixes
        (uploads in flight, exports), the share links, the export record, the idempotency records and
        rate-limit windows, the sessions, the wallet but its money entries, and last, together, the
        claims and the user record: until then the account can be neither signed in to nor made again.
        """
        user = self._users.get(user_id)
        if user is None or not user.is_being_deleted:
            return False
        for image_id in list(self._records.image_ids(user_id)):
            self._images.remove(user_id, image_id)
        for prefix in USER_PREFIXES:
            self._store.delete_under(f"{prefix}/{user_id}/")
        self._records.remove_shares(user_id)
        self._users.remove_export_record(user_id)
        self._records.remove_idempotency_records(user_id)
        self._records.remove_rate_limit_windows(user_window_keys(user_id))
        self._records.remove_sessions(user_id)
        self._records.remove_wallet_except(user_id, [reason.value for reason in MONEY_REASONS])
        UnitOfWork(self._transactions).with_writes(self._users.removal_writes(user), AlreadyDeleting).commit()
        return True


class DeletionSweep:
    """The sweeper's part: queue again every deletion under way for longer than ``resume_after`` (its job
    crashed, timed out, or its message was lost)."""

    def __init__(self, users: DeletionUsers, queue: DeletionQueue, resume_after: timedelta) -> None:
        self._users = users
        self._queue = queue
        self._resume_after = resume_after

    def resume(self, now: datetime) -> int:
        """Queue each stale deletion again; how many."""
        stale = self._users.being_deleted_since(iso(now - self._resume_after))
        for user_id in stale:
            self._queue.send(user_id)
        return len(stale)
