"""Buying coins in the front end, in Chromium against the local stack and its Stripe: the Buy coins
view, Stripe's hosted page (the local Stripe's, typed into as a buyer types), the way back to the
front end at #order/<id> in the same signed-in tab, a declined card then Cancel, a 402 offering the
packs, the coin history naming each purchase, refund and dispute with its order, and an admin
reading a user's orders. Screenshots kept in test-artifacts/web/ beside the other screens'."""

from __future__ import annotations

import re
from typing import Any

import stripe
from playwright.sync_api import Locator, Page, Route, expect

from tests import images
from tests.e2e.conftest import ADMIN_EMAIL, Api, Session
from tests.e2e.test_payments import checkout, coins, eventually, order, pay
from tests.e2e.test_web import (  # noqa: F401 (no_script_errors: autouse, each test ends without script errors)
    keep,
    new_email,
    no_script_errors,
    sign_in,
    stored_session,
    tile,
    titled_upload,
)

DECLINED = "4000 0000 0000 0002"
STRIPE_PAGE = re.compile(r"/_dev/stripe/checkout/pay/")


def header_balance(page: Page) -> Locator:
    """The balance in the header (the Buy coins view's label has "coins" in it too)."""
    return page.get_by_label("Coins", exact=True)


def buy_view(page: Page) -> None:
    page.get_by_role("navigation", name="Views").get_by_role("button", name="Buy coins").click()


def pay_on_stripes_page(page: Page, card: str, total: str = "$1.99", screenshot: str = "") -> None:
    """Type a card into the local Stripe's checkout page as a buyer does, and press Pay."""
    expect(page.get_by_test_id("total")).to_have_text(total)
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiry").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    if screenshot:
        keep(page, screenshot)
    page.get_by_role("button", name=f"Pay {total}").click()


def back_at_the_order(page: Page, api: Api, cancelled: bool = False) -> str:
    """Wait until Stripe sent the browser back to the front end's #order/<id>; the order's id."""
    tail = "/cancelled" if cancelled else ""
    pattern = re.compile(re.escape(f"{api.stack.api_url}/app/#order/") + f"([A-Za-z0-9_-]+){tail}$")
    page.wait_for_url(pattern)
    found = pattern.search(page.url)
    assert found
    return found[1]


def rows_of(page: Page, region: str) -> Any:
    return page.get_by_role("region", name=region).locator("tbody").get_by_role("row")


def test_a_pack_is_bought_on_stripes_page_and_its_coins_arrive_in_the_same_signed_in_tab(
    page: Page, api: Api
) -> None:
    email = new_email()
    sign_in(page, api, email)
    signed_in = stored_session(page)
    buy_view(page)
    expect(page).to_have_url(f"{api.stack.api_url}/app/#buy")
    packs = page.get_by_role("region", name="Buy coins")
    starter = packs.get_by_role("listitem", name="Starter")
    expect(starter).to_contain_text("500 coins")
    expect(starter).to_contain_text("$1.99")
    expect(starter).to_contain_text("$0.40 per 100 coins")
    expect(starter).to_contain_text("5 images at 1K")
    expect(packs).to_contain_text("An image from Nano Banana 2.1 at 1K costs 100 coins.")
    expect(packs.get_by_role("listitem", name="Pro")).to_contain_text("Best value")  # $0.20 per 100
    expect(packs.get_by_text("Best value")).to_have_count(1)
    expect(page.get_by_role("region", name="Your orders")).to_contain_text("No orders yet.")
    keep(page, "16-buy-coins")

    # The answers on the way back say the order is still open until the test has seen the page say
    # so, as when Stripe's confirmation lags behind the buyer: the page keeps asking until the coins
    # are added.
    lagging: list[str] = []  # the status each answer held back really had
    let_go: list[bool] = []

    def still_open(route: Route) -> None:
        answer = route.fetch()
        if let_go:
            route.fulfill(response=answer)
            return
        body = answer.json()
        lagging.append(body["order"]["status"])
        route.fulfill(response=answer, json={"order": {**body["order"], "status": "CREATED"}})

    page.route("**/api/v1/coins/orders/*", still_open)
    starter.get_by_role("button", name="Buy for $1.99").click()
    page.wait_for_url(STRIPE_PAGE)  # the whole page, in this tab
    expect(page.get_by_text("Starter: 500 coins")).to_be_visible()
    pay_on_stripes_page(page, "4242 4242 4242 4242", screenshot="17-stripe-checkout")

    order_id = back_at_the_order(page, api)
    outcome = page.get_by_role("region", name="Your purchase")
    expect(outcome.get_by_role("heading")).to_have_text("Confirming your payment\u2026")
    keep(page, "18-confirming")
    let_go.append(True)
    expect(outcome.get_by_role("heading")).to_have_text("500 coins added", timeout=10_000)
    expect(outcome).to_contain_text("Your balance is now 1,500 coins.")
    expect(outcome).to_contain_text("Order of Starter: 500 coins for $1.99")
    expect(header_balance(page)).to_have_text("1,500 coins")  # the header's balance too
    # Credited already by the first answer, shown as open by the test:
    assert set(lagging) == {"PAID"}
    page.unroute_all(behavior="ignoreErrors")

    # Still signed in: the session came back with the tab, its tokens in localStorage.
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("form", name="Sign in")).to_have_count(0)
    assert stored_session(page)["refreshToken"] == signed_in["refreshToken"]
    session = api.sign_in(email)
    assert coins(api, session) == 1500
    assert order(api, session, {"order": {"id": order_id}})["status"] == "PAID"
    mine = rows_of(page, "Your orders")
    expect(mine).to_have_count(1)
    expect(mine.first).to_contain_text("Starter")
    expect(mine.first).to_contain_text("$1.99")
    expect(mine.first.locator(".status")).to_have_text("Paid")
    keep(page, "19-coins-added")

    outcome.get_by_role("link", name="Create images").click()
    expect(page.get_by_role("form", name="Generate an image")).to_be_visible()


