"""One business step's writes, committed together, and what a refusal of each means.

A step (charge and record an image, refund and fail one, credit an order) stages named writes in a
``UnitOfWork``, each with what its refusal would mean, and commits them in one transaction
(``Transactions``: DynamoDB's ``TransactWriteItems`` in ``repositories.dynamo``). When the
transaction is cancelled, the unit raises the meaning of the first refused write, in the order they
were staged: a domain error for the caller (``NotFound`` for a source deleted meanwhile) or a
``Refused`` the step itself handles (a wallet that changed since it was read: read it again). A
cancellation by another transaction alone is ``Contended``. No use case decodes a cancellation.

A unit is a value: ``with_write`` returns a new unit holding one more write, so a step that retries
adds fresh writes of its own to what its caller staged, attempt after attempt. A refusal that means
"read again" (``ReadAgain``) is retried by the step that commits, whoever staged the write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Write:
    """One item of a transaction, named by the repository that builds it (names are distinct within a
    transaction), so that a refusal is told by name, never by position. ``item`` is the repository's
    own (a ``TransactWriteItems`` entry, for DynamoDB's): use cases never look inside."""

    name: str
    item: Mapping[str, Any]


def nth(name: str, index: int) -> str:
    """The name of the ``index``-th write of one kind in a transaction (several images made at once,
    their ledger entries): ``name``, then ``name 2``, ``name 3``..."""
    return name if index == 0 else f"{name} {index + 1}"


class TransactionCancelled(Exception):
    """A transaction was cancelled: which of its writes failed their condition, and whether another
    transaction got in the way."""

    def __init__(self, refused: Iterable[str], conflicted: bool) -> None:
        self._refused = frozenset(refused)
        super().__init__(f"transaction cancelled: refused {sorted(self._refused)}, conflicted {conflicted}")
        self.conflicted = conflicted

    def refused(self, write: Write) -> bool:
        """Whether ``write`` failed its condition."""
        return write.name in self._refused


class Transactions(Protocol):
    """All-or-nothing writes; ``TransactionCancelled`` names the refused ones."""

    def write(self, writes: Sequence[Write]) -> None: ...


class Refused(Exception):
    """A staged write was refused because what the step read has changed; the step decides (read
    again, or take the earlier outcome)."""


class ReadAgain(Refused):
    """What the write was built on has changed since it was read (a wallet, a rate limit's window):
    the step reads again and tries again, with backoff, until its deadline."""


class Contended(ReadAgain):
    """Another transaction on the same items got in the way: nothing was written; the step may try
    again."""


Meaning = Callable[[], Exception]
"""What a refused write means: called for the exception to raise (an exception class will do)."""


@dataclass(frozen=True, slots=True)
class _Staged:
    write: Write
    if_refused: Meaning


class UnitOfWork:
    """Named writes, each with the meaning of its refusal, committed all or none by ``transactions``."""

    def __init__(self, transactions: Transactions, staged: tuple[_Staged, ...] = ()) -> None:
        self._transactions = transactions
        self._staged = staged

    def with_write(self, write: Write, if_refused: Meaning) -> UnitOfWork:
        """This unit and ``write``, whose refusal raises ``if_refused()``."""
        return UnitOfWork(self._transactions, (*self._staged, _Staged(write, if_refused)))

    def with_writes(self, writes: Iterable[Write], if_refused: Meaning) -> UnitOfWork:
        """This unit and each of ``writes``, any of whose refusal raises ``if_refused()``."""
        unit = self
        for write in writes:
            unit = unit.with_write(write, if_refused)
        return unit

    def commit(self) -> None:
        """Write everything staged, or nothing: the meaning of the first refused write if one was
        refused, ``Contended`` if another transaction alone stood in the way."""
        try:
            self._transactions.write([staged.write for staged in self._staged])
        except TransactionCancelled as cancelled:
            for staged in self._staged:
                if cancelled.refused(staged.write):
                    raise staged.if_refused() from cancelled
            raise Contended(str(cancelled)) from cancelled
