"""Coins: every change of a balance is one DynamoDB transaction with its ledger entry.

The balance is read, checked, and written back with the condition that it did not change
meanwhile (optimistic concurrency), so the entry can carry the exact balance after it and
the balance can never go below zero however many requests race. The entry's key names
the operation, so a retried charge, refund or grant is recorded at most once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from imagegen.errors import Conflict, InsufficientCoins, NotFound
from imagegen.ids import new_id, now_iso
from imagegen.models.coins import LedgerEntry, LedgerReason
from imagegen.repositories.dynamo import TransactionCancelled, transact_write

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from imagegen.repositories.coins import CoinRepository

MAX_ATTEMPTS = 30
_BALANCE_ITEM, _ENTRY_ITEM = 0, 1


class CoinService:
    """Charges, refunds and grants through the ledger."""

    def __init__(
        self,
        repository: CoinRepository,
        client: DynamoDBClient,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._repository = repository
        self._client = client
        self._sleep = sleep

    def balance(self, user_id: str) -> int:
        """The user's current balance (0 for a user without a coin account)."""
        return self._repository.get_balance(user_id) or 0

    def entries(
        self, user_id: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[LedgerEntry], dict[str, Any] | None]:
        """One page of the user's ledger, newest first, and where to continue."""
        return self._repository.list_entries(user_id, limit, start_key)

    def balances(self, user_ids: Sequence[str]) -> dict[str, int]:
        """The balances of many users at once (0 for users without a coin account)."""
        found = self._repository.get_balances(user_ids)
        return {user_id: found.get(user_id, 0) for user_id in user_ids}

    def counters_item(self, user_id: str, counters: Mapping[str, int]) -> TransactWriteItemTypeDef:
        """A transaction item adding ``counters`` to the user's stats, no coins moving."""
        return self._repository.counters_item(user_id, counters)

    def opening_items(self, user_id: str, welcome_coins: int) -> list[TransactWriteItemTypeDef]:
        """Transaction items that open a user's account with the welcome coins as its first entry."""
        entry = LedgerEntry(
            id=new_id(),
            user_id=user_id,
            amount=welcome_coins,
            balance=welcome_coins,
            reason=LedgerReason.WELCOME,
            created_at=now_iso(),
        )
        return self._repository.open_account_items(entry, "welcome")

    def charge(
        self,
        user_id: str,
        amount: int,
        reason: LedgerReason,
        image_id: str,
        with_items: Sequence[TransactWriteItemTypeDef] = (),
        counters: Mapping[str, int] | None = None,
    ) -> LedgerEntry:
        """Take ``amount`` coins for ``image_id``, once, in one transaction with ``with_items``
        (and ``counters`` added to the account's stats).

        Raises ``InsufficientCoins`` when the balance is short, and ``TransactionCancelled``
        (reasons numbered as ``with_items``) when one of ``with_items`` is refused. A charge
        already recorded for this image is returned as it is.
        """
        if amount < 0:
            raise ValueError("a charge takes a non-negative amount")
        return self._move(
            user_id, -amount, reason, f"charge#{image_id}", image_id, None, with_items, counters
        )

    def refund(
        self,
        user_id: str,
        amount: int,
        image_id: str,
        with_items: Sequence[TransactWriteItemTypeDef] = (),
        counters: Mapping[str, int] | None = None,
    ) -> LedgerEntry:
        """Give back ``amount`` coins for ``image_id``, at most once however often it is asked."""
        if amount < 0:
            raise ValueError("a refund gives a non-negative amount")
        return self._move(
            user_id, amount, LedgerReason.REFUND, f"refund#{image_id}", image_id, None, with_items, counters
        )

    def grant(self, user_id: str, amount: int, note: str, grant_id: str | None = None) -> LedgerEntry:
        """Add (or, negative, take) coins by an admin's decision; never below zero."""
        operation = f"grant#{grant_id or new_id()}"
        return self._move(user_id, amount, LedgerReason.GRANT, operation, None, note, ())

    def _move(
        self,
        user_id: str,
        amount: int,
        reason: LedgerReason,
        operation: str,
        image_id: str | None,
        note: str | None,
        with_items: Sequence[TransactWriteItemTypeDef],
        counters: Mapping[str, int] | None = None,
    ) -> LedgerEntry:
        for attempt in range(MAX_ATTEMPTS):
            balance = self._repository.get_balance(user_id)
            if balance is None:
                raise NotFound("This user has no coin account.")
            if balance + amount < 0:
                earlier = self._repository.get_entry(user_id, operation)
                if earlier:
                    return earlier
                raise InsufficientCoins(balance=balance, required=-amount)
            entry = LedgerEntry(
                id=new_id(),
                user_id=user_id,
                amount=amount,
                balance=balance + amount,
                reason=reason,
                image_id=image_id,
                note=note,
                created_at=now_iso(),
            )
            items = self._repository.movement_items(
                entry, operation, expected_balance=balance, counters=counters
            )
            try:
                transact_write(self._client, [*items, *with_items])
            except TransactionCancelled as cancelled:
                if cancelled.failed(_ENTRY_ITEM):
                    earlier = self._repository.get_entry(user_id, operation)
                    if earlier:
                        return earlier
                if not (cancelled.failed(_BALANCE_ITEM) or cancelled.conflicted):
                    # One of the caller's items was refused: report it in their numbering.
                    raise TransactionCancelled(cancelled.reasons[len(items) :]) from cancelled
                self._sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))  # noqa: S311
                continue
            return entry
        raise Conflict("The balance is changing too fast; try again.")
