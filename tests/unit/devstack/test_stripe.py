"""The local Stripe stand-in, driven by Stripe's official SDK over HTTP (as the payments function
drives it), with a webhook receiver that verifies what it is sent with the SDK's own check."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import stripe
from werkzeug.wrappers import Request, Response

from standins.stripe import (
    PAGE_LANGUAGES,
    PAGE_WORDS,
    TEST_CARDS,
    LocalStripe,
    decode_form,
    format_amount,
    luhn_valid,
    new_secret_key,
    new_webhook_secret,
    signature_header,
)
from tests.loopback import serving

KEY = new_secret_key()
SECRET = new_webhook_secret()
PREFIX = "/_dev/stripe"


class Receiver:
    """A webhook endpoint: records each delivery, answers with the statuses it is given (then 200)."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[bytes, dict[str, str]]] = []
        self.statuses: list[int] = []
        self._changed = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._changed:
            self.deliveries.append((request.get_data(), dict(request.headers)))
            status = self.statuses.pop(0) if self.statuses else 200
            self._changed.notify_all()
        return Response("ok" if status < 300 else "no", status)(environ, start_response)

    def events(self) -> list[dict[str, Any]]:
        with self._changed:
            return [json.loads(body) for body, _ in self.deliveries]

    def types(self) -> list[str]:
        return [event["type"] for event in self.events()]

    def wait_for(self, event_type: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The events of ``event_type`` once ``count`` of them have arrived."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [json.loads(b) for b, _ in self.deliveries if json.loads(b)["type"] == event_type]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                assert left > 0, f"no {event_type} after {timeout} s; got {self.types()}"
                self._changed.wait(left)


class _Deferred:
    app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


@dataclass
class Local:
    stripe: LocalStripe
    url: str
    client: stripe.StripeClient
    receiver: Receiver

    @property
    def base(self) -> str:
        return f"{self.url}{PREFIX}"

    def control(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, f"{self.base}{path}", json=body, timeout=10)

    def session(self, **params: Any) -> stripe.checkout.Session:
        return self.client.v1.checkout.sessions.create({**session_params(), **params})

    def pay(self, session_id: str, **body: Any) -> requests.Response:
        return self.control(
            "POST", f"/checkout/sessions/{session_id}/pay", body or {"card": "4242424242424242"}
        )


def session_params(amount: int = 1000, currency: str = "eur") -> dict[str, Any]:
    """What the payments function asks for: one coin pack."""
    return {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": currency,
                    "unit_amount": amount,
                    "product_data": {"name": "1,000 coins", "description": "A pack of coins"},
                },
                "quantity": 1,
            }
        ],
        "client_reference_id": "user-1",
        "metadata": {"orderId": "order-1", "userId": "user-1"},
        "payment_intent_data": {"metadata": {"orderId": "order-1"}},
        "success_url": "http://127.0.0.1:9/app/?checkout={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://127.0.0.1:9/app/#coins",
    }


def wsgi(local: LocalStripe) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        return local.handle(Request(environ))(environ, start_response)

    return app


@pytest.fixture
def local() -> Iterator[Local]:
    receiver = Receiver()
    deferred = _Deferred()
    with serving(receiver) as hooks, serving(deferred) as url:
        served = LocalStripe(
            KEY,
            SECRET,
            f"{hooks}/api/v1/payments/stripe/webhook",
            f"{url}{PREFIX}",
            retry_delays=(0.05, 0.1, 0.2),
            settle_seconds=0.2,
        )
        deferred.app = wsgi(served)
        served.start()
        client = stripe.StripeClient(KEY, base_addresses={"api": f"{url}{PREFIX}"}, max_network_retries=0)
        try:
            yield Local(served, url, client, receiver)
        finally:
            served.stop()


def verified(body: bytes, headers: Mapping[str, str], secret: str = SECRET) -> stripe.Event:
    return stripe.Webhook.construct_event(body, headers["Stripe-Signature"], secret)


