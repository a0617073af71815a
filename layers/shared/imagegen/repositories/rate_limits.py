"""The rate-limits table: per user and action, when their latest requests started, expiring through
the table's TTL once none of them counts any more."""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagegen.repositories.dynamo import from_item, to_item, to_values
from imagegen.services.unit_of_work import Write
from imagegen.services.windows import Starts

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import PutTypeDef

RATE_LIMIT = "rate limit"


class RateLimitRepository:
    """The ``StartWindows`` of DynamoDB: per user and action, the start times of their latest requests,
    in the rate-limits table."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def starts(self, key: str) -> Starts:
        """The start times recorded under ``key``, read consistently."""
        item = self._client.get_item(
            TableName=self._table, Key=to_item({"pk": key}), ConsistentRead=True
        ).get("Item")
        if item is None:
            return Starts((), 0)
        values = from_item(item)
        return Starts(tuple(values.get("starts", [])), int(values.get("version", 0)))

    def record_write(self, key: str, read: Starts, times: tuple[int, ...], expires_at: int) -> Write:
        """A write replacing the start times under ``key`` with ``times``, refused (its condition
        fails) if they changed since ``read``: another request took a place meanwhile."""
        item = to_item(
            {"pk": key, "starts": list(times), "version": read.version + 1, "expiresAt": expires_at}
        )
        put: PutTypeDef = {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        if read.version:
            put["ConditionExpression"] = "version = :read"
            put["ExpressionAttributeValues"] = to_values({":read": read.version})
        return Write(RATE_LIMIT, {"Put": put})

    def remove(self, *keys: str) -> None:
        """Delete the windows under ``keys`` (an account's deletion); missing ones are fine."""
        for key in keys:
            self._client.delete_item(TableName=self._table, Key=to_item({"pk": key}))
