"""Buying coins on the running local stack, as a user and as Stripe: the checkout, the local Stripe's
webhooks (signed, retried, resent), refunds and disputes, a held-back webhook caught by the way back
or the reconciliation, and the webhook and the way back racing for one order."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from stacktools.template import ROOT
from standins.stripe import signature_header
from tests.e2e.conftest import Api, Session, balance, error_code, new_email

VISA = "4242424242424242"
WEBHOOK = "/payments/stripe/webhook"


def coins(api: Api, session: Session) -> int:
    """The balance now (while webhooks arrive: ``balance`` also checks it against the ledger)."""
    found: int = api.call("GET", "/users/me", session.token).json()["user"]["coins"]
    return found


def eventually(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.1)


@pytest.fixture
def buyer(api: Api) -> Session:
    return api.sign_in(new_email())


@pytest.fixture
def held(api: Api) -> Iterator[None]:
    """Stripe's webhooks held back for the test (then let go)."""
    assert api.call("POST", "/_dev/stripe/webhooks", json={"deliver": False}).status_code == 200
    yield
    assert api.call("POST", "/_dev/stripe/webhooks", json={"deliver": True}).status_code == 200


def checkout(api: Api, session: Session, pack: str = "starter") -> dict[str, Any]:
    response = api.call("POST", "/coins/checkout", session.token, json={"packId": pack})
    assert response.status_code == 201, response.text
    opened: dict[str, Any] = response.json()
    return opened


def pay(api: Api, opened: dict[str, Any], card: str = VISA) -> None:
    paid = api.call(
        "POST",
        f"/_dev/stripe/checkout/sessions/{opened['order']['stripeSessionId']}/pay",
        json={"card": card},
    )
    assert paid.status_code == 200, paid.text


def order(api: Api, session: Session, opened: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = api.call("GET", f"/coins/orders/{opened['order']['id']}", session.token).json()[
        "order"
    ]
    return found


def events(api: Api, event_type: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = api.call(
        "GET", "/_dev/stripe/events", params={"type": event_type, "limit": 100}
    ).json()["events"]
    return listed


def test_the_packs_are_listed_without_a_token(api: Api) -> None:
    packs = api.call("GET", "/coin-packs").json()["packs"]

    assert [pack["id"] for pack in packs] == ["starter", "creator", "studio", "pro"]
    assert packs[0] == {
        "id": "starter",
        "name": "Starter",
        "coins": 500,
        "price": {"amount": 199, "currency": "usd"},
    }


def test_a_user_buys_a_pack_and_the_same_event_three_times_credits_it_once(api: Api, buyer: Session) -> None:
    opened = checkout(api, buyer)
    assert opened["checkoutUrl"].startswith(api.stack.stripe.base_url)
    pay(api, opened)
    eventually(lambda: coins(api, buyer) == 1500)
    completed = next(
        event
        for event in events(api, "checkout.session.completed")
        if event["object"] == opened["order"]["stripeSessionId"]
    )

    for _ in range(3):
        assert api.call("POST", f"/_dev/stripe/events/{completed['id']}/resend", json={}).status_code == 200

    assert balance(api, buyer) == 1500  # and the ledger sums to it
    assert order(api, buyer, opened)["status"] == "PAID"
    history = api.call("GET", "/users/me/transactions", buyer.token).json()["transactions"]
    assert (history[0]["reason"], history[0]["amount"], history[0]["orderId"]) == (
        "purchase",
        500,
        opened["order"]["id"],
    )


def test_a_forged_stale_or_unsigned_webhook_is_refused_and_changes_nothing(
    api: Api, buyer: Session, held: None
) -> None:
    opened = checkout(api, buyer)
    event = {
        "id": "evt_forged",
        "object": "event",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": opened["order"]["stripeSessionId"],
                "payment_status": "paid",
                "status": "complete",
                "amount_total": 199,
                "currency": "usd",
                "metadata": {"order_id": opened["order"]["id"], "user_id": buyer.user["id"]},
            }
        },
    }
    payload = json.dumps(event)
    now = int(time.time())
    for headers in (
        {"Stripe-Signature": signature_header(payload, "whsec_guessed", now)},
        {"Stripe-Signature": signature_header(payload, api.stack.stripe.webhook_secret, now - 600)},
        {},
    ):
        refused = api.call(
            "POST", WEBHOOK, data=payload, headers={"Content-Type": "application/json", **headers}
        )
        assert (refused.status_code, error_code(refused)) == (400, "BAD_REQUEST")

    assert balance(api, buyer) == 1000
    assert api.stack.stripe.webhook_secret not in refused.text