# ------------------------------------------------------------------ sessions through the SDK
def test_the_sdk_creates_retrieves_lists_and_expires_a_session(local: Local) -> None:
    created = local.session()

    assert created.id.startswith("cs_test_")
    assert created.object == "checkout.session"
    assert (created.status, created.payment_status, created.mode) == ("open", "unpaid", "payment")
    assert (created.amount_total, created.currency) == (1000, "eur")
    assert created.payment_intent is None  # made when the customer pays, as in Stripe's current API
    assert created.client_reference_id == "user-1"
    assert created.metadata.to_dict() == {"orderId": "order-1", "userId": "user-1"}
    assert created.url == f"{local.base}/checkout/pay/{created.id}"
    assert created.livemode is False
    assert created.expires_at - created.created == 24 * 3600
    assert "line_items" not in created  # only when expanded

    again = local.client.v1.checkout.sessions.retrieve(created.id, {"expand": ["line_items"]})
    item = again.line_items.data[0]
    assert (item.description, item.quantity, item.amount_total, item.price.unit_amount) == (
        "1,000 coins",
        1,
        1000,
        1000,
    )

    listed = local.client.v1.checkout.sessions.list({"status": "open", "limit": 5})
    assert created.id in [session.id for session in listed.data]
    assert listed.object == "list"
    assert listed.url == "/v1/checkout/sessions"

    expired = local.client.v1.checkout.sessions.expire(created.id)
    assert (expired.status, expired.url) == ("expired", None)
    assert local.receiver.wait_for("checkout.session.expired")[0]["data"]["object"]["id"] == created.id
    with pytest.raises(stripe.InvalidRequestError) as refused:
        local.client.v1.checkout.sessions.expire(created.id)
    assert "has a status of `expired`" in str(refused.value.user_message)


def test_the_sdk_pages_through_sessions_newest_first(local: Local) -> None:
    ids = [local.session().id for _ in range(5)]

    first = local.client.v1.checkout.sessions.list({"limit": 2})
    assert [session.id for session in first.data] == ids[::-1][:2]
    assert first.has_more is True
    every = [session.id for session in first.auto_paging_iter()]
    assert every == ids[::-1]

    # A cursor the filter no longer matches (a session that expired since) still marks its place.
    first_open = local.client.v1.checkout.sessions.list({"status": "open", "limit": 1}).data[0]
    local.client.v1.checkout.sessions.expire(first_open.id)
    after = local.client.v1.checkout.sessions.list({"status": "open", "starting_after": first_open.id})
    assert [session.id for session in after.data] == ids[::-1][1:]

    since = local.client.v1.checkout.sessions.list({"created": {"gte": int(time.time()) - 60}, "limit": 100})
    assert set(ids) <= {session.id for session in since.data}
    assert local.client.v1.checkout.sessions.list({"status": "complete"}).data == []


def test_a_session_keeps_the_locale_it_was_opened_in(local: Local) -> None:
    spanish = local.session(locale="es")

    assert spanish.locale == "es"
    assert local.client.v1.checkout.sessions.retrieve(spanish.id).locale == "es"
    assert local.session(locale="auto").locale == "auto"
    assert local.session(locale="pt-BR").locale == "pt-BR"
    assert local.session().locale is None


