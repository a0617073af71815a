"""The coin ledger: every movement of a balance is one entry."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from imagegen.models.base import CamelModel, RequestModel


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
            include={"id", "amount", "balance", "reason", "image_id", "note", "created_at"},
        )


class CoinGrant(RequestModel):
    """``POST /users/{id}/coins``: an admin adds (or, negative, takes) coins, saying why."""

    amount: int = Field(ge=-1_000_000, le=1_000_000)
    reason: str = Field(min_length=1, max_length=200)

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, amount: int) -> int:
        if amount == 0:
            raise ValueError("a grant moves at least one coin")
        return amount