def test_a_refund_and_a_dispute_take_the_coins_back_below_zero_once_spent(api: Api, buyer: Session) -> None:
    first, second = checkout(api, buyer), checkout(api, buyer)
    pay(api, first)
    pay(api, second)
    eventually(lambda: coins(api, buyer) == 2000)
    admin = api.sign_in("admin@example.com")
    api.call(
        "POST", f"/users/{buyer.user['id']}/coins", admin.token, json={"amount": -2000, "reason": "spent"}
    )

    intent = order(api, buyer, first)["paymentIntentId"]
    assert api.call("POST", f"/_dev/stripe/payment_intents/{intent}/refund", json={}).status_code == 200
    eventually(lambda: coins(api, buyer) == -500)
    disputed = api.call(
        "POST",
        f"/_dev/stripe/payment_intents/{order(api, buyer, second)['paymentIntentId']}/dispute",
        json={},
    )
    assert disputed.status_code == 200, disputed.text
    eventually(lambda: coins(api, buyer) == -1000)

    me = api.call("GET", "/users/me", buyer.token).json()["user"]
    assert me["purchasesFrozen"] is True
    frozen = api.call("POST", "/coins/checkout", buyer.token, json={"packId": "starter"})
    assert (frozen.status_code, error_code(frozen)) == (409, "PURCHASES_FROZEN")
    generate = api.call("POST", "/images/generate", buyer.token, json={"prompt": "anything"})
    assert (generate.status_code, error_code(generate)) == (402, "INSUFFICIENT_COINS")
    assert [order(api, buyer, opened)["status"] for opened in (first, second)] == ["REFUNDED", "DISPUTED"]

    closed = api.call(
        "POST", f"/_dev/stripe/disputes/{disputed.json()['dispute']['id']}/close", json={"status": "won"}
    )
    assert closed.status_code == 200, closed.text
    eventually(lambda: coins(api, buyer) == -500)
    assert balance(api, buyer) == -500  # the ledger sums to it
    assert api.call("GET", "/users/me", buyer.token).json()["user"]["purchasesFrozen"] is False


def test_a_held_back_webhook_is_caught_by_the_way_back_once(api: Api, buyer: Session, held: None) -> None:
    opened = checkout(api, buyer, "creator")
    pay(api, opened)

    assert order(api, buyer, opened)["status"] == "PAID"  # the buyer, back from Checkout
    assert balance(api, buyer) == 3000


def test_a_lost_webhook_is_caught_by_the_reconciliation(api: Api, buyer: Session, held: None) -> None:
    opened = checkout(api, buyer, "creator")
    pay(api, opened)

    run = api.call("POST", "/_dev/invoke/PaymentsReconcileFunction", json={"source": "aws.events"}).json()

    assert run["error"] is None, run
    assert run["result"]["fixed"] >= 1
    assert balance(api, buyer) == 3000


def test_the_webhook_and_the_way_back_racing_for_one_order_credit_it_once(
    api: Api, buyer: Session, held: None
) -> None:
    opened = checkout(api, buyer)
    pay(api, opened)
    completed = next(
        event
        for event in events(api, "checkout.session.completed")
        if event["object"] == opened["order"]["stripeSessionId"]
    )

    with ThreadPoolExecutor(max_workers=8) as racing:
        answers = [
            *(
                racing.submit(api.call, "POST", f"/_dev/stripe/events/{completed['id']}/resend", json={})
                for _ in range(4)
            ),
            *(racing.submit(order, api, buyer, opened) for _ in range(4)),
        ]
        for answer in answers:
            answer.result()

    assert balance(api, buyer) == 1500
    purchases = [
        entry
        for entry in api.call("GET", "/users/me/transactions", buyer.token).json()["transactions"]
        if entry["reason"] == "purchase"
    ]
    assert len(purchases) == 1


def test_an_event_api_gateway_hands_on_as_base64_is_verified_on_its_bytes(api: Api) -> None:
    """API Gateway hands a body on base64-encoded when it is not text: the signature is checked on
    the bytes Stripe sent. The sample event (events/payments/stripe_webhook.json) is one, signed here
    with the local endpoint's secret, as the function receives it."""
    payload = json.dumps(
        {"id": "evt_binary", "type": "balance.available", "data": {"object": {"id": "txn_1"}}}
    )
    event = json.loads((ROOT / "events/payments/stripe_webhook.json").read_text())
    event["body"] = base64.b64encode(payload.encode()).decode()
    event["headers"]["stripe-signature"] = signature_header(
        payload, api.stack.stripe.webhook_secret, int(time.time())
    )
    json_type = {"Content-Type": "application/json"}

    answer = api.call(
        "POST", "/_dev/invoke/PaymentsFunction", data=json.dumps(event), headers=json_type
    ).json()
    forged = {**event, "body": base64.b64encode(payload.replace("balance", "payout").encode()).decode()}
    refused = api.call(
        "POST", "/_dev/invoke/PaymentsFunction", data=json.dumps(forged), headers=json_type
    ).json()

    assert event["isBase64Encoded"] is True
    assert (answer["result"]["statusCode"], json.loads(answer["result"]["body"])["outcome"]) == (
        200,
        "ignored",
    )
    assert refused["result"]["statusCode"] == 400