def test_expires_at_is_30_minutes_to_24_hours_from_creation(local: Local) -> None:
    now = int(time.time())
    assert local.session(expires_at=now + 31 * 60).expires_at == now + 31 * 60

    for expires_at, words in (
        (now + 10 * 60, "at least 30 minutes"),
        (now + 25 * 3600, "less than 24 hours"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            local.session(expires_at=expires_at)
        assert refused.value.param == "expires_at"
        assert refused.value.http_status == 400
        assert words in str(refused.value.user_message)


def test_bad_parameters_are_refused_as_stripe_refuses_them(local: Local) -> None:
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        local.session(colour="blue")
    assert (unknown.value.param, unknown.value.code) == ("colour", "parameter_unknown")
    assert str(unknown.value.user_message) == "Received unknown parameter: colour"

    items = session_params()["line_items"]
    del items[0]["price_data"]["currency"]
    with pytest.raises(stripe.InvalidRequestError) as missing:
        local.session(line_items=items)
    assert missing.value.param == "line_items[0][price_data][currency]"
    assert str(missing.value.user_message) == "Missing required param: line_items[0][price_data][currency]."

    with pytest.raises(stripe.InvalidRequestError) as not_integer:
        local.session(line_items=[{**session_params()["line_items"][0], "quantity": "two"}])
    assert not_integer.value.param == "line_items[0][quantity]"

    with pytest.raises(stripe.InvalidRequestError) as not_served:
        local.session(mode="subscription")
    assert "does not implement mode=subscription" in str(not_served.value.user_message)

    with pytest.raises(stripe.InvalidRequestError) as bad_locale:
        local.session(locale="ca")
    assert (bad_locale.value.http_status, bad_locale.value.param) == (400, "locale")
    assert str(bad_locale.value.user_message).startswith("Invalid locale: must be one of auto, bg, cs, ")
    assert str(bad_locale.value.user_message).endswith(", zh, zh-HK, or zh-TW")

    with pytest.raises(stripe.InvalidRequestError) as too_small:
        local.client.v1.checkout.sessions.create(session_params(amount=20, currency="usd"))
    assert too_small.value.code == "amount_too_small"


def test_a_wrong_or_missing_key_is_401_and_basic_auth_is_taken(local: Local) -> None:
    wrong = stripe.StripeClient("sk_test_" + "x" * 99, base_addresses={"api": local.base})
    with pytest.raises(stripe.AuthenticationError) as refused:
        wrong.v1.checkout.sessions.list()
    assert refused.value.http_status == 401
    assert str(refused.value.user_message).startswith("Invalid API Key provided: sk_test_****")

    bare = requests.get(f"{local.base}/v1/checkout/sessions", timeout=10)
    assert bare.status_code == 401
    assert bare.json()["error"]["type"] == "invalid_request_error"
    assert bare.json()["error"]["message"].startswith("You did not provide an API key.")

    basic = requests.get(f"{local.base}/v1/checkout/sessions", auth=(KEY, ""), timeout=10)
    assert basic.status_code == 200
    assert basic.json()["object"] == "list"
    assert basic.headers["Request-Id"].startswith("req_")


def test_unknown_ids_are_404_resource_missing(local: Local) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        local.client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert missing.value.http_status == 404
    assert (missing.value.code, missing.value.param) == ("resource_missing", "session")
    assert str(missing.value.user_message) == "No such checkout.session: 'cs_test_nope'"

    with pytest.raises(stripe.InvalidRequestError) as intent:
        local.client.v1.payment_intents.retrieve("pi_nope")
    assert str(intent.value.user_message) == "No such payment_intent: 'pi_nope'"

    unserved = requests.post(f"{local.base}/v1/customers", auth=(KEY, ""), timeout=10)
    assert unserved.status_code == 404
    assert unserved.json()["error"]["message"].startswith("Unrecognized request URL (POST: /v1/customers).")


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_request(local: Local) -> None:
    first = local.client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "order-1"})
    again = local.client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "order-1"})
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(local.client.v1.checkout.sessions.list({"limit": 100}).data) == 1

    with pytest.raises(stripe.IdempotencyError) as refused:
        local.client.v1.checkout.sessions.create(session_params(amount=2000), {"idempotency_key": "order-1"})
    assert refused.value.http_status == 400
    assert "Try using a key other than 'order-1'" in str(refused.value.user_message)

    # A request refused before it ran is not kept: the key is free for a corrected one.
    with pytest.raises(stripe.InvalidRequestError):
        local.client.v1.checkout.sessions.create(
            {**session_params(), "colour": "x"}, {"idempotency_key": "k2"}
        )
    assert (
        local.client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "k2"}).id != first.id
    )


def test_the_sdk_sends_forms_with_brackets_that_the_decoder_reads(local: Local) -> None:
    assert decode_form(
        [
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][quantity]", "1"),
            ("expand[]", "payment_intent"),
            ("expand[]", "line_items"),
            ("metadata[a]", "b"),
        ]
    ) == {
        "line_items": {"0": {"price_data": {"currency": "eur"}, "quantity": "1"}},
        "expand": ["payment_intent", "line_items"],
        "metadata": {"a": "b"},
    }
    for pairs in (
        [("a", "1"), ("a[b]", "2")],
        [("a[b]", "1"), ("a", "2")],
        [("a[][b]", "1")],
        [("[x]", "1")],
    ):
        with pytest.raises(Exception, match="Invalid"):
            decode_form(pairs)
    # curl's spelling of a list works as the SDK's does.
    session = local.session()
    raw = requests.get(
        f"{local.base}/v1/checkout/sessions/{session.id}?expand[]=line_items", auth=(KEY, ""), timeout=10
    )
    assert raw.json()["line_items"]["data"][0]["quantity"] == 1


def test_a_post_that_is_not_a_form_is_refused(local: Local) -> None:
    answer = requests.post(
        f"{local.base}/v1/checkout/sessions", json=session_params(), auth=(KEY, ""), timeout=10
    )
    assert answer.status_code == 400
    assert "application/x-www-form-urlencoded" in answer.json()["error"]["message"]


