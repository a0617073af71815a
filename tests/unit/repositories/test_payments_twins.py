"""The payments' in-memory twins (``tests.fakes.payments``) held to what they stand for: the DynamoDB
repositories, Powertools' DynamoDB layer, and Stripe (the local stand-in, through the service's
adapter). The same scenarios on both, the same outcomes, refusals included: the fast tier trusts the
twins."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import stripe as stripe_sdk
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

from imagegen.adapters.stripe_gateway import StripeGateway
from imagegen.composition import Composition
from imagegen.errors import Conflict, PaymentsUnavailable
from imagegen.models.auth import GoogleIdentity
from imagegen.models.payments import Order, OrderStatus, Price
from imagegen.repositories.orders import OrderRepository, PaymentEventRepository
from imagegen.repositories.users import UserRepository
from imagegen.services.idempotency import at_most_once
from imagegen.services.orders import HandledEvents, Orders, PurchaseFreezes
from imagegen.services.payment_gateway import Checkout, InvalidSignature, PaymentGateway
from imagegen.services.unit_of_work import Transactions, UnitOfWork, Write
from standins.stripe import LocalStripe, new_secret_key, new_webhook_secret, signature_header
from tests.conftest import ServedStripe
from tests.fakes import InMemoryTransactions
from tests.fakes.payments import (
    InMemoryGateway,
    InMemoryHandledEvents,
    InMemoryIdempotency,
    InMemoryOrders,
    InMemoryPurchaseFreezes,
)

AT = "2026-12-04T12:00:00.000Z"
LATER = "2026-12-04T12:05:00.000Z"


class Refusal(Exception):
    """What a refused write means here."""


@dataclass
class Parts:
    """One implementation of the payments' ports, and what the test needs to look into it."""

    orders: Orders
    events: HandledEvents
    freezes: PurchaseFreezes
    transactions: Transactions
    frozen: Callable[[str], bool]
    user_id: str  # a user who exists


def in_memory() -> Parts:
    freezes = InMemoryPurchaseFreezes("U-ada")
    return Parts(
        InMemoryOrders(), InMemoryHandledEvents(), freezes, InMemoryTransactions(), freezes.frozen, "U-ada"
    )


def on_dynamodb(services: Composition) -> Parts:
    settings = services.settings
    dynamodb = services.aws.dynamodb
    users = UserRepository(dynamodb, settings.accounts.users_table)
    user = services.users.sign_in(
        GoogleIdentity(subject="1", email="ada@example.com", first_name="Ada", last_name="L")
    )

    def frozen(user_id: str) -> bool:
        found = users.get(user_id)
        return found is not None and found.purchases_frozen

    return Parts(
        OrderRepository(dynamodb, settings.payments.orders_table),
        PaymentEventRepository(dynamodb, settings.payments.events_table),
        users,
        services.transactions,
        frozen,
        user.id,
    )


@pytest.fixture(params=["memory", "dynamodb"])
def parts(request: pytest.FixtureRequest) -> Parts:
    return in_memory() if request.param == "memory" else on_dynamodb(request.getfixturevalue("services"))


def committed(parts: Parts, write: Write) -> bool:
    """Whether ``write``, committed alone, went through."""
    try:
        UnitOfWork(parts.transactions).with_write(write, Refusal).commit()
    except Refusal:
        return False
    return True


def order(order_id: str = "01ORDER", user_id: str = "U-ada", **changes: Any) -> Order:
    made = Order(
        order_id=order_id,
        user_id=user_id,
        pack_id="starter",
        coins=500,
        price=Price(amount=199, currency="usd"),
        status=OrderStatus.CREATED,
        created_at=AT,
        updated_at=AT,
    )
    return made.model_copy(update=changes)


def created(parts: Parts, **changes: Any) -> Order:
    new = order(**changes)
    assert committed(parts, parts.orders.create_write(new))
    return new


# ---------------------------------------------------------------------------------------- orders
def test_a_new_order_is_written_once_and_read_back_as_written(parts: Parts) -> None:
    new = created(parts)

    assert not committed(parts, parts.orders.create_write(order(pack_id="creator")))
    assert parts.orders.get(new.order_id) == new
    assert parts.orders.get("01NONE") is None


