"""The local Stripe's hosted checkout page in Chromium, as a customer uses it: a session made with
Stripe's SDK against the stack, a declined card, then 4242 pays and the browser lands on the
session's success URL. Screenshots kept in test-artifacts/stripe/."""

from __future__ import annotations

import re
import time

import stripe
from playwright.sync_api import ConsoleMessage, Page, expect

from devstack.stack import LocalStack
from stacktools.template import ROOT

ARTIFACTS = ROOT / "test-artifacts" / "stripe"


def keep(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def test_a_customer_is_declined_then_pays_with_4242_and_lands_on_the_success_url(
    stack: LocalStack, page: Page
) -> None:
    client = stripe.StripeClient(stack.stripe.api_key, base_addresses={"api": stack.stripe.base_url})
    session = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 499,
                        "product_data": {"name": "500 coins", "description": "A pack of coins for images"},
                    },
                    "quantity": 1,
                }
            ],
            "customer_email": "ada@example.com",
            "success_url": f"{stack.api_url}/app/?checkout={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{stack.api_url}/app/#coins",
        }
    )
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        # A 402 answer logs "Failed to load resource": the card was declined, no error of the page's.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)  # a content security policy violation would be one

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}"))

    assert session.url is not None
    page.goto(session.url)
    expect(page.get_by_test_id("total")).to_have_text("€4.99")
    expect(page.get_by_text("500 coins", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Cancel"))).to_have_attribute(
        "href", session.cancel_url or ""
    )
    keep(page, "checkout")

    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay €4.99").click()
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    keep(page, "declined")

    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_role("button", name="Pay €4.99").click()
    page.wait_for_url(f"{stack.api_url}/app/?checkout={session.id}")
    keep(page, "success-url")

    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.customer_details is not None
    assert paid.customer_details.email == "ada@example.com"
    made = [event["type"] for event in stack.stripe.event_log(50) if event["object"] == session.id]
    assert "checkout.session.completed" in made
    assert errors == []


def test_a_customer_pays_by_a_delayed_method_that_fails_later_and_can_cancel(
    stack: LocalStack, page: Page
) -> None:
    client = stripe.StripeClient(stack.stripe.api_key, base_addresses={"api": stack.stripe.base_url})
    pack = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 999,
                    "product_data": {"name": "1,200 coins"},
                },
                "quantity": 2,
            }
        ],
        "success_url": f"{stack.api_url}/app/?checkout={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{stack.api_url}/app/#coins",
    }
    delayed, cancelled = client.v1.checkout.sessions.create(pack), client.v1.checkout.sessions.create(pack)

    assert delayed.url is not None
    page.goto(delayed.url)
    expect(page.get_by_test_id("total")).to_have_text("€19.98")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label(re.compile("SEPA Direct Debit")).check()
    expect(page.get_by_label("Card number")).to_be_hidden()
    page.get_by_label("The payment fails").check()
    keep(page, "delayed")
    page.get_by_role("button", name="Pay €19.98").click()
    page.wait_for_url(f"{stack.api_url}/app/?checkout={delayed.id}")
    assert client.v1.checkout.sessions.retrieve(delayed.id).payment_status == "unpaid"
    page.goto(delayed.url)
    expect(page.get_by_role("heading", name="Your payment is processing")).to_be_visible()

    assert cancelled.url is not None
    page.goto(cancelled.url)
    page.get_by_role("link", name=re.compile("Cancel")).click()
    page.wait_for_url(f"{stack.api_url}/app/#coins")
    assert client.v1.checkout.sessions.retrieve(cancelled.id).status == "open"  # as in Stripe: still open

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        failed = [
            e
            for e in stack.stripe.event_log(100, "checkout.session.async_payment_failed")
            if e["object"] == delayed.id
        ]
        if failed:
            break
        time.sleep(0.1)
    assert failed, "no checkout.session.async_payment_failed"
    page.goto(delayed.url)
    expect(page.get_by_role("heading", name="Your payment failed")).to_be_visible()
    keep(page, "delayed-failed")
