"""A unit of work commits its named writes together, and turns a refusal into what it means."""

from __future__ import annotations

import pytest

from imagegen.errors import NotFound
from imagegen.services.unit_of_work import Contended, Refused, UnitOfWork, Write
from tests.fakes import InMemoryTransactions


class PlaceTaken(Refused):
    pass


def write(name: str) -> Write:
    return Write(name, {"Put": {"TableName": "t", "Item": {}}})


@pytest.fixture
def transactions() -> InMemoryTransactions:
    return InMemoryTransactions()


def test_every_staged_write_is_committed_at_once_in_order(transactions: InMemoryTransactions) -> None:
    unit = (
        UnitOfWork(transactions).with_write(write("image"), NotFound).with_write(write("place"), PlaceTaken)
    )

    unit.commit()

    assert transactions.committed == [["image", "place"]]


def test_a_refused_write_raises_what_it_means_and_nothing_is_committed(
    transactions: InMemoryTransactions,
) -> None:
    unit = (
        UnitOfWork(transactions)
        .with_write(write("source"), lambda: NotFound("No such image."))
        .with_write(write("place"), PlaceTaken)
    )
    transactions.refuse("source")

    with pytest.raises(NotFound, match="No such image"):
        unit.commit()
    assert transactions.committed == []


def test_the_first_refused_write_in_staged_order_decides(transactions: InMemoryTransactions) -> None:
    unit = (
        UnitOfWork(transactions).with_write(write("place"), PlaceTaken).with_write(write("source"), NotFound)
    )
    transactions.refuse("source", "place")

    with pytest.raises(PlaceTaken):
        unit.commit()


def test_another_transaction_in_the_way_is_contended(transactions: InMemoryTransactions) -> None:
    unit = UnitOfWork(transactions).with_write(write("balance"), PlaceTaken)
    transactions.contend()

    with pytest.raises(Contended):
        unit.commit()
    unit.commit()  # tried again, it goes through
    assert transactions.committed == [["balance"]]


def test_a_unit_is_a_value_each_attempt_adds_its_own_writes(transactions: InMemoryTransactions) -> None:
    staged = UnitOfWork(transactions).with_write(write("image"), NotFound)
    first = staged.with_write(write("place-1"), PlaceTaken)
    second = staged.with_write(write("place-2"), PlaceTaken)
    transactions.refuse("place-1")

    with pytest.raises(PlaceTaken):
        first.commit()
    second.commit()
    staged.commit()  # what the attempts added is not in it

    assert transactions.committed == [["image", "place-2"], ["image"]]


def test_two_writes_of_one_name_are_refused_before_anything_is_sent(
    transactions: InMemoryTransactions,
) -> None:
    unit = UnitOfWork(transactions).with_write(write("image"), NotFound).with_write(write("image"), NotFound)

    with pytest.raises(ValueError, match="distinct names"):
        unit.commit()