def test_a_checkout_is_recorded_and_ended_only_on_a_created_order(parts: Parts) -> None:
    new = created(parts)

    opened = parts.orders.opened(new.order_id, "cs_1", "https://pay/cs_1", LATER)
    assert opened == new.model_copy(
        update={"stripe_session_id": "cs_1", "checkout_url": "https://pay/cs_1", "updated_at": LATER}
    )
    ended = parts.orders.end_unpaid(new.order_id, OrderStatus.EXPIRED, LATER)
    assert ended == opened.model_copy(update={"status": OrderStatus.EXPIRED})

    assert parts.orders.end_unpaid(new.order_id, OrderStatus.FAILED, LATER) is None
    assert parts.orders.opened(new.order_id, "cs_2", "https://pay/cs_2", LATER) is None
    assert parts.orders.get(new.order_id) == ended
    assert parts.orders.opened("01NONE", "cs_3", "https://pay/cs_3", LATER) is None
    assert parts.orders.end_unpaid("01NONE", OrderStatus.EXPIRED, LATER) is None
    assert parts.orders.get("01NONE") is None


def test_an_order_is_paid_once_from_any_state_but_paid(parts: Parts) -> None:
    expired = created(parts, status=OrderStatus.EXPIRED)

    assert committed(parts, parts.orders.paid_write(expired.order_id, "pi_1", LATER))
    assert not committed(parts, parts.orders.paid_write(expired.order_id, "pi_2", LATER))
    assert not committed(parts, parts.orders.paid_write("01NONE", "pi_3", LATER))
    assert parts.orders.get(expired.order_id) == expired.model_copy(
        update={"status": OrderStatus.PAID, "payment_intent_id": "pi_1", "updated_at": LATER}
    )
    assert parts.orders.get("01NONE") is None


@pytest.mark.parametrize("status", [OrderStatus.REFUNDED, OrderStatus.DISPUTED])
def test_an_order_credited_then_taken_back_is_never_paid_again(parts: Parts, status: OrderStatus) -> None:
    taken_back = created(parts, status=status, payment_intent_id="pi_1", amount_taken_back=199)

    assert not committed(parts, parts.orders.paid_write(taken_back.order_id, "pi_1", LATER))
    assert parts.orders.get(taken_back.order_id) == taken_back


def test_what_is_taken_back_moves_only_from_what_was_read(parts: Parts) -> None:
    paid = created(parts, status=OrderStatus.PAID)

    assert committed(parts, parts.orders.taken_back_write(paid.order_id, 0, 100, 100, None, LATER))
    assert not committed(parts, parts.orders.taken_back_write(paid.order_id, 0, 150, 150, None, LATER))
    assert committed(
        parts, parts.orders.taken_back_write(paid.order_id, 100, 199, 0, OrderStatus.DISPUTED, LATER)
    )
    assert not committed(parts, parts.orders.taken_back_write("01NONE", 0, 1, 1, None, LATER))

    assert parts.orders.get(paid.order_id) == paid.model_copy(
        update={
            "amount_taken_back": 199,
            "amount_refunded": 100,
            "status": OrderStatus.DISPUTED,
            "updated_at": LATER,
        }
    )


def test_a_paid_order_ends_refunded_only_once_refunds_cover_its_price(parts: Parts) -> None:
    partly = created(parts, order_id="01A", status=OrderStatus.PAID, amount_refunded=198)
    fully = created(parts, order_id="01B", status=OrderStatus.PAID, amount_refunded=199)
    disputed = created(parts, order_id="01C", status=OrderStatus.DISPUTED, amount_refunded=199)

    for each in (partly, fully, disputed):
        parts.orders.end_refunded(each.order_id, LATER)
    parts.orders.end_refunded("01NONE", LATER)

    assert [parts.orders.get(each.order_id) for each in (partly, fully, disputed)] == [
        partly,
        fully.model_copy(update={"status": OrderStatus.REFUNDED, "updated_at": LATER}),
        disputed,
    ]
    assert parts.orders.get("01NONE") is None


def test_a_flag_marks_an_existing_order_and_makes_none(parts: Parts) -> None:
    new = created(parts)

    parts.orders.flag(new.order_id, "paid 99 usd, not 199 usd", LATER)
    parts.orders.flag("01NONE", "paid 1 usd", LATER)

    assert parts.orders.get(new.order_id) == new.model_copy(
        update={"flagged": "paid 99 usd, not 199 usd", "updated_at": LATER}
    )
    assert parts.orders.get("01NONE") is None


