"""Buying coins against moto in-process and the local Stripe over HTTP, driven by Stripe's own SDK:
checkouts, every event path (once, in any order, forged or not), refunds and disputes that take
coins back, the way back and the reconciliation. The local Stripe's webhooks are delivered to the
service in the test's thread (``run_due``), as Stripe would deliver them to the webhook route."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import boto3
import pytest
import requests
import stripe as stripe_sdk

from imagegen.composition import Composition
from imagegen.errors import (
    BadRequest,
    InsufficientCoins,
    Invalid,
    PaymentsUnavailable,
    PurchasesFrozen,
    RateLimited,
)
from imagegen.metrics import Metric
from imagegen.models.auth import Caller
from imagegen.models.coins import LedgerReason
from imagegen.models.payments import OrderStatus
from imagegen.models.users import ProfileUpdate
from imagegen.services.payments import CheckoutStarted
from stacktools.template import Template
from standins.stripe import LocalStripe, new_secret_key, new_webhook_secret, signature_header
from tests.conftest import CountedMetrics, ServedStripe

VISA = "4242424242424242"
DECLINED = "4000000000000002"


@dataclass
class Shop:
    """The service's payments, the local Stripe they talk to, and what its webhooks were answered."""

    services: Composition
    stripe: LocalStripe
    answers: list[tuple[int, str]]

    @property
    def payments(self) -> Any:
        return self.services.payments

    def sdk(self) -> stripe_sdk.StripeClient:
        """Stripe's SDK as ops would use it against this account (refunds from the dashboard, say)."""
        return stripe_sdk.StripeClient(self.stripe.api_key, base_addresses={"api": self.stripe.base_url})

    def deliver(self) -> None:
        """Deliver what Stripe has to deliver now."""
        self.stripe.run_due()

    def buy(self, caller: Caller, pack_id: str = "starter", card: str = VISA) -> CheckoutStarted:
        started = self.payments.checkout(caller, pack_id)
        assert started.order.stripe_session_id
        self.stripe.pay(started.order.stripe_session_id, card)
        self.deliver()
        return started

    def intent(self, caller: Caller, order_id: str) -> str:
        """The payment intent that paid the order."""
        intent = self.payments.order(caller, order_id).payment_intent_id
        assert intent
        return str(intent)


def put_secret(template: Template, logical_id: str, value: str) -> None:
    boto3.client("secretsmanager").put_secret_value(
        SecretId=template.physical[logical_id].ref, SecretString=value
    )


