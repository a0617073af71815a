"""Everything an authenticated request needs about its caller, in one round trip.

The access token names the session and the user, so the session, the profile and the
balance are read together with one consistent ``BatchGetItem`` across the three tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagegen.models.sessions import Session
from imagegen.models.users import AccountStats, User
from imagegen.repositories.coins import BALANCE_KEY
from imagegen.repositories.dynamo import batch_get, to_item
from imagegen.repositories.users import user_key
from imagegen.services.accounts import CallerRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class CallerRepository:
    """The caller's session, profile and balance in one consistent read (``Callers``)."""

    def __init__(
        self, client: DynamoDBClient, sessions_table: str, users_table: str, coins_table: str
    ) -> None:
        self._client = client
        self._sessions = sessions_table
        self._users = users_table
        self._coins = coins_table

    def load(self, session_id: str, user_id: str) -> CallerRecord:
        """The session, the user and their balance (0 without a coin account), read consistently."""
        found = batch_get(
            self._client,
            {
                self._sessions: [to_item({"sessionId": session_id})],
                self._users: [to_item({"pk": user_key(user_id)})],
                self._coins: [to_item({"userId": user_id, "sk": BALANCE_KEY})],
            },
        )
        session, user, balance = (
            next(iter(found[table]), None) for table in (self._sessions, self._users, self._coins)
        )
        return CallerRecord(
            session=Session.model_validate(session) if session else None,
            user=User.model_validate(user) if user else None,
            balance=int(balance["balance"]) if balance else 0,
            stats=AccountStats.model_validate(balance or {}),
        )