def test_a_users_orders_come_newest_first_page_by_page(parts: Parts) -> None:
    for order_id, user_id in (("01A", "U-ada"), ("01C", "U-ada"), ("01B", "U-bob"), ("01D", "U-ada")):
        created(parts, order_id=order_id, user_id=user_id)

    first, more = parts.orders.user_page("U-ada", 2, None)
    rest, end = parts.orders.user_page("U-ada", 2, more)

    assert [each.order_id for each in first] == ["01D", "01C"]
    assert more == {"orderId": "01C", "userId": "U-ada"}
    assert ([each.order_id for each in rest], end) == (["01A"], None)
    assert parts.orders.user_page("U-nobody", 2, None) == ([], None)


# ---------------------------------------------------------------------------------------- events handled
def test_an_event_is_remembered_once_and_noted_again_without_error(parts: Parts) -> None:
    assert not parts.events.handled("evt_1")

    parts.events.remember("evt_1", "checkout.session.completed", AT, 2_000_000_000)
    parts.events.remember("evt_1", "checkout.session.completed", LATER, 2_000_000_000)

    assert parts.events.handled("evt_1")
    assert not parts.events.handled("evt_2")


# ---------------------------------------------------------------------------------------- freezes
def test_purchases_stay_frozen_while_any_dispute_stands(parts: Parts) -> None:
    user_id = parts.user_id
    freeze = parts.freezes.purchases_frozen_write

    assert committed(parts, freeze(user_id, "dp_1", frozen=True, updated_at=AT))
    assert committed(parts, freeze(user_id, "dp_2", frozen=True, updated_at=AT))
    assert committed(parts, freeze(user_id, "dp_1", frozen=False, updated_at=LATER))
    assert parts.frozen(user_id)
    assert committed(parts, freeze(user_id, "dp_1", frozen=False, updated_at=LATER))  # lifted already
    assert committed(parts, freeze(user_id, "dp_2", frozen=False, updated_at=LATER))
    assert not parts.frozen(user_id)


def test_a_freeze_for_no_user_is_refused(parts: Parts) -> None:
    assert not committed(parts, parts.freezes.purchases_frozen_write("U-nobody", "dp_1", True, AT))
    assert not parts.frozen("U-nobody")


# ---------------------------------------------------------------------------------------- idempotency
@pytest.fixture(params=["memory", "dynamodb"])
def persistence(request: pytest.FixtureRequest) -> BasePersistenceLayer:
    if request.param == "memory":
        return InMemoryIdempotency()
    services: Composition = request.getfixturevalue("services")
    return DynamoDBPersistenceLayer(
        table_name=services.settings.payments.checkout_idempotency_table, boto3_client=services.aws.dynamodb
    )


