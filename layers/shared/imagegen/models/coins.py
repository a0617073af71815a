"""The coin ledger: every movement of a balance is one entry."""

from enum import StrEnum

from pydantic import ConfigDict, Field, field_validator

from imagegen.models.base import CamelModel, RequestModel


class LedgerReason(StrEnum):
    WELCOME = "welcome"
    GENERATE = "generate"
    UPLOAD = "upload"
    REFUND = "refund"  # an image's coins back (it failed, or its upload was cancelled)
    GRANT = "grant"
    PURCHASE = "purchase"  # a pack paid for
    PURCHASE_REFUND = "purchase_refund"  # its payment refunded (in part or in full): coins taken back
    DISPUTE = "dispute"  # its payment disputed by the card holder: coins taken back
    DISPUTE_WON = "dispute_won"  # the dispute closed in the service's favour: coins given back


class LedgerEntry(CamelModel):
    """One movement: ``amount`` is signed, ``balance`` is the balance right after it, ``seq`` its
    place in the wallet's ledger (1 for the welcome entry; 0 for entries from before sequences)."""

    id: str
    user_id: str
    amount: int
    balance: int
    reason: LedgerReason
    image_id: str | None = None
    order_id: str | None = None
    note: str | None = None
    seq: int = 0
    created_at: str

    def view(self) -> "Transaction":
        """The entry as the API shows it."""
        return Transaction(
            id=self.id,
            amount=self.amount,
            balance=self.balance,
            reason=self.reason,
            image_id=self.image_id,
            order_id=self.order_id,
            note=self.note,
            created_at=self.created_at,
        )


class Transaction(CamelModel):
    """A ledger entry as the API shows it: ``amount`` is signed, ``balance`` is the balance right after it."""

    id: str
    amount: int
    balance: int
    reason: LedgerReason
    image_id: str | None
    order_id: str | None
    note: str | None
    created_at: str


class TransactionPage(CamelModel):
    """A page of the caller's coin history, newest first, and the cursor of the next page."""

    transactions: list[Transaction]
    next_cursor: str | None


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

    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": 500, "reason": "Welcome back"}]})

    amount: int = Field(ge=-1_000_000, le=1_000_000)
    reason: str = Field(min_length=1, max_length=200)

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, amount: int) -> int:
        if amount == 0:
            raise ValueError("a grant moves at least one coin")
        return amount
