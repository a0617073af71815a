"""In-memory twins of what the payments use: the orders, the Stripe events handled, the purchases a
dispute freezes (``services.orders``), the payment provider (``services.payment_gateway``) and the
store behind an ``Idempotency-Key`` (Powertools' persistence layer).

Each refuses what the real one refuses: the orders' and the freezes' writes carry the conditions
``repositories.orders`` and ``repositories.users`` write with (``tests/unit/repositories/
test_payments_twins.py`` holds them to the DynamoDB repositories), and the provider refuses what
Stripe refuses (a refund past what was paid, a refund of a disputed charge).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import STATUS_CONSTANTS, DataRecord

from imagegen.errors import PaymentsUnavailable
from imagegen.models.payments import Order, OrderStatus
from imagegen.services.payment_gateway import (
    Checkout,
    InvalidSignature,
    OpenedCheckout,
    RefundState,
    SessionState,
)
from imagegen.services.unit_of_work import Write
from tests.fakes import in_memory_write

# The names the repositories give their writes (a cancelled transaction reports them).
NEW_ORDER, ORDER_STEP, PURCHASES_FROZEN = "new order", "order step", "purchases frozen"
# The states of an order whose coins were credited (and maybe taken back since): never paid again.
CREDITED = frozenset({OrderStatus.PAID, OrderStatus.REFUNDED, OrderStatus.DISPUTED})


class InMemoryOrders:
    """``Orders`` in memory, with the conditions ``repositories.orders`` writes with: a new order never
    over an existing one, each step on an existing order only, and each on the state it expects."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}

    def create_write(self, order: Order) -> Write:
        def create() -> None:
            self.orders[order.order_id] = order

        return in_memory_write(NEW_ORDER, lambda: order.order_id not in self.orders, create)

    def get(self, order_id: str) -> Order | None:
        return self.orders.get(order_id)

    def user_page(
        self, user_id: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[Order], dict[str, Any] | None]:
        # The UserOrders index: the user's orders by id (a ULID, so by creation), newest first; as
        # DynamoDB does, a page that reaches its limit says where to go on, even if nothing follows.
        newest = sorted((o for o in self.orders.values() if o.user_id == user_id), key=lambda o: o.order_id)
        newest.reverse()
        if start_key:
            newest = [order for order in newest if order.order_id < start_key["orderId"]]
        page = newest[:limit]
        last = page[-1] if page and len(page) == limit else None
        return page, ({"orderId": last.order_id, "userId": last.user_id} if last else None)

    def opened(self, order_id: str, session_id: str, checkout_url: str, at: str) -> Order | None:
        return self._step(
            order_id,
            lambda order: order.status is OrderStatus.CREATED,
            {"stripe_session_id": session_id, "checkout_url": checkout_url, "updated_at": at},
        )

    def end_unpaid(self, order_id: str, status: OrderStatus, at: str) -> Order | None:
        return self._step(
            order_id, lambda order: order.status is OrderStatus.CREATED, {"status": status, "updated_at": at}
        )

    def flag(self, order_id: str, reason: str, at: str) -> None:
        self._step(order_id, lambda _: True, {"flagged": reason, "updated_at": at})

    def paid_write(self, order_id: str, payment_intent_id: str | None, at: str) -> Write:
        return self._step_write(
            order_id,
            lambda order: order.status not in CREDITED,
            lambda _: {
                "status": OrderStatus.PAID,
                "payment_intent_id": payment_intent_id,
                "updated_at": at,
            },
        )

    def taken_back_write(
        self, order_id: str, before: int, after: int, refunded: int, status: OrderStatus | None, at: str
    ) -> Write:
        def changes(order: Order) -> dict[str, Any]:
            moved: dict[str, Any] = {
                "amount_taken_back": after,
                "amount_refunded": order.amount_refunded + refunded,  # added at commit, as DynamoDB's SET
                "updated_at": at,
            }
            return {**moved, "status": status} if status is not None else moved

        return self._step_write(order_id, lambda order: order.amount_taken_back == before, changes)

    def end_refunded(self, order_id: str, at: str) -> None:
        self._step(
            order_id,
            lambda order: order.status is OrderStatus.PAID and order.amount_refunded >= order.price.amount,
            {"status": OrderStatus.REFUNDED, "updated_at": at},
        )

    def _step_write(
        self,
        order_id: str,
        condition: Callable[[Order], bool],
        changes: Callable[[Order], dict[str, Any]],
    ) -> Write:
        """A step of an existing order, on ``condition`` read at commit; its changes made then too."""

        def holds() -> bool:
            order = self.orders.get(order_id)
            return order is not None and condition(order)

        def step() -> None:
            order = self.orders[order_id]
            self.orders[order_id] = order.model_copy(update=changes(order))

        return in_memory_write(ORDER_STEP, holds, step)

    def _step(
        self, order_id: str, condition: Callable[[Order], bool], changes: dict[str, Any]
    ) -> Order | None:
        """A step taken alone: the order as it leaves it, or None (nothing changed) if refused."""
        order = self.orders.get(order_id)
        if order is None or not condition(order):
            return None
        self.orders[order_id] = order.model_copy(update=changes)
        return self.orders[order_id]


