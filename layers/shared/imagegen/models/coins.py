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
    """One movement: ``amount`` is signed, ``balance`` is the balance right after it, ``seq`` its
    place in the wallet's ledger (1 for the welcome entry; 0 for entries from before sequences)."""

    id: str
    user_id: str
    amount: int
    balance: int
    reason: LedgerReason
    image_id: str | None = None
    note: str | None = None
    seq: int = 0
    created_at: str

    def to_json(self) -> dict[str, object]:
        return self.model_dump(
            mode="json",
            by_alias=True,
            include={"id", "amount", "balance", "reason", "image_id", "note", "created_at"},
        )


class Account(CamelModel):
    """A wallet as last written: its balance and the last entry of its ledger.

    Every movement is written on the condition that ``seq`` is still what was read, so the
    ledger is a chain: each entry follows exactly the one before it, in id and time order too.
    """

    balance: int
    seq: int = 0  # 0: a wallet from before sequences, whose next movement starts counting
    last_entry_id: str | None = None
    updated_at: str | None = None


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
