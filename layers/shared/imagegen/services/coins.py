"""Coins: every change of a balance is one DynamoDB transaction with its ledger entry.

The wallet is read, checked, and written back on the condition that it did not change
meanwhile (optimistic concurrency on its ``seq``), so each entry carries the exact balance
after it, follows exactly the entry before it, and the balance never goes below zero however
many requests race. The entry's key names the operation, so a retried charge, refund or grant
is recorded at most once. Racing writers retry with jittered backoff until a deadline well
inside a function's timeout, then give up having moved nothing (``Busy``: 429, Retry-After).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from imagegen.errors import Busy, InsufficientCoins, NotFound
from imagegen.ids import new_id, new_id_after, not_before, now_iso
from imagegen.models.coins import LedgerEntry, LedgerReason
from imagegen.services.unit_of_work import ReadAgain, Refused, Transactions, UnitOfWork, Write

if TYPE_CHECKING:
    from imagegen.services.wallets import Wallets

# How long a movement keeps retrying against other writers of the same wallet, and how much of
# the function's time it leaves for what follows a charge (the queue, the response): API
# functions time out after 10 s, and a function killed after charging answers 5xx.
MOVE_BUDGET_SECONDS = 3.0
RESERVED_AFTER_MOVE_SECONDS = 3.0
BACKOFF_BASE_SECONDS = 0.005
MAX_BACKOFF_SECONDS = 0.2
RETRY_AFTER_SECONDS = 1


Staged = UnitOfWork | Callable[[], UnitOfWork]
"""What a movement commits with: a unit of work, or a function staging one afresh for each attempt."""


class WalletChanged(ReadAgain):
    """The wallet changed since it was read (another movement got in first): read it again."""


class AlreadyRecorded(Refused):
    """The operation's ledger entry exists: it happened before, and is not repeated."""


