"""The one map from errors to HTTP statuses and codes, and the envelope every error is sent in."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from imagegen import errors
from imagegen.api.responses.envelope import ErrorBody, ErrorEnvelope

# Codes of refusals made by the resolver itself, not by a domain error.
INVALID_JSON = "INVALID_JSON"
VALIDATION_ERROR = "VALIDATION_ERROR"
NOT_FOUND = "NOT_FOUND"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
INTERNAL = "INTERNAL"

# Most specific first: the first class an error is an instance of decides.
ERROR_STATUS: list[tuple[type[errors.DomainError], HTTPStatus, str]] = [
    (errors.TokenExpired, HTTPStatus.UNAUTHORIZED, "TOKEN_EXPIRED"),
    (errors.Unauthorized, HTTPStatus.UNAUTHORIZED, "UNAUTHORIZED"),
    (errors.AccountSuspended, HTTPStatus.FORBIDDEN, "ACCOUNT_SUSPENDED"),
    (errors.Forbidden, HTTPStatus.FORBIDDEN, "FORBIDDEN"),
    (errors.NotFound, HTTPStatus.NOT_FOUND, NOT_FOUND),
    (errors.PurchasesFrozen, HTTPStatus.CONFLICT, "PURCHASES_FROZEN"),
    (errors.AccountDeleting, HTTPStatus.CONFLICT, "ACCOUNT_DELETING"),
    (errors.Conflict, HTTPStatus.CONFLICT, "CONFLICT"),
    (errors.InsufficientCoins, HTTPStatus.PAYMENT_REQUIRED, "INSUFFICIENT_COINS"),
    (errors.TooLarge, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "TOO_LARGE"),
    (errors.UnsupportedMediaType, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE"),
    (errors.BadRequest, HTTPStatus.BAD_REQUEST, "BAD_REQUEST"),
    (errors.Invalid, HTTPStatus.UNPROCESSABLE_ENTITY, VALIDATION_ERROR),
    (errors.RateLimited, HTTPStatus.TOO_MANY_REQUESTS, "RATE_LIMITED"),
    (errors.Busy, HTTPStatus.TOO_MANY_REQUESTS, "RATE_LIMITED"),
    (errors.PaymentsUnavailable, HTTPStatus.SERVICE_UNAVAILABLE, "PAYMENTS_UNAVAILABLE"),
]


def error_response(
    status: HTTPStatus,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    """A response with the API's error envelope."""
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=ErrorEnvelope(error=ErrorBody(code=code, message=message, details=details or {})).to_json(),
        headers=headers,
    )


def error_code(error: type[errors.DomainError]) -> tuple[HTTPStatus, str]:
    """The status and ``error.code`` the API answers an ``error`` with (the first of ``ERROR_STATUS``
    it is a kind of)."""
    for error_class, status, code in ERROR_STATUS:
        if issubclass(error, error_class):
            return status, code
    raise TypeError(f"no HTTP mapping for {error.__name__}")


def domain_error_response(error: errors.DomainError) -> Response[dict[str, Any]]:
    """The envelope for a domain error, with the status and code of ``ERROR_STATUS``."""
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    status, code = error_code(type(error))
    return error_response(status, code, error.message, error.details, headers)


def field_errors(validation_errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """``details.fields`` of a 422: which field, where, and what is wrong with it."""
    fields = []
    for error in validation_errors:
        location, *path = [str(part) for part in error.get("loc", ())] or ["body"]
        fields.append(
            {
                "field": ".".join(path) or location,
                "in": location,
                "message": str(error.get("msg") or error.get("type", "invalid")),
            }
        )
    return fields
