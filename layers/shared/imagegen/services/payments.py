"""Buying coins: checkouts opened through Stripe, and what Stripe says of them afterwards.

Every coin moves once. A paid order's coins are credited in one transaction with its ``purchase``
ledger entry (keyed by the order) and the order's step to ``PAID``; each refund's share is taken
back once (its entry keyed by the refund), a dispute's once (keyed by the dispute), and given back
once if the dispute is won. So a webhook delivered three times, the buyer's return page and the
reconciliation racing for the same order, and events in any order, credit and debit exactly what
Stripe's records say, however often each is asked. Where the order of events matters (a refund
before the completion it refunds), the handler asks Stripe for the payment first and fulfils it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from imagegen.errors import BadRequest, Conflict, Invalid, NotFound, PaymentsUnavailable, PurchasesFrozen
from imagegen.ids import new_id, now_iso
from imagegen.metrics import Metric
from imagegen.models.coins import LedgerReason
from imagegen.models.payments import CoinPacks, Order, OrderStatus, OrderView
from imagegen.services.idempotency import at_most_once
from imagegen.services.payment_gateway import Checkout, InvalidSignature, SessionState, session_of
from imagegen.services.rate_limits import LimitedAction, PlaceTaken
from imagegen.services.unit_of_work import Contended, Refused, Transactions, UnitOfWork

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

    from imagegen.metrics import Count
    from imagegen.models.auth import Caller
    from imagegen.services.coins import CoinService
    from imagegen.services.cursors import CursorCodec
    from imagegen.services.orders import HandledEvents, Orders, PurchaseFreezes
    from imagegen.services.payment_gateway import PaymentGateway
    from imagegen.services.rate_limits import RateLimits
    from imagegen.services.unit_of_work import Write

# Stripe's shortest expiry, so an abandoned checkout ends soon: Stripe refuses less than 30 minutes
# from the session's creation, on its own clock, so a minute's margin.
CHECKOUT_SECONDS = 31 * 60
EVENT_MEMORY_SECONDS = 30 * 24 * 3600  # Stripe resends for 3 days, and keeps events 30
RECONCILE_SECONDS = 3 * 24 * 3600  # how far back the reconciliation looks
# Once an order is one of these, its payment was credited (and maybe taken back since).
SETTLED = frozenset({OrderStatus.PAID, OrderStatus.REFUNDED, OrderStatus.DISPUTED})


@dataclass(frozen=True, slots=True)
class CoinWords:
    """How one language writes a number of coins: its word for one and for more, and its digit
    grouping (the separator, and the fewest digits it groups: Spanish writes 6000 and 15.000)."""

    one: str
    other: str
    separator: str
    grouped_from: int


# The words of a checkout's line item, the one thing the service writes on Stripe's page (Stripe
# writes the rest in the session's locale), by language code; a language without words here
# (one the Languages parameter gained since) is written in English.
LINE_ITEM_WORDS: dict[str, CoinWords] = {
    "en": CoinWords(one="coin", other="coins", separator=",", grouped_from=4),
    "es": CoinWords(one="moneda", other="monedas", separator=".", grouped_from=5),
}


def line_item_name(pack_name: str, coins: int, language: str) -> str:
    """The line item a buyer of ``language`` sees on Stripe's page for a pack: its configured name
    and its coins as the language writes them, "Pro: 15,000 coins", "Pro: 15.000 monedas"."""
    words = LINE_ITEM_WORDS.get(language, LINE_ITEM_WORDS["en"])
    count = str(coins)
    if len(count) >= words.grouped_from:
        count = f"{coins:,}".replace(",", words.separator)
    return f"{pack_name}: {count} {words.one if coins == 1 else words.other}"


@dataclass(frozen=True, slots=True)
class CheckoutStarted:
    order: Order
    checkout_url: str


class _Read(BaseModel):
    """What the service reads of Stripe's objects: the fields named, anything else ignored."""

    # Built when first read, as the models are (imagegen.models.base): most requests read no event.
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class _EventObject(_Read):
    id: str


class _EventData(_Read):
    object: _EventObject


class StripeEvent(_Read):
    """An event as Stripe sends it, as far as telling what it is about."""

    id: str
    type: str
    data: _EventData


class _Payment(_Read):
    """A charge or a dispute: the payment it concerns, and its amount (minor units)."""

    id: str
    amount: int
    payment_intent: str | _EventObject | None = None
    status: str | None = None

    @property
    def intent_id(self) -> str | None:
        intent = self.payment_intent
        return intent.id if isinstance(intent, _EventObject) else intent


