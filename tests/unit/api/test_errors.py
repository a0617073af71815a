from __future__ import annotations

import pytest

from imagegen import errors
from imagegen.api.errors import ERROR_STATUS, domain_error_response


@pytest.mark.parametrize(
    ("error", "status", "code", "retry_after"),
    [
        (errors.Busy("busy", retry_after=2), 429, "RATE_LIMITED", "2"),
        (
            errors.RateLimited("slow down", retry_after=7, limit=20, window_seconds=60),
            429,
            "RATE_LIMITED",
            "7",
        ),
        (errors.Conflict("still in progress", retry_after=1), 409, "CONFLICT", "1"),
        (errors.Conflict("another body"), 409, "CONFLICT", None),
        (errors.TokenExpired("expired"), 401, "TOKEN_EXPIRED", None),
        (errors.AccountSuspended("suspended"), 403, "ACCOUNT_SUSPENDED", None),
        (errors.Forbidden("not an admin"), 403, "FORBIDDEN", None),
        (errors.Invalid("model", "no such model"), 422, "VALIDATION_ERROR", None),
    ],
)
def test_each_error_has_its_status_and_code_and_says_when_to_retry(
    error: errors.DomainError, status: int, code: str, retry_after: str | None
) -> None:
    response = domain_error_response(error)

    assert response.status_code == status
    assert response.body is not None
    assert response.body["error"]["code"] == code
    assert response.headers.get("Retry-After") == retry_after


def test_every_domain_error_has_a_status() -> None:
    mapped = {error_class for error_class, _, _ in ERROR_STATUS}
    defined = {
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.DomainError)
    }
    assert defined - {errors.DomainError} <= mapped
