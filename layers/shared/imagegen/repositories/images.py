"""The images table: ``userId`` + ``imageId`` (a ULID, so a user's images sort by time).

Every image carries ``threadId`` (its own id when it starts a thread, its source's thread when
it is an edit), which the ``ImagesByThread`` index keys with ``imageId``: a thread reads
oldest first from one query.

While an image is unfinished it carries ``unfinished`` = its status, which puts it in the
sparse ``UnfinishedImages`` index the sweeper reads; finishing removes the attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from imagegen.models.images import (
    Failure,
    Image,
    ImageMetadata,
    ImageStatus,
    ImageType,
    RecentPrompt,
    search_text,
)
from imagegen.repositories.dynamo import (
    batch_get,
    from_item,
    set_changes,
    to_item,
    to_values,
    update_if,
)
from imagegen.services.image_records import EVERY_IMAGE, ImageQuery
from imagegen.services.unit_of_work import Write, nth

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

UNFINISHED_IMAGES = "UnfinishedImages"
# Images read by one query of a user's prompts: most callers find their recent prompts in the first.
PROMPTS_PAGE = 100
IMAGES_BY_THREAD = "ImagesByThread"
# A tombstoned image is on its way out: no pipeline write may touch it.
_NOT_DELETING = "attribute_not_exists(deleting)"


class ImageRepository:
    """Image records, each step of their lifecycle a conditional write."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def _key(self, user_id: str, image_id: str) -> dict[str, Any]:
        return to_item({"userId": user_id, "imageId": image_id})

    def create_write(self, image: Image, index: int = 0) -> Write:
        """The write of a new image (never over an existing one), the ``index``-th of a transaction."""
        values = {
            **image.model_dump(by_alias=True, exclude_none=True),
            "unfinished": image.status.value,
            "searchText": search_text(image.title, image.prompt),
        }
        return Write(
            nth("new image", index),
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(values),
                    "ConditionExpression": "attribute_not_exists(imageId)",
                }
            },
        )

    def get(self, user_id: str, image_id: str) -> Image | None:
        """The image, read consistently; None if there is none or it is being deleted."""
        response = self._client.get_item(
            TableName=self._table, Key=self._key(user_id, image_id), ConsistentRead=True
        )
        item = response.get("Item")
        return Image.model_validate(from_item(item)) if item and "deleting" not in item else None

    def update_details(self, user_id: str, image_id: str, changes: dict[str, Any], at: str) -> Image | None:
        """Set the given camelCase attributes (title, description); None if there is no such image."""
        expression, names, values = set_changes(changes, at)
        updated = update_if(
            self._client,
            TableName=self._table,
            Key=self._key(user_id, image_id),
            UpdateExpression=expression,
            ConditionExpression=f"attribute_exists(imageId) AND {_NOT_DELETING}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_values(values),
            ReturnValues="ALL_NEW",
        )
        return Image.model_validate(updated) if updated is not None else None

    def mark_deleting(self, user_id: str, image_id: str, at: str) -> Image | None:
        """Tombstone the image: from now on it reads as gone and every pipeline write to it is refused.

        Idempotent (a retried delete finds its own tombstone); None if there is no such image.
        """
        marked = update_if(
            self._client,
            TableName=self._table,
            Key=self._key(user_id, image_id),
            UpdateExpression="SET deleting = :at",
            ConditionExpression="attribute_exists(imageId)",
            ExpressionAttributeValues=to_values({":at": at}),
            ReturnValues="ALL_NEW",
        )
        return Image.model_validate(marked) if marked is not None else None

    def delete_write(self, user_id: str, image_id: str) -> Write:
        """The write removing the record for good (refused if it is already gone)."""
        return Write(
            "image removal",
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": self._key(user_id, image_id),
                    "ConditionExpression": "attribute_exists(imageId)",
                }
            },
        )

    def completed_check(self, user_id: str, image_id: str) -> Write:
        """A check that the image is still COMPLETED and not being deleted (refused otherwise)."""
        return Write(
            "shared image",
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": self._key(user_id, image_id),
                    "ConditionExpression": f"#status = :completed AND {_NOT_DELETING}",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": to_values({":completed": ImageStatus.COMPLETED.value}),
                }
            },
        )

    def list_page(
        self, user_id: str, limit: int, start_key: dict[str, Any] | None, which: ImageQuery = EVERY_IMAGE
    ) -> tuple[list[Image], dict[str, Any] | None]:
        """One full page of a user's images, newest first, and where to continue (None at the end).

        A query on the user's partition (their ids are ULIDs, so newest first is descending
        order): it reads that user's images and no one else's. The filters (type, status, starred,
        words of the title or prompt) are applied by DynamoDB after reading, so the query goes on
        until the page is full: a search reads at most the user's whole gallery. The position
        returned is that of the last image returned.
        """
        filters, names = [_NOT_DELETING], {}
        values: dict[str, object] = {":user": user_id}
        if which.image_type is not None:
            filters.append("#type = :type")
            names["#type"], values[":type"] = "type", which.image_type.value
        if which.status is not None:
            filters.append("#status = :status")
            names["#status"], values[":status"] = "status", which.status.value
        if which.favorite is not None:
            # An image never starred has no attribute: it is not a favourite.
            filters.append("favorite = :favorite" if which.favorite else "NOT favorite = :favorite")
            values[":favorite"] = True
        if which.text is not None:
            # searchText is the title and prompt in lower case; an image written before it had one
            # is matched in its own case.
            filters.append("(contains(searchText, :text) OR contains(title, :raw) OR contains(prompt, :raw))")
            values[":text"], values[":raw"] = which.text.casefold(), which.text
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "userId = :user",
            "FilterExpression": " AND ".join(filters),
            "ExpressionAttributeValues": to_values(values),
            "ScanIndexForward": False,
            **({"ExpressionAttributeNames": names} if names else {}),
        }
        return self._full_page(
            query, limit, start_key, lambda image: {"userId": user_id, "imageId": image.image_id}
        )

    def thread_page(
        self, user_id: str, thread_id: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[Image], dict[str, Any] | None]:
        """One full page of the user's images of an edit thread, oldest first, and where to continue.

        A query on the ``ImagesByThread`` index (thread ids are unique; the filter on the owner
        only makes sure of it).
        """
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": IMAGES_BY_THREAD,
            "KeyConditionExpression": "threadId = :thread",
            "FilterExpression": f"userId = :user AND {_NOT_DELETING}",
            "ExpressionAttributeValues": to_values({":thread": thread_id, ":user": user_id}),
            "ScanIndexForward": True,
        }
        return self._full_page(
            query,
            limit,
            start_key,
            lambda image: {"threadId": thread_id, "userId": user_id, "imageId": image.image_id},
        )

    def generation_prompts(self, user_id: str, most_read: int) -> Iterator[RecentPrompt]:
        """The prompts of the user's images generated from a prompt, newest first, among the user's
        ``most_read`` newest images; read page by page as it is iterated.

        A query on the user's partition, newest first, the edits, uploads and images being deleted
        filtered out by DynamoDB after reading: its ``Limit`` counts the images read, so ``most_read``
        bounds the cost whatever the gallery holds. Read consistently: a client asking right after a
        generation finds its prompt.
        """
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "userId = :user",
            "FilterExpression": (
                f"#type = :generated AND attribute_exists(#prompt) AND attribute_not_exists(parentImageId)"
                f" AND {_NOT_DELETING}"
            ),
            "ProjectionExpression": "imageId, #prompt, createdAt",
            "ExpressionAttributeNames": {"#type": "type", "#prompt": "prompt"},
            "ExpressionAttributeValues": to_values(
                {":user": user_id, ":generated": ImageType.GENERATED.value}
            ),
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        left = most_read
        while left > 0:
            response = self._client.query(**query, Limit=min(left, PROMPTS_PAGE))
            for item in map(from_item, response.get("Items", [])):
                yield RecentPrompt(
                    prompt=str(item["prompt"]), image_id=str(item["imageId"]), used_at=str(item["createdAt"])
                )
            left -= response["ScannedCount"]
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _full_page(
        self,
        query: dict[str, Any],
        limit: int,
        start_key: dict[str, Any] | None,
        position_of: Callable[[Image], dict[str, Any]],
    ) -> tuple[list[Image], dict[str, Any] | None]:
        """Query until ``limit`` images passed the filter or none are left; the position returned is that
        of the last image returned (``position_of``), None at the end."""
        query = {**query, "Limit": limit}
        page: list[Image] = []
        position = start_key
        while True:
            if position:
                query["ExclusiveStartKey"] = to_item(position)
            response = self._client.query(**query)
            items = response.get("Items", [])
            for index, item in enumerate(items):
                page.append(Image.model_validate(from_item(item)))
                if len(page) == limit:
                    more = index < len(items) - 1 or "LastEvaluatedKey" in response
                    return page, (position_of(page[-1]) if more else None)
            last = response.get("LastEvaluatedKey")
            if not last:
                return page, None
            position = from_item(last)

    def get_many(self, user_id: str, image_ids: Sequence[str]) -> dict[str, Image]:
        """The user's images among ``image_ids`` (at most 100), read consistently in one round trip;
        ids that are not theirs, do not exist or are being deleted are absent."""
        keys = [self._key(user_id, image_id) for image_id in dict.fromkeys(image_ids)]
        found = batch_get(self._client, {self._table: keys})[self._table]
        images = (Image.model_validate(item) for item in found if "deleting" not in item)
        return {image.image_id: image for image in images}

    def complete(
        self, user_id: str, image_id: str, metadata: ImageMetadata, at: str, expected: ImageStatus
    ) -> bool:
        """``expected`` -> COMPLETED with the measured metadata; False if the image is not in ``expected``."""
        return self._update(
            user_id,
            image_id,
            "SET #status = :completed, metadata = :metadata, updatedAt = :at REMOVE unfinished",
            "#status = :expected",
            {
                ":completed": ImageStatus.COMPLETED.value,
                ":metadata": metadata.model_dump(by_alias=True),
                ":at": at,
                ":expected": expected.value,
            },
        )

    def fail_write(
        self, user_id: str, image_id: str, failure: Failure, at: str, expected: ImageStatus
    ) -> Write:
        """The write moving ``expected`` -> FAILED with ``failure``'s message and code (refused in any other
        state)."""
        return Write(
            "image failure",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._key(user_id, image_id),
                    "UpdateExpression": (
                        "SET #status = :failed, #error = :error, errorCode = :code, updatedAt = :at"
                        " REMOVE unfinished"
                    ),
                    "ConditionExpression": f"#status = :expected AND {_NOT_DELETING}",
                    "ExpressionAttributeNames": {"#status": "status", "#error": "error"},
                    "ExpressionAttributeValues": to_values(
                        {
                            ":failed": ImageStatus.FAILED.value,
                            ":error": failure.message,
                            ":code": failure.code.value,
                            ":at": at,
                            ":expected": expected.value,
                        }
                    ),
                }
            },
        )

    def move(self, user_id: str, image_id: str, expected: ImageStatus, status: ImageStatus, at: str) -> bool:
        """``expected`` -> ``status`` between unfinished states; False if the image is not in ``expected``."""
        return self._update(
            user_id,
            image_id,
            "SET #status = :status, unfinished = :status, updatedAt = :at",
            "#status = :expected",
            {":status": status.value, ":expected": expected.value, ":at": at},
        )

    def set_object_key(self, user_id: str, image_id: str, key: str, turn_key: str, at: str) -> bool:
        """Name the object a PROCESSING image's bytes will be stored at, and the model's turn kept for it;
        False if it is not PROCESSING."""
        return self._update(
            user_id,
            image_id,
            "SET objectKey = :key, turnKey = :turn, updatedAt = :at",
            "#status = :processing",
            {":key": key, ":turn": turn_key, ":at": at, ":processing": ImageStatus.PROCESSING.value},
        )

    def start_thread_write(self, user_id: str, image_id: str) -> Write:
        """The write making an image from before threads the first of its own thread (refused if
        the image is gone or being deleted; on an image in a thread, it changes nothing)."""
        return Write(
            "edit source",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._key(user_id, image_id),
                    "UpdateExpression": "SET threadId = if_not_exists(threadId, :id)",
                    "ConditionExpression": f"attribute_exists(imageId) AND {_NOT_DELETING}",
                    "ExpressionAttributeValues": to_values({":id": image_id}),
                }
            },
        )

    def set_thumbnail(self, user_id: str, image_id: str, thumbnail_key: str, at: str) -> bool:
        """Record the thumbnail of an image that exists and has not failed; False otherwise."""
        return self._update(
            user_id,
            image_id,
            "SET thumbnailKey = :key, updatedAt = :at",
            "attribute_exists(imageId) AND #status <> :failed",
            {":key": thumbnail_key, ":at": at, ":failed": ImageStatus.FAILED.value},
        )

    def unfinished_before(self, status: ImageStatus, created_before: str) -> Iterator[tuple[str, str]]:
        """``(userId, imageId)`` of each image still in ``status`` created before then, oldest first."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": UNFINISHED_IMAGES,
            "KeyConditionExpression": "unfinished = :status AND createdAt < :before",
            "ExpressionAttributeValues": to_values({":status": status.value, ":before": created_before}),
        }
        while True:
            response = self._client.query(**kwargs)
            for item in map(from_item, response.get("Items", [])):
                yield str(item["userId"]), str(item["imageId"])
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def ids_of(self, user_id: str) -> Iterator[str]:
        """The id of every image of the user, tombstoned ones too (a query of their partition, keys
        only: an account's deletion)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "userId = :user",
            "ProjectionExpression": "imageId",
            "ExpressionAttributeValues": to_values({":user": user_id}),
        }
        while True:
            response = self._client.query(**kwargs)
            for item in map(from_item, response.get("Items", [])):
                yield str(item["imageId"])
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _update(
        self, user_id: str, image_id: str, update: str, condition: str, values: dict[str, Any]
    ) -> bool:
        """A conditional update (every caller's condition names ``#status``); False when refused."""
        updated = update_if(
            self._client,
            TableName=self._table,
            Key=self._key(user_id, image_id),
            UpdateExpression=update,
            ConditionExpression=f"({condition}) AND {_NOT_DELETING}",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_values(values),
        )
        return updated is not None