@pytest.fixture
def shop(template: Template, services: Composition, stripe_server: ServedStripe) -> Shop:
    api_key, webhook_secret = new_secret_key(), new_webhook_secret()
    put_secret(template, "StripeApiKeySecret", api_key)
    put_secret(template, "StripeWebhookSecret", webhook_secret)
    answers: list[tuple[int, str]] = []

    def deliver(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
        try:
            outcome = services.payments.receive(body, headers.get("Stripe-Signature")).outcome
        except BadRequest as refused:
            answers.append((400, refused.message))
            return 400, refused.message
        answers.append((200, outcome))
        return 200, outcome

    local = LocalStripe(
        api_key,
        webhook_secret,
        "http://127.0.0.1:3000/api/v1/payments/stripe/webhook",
        stripe_server.base_url,
        send=deliver,
        settle_seconds=0,
    )
    stripe_server.current = local
    return Shop(services, local, answers)


def balance(services: Composition, caller: Caller) -> int:
    return services.coins.balance(caller.user_id)


def ledger(services: Composition, caller: Caller) -> list[tuple[str, int, str | None]]:
    entries, _ = services.coins.entries(caller.user_id, limit=50, start_key=None)
    return [(entry.reason.value, entry.amount, entry.order_id) for entry in entries]


# ---------------------------------------------------------------------------------------- buying
def test_a_paid_checkout_credits_the_packs_coins_once_with_its_ledger_entry(
    shop: Shop, caller: Caller, ledger_sum: Callable[[str], int], counted: CountedMetrics
) -> None:
    started = shop.payments.checkout(caller, "starter")
    session = shop.sdk().v1.checkout.sessions.retrieve(started.order.stripe_session_id or "")

    assert started.order.status is OrderStatus.CREATED
    assert started.checkout_url == session.url
    assert (session.amount_total, session.currency, session.mode) == (199, "usd", "payment")
    assert session.client_reference_id == started.order.order_id
    assert session.metadata.to_dict() == {"order_id": started.order.order_id, "user_id": caller.user_id}
    assert session.success_url == f"http://127.0.0.1:3000/app/#order/{started.order.order_id}"
    assert 30 * 60 <= session.expires_at - time.time() <= 31 * 60

    shop.stripe.pay(started.order.stripe_session_id or "", VISA)
    shop.deliver()

    order = shop.payments.order(caller, started.order.order_id)
    assert order.status is OrderStatus.PAID
    assert order.payment_intent_id
    assert balance(shop.services, caller) == 1500 == ledger_sum(caller.user_id)
    assert ledger(shop.services, caller)[0] == ("purchase", 500, order.order_id)
    assert counted.totals()[Metric.COINS_PURCHASED] == 500


def test_the_same_event_delivered_three_times_credits_once(shop: Shop, caller: Caller) -> None:
    shop.buy(caller)
    completed = shop.stripe.event_log(event_type="checkout.session.completed")[0]["id"]

    for _ in range(3):
        shop.stripe.resend(completed)

    assert balance(shop.services, caller) == 1500
    assert [answer for answer in shop.answers if answer[1] in ("credited", "duplicate")] == [
        (200, "credited"),
        (200, "duplicate"),
        (200, "duplicate"),
        (200, "duplicate"),
    ]


def test_a_declined_card_credits_nothing_and_leaves_the_checkout_open(shop: Shop, caller: Caller) -> None:
    started = shop.payments.checkout(caller, "starter")

    with pytest.raises(Exception, match="declined"):
        shop.stripe.pay(started.order.stripe_session_id or "", DECLINED)
    shop.deliver()

    assert shop.payments.order(caller, started.order.order_id).status is OrderStatus.CREATED
    assert balance(shop.services, caller) == 1000


@pytest.mark.parametrize(
    ("outcome", "status", "coins"),
    [("succeeds", OrderStatus.PAID, 1500), ("fails", OrderStatus.FAILED, 1000)],
)
def test_a_delayed_payment_credits_when_it_succeeds_and_never_when_it_fails(
    shop: Shop, caller: Caller, outcome: str, status: OrderStatus, coins: int
) -> None:
    started = shop.payments.checkout(caller, "starter")
    shop.stripe.pay(started.order.stripe_session_id or "", method="delayed", outcome=outcome)
    shop.deliver()  # completed (unpaid), then the settlement

    shop.deliver()

    assert shop.payments.order(caller, started.order.order_id).status is status
    assert balance(shop.services, caller) == coins


def test_an_expired_checkout_ends_the_order_unpaid(shop: Shop, caller: Caller) -> None:
    started = shop.payments.checkout(caller, "starter")
    shop.sdk().v1.checkout.sessions.expire(started.order.stripe_session_id or "")
    shop.deliver()

    assert shop.payments.order(caller, started.order.order_id).status is OrderStatus.EXPIRED
    assert balance(shop.services, caller) == 1000


def test_the_checkout_page_speaks_the_buyers_language_or_the_browsers(shop: Shop, caller: Caller) -> None:
    shop.services.users.update_profile(caller, ProfileUpdate(language="es"))
    spanish = replace(caller, user=shop.services.users.get(caller.user_id))
    # A language the Languages parameter may list but Stripe's Checkout does not speak.
    catalan = replace(caller, user=caller.user.model_copy(update={"language": "ca"}))

    locales = [
        shop.sdk().v1.checkout.sessions.retrieve(started.order.stripe_session_id or "").locale
        for started in (
            shop.payments.checkout(spanish, "starter"),
            shop.payments.checkout(catalan, "starter"),
        )
    ]

    assert locales == ["es", "auto"]


def test_a_spanish_buyer_reads_the_pack_and_the_page_in_spanish(shop: Shop, caller: Caller) -> None:
    shop.services.users.update_profile(caller, ProfileUpdate(language="es"))
    spanish = replace(caller, user=shop.services.users.get(caller.user_id))

    started = shop.payments.checkout(spanish, "starter")

    (item,) = shop.sdk().v1.checkout.sessions.line_items.list(started.order.stripe_session_id or "").data
    assert item.description == "Starter: 500 monedas"
    page = requests.get(started.checkout_url, timeout=10).text
    assert '<html lang="es">' in page
    assert "Starter: 500 monedas" in page
    assert "Pagar $1.99" in page


# ---------------------------------------------------------------------------------------- refusals
def test_an_unknown_pack_is_refused_with_nothing_written(shop: Shop, caller: Caller) -> None:
    with pytest.raises(Invalid) as refused:
        shop.payments.checkout(caller, "mega")

    assert "starter" in refused.value.details["fields"][0]["message"]
    assert shop.payments.orders_page(caller, caller.user_id, 10, None).orders == []


def test_stripe_refusing_ends_the_order_failed_with_nothing_charged(
    shop: Shop, caller: Caller, template: Template
) -> None:
    put_secret(template, "StripeApiKeySecret", new_secret_key())  # not the account's: Stripe answers 401

    with pytest.raises(PaymentsUnavailable):
        shop.payments.checkout(caller, "starter")

    (order,) = shop.payments.orders_page(caller, caller.user_id, 10, None).orders
    assert order.status is OrderStatus.FAILED
    assert balance(shop.services, caller) == 1000


def test_past_the_checkouts_a_day_a_checkout_is_refused(shop: Shop, caller: Caller) -> None:
    for _ in range(10):
        shop.payments.checkout(caller, "starter")

    with pytest.raises(RateLimited) as refused:
        shop.payments.checkout(caller, "starter")

    assert refused.value.details["windowSeconds"] == 24 * 3600
    assert len(shop.payments.orders_page(caller, caller.user_id, 20, None).orders) == 10


def test_a_checkout_retried_with_its_idempotency_key_opens_one_order(shop: Shop, caller: Caller) -> None:
    first = shop.payments.checkout(caller, "creator", idempotency_key="K1")
    again = shop.payments.checkout(caller, "creator", idempotency_key="K1")

    assert (again.order.order_id, again.checkout_url) == (first.order.order_id, first.checkout_url)
    assert len(shop.payments.orders_page(caller, caller.user_id, 20, None).orders) == 1


# ---------------------------------------------------------------------------------------- webhooks
def signed(
    shop: Shop, event: dict[str, Any], secret: str | None = None, at: int | None = None
) -> tuple[bytes, str]:
    payload = json.dumps(event)
    return payload.encode(), signature_header(
        payload, secret or shop.stripe.webhook_secret, at or int(time.time())
    )


def paid_session(
    event_id: str, started: CheckoutStarted, caller: Caller, amount: int = 199
) -> dict[str, Any]:
    """The event Stripe sends when the checkout of ``started`` is paid ``amount`` cents."""
    return {
        "id": event_id,
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": started.order.stripe_session_id,
                "payment_status": "paid",
                "status": "complete",
                "amount_total": amount,
                "currency": "usd",
                "metadata": {"order_id": started.order.order_id, "user_id": caller.user_id},
            }
        },
    }


