"""Buying coins on in-memory twins: a checkout records its order (once per Idempotency-Key), a paid
order credits its pack's coins exactly once however its payment is reported (a webhook replayed, the
way back and the webhook racing, events out of order, the reconciliation), refunds and disputes take
back exactly what they paid for (below zero if the coins were spent; a dispute freezes purchases),
an unpaid checkout ends, and each buyer sees their own orders."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

from imagegen.errors import (
    BadRequest,
    Conflict,
    InsufficientCoins,
    Invalid,
    NotFound,
    PaymentsUnavailable,
    PurchasesFrozen,
    RateLimited,
)
from imagegen.metrics import Metric
from imagegen.models.auth import Caller
from imagegen.models.coins import LedgerReason
from imagegen.models.payments import CoinPacks, Order, OrderStatus
from imagegen.models.users import Role, User
from imagegen.services.coins import CoinService
from imagegen.services.cursors import CursorCodec
from imagegen.services.payments import (
    CHECKOUT_SECONDS,
    RECONCILE_SECONDS,
    CheckoutStarted,
    PaymentService,
    line_item_name,
)
from imagegen.services.rate_limits import LimitedAction, RateLimits
from imagegen.services.unit_of_work import Contended
from tests.fakes import InMemoryTransactions, InMemoryWallets, InMemoryWindows, SlowClock
from tests.fakes.payments import (
    InMemoryGateway,
    InMemoryHandledEvents,
    InMemoryIdempotency,
    InMemoryOrders,
    InMemoryPurchaseFreezes,
)

WELCOME = 1000
STARTER_COINS, STARTER_PRICE = 500, 199
CREATOR_COINS, CREATOR_PRICE = 2000, 599
CHECKOUTS_A_DAY = 3
RETURN_URL = "https://shop.example/app/"
PACKS = CoinPacks.model_validate(
    {
        "packs": [
            {
                "id": "starter",
                "name": "Starter",
                "coins": STARTER_COINS,
                "price": {"amount": STARTER_PRICE, "currency": "usd"},
            },
            {
                "id": "creator",
                "name": "Creator",
                "coins": CREATOR_COINS,
                "price": {"amount": CREATOR_PRICE, "currency": "usd"},
            },
        ]
    }
)


class Counted:
    """What the service counted, as ``imagegen.metrics.count`` would write it."""

    def __init__(self) -> None:
        self.counts: list[tuple[Metric, int, dict[str, str]]] = []

    def __call__(self, metric: Metric, value: int = 1, **metadata: str) -> None:
        self.counts.append((metric, value, metadata))

    def total(self, metric: Metric) -> int:
        return sum(value for counted, value, _ in self.counts if counted is metric)


class Invocation:
    """A Lambda invocation with time left, so an Idempotency-Key's record says how long it is in progress."""

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