class InMemoryHandledEvents:
    """``HandledEvents`` in memory: each event's first note kept (type, when, until when)."""

    def __init__(self) -> None:
        self.notes: dict[str, tuple[str, str, int]] = {}

    def handled(self, event_id: str) -> bool:
        return event_id in self.notes

    def remember(self, event_id: str, event_type: str, at: str, expires_at: int) -> None:
        self.notes.setdefault(event_id, (event_type, at, expires_at))


class InMemoryPurchaseFreezes:
    """``PurchaseFreezes`` in memory: the disputes freezing each known user's purchases; a write for a
    user who does not exist is refused, as ``repositories.users`` refuses it."""

    def __init__(self, *user_ids: str) -> None:
        self.frozen_by: dict[str, frozenset[str]] = {user_id: frozenset() for user_id in user_ids}

    def purchases_frozen_write(self, user_id: str, dispute_id: str, frozen: bool, updated_at: str) -> Write:
        def apply() -> None:
            disputes = self.frozen_by[user_id]
            self.frozen_by[user_id] = disputes | {dispute_id} if frozen else disputes - {dispute_id}

        return in_memory_write(PURCHASES_FROZEN, lambda: user_id in self.frozen_by, apply)

    def frozen(self, user_id: str) -> bool:
        """Whether a dispute stands against the user's purchases (``User.purchases_frozen``)."""
        return bool(self.frozen_by.get(user_id))


# ---------------------------------------------------------------------------------------- the provider
@dataclass
class _Session:
    state: SessionState
    checkout: Checkout
    created: int


@dataclass
class _Charge:
    charge_id: str
    intent_id: str
    order_id: str | None
    user_id: str | None
    amount: int
    refunds: list[RefundState] = field(default_factory=list)
    disputed: bool = False

    @property
    def refunded(self) -> int:
        return sum(refund.amount for refund in self.refunds if refund.status in ("succeeded", "pending"))


