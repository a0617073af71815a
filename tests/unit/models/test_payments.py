"""The coin packs: what a valid list is, refused loudly when wrong, and the template's default."""

from __future__ import annotations

import json

import pytest

from imagegen.config import MissingSettings, PaymentSettings, read_area
from imagegen.models.payments import CoinPacks, CoinPacksInvalid
from stacktools.template import load_template

PACK = {"id": "starter", "name": "Starter", "coins": 500, "price": {"amount": 199, "currency": "usd"}}


def test_the_templates_default_packs_are_valid_and_each_coin_costs_less_than_a_cent() -> None:
    packs = CoinPacks.parse(load_template()["Parameters"]["CoinPacks"]["Default"])

    assert [pack.id for pack in packs.packs] == ["starter", "creator", "studio", "pro"]
    for pack in packs.packs:
        # Google's price behind a coin is $0.000336 (README "Buying coins"): every pack leaves a margin
        # after Stripe's fee (2.9% + 30 cents) even if all of its coins make images.
        google = pack.coins * 0.0336 / 100
        stripe = pack.price.amount * 0.029 / 100 + 0.30
        assert pack.price.amount / 100 - google - stripe > 1
    assert packs.get("pro") is not None
    assert packs.get("nothing") is None


@pytest.mark.parametrize(
    ("packs", "wrong"),
    [
        ("not json", "not JSON"),
        ("[]", "packs"),
        (json.dumps([PACK, PACK]), "same id"),
        (json.dumps([{**PACK, "coins": 0}]), "coins"),
        (
            json.dumps([{**PACK, "price": {"amount": 49, "currency": "usd"}}]),
            "amount",
        ),  # below Stripe's least
        (json.dumps([{**PACK, "price": {"amount": 199, "currency": "USD"}}]), "currency"),
        (json.dumps([{**PACK, "colour": "gold"}]), "colour"),  # a misspelt key is an error, not ignored
        (json.dumps([{**PACK, "id": "Big Pack"}]), "id"),
    ],
)
def test_a_wrong_list_of_packs_is_refused_saying_what_is_wrong(packs: str, wrong: str) -> None:
    with pytest.raises(CoinPacksInvalid, match=wrong):
        CoinPacks.parse(packs)


def test_a_function_configured_with_wrong_packs_refuses_to_start_naming_them() -> None:
    environ = {
        "ORDERS_TABLE": "orders",
        "PAYMENT_EVENTS_TABLE": "events",
        "COIN_PACKS": json.dumps([{**PACK, "coins": -5}]),
        "CHECKOUTS_PER_DAY": "10",
        "CHECKOUT_RETURN_URL": "https://app.example.com/",
        "STRIPE_API_KEY_SECRET_ARN": "arn:key",
        "STRIPE_WEBHOOK_SECRET_ARN": "arn:webhook",
        "STRIPE_API_BASE": "",
        "CHECKOUT_LIMITS_TABLE": "rate-limits",
        "CHECKOUT_IDEMPOTENCY_TABLE": "idempotency",
    }
    with pytest.raises(MissingSettings, match="coin packs are not valid"):
        read_area(PaymentSettings, environ)
    with pytest.raises(MissingSettings, match="CHECKOUT_RETURN_URL"):
        read_area(PaymentSettings, {**environ, "COIN_PACKS": json.dumps([PACK]), "CHECKOUT_RETURN_URL": ""})
    assert (
        read_area(PaymentSettings, {**environ, "COIN_PACKS": json.dumps([PACK])}).coin_packs.packs[0].coins
        == 500
    )
