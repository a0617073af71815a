"""Low-level DynamoDB plumbing shared by the repositories: (de)serialising and transactions.

Items are written and read by their type tags here rather than by boto3's TypeSerializer and
TypeDeserializer: those go through ``decimal`` for every number (five times slower on a page of
images), and importing them imports boto3, which a function that calls no AWS service (the
health check) has no use for. Tests hold both directions to boto3's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from imagegen.services.unit_of_work import TransactionCancelled, Write

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

CONDITION_FAILED = "ConditionalCheckFailed"
TRANSACTION_CONFLICT = "TransactionConflict"


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item from plain values; ``None`` values are left out."""
    return {key: _attribute(value) for key, value in values.items() if value is not None}


def to_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Expression attribute values from plain values (``None`` kept, as NULL)."""
    return {key: _attribute(value) for key, value in values.items()}


def _attribute(value: Any) -> dict[str, Any]:
    """One value as DynamoDB's JSON types it, as boto3's TypeSerializer would."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, Mapping):
        return {"M": {key: _attribute(member) for key, member in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [_attribute(member) for member in value]}
    if isinstance(value, set | frozenset) and value:
        if all(isinstance(member, str) for member in value):
            return {"SS": list(value)}
        if all(isinstance(member, int | Decimal) and not isinstance(member, bool) for member in value):
            return {"NS": [str(member) for member in value]}
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    raise TypeError(f"no DynamoDB type for {type(value).__name__} {value!r}")


def _number(text: str) -> int | float:
    """A DynamoDB number as Python has it: an int when integral ("3", "3.0"), else a float."""
    try:
        return int(text)
    except ValueError:
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else float(number)


def _plain(value: Mapping[str, Any]) -> Any:
    """One attribute value, read straight from its type tag: boto3's TypeDeserializer goes through
    Decimal for every number and costs about five times as much on a page of images."""
    ((tag, inner),) = value.items()
    if tag == "S" or tag == "BOOL":
        return inner
    if tag == "N":
        return _number(inner)
    if tag == "M":
        return {key: _plain(member) for key, member in inner.items()}
    if tag == "L":
        return [_plain(member) for member in inner]
    if tag == "NULL":
        return None
    if tag == "SS":
        return set(inner)
    if tag == "NS":
        return {_number(member) for member in inner}
    raise TypeError(f"no plain value for DynamoDB type {tag}")  # B and BS: we store no binaries


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """Plain Python values (ints, not Decimals) from a DynamoDB item."""
    return {key: _plain(value) for key, value in item.items()}


class Transactions:
    """All-or-nothing writes across items and tables, in one DynamoDB transaction (the
    ``services.unit_of_work.Transactions`` a unit of work commits through)."""

    def __init__(self, client: DynamoDBClient) -> None:
        self._client = client

    def write(self, writes: Sequence[Write]) -> None:
        """Write all of ``writes`` or none; ``TransactionCancelled`` names the refused ones."""
        names = [write.name for write in writes]
        if len(set(names)) != len(names):
            raise ValueError(f"a transaction's writes need distinct names: {names}")
        try:
            items = [cast("TransactWriteItemTypeDef", write.item) for write in writes]
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]
            raise TransactionCancelled(
                (name for name, reason in zip(names, reasons, strict=False) if reason == CONDITION_FAILED),
                conflicted=TRANSACTION_CONFLICT in reasons,
            ) from error


def is_condition_failure(error: ClientError) -> bool:
    """Whether a single-item write was refused by its condition."""
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def newest_first_page(
    client: DynamoDBClient,
    start_key: Mapping[str, Any] | None,
    limit: int,
    **query: Any,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of a query in descending sort-key order (see ``query_page``)."""
    return query_page(client, start_key, limit, descending=True, **query)


def query_page(
    client: DynamoDBClient,
    start_key: Mapping[str, Any] | None,
    limit: int,
    *,
    descending: bool,
    **query: Any,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of a query in sort-key order, as plain values, and where to continue.

    ``start_key`` and the returned position are plain values (what the cursor codec signs).
    """
    kwargs: dict[str, Any] = {**query, "ScanIndexForward": not descending, "Limit": limit}
    if start_key:
        kwargs["ExclusiveStartKey"] = to_item(start_key)
    response = client.query(**kwargs)
    last = response.get("LastEvaluatedKey")
    return [from_item(item) for item in response.get("Items", [])], (from_item(last) if last else None)


def batch_get(
    client: DynamoDBClient, keys_by_table: Mapping[str, Sequence[dict[str, Any]]], max_rounds: int = 5
) -> dict[str, list[dict[str, Any]]]:
    """The items at the given keys (100 at most in all), per table, read consistently in one round
    trip (more only for keys DynamoDB leaves unprocessed)."""
    found: dict[str, list[dict[str, Any]]] = {table: [] for table in keys_by_table}
    pending: dict[str, Any] = {
        table: {"Keys": list(keys), "ConsistentRead": True} for table, keys in keys_by_table.items() if keys
    }
    for _ in range(max_rounds):
        if not pending:
            return found
        response = client.batch_get_item(RequestItems=pending)
        for table, items in response.get("Responses", {}).items():
            found[table].extend(from_item(item) for item in items)
        pending = dict(response.get("UnprocessedKeys") or {})
    raise RuntimeError("DynamoDB left keys unprocessed after retries")


def set_changes(changes: Mapping[str, Any], updated_at: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``SET`` expression, attribute names and plain values that write ``changes`` and ``updatedAt``."""
    names = {f"#f{index}": name for index, name in enumerate(changes)}
    values = {f":v{index}": value for index, value in enumerate(changes.values())}
    assignments = [f"{name} = {value}" for name, value in zip(names, values, strict=True)]
    return (
        "SET " + ", ".join([*assignments, "updatedAt = :updatedAt"]),
        names,
        {**values, ":updatedAt": updated_at},
    )


def update_if(client: DynamoDBClient, **update: Any) -> dict[str, Any] | None:
    """An ``UpdateItem`` its condition may refuse: None if refused, else the returned attributes as
    plain values (empty unless ``ReturnValues`` asks for them)."""
    try:
        response = client.update_item(**update)
    except ClientError as error:
        if is_condition_failure(error):
            return None
        raise
    return from_item(response.get("Attributes", {}))
