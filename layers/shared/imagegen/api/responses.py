"""The bodies the API answers with, as models: the handlers build them, and the OpenAPI document is
generated from the same classes, so what is documented is what is sent."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from imagegen.models.auth import TokenPair
from imagegen.models.base import CamelModel
from imagegen.models.images import ImageView, PresignedPost
from imagegen.models.payments import OrderView
from imagegen.models.users import UserView


class ErrorBody(CamelModel):
    """What went wrong: a stable ``code`` to branch on, a ``message`` for people, and ``details``
    (``fields`` of a 422, ``balance`` and ``required`` of a 402, ``requestId`` of a 500)."""

    code: str = Field(examples=["VALIDATION_ERROR"])
    message: str
    details: dict[str, Any]


class ErrorEnvelope(CamelModel):
    """Every non-2xx answer of the API."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "VALIDATION_ERROR",
                        "message": "The request is not valid.",
                        "details": {
                            "fields": [{"field": "prompt", "in": "body", "message": "Field required"}]
                        },
                    }
                }
            ]
        }
    )

    error: ErrorBody


class HealthStatus(CamelModel):
    """The service answers, and which version of it does."""

    status: Literal["ok"]
    version: str


class ApiDescription(BaseModel):
    """The OpenAPI 3.1 document of this API (this one)."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


class UserResponse(CamelModel):
    """One user, with the balance (and ``stats``, on the caller's own profile)."""

    user: UserView


class ImageResponse(CamelModel):
    """One image."""

    image: ImageView


class SignedIn(TokenPair):
    """The user signed in, and the tokens of the new session."""

    user: UserView


class GenerationAccepted(CamelModel):
    """The image is recorded (``PENDING``), charged and queued; ``user.coins`` is the balance after."""

    image: ImageView
    user: UserView


class UploadAccepted(CamelModel):
    """The upload is recorded (``PENDING``) and charged: POST ``upload.fields`` then the file to
    ``upload.url`` before ``upload.expiresAt``; ``user.coins`` is the balance after."""

    image: ImageView
    upload: PresignedPost
    user: UserView


class CheckoutOpened(CamelModel):
    """The order recorded, and Stripe's checkout page to send the buyer to."""

    order: OrderView
    checkout_url: str


class OrderResponse(CamelModel):
    """An order."""

    order: OrderView


class OrderPageResponse(CamelModel):
    """A page of orders, newest first, and the cursor of the next page."""

    orders: list[OrderView]
    next_cursor: str | None


class WebhookReceived(CamelModel):
    """Stripe's event was verified and handled (or had been already)."""

    received: Literal[True]
    outcome: str
