"""The shares table: each image's share link, and each link's token, as two items kept together.

- ``pk=USER#<userId>``, ``sk=IMAGE#<imageId>``: the owner's link (its nonce, the token's hash, expiry,
  whether the prompt shows, its views). Under the user's partition, so that all of a user's links are
  one query (an account's deletion removes them).
- ``pk=TOKEN#<sha256 of the token>``, ``sk=TOKEN``: the image the token opens. A reader presents the
  token alone, so it must be found by it; the hash, not the token, is the key.

A table of its own rather than items in the images table, whose user partition is read as a gallery
(every item an image) and whose keys are a user's. Expired links leave through the table's TTL
(``purgeAt``); whether a link still works is always decided by ``expiresAt``, never by the TTL,
which deletes within days.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from imagegen.models.shares import Share
from imagegen.repositories.dynamo import from_item, to_item, to_values, update_if
from imagegen.services.share_records import SharedImageKey
from imagegen.services.unit_of_work import Write

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_HASH_ITEM = "TOKEN"


def _share_key(user_id: str, image_id: str) -> dict[str, Any]:
    return to_item({"pk": f"USER#{user_id}", "sk": f"IMAGE#{image_id}"})


def _token_key(token_hash: str) -> dict[str, Any]:
    return to_item({"pk": f"TOKEN#{token_hash}", "sk": _HASH_ITEM})


def _purge_at(share: Share) -> int | None:
    """When DynamoDB may delete the link's items (epoch seconds): when it expires; never, if it does not."""
    if share.expires_at is None:
        return None
    return int(datetime.fromisoformat(share.expires_at).timestamp())


class ShareRepository:
    """The ``ShareRecords`` of DynamoDB, in the shares table."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def get(self, user_id: str, image_id: str) -> Share | None:
        """The image's link, active or expired, read consistently; None if it has none."""
        item = self._client.get_item(
            TableName=self._table, Key=_share_key(user_id, image_id), ConsistentRead=True
        ).get("Item")
        return Share.model_validate(from_item(item)) if item else None

    def find(self, token_hash: str) -> SharedImageKey | None:
        """The image whose link's token has this hash, read consistently; None if none has."""
        item = self._client.get_item(
            TableName=self._table, Key=_token_key(token_hash), ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        values = from_item(item)
        return SharedImageKey(user_id=str(values["userId"]), image_id=str(values["imageId"]))

    def creation_writes(self, share: Share, replacing: Share | None) -> Sequence[Write]:
        """The link's two items; refused (``share``) if the image's link is not ``replacing``'s any
        more (or, with none, if it has one); ``replacing``'s token item is removed with them."""
        purge_at = _purge_at(share)
        record: dict[str, Any] = {
            "TableName": self._table,
            "Item": {
                **_share_key(share.user_id, share.image_id),
                **to_item({**share.model_dump(by_alias=True), "purgeAt": purge_at}),
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        if replacing is not None:
            record["ConditionExpression"] = "tokenHash = :replaced"
            record["ExpressionAttributeValues"] = to_values({":replaced": replacing.token_hash})
        writes = [
            Write("share", {"Put": record}),
            Write(
                "share token",
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **_token_key(share.token_hash),
                            **to_item(
                                {"userId": share.user_id, "imageId": share.image_id, "purgeAt": purge_at}
                            ),
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ),
        ]
        if replacing is not None:
            writes.append(
                Write(
                    "replaced share token",
                    {"Delete": {"TableName": self._table, "Key": _token_key(replacing.token_hash)}},
                )
            )
        return writes

    def removal_writes(self, share: Share) -> Sequence[Write]:
        """The link's two items removed; refused (``share removal``) only if the image has another
        link by now (a link gone already is fine)."""
        return [
            Write(
                "share removal",
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": _share_key(share.user_id, share.image_id),
                        "ConditionExpression": "attribute_not_exists(pk) OR tokenHash = :hash",
                        "ExpressionAttributeValues": to_values({":hash": share.token_hash}),
                    }
                },
            ),
            Write(
                "share token removal",
                {"Delete": {"TableName": self._table, "Key": _token_key(share.token_hash)}},
            ),
        ]

    def count_view(self, share: Share) -> Share | None:
        """``ADD views 1`` on the link, if it is still the image's link; the link as it is now, or None."""
        updated = update_if(
            self._client,
            TableName=self._table,
            Key=_share_key(share.user_id, share.image_id),
            UpdateExpression="ADD #views :one",
            ConditionExpression="tokenHash = :hash",
            ExpressionAttributeNames={"#views": "views"},
            ExpressionAttributeValues=to_values({":one": 1, ":hash": share.token_hash}),
            ReturnValues="ALL_NEW",
        )
        return Share.model_validate(updated) if updated is not None else None

    def remove_all_of(self, user_id: str) -> None:
        """Delete every link of the user, each with its token's item (an account's deletion: its images
        are gone by then, so no link is made meanwhile)."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :owner",
            "ExpressionAttributeValues": to_values({":owner": f"USER#{user_id}"}),
        }
        while True:
            response = self._client.query(**query)
            for item in map(from_item, response.get("Items", [])):
                self._client.delete_item(TableName=self._table, Key=_token_key(str(item["tokenHash"])))
                self._client.delete_item(
                    TableName=self._table, Key=to_item({"pk": item["pk"], "sk": item["sk"]})
                )
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
