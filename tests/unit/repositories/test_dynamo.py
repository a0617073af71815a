"""Items read back as the plain values that were written, whatever DynamoDB's JSON carries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from imagegen.models.images import ImageStatus
from imagegen.repositories.dynamo import from_item, to_item, to_values

VALUES = {
    "text": "Crème brûlée",
    "count": 42,
    "big": 2**62,
    "negative": -7,
    "ratio": Decimal("0.5"),  # boto3 writes no floats
    "flag": True,
    "nothing": None,
    "nested": {"width": 640, "tags": ["a", {"deep": 1}], "empty": {}},
    "names": {"x", "y"},
    "numbers": {1, 2},
}


def test_what_is_written_is_read_back() -> None:
    written = {key: value for key, value in VALUES.items() if value is not None}
    read = from_item(to_item(VALUES))
    assert read == {**written, "ratio": 0.5}
    assert type(read["ratio"]) is float


@pytest.mark.parametrize(
    ("number", "plain"),
    [
        ("3", 3),
        ("3.0", 3),
        ("-0", 0),
        ("1E2", 100),
        ("0.25", 0.25),
        ("12345678901234567890", 12345678901234567890),
    ],
)
def test_numbers_are_ints_when_integral(number: str, plain: int | float) -> None:
    read = from_item({"n": {"N": number}})["n"]
    assert read == plain
    assert type(read) is type(plain)
    assert Decimal(number) == TypeDeserializer().deserialize({"N": number})  # the same number boto3 reads


def test_null_is_none_and_binaries_are_refused() -> None:
    assert from_item({"n": {"NULL": True}}) == {"n": None}
    with pytest.raises(TypeError, match="DynamoDB type B"):
        from_item({"b": {"B": b"\x00"}})


def _sets_sorted(typed: Any) -> Any:
    """DynamoDB's JSON with the members of every set in order (a set has none)."""
    if isinstance(typed, dict):
        return {
            key: sorted(member) if key in ("SS", "NS") else _sets_sorted(member)
            for key, member in typed.items()
        }
    if isinstance(typed, list):
        return [_sets_sorted(member) for member in typed]
    return typed


def test_items_are_typed_as_boto3_types_them() -> None:
    values = {**VALUES, "status": ImageStatus.COMPLETED, "tuple": (1, "a"), "decimal": Decimal("2.50")}
    boto3_typed = {key: TypeSerializer().serialize(value) for key, value in values.items()}

    assert _sets_sorted(to_values(values)) == _sets_sorted(boto3_typed)
    assert "nothing" not in to_item(values)  # an item leaves None out; expression values keep it


def test_floats_and_unknown_types_are_refused_as_boto3_refuses_them() -> None:
    with pytest.raises(TypeError, match="Float types are not supported"):
        to_item({"ratio": 0.5})
    with pytest.raises(TypeError, match="no DynamoDB type"):
        to_item({"when": object()})
