"""Users' exports in the users table: one item per user, ``EXPORT#<userId>``, the latest export
(deleting an account removes it with the user's other items)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from imagegen.models.exports import Export, ExportStatus
from imagegen.repositories.dynamo import from_item, is_condition_failure, to_item, to_values, update_if

if TYPE_CHECKING:
    from collections.abc import Collection

    from mypy_boto3_dynamodb import DynamoDBClient


def export_state_key(user_id: str) -> str:
    """The partition key of a user's export state."""
    return f"EXPORT#{user_id}"


class ExportRepository:
    """The latest export of each user (``ExportRecords``)."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def get(self, user_id: str) -> Export | None:
        """The user's latest export, read consistently, or None."""
        item = self._client.get_item(
            TableName=self._table, Key=to_item({"pk": export_state_key(user_id)}), ConsistentRead=True
        ).get("Item")
        return Export.model_validate(from_item(item)) if item else None

    def replace_if_free(self, export: Export, started_before: str) -> bool:
        """Write ``export`` as the user's latest unless the one there is in its way: not ``FAILED`` and
        started after ``started_before``. False if it was (two starts at once: one wins)."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item({"pk": export_state_key(export.user_id), **export.model_dump(by_alias=True)}),
                ConditionExpression="attribute_not_exists(pk) OR #status = :failed OR createdAt <= :before",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_values(
                    {":failed": ExportStatus.FAILED.value, ":before": started_before}
                ),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def move(
        self,
        export: Export,
        expected: Collection[ExportStatus],
        status: ExportStatus,
        at: str,
        **changes: Any,
    ) -> Export | None:
        """Move the user's export ``export.id`` from one of ``expected`` to ``status``, setting the
        camelCase ``changes`` too; None if it is another export now, or in another status."""
        return self._update(export, expected, {"status": status.value, **changes}, at)

    def save_progress(self, export: Export, done: int, total: int, at: str) -> Export | None:
        """Record how far a ``RUNNING`` export is; None if it is no longer that export running."""
        return self._update(export, [ExportStatus.RUNNING], {"progress": {"done": done, "total": total}}, at)

    def _update(
        self, export: Export, expected: Collection[ExportStatus], changes: dict[str, Any], at: str
    ) -> Export | None:
        names = {f"#f{index}": name for index, name in enumerate(changes)}
        values: dict[str, Any] = {f":v{index}": value for index, value in enumerate(changes.values())}
        states = {f":s{index}": state.value for index, state in enumerate(expected)}
        assignments = ", ".join(f"{name} = {value}" for name, value in zip(names, values, strict=True))
        updated = update_if(
            self._client,
            TableName=self._table,
            Key=to_item({"pk": export_state_key(export.user_id)}),
            UpdateExpression=f"SET {assignments}, updatedAt = :at",
            ConditionExpression=f"id = :id AND #status IN ({', '.join(states)})",
            ExpressionAttributeNames={**names, "#status": "status"},
            ExpressionAttributeValues=to_values({**values, **states, ":id": export.id, ":at": at}),
            ReturnValues="ALL_NEW",
        )
        return Export.model_validate(updated) if updated is not None else None