def test_a_declined_card_then_cancel_comes_back_saying_no_payment_was_made(page: Page, api: Api) -> None:
    email = new_email()
    sign_in(page, api, email)
    buy_view(page)
    page.get_by_role("listitem", name="Creator").get_by_role("button", name="Buy for $5.99").click()
    page.wait_for_url(STRIPE_PAGE)

    pay_on_stripes_page(page, DECLINED, "$5.99")
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")  # Stripe's page says so
    keep(page, "20-stripe-declined")
    page.get_by_role("link", name=re.compile("Cancel and return")).click()

    order_id = back_at_the_order(page, api, cancelled=True)
    outcome = page.get_by_role("region", name="Your purchase")
    expect(outcome.get_by_role("heading")).to_have_text("No payment was made.")
    expect(outcome).to_contain_text("Order of Creator: 2,000 coins for $5.99")
    expect(header_balance(page)).to_have_text("1,000 coins")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    mine = rows_of(page, "Your orders")
    expect(mine.first.locator(".status")).to_have_text("Not paid yet")  # its checkout is still open
    keep(page, "21-no-payment")

    outcome.get_by_role("button", name="Choose a pack").click()
    expect(page).to_have_url(f"{api.stack.api_url}/app/#buy")
    expect(outcome).to_have_count(0)
    expect(page.get_by_role("listitem", name="Starter").get_by_role("button")).to_be_focused()
    session = api.sign_in(email)
    assert coins(api, session) == 1000
    assert order(api, session, {"order": {"id": order_id}})["status"] == "CREATED"


def test_a_bank_payment_that_fails_later_is_confirmed_then_said_to_have_failed(page: Page, api: Api) -> None:
    email = new_email()
    sign_in(page, api, email)
    buy_view(page)
    page.get_by_role("listitem", name="Starter").get_by_role("button", name="Buy for $1.99").click()
    page.wait_for_url(STRIPE_PAGE)
    page.get_by_label(re.compile("US bank account")).check()  # its answer comes a few seconds later
    page.get_by_label("The payment fails").check()
    page.get_by_role("button", name="Pay $1.99").click()

    back_at_the_order(page, api)
    outcome = page.get_by_role("region", name="Your purchase")
    expect(outcome.get_by_role("heading")).to_have_text("Confirming your payment\u2026")
    expect(outcome.get_by_role("heading")).to_have_text(
        "The payment failed: no coins were added.", timeout=20_000
    )  # asked again with a gentle backoff until the bank's answer came
    expect(header_balance(page)).to_have_text("1,000 coins")
    expect(rows_of(page, "Your orders").first.locator(".status")).to_have_text("Failed: not paid")
    keep(page, "21-payment-failed")


def test_an_expired_checkout_and_a_wrong_order_link_say_so(page: Page, api: Api) -> None:
    email = new_email()
    buyer = api.sign_in(email)
    opened = checkout(api, buyer, "studio")
    client = stripe.StripeClient(api.stack.stripe.api_key, base_addresses={"api": api.stack.stripe.base_url})
    client.v1.checkout.sessions.expire(opened["order"]["stripeSessionId"])
    eventually(lambda: order(api, buyer, opened)["status"] == "EXPIRED")
    sign_in(page, api, email)

    page.goto(f"{api.stack.api_url}/app/#order/{opened['order']['id']}")
    outcome = page.get_by_role("region", name="Your purchase")
    expect(outcome.get_by_role("heading")).to_have_text("The checkout expired: no payment was made.")
    expect(rows_of(page, "Your orders").first.locator(".status")).to_have_text("Expired: not paid")

    someone_elses = checkout(api, api.sign_in(new_email()))["order"]["id"]
    page.goto(f"{api.stack.api_url}/app/#order/{someone_elses}")
    expect(outcome.get_by_role("heading")).to_have_text("That order is not here")


