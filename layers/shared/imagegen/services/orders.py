"""What the payments' use case needs of where purchases are kept, in its own terms: the orders and
each step of theirs, the Stripe events already handled, and the freeze a dispute puts on its buyer's
purchases (``repositories.orders`` and ``repositories.users`` keep them in DynamoDB;
``tests.fakes.payments`` in memory).

An order moves by conditional steps: a step whose condition no longer holds changes nothing. A step
taken alone says so by answering None; a step staged in a unit of work (a ``Write``) is refused
with the whole transaction, and the use case says what that refusal means.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from imagegen.models.payments import Order, OrderStatus
    from imagegen.services.unit_of_work import Write


class Orders(Protocol):
    """Every order by its id, and each buyer's orders newest first."""

    def create_write(self, order: Order) -> Write:
        """The write of a new order; refused if an order with its id exists."""
        ...

    def get(self, order_id: str) -> Order | None:
        """The order as last written (never an older copy), or None."""
        ...

    def user_page(
        self, user_id: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[Order], dict[str, Any] | None]:
        """Up to ``limit`` of the user's orders, newest first, after ``start_key``, and where the next
        page starts (None when nothing follows; a full page may still be followed by an empty one)."""
        ...

    def opened(self, order_id: str, session_id: str, checkout_url: str, at: str) -> Order | None:
        """Record the checkout opened for a ``CREATED`` order: the order as it is now, or None (and
        nothing recorded) if it is no longer ``CREATED`` or does not exist."""
        ...

    def end_unpaid(self, order_id: str, status: OrderStatus, at: str) -> Order | None:
        """``CREATED`` -> ``status`` (``FAILED``, ``EXPIRED``): the checkout ended without a payment.
        The order as it is now, or None (and nothing changed) if it was no longer ``CREATED``."""
        ...

    def flag(self, order_id: str, reason: str, at: str) -> None:
        """Note on the order why the service would not credit a payment it received (for ops);
        nothing if there is no such order."""
        ...

    def paid_write(self, order_id: str, payment_intent_id: str | None, at: str) -> Write:
        """The write making the order ``PAID`` with its payment, beside the credit of its coins;
        refused if its coins were credited already (it is ``PAID``, or ``REFUNDED`` or ``DISPUTED``
        since) or it does not exist. ``CREATED``, ``FAILED`` and ``EXPIRED`` may become ``PAID``: the
        provider took the money, whatever the service concluded of the checkout meanwhile."""
        ...

    def taken_back_write(
        self, order_id: str, before: int, after: int, refunded: int, status: OrderStatus | None, at: str
    ) -> Write:
        """The write moving what was taken back of the order's price from ``before`` to ``after``,
        adding ``refunded`` to its refunds and setting ``status`` if given, beside the coins'
        movement; refused if what was taken back is no longer ``before`` (another refund or dispute
        moved first) or the order does not exist."""
        ...

    def end_refunded(self, order_id: str, at: str) -> None:
        """``PAID`` -> ``REFUNDED`` once refunds cover all of its price; nothing otherwise."""
        ...


class HandledEvents(Protocol):
    """The ids of the payment provider's events already acted on, each kept until the provider has
    long stopped resending it."""

    def handled(self, event_id: str) -> bool:
        """Whether the event was noted as handled."""
        ...

    def remember(self, event_id: str, event_type: str, at: str, expires_at: int) -> None:
        """Note the event as handled, until ``expires_at`` (unix seconds); noting it again is
        accepted and keeps the first note."""
        ...


class PurchaseFreezes(Protocol):
    """Each buyer's purchases, frozen while a dispute of theirs stands (one freeze per dispute)."""

    def purchases_frozen_write(self, user_id: str, dispute_id: str, frozen: bool, updated_at: str) -> Write:
        """The write freezing the user's purchases for ``dispute_id`` (``frozen``) or lifting that
        dispute's freeze (the others stay); refused if there is no such user."""
        ...