# ------------------------------------------------------------------ paying, events, webhooks
def test_paying_with_4242_sends_completed_signed_as_stripe_signs(local: Local) -> None:
    session = local.session()

    paid = local.pay(session.id)

    assert paid.status_code == 200, paid.text
    assert paid.json()["redirect"] == f"http://127.0.0.1:9/app/?checkout={session.id}"
    completed = local.receiver.wait_for("checkout.session.completed")[0]
    body, headers = next(
        (b, h) for b, h in local.receiver.deliveries if json.loads(b)["type"] == "checkout.session.completed"
    )
    event = verified(body, headers)
    assert event.id == completed["id"]
    assert event.id.startswith("evt_")
    assert event.api_version == stripe.api_version
    assert event.livemode is False
    assert event.request.id is None
    paid_session = event.data.object
    assert (paid_session.id, paid_session.status, paid_session.payment_status) == (
        session.id,
        "complete",
        "paid",
    )
    assert paid_session.client_reference_id == "user-1"
    assert paid_session.metadata["orderId"] == "order-1"
    assert paid_session.payment_intent.startswith("pi_")
    with pytest.raises(stripe.SignatureVerificationError):
        verified(body, headers, secret=new_webhook_secret())

    retrieved = local.client.v1.checkout.sessions.retrieve(
        session.id, {"expand": ["payment_intent.latest_charge"]}
    )
    intent = retrieved.payment_intent
    assert (intent.status, intent.amount_received, intent.metadata["orderId"]) == (
        "succeeded",
        1000,
        "order-1",
    )
    charge = intent.latest_charge
    assert (charge.amount, charge.amount_refunded, charge.paid, charge.disputed) == (1000, 0, True, False)
    assert charge.payment_method_details.card.last4 == "4242"
    assert local.client.v1.charges.retrieve(charge.id).payment_intent == intent.id
    assert local.receiver.wait_for("payment_intent.succeeded")[0]["data"]["object"]["id"] == intent.id

    again = local.pay(session.id)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "SESSION_NOT_OPEN"


def test_0002_is_declined_and_the_session_stays_open(local: Local) -> None:
    session = local.session()

    declined = local.pay(session.id, card="4000 0000 0000 0002")

    assert declined.status_code == 402
    assert declined.json()["error"]["message"] == "Your card was declined."
    assert declined.json()["error"]["details"]["declineCode"] == "generic_decline"
    failed = local.receiver.wait_for("payment_intent.payment_failed")[0]["data"]["object"]
    assert failed["last_payment_error"]["decline_code"] == "generic_decline"
    assert local.client.v1.checkout.sessions.retrieve(session.id).status == "open"
    poor = local.pay(session.id, card="4000000000009995")
    assert poor.json()["error"]["message"] == "Your card has insufficient funds."
    assert local.pay(session.id, card="4242424242424241").json()["error"]["code"] == "INCORRECT_NUMBER"

    assert local.pay(session.id).status_code == 200  # the same PaymentIntent, paid at last
    local.receiver.wait_for("checkout.session.completed")
    assert local.receiver.types().count("checkout.session.completed") == 1
    intent = local.client.v1.payment_intents.retrieve(failed["id"])
    assert intent.status == "succeeded"


def test_a_delayed_method_completes_unpaid_then_succeeds_or_fails(local: Local) -> None:
    good, bad = local.session(), local.session()

    assert local.pay(good.id, method="delayed", outcome="succeeds").status_code == 200
    assert local.pay(bad.id, method="delayed", outcome="fails").status_code == 200

    completed = {
        e["data"]["object"]["id"]: e for e in local.receiver.wait_for("checkout.session.completed", 2)
    }
    assert completed[good.id]["data"]["object"]["payment_status"] == "unpaid"
    succeeded = local.receiver.wait_for("checkout.session.async_payment_succeeded")[0]["data"]["object"]
    failed = local.receiver.wait_for("checkout.session.async_payment_failed")[0]["data"]["object"]
    assert (succeeded["id"], succeeded["payment_status"]) == (good.id, "paid")
    assert (failed["id"], failed["payment_status"]) == (bad.id, "unpaid")
    types = local.receiver.types()
    assert types.index("checkout.session.completed") < types.index("checkout.session.async_payment_succeeded")
    intent = local.client.v1.payment_intents.retrieve(failed["payment_intent"])
    assert intent.status == "requires_payment_method"
    assert intent.payment_method_types == ["sepa_debit"]  # a euro session's delayed method