def test_out_of_coins_generate_upload_and_edit_offer_the_packs(page: Page, api: Api) -> None:
    email = new_email()
    session = api.sign_in(email)
    titled_upload(api, session, "a lake", images.png(200, 150))
    admin = api.sign_in(ADMIN_EMAIL)
    api.call(
        "POST", f"/users/{session.user['id']}/coins", admin.token, json={"amount": -920, "reason": "spent"}
    )
    sign_in(page, api, email)
    expect(header_balance(page)).to_have_text("30 coins")

    form = page.get_by_role("form", name="Generate an image")
    form.get_by_label("Prompt").fill("a harbour")
    expect(form.get_by_role("link", name="Buy coins")).to_be_visible()  # offered before asking, too
    form.get_by_role("button", name="Generate \u00b7 100 coins").click()
    alert = form.get_by_role("alert")
    expect(alert).to_contain_text("This costs 100 coins and the balance is 30.")
    expect(alert.get_by_role("link", name="Buy coins")).to_be_visible()
    expect(form.get_by_role("link", name="Buy coins")).to_have_count(1)  # one offer, by the error

    page.get_by_label("Images to upload").set_input_files(
        [{"name": "more.png", "mimeType": "image/png", "buffer": images.png(100, 80)}]
    )
    entry = page.get_by_role("region", name="Upload images").get_by_role("listitem", name="more.png")
    expect(entry).to_contain_text("This costs 50 coins and the balance is 30.")
    expect(entry.get_by_role("link", name="Buy coins")).to_be_visible()
    keep(page, "22-out-of-coins-offers-the-packs")

    tile(page, "a lake").get_by_role("button", name="Open a lake").click()
    detail = page.get_by_role("dialog", name="a lake")
    detail.get_by_label("Describe the change").fill("at dawn")
    detail.get_by_role("button", name="Edit \u00b7 100 coins").click()
    expect(detail.get_by_role("alert")).to_contain_text("This costs 100 coins and the balance is 30.")
    detail.get_by_role("alert").get_by_role("link", name="Buy coins").click()

    expect(detail).to_be_hidden()
    expect(page).to_have_url(f"{api.stack.api_url}/app/#buy")
    expect(page.get_by_role("region", name="Buy coins").get_by_role("listitem")).to_have_count(4)
    expect(
        page.get_by_role("navigation", name="Views").get_by_role("button", name="Buy coins")
    ).to_have_attribute("aria-current", "page")


def paid(api: Api, buyer: Session, pack: str, balance: int) -> dict[str, Any]:
    """A pack bought and paid through the API and the local Stripe, its coins credited."""
    opened = checkout(api, buyer, pack)
    pay(api, opened)
    eventually(lambda: coins(api, buyer) == balance)
    return opened


