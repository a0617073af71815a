"""The coins table: per user a ``BALANCE`` counter and its ledger of ``TXN#<operation>`` entries.

An entry's sort key names the operation it records (``TXN#charge#<imageId>``,
``TXN#refund#<imageId>``, ``TXN#welcome``, ``TXN#grant#<id>``), so writing it with
``attribute_not_exists`` makes each operation happen at most once. The ``LedgerByTime``
local index orders the entries by their ULID ``id`` for the history; each id is made after the
wallet's last (``lastEntryId``), so that order is the order the movements happened in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from imagegen.models.coins import Account, LedgerEntry
from imagegen.repositories.dynamo import batch_get, from_item, newest_first_page, to_item, to_values
from imagegen.services.unit_of_work import Write, nth
from imagegen.services.wallets import Movement

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LEDGER_BY_TIME = "LedgerByTime"
BALANCE_KEY = "BALANCE"
_BATCH_GET_LIMIT = 100
# The names of the writes on this table, as a cancelled transaction reports them.
BALANCE, LEDGER_ENTRY, ACCOUNT_STATS = "wallet balance", "ledger entry", "account stats"


def entry_key(operation: str) -> str:
    """The sort key of the ledger entry recording ``operation``."""
    return f"TXN#{operation}"


class CoinRepository:
    """The ``Wallets`` of DynamoDB. Balances and ledger entries in the coins table."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def get_balance(self, user_id: str) -> int | None:
        """The current balance, read consistently; None if the user has no coin account."""
        account = self.get_account(user_id)
        return account.balance if account else None

    def get_account(self, user_id: str) -> Account | None:
        """The wallet as last written, read consistently; None if the user has none."""
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"userId": user_id, "sk": BALANCE_KEY}),
            ConsistentRead=True,
            ProjectionExpression="balance, seq, lastEntryId, updatedAt",
        )
        item = response.get("Item")
        return Account.model_validate(from_item(item)) if item else None

    def get_balances(self, user_ids: Sequence[str]) -> dict[str, int]:
        """The balances of many users (consistent reads, batched); users without one are left out."""
        balances: dict[str, int] = {}
        for start in range(0, len(user_ids), _BATCH_GET_LIMIT):
            keys = [
                to_item({"userId": user_id, "sk": BALANCE_KEY})
                for user_id in user_ids[start : start + _BATCH_GET_LIMIT]
            ]
            for item in batch_get(self._client, {self._table: keys})[self._table]:
                balances[str(item["userId"])] = int(item["balance"])
        return balances

    def get_entry(self, user_id: str, operation: str) -> LedgerEntry | None:
        """The entry recording ``operation``, if it happened."""
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"userId": user_id, "sk": entry_key(operation)}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return LedgerEntry.model_validate(from_item(item)) if item else None

    def open_account(self, entry: LedgerEntry, operation: str) -> list[Write]:
        """Writes that create the wallet at ``entry.balance`` together with its first entry."""
        account = {
            "userId": entry.user_id,
            "sk": BALANCE_KEY,
            "balance": entry.balance,
            "seq": entry.seq,
            "lastEntryId": entry.id,
            "updatedAt": entry.created_at,
        }
        return [self._new_wallet(account), self._new_entry(entry, operation)]

    def open_empty(self, user_id: str, at: str) -> list[Write]:
        """The write that creates an empty wallet, with no entry: its ledger starts with its first
        movement."""
        return [
            self._new_wallet({"userId": user_id, "sk": BALANCE_KEY, "balance": 0, "seq": 0, "updatedAt": at})
        ]

    def _new_wallet(self, account: dict[str, Any]) -> Write:
        return Write(
            BALANCE,
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(account),
                    "ConditionExpression": "attribute_not_exists(sk)",
                }
            },
        )

    def movement(
        self,
        account: Account,
        entries: Sequence[tuple[LedgerEntry, str]],
        counters: Mapping[str, int] | None = None,
    ) -> Movement:
        """Writes that record ``entries`` (each with its operation) and move the wallet from
        ``account`` (as read) to the last of them, adding ``counters`` (the account's stats) in the
        same write.

        The balance write is refused if the wallet changed since ``account`` was read; an
        entry's (``ledger entry``, ``ledger entry 2``...) if its operation was already recorded.
        """
        entry = entries[-1][0]
        update = "SET balance = :new, seq = :seq, lastEntryId = :id, updatedAt = :at"
        values: dict[str, Any] = {
            ":new": entry.balance,
            ":seq": entry.seq,
            ":id": entry.id,
            ":at": entry.created_at,
        }
        if account.seq:
            condition = "seq = :read"
            values[":read"] = account.seq
        else:  # a wallet from before sequences: its balance is what it has to go by
            condition = "attribute_not_exists(seq) AND balance = :read"
            values[":read"] = account.balance
        if counters:
            additions, added = _additions(counters)
            update += f" {additions}"
            values.update(added)
        balance = Write(
            BALANCE,
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_item({"userId": entry.user_id, "sk": BALANCE_KEY}),
                    "UpdateExpression": update,
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": to_values(values),
                }
            },
        )
        recorded = tuple(
            self._new_entry(each, operation, nth(LEDGER_ENTRY, index))
            for index, (each, operation) in enumerate(entries)
        )
        return Movement(balance=balance, entries=recorded)

    def add_counters(self, user_id: str, counters: Mapping[str, int]) -> Write:
        """A write adding ``counters`` to the account's stats (no coins move)."""
        additions, added = _additions(counters)
        return Write(
            ACCOUNT_STATS,
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_item({"userId": user_id, "sk": BALANCE_KEY}),
                    "UpdateExpression": additions,
                    "ConditionExpression": "attribute_exists(sk)",
                    "ExpressionAttributeValues": to_values(added),
                }
            },
        )

    def _new_entry(self, entry: LedgerEntry, operation: str, name: str = LEDGER_ENTRY) -> Write:
        return Write(
            name,
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item({"sk": entry_key(operation), **entry.model_dump(by_alias=True)}),
                    "ConditionExpression": "attribute_not_exists(sk)",
                }
            },
        )

    def list_entries(
        self, user_id: str, limit: int, start_key: dict[str, Any] | None = None
    ) -> tuple[list[LedgerEntry], dict[str, Any] | None]:
        """One page of the user's ledger, newest first, and the key to continue from."""
        items, last = newest_first_page(
            self._client,
            start_key,
            limit,
            TableName=self._table,
            IndexName=LEDGER_BY_TIME,
            KeyConditionExpression="userId = :user",
            ExpressionAttributeValues=to_values({":user": user_id}),
        )
        return [LedgerEntry.model_validate(item) for item in items], last

    def remove_all_but(self, user_id: str, kept: Iterable[str]) -> None:
        """Delete the user's balance and every ledger entry whose ``reason`` is not one of ``kept`` (a
        query of the user's partition: an account's deletion)."""
        keep = set(kept)
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "userId = :user",
            "ProjectionExpression": "userId, sk, reason",
            "ExpressionAttributeValues": to_values({":user": user_id}),
        }
        while True:
            response = self._client.query(**query)
            for item in response.get("Items", []):
                values = from_item(item)
                if values.get("reason") not in keep:
                    self._client.delete_item(
                        TableName=self._table, Key=to_item({"userId": user_id, "sk": values["sk"]})
                    )
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _additions(counters: Mapping[str, int]) -> tuple[str, dict[str, int]]:
    """The ``ADD`` clause and its values that add ``counters`` to the wallet's stats."""
    clause = "ADD " + ", ".join(f"{name} :c{index}" for index, name in enumerate(counters))
    return clause, {f":c{index}": amount for index, amount in enumerate(counters.values())}