class InMemoryGateway:
    """A ``PaymentGateway`` in memory, and the provider's side for the test to act as Stripe: a buyer
    pays, a checkout expires, ops refund, a bank disputes. Each of those answers the event Stripe
    would send (``signed`` makes it a webhook's payload and header). ``unavailable`` makes every call
    of the service fail as an unreachable Stripe does."""

    def __init__(self, clock: Callable[[], float], secret: str = "whsec_memory") -> None:
        self._clock = clock
        self._secret = secret
        self._sessions: dict[str, _Session] = {}
        self._session_of_order: dict[str, str] = {}
        self._charges: dict[str, _Charge] = {}
        self._charge_of_intent: dict[str, str] = {}
        self._disputes: dict[str, dict[str, Any]] = {}
        self._count = 0
        self.unavailable = False
        self.opened: list[Checkout] = []  # every checkout the service asked to open

    # -------------------------------------------------------------- the port
    def open_checkout(self, checkout: Checkout) -> OpenedCheckout:
        self._reachable()
        self.opened.append(checkout)
        # Stripe's idempotency key is the order's: the same order opens the same session.
        session_id = self._session_of_order.get(checkout.order_id) or self._new("cs")
        if session_id not in self._sessions:
            state = SessionState(
                session_id=session_id,
                status="open",
                payment_status="unpaid",
                amount_total=checkout.amount,
                currency=checkout.currency,
                payment_intent_id=None,
                order_id=checkout.order_id,
                user_id=checkout.user_id,
            )
            self._sessions[session_id] = _Session(state, checkout, int(self._clock()))
            self._session_of_order[checkout.order_id] = session_id
        return OpenedCheckout(session_id=session_id, url=self.page_url(session_id))

    def session(self, session_id: str) -> SessionState:
        self._reachable()
        if session_id not in self._sessions:
            raise _unavailable()  # Stripe answers 404, which the adapter turns into PaymentsUnavailable
        return self._sessions[session_id].state

    def completed_sessions(self, since: int) -> Iterator[SessionState]:
        self._reachable()
        for session in sorted(self._sessions.values(), key=lambda s: s.created, reverse=True):
            if session.state.status == "complete" and session.created >= since:
                yield session.state

    def order_of_payment(self, payment_intent_id: str) -> tuple[str | None, str | None]:
        self._reachable()
        charge = self._charges.get(self._charge_of_intent.get(payment_intent_id, ""))
        if charge is None:
            raise _unavailable()
        return charge.order_id, charge.user_id

    def refunds(self, charge_id: str) -> list[RefundState]:
        self._reachable()
        if charge_id not in self._charges:
            raise _unavailable()
        return list(reversed(self._charges[charge_id].refunds))  # newest first, as Stripe lists them

    def verify_event(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        if not signature:
            raise InvalidSignature("No Stripe-Signature header.")
        if not hmac.compare_digest(signature, self.signature(payload)):
            raise InvalidSignature("The signature does not check with the endpoint's secret.")
        try:
            event: dict[str, Any] = json.loads(payload)
        except ValueError as error:
            raise InvalidSignature("The payload is not JSON.") from error
        return event

    # -------------------------------------------------------------- Stripe's side
    def page_url(self, session_id: str) -> str:
        return f"https://checkout.memory/pay/{session_id}"

    def signed(self, event: dict[str, Any]) -> tuple[bytes, str]:
        """The payload and signature of ``event`` as the webhook delivers them."""
        payload = json.dumps(event).encode()
        return payload, self.signature(payload)

    def charge_of(self, intent_id: str) -> str:
        """The charge that took a payment (what a charge's events and its refunds name)."""
        return self._charge_of_intent[intent_id]

    def created(self, session_id: str) -> int:
        """When the session was opened (unix seconds)."""
        return self._sessions[session_id].created

    def pay(
        self, session_id: str, amount: int | None = None, delayed: bool = False, currency: str | None = None
    ) -> dict[str, Any]:
        """The buyer pays the checkout (``amount``, by default its price): the completion's event. A
        delayed method completes unpaid, until ``settle``."""
        session = self._sessions[session_id]
        if session.state.status != "open":
            raise ValueError(f"session {session_id} is {session.state.status}: it cannot be paid")
        intent_id, charge_id = self._new("pi"), self._new("ch")
        paid = session.checkout.amount if amount is None else amount
        session.state = replace(
            session.state,
            status="complete",
            payment_status="unpaid" if delayed else "paid",
            amount_total=paid,
            currency=currency or session.state.currency,
            payment_intent_id=intent_id,
        )
        self._charge_of_intent[intent_id] = charge_id
        if not delayed:
            self._charges[charge_id] = _Charge(
                charge_id, intent_id, session.state.order_id, session.state.user_id, paid
            )
        return self.event("checkout.session.completed", self.session_object(session_id))

    def settle(self, session_id: str, succeeded: bool) -> dict[str, Any]:
        """A delayed payment settles: the event that says how."""
        session = self._sessions[session_id]
        intent_id = session.state.payment_intent_id
        if session.state.payment_status != "unpaid" or intent_id is None:
            raise ValueError(f"session {session_id} has no payment waiting to settle")
        if succeeded:
            session.state = replace(session.state, payment_status="paid")
            charge_id = self._charge_of_intent[intent_id]
            self._charges[charge_id] = _Charge(
                charge_id, intent_id, session.state.order_id, session.state.user_id, session.checkout.amount
            )
        kind = "succeeded" if succeeded else "failed"
        return self.event(f"checkout.session.async_payment_{kind}", self.session_object(session_id))

    def expire(self, session_id: str) -> dict[str, Any]:
        """The checkout ends unpaid: the event."""
        session = self._sessions[session_id]
        if session.state.status != "open":
            raise ValueError(f"only an open session expires; {session_id} is {session.state.status}")
        session.state = replace(session.state, status="expired")
        return self.event("checkout.session.expired", self.session_object(session_id))

    def refund(self, intent_id: str, amount: int | None = None, status: str = "succeeded") -> dict[str, Any]:
        """Ops refund ``amount`` of the payment (all that is left, by default): ``charge.refunded``."""
        charge = self._charges[self._charge_of_intent[intent_id]]
        left = charge.amount - charge.refunded
        amount = left if amount is None else amount
        if charge.disputed or not 0 < amount <= left:
            raise ValueError(f"Stripe refuses to refund {amount} of {charge.charge_id} ({left} left)")
        charge.refunds.append(RefundState(refund_id=self._new("re"), amount=amount, status=status))
        return self.event("charge.refunded", self.charge_object(charge.charge_id))

    def dispute(self, intent_id: str) -> dict[str, Any]:
        """The buyer's bank disputes what is left of the payment: ``charge.dispute.created``."""
        charge = self._charges[self._charge_of_intent[intent_id]]
        amount = charge.amount - charge.refunded
        if charge.disputed or amount <= 0:
            raise ValueError(f"Stripe has nothing to dispute on {charge.charge_id}")
        charge.disputed = True
        dispute_id = self._new("dp")
        dispute: dict[str, Any] = {
            "id": dispute_id,
            "object": "dispute",
            "amount": amount,
            "charge": charge.charge_id,
            "payment_intent": intent_id,
            "status": "needs_response",
        }
        self._disputes[dispute_id] = dispute
        return self.event("charge.dispute.created", copy.deepcopy(dispute))

    def close_dispute(self, dispute_id: str, status: str) -> dict[str, Any]:
        """The bank decides (``won``, ``lost``): ``charge.dispute.closed``."""
        self._disputes[dispute_id]["status"] = status
        return self.event("charge.dispute.closed", copy.deepcopy(self._disputes[dispute_id]))

    def session_object(self, session_id: str) -> dict[str, Any]:
        """The Checkout Session as an event carries it."""
        state = self._sessions[session_id].state
        return {
            "id": session_id,
            "object": "checkout.session",
            "status": state.status,
            "payment_status": state.payment_status,
            "amount_total": state.amount_total,
            "currency": state.currency,
            "payment_intent": state.payment_intent_id,
            "client_reference_id": state.order_id,
            "metadata": {"order_id": state.order_id, "user_id": state.user_id},
        }

    def charge_object(self, charge_id: str) -> dict[str, Any]:
        """The charge as an event carries it (its amount is the whole payment's)."""
        charge = self._charges[charge_id]
        return {
            "id": charge_id,
            "object": "charge",
            "amount": charge.amount,
            "amount_refunded": charge.refunded,
            "payment_intent": charge.intent_id,
            "disputed": charge.disputed,
        }

    def event(self, kind: str, subject: dict[str, Any]) -> dict[str, Any]:
        """A new event about ``subject``, with an id of its own."""
        return {"id": self._new("evt"), "object": "event", "type": kind, "data": {"object": subject}}

    def _new(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count:06d}"

    def signature(self, payload: bytes) -> str:
        """The ``Stripe-Signature`` this endpoint's secret gives ``payload``."""
        return hmac.new(self._secret.encode(), payload, hashlib.sha256).hexdigest()

    def _reachable(self) -> None:
        if self.unavailable:
            raise _unavailable()


def _unavailable() -> PaymentsUnavailable:
    return PaymentsUnavailable(
        "Payments are unavailable right now; nothing was charged. Try again in a moment.",
        {"provider": "InMemoryGateway"},
        retry_after=30,
    )


# ---------------------------------------------------------------------------------------- idempotency
class InMemoryIdempotency(BasePersistenceLayer):
    """Powertools' idempotency store in memory, writing on the conditions its DynamoDB layer writes
    with: a record is put only over none, an expired one, or one left in progress past its time."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Powertools is untyped
        self.records: dict[str, DataRecord] = {}

    def _get_record(self, idempotency_key: str) -> DataRecord:
        try:
            return copy.copy(self.records[idempotency_key])
        except KeyError as missing:
            raise IdempotencyItemNotFoundError from missing

    def _put_record(self, data_record: DataRecord) -> None:
        now = time.time()  # Powertools' own expiries are on the wall clock
        held = self.records.get(data_record.idempotency_key)
        if held is not None:
            expired = held.expiry_timestamp is not None and held.expiry_timestamp < int(now)
            abandoned = (
                held.status == STATUS_CONSTANTS["INPROGRESS"]
                and held.in_progress_expiry_timestamp is not None
                and held.in_progress_expiry_timestamp < int(now * 1000)
            )
            if not (expired or abandoned):
                raise IdempotencyItemAlreadyExistsError
        self.records[data_record.idempotency_key] = DataRecord(
            idempotency_key=data_record.idempotency_key,
            status=data_record.status,
            expiry_timestamp=data_record.expiry_timestamp,
            in_progress_expiry_timestamp=data_record.in_progress_expiry_timestamp,
            payload_hash=data_record.payload_hash if self.payload_validation_enabled else "",
        )

    def _update_record(self, data_record: DataRecord) -> None:
        # An update, not a put: what it does not set (the in-progress expiry) stays as it was.
        held = self.records.get(data_record.idempotency_key)
        self.records[data_record.idempotency_key] = DataRecord(
            idempotency_key=data_record.idempotency_key,
            status=data_record.status,
            expiry_timestamp=data_record.expiry_timestamp,
            in_progress_expiry_timestamp=held.in_progress_expiry_timestamp if held else None,
            response_data=data_record.response_data,
            payload_hash=data_record.payload_hash
            if self.payload_validation_enabled
            else (held.payload_hash if held else ""),
        )

    def _delete_record(self, data_record: DataRecord) -> None:
        self.records.pop(data_record.idempotency_key, None)