class Shop:
    """One payments service on twins, and its parts for the test to look into (and to act as Stripe)."""

    def __init__(self) -> None:
        self.clock = SlowClock(now=1_800_000_000.0)
        self.transactions = InMemoryTransactions()
        self.wallets = InMemoryWallets()
        self.orders = InMemoryOrders()
        self.events = InMemoryHandledEvents()
        self.freezes = InMemoryPurchaseFreezes("ada", "bob")
        self.windows = InMemoryWindows()
        self.stripe = InMemoryGateway(self.clock)
        self.idempotency = InMemoryIdempotency()
        self.counted = Counted()
        self.idempotency_config = IdempotencyConfig(
            event_key_jmespath="[userId, key]", payload_validation_jmespath="request"
        )
        self.idempotency_config.register_lambda_context(Invocation())  # type: ignore[arg-type]
        waits = SlowClock()
        self.coins = CoinService(
            self.wallets, self.transactions, sleep=waits.sleep, clock=waits, budget_seconds=1.0
        )
        self.payments = PaymentService(
            packs=lambda: PACKS,
            orders=self.orders,
            events=self.events,
            users=self.freezes,
            coins=self.coins,
            transactions=self.transactions,
            gateway=lambda: self.stripe,
            limits=RateLimits(self.windows, {LimitedAction.CHECKOUT: CHECKOUTS_A_DAY}, clock=self.clock),
            cursors=CursorCodec(lambda: "s" * 32),
            return_url=RETURN_URL,
            count=self.counted,
            persistence=self.idempotency,
            idempotency=self.idempotency_config,
            clock=self.clock,
        )
        for user_id in ("ada", "bob"):
            self.transactions.write(self.coins.open_account(user_id, WELCOME))

    def caller(self, user_id: str = "ada", admin: bool = False, language: str = "en") -> Caller:
        """The user as authentication reads them now (their purchases frozen or not)."""
        user = User(
            id=user_id,
            email=f"{user_id}@example.com",
            google_sub=f"google-{user_id}",
            roles=[Role.USER, Role.ADMIN] if admin else [Role.USER],
            language=language,
            created_at="2026-01-01T00:00:00.000Z",
            updated_at="2026-01-01T00:00:00.000Z",
            purchases_frozen_by=self.freezes.frozen_by.get(user_id) or None,
        )
        return Caller(user=user, session_id="S1", balance=self.coins.balance(user_id))

    def checkout(
        self, pack_id: str = "starter", key: str | None = None, user_id: str = "ada"
    ) -> CheckoutStarted:
        return self.payments.checkout(self.caller(user_id), pack_id, idempotency_key=key)

    def deliver(self, event: dict[str, Any]) -> str:
        """The webhook delivers ``event``, signed as Stripe signs it: what the service did."""
        return self.payments.receive(*self.stripe.signed(event)).outcome

    def session_of(self, order_id: str) -> str:
        session_id = self.orders.orders[order_id].stripe_session_id
        assert session_id is not None
        return session_id

    def buy(self, pack_id: str = "starter") -> tuple[str, str]:
        """A checkout paid, its completion delivered: the order and its payment intent."""
        order_id = self.checkout(pack_id).order.order_id
        assert self.deliver(self.stripe.pay(self.session_of(order_id))) == "credited"
        intent = self.orders.orders[order_id].payment_intent_id
        assert intent is not None
        return order_id, intent

    def order(self, order_id: str) -> Order:
        return self.orders.orders[order_id]

    def balance(self, user_id: str = "ada") -> int:
        return self.coins.balance(user_id)

    def ledger(self, user_id: str = "ada") -> list[tuple[LedgerReason, int, str | None]]:
        """The user's movements since the welcome, oldest first: (reason, amount, order)."""
        entries = sorted(
            (e for (user, _), e in self.wallets.entries.items() if user == user_id), key=lambda e: e.seq
        )
        return [(entry.reason, entry.amount, entry.order_id) for entry in entries[1:]]

    def ledger_sum(self, user_id: str = "ada") -> int:
        return sum(e.amount for (user, _), e in self.wallets.entries.items() if user == user_id)

    def places_taken(self, user_id: str = "ada") -> int:
        return len(self.windows.starts(f"{user_id}#{LimitedAction.CHECKOUT.value}").times)


@pytest.fixture
def shop() -> Shop:
    return Shop()


def coins_for(amount: int) -> int:
    """The starter pack's coins that ``amount`` cents of its price pays for, rounded down."""
    return STARTER_COINS * amount // STARTER_PRICE


# ---------------------------------------------------------------------------------------- opening a checkout
def test_a_checkout_records_the_order_and_opens_a_payment_page_for_the_pack(shop: Shop) -> None:
    started = shop.checkout("creator")

    order = shop.order(started.order.order_id)
    assert started.order == order
    assert (order.user_id, order.pack_id, order.coins, order.price.amount) == (
        "ada",
        "creator",
        CREATOR_COINS,
        CREATOR_PRICE,
    )
    assert order.status is OrderStatus.CREATED
    assert started.checkout_url == order.checkout_url == shop.stripe.page_url(shop.session_of(order.order_id))
    (opened,) = shop.stripe.opened
    assert (opened.order_id, opened.amount, opened.currency) == (order.order_id, CREATOR_PRICE, "usd")
    assert opened.expires_at == shop.clock.now + CHECKOUT_SECONDS
    assert opened.success_url == f"{RETURN_URL}#order/{order.order_id}"
    assert shop.places_taken() == 1
    assert shop.balance() == WELCOME  # nothing moves before Stripe says it was paid


def test_a_checkout_asks_for_its_page_in_the_buyers_language(shop: Shop) -> None:
    shop.payments.checkout(shop.caller("ada", language="es"), "starter")
    shop.payments.checkout(shop.caller("bob", language="en"), "starter")

    assert [(opened.user_id, opened.locale) for opened in shop.stripe.opened] == [
        ("ada", "es"),
        ("bob", "en"),
    ]


def test_the_pack_is_named_on_the_payment_page_in_the_buyers_language(shop: Shop) -> None:
    shop.payments.checkout(shop.caller("ada", language="en"), "starter")
    shop.payments.checkout(shop.caller("ada", language="es"), "creator")
    # A language the Languages parameter may gain before anyone writes its words: English.
    shop.payments.checkout(shop.caller("bob", language="ca"), "starter")

    assert [opened.product for opened in shop.stripe.opened] == [
        "Starter: 500 coins",
        "Creator: 2000 monedas",
        "Starter: 500 coins",
    ]


