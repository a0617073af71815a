"""What the payments need of a payment provider, and the provider's facts they read, in the service's
own terms: a ``PaymentGateway`` (Stripe's is ``stripe_gateway.StripeGateway``) opens checkouts, reads
sessions, payments and refunds back, and verifies webhooks; it raises ``PaymentsUnavailable`` when the
provider cannot be reached or refuses.

Nothing here loads the provider's SDK: the payments' use cases import this, never the adapter.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

# Stripe's own words for the metadata of a payment, written on the session and its payment intent.
ORDER_KEY, USER_KEY = "order_id", "user_id"


class InvalidSignature(Exception):
    """A webhook whose ``Stripe-Signature`` does not check with any of the endpoint's secrets, or is
    older than the tolerance."""


@dataclass(frozen=True, slots=True)
class OpenedCheckout:
    session_id: str
    url: str


@dataclass(frozen=True, slots=True)
class SessionState:
    """A Checkout Session as far as fulfilment cares."""

    session_id: str
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    amount_total: int | None
    currency: str | None
    payment_intent_id: str | None
    order_id: str | None
    user_id: str | None


@dataclass(frozen=True, slots=True)
class RefundState:
    refund_id: str
    amount: int
    status: str  # succeeded | pending | failed | canceled | requires_action


@dataclass(frozen=True, slots=True)
class Checkout:
    """What a Checkout Session is opened for."""

    order_id: str
    user_id: str
    product: str
    amount: int
    currency: str
    success_url: str
    cancel_url: str
    expires_at: int
    # The buyer's language (``User.language``, one of the Languages parameter's codes), for the page
    # to speak; the gateway turns it into the provider's own words for it (Stripe's ``locale``).
    locale: str
    customer_email: str | None = None


class PaymentGateway(Protocol):
    """A payment provider as the payments use it."""

    def open_checkout(self, checkout: Checkout) -> OpenedCheckout:
        """A hosted checkout for one pack; opening the same order again opens the same one."""
        ...

    def session(self, session_id: str) -> SessionState:
        """A checkout as the provider has it now."""
        ...

    def completed_sessions(self, since: int) -> Iterator[SessionState]:
        """The checkouts completed since ``since`` (unix seconds), newest first."""
        ...

    def order_of_payment(self, payment_intent_id: str) -> tuple[str | None, str | None]:
        """The order and user a payment names."""
        ...

    def refunds(self, charge_id: str) -> list[RefundState]:
        """Every refund of a charge, as the provider has them now."""
        ...

    def verify_event(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event a webhook delivers, once its signature checks; ``InvalidSignature`` otherwise."""
        ...


class _Read(BaseModel):
    """Fields read from Stripe's objects, checked; anything else is ignored."""

    # Built when first read, as the models are (imagegen.models.base): most requests read no event.
    model_config = ConfigDict(extra="ignore", defer_build=True)


class Metadata(_Read):
    metadata: dict[str, str] | None = None


class _Expanded(_Read):
    id: str


class _Session(Metadata):
    id: str
    status: str | None = None
    payment_status: str | None = None
    amount_total: int | None = None
    currency: str | None = None
    payment_intent: str | _Expanded | None = None
    client_reference_id: str | None = None


def session_of(session: Mapping[str, Any]) -> SessionState:
    """What fulfilment needs of a Checkout Session, as an event carries it (or the SDK's, as a dict);
    pydantic's ``ValidationError`` if it is not shaped as Stripe's are."""
    read = _Session.model_validate(session)
    metadata = read.metadata or {}
    intent = read.payment_intent
    return SessionState(
        session_id=read.id,
        status=str(read.status),
        payment_status=str(read.payment_status),
        amount_total=read.amount_total,
        currency=read.currency,
        payment_intent_id=intent.id if isinstance(intent, _Expanded) else intent,
        order_id=metadata.get(ORDER_KEY) or read.client_reference_id,
        user_id=metadata.get(USER_KEY),
    )
