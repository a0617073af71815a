"""Coins on in-memory wallets: every movement is one transaction with its ledger entry, at most once
per operation, never below zero, and retried against other writers until a deadline."""

from __future__ import annotations

import pytest

from imagegen.errors import Busy, InsufficientCoins, NotFound
from imagegen.models.coins import LedgerReason
from imagegen.services.coins import CoinService
from imagegen.services.unit_of_work import UnitOfWork
from tests.fakes import InMemoryTransactions, InMemoryWallets, SlowClock, in_memory_write


@pytest.fixture
def wallets() -> InMemoryWallets:
    return InMemoryWallets()


@pytest.fixture
def transactions() -> InMemoryTransactions:
    return InMemoryTransactions()


@pytest.fixture
def clock() -> SlowClock:
    return SlowClock()


@pytest.fixture
def coins(wallets: InMemoryWallets, transactions: InMemoryTransactions, clock: SlowClock) -> CoinService:
    service = CoinService(wallets, transactions, sleep=clock.sleep, clock=clock, budget_seconds=1.0)
    transactions.write(service.open_account("ada", 300))
    return service


def ledger_sum(wallets: InMemoryWallets, user_id: str) -> int:
    return sum(entry.amount for (user, _), entry in wallets.entries.items() if user == user_id)


def test_a_charge_takes_the_coins_and_records_the_balance_after(
    coins: CoinService, wallets: InMemoryWallets
) -> None:
    entry = coins.charge("ada", 100, LedgerReason.GENERATE, image_id="IMG1", counters={"imagesGenerated": 1})

    assert (entry.amount, entry.balance, entry.seq) == (-100, 200, 2)
    assert coins.balance("ada") == 200 == ledger_sum(wallets, "ada")
    assert wallets.stats["ada"] == {"imagesGenerated": 1}


def test_a_charge_asked_again_for_the_same_image_is_the_same_charge(
    coins: CoinService, wallets: InMemoryWallets
) -> None:
    first = coins.charge("ada", 100, LedgerReason.GENERATE, image_id="IMG1")

    assert coins.charge("ada", 100, LedgerReason.GENERATE, image_id="IMG1") == first
    assert coins.balance("ada") == 200 == ledger_sum(wallets, "ada")


def test_a_charge_the_balance_does_not_cover_moves_nothing(
    coins: CoinService, wallets: InMemoryWallets
) -> None:
    with pytest.raises(InsufficientCoins) as short:
        coins.charge("ada", 301, LedgerReason.GENERATE, image_id="IMG1")

    assert short.value.details == {"balance": 300, "required": 301}
    assert coins.balance("ada") == 300 == ledger_sum(wallets, "ada")


def test_a_user_without_a_wallet_is_not_found(coins: CoinService) -> None:
    with pytest.raises(NotFound):
        coins.charge("nobody", 1, LedgerReason.GENERATE, image_id="IMG1")


def test_a_wallet_changed_by_another_writer_is_read_again_and_charged_from_what_it_holds(
    coins: CoinService, wallets: InMemoryWallets, transactions: InMemoryTransactions, clock: SlowClock
) -> None:
    # Between the charge's read and its commit, a grant lands: the charge's balance write is refused.
    transactions.before_commit = lambda: coins.grant("ada", 50, note="meanwhile")

    entry = coins.charge("ada", 100, LedgerReason.GENERATE, image_id="IMG1")

    assert entry.balance == 250  # 300 + 50 - 100: the second read saw the grant
    assert len(clock.slept) == 1
    assert coins.balance("ada") == 250 == ledger_sum(wallets, "ada")


def test_a_wallet_that_keeps_changing_past_the_deadline_is_busy_and_moves_nothing(
    coins: CoinService, wallets: InMemoryWallets, transactions: InMemoryTransactions, clock: SlowClock
) -> None:
    transactions.contend(times=10_000)

    with pytest.raises(Busy) as busy:
        coins.charge("ada", 100, LedgerReason.GENERATE, image_id="IMG1")

    assert busy.value.retry_after == 1
    assert clock.now <= 1.0
    assert coins.balance("ada") == 300 == ledger_sum(wallets, "ada")


def test_a_refused_write_of_the_caller_moves_nothing_and_raises_what_it_means(
    coins: CoinService, wallets: InMemoryWallets, transactions: InMemoryTransactions
) -> None:
    class SourceGone(Exception):
        pass

    gone = in_memory_write("thread start", lambda: False, lambda: None)
    unit = UnitOfWork(transactions).with_write(gone, SourceGone)

    with pytest.raises(SourceGone):
        coins.charge("ada", 100, LedgerReason.GENERATE, image_id="IMG1", unit=unit)
    assert coins.balance("ada") == 300 == ledger_sum(wallets, "ada")


def test_what_the_caller_staged_is_committed_with_the_charge(
    coins: CoinService, transactions: InMemoryTransactions
) -> None:
    images: list[str] = []
    unit = UnitOfWork(transactions).with_write(
        in_memory_write("image", lambda: True, lambda: images.append("IMG1")), NotFound
    )

    coins.charge("ada", 100, LedgerReason.GENERATE, image_id="IMG1", unit=unit)

    assert images == ["IMG1"]
    assert transactions.committed[-1] == ["image", "ledger entry", "wallet balance"]


def test_a_refund_gives_back_once_however_often_it_is_asked(
    coins: CoinService, wallets: InMemoryWallets
) -> None:
    coins.charge("ada", 100, LedgerReason.GENERATE, image_id="IMG1")

    coins.refund("ada", 100, image_id="IMG1")
    coins.refund("ada", 100, image_id="IMG1")

    assert coins.balance("ada") == 300 == ledger_sum(wallets, "ada")


def test_taking_back_a_refunded_order_may_go_below_zero_and_the_ledger_still_sums(
    coins: CoinService, wallets: InMemoryWallets
) -> None:
    coins.charge("ada", 250, LedgerReason.GENERATE, image_id="IMG1")

    entry = coins.settle_order("ada", -100, LedgerReason.REFUND, "refund#re_1", "ORD1")

    assert entry.balance == -50
    assert coins.balance("ada") == -50 == ledger_sum(wallets, "ada")
    with pytest.raises(InsufficientCoins):
        coins.charge("ada", 1, LedgerReason.GENERATE, image_id="IMG2")


def test_a_ledger_is_read_newest_first_page_by_page(coins: CoinService) -> None:
    for index in range(5):
        coins.charge("ada", 10, LedgerReason.GENERATE, image_id=f"IMG{index}")

    first, more = coins.entries("ada", 4, None)
    rest, end = coins.entries("ada", 4, more)

    assert [entry.balance for entry in first + rest] == [250, 260, 270, 280, 290, 300]
    assert end is None