def test_a_line_item_writes_its_coins_as_its_language_writes_numbers() -> None:
    assert line_item_name("Pro", 15000, "en") == "Pro: 15,000 coins"
    assert line_item_name("Pro", 15000, "es") == "Pro: 15.000 monedas"
    assert line_item_name("Studio", 6000, "en") == "Studio: 6,000 coins"
    assert line_item_name("Studio", 6000, "es") == "Studio: 6000 monedas"  # Spanish groups from 5 digits
    assert line_item_name("Tiny", 1, "es") == "Tiny: 1 moneda"
    assert line_item_name("Big", 1_250_000, "fr") == "Big: 1,250,000 coins"


def test_a_second_checkout_without_a_key_is_a_second_order_with_its_own_page(shop: Shop) -> None:
    first = shop.checkout("starter")
    second = shop.checkout("starter")

    assert first.order.order_id != second.order.order_id
    assert first.checkout_url != second.checkout_url
    assert {order.order_id for order in shop.orders.orders.values()} == {
        first.order.order_id,
        second.order.order_id,
    }
    assert shop.places_taken() == 2


def test_a_checkout_retried_with_its_key_answers_the_first_and_records_nothing_more(shop: Shop) -> None:
    first = shop.checkout("starter", key="K1")
    again = shop.checkout("starter", key="K1")

    assert (again.order, again.checkout_url) == (first.order, first.checkout_url)
    assert list(shop.orders.orders) == [first.order.order_id]
    assert len(shop.stripe.opened) == 1
    assert shop.places_taken() == 1


def test_a_key_used_again_for_another_pack_is_a_conflict_and_records_nothing(shop: Shop) -> None:
    first = shop.checkout("starter", key="K1")

    with pytest.raises(Conflict):
        shop.checkout("creator", key="K1")
    assert list(shop.orders.orders) == [first.order.order_id]
    assert shop.places_taken() == 1


def test_a_key_whose_order_is_gone_is_a_conflict(shop: Shop) -> None:
    first = shop.checkout("starter", key="K1")
    del shop.orders.orders[first.order.order_id]

    with pytest.raises(Conflict, match="no longer exists"):
        shop.checkout("starter", key="K1")


def test_a_pack_not_on_sale_is_invalid_and_nothing_is_recorded(shop: Shop) -> None:
    with pytest.raises(Invalid) as refused:
        shop.checkout("mega")

    assert "starter, creator" in refused.value.details["fields"][0]["message"]
    assert (shop.orders.orders, shop.stripe.opened, shop.places_taken()) == ({}, [], 0)


def test_past_the_checkouts_a_day_a_checkout_is_refused_with_nothing_recorded(shop: Shop) -> None:
    for _ in range(CHECKOUTS_A_DAY):
        shop.checkout()

    with pytest.raises(RateLimited) as limited:
        shop.checkout()

    assert limited.value.details["limit"] == CHECKOUTS_A_DAY
    assert (len(shop.orders.orders), len(shop.stripe.opened), shop.places_taken()) == (CHECKOUTS_A_DAY,) * 3


def test_a_place_another_checkout_took_meanwhile_is_read_again(shop: Shop) -> None:
    def another_checkout() -> None:  # between this checkout's read of the day's window and its commit
        shop.checkout("creator")

    shop.transactions.before_commit = another_checkout

    shop.checkout("starter")

    assert sorted(order.pack_id for order in shop.orders.orders.values()) == ["creator", "starter"]
    assert shop.places_taken() == 2


def test_stripe_unavailable_ends_the_order_failed_and_charges_nothing(shop: Shop) -> None:
    shop.stripe.unavailable = True

    with pytest.raises(PaymentsUnavailable):
        shop.checkout()

    (order,) = shop.orders.orders.values()
    assert (order.status, order.stripe_session_id) == (OrderStatus.FAILED, None)
    assert shop.balance() == WELCOME


# -------------------------------------------------------------------------------- a payment credited once
def test_a_paid_checkout_credits_the_packs_coins_with_its_ledger_entry(shop: Shop) -> None:
    order_id = shop.checkout().order.order_id

    outcome = shop.deliver(shop.stripe.pay(shop.session_of(order_id)))

    assert outcome == "credited"
    order = shop.order(order_id)
    assert order.status is OrderStatus.PAID
    assert order.payment_intent_id == shop.stripe.session(shop.session_of(order_id)).payment_intent_id
    assert shop.ledger() == [(LedgerReason.PURCHASE, STARTER_COINS, order_id)]
    assert shop.balance() == WELCOME + STARTER_COINS == shop.ledger_sum()
    assert shop.counted.total(Metric.COINS_PURCHASED) == STARTER_COINS