class CoinService:
    """Charges, refunds and grants through the ledger."""

    def __init__(
        self,
        repository: Wallets,
        transactions: Transactions,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        budget_seconds: float = MOVE_BUDGET_SECONDS,
        seconds_left: Callable[[], float] = lambda: math.inf,
    ) -> None:
        self._repository = repository
        self._transactions = transactions
        self._sleep = sleep
        self._clock = clock
        self._budget = budget_seconds
        self._seconds_left = seconds_left

    def has_account(self, user_id: str) -> bool:
        """Whether the user has a wallet (every user has one from their first sign-in until their
        account is deleted)."""
        return self._repository.get_account(user_id) is not None

    def balance(self, user_id: str) -> int:
        """The user's current balance (0 for a user without a coin account)."""
        return self._repository.get_balance(user_id) or 0

    def entries(
        self, user_id: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[LedgerEntry], dict[str, Any] | None]:
        """One page of the user's ledger, newest first, and where to continue."""
        return self._repository.list_entries(user_id, limit, start_key)

    def entry(self, user_id: str, operation: str) -> LedgerEntry | None:
        """The ledger entry recording ``operation``, if it happened."""
        return self._repository.get_entry(user_id, operation)

    def balances(self, user_ids: Sequence[str]) -> dict[str, int]:
        """The balances of many users at once (0 for users without a coin account)."""
        found = self._repository.get_balances(user_ids)
        return {user_id: found.get(user_id, 0) for user_id in user_ids}

    def add_counters(self, user_id: str, counters: Mapping[str, int]) -> Write:
        """A write adding ``counters`` to the user's stats, no coins moving."""
        return self._repository.add_counters(user_id, counters)

    def open_empty_account(self, user_id: str) -> list[Write]:
        """Writes that open a user's account at 0 coins, with no entry (no welcome)."""
        return self._repository.open_empty(user_id, now_iso())

    def open_account(self, user_id: str, welcome_coins: int) -> list[Write]:
        """Writes that open a user's account with the welcome coins as its first entry."""
        entry = LedgerEntry(
            id=new_id(),
            user_id=user_id,
            amount=welcome_coins,
            balance=welcome_coins,
            reason=LedgerReason.WELCOME,
            seq=1,
            created_at=now_iso(),
        )
        return self._repository.open_account(entry, "welcome")

    def charge(
        self,
        user_id: str,
        amount: int,
        reason: LedgerReason,
        image_id: str,
        unit: Staged | None = None,
        counters: Mapping[str, int] | None = None,
    ) -> LedgerEntry:
        """Take ``amount`` coins for ``image_id``, once, committing ``unit`` with the movement (and
        ``counters`` added to the account's stats). ``unit`` may be a function that stages it again
        for each attempt (what it reads, such as a rate limit's window, is read again too).

        Raises ``InsufficientCoins`` when the balance is short, ``Busy`` when other writers kept
        the wallet changing past the deadline, and what a write of ``unit`` means when it is
        refused. A charge already recorded for this image is returned as it is.
        """
        return self.charge_each(user_id, {image_id: amount}, reason, unit, counters)

    def charge_each(
        self,
        user_id: str,
        costs: Mapping[str, int],
        reason: LedgerReason,
        unit: Staged | None = None,
        counters: Mapping[str, int] | None = None,
    ) -> LedgerEntry:
        """Take each image's cost (``costs``: image id -> coins) in one movement, one ledger entry per
        image, all or none; the last entry (its balance is the balance after them all). As ``charge``:
        ``InsufficientCoins`` when the balance is short of their sum, and nothing is taken."""
        if not costs or any(amount < 0 for amount in costs.values()):
            raise ValueError("a charge takes non-negative amounts, for at least one image")
        steps = [_Step(-amount, f"charge#{image_id}", image_id) for image_id, amount in costs.items()]
        return self._move(user_id, steps, reason, None, unit, counters)

    def refund(
        self,
        user_id: str,
        amount: int,
        image_id: str,
        unit: Staged | None = None,
        counters: Mapping[str, int] | None = None,
    ) -> LedgerEntry:
        """Give back ``amount`` coins for ``image_id``, at most once however often it is asked,
        committing ``unit`` with the movement."""
        if amount < 0:
            raise ValueError("a refund gives a non-negative amount")
        step = _Step(amount, f"refund#{image_id}", image_id)
        return self._move(user_id, [step], LedgerReason.REFUND, None, unit, counters)

    def settle_order(
        self,
        user_id: str,
        amount: int,
        reason: LedgerReason,
        operation: str,
        order_id: str,
        unit: Staged | None = None,
    ) -> LedgerEntry:
        """Move ``amount`` coins (signed) for ``order_id``: its payment credited, coins taken back for
        a refund or a dispute of it, or given back when a dispute is won; once per ``operation``
        however often asked, committing ``unit`` with the movement.

        Taking back never fails for want of coins: the coins may have been spent, and the balance
        then goes below zero (the ledger still sums to it; charges are refused until it is above
        their cost again). What a write of ``unit`` means when it is refused.
        """
        return self._move(
            user_id, [_Step(amount, operation)], reason, None, unit, order_id=order_id, below_zero=True
        )

    def grant(self, user_id: str, amount: int, note: str, grant_id: str | None = None) -> LedgerEntry:
        """Add (or, negative, take) coins by an admin's decision; never below zero."""
        operation = f"grant#{grant_id or new_id()}"
        return self._move(user_id, [_Step(amount, operation)], LedgerReason.GRANT, note, None)

    def _move(
        self,
        user_id: str,
        steps: Sequence[_Step],
        reason: LedgerReason,
        note: str | None,
        unit: Staged | None,
        counters: Mapping[str, int] | None = None,
        order_id: str | None = None,
        below_zero: bool = False,
    ) -> LedgerEntry:
        """Move the wallet by each of ``steps`` in one transaction, an entry each; the last entry (or,
        the steps having been recorded before, the last one's earlier entry)."""
        budget = min(self._budget, self._seconds_left() - RESERVED_AFTER_MOVE_SECONDS)
        deadline = self._clock() + budget
        total = sum(step.amount for step in steps)
        last_operation = steps[-1].operation  # the steps are recorded all together, or not at all
        attempt = 0
        while True:
            if self._clock() >= deadline:
                raise _busy()
            # The caller's writes first: what they read (a rate limit's window) refuses before the wallet.
            staged = unit() if callable(unit) else unit or UnitOfWork(self._transactions)
            account = self._repository.get_account(user_id)
            if account is None:
                raise NotFound("This user has no coin account.")
            if account.balance + total < 0 and not below_zero:
                earlier = self._repository.get_entry(user_id, last_operation)
                if earlier:
                    return earlier
                raise InsufficientCoins(balance=account.balance, required=-total)
            entries: list[tuple[LedgerEntry, str]] = []
            previous_id, balance, seq = account.last_entry_id, account.balance, account.seq
            for step in steps:
                balance, seq = balance + step.amount, seq + 1
                entry = LedgerEntry(
                    id=new_id_after(previous_id),
                    user_id=user_id,
                    amount=step.amount,
                    balance=balance,
                    reason=reason,
                    image_id=step.image_id,
                    order_id=order_id,
                    note=note,
                    seq=seq,
                    created_at=not_before(account.updated_at),
                )
                entries.append((entry, step.operation))
                previous_id = entry.id
            movement = self._repository.movement(account, entries, counters)
            for recorded in movement.entries:
                staged = staged.with_write(recorded, AlreadyRecorded)
            try:
                staged.with_write(movement.balance, WalletChanged).commit()
            except (AlreadyRecorded, ReadAgain) as refused:  # any other refusal is the caller's
                if isinstance(refused, AlreadyRecorded):
                    earlier = self._repository.get_entry(user_id, last_operation)
                    if earlier:
                        return earlier
                backoff = random.uniform(0, min(MAX_BACKOFF_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))  # noqa: S311
                if self._clock() + backoff >= deadline:
                    raise _busy() from refused
                self._sleep(backoff)
                attempt += 1
                continue
            return entry


@dataclass(frozen=True, slots=True)
class _Step:
    """One operation of a movement: coins in (positive) or out, recorded once under ``operation``."""

    amount: int
    operation: str
    image_id: str | None = None


def _busy() -> Busy:
    return Busy(
        "Other requests are changing this balance right now; no coin moved. Try again in a moment.",
        retry_after=RETRY_AFTER_SECONDS,
    )