def test_a_forged_stale_or_unsigned_webhook_is_refused_and_changes_nothing(
    shop: Shop, caller: Caller
) -> None:
    started = shop.payments.checkout(caller, "starter")
    event = paid_session("evt_forged", started, caller)
    for payload, signature in (
        signed(shop, event, secret="whsec_guessed"),
        signed(shop, event, at=int(time.time()) - 301),
        (json.dumps(event).encode(), ""),
        (b"not json at all", signed(shop, event)[1]),
    ):
        with pytest.raises(BadRequest):
            shop.payments.receive(payload, signature or None)

    assert balance(shop.services, caller) == 1000
    assert shop.payments.order(caller, started.order.order_id).status is OrderStatus.CREATED


def test_while_the_secret_is_rolled_both_secrets_are_accepted(
    shop: Shop, caller: Caller, template: Template
) -> None:
    put_secret(template, "StripeWebhookSecret", f"{new_webhook_secret()},{shop.stripe.webhook_secret}")
    started = shop.buy(caller)

    assert shop.payments.order(caller, started.order.order_id).status is OrderStatus.PAID


def test_a_payment_that_is_not_the_orders_is_flagged_not_credited(
    shop: Shop, caller: Caller, counted: CountedMetrics
) -> None:
    started = shop.payments.checkout(caller, "studio")
    event = paid_session("evt_cheap", started, caller, amount=199)  # not the studio's 1499

    shop.payments.receive(*signed(shop, event))

    assert balance(shop.services, caller) == 1000
    assert shop.payments.order(caller, started.order.order_id).flagged
    assert counted.totals()[Metric.PAYMENTS_FLAGGED] == 1