def test_refunds_partial_then_full_send_charge_refunded(local: Local) -> None:
    session = local.session()
    local.pay(session.id)
    intent = local.receiver.wait_for("payment_intent.succeeded")[0]["data"]["object"]["id"]

    partial = local.client.v1.refunds.create({"payment_intent": intent, "amount": 300})
    assert (partial.object, partial.amount, partial.status) == ("refund", 300, "succeeded")
    rest = local.control("POST", f"/payment_intents/{intent}/refund", {})
    assert rest.status_code == 200
    assert rest.json()["refund"]["amount"] == 700

    refunded = [e["data"]["object"] for e in local.receiver.wait_for("charge.refunded", 2)]
    assert [(c["amount_refunded"], c["refunded"]) for c in refunded] == [(300, False), (1000, True)]
    charge = local.client.v1.charges.retrieve(partial.charge, {"expand": ["refunds"]})
    assert [refund.amount for refund in charge.refunds.data] == [700, 300]
    assert "refunds" not in local.client.v1.charges.retrieve(partial.charge)  # only when expanded
    listed = local.client.v1.refunds.list({"charge": partial.charge, "limit": 100})
    assert [refund.amount for refund in listed.data] == [700, 300]
    assert local.client.v1.refunds.list({"payment_intent": "pi_other"}).data == []
    with pytest.raises(stripe.InvalidRequestError) as again:
        local.client.v1.refunds.create({"charge": partial.charge})
    assert again.value.code == "charge_already_refunded"
    event = local.client.v1.events.retrieve(local.receiver.wait_for("refund.created")[0]["id"])
    assert event.request.id is not None  # the API call that made the first refund
    too_much = local.control("POST", f"/payment_intents/{intent}/refund", {"amount": 5})
    assert too_much.status_code == 409


def test_disputes_are_created_and_closed_won_or_lost(local: Local) -> None:
    won, lost = local.session(), local.session()
    local.pay(won.id)
    local.pay(lost.id)
    intents = {
        e["data"]["object"]["id"]: e["data"]["object"]["payment_intent"]
        for e in local.receiver.wait_for("checkout.session.completed", 2)
    }

    disputes = {}
    for session in (won, lost):
        opened = local.control(
            "POST", f"/payment_intents/{intents[session.id]}/dispute", {"reason": "fraudulent"}
        )
        assert opened.status_code == 200, opened.text
        disputes[session.id] = opened.json()["dispute"]
    assert disputes[won.id]["status"] == "needs_response"
    assert disputes[won.id]["amount"] == 1000
    assert (
        local.control("POST", f"/disputes/{disputes[won.id]['id']}/close", {"status": "won"}).status_code
        == 200
    )
    assert (
        local.control("POST", f"/disputes/{disputes[lost.id]['id']}/close", {"status": "lost"}).status_code
        == 200
    )

    local.receiver.wait_for("charge.dispute.created", 2)
    local.receiver.wait_for("charge.dispute.funds_withdrawn", 2)
    closed = {
        e["data"]["object"]["id"]: e["data"]["object"]["status"]
        for e in local.receiver.wait_for("charge.dispute.closed", 2)
    }
    assert closed == {disputes[won.id]["id"]: "won", disputes[lost.id]["id"]: "lost"}
    reinstated = local.receiver.wait_for("charge.dispute.funds_reinstated")
    assert [e["data"]["object"]["id"] for e in reinstated] == [disputes[won.id]["id"]]
    assert local.client.v1.charges.retrieve(disputes[won.id]["charge"]).disputed is True
    with pytest.raises(stripe.InvalidRequestError) as refused:
        local.client.v1.refunds.create({"payment_intent": intents[lost.id]})
    assert refused.value.code == "charge_disputed"
    again = local.control("POST", f"/disputes/{disputes[won.id]['id']}/close", {"status": "lost"})
    assert again.status_code == 409


def test_card_0259_pays_and_is_disputed_soon_after_as_stripe_s_test_card_is(local: Local) -> None:
    session = local.session()

    assert local.pay(session.id, card="4000 0000 0000 0259").status_code == 200

    local.receiver.wait_for("checkout.session.completed")
    dispute = local.receiver.wait_for("charge.dispute.created")[0]["data"]["object"]
    assert (dispute["reason"], dispute["status"], dispute["amount"]) == ("fraudulent", "needs_response", 1000)
    assert local.client.v1.disputes.retrieve(dispute["id"]).charge == dispute["charge"]


def test_a_delivery_answered_500_is_retried_until_2xx_each_try_signed_anew(local: Local) -> None:
    local.receiver.statuses = [500, 503]
    session = local.session()
    local.stripe.set_delivering(False)  # the first event (expired) is what the receiver answers 500 to
    local.client.v1.checkout.sessions.expire(session.id)
    local.stripe.set_delivering(True)

    local.receiver.wait_for("checkout.session.expired", 3)

    tries = [
        (b, h) for b, h in local.receiver.deliveries if json.loads(b)["type"] == "checkout.session.expired"
    ]
    for body, headers in tries:
        verified(body, headers)
    logged = local.control("GET", "/events?type=checkout.session.expired").json()["events"][0]
    deadline = time.monotonic() + 5
    while logged["delivery"]["state"] != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.02)
        logged = local.control("GET", "/events?type=checkout.session.expired").json()["events"][0]
    assert [a["status"] for a in logged["delivery"]["attempts"]] == [500, 503, 200]
    assert logged["event"]["pending_webhooks"] == 0
    assert local.client.v1.events.retrieve(logged["id"]).pending_webhooks == 0


