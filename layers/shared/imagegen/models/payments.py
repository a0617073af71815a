"""Buying coins: the packs on sale, and the orders that buy them through Stripe Checkout.

The packs are configuration, not code: the template's ``CoinPacks`` parameter (JSON), validated
whenever it is loaded and refused loudly when wrong (``CoinPacksInvalid``), like the model catalog.
An order is one purchase of one pack by one user, from the checkout that opens it to the payment
that credits its coins (exactly once, in the transaction of its ledger entry) and what may follow
(refunds, disputes).
"""

from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from imagegen.models.base import CamelModel, ConfiguredList, RequestModel

PackId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
# ISO 4217, lower case as Stripe writes it.
Currency = Annotated[str, StringConstraints(pattern=r"^[a-z]{3}$")]


class CoinPacksInvalid(ValueError):
    """The packs configured are not ones the service can sell; the message says what is wrong."""


class Price(CamelModel):
    """An amount of money: ``amount`` in the currency's minor unit (cents), as Stripe counts it."""

    model_config = ConfigDict(extra="forbid")

    amount: int = Field(ge=50, le=99_999_999)  # Stripe's least charge is 50 cents; its most, 8 digits
    currency: Currency


class CoinPack(CamelModel):
    """One pack on sale."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key in ops' JSON is an error, not ignored

    id: PackId
    name: str = Field(min_length=1, max_length=80)
    coins: int = Field(ge=1, le=10_000_000)
    price: Price


class CoinPacks(ConfiguredList):
    """Every pack on sale, in the order the shop shows them."""

    model_config = ConfigDict(extra="forbid")
    invalid = CoinPacksInvalid
    described = "The coin packs are"

    packs: list[CoinPack] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _distinct(self) -> "CoinPacks":
        ids = [pack.id for pack in self.packs]
        if len(set(ids)) != len(ids):
            raise ValueError("two packs have the same id")
        return self

    def get(self, pack_id: str) -> CoinPack | None:
        return next((pack for pack in self.packs if pack.id == pack_id), None)


class OrderStatus(StrEnum):
    CREATED = "CREATED"  # a checkout is open (or could not be opened: see FAILED)
    PAID = "PAID"  # its coins were credited
    FAILED = "FAILED"  # the checkout could not be opened, or the payment failed
    EXPIRED = "EXPIRED"  # the checkout ended unpaid
    REFUNDED = "REFUNDED"  # paid, then refunded in full (its coins taken back)
    DISPUTED = "DISPUTED"  # paid, then disputed by the card holder (its coins taken back)


class Order(CamelModel):
    """One purchase of one pack, as stored."""

    order_id: str
    user_id: str
    pack_id: str
    coins: int
    price: Price
    status: OrderStatus
    stripe_session_id: str | None = None
    payment_intent_id: str | None = None
    checkout_url: str | None = None
    amount_refunded: int = 0  # of the price, in minor units
    # Of the price, what refunds and disputes still standing took the coins back for.
    amount_taken_back: int = 0
    flagged: str | None = None  # why the service would not credit a payment it received
    created_at: str
    updated_at: str

    def view(self) -> "OrderView":
        """The order as the API shows it."""
        return OrderView(
            id=self.order_id,
            user_id=self.user_id,
            pack_id=self.pack_id,
            coins=self.coins,
            price=self.price,
            status=self.status,
            stripe_session_id=self.stripe_session_id,
            payment_intent_id=self.payment_intent_id,
            amount_refunded=self.amount_refunded,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


class OrderView(CamelModel):
    """An order as the API shows it."""

    id: str
    user_id: str
    pack_id: str
    coins: int
    price: Price
    status: OrderStatus
    stripe_session_id: str | None
    payment_intent_id: str | None
    amount_refunded: int
    created_at: str
    updated_at: str


class CheckoutRequest(RequestModel):
    """``POST /coins/checkout``: the pack to buy."""

    pack_id: PackId