def test_the_same_event_delivered_again_is_a_duplicate_and_credits_nothing(shop: Shop) -> None:
    order_id = shop.checkout().order.order_id
    completed = shop.stripe.pay(shop.session_of(order_id))

    outcomes = [shop.deliver(completed) for _ in range(3)]

    assert outcomes == ["credited", "duplicate", "duplicate"]
    assert shop.balance() == WELCOME + STARTER_COINS == shop.ledger_sum()
    assert shop.counted.total(Metric.COINS_PURCHASED) == STARTER_COINS


def test_the_way_back_credits_before_the_webhook_and_the_webhook_then_credits_nothing(shop: Shop) -> None:
    order_id = shop.checkout().order.order_id
    completed = shop.stripe.pay(shop.session_of(order_id))

    assert shop.payments.order(shop.caller(), order_id).status is OrderStatus.PAID  # the buyer is back first
    assert shop.deliver(completed) == "already credited"

    assert shop.ledger() == [(LedgerReason.PURCHASE, STARTER_COINS, order_id)]
    assert shop.counted.total(Metric.COINS_PURCHASED) == STARTER_COINS


def test_the_order_paid_meanwhile_by_the_way_back_is_not_credited_again_by_the_webhook(shop: Shop) -> None:
    order_id = shop.checkout().order.order_id
    completed = shop.stripe.pay(shop.session_of(order_id))

    def the_way_back() -> None:  # the webhook read the order CREATED; before it commits, the buyer is back
        shop.payments.order(shop.caller(), order_id)

    shop.transactions.before_commit = the_way_back

    assert shop.deliver(completed) == "already credited"

    assert shop.order(order_id).status is OrderStatus.PAID
    assert shop.balance() == WELCOME + STARTER_COINS == shop.ledger_sum()
    assert shop.counted.total(Metric.COINS_PURCHASED) == STARTER_COINS


def test_a_delayed_payment_credits_when_it_succeeds(shop: Shop) -> None:
    order_id = shop.checkout().order.order_id
    session_id = shop.session_of(order_id)

    assert shop.deliver(shop.stripe.pay(session_id, delayed=True)) == "awaiting payment"
    assert (shop.order(order_id).status, shop.balance()) == (OrderStatus.CREATED, WELCOME)
    assert shop.deliver(shop.stripe.settle(session_id, succeeded=True)) == "credited"

    assert (shop.order(order_id).status, shop.balance()) == (OrderStatus.PAID, WELCOME + STARTER_COINS)


def test_a_delayed_payment_that_fails_ends_the_order_failed_and_credits_nothing(shop: Shop) -> None:
    order_id = shop.checkout().order.order_id
    session_id = shop.session_of(order_id)
    shop.deliver(shop.stripe.pay(session_id, delayed=True))

    assert shop.deliver(shop.stripe.settle(session_id, succeeded=False)) == "failed"

    assert (shop.order(order_id).status, shop.balance()) == (OrderStatus.FAILED, WELCOME)


def test_a_payment_that_is_not_the_orders_price_is_flagged_and_not_credited(shop: Shop) -> None:
    order_id = shop.checkout("creator").order.order_id

    shop.deliver(shop.stripe.pay(shop.session_of(order_id), amount=STARTER_PRICE))

    order = shop.order(order_id)
    assert order.status is OrderStatus.CREATED
    assert order.flagged == f"paid {STARTER_PRICE} usd, not {CREATOR_PRICE} usd"
    assert shop.balance() == WELCOME
    assert shop.counted.total(Metric.PAYMENTS_FLAGGED) == 1


def test_a_payment_in_another_currency_is_flagged_and_not_credited(shop: Shop) -> None:
    order_id = shop.checkout().order.order_id

    shop.deliver(shop.stripe.pay(shop.session_of(order_id), currency="eur"))

    assert shop.order(order_id).flagged
    assert shop.balance() == WELCOME


def test_an_event_for_no_order_of_ours_is_answered_counted_and_remembered(shop: Shop) -> None:
    stranger = shop.stripe.event(
        "checkout.session.completed", {"id": "cs_x", "payment_status": "paid", "metadata": {}}
    )

    assert shop.deliver(stranger) == "unknown order"
    assert shop.counted.total(Metric.UNKNOWN_PAYMENT_EVENTS) == 1
    assert shop.deliver(stranger) == "duplicate"


