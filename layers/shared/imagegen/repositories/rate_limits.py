"""The rate-limits table: one counter per user, action and window, expiring through the table's TTL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagegen.repositories.dynamo import Write, to_item, to_values

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

RATE_LIMIT = "rate limit"


class RateLimitRepository:
    """Counters of what users started, per window, in the rate-limits table."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def count_write(self, counter: str, limit: int, expires_at: int) -> Write:
        """A write adding one to ``counter``, refused (its condition fails) once it holds ``limit``."""
        return Write(
            RATE_LIMIT,
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_item({"pk": counter}),
                    "UpdateExpression": "ADD hits :one SET expiresAt = :expiresAt",
                    "ConditionExpression": "attribute_not_exists(hits) OR hits < :limit",
                    "ExpressionAttributeValues": to_values(
                        {":one": 1, ":limit": limit, ":expiresAt": expires_at}
                    ),
                }
            },
        )
