"""Users: first sign-in, profiles (changed by their user or an admin), admin listing and edits."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from imagegen.errors import Conflict, InsufficientCoins, Invalid, NotFound
from imagegen.ids import iso_at, new_id, now_iso
from imagegen.models.coins import CoinGrant, TransactionPage
from imagegen.models.users import (
    Languages,
    ProfileUpdate,
    Role,
    User,
    UserPage,
    UserStatus,
    UserUpdate,
    UserView,
)
from imagegen.services.unit_of_work import Contended, Refused, Transactions, UnitOfWork
from imagegen.signing import mac

if TYPE_CHECKING:
    from imagegen.models.auth import Caller, GoogleIdentity
    from imagegen.services.accounts import Users
    from imagegen.services.coins import CoinService
    from imagegen.services.cursors import CursorCodec
    from imagegen.services.unit_of_work import Write

_CREATE_ATTEMPTS = 3  # sign-ins of one new Google account racing: the second finds the first's user
# A q-value as RFC 9110 writes it: 0 to 1, at most three decimals.
_QUALITY = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")


def preferred_language(accept_language: str | None, languages: Languages) -> str:
    """The language of ``languages`` an ``Accept-Language`` header prefers: its entries by their q-value
    (1 when absent; 0 refuses one; an entry that does not parse is skipped), the earlier of equal ones,
    each matched by its primary subtag in any case (``es-MX`` is ``es``; ``*`` is the fallback); the
    fallback when none matches or there is no header. Never an error: a sign-in does not fail on it."""
    best, best_quality = languages.fallback, 0.0
    for entry in (accept_language or "").split(","):
        tag, *parameters = (part.strip() for part in entry.split(";"))
        quality = _quality(parameters)
        primary = tag.split("-")[0].lower()
        code = languages.fallback if primary == "*" else primary
        if quality is not None and quality > best_quality and code in languages:
            best, best_quality = code, quality
    return best


def _quality(parameters: list[str]) -> float | None:
    """The q-value of an entry's parameters (1 without one); None when it does not parse."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            return float(value) if _QUALITY.match(value) else None
    return 1.0


EMAIL_TAKEN = "This email belongs to another Google account here."
WELCOME_GRANT = b"welcome-grant"  # the purpose of the key that marks Google accounts welcomed


class WelcomeMarks:
    """What the welcome of a Google account is remembered by once its account is deleted: the
    HMAC-SHA256 of its subject under a key derived from the service's secret for this purpose. It names
    no person and cannot be reversed or guessed without the secret, yet the same subject always gives
    the same mark, so the account signing up again is known to have had its welcome."""

    def __init__(self, signing_key: Callable[[], str]) -> None:
        self._signing_key = signing_key

    def __call__(self, subject: str) -> str:
        return mac(self._signing_key(), WELCOME_GRANT, subject)


class SubjectClaimed(Refused):
    """Another sign-in of the same Google account created its user first."""


