"""Stripe's webhook route against any body: unsigned bytes, and JSON signed with the endpoint's real
secret (as only Stripe could) in shapes Stripe never sends. Never a 5xx, never a coin moved for
what is not a paid order of ours, and the ledger still sums to every balance."""

from __future__ import annotations

import json
import time
from typing import Any

import hypothesis
from hypothesis import strategies as st

from standins.stripe import signature_header
from tests.e2e.conftest import Api, Session
from tests.fuzz.conftest import every_user

EVENT_TYPES = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
    "payment_intent.succeeded",
]
SETTINGS = hypothesis.settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)
# Shaped like Stripe's events, with whatever inside: the handlers must read them defensively.
EVENTS = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=30) | st.integers(),
        "type": st.sampled_from(EVENT_TYPES) | st.text(max_size=30),
        "data": st.fixed_dictionaries(
            {
                "object": st.fixed_dictionaries(
                    {},
                    optional={
                        "id": st.text(min_size=1, max_size=30),
                        "amount": JSON_VALUES,
                        "amount_total": JSON_VALUES,
                        "currency": JSON_VALUES,
                        "payment_status": st.sampled_from(["paid", "unpaid"]) | st.text(max_size=8),
                        "status": st.sampled_from(["won", "lost", "complete"]) | st.text(max_size=8),
                        "payment_intent": JSON_VALUES,
                        "metadata": JSON_VALUES,
                        "client_reference_id": JSON_VALUES,
                    },
                )
                | JSON_VALUES
            }
        )
        | JSON_VALUES,
    }
)


def post(api: Api, body: bytes, signature: str | None) -> int:
    headers = {"Content-Type": "application/json", **({"Stripe-Signature": signature} if signature else {})}
    return api.call("POST", "/payments/stripe/webhook", data=body, headers=headers).status_code


# What an HTTP header can carry: printable ASCII (a client cannot send the rest at all).
HEADER_VALUES = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=120)


@SETTINGS
@hypothesis.given(body=st.binary(max_size=2048), signature=st.none() | HEADER_VALUES)
def test_any_unsigned_body_is_a_clean_refusal(api: Api, body: bytes, signature: str | None) -> None:
    assert post(api, body, signature) in (400, 413)


@SETTINGS
@hypothesis.given(event=EVENTS)
def test_any_signed_event_is_answered_without_a_server_error(api: Api, event: dict[str, Any]) -> None:
    payload = json.dumps(event)
    signature = signature_header(payload, api.stack.stripe.webhook_secret, int(time.time()))

    assert post(api, payload.encode(), signature) in (200, 400)


def test_afterwards_every_balance_is_still_the_sum_of_its_ledger(api: Api, admin: Session) -> None:
    from tests.e2e.conftest import ledger_sum

    for listed in every_user(api, admin):
        assert listed["coins"] == ledger_sum(api, listed["id"]), listed["email"]
