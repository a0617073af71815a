"""Domain errors. The API layer maps each class to one status and code (``imagegen.api.errors``)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the service reports to a caller on purpose; ``retry_after`` (seconds) when
    the same request may well succeed a moment later (sent as ``Retry-After``)."""

    def __init__(
        self, message: str, details: dict[str, Any] | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.retry_after = retry_after


class BadRequest(DomainError):
    """The request is malformed beyond schema validation (a bad cursor, say)."""


class Unauthorized(DomainError):
    """No credentials, or credentials that are invalid or revoked."""


class TokenExpired(Unauthorized):
    """An access token that was valid and has expired: the client should refresh."""


class Forbidden(DomainError):
    """Authenticated, but not allowed."""


class AccountSuspended(Forbidden):
    """The user is suspended by an admin: none of their tokens is accepted, and they cannot sign in."""


class Invalid(DomainError):
    """A request that is well-formed but not acceptable (a model or size the catalog does not offer,
    references that are not the caller's finished images): a 422 naming the fields."""

    def __init__(
        self, field: str, message: str, location: str = "body", details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(
            "The request is not valid.",
            {"fields": [{"field": field, "in": location, "message": message}], **(details or {})},
        )


class NotFound(DomainError):
    """No such resource for this caller."""


class Conflict(DomainError):
    """The current state does not allow the change."""


class AccountDeleting(Conflict):
    """The account is being deleted: nobody signs in to it until it is gone."""


class InsufficientCoins(DomainError):
    """The balance is below the cost."""

    def __init__(self, balance: int, required: int) -> None:
        super().__init__(
            f"This costs {required} coins and the balance is {balance}.",
            {"balance": balance, "required": required},
        )
        self.balance = balance
        self.required = required


class TooLarge(DomainError):
    """A declared size or a request body over the limit."""


class UnsupportedMediaType(DomainError):
    """A content type that is not accepted."""


class Busy(DomainError):
    """Too many requests at once for one thing (a wallet, say): nothing changed; the caller may try
    again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, {"retryAfter": retry_after}, retry_after=retry_after)


class RateLimited(Busy):
    """One user started more of something (generations, uploads) than a window allows: nothing was
    charged or written; the window ends in ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int, limit: int, window_seconds: int) -> None:
        super().__init__(message, retry_after)
        self.details.update({"limit": limit, "windowSeconds": window_seconds})


class PurchasesFrozen(Conflict):
    """The user may not buy coins: a payment of theirs is disputed (or a dispute was lost)."""


class PaymentsUnavailable(DomainError):
    """The payment provider could not be reached or refused the request: nothing was charged."""


class OutsideServiceFailed(Exception):
    """A service the use cases depend on (S3, SQS) failed or refused: not the caller's fault, nor
    reported to them as a ``DomainError`` (the API answers 500). Adapters raise it from their
    service's own errors, so that use cases decide what to do without knowing any SDK."""


class StorageUnavailable(OutsideServiceFailed):
    """The images bucket could not be read or written."""


class QueueUnavailable(OutsideServiceFailed):
    """The generate queue did not take a message."""
