"""Creating an image on in-memory twins: the charge, the record and the rate limit's place in one
commit, the place read again when another request took it, and nothing at all written when the
step is refused."""

from __future__ import annotations

import pytest

from imagegen.errors import Busy, InsufficientCoins, NotFound, RateLimited
from imagegen.models.coins import LedgerReason
from imagegen.models.images import Image, ImageStatus, ImageType
from imagegen.services.coins import CoinService
from imagegen.services.cursors import CursorCodec
from imagegen.services.images import ImageService
from imagegen.services.rate_limits import LimitedAction, RateLimits
from imagegen.services.unit_of_work import UnitOfWork
from tests.fakes import (
    InMemoryObjects,
    InMemoryTransactions,
    InMemoryWallets,
    InMemoryWindows,
    SlowClock,
)
from tests.fakes.images import InMemoryImages

NOW = "2026-12-04T12:00:00.000Z"


class Recorded:
    """The parts of one image service on twins, kept for the test to look into."""

    def __init__(self) -> None:
        self.transactions = InMemoryTransactions()
        self.wallets = InMemoryWallets()
        self.records = InMemoryImages()
        self.windows = InMemoryWindows()
        self.clock = SlowClock()
        self.coins = CoinService(
            self.wallets, self.transactions, sleep=self.clock.sleep, clock=self.clock, budget_seconds=1.0
        )
        self.limits = RateLimits(self.windows, {LimitedAction.GENERATE: 2}, clock=lambda: 1_000_000.0)
        self.images = ImageService(
            self.records,
            InMemoryObjects(),
            self.coins,
            self.transactions,
            CursorCodec(lambda: "s" * 32),
            count=lambda *_, **__: None,
        )
        self.transactions.write(self.coins.open_account("ada", 100))

    def create(self, image_id: str, unit: UnitOfWork | None = None) -> int:
        return self.images.create(
            [image(image_id)],
            LedgerReason.GENERATE,
            lambda: self.limits.slot("ada", LimitedAction.GENERATE),
            unit,
        )

    def written(self) -> tuple[int, list[str], int]:
        """The balance, the images recorded, and the places taken."""
        window = self.windows.starts(f"ada#{LimitedAction.GENERATE.value}")
        return self.coins.balance("ada"), sorted(key[1] for key in self.records.records), len(window.times)


def image(image_id: str, cost: int = 40) -> Image:
    return Image(
        user_id="ada",
        image_id=image_id,
        type=ImageType.GENERATED,
        status=ImageStatus.PENDING,
        title="a lighthouse",
        object_key=f"images/ada/{image_id}.png",
        coins_used=cost,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.fixture
def parts() -> Recorded:
    return Recorded()


def test_an_image_is_charged_recorded_and_counted_in_one_commit(parts: Recorded) -> None:
    balance = parts.create("IMG1")

    assert balance == 60
    assert parts.written() == (60, ["IMG1"], 1)
    assert parts.transactions.committed[-1] == ["new image", "rate limit", "ledger entry", "wallet balance"]


def test_a_place_another_request_took_meanwhile_is_read_again(parts: Recorded) -> None:
    # Between this request's read of the window and its commit, another request takes a place.
    parts.transactions.before_commit = lambda: (
        UnitOfWork(parts.transactions)
        .with_write(parts.limits.slot("ada", LimitedAction.GENERATE).write, NotFound)
        .commit()
    )

    parts.create("IMG1")

    assert parts.written() == (60, ["IMG1"], 2)


def test_places_taken_again_and_again_end_at_the_deadline_with_nothing_written(parts: Recorded) -> None:
    for _ in range(10_000):
        parts.transactions.refuse("rate limit")

    with pytest.raises(Busy):
        parts.create("IMG1")
    assert parts.clock.now <= 1.0
    assert parts.written() == (100, [], 0)


def test_a_full_window_writes_nothing(parts: Recorded) -> None:
    parts.create("IMG1")
    parts.create("IMG2")

    with pytest.raises(RateLimited):
        parts.create("IMG3")
    assert parts.written() == (20, ["IMG1", "IMG2"], 2)


def test_a_short_balance_writes_nothing(parts: Recorded) -> None:
    parts.create("IMG1")
    parts.create("IMG2")  # 20 coins left

    parts.limits = RateLimits(parts.windows, {LimitedAction.GENERATE: 10}, clock=lambda: 1_000_000.0)
    with pytest.raises(InsufficientCoins):
        parts.create("IMG3")
    assert parts.written() == (20, ["IMG1", "IMG2"], 2)


def test_a_source_deleted_meanwhile_is_not_found_and_nothing_is_written(parts: Recorded) -> None:
    staged = UnitOfWork(parts.transactions).with_write(
        parts.records.start_thread_write("ada", "GONE"), lambda: NotFound("No such image.")
    )

    with pytest.raises(NotFound, match="No such image"):
        parts.create("IMG1", staged)
    assert parts.written() == (100, [], 0)
