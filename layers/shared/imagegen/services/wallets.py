"""What the coins' use case needs of where wallets and ledgers are kept, in its own terms: a wallet as
read, its ledger's entries, and the writes that move it (``repositories.coins.CoinRepository`` keeps
them in DynamoDB; ``tests.fakes.InMemoryWallets`` in memory)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from imagegen.models.coins import Account, LedgerEntry
    from imagegen.services.unit_of_work import Write


@dataclass(frozen=True, slots=True)
class Movement:
    """The writes of a movement of coins: the wallet's balance (refused if the wallet changed since it
    was read), and the entries recording it, one per operation (each refused if its operation was
    recorded before)."""

    balance: Write
    entries: tuple[Write, ...]


class Wallets(Protocol):
    """Each user's wallet and ledger."""

    def get_balance(self, user_id: str) -> int | None:
        """The wallet's balance; None without a wallet."""
        ...

    def get_account(self, user_id: str) -> Account | None:
        """The wallet as last written; None without one."""
        ...

    def get_balances(self, user_ids: Sequence[str]) -> dict[str, int]:
        """The balances of those of ``user_ids`` that have a wallet."""
        ...

    def get_entry(self, user_id: str, operation: str) -> LedgerEntry | None:
        """The entry that recorded ``operation``, if it happened."""
        ...

    def open_account(self, entry: LedgerEntry, operation: str) -> list[Write]:
        """Writes that create the wallet at ``entry.balance`` with its first entry."""
        ...

    def open_empty(self, user_id: str, at: str) -> list[Write]:
        """Writes that create an empty wallet, with no entry."""
        ...

    def movement(
        self,
        account: Account,
        entries: Sequence[tuple[LedgerEntry, str]],
        counters: Mapping[str, int] | None = None,
    ) -> Movement:
        """Writes that record ``entries`` (each with the operation it records, in the ledger's order)
        and move the wallet from ``account`` (as read) to the last of them, adding ``counters``."""
        ...

    def add_counters(self, user_id: str, counters: Mapping[str, int]) -> Write:
        """A write adding ``counters`` to the wallet's stats (no coins move)."""
        ...

    def list_entries(
        self, user_id: str, limit: int, start_key: dict[str, Any] | None = None
    ) -> tuple[list[LedgerEntry], dict[str, Any] | None]:
        """A page of the ledger, newest first, and where to continue."""
        ...
