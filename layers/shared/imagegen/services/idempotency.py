"""A request acted on at most once per ``Idempotency-Key``: its first answer replayed to a retry.

Powertools' idempotency stores the first answer under the caller's user and key, with the request
it answered; the same key with another request, or while the first is still running, is refused
(``Conflict``), as the contract says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from imagegen.errors import Conflict

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer


def at_most_once(
    persistence: BasePersistenceLayer,
    config: IdempotencyConfig,
    user_id: str,
    key: str,
    request: dict[str, Any],
    work: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """``work()``'s answer (what it made, as JSON to store), run only the first time ``user_id``
    sends ``key`` with ``request``; a retry gets the stored answer without running it."""
    # Loaded by the first request with a key, not with the function: the catalog, the order listing
    # and Stripe's webhooks never need it.
    from aws_lambda_powertools.utilities.idempotency import idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    @idempotent_function(data_keyword_argument="command", persistence_store=persistence, config=config)
    def run(command: dict[str, Any]) -> dict[str, Any]:  # noqa: ARG001 - what the answer is stored under
        # The stored answer names its user: the record's key is a hash of the user and their key, so an
        # account's deletion finds the user's records by this (repositories.idempotency).
        return {"userId": user_id, "answer": work()}

    try:
        stored: dict[str, Any] = run(command={"userId": user_id, "key": key, "request": request})
    except IdempotencyValidationError as error:
        raise Conflict("This Idempotency-Key was already used with another request.") from error
    except IdempotencyAlreadyInProgressError as error:
        raise Conflict("A request with this Idempotency-Key is still in progress.", retry_after=1) from error
    # An answer stored before answers named their user is the answer itself (kept a day at most).
    answer: dict[str, Any] = stored["answer"] if "answer" in stored and "userId" in stored else stored
    return answer
