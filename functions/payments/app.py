"""Buying coins: the packs on sale, checkouts through Stripe, the orders, and Stripe's webhook.

The only API function that loads Stripe's SDK. With the template's ``Payments=disabled`` it is not
deployed, and its routes answer 404.
"""

import base64
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import AuthenticatedCaller
from imagegen.api.openapi import documented
from imagegen.api.params import Cursor, IdempotencyKey, PageLimit, ResourceId
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.api.responses.payments import CheckoutOpened, OrderPageResponse, OrderResponse, WebhookReceived
from imagegen.composition import Composition
from imagegen.errors import (
    BadRequest,
    Conflict,
    Invalid,
    NotFound,
    PaymentsUnavailable,
    PurchasesFrozen,
    RateLimited,
    TooLarge,
)
from imagegen.models.payments import CheckoutRequest, CoinPacks
from imagegen.services.payments import PaymentService

logger = Logger()
composition = Composition()  # each part built when a request first needs it
app = build_api(logger, authenticator_of=lambda: composition.auth, invocation=composition.invocation)


def payment_service() -> PaymentService:
    return composition.payments


Payments = Annotated[PaymentService, Depends(payment_service)]

# Stripe's events are a few KB; anything much larger is not one.
MAX_WEBHOOK_BYTES = 256 * 1024


@app.get(f"{API_PREFIX}/coin-packs", **documented(CoinPacks, summary="The coin packs on sale", public=True))
def coin_packs(payments: Payments) -> dict[str, Any]:
    return payments.packs().to_json()


@app.post(
    f"{API_PREFIX}/coins/checkout",
    **documented(
        CheckoutOpened,
        Invalid,
        PurchasesFrozen,
        Conflict,
        RateLimited,
        PaymentsUnavailable,
        summary="Open a Stripe checkout to buy a pack",
        status=HTTPStatus.CREATED,
    ),
)
def checkout(
    caller: AuthenticatedCaller,
    body: CheckoutRequest,
    payments: Payments,
    idempotency_key: IdempotencyKey = None,
) -> tuple[dict[str, Any], int]:
    started = payments.checkout(caller, body.pack_id, idempotency_key)
    return CheckoutOpened(
        order=started.order.view(), checkout_url=started.checkout_url
    ).to_json(), HTTPStatus.CREATED


@app.get(
    f"{API_PREFIX}/coins/orders/<order_id>",
    **documented(OrderResponse, NotFound, summary="An order (its buyer's, or any for an admin)"),
)
def get_order(caller: AuthenticatedCaller, order_id: ResourceId, payments: Payments) -> dict[str, Any]:
    return OrderResponse(order=payments.order(caller, order_id).view()).to_json()


@app.get(
    f"{API_PREFIX}/users/me/orders",
    **documented(OrderPageResponse, summary="The caller's orders, newest first"),
)
def my_orders(
    caller: AuthenticatedCaller, payments: Payments, limit: PageLimit = 20, cursor: Cursor = None
) -> dict[str, Any]:
    page = payments.orders_page(caller, caller.user_id, limit, cursor)
    return OrderPageResponse(orders=page.orders, next_cursor=page.next_cursor).to_json()


@app.get(
    f"{API_PREFIX}/users/<user_id>/orders",
    **documented(OrderPageResponse, NotFound, summary="A user's orders, newest first (admin, or the user)"),
)
def user_orders(
    caller: AuthenticatedCaller,
    user_id: ResourceId,
    payments: Payments,
    limit: PageLimit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = payments.orders_page(caller, user_id, limit, cursor)
    return OrderPageResponse(orders=page.orders, next_cursor=page.next_cursor).to_json()


@app.post(
    f"{API_PREFIX}/payments/stripe/webhook",
    **documented(
        WebhookReceived,
        BadRequest,
        TooLarge,
        PaymentsUnavailable,
        summary="Stripe's events (signed)",
        public=True,
    ),
)
def stripe_webhook(payments: Payments) -> dict[str, Any]:
    event = app.current_event
    body = event.body or ""
    # Stripe signs the bytes it sent: API Gateway hands them on as text, or base64 if they are not.
    payload = base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8", "surrogateescape")
    if len(payload) > MAX_WEBHOOK_BYTES:
        raise TooLarge(f"A Stripe event is at most {MAX_WEBHOOK_BYTES} bytes.")
    handled = payments.receive(payload, event.headers.get("stripe-signature"))
    logger.info(
        "stripe event", extra={"event": handled.event_id, "type": handled.kind, "outcome": handled.outcome}
    )
    return WebhookReceived(received=True, outcome=handled.outcome).to_json()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
