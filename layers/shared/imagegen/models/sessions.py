"""Sign-in sessions: one per sign-in, carrying the current refresh token's hash."""

from __future__ import annotations

from imagegen.models.base import CamelModel


class Session(CamelModel):
    session_id: str
    user_id: str
    refresh_hash: str
    created_at: str
    rotated_at: str
    expires_at: int  # epoch seconds; also the table's TTL attribute
    revoked_at: str | None = None
