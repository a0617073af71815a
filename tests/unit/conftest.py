"""Helpers for unit tests of the layer against moto in-process."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from imagegen import aws
from imagegen.container import Services
from imagegen.models.auth import Caller, GoogleIdentity
from imagegen.repositories.coins import CoinRepository
from imagegen.repositories.dynamo import transact_write


@pytest.fixture
def open_account(services: Services) -> Callable[[str, int], None]:
    """Open a coin account for ``user_id`` holding ``coins`` (its first ledger entry)."""

    def open_(user_id: str, coins: int) -> None:
        transact_write(aws.dynamodb(), services.coins.opening_items(user_id, coins))

    return open_


@pytest.fixture
def ledger_sum(services: Services) -> Callable[[str], int]:
    """The sum of every ledger entry of a user, walking all pages."""

    def total(user_id: str) -> int:
        repository = CoinRepository(aws.dynamodb(), services.settings.coins_table)
        amount, start = 0, None
        while True:
            entries, start = repository.list_entries(user_id, limit=7, start_key=start)
            amount += sum(entry.amount for entry in entries)
            if start is None:
                return amount

    return total


@pytest.fixture
def caller(services: Services) -> Caller:
    """A signed-up user holding the welcome coins, as an authenticated caller."""
    user = services.users.sign_in(
        GoogleIdentity(subject="4242", email="ada@example.com", first_name="Ada", last_name="Lovelace")
    )
    return Caller(user=user, session_id="S1", balance=services.coins.balance(user.id))
