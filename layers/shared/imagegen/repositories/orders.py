"""The orders table (one item per purchase, each step a conditional write) and the payment events
table (the id of every Stripe event handled, kept until Stripe has long stopped resending it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from imagegen.models.payments import Order, OrderStatus
from imagegen.repositories.dynamo import (
    from_item,
    is_condition_failure,
    newest_first_page,
    to_item,
    to_values,
    update_if,
)
from imagegen.services.unit_of_work import Write

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

USER_ORDERS = "UserOrders"
# The names of the writes on the orders table, as a cancelled transaction reports them.
NEW_ORDER, ORDER_STEP = "new order", "order step"


class OrderRepository:
    """Orders by id, and each user's newest first (the ``UserOrders`` index)."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def create_write(self, order: Order) -> Write:
        """The write of a new order (never over an existing one)."""
        return Write(
            NEW_ORDER,
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(order.model_dump(by_alias=True)),
                    "ConditionExpression": "attribute_not_exists(orderId)",
                }
            },
        )

    def get(self, order_id: str) -> Order | None:
        """The order, read consistently, or None."""
        item = self._client.get_item(
            TableName=self._table, Key=to_item({"orderId": order_id}), ConsistentRead=True
        ).get("Item")
        return Order.model_validate(from_item(item)) if item else None

    def user_page(
        self, user_id: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[Order], dict[str, Any] | None]:
        """One page of the user's orders, newest first, and where to continue."""
        items, last = newest_first_page(
            self._client,
            start_key,
            limit,
            TableName=self._table,
            IndexName=USER_ORDERS,
            KeyConditionExpression="userId = :user",
            ExpressionAttributeValues=to_values({":user": user_id}),
        )
        return [Order.model_validate(item) for item in items], last

    def opened(self, order_id: str, session_id: str, checkout_url: str, at: str) -> Order | None:
        """Record the checkout opened for a ``CREATED`` order; the order as it is now, None if it has
        moved on (a payment's event got there first: nothing to record)."""
        return self._step(
            order_id,
            "SET stripeSessionId = :session, checkoutUrl = :url, updatedAt = :at",
            "#status = :created",
            {":session": session_id, ":url": checkout_url, ":at": at, ":created": OrderStatus.CREATED.value},
        )

    def end_unpaid(self, order_id: str, status: OrderStatus, at: str) -> Order | None:
        """``CREATED`` -> ``status`` (FAILED, EXPIRED): the checkout ended without a payment."""
        return self._step(
            order_id,
            "SET #status = :status, updatedAt = :at",
            "#status = :created",
            {":status": status.value, ":at": at, ":created": OrderStatus.CREATED.value},
        )

    def flag(self, order_id: str, reason: str, at: str) -> None:
        """Mark an order whose payment the service would not credit, saying why (for ops)."""
        self._step(order_id, "SET flagged = :reason, updatedAt = :at", None, {":reason": reason, ":at": at})

    def paid_write(self, order_id: str, payment_intent_id: str | None, at: str) -> Write:
        """The write making the order ``PAID`` (with its payment), beside the credit of its coins. An
        order not credited yet may become PAID: Stripe took the money, whatever the service thought of
        the checkout meanwhile (it had failed to answer, or marked it expired). One credited already
        may not (PAID, or REFUNDED or DISPUTED since: its coins were credited, then taken back)."""
        return self._step_write(
            order_id,
            "SET #status = :paid, paymentIntentId = :intent, updatedAt = :at",
            "NOT (#status IN (:paid, :refunded, :disputed))",
            {
                ":paid": OrderStatus.PAID.value,
                ":refunded": OrderStatus.REFUNDED.value,
                ":disputed": OrderStatus.DISPUTED.value,
                ":intent": payment_intent_id,
                ":at": at,
            },
        )

    def taken_back_write(
        self, order_id: str, before: int, after: int, refunded: int, status: OrderStatus | None, at: str
    ) -> Write:
        """The write moving what was taken back of a paid order's price from ``before`` (as read: the
        write is refused if it changed meanwhile) to ``after``, adding ``refunded`` to its refunds and
        setting ``status`` (a dispute's), beside the coins' movement."""
        update = "SET amountTakenBack = :after, amountRefunded = amountRefunded + :refunded, updatedAt = :at"
        values: dict[str, Any] = {":after": after, ":refunded": refunded, ":at": at, ":before": before}
        if status is not None:
            update += ", #status = :status"
            values[":status"] = status.value
        return self._step_write(order_id, update, "amountTakenBack = :before", values)

    def end_refunded(self, order_id: str, at: str) -> None:
        """``PAID`` -> ``REFUNDED`` once all of its price was refunded."""
        self._step(
            order_id,
            "SET #status = :refunded, updatedAt = :at",
            "#status = :paid AND amountRefunded >= price.amount",
            {":refunded": OrderStatus.REFUNDED.value, ":paid": OrderStatus.PAID.value, ":at": at},
        )

    def _step_write(self, order_id: str, update: str, condition: str | None, values: dict[str, Any]) -> Write:
        """An update of an existing order (on ``condition`` too, if any); ``#status`` names its status."""
        existing = "attribute_exists(orderId)"
        step: dict[str, Any] = {
            "TableName": self._table,
            "Key": to_item({"orderId": order_id}),
            "UpdateExpression": update,
            "ConditionExpression": f"{existing} AND ({condition})" if condition else existing,
            "ExpressionAttributeValues": to_values(values),
        }
        if "#status" in f"{update} {condition}":
            step["ExpressionAttributeNames"] = {"#status": "status"}
        return Write(ORDER_STEP, {"Update": step})

    def _step(
        self, order_id: str, update: str, condition: str | None, values: dict[str, Any]
    ) -> Order | None:
        operation = dict(self._step_write(order_id, update, condition, values).item["Update"])
        updated = update_if(self._client, **operation, ReturnValues="ALL_NEW")
        return Order.model_validate(updated) if updated is not None else None


class PaymentEventRepository:
    """The ids of the Stripe events handled, each kept ``keep_seconds`` (Stripe resends for 3 days)."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def handled(self, event_id: str) -> bool:
        """Whether the event was handled already."""
        item = self._client.get_item(
            TableName=self._table, Key=to_item({"eventId": event_id}), ConsistentRead=True
        ).get("Item")
        return item is not None

    def remember(self, event_id: str, event_type: str, at: str, expires_at: int) -> None:
        """Note the event as handled (again is fine: the first note stays)."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(
                    {"eventId": event_id, "type": event_type, "handledAt": at, "expiresAt": expires_at}
                ),
                ConditionExpression="attribute_not_exists(eventId)",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
