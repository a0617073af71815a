"""In-memory twins of the ports, for tests of use cases that need no AWS at all (one module per area
beside this one, which holds the unit of work's twin and the coins', rate limits' and objects'
twins; ``images`` holds the image records' and the image use cases' other twins).

An in-memory write is a ``Write`` whose item holds a check (its condition) and an effect: the twin of
``Transactions`` checks every write of a commit first, and applies them all only if none is refused,
as DynamoDB's ``TransactWriteItems`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from imagegen.models.coins import Account, LedgerEntry
from imagegen.models.images import PresignedPost
from imagegen.services.object_store import FetchedObject
from imagegen.services.unit_of_work import TransactionCancelled, Write, nth
from imagegen.services.wallets import Movement
from imagegen.services.windows import Starts

IN_MEMORY = "InMemory"


class SlowClock:
    """A clock that moves only when the test moves it, or when code sleeps on it (``sleep``), keeping
    each sleep: retries and deadlines run instantly."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def in_memory_write(name: str, check: Callable[[], bool], apply: Callable[[], None]) -> Write:
    """A write refused unless ``check()`` holds at commit, doing ``apply()`` when the commit goes through."""
    return Write(name, {IN_MEMORY: (check, apply)})


class InMemoryTransactions:
    """``Transactions`` in memory: all or none of a commit's writes, refused by their conditions, or as
    the test says (a named write refused, another transaction in the way). Keeps what it committed."""

    def __init__(self) -> None:
        self.committed: list[list[str]] = []
        self._forced: list[set[str]] = []
        self.before_commit: Callable[[], None] | None = None

    def refuse(self, *names: str) -> None:
        """The next commit holding any of ``names`` is cancelled with those refused."""
        self._forced.append(set(names))

    def contend(self, times: int = 1) -> None:
        """The next ``times`` commits are cancelled by a conflicting transaction, nothing refused."""
        self._forced.extend(set() for _ in range(times))

    def write(self, writes: Sequence[Write]) -> None:
        names = [write.name for write in writes]
        if len(set(names)) != len(names):
            raise ValueError(f"a transaction's writes need distinct names: {names}")
        if self.before_commit is not None:  # another writer, between the step's read and its commit
            before, self.before_commit = self.before_commit, None
            before()
        # A refusal waits for a commit holding one of its names; a conflict takes the next commit.
        if self._forced and (not self._forced[0] or self._forced[0] & set(names)):
            forced = self._forced.pop(0)
            raise TransactionCancelled(forced & set(names), conflicted=not forced)
        effects = [write.item.get(IN_MEMORY) for write in writes]
        refused = [
            write.name for write, effect in zip(writes, effects, strict=True) if effect and not effect[0]()
        ]
        if refused:
            raise TransactionCancelled(refused, conflicted=False)
        for effect in effects:
            if effect:
                effect[1]()
        self.committed.append(names)


