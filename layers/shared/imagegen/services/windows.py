"""What the rate limits need of where each user's recent starts are kept, in their own terms: the
start times as read, with the version they were read at, and a write that records new ones unless
another request recorded first (``repositories.rate_limits.RateLimitRepository`` keeps them in
DynamoDB; ``tests.fakes.InMemoryWindows`` in memory)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from imagegen.services.unit_of_work import Write


@dataclass(frozen=True, slots=True)
class Starts:
    """When a user's latest requests of one action started (epoch milliseconds), as read, and the
    version of the record they were read from (0: there is none yet)."""

    times: tuple[int, ...]
    version: int


class StartWindows(Protocol):
    """Each user's and action's latest start times."""

    def starts(self, key: str) -> Starts:
        """The start times recorded under ``key``, read consistently."""
        ...

    def record_write(self, key: str, read: Starts, times: tuple[int, ...], expires_at: int) -> Write:
        """A write replacing the times under ``key``, refused if they changed since ``read``."""
        ...
