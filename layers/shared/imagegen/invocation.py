"""The Lambda invocation under way in this container, and how long it may still run."""

from __future__ import annotations

import math
from typing import Protocol


class RemainingTime(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


class Invocation:
    """What retry loops ask before trying again: a loop that would outlive the function is cut short
    (a killed function answers 5xx and may leave work half done, such as an image charged and not
    queued). Outside Lambda (tests, tools) there is no limit."""

    def __init__(self) -> None:
        self._context: RemainingTime | None = None

    def start(self, context: RemainingTime | None) -> None:
        """Called by the handler with the Lambda context of each invocation."""
        self._context = context

    def seconds_left(self) -> float:
        """Seconds until the function times out (infinite outside Lambda)."""
        if self._context is None:
            return math.inf
        return self._context.get_remaining_time_in_millis() / 1000
