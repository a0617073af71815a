"""The sessions table: one item per sign-in, expiring through the table's TTL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imagegen.models.sessions import Session
from imagegen.repositories.dynamo import from_item, to_item, to_values, update_if

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


SESSIONS_BY_USER = "SessionsByUser"  # the sessions of each user (keys only), for an account's deletion


class SessionRepository:
    """Sign-in sessions in the sessions table (``Sessions``)."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def create(self, session: Session) -> None:
        """Store a new session (never overwriting one)."""
        self._client.put_item(
            TableName=self._table,
            Item=to_item(session.model_dump(by_alias=True)),
            ConditionExpression="attribute_not_exists(sessionId)",
        )

    def get(self, session_id: str) -> Session | None:
        """The session, read consistently, or None."""
        response = self._client.get_item(
            TableName=self._table, Key=to_item({"sessionId": session_id}), ConsistentRead=True
        )
        item = response.get("Item")
        return Session.model_validate(from_item(item)) if item else None

    def rotate(
        self, session_id: str, old_hash: str, new_hash: str, rotated_at: str, expires_at: int, now: int
    ) -> bool:
        """Swap the refresh hash if the session is live and still holds ``old_hash``, which it keeps
        as the previous one, rotated ``now``."""
        swapped = update_if(
            self._client,
            TableName=self._table,
            Key=to_item({"sessionId": session_id}),
            UpdateExpression=(
                "SET refreshHash = :new, previousRefreshHash = :old, rotatedAt = :at, rotatedEpoch = :now,"
                " expiresAt = :exp"
            ),
            ConditionExpression="refreshHash = :old AND attribute_not_exists(revokedAt) AND expiresAt > :now",
            ExpressionAttributeValues=to_values(
                {":new": new_hash, ":old": old_hash, ":at": rotated_at, ":exp": expires_at, ":now": now}
            ),
        )
        return swapped is not None

    def revoke(self, session_id: str, revoked_at: str) -> None:
        """Mark the session revoked (kept until its TTL so reuse is still recognised); none is fine."""
        update_if(
            self._client,
            TableName=self._table,
            Key=to_item({"sessionId": session_id}),
            UpdateExpression="SET revokedAt = if_not_exists(revokedAt, :at)",
            ConditionExpression="attribute_exists(sessionId)",
            ExpressionAttributeValues=to_values({":at": revoked_at}),
        )

    def ids_of(self, user_id: str) -> list[str]:
        """The ids of every session the user has (live or not), from the index of sessions by user."""
        ids: list[str] = []
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": SESSIONS_BY_USER,
            "KeyConditionExpression": "userId = :user",
            "ExpressionAttributeValues": to_values({":user": user_id}),
        }
        while True:
            response = self._client.query(**query)
            ids.extend(str(from_item(item)["sessionId"]) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return ids
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def delete(self, session_id: str) -> None:
        """Remove the session for good (an account's deletion); none is fine."""
        self._client.delete_item(TableName=self._table, Key=to_item({"sessionId": session_id}))