def test_a_forged_unsigned_or_malformed_event_is_refused_and_changes_nothing(shop: Shop) -> None:
    order_id = shop.checkout().order.order_id
    completed = shop.stripe.pay(shop.session_of(order_id))
    payload, signature = shop.stripe.signed(completed)
    no_event, no_event_signature = shop.stripe.signed({"type": "checkout.session.completed"})

    for body, header in (
        (payload, "0" * 64),
        (payload, None),
        (payload.replace(b"paid", b"PAID"), signature),
        (no_event, no_event_signature),
    ):
        with pytest.raises(BadRequest):
            shop.payments.receive(body, header)

    assert (shop.order(order_id).status, shop.balance(), shop.events.notes) == (
        OrderStatus.CREATED,
        WELCOME,
        {},
    )


def test_a_payment_completed_after_its_checkout_expired_is_still_credited(shop: Shop) -> None:
    order_id = shop.checkout().order.order_id
    session_id = shop.session_of(order_id)
    completed = shop.stripe.pay(session_id)
    # The service heard of an expiry first (an event of the session's earlier state, delivered late).
    expired = shop.stripe.event(
        "checkout.session.expired", {**shop.stripe.session_object(session_id), "status": "expired"}
    )
    assert shop.deliver(expired) == "expired"

    assert shop.deliver(completed) == "credited"

    assert (shop.order(order_id).status, shop.balance()) == (OrderStatus.PAID, WELCOME + STARTER_COINS)


# ---------------------------------------------------------------------------------------- unpaid checkouts
def test_an_expired_checkout_ends_the_order_expired_and_moves_no_coin(shop: Shop) -> None:
    order_id = shop.checkout().order.order_id

    assert shop.deliver(shop.stripe.expire(shop.session_of(order_id))) == "expired"

    assert (shop.order(order_id).status, shop.balance()) == (OrderStatus.EXPIRED, WELCOME)


def test_an_expiry_of_an_order_already_paid_changes_nothing(shop: Shop) -> None:
    order_id, _ = shop.buy()
    late = shop.stripe.event(
        "checkout.session.expired",
        {**shop.stripe.session_object(shop.session_of(order_id)), "status": "expired"},
    )

    assert shop.deliver(late) == "already settled"
    assert (shop.order(order_id).status, shop.balance()) == (OrderStatus.PAID, WELCOME + STARTER_COINS)


def test_the_way_back_ends_an_expired_checkout_and_answers_an_open_one_as_it_is(shop: Shop) -> None:
    expiring, open_ = shop.checkout().order.order_id, shop.checkout().order.order_id
    shop.stripe.expire(shop.session_of(expiring))  # its event never arrives

    assert shop.payments.order(shop.caller(), expiring).status is OrderStatus.EXPIRED
    assert shop.payments.order(shop.caller(), open_).status is OrderStatus.CREATED
    assert shop.order(expiring).status is OrderStatus.EXPIRED


def test_the_way_back_with_stripe_unavailable_answers_the_order_as_known(shop: Shop) -> None:
    order_id = shop.checkout().order.order_id
    shop.stripe.pay(shop.session_of(order_id))
    shop.stripe.unavailable = True

    assert shop.payments.order(shop.caller(), order_id).status is OrderStatus.CREATED
    assert shop.balance() == WELCOME


# ---------------------------------------------------------------------------------------- refunds, disputes
def test_refunds_take_back_their_share_once_each_and_all_the_packs_coins_in_the_end(shop: Shop) -> None:
    order_id, intent = shop.buy()

    first = shop.stripe.refund(intent, 100)
    assert shop.deliver(first) == f"took back {coins_for(100)} coins"
    again = shop.stripe.event("charge.refunded", first["data"]["object"])  # a new event, the same refund
    assert shop.deliver(again) == "took back 0 coins"
    assert shop.balance() == WELCOME + STARTER_COINS - coins_for(100) == shop.ledger_sum()
    assert shop.order(order_id).status is OrderStatus.PAID

    shop.deliver(shop.stripe.refund(intent))  # the rest

    assert shop.balance() == WELCOME == shop.ledger_sum()  # all of the pack's coins back, exactly
    order = shop.order(order_id)
    assert (order.status, order.amount_refunded, order.amount_taken_back) == (
        OrderStatus.REFUNDED,
        STARTER_PRICE,
        STARTER_PRICE,
    )
    assert [reason for reason, _, _ in shop.ledger()] == [
        LedgerReason.PURCHASE,
        LedgerReason.PURCHASE_REFUND,
        LedgerReason.PURCHASE_REFUND,
    ]
    assert shop.counted.total(Metric.COINS_TAKEN_BACK) == STARTER_COINS