def test_a_connection_failure_is_retried_then_given_up_and_resent_by_hand() -> None:
    now = [1_800_000_000.0]
    endpoint_up = [False]

    def send(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
        if not endpoint_up[0]:
            raise ConnectionRefusedError("Connection refused")
        return 204, ""

    local = offline(now, send, retry_delays=(10, 20))
    _expire(local, _create(local))
    for step in (0, 9, 1, 19, 1, 100):
        now[0] += step
        local.run_due()
    log = local.event_log(1)[0]
    assert [(a["at"] - 1_800_000_000, a["error"]) for a in log["delivery"]["attempts"]] == [
        (0, "Connection refused"),
        (10, "Connection refused"),
        (30, "Connection refused"),
    ]
    assert log["delivery"]["state"] == "failed"
    assert log["event"]["pending_webhooks"] == 1

    endpoint_up[0] = True
    assert local.resend(log["id"])["status"] == 204
    assert local.event_log(1)[0]["delivery"]["state"] == "succeeded"


def test_deliveries_held_back_wait_and_an_event_can_be_resent(local: Local) -> None:
    held = local.control("POST", "/webhooks", {"deliver": False})
    assert held.json()["deliver"] is False
    session = local.session()
    local.pay(session.id)
    time.sleep(0.3)
    assert local.receiver.deliveries == []
    events = local.control("GET", "/events?limit=100").json()["events"]
    assert {e["delivery"]["state"] for e in events} == {"pending"}
    completed = next(e for e in events if e["type"] == "checkout.session.completed")

    resent = local.control("POST", f"/events/{completed['id']}/resend", {})
    assert resent.status_code == 200
    assert resent.json()["attempt"]["status"] == 200
    assert local.receiver.types() == ["checkout.session.completed"]
    # The reconciliation's view: the event is there to list, though it was never delivered.
    listed = local.client.v1.events.list({"type": "checkout.session.*", "limit": 10})
    assert [e.id for e in listed.data] == [completed["id"]]

    local.control("POST", "/webhooks", {"deliver": True})
    local.receiver.wait_for("payment_intent.succeeded")
    local.receiver.wait_for("charge.succeeded")
    assert local.receiver.types().count("checkout.session.completed") == 1  # delivered by the resend


def test_a_session_past_its_expiry_expires_with_its_event() -> None:
    now = [1_800_000_000.0]
    sent: list[dict[str, Any]] = []

    def receive(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], SECRET, tolerance=None)
        sent.append(json.loads(body))
        return 200, ""

    local = offline(now, receive)
    session = _create(local, expires_at=str(int(now[0]) + 1800))
    now[0] += 1799
    local.run_due()
    assert sent == []
    now[0] += 1
    local.run_due()
    assert [event["type"] for event in sent] == ["checkout.session.expired"]
    assert sent[0]["data"]["object"]["id"] == session["id"]
    assert (
        local.handle(_get(f"/_dev/stripe/v1/checkout/sessions/{session['id']}")).json["status"] == "expired"
    )
    refused = local.handle(
        _post_json(f"/_dev/stripe/checkout/sessions/{session['id']}/pay", {"card": "4242424242424242"})
    )
    assert refused.status_code == 409


def test_an_event_carries_the_stripe_version_it_was_asked_at(local: Local) -> None:
    older = stripe.StripeClient(KEY, base_addresses={"api": local.base}, stripe_version="2025-03-31.basil")
    session = older.v1.checkout.sessions.create(session_params())
    local.pay(session.id)
    assert local.receiver.wait_for("checkout.session.completed")[0]["api_version"] == "2025-03-31.basil"
    bad = requests.get(
        f"{local.base}/v1/events", auth=(KEY, ""), headers={"Stripe-Version": "yesterday"}, timeout=10
    )
    assert bad.status_code == 400
    assert "Invalid Stripe API version" in bad.json()["error"]["message"]


# ------------------------------------------------------------------ the hosted page and the controls
def test_the_page_shows_the_pack_and_the_amount_under_a_strict_policy(local: Local) -> None:
    session = local.session()

    page = requests.get(session.url, timeout=10)

    assert page.status_code == 200
    assert "1,000 coins" in page.text
    assert "€10.00" in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script>" not in page.text
    assert "style=" not in page.text
    assert requests.get(f"{local.base}/checkout/assets/stripe-checkout.js", timeout=10).status_code == 200
    local.client.v1.checkout.sessions.expire(session.id)
    assert "expired" in requests.get(f"{local.base}/checkout/pay/{session.id}", timeout=10).text
    assert requests.get(f"{local.base}/checkout/pay/cs_test_nope", timeout=10).status_code == 404


