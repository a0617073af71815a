"""The users table: profiles under ``USER#<id>``, and uniqueness items for Google subjects and emails."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imagegen.models.users import Role, User, UserStatus
from imagegen.repositories.dynamo import (
    from_item,
    newest_first_page,
    query_page,
    set_changes,
    to_item,
    to_values,
    update_if,
)
from imagegen.repositories.exports import export_state_key
from imagegen.services.accounts import NewUser
from imagegen.services.unit_of_work import Write

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

PURCHASES_FROZEN = "purchases frozen"  # the write's name, as a cancelled transaction reports it
USERS_BY_CREATION = "UsersByCreation"
USERS_BY_EMAIL = "UsersByEmail"
# A sparse index: only users whose deletion is under way carry its key (``deletionQueue``), so the
# sweeper finds them by one query, whatever the number of users.
USERS_BEING_DELETED = "UsersBeingDeleted"
DELETION_MARK = "DELETING"  # ``deletionQueue``'s one value
ACCOUNT_DELETION = "account deletion"  # the write's name, as a cancelled transaction reports it
_USER_ENTITY = "USER"
_NOT_DELETING = "(attribute_not_exists(#state) OR #state <> :deleting)"  # ``#state`` names ``status``


def user_key(user_id: str) -> str:
    """The partition key of a user's profile item."""
    return f"USER#{user_id}"


def _google_key(subject: str) -> str:
    return f"GOOGLE#{subject}"


def _email_key(email: str) -> str:
    return f"EMAIL#{email.lower()}"


def _welcomed_key(mark: str) -> str:
    return f"WELCOMED#{mark}"