def test_a_key_answers_its_first_request_and_refuses_another(persistence: BasePersistenceLayer) -> None:
    config = IdempotencyConfig(event_key_jmespath="[userId, key]", payload_validation_jmespath="request")
    runs: list[str] = []

    def work(answer: str) -> Callable[[], dict[str, Any]]:
        def run() -> dict[str, Any]:
            runs.append(answer)
            return {"orderId": answer}

        return run

    def fails() -> dict[str, Any]:
        runs.append("failed")
        raise RuntimeError("Stripe is down")

    def once(key: str, pack: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return at_most_once(persistence, config, "U-ada", key, {"checkout": pack}, run)

    assert once("K1", "starter", work("first")) == {"orderId": "first"}
    assert once("K1", "starter", work("second")) == {"orderId": "first"}
    with pytest.raises(Conflict):
        once("K1", "creator", work("third"))
    with pytest.raises(RuntimeError):
        once("K2", "starter", fails)
    assert once("K2", "starter", work("after the failure")) == {"orderId": "after the failure"}
    assert runs == ["first", "failed", "after the failure"]


# ---------------------------------------------------------------------------------------- the provider
@dataclass
class Provider:
    """A ``PaymentGateway``, and the provider's side of it for the test: a buyer paying, ops refunding,
    a webhook signed."""

    gateway: PaymentGateway
    pay: Callable[[str], object]
    refund: Callable[[str, int], object]
    charge_of: Callable[[str], str]
    sign: Callable[[bytes], str]


def twin_provider() -> Provider:
    twin = InMemoryGateway(time.time)
    return Provider(
        twin,
        twin.pay,
        twin.refund,
        twin.charge_of,
        twin.signature,
    )


def local_stripe(stripe_server: ServedStripe) -> Provider:
    """Stripe's API as the local stand-in serves it, through the service's adapter."""
    api_key, secret = new_secret_key(), new_webhook_secret()
    local = LocalStripe(
        api_key, secret, "http://127.0.0.1:3000/webhook", stripe_server.base_url, settle_seconds=0
    )
    stripe_server.current = local
    sdk = stripe_sdk.StripeClient(api_key, base_addresses={"api": stripe_server.base_url})

    def refund(intent: str, amount: int) -> None:
        sdk.v1.refunds.create(params={"payment_intent": intent, "amount": amount})

    def charge_of(intent: str) -> str:
        return str(sdk.v1.payment_intents.retrieve(intent).latest_charge)

    return Provider(
        StripeGateway(lambda: api_key, lambda: [secret], api_base=stripe_server.base_url),
        lambda session_id: local.pay(session_id, "4242424242424242"),
        refund,
        charge_of,
        lambda payload: signature_header(payload.decode(), secret, int(time.time())),
    )


@pytest.fixture(params=["memory", "stripe"])
def provider(request: pytest.FixtureRequest) -> Provider:
    return (
        twin_provider()
        if request.param == "memory"
        else local_stripe(request.getfixturevalue("stripe_server"))
    )


# One expiry for every checkout a test opens: an order's checkout opened again is the same request
# (Stripe refuses an idempotency key reused with other parameters), even across a second's boundary.
# Three hours ahead: within the 30 minutes to 24 hours Stripe takes, however late the test runs.
EXPIRES_AT = int(time.time()) + 3 * 60 * 60


def checkout(order_id: str) -> Checkout:
    back = f"http://127.0.0.1:3000/app/#order/{order_id}"
    return Checkout(
        order_id=order_id,
        user_id="U-ada",
        product="Starter: 500 coins",
        amount=199,
        currency="usd",
        success_url=back,
        cancel_url=f"{back}/cancelled",
        expires_at=EXPIRES_AT,
        locale="en",
    )


def test_an_order_opens_one_checkout_however_often_it_is_opened(provider: Provider) -> None:
    first = provider.gateway.open_checkout(checkout("01A"))
    again = provider.gateway.open_checkout(checkout("01A"))
    other = provider.gateway.open_checkout(checkout("01B"))

    assert again == first
    assert other.session_id != first.session_id
    state = provider.gateway.session(first.session_id)
    assert (
        state.status,
        state.payment_status,
        state.amount_total,
        state.currency,
        state.payment_intent_id,
    ) == (
        "open",
        "unpaid",
        199,
        "usd",
        None,
    )
    assert (state.order_id, state.user_id) == ("01A", "U-ada")


def test_a_paid_checkout_is_complete_names_its_order_and_is_listed_as_completed(provider: Provider) -> None:
    paid = provider.gateway.open_checkout(checkout("01A"))
    provider.gateway.open_checkout(checkout("01B"))  # left open
    provider.pay(paid.session_id)

    state = provider.gateway.session(paid.session_id)
    assert (state.status, state.payment_status, state.amount_total) == ("complete", "paid", 199)
    assert state.payment_intent_id is not None
    assert provider.gateway.order_of_payment(state.payment_intent_id) == ("01A", "U-ada")
    assert [each.session_id for each in provider.gateway.completed_sessions(int(time.time()) - 60)] == [
        paid.session_id
    ]
    assert list(provider.gateway.completed_sessions(int(time.time()) + 60)) == []


def test_a_charges_refunds_are_listed_newest_first(provider: Provider) -> None:
    opened = provider.gateway.open_checkout(checkout("01A"))
    provider.pay(opened.session_id)
    intent = provider.gateway.session(opened.session_id).payment_intent_id
    assert intent is not None

    provider.refund(intent, 100)
    provider.refund(intent, 50)

    refunds = provider.gateway.refunds(provider.charge_of(intent))
    assert [(refund.amount, refund.status) for refund in refunds] == [(50, "succeeded"), (100, "succeeded")]
    assert len({refund.refund_id for refund in refunds}) == 2


def test_what_the_provider_does_not_know_is_unavailable(provider: Provider) -> None:
    with pytest.raises(PaymentsUnavailable):
        provider.gateway.session("cs_unknown")
    with pytest.raises(PaymentsUnavailable):
        provider.gateway.order_of_payment("pi_unknown")


def test_a_webhook_is_read_only_with_its_signature(provider: Provider) -> None:
    event = {"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {"id": "cs_1"}}}
    payload = json.dumps(event).encode()

    assert provider.gateway.verify_event(payload, provider.sign(payload)) == event
    for signature in (None, "", provider.sign(b'{"id": "evt_2"}')):
        with pytest.raises(InvalidSignature):
            provider.gateway.verify_event(payload, signature)