def test_a_pending_refund_takes_back_and_a_failed_one_does_not(shop: Shop) -> None:
    _, intent = shop.buy()

    shop.deliver(shop.stripe.refund(intent, 50, status="failed"))
    assert shop.balance() == WELCOME + STARTER_COINS
    shop.deliver(shop.stripe.refund(intent, 50, status="pending"))

    assert shop.balance() == WELCOME + STARTER_COINS - coins_for(50) == shop.ledger_sum()


def test_a_refund_of_coins_already_spent_leaves_the_balance_below_zero_and_charges_refused(
    shop: Shop,
) -> None:
    _, intent = shop.buy()
    shop.coins.grant("ada", -(WELCOME + STARTER_COINS), note="spent it all")

    shop.deliver(shop.stripe.refund(intent))

    assert shop.balance() == -STARTER_COINS == shop.ledger_sum()
    assert not shop.freezes.frozen("ada")  # a refund is ops' own decision: nothing to freeze
    with pytest.raises(InsufficientCoins):
        shop.coins.charge("ada", 1, LedgerReason.GENERATE, image_id="IMG1")


def test_a_refund_racing_another_reads_the_order_again_and_takes_back_only_its_share(shop: Shop) -> None:
    order_id, intent = shop.buy()
    first = shop.stripe.refund(intent, 100)
    second = shop.stripe.refund(intent, 99)  # both refunds are Stripe's now

    def the_second_delivery() -> None:  # between the first delivery's read of the order and its commit
        shop.deliver(second)

    shop.transactions.before_commit = the_second_delivery

    assert shop.deliver(first) == "took back 0 coins"

    assert shop.balance() == WELCOME == shop.ledger_sum()
    assert shop.order(order_id).status is OrderStatus.REFUNDED


def test_a_dispute_takes_the_coins_back_and_freezes_purchases_until_it_is_won(shop: Shop) -> None:
    order_id, intent = shop.buy()
    created = shop.stripe.dispute(intent)

    assert shop.deliver(created) == f"took back {STARTER_COINS} coins, purchases frozen"
    assert shop.balance() == WELCOME == shop.ledger_sum()
    assert shop.order(order_id).status is OrderStatus.DISPUTED
    with pytest.raises(PurchasesFrozen):
        shop.checkout()

    won = shop.stripe.close_dispute(created["data"]["object"]["id"], "won")
    assert shop.deliver(won) == f"gave back {STARTER_COINS} coins"

    assert shop.balance() == WELCOME + STARTER_COINS == shop.ledger_sum()
    assert shop.order(order_id).status is OrderStatus.PAID
    assert not shop.freezes.frozen("ada")
    shop.checkout()  # buying again


def test_a_lost_dispute_keeps_the_coins_taken_back_and_purchases_frozen(shop: Shop) -> None:
    _, intent = shop.buy()
    created = shop.stripe.dispute(intent)
    shop.deliver(created)

    shop.deliver(shop.stripe.close_dispute(created["data"]["object"]["id"], "lost"))

    assert shop.balance() == WELCOME
    assert shop.freezes.frozen("ada")


def test_a_dispute_of_coins_already_spent_goes_below_zero_and_freezes_purchases(shop: Shop) -> None:
    _, intent = shop.buy()
    shop.coins.grant("ada", -(WELCOME + STARTER_COINS - 100), note="spent most")

    shop.deliver(shop.stripe.dispute(intent))

    assert shop.balance() == 100 - STARTER_COINS == shop.ledger_sum()
    assert shop.freezes.frozen("ada")


def test_a_dispute_after_a_partial_refund_takes_back_only_what_is_left(shop: Shop) -> None:
    order_id, intent = shop.buy()
    shop.deliver(shop.stripe.refund(intent, 100))

    shop.deliver(shop.stripe.dispute(intent))  # Stripe disputes the 99 cents left

    assert shop.balance() == WELCOME == shop.ledger_sum()
    assert shop.order(order_id).amount_taken_back == STARTER_PRICE


def test_a_dispute_won_whose_creation_was_never_heard_gives_nothing_back(shop: Shop) -> None:
    _, intent = shop.buy()
    created = shop.stripe.dispute(intent)  # its event never arrives

    assert (
        shop.deliver(shop.stripe.close_dispute(created["data"]["object"]["id"], "won")) == "gave back 0 coins"
    )

    assert shop.balance() == WELCOME + STARTER_COINS == shop.ledger_sum()


