"""The idempotency table as an account's deletion sees it: Powertools' records of the answers given to
``Idempotency-Key`` requests, each under a hash of the user's id and their key.

A record's key cannot be derived from the user alone (the key the client chose is hashed with it), so
the user's records are found by what they hold: every stored answer names its user's id. That takes a
scan, done by the deletion job alone, never in a request: the table holds at most a day of records
(they expire by TTL after 24 hours), so the scan is small. A record still ``INPROGRESS`` holds no answer
and no id (only hashes), and expires within the day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imagegen.repositories.dynamo import to_values

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Powertools' DynamoDBPersistenceLayer's attribute names (its defaults, which the service keeps).
_KEY, _DATA = "id", "data"


class IdempotencyRecords:
    """The records of one table of Powertools' layout."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def remove_of(self, user_id: str) -> int:
        """Delete every record whose stored answer names ``user_id``; how many were deleted."""
        scan: dict[str, Any] = {
            "TableName": self._table,
            "ProjectionExpression": "#key",
            "FilterExpression": "contains(#data, :user)",
            "ExpressionAttributeNames": {"#key": _KEY, "#data": _DATA},
            "ExpressionAttributeValues": to_values({":user": f'"{user_id}"'}),
        }
        removed = 0
        while True:
            response = self._client.scan(**scan)
            for item in response.get("Items", []):
                self._client.delete_item(TableName=self._table, Key={_KEY: item[_KEY]})
                removed += 1
            if "LastEvaluatedKey" not in response:
                return removed
            scan["ExclusiveStartKey"] = response["LastEvaluatedKey"]
