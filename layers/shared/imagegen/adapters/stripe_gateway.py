"""Stripe, behind the few calls the payments use: open a Checkout Session, read one back, read a
payment's charge and refunds, list the sessions completed lately, and verify a webhook's signature.

Through Stripe's official SDK (``stripe``), imported by the payments functions alone (the others
never load it). Only the fields the service relies on come out of here, as plain dataclasses, so
nothing else knows Stripe's objects; every failure to reach Stripe, or a refusal by it, is
``PaymentsUnavailable``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

import stripe

from imagegen.errors import PaymentsUnavailable
from imagegen.services.payment_gateway import (
    ORDER_KEY,
    USER_KEY,
    Checkout,
    InvalidSignature,
    Metadata,
    OpenedCheckout,
    RefundState,
    SessionState,
    session_of,
)

# An API function has 10 s; a checkout must leave it time to answer (the SDK retries once, with
# its idempotency key, on a network error or a 409/429/5xx).
TIMEOUT_SECONDS = 4
MAX_NETWORK_RETRIES = 1

# The languages Stripe's hosted Checkout page speaks: the values its ``locale`` parameter takes (as
# stripe-python 16.1.0 types them; "auto" is the browser's language). Stripe refuses any other value
# with a 400, which would leave a user unable to buy coins, so a user's language that is not one of
# these goes as "auto": a language added to the Languages parameter that Stripe does not speak
# (Catalan, say) still checks out, on a page in the browser's language. The service's one copy of
# the list (the local Stripe stand-in keeps Stripe's own, and refuses what Stripe refuses).
CHECKOUT_LOCALES: Final = frozenset(
    {
        "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr",
        "fr-CA", "hi-IN", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl",
        "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
    }
)  # fmt: skip


def checkout_locale(language: str) -> str:
    """Stripe's ``locale`` for a user's language (a two-letter code): the language itself if Stripe
    speaks it, else Stripe's one regional locale of it if it has only that (``hi`` is ``hi-IN``),
    else ``auto``."""
    if language in CHECKOUT_LOCALES:
        return language
    regional = [locale for locale in CHECKOUT_LOCALES if locale.startswith(f"{language}-")]
    return regional[0] if len(regional) == 1 else "auto"


class StripeGateway:
    """The Stripe API as the payments use it (a ``PaymentGateway``)."""

    def __init__(
        self,
        api_key: Callable[[], str],
        webhook_secrets: Callable[[], Sequence[str]],
        api_base: str | None = None,
        tolerance_seconds: int = 300,
    ) -> None:
        self._api_key = api_key
        self._webhook_secrets = webhook_secrets
        self._api_base = api_base
        self._tolerance = tolerance_seconds
        self._client: stripe.StripeClient | None = None

    def _stripe(self) -> stripe.StripeClient:
        if self._client is None:
            self._client = stripe.StripeClient(
                self._api_key(),
                base_addresses={"api": self._api_base} if self._api_base else {},
                http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
                max_network_retries=MAX_NETWORK_RETRIES,
            )
        return self._client

    def open_checkout(self, checkout: Checkout) -> OpenedCheckout:
        """A hosted Checkout Session for one pack, in the buyer's language where Stripe speaks it;
        the order id is Stripe's idempotency key, so a retried checkout opens the same session."""
        metadata = {ORDER_KEY: checkout.order_id, USER_KEY: checkout.user_id}
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": checkout.currency,
                        "unit_amount": checkout.amount,
                        "product_data": {"name": checkout.product},
                    },
                }
            ],
            "client_reference_id": checkout.order_id,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": checkout.success_url,
            "cancel_url": checkout.cancel_url,
            "expires_at": checkout.expires_at,
            "locale": checkout_locale(checkout.locale),
        }
        if checkout.customer_email:
            params["customer_email"] = checkout.customer_email
        try:
            session = self._stripe().v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": f"checkout-{checkout.order_id}"},
            )
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        if not session.url:
            raise PaymentsUnavailable("Stripe opened a checkout without a page to send you to.")
        return OpenedCheckout(session_id=session.id, url=session.url)

    def session(self, session_id: str) -> SessionState:
        """The Checkout Session as Stripe has it now."""
        try:
            session = self._stripe().v1.checkout.sessions.retrieve(session_id)
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        return session_of(session.to_dict())

    def completed_sessions(self, since: int) -> Iterator[SessionState]:
        """The Checkout Sessions completed since ``since`` (unix seconds), newest first."""
        try:
            listed = self._stripe().v1.checkout.sessions.list(
                params={"status": "complete", "created": {"gte": since}, "limit": 100}
            )
            for session in listed.auto_paging_iter():
                yield session_of(session.to_dict())
        except stripe.StripeError as error:
            raise _unavailable(error) from error

    def order_of_payment(self, payment_intent_id: str) -> tuple[str | None, str | None]:
        """The order and user a payment intent's metadata names."""
        try:
            intent = self._stripe().v1.payment_intents.retrieve(payment_intent_id)
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        metadata = Metadata.model_validate(intent.to_dict()).metadata or {}
        return metadata.get(ORDER_KEY), metadata.get(USER_KEY)

    def refunds(self, charge_id: str) -> list[RefundState]:
        """Every refund of a charge, as Stripe has them now."""
        try:
            listed = self._stripe().v1.refunds.list(params={"charge": charge_id, "limit": 100})
            return [
                RefundState(refund_id=refund.id, amount=refund.amount, status=str(refund.status))
                for refund in listed.auto_paging_iter()
            ]
        except stripe.StripeError as error:
            raise _unavailable(error) from error

    def verify_event(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event a webhook delivers, once its signature checks with one of the endpoint's secrets
        (two while one is rotated) within the tolerance; ``InvalidSignature`` otherwise."""
        if not signature:
            raise InvalidSignature("No Stripe-Signature header.")
        text = payload.decode("utf-8", errors="replace")
        for secret in self._webhook_secrets():
            try:
                stripe.WebhookSignature.verify_header(text, signature, secret, self._tolerance)
            except stripe.SignatureVerificationError:
                continue
            try:
                event: dict[str, Any] = json.loads(text)
            except ValueError as error:
                raise InvalidSignature("The payload is not JSON.") from error
            return event
        raise InvalidSignature("The signature does not check with the endpoint's secrets, or is too old.")


def _unavailable(error: stripe.StripeError) -> PaymentsUnavailable:
    # Stripe's message may name the key's last characters or the request: never sent to the client.
    return PaymentsUnavailable(
        "Payments are unavailable right now; nothing was charged. Try again in a moment.",
        {"provider": type(error).__name__},
        retry_after=30,
    )
