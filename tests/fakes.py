"""In-memory twins of the ports, for tests of use cases that need no AWS at all."""

from __future__ import annotations

from collections.abc import Sequence

from imagegen.services.unit_of_work import TransactionCancelled, Write


class InMemoryTransactions:
    """``Transactions`` that keeps what it committed, and cancels a commit as DynamoDB would when the
    test says so: a named write refused by its condition, or another transaction in the way."""

    def __init__(self) -> None:
        self.committed: list[list[str]] = []
        self._refusals: list[set[str]] = []

    def refuse(self, *names: str) -> None:
        """The next commit holding any of ``names`` is cancelled with those refused."""
        self._refusals.append(set(names))

    def contend(self) -> None:
        """The next commit is cancelled by a conflicting transaction, nothing refused."""
        self._refusals.append(set())

    def write(self, writes: Sequence[Write]) -> None:
        names = [write.name for write in writes]
        if len(set(names)) != len(names):
            raise ValueError(f"a transaction's writes need distinct names: {names}")
        if self._refusals:
            refused = self._refusals.pop(0)
            if not refused or refused & set(names):
                raise TransactionCancelled(refused & set(names), conflicted=not refused)
        self.committed.append(names)