def test_a_dispute_delivered_again_takes_back_once(shop: Shop) -> None:
    _, intent = shop.buy()
    created = shop.stripe.dispute(intent)
    shop.deliver(created)

    assert shop.deliver(shop.stripe.event("charge.dispute.created", created["data"]["object"])) == (
        "took back 0 coins, purchases frozen"
    )
    assert shop.balance() == WELCOME == shop.ledger_sum()


def test_a_freeze_refused_leaves_the_coins_taken_back_and_the_event_to_be_handled_again(shop: Shop) -> None:
    """A dispute's coins and its freeze are two commits: a freeze another transaction stood in the way
    of leaves the coins taken back and the event not remembered, so Stripe's resend freezes."""
    _, intent = shop.buy()
    created = shop.stripe.dispute(intent)
    shop.transactions.refuse("purchases frozen")

    with pytest.raises(Contended):
        shop.deliver(created)
    assert (shop.balance(), shop.freezes.frozen("ada"), shop.events.handled(created["id"])) == (
        WELCOME,
        False,
        False,
    )

    assert shop.deliver(created) == "took back 0 coins, purchases frozen"  # Stripe's resend
    assert shop.freezes.frozen("ada")
    assert shop.balance() == WELCOME == shop.ledger_sum()


# ---------------------------------------------------------------------------------------- events out of order
def test_a_refund_before_its_completion_credits_first_and_the_late_completion_credits_nothing(
    shop: Shop,
) -> None:
    order_id = shop.checkout().order.order_id
    completed = shop.stripe.pay(shop.session_of(order_id))
    intent = shop.stripe.session(shop.session_of(order_id)).payment_intent_id
    assert intent is not None
    refunded = shop.stripe.refund(intent, 100)

    assert shop.deliver(refunded) == f"took back {coins_for(100)} coins"  # fulfilled from Stripe's record
    assert shop.deliver(completed) == "already credited"

    assert shop.balance() == WELCOME + STARTER_COINS - coins_for(100) == shop.ledger_sum()
    assert shop.counted.total(Metric.COINS_PURCHASED) == STARTER_COINS


@pytest.mark.parametrize("taken_back_by", ["refund", "dispute"])
def test_a_completion_arriving_after_the_order_was_taken_back_in_full_credits_and_counts_nothing(
    shop: Shop, taken_back_by: str
) -> None:
    """Refunded (or disputed) in full before its completion was heard: the late completion must not
    count the pack's coins purchased a second time, nor say it credited them."""
    order_id = shop.checkout().order.order_id
    completed = shop.stripe.pay(shop.session_of(order_id))
    intent = shop.stripe.session(shop.session_of(order_id)).payment_intent_id
    assert intent is not None
    shop.deliver(shop.stripe.refund(intent) if taken_back_by == "refund" else shop.stripe.dispute(intent))
    taken_back = shop.order(order_id)

    assert shop.deliver(completed) == "already credited"

    assert shop.order(order_id) == taken_back
    assert shop.balance() == WELCOME == shop.ledger_sum()
    assert shop.counted.total(Metric.COINS_PURCHASED) == STARTER_COINS


def test_a_dispute_before_its_completion_takes_back_what_it_credits(shop: Shop) -> None:
    order_id = shop.checkout().order.order_id
    shop.stripe.pay(shop.session_of(order_id))  # the completion's event never arrives
    intent = shop.stripe.session(shop.session_of(order_id)).payment_intent_id
    assert intent is not None

    shop.deliver(shop.stripe.dispute(intent))

    assert shop.balance() == WELCOME == shop.ledger_sum()
    assert [reason for reason, _, _ in shop.ledger()] == [LedgerReason.PURCHASE, LedgerReason.DISPUTE]
    assert shop.freezes.frozen("ada")


# ---------------------------------------------------------------------------------------- the reconciliation
def test_the_reconciliation_credits_a_payment_whose_webhook_was_lost_once(shop: Shop) -> None:
    order_id = shop.checkout().order.order_id
    completed = shop.stripe.pay(shop.session_of(order_id))  # lost

    assert shop.payments.reconcile() == 1
    assert shop.payments.reconcile() == 0
    assert shop.deliver(completed) == "already credited"  # delivered at last

    assert (shop.order(order_id).status, shop.balance()) == (OrderStatus.PAID, WELCOME + STARTER_COINS)
    assert shop.counted.total(Metric.PURCHASES_RECONCILED) == 1
    assert shop.counted.total(Metric.COINS_PURCHASED) == STARTER_COINS


