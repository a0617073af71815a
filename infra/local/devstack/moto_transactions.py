"""moto's TransactWriteItems, rolled back item by item instead of table by table.

To undo a cancelled transaction, moto deep-copies every table the transaction touches, all of
its items, before writing: each transaction costs time in proportion to the tables' size (20 ms
and growing on a wallet after a few hundred images, most of a generate request's time under a
burst). Here moto is handed the live tables (its copy is skipped) and only the items the
transaction names are kept aside and put back if it is cancelled, which is all DynamoDB
promises: all of the transaction's writes, or none. The moto server serializes requests, so
nothing else writes in between.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb import models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

_Saved = tuple[Table, DynamoType, DynamoType | None, Item | None]


class _TablesNotCopied:
    """Stands in for the ``copy`` module inside moto's DynamoDB models: tables are not copied."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def install() -> None:
    """Make moto's TransactWriteItems roll back item by item (once per process)."""
    transact = DynamoDBBackend.transact_write_items
    if getattr(transact, "item_level_rollback", False):
        return

    @functools.wraps(transact)
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = [_save(self, operation) for operation in transact_items]
        with _moto_copies_no_tables():
            try:
                transact(self, transact_items)
            except BaseException:
                for entry in reversed(saved):
                    if entry is not None:
                        _restore(*entry)
                raise

    transact_write_items.item_level_rollback = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


@contextmanager
def _moto_copies_no_tables() -> Iterator[None]:
    models.copy = _TablesNotCopied  # type: ignore[attr-defined,assignment]
    try:
        yield
    finally:
        models.copy = copy  # type: ignore[attr-defined]


def _save(backend: DynamoDBBackend, operation: dict[str, Any]) -> _Saved | None:
    """The item an operation of a transaction names, as it is before the transaction."""
    _, request = next(iter(operation.items()))
    table = backend.tables.get(request.get("TableName"))
    if table is None:
        return None  # moto refuses the transaction, having written nothing
    key = request.get("Key") or request.get("Item") or {}
    if table.hash_key_attr not in key or (table.range_key_attr and table.range_key_attr not in key):
        return None  # malformed: refused before any write
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    before = table.get_item(hash_value, range_value)
    return table, hash_value, range_value, copy.deepcopy(before)


def _restore(
    table: Table, hash_value: DynamoType, range_value: DynamoType | None, before: Item | None
) -> None:
    """Put an item back as it was (or remove it, if it was not there)."""
    items: dict[Any, Any] = table.items  # hash -> item, or hash -> range -> item
    if range_value is None:
        if before is None:
            items.pop(hash_value, None)
        else:
            items[hash_value] = before
    elif before is None:
        items.get(hash_value, {}).pop(range_value, None)
    else:
        items.setdefault(hash_value, {})[range_value] = before
