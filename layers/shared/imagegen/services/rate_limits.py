"""Per-user rate limits: how many generations (edits included) and uploads one user may start in
any 60 seconds.

A sliding window, exact: each user and action keeps the start times of their latest requests, and
a request is admitted only while fewer than the limit started in the 60 seconds before it. (Fixed
windows of the clock's minutes admitted a full window at the end of one minute and another at the
start of the next: twice the limit within seconds.) The start times are read, and the new one
written *inside the transaction that charges the request*, on the condition that they did not
change meanwhile. So a request over the limit is refused with nothing written (no coin, no image,
not even a start), a request refused for another reason (402, a lost race) counts for nothing
either, and two requests racing for the last place cannot both take it: the one whose condition
fails reads again. A retried request with its ``Idempotency-Key`` is answered from the first one
and is not counted again. The records expire through the table's TTL once no start counts.
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
_WINDOW_MS = WINDOW_SECONDS * 1000


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
    """A place for one more request in its user's window: ``write`` goes into the request's
    transaction, which refuses it if another request took a place since the window was read (then
    ask for a slot again: the window may be full by now)."""

    write: Write


class RateLimits:
    """Hands out places in each user's sliding window."""

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
        """A place for one more ``action`` of ``user_id`` now; ``RateLimited``, with nothing written,
        when the limit of them started in the last 60 seconds."""
        now = int(self._clock() * 1000)
        limit = self._per_minute[action]
        key = f"{user_id}#{action.value}"
        read = self._repository.starts(key)
        counted = sorted(start for start in read.times if start > now - _WINDOW_MS)
        if len(counted) >= limit:
            # A place frees when the start that keeps the window full leaves it.
            frees_at = counted[len(counted) - limit] + _WINDOW_MS
            retry_after = max(1, math.ceil((frees_at - now) / 1000))
            raise RateLimited(
                f"You may start {limit} {action.counted} a minute; nothing was charged. "
                f"Try again in {retry_after} s.",
                retry_after=retry_after,
                limit=limit,
                window_seconds=WINDOW_SECONDS,
            )
        expires_at = math.ceil((now + _WINDOW_MS) / 1000)  # when this start stops counting
        return Slot(self._repository.record_write(key, read, (*counted, now), expires_at))
