from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from imagegen.composition import Composition
from imagegen.errors import Busy, InsufficientCoins, NotFound
from imagegen.ids import new_id
from imagegen.models.coins import Account, LedgerEntry, LedgerReason
from imagegen.models.images import Image, ImageStatus, ImageType
from imagegen.repositories.coins import CoinRepository
from imagegen.repositories.dynamo import to_item
from imagegen.services.coins import CoinService
from imagegen.services.unit_of_work import UnitOfWork

USER = "01USER"


@pytest.fixture
def funded(open_account: Callable[[str, int], None]) -> str:
    open_account(USER, 300)
    return USER


def test_opening_an_account_records_the_welcome_entry(
    services: Composition, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    assert services.coins.balance(funded) == 300
    assert ledger_sum(funded) == 300


def test_charge_takes_the_amount_and_records_the_balance_after(
    services: Composition, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    entry = services.coins.charge(funded, 100, LedgerReason.GENERATE, image_id="IMG1")

    assert (entry.amount, entry.balance, entry.reason, entry.image_id) == (-100, 200, "generate", "IMG1")
    assert services.coins.balance(funded) == 200
    assert ledger_sum(funded) == 200


def test_a_charge_short_of_coins_changes_nothing(
    services: Composition, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    with pytest.raises(InsufficientCoins) as refused:
        services.coins.charge(funded, 301, LedgerReason.GENERATE, image_id="IMG1")

    assert (refused.value.balance, refused.value.required) == (300, 301)
    assert services.coins.balance(funded) == 300
    assert ledger_sum(funded) == 300


def test_a_charge_can_take_the_balance_to_exactly_zero(services: Composition, funded: str) -> None:
    services.coins.charge(funded, 300, LedgerReason.UPLOAD, image_id="IMG1")
    assert services.coins.balance(funded) == 0


def test_the_same_charge_twice_is_taken_once(
    services: Composition, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    first = services.coins.charge(funded, 100, LedgerReason.GENERATE, image_id="IMG1")
    again = services.coins.charge(funded, 100, LedgerReason.GENERATE, image_id="IMG1")

    assert again.id == first.id
    assert services.coins.balance(funded) == 200
    assert ledger_sum(funded) == 200


def test_a_repeated_charge_is_recognised_even_once_the_balance_is_short(
    services: Composition, funded: str
) -> None:
    first = services.coins.charge(funded, 300, LedgerReason.GENERATE, image_id="IMG1")
    assert services.coins.charge(funded, 300, LedgerReason.GENERATE, image_id="IMG1").id == first.id


def test_a_refund_is_given_at_most_once(
    services: Composition, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    services.coins.charge(funded, 100, LedgerReason.GENERATE, image_id="IMG1")
    first = services.coins.refund(funded, 100, image_id="IMG1")
    again = services.coins.refund(funded, 100, image_id="IMG1")

    assert again.id == first.id
    assert (first.amount, first.balance, first.reason) == (100, 300, "refund")
    assert services.coins.balance(funded) == 300
    assert ledger_sum(funded) == 300


def test_a_grant_can_take_coins_but_never_below_zero(
    services: Composition, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    services.coins.grant(funded, -250, note="correction")
    with pytest.raises(InsufficientCoins):
        services.coins.grant(funded, -51, note="too much")

    assert services.coins.balance(funded) == 50
    assert ledger_sum(funded) == 50


def test_grants_with_the_same_id_happen_once(services: Composition, funded: str) -> None:
    services.coins.grant(funded, 40, note="gift", grant_id="G1")
    services.coins.grant(funded, 40, note="gift", grant_id="G1")
    assert services.coins.balance(funded) == 340


def test_moving_coins_of_a_user_without_an_account_is_not_found(services: Composition) -> None:
    with pytest.raises(NotFound):
        services.coins.charge("NOBODY", 1, LedgerReason.GENERATE, image_id="IMG1")


def test_a_refused_write_of_the_caller_cancels_the_charge_and_raises_what_it_means(
    services: Composition, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    existing = Image(
        user_id=funded,
        image_id="IMG1",
        type=ImageType.UPLOADED,
        status=ImageStatus.PENDING,
        title="t",
        object_key="k",
        coins_used=100,
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-01T00:00:00.000Z",
    )
    image_write = services.image_records.create_write(existing)
    services.transactions.write([image_write])

    class ImageTaken(Exception):
        pass

    unit = UnitOfWork(services.transactions).with_write(image_write, ImageTaken)
    with pytest.raises(ImageTaken):
        services.coins.charge(funded, 100, LedgerReason.UPLOAD, image_id="IMG1", unit=unit)

    assert services.coins.balance(funded) == 300
    assert ledger_sum(funded) == 300


class FakeClock:
    """A monotonic clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class RacedRepository(CoinRepository):
    """A coin repository after whose first ``races`` reads another request moves the wallet."""

    def __init__(self, services: Composition, race: Callable[[], None], races: int = 1) -> None:
        super().__init__(services.aws.dynamodb, services.settings.coins.table)
        self._race = race
        self.races_left = races

    def get_account(self, user_id: str) -> Account | None:
        account = super().get_account(user_id)
        if self.races_left:
            self.races_left -= 1
            self._race()
        return account


def test_a_wallet_changed_between_read_and_write_is_read_again(
    services: Composition, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    raced = RacedRepository(services, lambda: services.coins.grant(funded, 7, note="meanwhile"))
    coins = CoinService(raced, services.transactions)

    entry = coins.charge(funded, 100, LedgerReason.GENERATE, image_id="IMG1")

    assert entry.balance == 207
    assert services.coins.balance(funded) == 207
    assert ledger_sum(funded) == 207
    assert_chain(services, funded)


def test_a_wallet_back_at_the_balance_that_was_read_is_still_read_again(
    services: Composition, funded: str
) -> None:
    """Two movements meanwhile that cancel out leave the balance as it was read, not the ledger."""

    def there_and_back() -> None:
        services.coins.grant(funded, 50, note="there")
        services.coins.grant(funded, -50, note="back")

    coins = CoinService(RacedRepository(services, there_and_back), services.transactions)

    entry = coins.charge(funded, 100, LedgerReason.GENERATE, image_id="IMG1")

    assert (entry.balance, entry.seq) == (200, 4)
    assert_chain(services, funded)


def test_a_wallet_that_keeps_changing_past_the_deadline_is_busy_and_nothing_is_charged(
    services: Composition, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    clock = FakeClock()
    raced = RacedRepository(services, lambda: services.coins.grant(funded, 1, note="meanwhile"), races=1000)
    coins = CoinService(raced, services.transactions, sleep=clock.sleep, clock=clock, budget_seconds=1.0)

    with pytest.raises(Busy) as busy:
        coins.charge(funded, 100, LedgerReason.GENERATE, image_id="IMG1")

    assert busy.value.retry_after >= 1
    assert 1000 - raced.races_left > 3  # it did retry, with backoff, until the deadline
    assert clock.now <= 1.0
    assert services.coins.balance(funded) == 300 + (1000 - raced.races_left)
    assert ledger_sum(funded) == services.coins.balance(funded)
    assert raced.get_entry(funded, "charge#IMG1") is None


def test_a_wallet_from_before_sequences_moves_and_starts_counting(
    services: Composition, ledger_sum: Callable[[str], int]
) -> None:
    table = services.settings.coins.table
    services.aws.dynamodb.put_item(
        TableName=table, Item=to_item({"userId": USER, "sk": "BALANCE", "balance": 300, "updatedAt": "x"})
    )
    services.aws.dynamodb.put_item(
        TableName=table,
        Item=to_item(
            {
                "userId": USER,
                "sk": "TXN#welcome",
                "id": new_id(),
                "amount": 300,
                "balance": 300,
                "reason": "welcome",
                "createdAt": "2026-01-01T00:00:00.000Z",
            }
        ),
    )

    first = services.coins.charge(USER, 100, LedgerReason.GENERATE, image_id="IMG1")
    second = services.coins.charge(USER, 100, LedgerReason.GENERATE, image_id="IMG2")

    assert (first.seq, first.balance, second.seq, second.balance) == (1, 200, 2, 100)
    assert ledger_sum(USER) == 100
    assert_chain(services, USER)


def test_many_movements_read_newest_first_as_a_chain(services: Composition, funded: str) -> None:
    for index in range(12):
        services.coins.charge(funded, 10, LedgerReason.GENERATE, image_id=f"IMG{index}")
        services.coins.refund(funded, 5 * (index % 2), image_id=f"IMG{index}")

    entries = assert_chain(services, funded)
    assert [entry.seq for entry in entries] == list(range(len(entries), 0, -1))


def assert_chain(services: Composition, user_id: str) -> list[LedgerEntry]:
    """The whole ledger, newest first, checked to be a chain of balances, sequence and times."""
    entries, _ = services.coins.entries(user_id, 100, None)
    for newer, older in itertools.pairwise(entries):
        assert newer.balance - newer.amount == older.balance, (newer, older)
        assert newer.created_at >= older.created_at
        assert newer.seq in (older.seq + 1, 0) or older.seq == 0
    return entries


def test_balances_of_many_users_at_once(
    services: Composition, open_account: Callable[[str, int], None]
) -> None:
    users = [f"U{index:03}" for index in range(130)]  # more than one BatchGetItem holds
    for index, user_id in enumerate(users):
        open_account(user_id, index)

    balances = services.coins.balances([*users, "NO-ACCOUNT"])

    assert balances == {**{user_id: index for index, user_id in enumerate(users)}, "NO-ACCOUNT": 0}


def test_a_function_near_its_timeout_moves_no_coin_and_says_busy(
    services: Composition, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    """A charge it could not follow up (queue the image, answer) before being killed is not begun."""
    coins = CoinService(
        CoinRepository(services.aws.dynamodb, services.settings.coins.table),
        services.transactions,
        seconds_left=lambda: 2.5,
    )

    with pytest.raises(Busy):
        coins.charge(funded, 100, LedgerReason.GENERATE, image_id="IMG1")

    assert services.coins.balance(funded) == 300 == ledger_sum(funded)
    with_time = CoinService(
        CoinRepository(services.aws.dynamodb, services.settings.coins.table),
        services.transactions,
        seconds_left=lambda: 9.0,
    )
    assert with_time.charge(funded, 100, LedgerReason.GENERATE, image_id="IMG1").balance == 200
