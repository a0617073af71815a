"""Items read back as the plain values that were written, whatever DynamoDB's JSON carries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from boto3.dynamodb.types import TypeDeserializer

from imagegen.repositories.dynamo import from_item, to_item

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