@dataclass(frozen=True, slots=True)
class HandledEvent:
    event_id: str
    kind: str
    outcome: str


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: list[OrderView]
    next_cursor: str | None


class OrderMoved(Refused):
    """The order changed since it was read (paid, or more of it taken back): read it again."""


class PaymentService:
    """Coin packs, checkouts and orders for users; Stripe's events and the reconciliation for Stripe."""

    def __init__(
        self,
        packs: Callable[[], CoinPacks],
        orders: Orders,
        events: HandledEvents,
        users: PurchaseFreezes,
        coins: CoinService,
        transactions: Transactions,
        gateway: Callable[[], PaymentGateway],
        limits: RateLimits,
        cursors: CursorCodec,
        return_url: str,
        count: Count,
        persistence: BasePersistenceLayer,
        idempotency: IdempotencyConfig,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._packs = packs
        self._orders = orders
        self._events = events
        self._users = users
        self._coins = coins
        self._transactions = transactions
        self._gateway = gateway
        self._limits = limits
        self._cursors = cursors
        self._return_url = return_url
        self._count = count
        self._persistence = persistence
        self._idempotency = idempotency
        self._clock = clock

    def packs(self) -> CoinPacks:
        """The packs on sale."""
        return self._packs()

    # ------------------------------------------------------------------ checkout
    def checkout(self, caller: Caller, pack_id: str, idempotency_key: str | None = None) -> CheckoutStarted:
        """Record an order for the pack and open a Stripe checkout for it.

        ``Invalid`` for a pack not on sale, ``PurchasesFrozen`` while a payment of the caller's is
        disputed, ``RateLimited`` past the checkouts a day (nothing written), and
        ``PaymentsUnavailable`` when Stripe cannot open it (the order is then ``FAILED``; nothing
        was charged). With ``idempotency_key``, a retry answers the first checkout.
        """
        if idempotency_key is None:
            return self._checkout(caller, pack_id)
        started: list[CheckoutStarted] = []

        def check_out() -> dict[str, Any]:
            started.append(self._checkout(caller, pack_id))
            return {"orderId": started[0].order.order_id, "checkoutUrl": started[0].checkout_url}

        first = at_most_once(
            self._persistence,
            self._idempotency,
            caller.user_id,
            idempotency_key,
            {"checkout": pack_id},
            check_out,
        )
        if started:
            return started[0]
        order = self._orders.get(str(first["orderId"]))
        if order is None:
            raise Conflict("The order this Idempotency-Key made no longer exists.")
        return CheckoutStarted(order=order, checkout_url=str(first["checkoutUrl"]))

    def _checkout(self, caller: Caller, pack_id: str) -> CheckoutStarted:
        if caller.user.purchases_frozen:
            raise PurchasesFrozen(
                "You cannot buy coins while a payment of yours is disputed; contact support.",
            )
        pack = self._packs().get(pack_id)
        if pack is None:
            on_sale = ", ".join(pack.id for pack in self._packs().packs)
            raise Invalid("packId", f"There is no pack {pack_id!r}; the packs are {on_sale}.")
        now = now_iso()
        order = Order(
            order_id=new_id(),
            user_id=caller.user_id,
            pack_id=pack.id,
            coins=pack.coins,
            price=pack.price,
            status=OrderStatus.CREATED,
            created_at=now,
            updated_at=now,
        )
        self._record(order)
        back = f"{self._return_url}#order/{order.order_id}"
        try:
            opened = self._gateway().open_checkout(
                Checkout(
                    order_id=order.order_id,
                    user_id=caller.user_id,
                    product=line_item_name(pack.name, pack.coins, caller.user.language),
                    amount=pack.price.amount,
                    currency=pack.price.currency,
                    success_url=back,
                    cancel_url=f"{back}/cancelled",
                    expires_at=int(self._clock()) + CHECKOUT_SECONDS,
                    locale=caller.user.language,
                    customer_email=caller.user.email,
                )
            )
        except PaymentsUnavailable:
            self._orders.end_unpaid(order.order_id, OrderStatus.FAILED, now_iso())
            raise
        recorded = self._orders.opened(order.order_id, opened.session_id, opened.url, now_iso())
        return CheckoutStarted(order=recorded or self._order(order.order_id), checkout_url=opened.url)

    def _record(self, order: Order) -> None:
        """Write the new order, counted in the user's checkouts of the day (refused past them)."""
        while True:
            place = self._limits.slot(order.user_id, LimitedAction.CHECKOUT)
            try:
                UnitOfWork(self._transactions).with_write(
                    self._orders.create_write(order), lambda: Conflict("This order exists already.")
                ).with_write(place.write, PlaceTaken).commit()
            except PlaceTaken:
                continue  # another checkout of the user took a place meanwhile: read the day again
            return

    # ------------------------------------------------------------------ orders
    def order(self, caller: Caller, order_id: str) -> Order:
        """The order, for its buyer or an admin. One still ``CREATED`` with a checkout is looked up at
        Stripe: paid, it is fulfilled now (the buyer back from Checkout before the webhook sees the
        coins at once, and never twice); ended, it says so."""
        order = self._orders.get(order_id)
        if order is None or (order.user_id != caller.user_id and not caller.is_admin):
            raise NotFound("No such order.")
        if order.status is not OrderStatus.CREATED or order.stripe_session_id is None:
            return order
        try:
            session = self._gateway().session(order.stripe_session_id)
        except PaymentsUnavailable:
            return order  # as the service knows it; the webhook or the reconciliation will follow
        if session.payment_status == "paid":
            self._fulfil(order, session)
        elif session.status == "expired":
            self._orders.end_unpaid(order.order_id, OrderStatus.EXPIRED, now_iso())
        return self._order(order_id)

    def orders_page(self, caller: Caller, owner_id: str, limit: int, cursor: str | None) -> OrderPage:
        """A page of ``owner_id``'s orders, newest first: the caller's own, or anyone's for an admin."""
        if owner_id != caller.user_id and not caller.is_admin:
            raise NotFound("No such user.")
        scope = f"orders:{caller.user_id}:{owner_id}"
        page, last = self._orders.user_page(owner_id, limit, self._cursors.decode(cursor, scope))
        return OrderPage(
            orders=[order.view() for order in page], next_cursor=self._cursors.encode(last, scope)
        )

    def _order(self, order_id: str) -> Order:
        order = self._orders.get(order_id)
        if order is None:
            raise NotFound("No such order.")
        return order

    # ------------------------------------------------------------------ Stripe's events
    def receive(self, payload: bytes, signature: str | None) -> HandledEvent:
        """A webhook's event, verified with the endpoint's secrets and handled; ``BadRequest`` (and
        nothing changed) for a missing, wrong or stale signature, or a payload that is no event."""
        try:
            event = self._gateway().verify_event(payload, signature)
        except InvalidSignature as error:
            raise BadRequest(f"Not a Stripe event for this endpoint: {error}") from error
        try:
            StripeEvent.model_validate(event)
        except ValidationError as error:
            raise BadRequest("Not a Stripe event: it has no id, type or object.") from error
        return HandledEvent(event["id"], event["type"], self.handle_event(event))

    def handle_event(self, event: dict[str, Any]) -> str:
        """Act on one of Stripe's events, once (its id remembered); what was done, for the log."""
        event_id, kind = str(event.get("id", "")), str(event.get("type", ""))
        if self._events.handled(event_id):
            return "duplicate"
        subject: dict[str, Any] = event.get("data", {}).get("object", {})
        handlers: dict[str, Callable[[dict[str, Any]], str]] = {
            "checkout.session.completed": self._session_paid,
            "checkout.session.async_payment_succeeded": self._session_paid,
            "checkout.session.async_payment_failed": lambda session: self._session_ended(
                session, OrderStatus.FAILED
            ),
            "checkout.session.expired": lambda session: self._session_ended(session, OrderStatus.EXPIRED),
            "charge.refunded": self._charge_refunded,
            "charge.dispute.created": self._dispute_created,
            "charge.dispute.closed": self._dispute_closed,
        }
        handler = handlers.get(kind)
        outcome = handler(subject) if handler else "ignored"
        self._events.remember(event_id, kind, now_iso(), int(self._clock()) + EVENT_MEMORY_SECONDS)
        return outcome

    def _session_paid(self, subject: dict[str, Any]) -> str:
        session = _session(subject)
        order = self._known(session.order_id)
        if order is None:
            return "unknown order"
        if session.payment_status != "paid":
            return "awaiting payment"  # a delayed method: async_payment_succeeded will follow
        return "credited" if self._fulfil(order, session) else "already credited"

    def _session_ended(self, subject: dict[str, Any], status: OrderStatus) -> str:
        order = self._known(_session(subject).order_id)
        if order is None:
            return "unknown order"
        ended = self._orders.end_unpaid(order.order_id, status, now_iso())
        return status.value.lower() if ended else "already settled"

    def _charge_refunded(self, subject: dict[str, Any]) -> str:
        charge = _payment(subject)
        order = self._paid_order_of(charge.intent_id)
        if order is None:
            return "unknown order"
        taken = 0
        for refund in self._gateway().refunds(charge.id):
            if refund.status in ("succeeded", "pending"):  # a pending refund is on its way to the card
                operation = f"purchase-refund#{refund.refund_id}"
                taken += self._take_back(
                    order.order_id, refund.amount, LedgerReason.PURCHASE_REFUND, operation
                )
        return f"took back {taken} coins"

    def _dispute_created(self, subject: dict[str, Any]) -> str:
        dispute = _payment(subject)
        order = self._paid_order_of(dispute.intent_id)
        if order is None:
            return "unknown order"
        dispute_id = dispute.id
        taken = self._take_back(order.order_id, dispute.amount, LedgerReason.DISPUTE, f"dispute#{dispute_id}")
        # Frozen whatever the coins did (the dispute may take nothing left to take).
        if not self._freeze(order.user_id, dispute_id, frozen=True):
            return f"took back {taken} coins; the account was deleted"
        return f"took back {taken} coins, purchases frozen"

    def _dispute_closed(self, subject: dict[str, Any]) -> str:
        dispute = _payment(subject)
        if dispute.status != "won":
            return "lost: the coins stay taken back, purchases frozen"
        order = self._paid_order_of(dispute.intent_id)
        if order is None:
            return "unknown order"
        dispute_id = dispute.id
        given = self._give_back(order.order_id, dispute.amount, dispute_id)
        if not self._freeze(order.user_id, dispute_id, frozen=False):
            return f"gave back {given} coins; the account was deleted"
        return f"gave back {given} coins"

    # ------------------------------------------------------------------ the reconciliation
    def reconcile(self) -> int:
        """Fulfil every paid checkout of the last three days the service has not credited (a webhook
        that never arrived); how many it fixed, each counted."""
        since = int(self._clock()) - RECONCILE_SECONDS
        fixed = 0
        for session in self._gateway().completed_sessions(since):
            order = self._known(session.order_id)
            if order is None or order.status in SETTLED or session.payment_status != "paid":
                continue
            if self._fulfil(order, session):
                fixed += 1
                self._count(Metric.PURCHASES_RECONCILED, order_id=order.order_id)
        return fixed

    # ------------------------------------------------------------------ moving coins
    def _fulfil(self, order: Order, session: SessionState) -> bool:
        """Credit a paid order's coins with its ledger entry and its step to PAID, once; False if it
        was credited already, or must not be (the payment is not the order's: flagged for ops)."""
        if (session.amount_total, session.currency) != (order.price.amount, order.price.currency):
            paid = f"{session.amount_total} {session.currency}"
            self._orders.flag(
                order.order_id, f"paid {paid}, not {order.price.amount} {order.price.currency}", now_iso()
            )
            self._count(Metric.PAYMENTS_FLAGGED, order_id=order.order_id)
            return False
        step = self._orders.paid_write(order.order_id, session.payment_intent_id, now_iso())
        try:
            self._coins.settle_order(
                order.user_id,
                order.coins,
                LedgerReason.PURCHASE,
                f"purchase#{order.order_id}",
                order.order_id,
                unit=UnitOfWork(self._transactions).with_write(step, OrderMoved),
            )
        except OrderMoved:
            return False  # PAID already: credited by the webhook, the way back or the reconciliation
        self._count(Metric.COINS_PURCHASED, order.coins, order_id=order.order_id)
        return True

    def _take_back(self, order_id: str, amount: int, reason: LedgerReason, operation: str) -> int:
        """Take back, once per ``operation`` (a refund, a dispute), the coins that ``amount`` (minor
        units) pays for of the order; how many were taken now.

        The share is counted on everything taken back from the order so far, so however a price is
        refunded in parts, the coins taken back add up to the pack's exactly; each step is
        conditional on that running total, read again if another step got in first."""
        while True:
            order = self._order(order_id)
            if self._coins.entry(order.user_id, operation) is not None:
                return 0
            before = order.amount_taken_back
            after = min(order.price.amount, before + amount)
            share = _coins_for(order, after) - _coins_for(order, before)
            now = now_iso()
            refunded = amount if reason is LedgerReason.PURCHASE_REFUND else 0
            status = OrderStatus.DISPUTED if reason is LedgerReason.DISPUTE else None
            step = self._orders.taken_back_write(order_id, before, after, refunded, status, now)
            try:
                self._coins.settle_order(
                    order.user_id,
                    -share,
                    reason,
                    operation,
                    order_id,
                    unit=UnitOfWork(self._transactions).with_write(step, OrderMoved),
                )
            except OrderMoved:
                continue  # another refund or dispute of the order moved first: count again
            except NotFound:  # no wallet: the account was deleted, and there are no coins to take
                if not self._order_alone(step):
                    continue
                self._orders.end_refunded(order_id, now)
                return 0
            self._orders.end_refunded(order_id, now)
            self._count(Metric.COINS_TAKEN_BACK, share, order_id=order_id)
            return share

    def _give_back(self, order_id: str, amount: int, dispute_id: str) -> int:
        """Give back, once, what a dispute the service won took from the order."""
        while True:
            order = self._order(order_id)
            taken = self._coins.entry(order.user_id, f"dispute#{dispute_id}")
            operation = f"dispute-won#{dispute_id}"
            if taken is None or self._coins.entry(order.user_id, operation) is not None:
                return 0  # nothing was taken (its creation never reached us), or given back already
            before = order.amount_taken_back
            after = max(0, before - amount)
            status = OrderStatus.REFUNDED if order.amount_refunded >= order.price.amount else OrderStatus.PAID
            step = self._orders.taken_back_write(order_id, before, after, 0, status, now_iso())
            try:
                self._coins.settle_order(
                    order.user_id,
                    -taken.amount,
                    LedgerReason.DISPUTE_WON,
                    operation,
                    order_id,
                    unit=UnitOfWork(self._transactions).with_write(step, OrderMoved),
                )
            except OrderMoved:
                continue
            except NotFound:  # no wallet: the account was deleted, and there is no one to give coins to
                if not self._order_alone(step):
                    continue
                return 0
            return -taken.amount

    def _order_alone(self, step: Write) -> bool:
        """Move the order by ``step`` without coins (its account was deleted: the order, kept, is the
        record of what its payment became); False if another event moved it first."""
        try:
            UnitOfWork(self._transactions).with_write(step, OrderMoved).commit()
        except OrderMoved:
            return False
        return True

    def _freeze(self, user_id: str, dispute_id: str, frozen: bool) -> bool:
        """Freeze the user's purchases for ``dispute_id`` (or lift that freeze); False when there is no
        user any more (their account was deleted: their wallet is gone too). Refused for a user who is
        there, ``Contended``: the event is not remembered, and Stripe's resend freezes."""
        write = self._users.purchases_frozen_write(user_id, dispute_id, frozen=frozen, updated_at=now_iso())
        try:
            UnitOfWork(self._transactions).with_write(write, Contended).commit()
        except Contended:
            if self._coins.has_account(user_id):
                raise
            return False
        return True

    def _known(self, order_id: str | None) -> Order | None:
        """The order an event names, or None (counted: Stripe sent an event for no order of ours)."""
        order = self._orders.get(order_id) if order_id else None
        if order is None:
            self._count(Metric.UNKNOWN_PAYMENT_EVENTS, order_id=order_id or "")
        return order

    def _paid_order_of(self, intent: str | None) -> Order | None:
        """The order a payment belongs to, fulfilled first if its completion has not been handled yet
        (a refund or a dispute may arrive before it)."""
        if not intent:
            return self._known(None)
        order_id, _ = self._gateway().order_of_payment(intent)
        order = self._known(order_id)
        if order is None or order.status in SETTLED or order.stripe_session_id is None:
            return order
        session = self._gateway().session(order.stripe_session_id)
        if session.payment_status == "paid":
            self._fulfil(order, session)
        return self._orders.get(order.order_id)


def _coins_for(order: Order, amount: int) -> int:
    """The coins ``amount`` (minor units) of the order's price pays for, rounded down."""
    return order.coins * amount // order.price.amount


def _payment(subject: dict[str, Any]) -> _Payment:
    """A charge's or a dispute's fields, as the event carries them; ``BadRequest`` if it lacks them."""
    try:
        return _Payment.model_validate(subject)
    except ValidationError as error:
        raise BadRequest("A Stripe event about a payment without its id or amount.") from error


def _session(subject: dict[str, Any]) -> SessionState:
    """A Checkout Session's fields, as the event carries them; ``BadRequest`` if it lacks them."""
    try:
        return session_of(subject)
    except ValidationError as error:
        raise BadRequest("A Stripe event about a Checkout Session not shaped as Stripe's are.") from error
