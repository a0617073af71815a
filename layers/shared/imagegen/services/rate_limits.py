"""Per-user rate limits: how many generations (edits included) and uploads one user may start a minute.

Fixed windows of a minute, aligned to the clock: one counter per user, action and window, counted by
a conditional update *inside the transaction that charges the request*. So a request over the limit
is refused with nothing written (no coin, no image, not even a count), and a request refused for
another reason (402, a lost race) counts for nothing either. A retried request with its
``Idempotency-Key`` is answered from the first one and is not counted again. Counters expire
through the table's TTL a window after theirs ends.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from imagegen.errors import RateLimited

if TYPE_CHECKING:
    from imagegen.repositories.dynamo import Write
    from imagegen.repositories.rate_limits import RateLimitRepository

WINDOW_SECONDS = 60


class LimitedAction(StrEnum):
    """What the limits count, each against its own allowance."""

    GENERATE = "generate"  # generations and edits alike: each is a call of the model
    UPLOAD = "upload"

    @property
    def counted(self) -> str:
        """What a user is told the limit counts."""
        return "generations or edits" if self is LimitedAction.GENERATE else "uploads"


@dataclass(frozen=True, slots=True)
class Slot:
    """One request's place in its window: ``write`` goes into the request's transaction, which
    refuses it once the window is full."""

    write: Write
    action: LimitedAction
    limit: int
    retry_after: int

    def exceeded(self) -> RateLimited:
        """The refusal to answer with when the transaction refused ``write``."""
        return RateLimited(
            f"You may start {self.limit} {self.action.counted} a minute; nothing was charged. "
            f"Try again in {self.retry_after} s.",
            retry_after=self.retry_after,
            limit=self.limit,
            window_seconds=WINDOW_SECONDS,
        )


class RateLimits:
    """Hands out slots in each user's current window."""

    def __init__(
        self,
        repository: RateLimitRepository,
        per_minute: Mapping[LimitedAction, int],
        clock: Callable[[], float] = time.time,
    ) -> None:
        missing = set(LimitedAction) - set(per_minute)
        if missing:
            raise ValueError(f"no limit for {sorted(missing)}")
        self._repository = repository
        self._per_minute = dict(per_minute)
        self._clock = clock

    def slot(self, user_id: str, action: LimitedAction) -> Slot:
        """The write that counts one more ``action`` of ``user_id`` in the current window."""
        now = self._clock()
        window = int(now // WINDOW_SECONDS)
        ends_at = (window + 1) * WINDOW_SECONDS
        limit = self._per_minute[action]
        write = self._repository.count_write(
            f"{user_id}#{action.value}#{window}", limit, expires_at=ends_at + WINDOW_SECONDS
        )
        return Slot(write, action, limit, retry_after=max(1, math.ceil(ends_at - now)))
