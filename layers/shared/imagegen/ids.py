"""Identifiers and timestamps in the formats the API promises.

Ids are ULIDs (https://github.com/ulid/spec): 48 bits of milliseconds since the epoch and 80
random bits, 26 characters of Crockford's base32. Made here in a few lines rather than by
python-ulid, whose import reads package metadata from disk (15 ms of every cold start).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

MAX_ID_LENGTH = 64
"""The longest id a request may name (ours are 26-character ULIDs; the slack is for old or foreign ids)."""
ID_PATTERN = r"^[A-Za-z0-9_-]+$"
"""What an id a request names is written in: URL-safe ASCII (ULIDs, and ``me``)."""


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {character: value for value, character in enumerate(_CROCKFORD)}
_RANDOM_BITS = 80
_LARGEST = (1 << 128) - 1


def _encode(value: int) -> str:
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def _decode(ulid: str) -> int:
    value = 0
    for character in ulid.upper():
        value = value << 5 | _DECODE[character]
    return value


def _fresh() -> int:
    milliseconds = time.time_ns() // 1_000_000
    return milliseconds << _RANDOM_BITS | int.from_bytes(os.urandom(_RANDOM_BITS // 8), "big")


def new_id() -> str:
    """A new ULID: unique, and sorting by creation time."""
    return _encode(_fresh())


def utc_now() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a ``Z``, as every timestamp in the API."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    """Now as the API writes timestamps."""
    return iso(utc_now())


def iso_at(epoch_seconds: float) -> str:
    """A moment given in seconds since the epoch (a clock's reading), as the API writes timestamps."""
    return iso(datetime.fromtimestamp(epoch_seconds, UTC))


def new_id_after(previous: str | None) -> str:
    """A new ULID that sorts after ``previous``: ULIDs made in the same millisecond, or on a machine
    whose clock lags, are otherwise in random order."""
    fresh = _fresh()
    if previous is None:
        return _encode(fresh)
    before = _decode(previous)
    return _encode(fresh if fresh > before else min(before + 1, _LARGEST))


def not_before(previous: str | None) -> str:
    """Now as the API writes timestamps, or ``previous`` if the clock says earlier."""
    now = now_iso()
    return max(now, previous) if previous else now
