"""Everything an authenticated request needs about its caller, in one round trip.

The access token names the session and the user, so the session, the profile and the
balance are read together with one consistent ``BatchGetItem`` across the three tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from imagegen.models.sessions import Session
from imagegen.models.users import User
from imagegen.repositories.coins import BALANCE_KEY
from imagegen.repositories.dynamo import from_item, to_item
from imagegen.repositories.users import user_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_MAX_ROUNDS = 5


@dataclass(frozen=True, slots=True)
class CallerRecord:
    session: Session | None
    user: User | None
    balance: int


class CallerRepository:
    def __init__(
        self, client: DynamoDBClient, sessions_table: str, users_table: str, coins_table: str
    ) -> None:
        self._client = client
        self._sessions = sessions_table
        self._users = users_table
        self._coins = coins_table

    def load(self, session_id: str, user_id: str) -> CallerRecord:
        """The session, the user and their balance (0 without a coin account), read consistently."""
        requests: dict[str, Any] = {
            self._sessions: {"Keys": [to_item({"sessionId": session_id})], "ConsistentRead": True},
            self._users: {"Keys": [to_item({"pk": user_key(user_id)})], "ConsistentRead": True},
            self._coins: {"Keys": [to_item({"userId": user_id, "sk": BALANCE_KEY})], "ConsistentRead": True},
        }
        found: dict[str, dict[str, Any]] = {}
        for _ in range(_MAX_ROUNDS):
            response = self._client.batch_get_item(RequestItems=requests)
            for table, items in response.get("Responses", {}).items():
                for item in items:
                    found[table] = from_item(item)
            requests = dict(response.get("UnprocessedKeys") or {})
            if not requests:
                break
        else:
            raise RuntimeError("DynamoDB left keys unprocessed after retries")
        session, user, balance = found.get(self._sessions), found.get(self._users), found.get(self._coins)
        return CallerRecord(
            session=Session.model_validate(session) if session else None,
            user=User.model_validate(user) if user else None,
            balance=int(balance["balance"]) if balance else 0,
        )
