"""Sign-in sessions: one per sign-in, carrying the current refresh token's hash."""

from imagegen.models.base import CamelModel


class Session(CamelModel):
    session_id: str
    user_id: str
    refresh_hash: str
    created_at: str
    rotated_at: str
    expires_at: int  # epoch seconds; also the table's TTL attribute
    revoked_at: str | None = None
    # The refresh token the current one replaced, and when (epoch seconds, the new pair's issue time):
    # presented again shortly after, by a second tab or a retry, it gets the same new pair.
    previous_refresh_hash: str | None = None
    rotated_epoch: int | None = None
