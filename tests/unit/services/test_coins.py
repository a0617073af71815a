from __future__ import annotations

from collections.abc import Callable

import pytest

from imagegen import aws
from imagegen.container import Services
from imagegen.errors import InsufficientCoins, NotFound
from imagegen.models.coins import LedgerReason
from imagegen.repositories.dynamo import TransactionCancelled, to_item

USER = "01USER"


@pytest.fixture
def funded(open_account: Callable[[str, int], None]) -> str:
    open_account(USER, 300)
    return USER


def test_opening_an_account_records_the_welcome_entry(
    services: Services, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    assert services.coins.balance(funded) == 300
    assert ledger_sum(funded) == 300


def test_charge_takes_the_amount_and_records_the_balance_after(
    services: Services, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    entry = services.coins.charge(funded, 100, LedgerReason.GENERATE, image_id="IMG1")

    assert (entry.amount, entry.balance, entry.reason, entry.image_id) == (-100, 200, "generate", "IMG1")
    assert services.coins.balance(funded) == 200
    assert ledger_sum(funded) == 200


def test_a_charge_short_of_coins_changes_nothing(
    services: Services, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    with pytest.raises(InsufficientCoins) as refused:
        services.coins.charge(funded, 301, LedgerReason.GENERATE, image_id="IMG1")

    assert (refused.value.balance, refused.value.required) == (300, 301)
    assert services.coins.balance(funded) == 300
    assert ledger_sum(funded) == 300


def test_a_charge_can_take_the_balance_to_exactly_zero(services: Services, funded: str) -> None:
    services.coins.charge(funded, 300, LedgerReason.UPLOAD, image_id="IMG1")
    assert services.coins.balance(funded) == 0


def test_the_same_charge_twice_is_taken_once(
    services: Services, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    first = services.coins.charge(funded, 100, LedgerReason.GENERATE, image_id="IMG1")
    again = services.coins.charge(funded, 100, LedgerReason.GENERATE, image_id="IMG1")

    assert again.id == first.id
    assert services.coins.balance(funded) == 200
    assert ledger_sum(funded) == 200


def test_a_repeated_charge_is_recognised_even_once_the_balance_is_short(
    services: Services, funded: str
) -> None:
    first = services.coins.charge(funded, 300, LedgerReason.GENERATE, image_id="IMG1")
    assert services.coins.charge(funded, 300, LedgerReason.GENERATE, image_id="IMG1").id == first.id


def test_a_refund_is_given_at_most_once(
    services: Services, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    services.coins.charge(funded, 100, LedgerReason.GENERATE, image_id="IMG1")
    first = services.coins.refund(funded, 100, image_id="IMG1")
    again = services.coins.refund(funded, 100, image_id="IMG1")

    assert again.id == first.id
    assert (first.amount, first.balance, first.reason) == (100, 300, "refund")
    assert services.coins.balance(funded) == 300
    assert ledger_sum(funded) == 300


def test_a_grant_can_take_coins_but_never_below_zero(
    services: Services, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    services.coins.grant(funded, -250, note="correction")
    with pytest.raises(InsufficientCoins):
        services.coins.grant(funded, -51, note="too much")

    assert services.coins.balance(funded) == 50
    assert ledger_sum(funded) == 50


def test_grants_with_the_same_id_happen_once(services: Services, funded: str) -> None:
    services.coins.grant(funded, 40, note="gift", grant_id="G1")
    services.coins.grant(funded, 40, note="gift", grant_id="G1")
    assert services.coins.balance(funded) == 340


def test_moving_coins_of_a_user_without_an_account_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound):
        services.coins.charge("NOBODY", 1, LedgerReason.GENERATE, image_id="IMG1")


def test_a_refused_item_of_the_caller_cancels_the_charge_and_is_reported_in_their_numbering(
    services: Services, funded: str, ledger_sum: Callable[[str], int]
) -> None:
    table = services.settings.images_table
    existing = {"userId": funded, "imageId": "IMG1"}
    aws.dynamodb().put_item(TableName=table, Item=to_item(existing))
    image_put = {
        "Put": {
            "TableName": table,
            "Item": to_item(existing),
            "ConditionExpression": "attribute_not_exists(imageId)",
        }
    }

    with pytest.raises(TransactionCancelled) as cancelled:
        services.coins.charge(funded, 100, LedgerReason.UPLOAD, image_id="IMG1", with_items=[image_put])

    assert cancelled.value.failed(0)
    assert services.coins.balance(funded) == 300
    assert ledger_sum(funded) == 300


def test_a_balance_changed_between_read_and_write_is_read_again(
    services: Services, funded: str, ledger_sum: Callable[[str], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another request moves the balance after this charge read it: the write is refused and retried."""
    repository = services.coins._repository
    read = repository.get_balance
    raced = []

    def read_then_race(user_id: str) -> int | None:
        balance = read(user_id)
        if not raced:
            raced.append(True)
            services.coins.grant(user_id, 7, note="meanwhile")
        return balance

    monkeypatch.setattr(repository, "get_balance", read_then_race)

    entry = services.coins.charge(funded, 100, LedgerReason.GENERATE, image_id="IMG1")

    assert entry.balance == 207
    assert services.coins.balance(funded) == 207
    assert ledger_sum(funded) == 207


def test_balances_of_many_users_at_once(services: Services, open_account: Callable[[str, int], None]) -> None:
    users = [f"U{index:03}" for index in range(130)]  # more than one BatchGetItem holds
    for index, user_id in enumerate(users):
        open_account(user_id, index)

    balances = services.coins.balances([*users, "NO-ACCOUNT"])

    assert balances == {**{user_id: index for index, user_id in enumerate(users)}, "NO-ACCOUNT": 0}