class UserRepository:
    """Profiles and the Google-subject and email uniqueness items in the users table (``Users``)."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def get(self, user_id: str) -> User | None:
        """The user with this id, read consistently, or None."""
        response = self._client.get_item(
            TableName=self._table, Key=to_item({"pk": user_key(user_id)}), ConsistentRead=True
        )
        item = response.get("Item")
        return _user(item) if item else None

    def find_id_by_google_subject(self, subject: str) -> str | None:
        """The id of the user signed in with this Google subject, or None."""
        response = self._client.get_item(
            TableName=self._table, Key=to_item({"pk": _google_key(subject)}), ConsistentRead=True
        )
        item = response.get("Item")
        return str(from_item(item)["userId"]) if item else None

    def creation(self, user: User) -> NewUser:
        """The writes that create ``user`` and claim its Google subject and email.

        Each put is conditional, so two first sign-ins racing for the same subject or
        email cannot both succeed.
        """
        claim = {"userId": user.id, "createdAt": user.created_at}
        return NewUser(
            profile=self._put_new(
                "user profile",
                {"pk": user_key(user.id), "entity": _USER_ENTITY, **user.model_dump(by_alias=True)},
            ),
            subject_claim=self._put_new(
                "Google subject claim", {"pk": _google_key(user.google_sub), **claim}
            ),
            email_claim=self._put_new("email claim", {"pk": _email_key(user.email), **claim}),
        )

    def _put_new(self, name: str, values: dict[str, Any]) -> Write:
        return Write(
            name,
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(values),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    def update(self, user_id: str, changes: dict[str, Any], updated_at: str) -> User | None:
        """Set the given camelCase attributes on an existing user; None if there is no such user (or
        its deletion is under way: it is as good as gone)."""
        expression, names, values = set_changes(changes, updated_at)
        updated = update_if(
            self._client,
            TableName=self._table,
            Key=to_item({"pk": user_key(user_id)}),
            UpdateExpression=expression,
            ConditionExpression=f"attribute_exists(pk) AND {_NOT_DELETING}",
            ExpressionAttributeNames={**names, "#state": "status"},
            ExpressionAttributeValues=to_values({**values, ":deleting": UserStatus.DELETING.value}),
            ReturnValues="ALL_NEW",
        )
        return User.model_validate(updated) if updated is not None else None

    def add_role(self, user_id: str, role: Role, roles: list[Role], updated_at: str) -> User | None:
        """Give the user ``role`` if their roles are still ``roles``; None if they changed meanwhile."""
        updated = update_if(
            self._client,
            TableName=self._table,
            Key=to_item({"pk": user_key(user_id)}),
            UpdateExpression="SET #roles = :new, updatedAt = :updatedAt",
            ConditionExpression="#roles = :old",
            ExpressionAttributeNames={"#roles": "roles"},
            ExpressionAttributeValues=to_values(
                {":new": [*roles, role], ":old": list(roles), ":updatedAt": updated_at}
            ),
            ReturnValues="ALL_NEW",
        )
        return User.model_validate(updated) if updated is not None else None

    def purchases_frozen_write(self, user_id: str, dispute_id: str, frozen: bool, updated_at: str) -> Write:
        """The write that freezes the user's purchases for a dispute (or lifts that dispute's freeze),
        beside the movement of its coins."""
        operation = "ADD" if frozen else "DELETE"
        return Write(
            PURCHASES_FROZEN,
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_item({"pk": user_key(user_id)}),
                    "UpdateExpression": f"SET updatedAt = :at {operation} purchasesFrozenBy :dispute",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": to_values({":at": updated_at, ":dispute": {dispute_id}}),
                }
            },
        )

    def was_welcomed(self, mark: str) -> bool:
        """Whether the Google account of this mark (a keyed hash of its subject) had its welcome coins
        in an account since deleted."""
        item = self._client.get_item(
            TableName=self._table, Key=to_item({"pk": _welcomed_key(mark)}), ConsistentRead=True
        ).get("Item")
        return item is not None

    def deletion_writes(self, user: User, requested_at: str, welcome_mark: str) -> list[Write]:
        """The writes that start the user's deletion: the user ``DELETING`` with its sessions ended as of
        ``requested_at`` (refused if it is gone or its deletion started already), and the record that
        its Google account had its welcome coins (the mark alone: no id, no email)."""
        return [
            Write(
                ACCOUNT_DELETION,
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item({"pk": user_key(user.id)}),
                        "UpdateExpression": (
                            "SET #state = :deleting, sessionsValidFrom = :at, deletionRequestedAt = :at,"
                            " deletionQueue = :mark, updatedAt = :at"
                        ),
                        "ConditionExpression": f"attribute_exists(pk) AND {_NOT_DELETING}",
                        "ExpressionAttributeNames": {"#state": "status"},
                        "ExpressionAttributeValues": to_values(
                            {
                                ":deleting": UserStatus.DELETING.value,
                                ":at": requested_at,
                                ":mark": DELETION_MARK,
                            }
                        ),
                    }
                },
            ),
            Write(
                "welcome record",
                {"Put": {"TableName": self._table, "Item": to_item({"pk": _welcomed_key(welcome_mark)})}},
            ),
        ]

    def being_deleted_since(self, before: str) -> list[str]:
        """The ids of the users whose deletion was asked for before ``before`` and is still under way
        (a query of the sparse index, which holds those users alone)."""
        ids: list[str] = []
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": USERS_BEING_DELETED,
            "KeyConditionExpression": "deletionQueue = :mark AND deletionRequestedAt < :before",
            "ExpressionAttributeValues": to_values({":mark": DELETION_MARK, ":before": before}),
        }
        while True:
            response = self._client.query(**query)
            ids.extend(str(from_item(item)["pk"]).removeprefix("USER#") for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return ids
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def remove_export_record(self, user_id: str) -> None:
        """Delete the user's export record, if any."""
        self._client.delete_item(TableName=self._table, Key=to_item({"pk": export_state_key(user_id)}))

    def removal_writes(self, user: User) -> list[Write]:
        """The last writes of a deletion: the Google-subject and email claims and the user record,
        together (the record only while its deletion is under way), so that the account can be signed
        up to again only once nothing of it is left to remove."""
        claims = [
            Write(
                name,
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": to_item({"pk": key}),
                        # Only the user's own claim: another account may hold the email by now.
                        "ConditionExpression": "attribute_not_exists(pk) OR userId = :user",
                        "ExpressionAttributeValues": to_values({":user": user.id}),
                    }
                },
            )
            for name, key in (
                ("Google subject claim", _google_key(user.google_sub)),
                ("email claim", _email_key(user.email)),
            )
        ]
        record = Write(
            "user record",
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": to_item({"pk": user_key(user.id)}),
                    "ConditionExpression": "#state = :deleting",
                    "ExpressionAttributeNames": {"#state": "status"},
                    "ExpressionAttributeValues": to_values({":deleting": UserStatus.DELETING.value}),
                }
            },
        )
        return [*claims, record]

    def list_page(
        self, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[User], dict[str, Any] | None]:
        """One page of users, newest first, and the key to continue from (None at the end)."""
        items, last = newest_first_page(
            self._client,
            start_key,
            limit,
            TableName=self._table,
            IndexName=USERS_BY_CREATION,
            KeyConditionExpression="entity = :entity",
            ExpressionAttributeValues=to_values({":entity": _USER_ENTITY}),
        )
        return [User.model_validate(item) for item in items], last

    def search_page(
        self, email_prefix: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[User], dict[str, Any] | None]:
        """One page of the users whose (lower-case) email starts with ``email_prefix``, in email
        order, and the key to continue from: read from an index, however many users there are."""
        items, last = query_page(
            self._client,
            start_key,
            limit,
            descending=False,
            TableName=self._table,
            IndexName=USERS_BY_EMAIL,
            KeyConditionExpression="entity = :entity AND begins_with(email, :prefix)",
            ExpressionAttributeValues=to_values({":entity": _USER_ENTITY, ":prefix": email_prefix}),
        )
        return [User.model_validate(item) for item in items], last


def _user(item: dict[str, Any]) -> User:
    return User.model_validate(from_item(item))