def test_the_page_speaks_spanish_for_a_spanish_session(local: Local) -> None:
    session = local.session(locale="es")

    page = requests.get(session.url, timeout=10)

    assert page.status_code == 200
    assert '<html lang="es">' in page.text
    for spanish in (
        "<title>Pagar a imagegen (local)</title>",
        "Modo de prueba: el sustituto local de Stripe.",
        "← Cancelar y volver a imagegen (local)",
        '<p class="total-label">Pagar</p>',
        "<span>Total a pagar</span>",
        "Datos de pago",
        '<label for="email">Correo electrónico</label>',
        "<legend>Método de pago</legend>",
        "> Tarjeta</label>",
        "> Adeudo directo SEPA (el resultado llega más tarde)</label>",  # euros: SEPA
        "El pago falla",
        "Número de tarjeta",
        "Caducidad",
        'placeholder="MM / AA"',
        "Tarjetas de prueba: 4242 4242 4242 4242 paga; 4000 0000 0000 0002 se rechaza;",
        '<button id="pay-button" type="submit">Pagar €10.00</button>',
        'data-processing="Procesando…"',  # the script's words
        'data-email-incomplete="Tu correo electrónico está incompleto."',
    ):
        assert spanish in page.text
    for english in (
        "Pay",
        "Total due",
        "Payment details",
        "Email",
        "Card",
        "Expiry",
        "Test",
        "Cancel and",
        "comes later",
    ):
        assert english not in page.text
    assert "1,000 coins" in page.text  # the line item is the service's, as it was sent

    declined = requests.post(
        f"{local.base}/checkout/sessions/{session.id}/pay",
        json={"card": "4000000000000002"},
        headers={"Accept-Language": "es"},  # the page's script asks in its language
        timeout=10,
    )
    assert declined.json()["error"]["message"] == "Se ha rechazado tu tarjeta."
    assert local.pay(session.id, card="4000000000009995").json()["error"]["message"] == (
        "Your card has insufficient funds."  # the control asked without a language: English
    )
    local.client.v1.checkout.sessions.expire(session.id)
    expired = requests.get(session.url, timeout=10).text
    assert '<html lang="es">' in expired
    assert "Esta sesión de pago ha caducado" in expired


@pytest.mark.parametrize(
    ("locale", "accept_language", "language"),
    [
        ("es", None, "es"),
        ("es-419", "en-US,en;q=0.9", "es"),  # a locale the session names wins over the browser
        ("en", "es", "en"),
        ("fr", "es", "en"),  # a locale the page does not speak: English
        ("auto", "es-MX,es;q=0.9,en;q=0.8", "es"),  # auto: the browser's, as Stripe's page does
        ("auto", "fr, en;q=0.8, es;q=0.5", "en"),
        ("auto", "en;q=0.5, es-AR;q=0.9", "es"),  # by q-value, a region matching its language
        ("auto", "es;q=0, de", "en"),
        ("auto", None, "en"),
        (None, "es", "es"),  # no locale is Stripe's default, auto
    ],
)
def test_the_page_speaks_the_sessions_locale_or_else_the_browsers(
    local: Local, locale: str | None, accept_language: str | None, language: str
) -> None:
    session = local.session(**({"locale": locale} if locale else {}))
    headers = {"Accept-Language": accept_language} if accept_language else {}

    page = requests.get(session.url, headers=headers, timeout=10).text

    assert f'<html lang="{language}">' in page
    assert ("Datos de pago" if language == "es" else "Payment details") in page


def test_the_page_words_are_written_in_each_language_with_the_same_placeholders() -> None:
    for key, words in PAGE_WORDS.items():
        assert len(words) == len(PAGE_LANGUAGES), key
        assert all(words), key
        placeholders = {tuple(sorted(re.findall(r"{[a-z]+}", text))) for text in words}
        assert len(placeholders) == 1, key


def test_a_refused_card_is_told_in_english_in_the_test_cards_own_words(local: Local) -> None:
    session = local.session()
    refused = {number: card.message for number, card in TEST_CARDS.items() if card.message}

    told = {number: local.pay(session.id, card=number).json()["error"]["message"] for number in refused}
    told_in_english = {
        number: requests.post(
            f"{local.base}/checkout/sessions/{session.id}/pay",
            json={"card": number},
            headers={"Accept-Language": "en"},
            timeout=10,
        ).json()["error"]["message"]
        for number in refused
    }

    assert told == told_in_english == refused


