"""Answers about buying coins: a checkout opened, orders, and Stripe's webhook."""

from typing import Literal

from imagegen.models.base import CamelModel
from imagegen.models.payments import OrderView


class CheckoutOpened(CamelModel):
    """The order recorded, and Stripe's checkout page to send the buyer to."""

    order: OrderView
    checkout_url: str


class OrderResponse(CamelModel):
    """An order."""

    order: OrderView


class OrderPageResponse(CamelModel):
    """A page of orders, newest first, and the cursor of the next page."""

    orders: list[OrderView]
    next_cursor: str | None


class WebhookReceived(CamelModel):
    """Stripe's event was verified and handled (or had been already)."""

    received: Literal[True]
    outcome: str