def test_the_reconciliation_leaves_unpaid_older_and_foreign_checkouts_alone(shop: Shop) -> None:
    old = shop.checkout().order.order_id
    shop.stripe.pay(shop.session_of(old))
    shop.clock.now += RECONCILE_SECONDS + 1  # three days on, it is past what the reconciliation looks at
    unpaid = shop.checkout().order.order_id
    shop.stripe.pay(shop.session_of(unpaid), delayed=True)

    assert shop.payments.reconcile() == 0

    assert (shop.order(old).status, shop.order(unpaid).status) == (OrderStatus.CREATED, OrderStatus.CREATED)
    assert shop.balance() == WELCOME


def test_the_reconciliation_leaves_a_refunded_order_as_it_is(shop: Shop) -> None:
    order_id, intent = shop.buy()
    shop.deliver(shop.stripe.refund(intent))

    assert shop.payments.reconcile() == 0
    assert (shop.order(order_id).status, shop.balance()) == (OrderStatus.REFUNDED, WELCOME)


# ---------------------------------------------------------------------------------------- the orders
def test_a_buyer_lists_their_orders_newest_first_page_by_page(shop: Shop) -> None:
    made = [shop.checkout().order.order_id for _ in range(CHECKOUTS_A_DAY)]
    shop.checkout(user_id="bob")

    first = shop.payments.orders_page(shop.caller(), "ada", 2, None)
    rest = shop.payments.orders_page(shop.caller(), "ada", 2, first.next_cursor)

    assert [order.id for order in first.orders + rest.orders] == sorted(
        made, reverse=True
    )  # ULIDs: by creation
    assert rest.next_cursor is None


def test_a_cursor_of_one_listing_is_refused_in_another(shop: Shop) -> None:
    for _ in range(2):
        shop.checkout()
    page = shop.payments.orders_page(shop.caller(), "ada", 1, None)

    with pytest.raises(BadRequest):
        shop.payments.orders_page(shop.caller("bob", admin=True), "ada", 1, page.next_cursor)


def test_an_admin_sees_anyones_orders_and_a_stranger_none(shop: Shop) -> None:
    order_id, _ = shop.buy()
    admin, stranger = shop.caller("bob", admin=True), shop.caller("bob")

    assert shop.payments.order(admin, order_id).order_id == order_id
    assert [order.id for order in shop.payments.orders_page(admin, "ada", 10, None).orders] == [order_id]
    with pytest.raises(NotFound):
        shop.payments.order(stranger, order_id)
    with pytest.raises(NotFound):
        shop.payments.orders_page(stranger, "ada", 10, None)
    with pytest.raises(NotFound):
        shop.payments.order(shop.caller(), "no-such-order")


# After the buyer's account was deleted: the order, kept, still records what its payment became


def delete_account(shop: Shop, user_id: str = "ada") -> None:
    """What an account's deletion leaves of the user here: the money entries of their ledger."""
    money = {
        LedgerReason.PURCHASE,
        LedgerReason.PURCHASE_REFUND,
        LedgerReason.DISPUTE,
        LedgerReason.DISPUTE_WON,
    }
    del shop.wallets.accounts[user_id]
    for key, entry in list(shop.wallets.entries.items()):
        if key[0] == user_id and entry.reason not in money:
            del shop.wallets.entries[key]
    del shop.freezes.frozen_by[user_id]


def test_a_refund_after_the_account_was_deleted_moves_the_order_and_no_coins(shop: Shop) -> None:
    order_id, intent = shop.buy()
    delete_account(shop)

    assert shop.deliver(shop.stripe.refund(intent)) == "took back 0 coins"

    order = shop.order(order_id)
    assert (order.status, order.amount_refunded) == (OrderStatus.REFUNDED, STARTER_PRICE)
    assert [entry.reason for (user, _), entry in shop.wallets.entries.items() if user == "ada"] == [
        LedgerReason.PURCHASE
    ]
    assert "ada" not in shop.wallets.accounts  # no wallet made again


def test_a_dispute_after_the_account_was_deleted_moves_the_order_and_freezes_no_one(shop: Shop) -> None:
    order_id, intent = shop.buy()
    delete_account(shop)

    assert shop.deliver(shop.stripe.dispute(intent)) == "took back 0 coins; the account was deleted"

    assert shop.order(order_id).status is OrderStatus.DISPUTED
    assert "ada" not in shop.freezes.frozen_by


def test_a_dispute_won_after_the_account_was_deleted_returns_the_order_to_paid(shop: Shop) -> None:
    order_id, intent = shop.buy()
    created = shop.stripe.dispute(intent)
    shop.deliver(created)
    delete_account(shop)

    won = shop.stripe.close_dispute(created["data"]["object"]["id"], "won")
    assert shop.deliver(won) == "gave back 0 coins; the account was deleted"

    assert shop.order(order_id).status is OrderStatus.PAID
    assert "ada" not in shop.wallets.accounts