def test_an_event_for_an_order_the_service_does_not_know_is_answered_and_counted(
    shop: Shop, counted: CountedMetrics
) -> None:
    event = {
        "id": "evt_stranger",
        "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_x", "metadata": {}}},
    }

    assert shop.payments.receive(*signed(shop, event)).outcome == "unknown order"
    assert counted.totals()[Metric.UNKNOWN_PAYMENT_EVENTS] == 1


# ---------------------------------------------------------------------------------------- refunds, disputes
def test_refunds_take_back_their_share_once_and_in_full_the_packs_coins(
    shop: Shop, caller: Caller, ledger_sum: Callable[[str], int]
) -> None:
    started = shop.buy(caller, "starter")  # 500 coins for 199 cents
    intent = shop.intent(caller, started.order.order_id)

    shop.sdk().v1.refunds.create(params={"payment_intent": intent, "amount": 100})
    shop.deliver()
    shop.deliver()  # nothing new: no refund taken twice
    assert balance(shop.services, caller) == 1500 - 251 == ledger_sum(caller.user_id)  # 500 x 100 / 199, down
    shop.sdk().v1.refunds.create(params={"payment_intent": intent})  # the rest
    shop.deliver()

    assert balance(shop.services, caller) == 1000 == ledger_sum(caller.user_id)  # all 500 back, exactly
    order = shop.payments.order(caller, started.order.order_id)
    assert (order.status, order.amount_refunded) == (OrderStatus.REFUNDED, 199)
    assert [reason for reason, _, _ in ledger(shop.services, caller)][:3] == [
        "purchase_refund",
        "purchase_refund",
        "purchase",
    ]


def test_a_refund_after_the_coins_were_spent_leaves_the_balance_below_zero_and_charges_refused(
    shop: Shop, caller: Caller, ledger_sum: Callable[[str], int]
) -> None:
    started = shop.buy(caller, "starter")
    shop.services.coins.grant(caller.user_id, -1500, note="spent it all")

    shop.sdk().v1.refunds.create(params={"payment_intent": shop.intent(caller, started.order.order_id)})
    shop.deliver()

    assert balance(shop.services, caller) == -500 == ledger_sum(caller.user_id)
    with pytest.raises(InsufficientCoins):
        shop.services.coins.charge(caller.user_id, 50, LedgerReason.UPLOAD, "IMG")


def test_a_dispute_takes_the_coins_back_and_freezes_purchases_until_it_is_won(
    shop: Shop, caller: Caller, ledger_sum: Callable[[str], int]
) -> None:
    started = shop.buy(caller, "starter")
    dispute = shop.stripe.dispute(shop.intent(caller, started.order.order_id))
    shop.deliver()

    assert balance(shop.services, caller) == 1000 == ledger_sum(caller.user_id)
    frozen = shop.services.users.get(caller.user_id)
    with pytest.raises(PurchasesFrozen):
        shop.payments.checkout(Caller(user=frozen, session_id="S", balance=1000), "starter")
    assert shop.payments.order(caller, started.order.order_id).status is OrderStatus.DISPUTED

    shop.stripe.close_dispute(dispute["id"], "won")
    shop.deliver()

    assert balance(shop.services, caller) == 1500 == ledger_sum(caller.user_id)
    assert not shop.services.users.get(caller.user_id).purchases_frozen
    assert shop.payments.order(caller, started.order.order_id).status is OrderStatus.PAID