class UserService:
    """Users: sign-in, profiles, and what admins do to them."""

    def __init__(
        self,
        repository: Users,
        coins: CoinService,
        transactions: Transactions,
        cursors: CursorCodec,
        admin_emails: frozenset[str],
        welcome_coins: int,
        languages: Languages,
        welcome_mark: Callable[[str], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``welcome_mark`` is what a Google subject's welcome is remembered by (``WelcomeMarks``).
        ``clock`` tells the time a suspension ends sessions at: the sessions' own clock
        (``AuthService``'s), as sessions are judged by their creation time against it."""
        self._repository = repository
        self._coins = coins
        self._transactions = transactions
        self._cursors = cursors
        self._admin_emails = admin_emails
        self._welcome_coins = welcome_coins
        self._languages = languages
        self._welcome_mark = welcome_mark
        self._clock = clock

    def sign_in(self, identity: GoogleIdentity, accept_language: str | None = None) -> User:
        """The user of this Google identity, created with the welcome coins on first sign-in, in the
        language ``accept_language`` (the browser's header) prefers; a returning user's is theirs.

        Creation claims the Google subject and the email in the same transaction as the user
        and the welcome entry, so two first sign-ins racing create one user and one welcome. A Google
        account whose earlier account was deleted after its welcome gets an empty wallet instead: its
        mark was recorded when that deletion began, before its claims went, so it is there to be read.
        """
        for _ in range(_CREATE_ATTEMPTS):
            user_id = self._repository.find_id_by_google_subject(identity.subject)
            if user_id is not None:
                return self._promote_if_listed(self.get(user_id))
            user = self._new_user(identity, preferred_language(accept_language, self._languages))
            creation = self._repository.creation(user)
            unit = (
                UnitOfWork(self._transactions)
                .with_write(creation.subject_claim, SubjectClaimed)
                .with_write(creation.email_claim, lambda: Conflict(EMAIL_TAKEN))
                .with_write(creation.profile, Contended)
                .with_writes(self._wallet(user.id, identity.subject), Contended)
            )
            try:
                unit.commit()
            except (SubjectClaimed, Contended):
                continue  # another sign-in of this subject won the race: use its user
            return user
        raise Conflict("Sign-in is already in progress for this account; try again.", retry_after=1)

    def _wallet(self, user_id: str, subject: str) -> list[Write]:
        """The writes opening a new user's wallet: with the welcome coins, unless this Google account
        had them already."""
        if self._repository.was_welcomed(self._welcome_mark(subject)):
            return self._coins.open_empty_account(user_id)
        return self._coins.open_account(user_id, self._welcome_coins)

    def _new_user(self, identity: GoogleIdentity, language: str) -> User:
        now = now_iso()
        roles = [Role.USER, Role.ADMIN] if identity.email in self._admin_emails else [Role.USER]
        return User(
            id=new_id(),
            email=identity.email,
            google_sub=identity.subject,
            first_name=identity.first_name,
            last_name=identity.last_name,
            roles=roles,
            language=language,
            created_at=now,
            updated_at=now,
        )

    def _promote_if_listed(self, user: User) -> User:
        """Admins are whoever AdminEmails lists, also when it lists them after their first sign-in."""
        if user.email not in self._admin_emails or user.is_admin:
            return user
        return self._repository.add_role(user.id, Role.ADMIN, user.roles, now_iso()) or self.get(user.id)

    def get(self, user_id: str) -> User:
        """The user with this id; ``NotFound`` if there is none."""
        user = self._repository.get(user_id)
        if user is None:
            raise NotFound("No such user.")
        return user

    def view(self, user: User) -> UserView:
        """The API view of ``user``, with the balance."""
        return UserView.of(user, self._coins.balance(user.id))

    def list_page(self, caller: Caller, limit: int, cursor: str | None, email: str | None = None) -> UserPage:
        """A page of users (admins only; the route checks): all of them newest first, or those whose
        email starts with ``email`` (any case) in email order. A cursor continues only its own listing."""
        if email:
            prefix = email.lower()
            scope = f"users:{caller.user_id}:email:{prefix}"
            users, last = self._repository.search_page(prefix, limit, self._cursors.decode(cursor, scope))
        else:
            scope = f"users:{caller.user_id}"
            users, last = self._repository.list_page(limit, self._cursors.decode(cursor, scope))
        balances = self._coins.balances([user.id for user in users])
        views = [UserView.of(user, balances[user.id]) for user in users]
        return UserPage(users=views, next_cursor=self._cursors.encode(last, scope))

    def ledger(self, caller: Caller, limit: int, cursor: str | None) -> TransactionPage:
        """A page of the caller's coin history, newest first; the entries add up to the balance."""
        scope = f"ledger:{caller.user_id}"
        entries, last = self._coins.entries(caller.user_id, limit, self._cursors.decode(cursor, scope))
        return TransactionPage(
            transactions=[entry.view() for entry in entries], next_cursor=self._cursors.encode(last, scope)
        )

    def grant_coins(self, user_id: str, grant: CoinGrant) -> UserView:
        """Move coins by an admin's decision, through the ledger; never below zero (``Conflict``)."""
        user = self.get(user_id)
        if user.is_being_deleted:
            raise NotFound("No such user.")
        try:
            entry = self._coins.grant(user_id, grant.amount, note=grant.reason)
        except InsufficientCoins as short:
            raise Conflict(
                f"This would take the balance below zero (it is {short.balance}).", {"balance": short.balance}
            ) from short
        return UserView.of(user, entry.balance)

    def update(self, caller: Caller, user_id: str, update: UserUpdate) -> User:
        """Apply an admin's changes; an admin cannot take away their own admin role, nor suspend
        themselves (``Conflict``). A language must be one of the service's (``Invalid`` otherwise).

        Suspending a user ends every session they have at once (``AuthService`` refuses their tokens
        and their sign-ins); restoring them lets them sign in again, while the sessions of before the
        suspension stay ended. Suspending a suspended user, or restoring an active one, changes nothing.
        """
        if user_id == caller.user_id:
            if update.roles is not None and Role.ADMIN not in update.roles:
                raise Conflict("An admin cannot remove their own ADMIN role.")
            if update.status is UserStatus.SUSPENDED:
                raise Conflict("An admin cannot suspend themselves.")
        return self._change(user_id, update, self._status_change(user_id, update.status))

    def _status_change(self, user_id: str, status: UserStatus | None) -> dict[str, Any]:
        """What a change to ``status`` writes: nothing when the user has it already, so a second
        suspension does not move the moment their sessions ended; a suspension also records that moment
        (the sessions opened until now end with it, found by their creation time, never by a scan)."""
        if status is None or self.get(user_id).status is status:
            return {}
        if status is UserStatus.SUSPENDED:
            return {"status": status, "sessionsValidFrom": iso_at(self._clock())}
        return {"status": status}

    def update_profile(self, caller: Caller, update: ProfileUpdate) -> UserView:
        """Apply the caller's changes to their own profile: language (one of the service's, ``Invalid``
        otherwise) and names; never roles or coins, which the request cannot even carry. The caller's
        view, with the balance and stats read when they were authenticated."""
        return UserView.of(self._change(caller.user_id, update), caller.balance, caller.stats)

    def _change(self, user_id: str, update: ProfileUpdate, status: dict[str, Any] | None = None) -> User:
        """The user once ``update``'s profile fields, and the ``status`` change worked out for it, are
        written (nothing written when there are none)."""
        if update.language is not None and update.language not in self._languages:
            allowed = list(self._languages.codes)
            raise Invalid("language", f"must be one of {', '.join(allowed)}", details={"languages": allowed})
        profile = update.model_dump(by_alias=True, exclude_unset=True, exclude_none=True, exclude={"status"})
        changes = {**profile, **(status or {})}
        if not changes:
            return self.get(user_id)
        updated = self._repository.update(user_id, changes, now_iso())
        if updated is None:
            raise NotFound("No such user.")
        return updated
