"""Identifiers and timestamps in the formats the API promises."""

from __future__ import annotations

from datetime import UTC, datetime

from ulid import ULID

MAX_ID_LENGTH = 64
"""The longest id a request may name (ours are 26-character ULIDs; the slack is for old or foreign ids)."""
ID_PATTERN = r"^[A-Za-z0-9_-]+$"
"""What an id a request names is written in: URL-safe ASCII (ULIDs, and ``me``)."""


def new_id() -> str:
    """A new ULID: unique, and sorting by creation time."""
    return str(ULID())


def utc_now() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a ``Z``, as every timestamp in the API."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    """Now as the API writes timestamps."""
    return iso(utc_now())


def new_id_after(previous: str | None) -> str:
    """A new ULID that sorts after ``previous``: ULIDs made in the same millisecond, or on a machine
    whose clock lags, are otherwise in random order."""
    fresh = ULID()
    if previous is None:
        return str(fresh)
    before = ULID.from_str(previous)
    return str(fresh if fresh > before else ULID.from_int(int(before) + 1))


def not_before(previous: str | None) -> str:
    """Now as the API writes timestamps, or ``previous`` if the clock says earlier."""
    now = now_iso()
    return max(now, previous) if previous else now
