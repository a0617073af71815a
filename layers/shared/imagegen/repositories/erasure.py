"""An account's records in the tables besides the users table, as its deletion removes them: each
table's own repository does the work, by key or by a query of the user's partition or index (the
idempotency records alone by a scan: see ``repositories.idempotency``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from imagegen.repositories.coins import CoinRepository
    from imagegen.repositories.idempotency import IdempotencyRecords
    from imagegen.repositories.images import ImageRepository
    from imagegen.repositories.rate_limits import RateLimitRepository
    from imagegen.repositories.sessions import SessionRepository
    from imagegen.repositories.shares import ShareRepository


class UserRecordsRepository:
    """The ``UserRecords`` of DynamoDB."""

    def __init__(
        self,
        images: ImageRepository,
        shares: ShareRepository,
        idempotency: IdempotencyRecords,
        rate_limits: RateLimitRepository,
        sessions: SessionRepository,
        coins: CoinRepository,
    ) -> None:
        self._images = images
        self._shares = shares
        self._idempotency = idempotency
        self._rate_limits = rate_limits
        self._sessions = sessions
        self._coins = coins

    def image_ids(self, user_id: str) -> Iterable[str]:
        """Every image of the user, tombstoned ones too."""
        return self._images.ids_of(user_id)

    def remove_shares(self, user_id: str) -> None:
        """Delete every share link of the user."""
        self._shares.remove_all_of(user_id)

    def remove_idempotency_records(self, user_id: str) -> None:
        """Delete every answer kept for the user's ``Idempotency-Key`` requests."""
        self._idempotency.remove_of(user_id)

    def remove_rate_limit_windows(self, keys: Iterable[str]) -> None:
        """Delete the rate-limit windows under ``keys``."""
        self._rate_limits.remove(*keys)

    def remove_sessions(self, user_id: str) -> None:
        """Delete every session of the user (found by the sessions' index by user)."""
        for session_id in self._sessions.ids_of(user_id):
            self._sessions.delete(session_id)

    def remove_wallet_except(self, user_id: str, kept: Iterable[str]) -> None:
        """Delete the user's balance and every ledger entry whose reason is not in ``kept``."""
        self._coins.remove_all_but(user_id, kept)