def test_a_lost_dispute_keeps_the_coins_taken_and_purchases_frozen(shop: Shop, caller: Caller) -> None:
    started = shop.buy(caller, "starter")
    dispute = shop.stripe.dispute(shop.intent(caller, started.order.order_id))
    shop.stripe.close_dispute(dispute["id"], "lost")
    shop.deliver()

    assert balance(shop.services, caller) == 1000
    assert shop.services.users.get(caller.user_id).purchases_frozen


def test_a_refund_arriving_before_its_completion_is_not_lost(
    shop: Shop, caller: Caller, ledger_sum: Callable[[str], int]
) -> None:
    shop.stripe.set_delivering(False)
    started = shop.payments.checkout(caller, "starter")
    shop.stripe.pay(started.order.stripe_session_id or "", VISA)
    intent = shop.sdk().v1.checkout.sessions.retrieve(started.order.stripe_session_id or "").payment_intent
    shop.sdk().v1.refunds.create(params={"payment_intent": str(intent), "amount": 100})
    refunded = shop.stripe.event_log(event_type="charge.refunded")[0]["id"]

    shop.stripe.resend(refunded)  # first: the payment is fulfilled from Stripe's record, then refunded
    assert balance(shop.services, caller) == 1500 - 251 == ledger_sum(caller.user_id)
    shop.stripe.set_delivering(True)
    shop.deliver()  # the completion, late: credited already

    assert balance(shop.services, caller) == 1500 - 251 == ledger_sum(caller.user_id)


# ---------------------------------------------------------------------------------------- nothing missed
def test_the_way_back_credits_a_paid_order_before_its_webhook_and_only_once(
    shop: Shop, caller: Caller, ledger_sum: Callable[[str], int]
) -> None:
    shop.stripe.set_delivering(False)
    started = shop.payments.checkout(caller, "starter")
    shop.stripe.pay(started.order.stripe_session_id or "", VISA)

    assert shop.payments.order(caller, started.order.order_id).status is OrderStatus.PAID
    assert balance(shop.services, caller) == 1500
    shop.stripe.set_delivering(True)
    shop.deliver()

    assert balance(shop.services, caller) == 1500 == ledger_sum(caller.user_id)


def test_the_reconciliation_credits_a_payment_whose_webhook_was_lost(
    shop: Shop, caller: Caller, counted: CountedMetrics
) -> None:
    shop.stripe.set_delivering(False)
    started = shop.payments.checkout(caller, "creator")
    shop.stripe.pay(started.order.stripe_session_id or "", VISA)

    assert shop.payments.reconcile() == 1
    assert shop.payments.reconcile() == 0
    assert balance(shop.services, caller) == 3000
    assert counted.totals()[Metric.PURCHASES_RECONCILED] == 1


def test_an_admin_sees_any_order_and_a_stranger_none(shop: Shop, caller: Caller, stranger: Caller) -> None:
    started = shop.buy(caller)
    admin = Caller(user=caller.user.model_copy(update={"roles": ["ADMIN"]}), session_id="A", balance=0)

    assert shop.payments.order(admin, started.order.order_id).order_id == started.order.order_id
    assert [order.id for order in shop.payments.orders_page(admin, caller.user_id, 10, None).orders] == [
        started.order.order_id
    ]
    with pytest.raises(Exception, match="No such"):
        shop.payments.order(stranger, started.order.order_id)
    with pytest.raises(Exception, match="No such"):
        shop.payments.orders_page(stranger, caller.user_id, 10, None)


def test_a_completion_after_the_checkout_expired_is_still_credited(shop: Shop, caller: Caller) -> None:
    """Stripe took the money: whatever the service had concluded of the checkout meanwhile."""
    started = shop.payments.checkout(caller, "starter")
    expired = {
        "id": "evt_expired",
        "type": "checkout.session.expired",
        "data": {
            "object": {
                "id": started.order.stripe_session_id,
                "metadata": {"order_id": started.order.order_id},
            }
        },
    }
    shop.payments.receive(*signed(shop, expired))
    assert shop.payments.order(caller, started.order.order_id).status is OrderStatus.EXPIRED
    paid = paid_session("evt_paid_late", started, caller)

    assert shop.payments.receive(*signed(shop, paid)).outcome == "credited"
    assert shop.payments.order(caller, started.order.order_id).status is OrderStatus.PAID
    assert balance(shop.services, caller) == 1500
