"""Per-user rate limits: how many generations (edits included) and uploads one user may start in
any 60 seconds, and how many checkouts in any day; and per client address, how many views of shared
images one address may make in any 60 seconds (the address, not a user, is what a window is kept for).

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

from imagegen.errors import Invalid, RateLimited
from imagegen.services.unit_of_work import ReadAgain

if TYPE_CHECKING:
    from imagegen.services.unit_of_work import Write
    from imagegen.services.windows import StartWindows

WINDOW_SECONDS = 60
DAY_SECONDS = 24 * 3600


class LimitedAction(StrEnum):
    """What the limits count, each against its own allowance in its own window."""

    GENERATE = "generate"  # generations and edits alike: each is a call of the model
    UPLOAD = "upload"
    CHECKOUT = "checkout"  # a checkout opened to buy coins
    VIEW_SHARED = "shared-view"  # a shared image opened (its JSON or its page), counted per client address

    @property
    def counted(self) -> str:
        """What a user is told the limit counts."""
        return {
            "generate": "generations or edits",
            "upload": "uploads",
            "checkout": "checkouts",
            "shared-view": "views of shared images",
        }[self.value]

    @property
    def charges(self) -> bool:
        """Whether a request of it charges coins (a refusal then says nothing was charged)."""
        return self is not LimitedAction.VIEW_SHARED

    @property
    def window_seconds(self) -> int:
        return DAY_SECONDS if self is LimitedAction.CHECKOUT else WINDOW_SECONDS

    @property
    def per(self) -> str:
        """The window, as a user is told it."""
        return "a day" if self is LimitedAction.CHECKOUT else "a minute"


def window_key(holder: str, action: LimitedAction) -> str:
    """What the window of ``holder`` (a user's id, or a client address's keyed hash) for ``action`` is
    kept under."""
    return f"{holder}#{action.value}"


def user_window_keys(user_id: str) -> tuple[str, ...]:
    """The keys of every window a user has (those of client addresses are not a user's): what an
    account's deletion removes, by key."""
    return tuple(
        window_key(user_id, action) for action in LimitedAction if action is not LimitedAction.VIEW_SHARED
    )


class PlaceTaken(ReadAgain):
    """Another request of the user took a place in the window since it was read: read it again (the
    window may be full by now)."""


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
        repository: StartWindows,
        limits: Mapping[LimitedAction, int],
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``limits``: how many of each action (those this function limits) one user may start in
        the action's window."""
        self._repository = repository
        self._limits = dict(limits)
        self._clock = clock

    def slot(self, user_id: str, action: LimitedAction, places: int = 1) -> Slot:
        """Places for ``places`` more ``action`` of ``user_id`` now (each variation of a request is
        one); ``RateLimited``, with nothing written, when fewer are left of the limit in the
        action's window (the last 60 seconds, or day); ``Invalid`` for more than the limit."""
        if action not in self._limits:
            raise ValueError(f"no limit for {action.value} here")
        now = int(self._clock() * 1000)
        limit = self._limits[action]
        if places > limit:
            raise Invalid("count", f"You may start {limit} {action.counted} {action.per}.")
        window = action.window_seconds * 1000
        key = window_key(user_id, action)
        read = self._repository.starts(key)
        counted = sorted(start for start in read.times if start > now - window)
        if len(counted) + places > limit:
            # Enough places are free when the start that keeps the window too full leaves it.
            frees_at = counted[len(counted) + places - limit - 1] + window
            retry_after = max(1, math.ceil((frees_at - now) / 1000))
            allowed = (
                f"You may start {limit} {action.counted} {action.per}; nothing was charged"
                if action.charges
                else f"One address may make {limit} {action.counted} {action.per}"
            )
            raise RateLimited(
                f"{allowed}. Try again in {retry_after} s.",
                retry_after=retry_after,
                limit=limit,
                window_seconds=action.window_seconds,
            )
        expires_at = math.ceil((now + window) / 1000)  # when this start stops counting
        return Slot(self._repository.record_write(key, read, (*counted, *(now,) * places), expires_at))
