"""The coin ledger: every movement of a balance is one entry."""

from __future__ import annotations

from enum import StrEnum

from imagegen.models.base import CamelModel


class LedgerReason(StrEnum):
    WELCOME = "welcome"
    GENERATE = "generate"
    UPLOAD = "upload"
    REFUND = "refund"
    GRANT = "grant"


class LedgerEntry(CamelModel):
    """One movement: ``amount`` is signed, ``balance`` is the balance right after it."""

    id: str
    user_id: str
    amount: int
    balance: int
    reason: LedgerReason
    image_id: str | None = None
    note: str | None = None
    created_at: str

    def to_json(self) -> dict[str, object]:
        return self.model_dump(
            mode="json",
            by_alias=True,
            include={"id", "amount", "balance", "reason", "image_id", "created_at"},
        )