class InMemoryWallets:
    """``Wallets`` in memory, with the conditions ``repositories.coins`` writes with: a movement is
    refused if the wallet changed since it was read, an entry if its operation was recorded."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.entries: dict[tuple[str, str], LedgerEntry] = {}
        self.stats: dict[str, dict[str, int]] = {}

    def get_balance(self, user_id: str) -> int | None:
        account = self.accounts.get(user_id)
        return account.balance if account else None

    def get_account(self, user_id: str) -> Account | None:
        return self.accounts.get(user_id)

    def get_balances(self, user_ids: Sequence[str]) -> dict[str, int]:
        return {user_id: self.accounts[user_id].balance for user_id in user_ids if user_id in self.accounts}

    def get_entry(self, user_id: str, operation: str) -> LedgerEntry | None:
        return self.entries.get((user_id, operation))

    def open_account(self, entry: LedgerEntry, operation: str) -> list[Write]:
        def create() -> None:
            self.accounts[entry.user_id] = _after(entry)

        return [
            in_memory_write("wallet balance", lambda: entry.user_id not in self.accounts, create),
            self._new_entry(entry, operation),
        ]

    def open_empty(self, user_id: str, at: str) -> list[Write]:
        def create() -> None:
            self.accounts[user_id] = Account(balance=0, seq=0, updated_at=at)

        return [in_memory_write("wallet balance", lambda: user_id not in self.accounts, create)]

    def movement(
        self,
        account: Account,
        entries: Sequence[tuple[LedgerEntry, str]],
        counters: Mapping[str, int] | None = None,
    ) -> Movement:
        last = entries[-1][0]

        def move() -> None:
            self.accounts[last.user_id] = _after(last)
            self._add(last.user_id, counters or {})

        unchanged = lambda: self.accounts.get(last.user_id) == account  # noqa: E731 - read at commit
        return Movement(
            balance=in_memory_write("wallet balance", unchanged, move),
            entries=tuple(
                self._new_entry(entry, operation, nth("ledger entry", index))
                for index, (entry, operation) in enumerate(entries)
            ),
        )

    def add_counters(self, user_id: str, counters: Mapping[str, int]) -> Write:
        return in_memory_write(
            "account stats", lambda: user_id in self.accounts, lambda: self._add(user_id, counters)
        )

    def list_entries(
        self, user_id: str, limit: int, start_key: dict[str, Any] | None = None
    ) -> tuple[list[LedgerEntry], dict[str, Any] | None]:
        newest = sorted((e for (user, _), e in self.entries.items() if user == user_id), key=lambda e: e.id)[
            ::-1
        ]
        start = int(start_key["index"]) if start_key else 0
        page = newest[start : start + limit]
        return page, ({"index": start + limit} if start + limit < len(newest) else None)

    def _new_entry(self, entry: LedgerEntry, operation: str, name: str = "ledger entry") -> Write:
        key = (entry.user_id, operation)
        return in_memory_write(
            name, lambda: key not in self.entries, lambda: self.entries.__setitem__(key, entry)
        )

    def _add(self, user_id: str, counters: Mapping[str, int]) -> None:
        stats = self.stats.setdefault(user_id, {})
        for name, value in counters.items():
            stats[name] = stats.get(name, 0) + value


def _after(entry: LedgerEntry) -> Account:
    """The wallet as ``entry`` leaves it."""
    return Account(balance=entry.balance, seq=entry.seq, last_entry_id=entry.id, updated_at=entry.created_at)


class InMemoryWindows:
    """``StartWindows`` in memory, with the condition ``repositories.rate_limits`` writes with: a record
    is refused if another request recorded since it was read."""

    def __init__(self) -> None:
        self.windows: dict[str, Starts] = {}

    def starts(self, key: str) -> Starts:
        return self.windows.get(key, Starts((), 0))

    def record_write(self, key: str, read: Starts, times: tuple[int, ...], expires_at: int) -> Write:
        def unchanged() -> bool:
            return self.starts(key).version == read.version

        def record() -> None:
            self.windows[key] = Starts(times, read.version + 1)

        return in_memory_write("rate limit", unchanged, record)


class InMemoryObjects:
    """An ``ObjectStore`` in memory: objects by key, URLs that name what they would sign."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def presign_upload(self, key: str, content_type: str, size: int, expires_in: int) -> PresignedPost:
        fields = {"key": key, "Content-Type": content_type}
        return PresignedPost(url=f"memory://upload/{key}", fields=fields, expires_at="2099-01-01T00:00:00Z")

    def presign_read(self, key: str, content_type: str | None = None, expires_in: int | None = None) -> str:
        return f"memory://{key}" if expires_in is None else f"memory://{key}?expires={expires_in}"

    def read_if_exists(self, key: str) -> bytes | None:
        found = self.objects.get(key)
        return found[0] if found else None

    def fetch(self, key: str, max_bytes: int) -> FetchedObject | None:
        found = self.objects.get(key)
        if found is None:
            return None
        data, content_type = found
        return FetchedObject(
            size=len(data), content_type=content_type, data=data if len(data) <= max_bytes else None
        )

    def write(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = (data, content_type)

    def write_new(self, key: str, data: bytes, content_type: str) -> bool:
        if key in self.objects:
            return False
        self.write(key, data, content_type)
        return True

    def delete(self, *keys: str) -> None:
        for key in keys:
            self.objects.pop(key, None)

    def delete_under(self, prefix: str) -> int:
        keys = [key for key in self.objects if key.startswith(prefix)]
        self.delete(*keys)
        return len(keys)