def test_controls_take_json_only_and_answer_in_the_stacks_envelope(local: Local) -> None:
    session = local.session()
    form = requests.post(
        f"{local.base}/checkout/sessions/{session.id}/pay", data={"card": "4242"}, timeout=10
    )
    assert form.status_code == 415
    assert set(form.json()["error"]) == {"code", "message", "details"}
    unknown = local.control(
        "POST", f"/checkout/sessions/{session.id}/pay", {"card": "4242424242424242", "x": 1}
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"]["fields"][0]["field"] == "x"
    assert (
        local.control("POST", "/checkout/sessions/cs_test_nope/pay", {"card": "4242424242424242"}).status_code
        == 404
    )
    assert local.control("POST", "/webhooks", {"deliver": "yes"}).status_code == 422


def test_money_and_cards() -> None:
    assert format_amount(1000, "eur") == "€10.00"
    assert format_amount(123456, "usd") == "$1,234.56"
    assert format_amount(500, "jpy") == "¥500"
    assert format_amount(1500, "chf") == "15.00 CHF"
    assert luhn_valid("4242424242424242")
    assert not luhn_valid("4242424242424241")
    header = signature_header('{"a": 1}', SECRET, 1_800_000_000)
    assert stripe.WebhookSignature.verify_header('{"a": 1}', header, SECRET, tolerance=None)


# ------------------------------------------------------------------ helpers for the in-process tests
def offline(now: list[float], send: Any, **options: Any) -> LocalStripe:
    """A stand-in not served nor started, on a clock the test moves (``now[0]``): ``run_due`` by hand."""
    return LocalStripe(
        KEY,
        SECRET,
        "http://127.0.0.1:9/hook",
        "http://127.0.0.1:9/_dev/stripe",
        clock=lambda: now[0],
        send=send,
        **options,
    )


def _get(path: str) -> Request:
    return Request.from_values(
        path.split("?")[0],
        query_string=path.partition("?")[2],
        method="GET",
        headers={"Authorization": f"Bearer {KEY}"},
    )


def _post_json(path: str, body: Any) -> Request:
    return Request.from_values(path, method="POST", data=json.dumps(body), content_type="application/json")


def _create(local: LocalStripe, **extra: str) -> dict[str, Any]:
    form = {
        "mode": "payment",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "1000",
        "line_items[0][price_data][product_data][name]": "1,000 coins",
        "line_items[0][quantity]": "1",
        "success_url": "http://127.0.0.1:9/app/",
        **extra,
    }
    request = Request.from_values(
        "/_dev/stripe/v1/checkout/sessions",
        method="POST",
        data=form,
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Bearer {KEY}"},
    )
    response = local.handle(request)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = json.loads(response.get_data())
    return body


def _expire(local: LocalStripe, session: dict[str, Any]) -> None:
    request = Request.from_values(
        f"/_dev/stripe/v1/checkout/sessions/{session['id']}/expire",
        method="POST",
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert local.handle(request).status_code == 200


def test_every_field_the_stand_in_writes_is_one_of_stripe_s(local: Local) -> None:
    """The SDK's classes are generated from Stripe's OpenAPI document: each field of each object the
    stand-in answers with is one of theirs (so none is made up)."""
    session = local.session()
    local.pay(session.id)
    intent_id = local.receiver.wait_for("payment_intent.succeeded")[0]["data"]["object"]["id"]
    local.client.v1.refunds.create({"payment_intent": intent_id, "amount": 100})
    dispute = local.control("POST", f"/payment_intents/{intent_id}/dispute", {}).json()["dispute"]
    base = f"{local.base}/v1"

    def raw(path: str) -> dict[str, Any]:
        answer: dict[str, Any] = requests.get(f"{base}{path}", auth=(KEY, ""), timeout=10).json()
        return answer

    paid = raw(f"/checkout/sessions/{session.id}?expand[]=line_items&expand[]=payment_intent.latest_charge")
    intent = paid["payment_intent"]
    charge = intent["latest_charge"]
    item = paid["line_items"]["data"][0]
    objects = {
        stripe.checkout.Session: paid,
        stripe.PaymentIntent: intent,
        stripe.Charge: charge,
        stripe.Refund: raw(f"/charges/{charge['id']}?expand[]=refunds")["refunds"]["data"][0],
        stripe.Dispute: raw(f"/disputes/{dispute['id']}"),
        stripe.Event: raw("/events?limit=1")["data"][0],
        stripe.LineItem: item,
        stripe.Price: item["price"],
    }
    for kind, obj in objects.items():
        fields = {name for klass in kind.__mro__ for name in getattr(klass, "__annotations__", {})}
        assert set(obj) - {"line_items", "refunds"} <= fields, (kind.__name__, set(obj) - fields)
