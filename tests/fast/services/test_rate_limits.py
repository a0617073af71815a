"""Rate limits on in-memory windows: a sliding window per user and action, a place taken in the
request's own transaction, and a place another request took meanwhile refused."""

from __future__ import annotations

import pytest

from imagegen.errors import RateLimited
from imagegen.services.rate_limits import LimitedAction, PlaceTaken, RateLimits
from imagegen.services.unit_of_work import UnitOfWork
from tests.fakes import InMemoryTransactions, InMemoryWindows, SlowClock


@pytest.fixture
def clock() -> SlowClock:
    return SlowClock(now=1_000_000.0)


@pytest.fixture
def windows() -> InMemoryWindows:
    return InMemoryWindows()


@pytest.fixture
def transactions() -> InMemoryTransactions:
    return InMemoryTransactions()


@pytest.fixture
def limits(windows: InMemoryWindows, clock: SlowClock) -> RateLimits:
    return RateLimits(windows, {LimitedAction.GENERATE: 3, LimitedAction.CHECKOUT: 2}, clock=clock)


def start(limits: RateLimits, transactions: InMemoryTransactions, action: LimitedAction) -> None:
    """One request of ``ada``: its place taken in a transaction of its own."""
    UnitOfWork(transactions).with_write(limits.slot("ada", action).write, PlaceTaken).commit()


def test_a_user_starts_the_limit_in_a_minute_and_the_next_is_told_when_to_try_again(
    limits: RateLimits, transactions: InMemoryTransactions, clock: SlowClock
) -> None:
    start(limits, transactions, LimitedAction.GENERATE)
    for _ in range(2):
        clock.now += 10
        start(limits, transactions, LimitedAction.GENERATE)

    with pytest.raises(RateLimited) as limited:
        limits.slot("ada", LimitedAction.GENERATE)

    assert limited.value.retry_after == 40  # the first start leaves the window 60 s after it
    assert limited.value.details["limit"] == 3


def test_the_window_slides_a_place_frees_when_its_start_leaves_it(
    limits: RateLimits, transactions: InMemoryTransactions, clock: SlowClock
) -> None:
    start(limits, transactions, LimitedAction.GENERATE)
    clock.now += 30
    start(limits, transactions, LimitedAction.GENERATE)
    start(limits, transactions, LimitedAction.GENERATE)
    clock.now += 30.001  # the first start has left the last minute; the other two have not

    start(limits, transactions, LimitedAction.GENERATE)

    with pytest.raises(RateLimited):
        limits.slot("ada", LimitedAction.GENERATE)


def test_each_user_and_action_has_a_window_of_its_own(
    limits: RateLimits, transactions: InMemoryTransactions
) -> None:
    for _ in range(3):
        start(limits, transactions, LimitedAction.GENERATE)

    start(limits, transactions, LimitedAction.CHECKOUT)
    UnitOfWork(transactions).with_write(
        limits.slot("byron", LimitedAction.GENERATE).write, PlaceTaken
    ).commit()


def test_checkouts_are_counted_over_a_day(
    limits: RateLimits, transactions: InMemoryTransactions, clock: SlowClock
) -> None:
    start(limits, transactions, LimitedAction.CHECKOUT)
    clock.now += 3600
    start(limits, transactions, LimitedAction.CHECKOUT)
    clock.now += 3600

    with pytest.raises(RateLimited) as limited:
        limits.slot("ada", LimitedAction.CHECKOUT)
    assert limited.value.retry_after == 24 * 3600 - 2 * 3600


def test_a_place_another_request_took_meanwhile_is_refused_and_the_next_read_counts_it(
    limits: RateLimits, windows: InMemoryWindows, transactions: InMemoryTransactions
) -> None:
    mine = limits.slot("ada", LimitedAction.GENERATE)
    start(limits, transactions, LimitedAction.GENERATE)  # another request, between my read and my commit

    with pytest.raises(PlaceTaken):
        UnitOfWork(transactions).with_write(mine.write, PlaceTaken).commit()
    start(limits, transactions, LimitedAction.GENERATE)  # read again: the other's place counted

    assert len(windows.starts(f"ada#{LimitedAction.GENERATE.value}").times) == 2


def test_an_action_this_function_does_not_limit_is_a_mistake(limits: RateLimits) -> None:
    with pytest.raises(ValueError, match="no limit"):
        limits.slot("ada", LimitedAction.UPLOAD)