def test_the_coin_history_names_purchases_refunds_and_disputes_with_their_order(page: Page, api: Api) -> None:
    email = new_email()
    buyer = api.sign_in(email)
    starter = paid(api, buyer, "starter", 1500)
    creator = paid(api, buyer, "creator", 3500)
    admin = api.sign_in(ADMIN_EMAIL)
    api.call(
        "POST", f"/users/{buyer.user['id']}/coins", admin.token, json={"amount": -3500, "reason": "spent"}
    )
    refund = f"/_dev/stripe/payment_intents/{order(api, buyer, starter)['paymentIntentId']}/refund"
    assert api.call("POST", refund, json={}).status_code == 200
    eventually(lambda: coins(api, buyer) == -500)
    dispute = f"/_dev/stripe/payment_intents/{order(api, buyer, creator)['paymentIntentId']}/dispute"
    disputed = api.call("POST", dispute, json={})
    assert disputed.status_code == 200, disputed.text
    eventually(lambda: coins(api, buyer) == -2500)

    sign_in(page, api, email)
    expect(header_balance(page)).to_have_text("-2,500 coins")
    expect(header_balance(page)).to_have_class(re.compile(r"\bowing\b"))  # shown as owed
    buy_view(page)
    packs = page.get_by_role("region", name="Buy coins")
    expect(packs).to_contain_text("A payment of yours is disputed")
    packs.get_by_role("listitem", name="Starter").get_by_role("button", name="Buy for $1.99").click()
    expect(packs.get_by_role("listitem", name="Starter").get_by_role("alert")).to_have_text(
        "You cannot buy coins while a payment of yours is disputed; contact support."
    )  # the API's words, by the button
    mine = rows_of(page, "Your orders")
    expect(mine.nth(0)).to_contain_text("Creator")
    expect(mine.nth(0).locator(".status")).to_have_text("Disputed")
    expect(mine.nth(1).locator(".status")).to_have_text("Refunded")
    keep(page, "23-frozen")

    closed = api.call(
        "POST", f"/_dev/stripe/disputes/{disputed.json()['dispute']['id']}/close", json={"status": "won"}
    )
    assert closed.status_code == 200, closed.text
    eventually(lambda: coins(api, buyer) == -500)
    page.get_by_role("navigation", name="Views").get_by_role("button", name="Coins", exact=True).click()
    history = page.get_by_role("region", name="Coin history")
    expect(history).to_contain_text("Your balance is below zero")
    rows = rows_of(page, "Coin history")
    expected = [  # newest first: what, its order, coins, balance
        ("Dispute won", "Order of Creator, $5.99", "+2,000", "-500"),
        ("Disputed payment", "Order of Creator, $5.99", "-2,000", "-2,500"),
        ("Refund of a purchase", "Order of Starter, $1.99", "-500", "-500"),
        ("Taken by an admin \u00b7 spent", "", "-3,500", "0"),
        ("Bought Creator", "Order of Creator, $5.99", "+2,000", "3,500"),
        ("Bought Starter", "Order of Starter, $1.99", "+500", "1,500"),
        ("Welcome coins", "", "+1,000", "1,000"),
    ]
    expect(rows).to_have_count(len(expected))
    for row, (what, about, amount, balance) in zip(rows.all(), expected, strict=True):
        cells = row.get_by_role("cell")
        expect(cells.nth(1)).to_have_text(what)
        expect(cells.nth(2)).to_have_text(about)
        expect(cells.nth(3)).to_have_text(amount)
        expect(cells.nth(4)).to_have_text(balance)
    expect(rows.nth(0).get_by_role("cell").nth(4)).to_have_class(re.compile(r"\bspent\b"))
    keep(page, "24-coin-history-purchases")

    rows.nth(5).get_by_role("link", name="Order of Starter, $1.99").click()
    expect(page).to_have_url(f"{api.stack.api_url}/app/#order/{starter['order']['id']}")
    outcome = page.get_by_role("region", name="Your purchase")
    expect(outcome.get_by_role("heading")).to_have_text("This purchase was refunded")
    expect(outcome).to_contain_text("Its 500 coins were taken back.")


def test_an_admin_sees_a_users_orders_beside_their_images(page: Page, api: Api) -> None:
    buyer = api.sign_in(new_email())
    titled_upload(api, buyer, "a bought view", images.png(200, 150))
    paid(api, buyer, "starter", 1450)
    checkout(api, buyer, "studio")  # opened, never paid
    sign_in(page, api, ADMIN_EMAIL)

    page.get_by_role("navigation", name="Views").get_by_role("button", name="Admin").click()
    users = page.get_by_role("region", name="Users")
    users.get_by_label("Search by email").fill(buyer.user["email"])
    expect(users.locator("tbody").get_by_role("row")).to_have_count(1)
    users.get_by_role("button", name=f"Manage {buyer.user['email']}").click()
    manage = users.get_by_role("group", name=f"Manage {buyer.user['email']}")
    expect(manage.get_by_role("region", name="Their latest images").get_by_role("img")).to_have_count(1)
    theirs = manage.get_by_role("region", name="Their orders").locator("tbody").get_by_role("row")
    expect(theirs).to_have_count(2)
    expect(theirs.nth(0)).to_contain_text("Studio")
    expect(theirs.nth(0)).to_contain_text("$14.99")
    expect(theirs.nth(0).locator(".status")).to_have_text("Not paid yet")
    expect(theirs.nth(1)).to_contain_text("Starter")
    expect(theirs.nth(1).locator(".status")).to_have_text("Paid")
    expect(theirs.get_by_role("link")).to_have_count(0)  # the outcome pages are the buyer's
    keep(page, "25-admin-orders")


def test_the_buy_coins_view_fits_a_phone_without_sideways_scrolling(page: Page, api: Api) -> None:
    email = new_email()
    buyer = api.sign_in(email)
    bought = paid(api, buyer, "pro", 16_000)
    checkout(api, buyer, "starter")
    page.set_viewport_size({"width": 360, "height": 780})
    sign_in(page, api, email)

    page.goto(f"{api.stack.api_url}/app/#order/{bought['order']['id']}")
    outcome = page.get_by_role("region", name="Your purchase")
    expect(outcome.get_by_role("heading")).to_have_text("15,000 coins added")
    expect(rows_of(page, "Your orders")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "buy"
    keep(page, "26-phone-buy")

    page.get_by_role("navigation", name="Views").get_by_role("button", name="Coins", exact=True).click()
    expect(rows_of(page, "Coin history").first.get_by_role("link")).to_have_text("Order of Pro, $29.99")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "coins"
    keep(page, "26-phone-coins")
