"""The caller of an authenticated route, for ``Annotated[Caller, Depends(current_caller)]``.

No ``from __future__ import annotations`` here, nor in the handlers: Powertools reads the
annotations of a route and its dependencies with ``typing.get_type_hints`` on every request,
which compiles each one again when it is a string (about 0.2 ms a request).
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Protocol

from aws_lambda_powertools.event_handler import Request
from aws_lambda_powertools.event_handler.depends import Depends

from imagegen.errors import Forbidden
from imagegen.models.auth import Caller

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Route
    from aws_lambda_powertools.event_handler.openapi.params import Dependant
    from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent


class Authenticator(Protocol):
    """Who calls: a valid access token whose session is still live (``AuthService``)."""

    def authenticate(self, authorization: str | None) -> Caller: ...


def authenticator() -> Authenticator:
    """The API's authenticator: ``build_api(authenticator_of=...)`` provides it, as a dependency override
    (and a test overrides it the same way)."""
    raise LookupError("this API was built without an authenticator: build_api(..., authenticator_of=...)")


def current_caller(request: Request, auth: Annotated[Authenticator, Depends(authenticator)]) -> Caller:
    """The verified caller, as a route's dependency."""
    return auth.authenticate(request.resolved_event.headers.get("authorization"))


def current_admin(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    """The verified caller, who must be an admin."""
    if not caller.is_admin:
        raise Forbidden("This needs the ADMIN role.")
    return caller


def check_caller_first(
    route: "Route | None", event: "BaseProxyEvent", auth: Callable[[], Authenticator]
) -> None:
    """Refuse a request as ``route``'s dependencies would (401 for a stranger, 403 for a user on an
    admin's route), for a request refused before they ran: a stranger learns nothing of a body's
    schema, nor whether a path id is well-formed."""
    if _depends_on(route, current_caller):
        caller = auth().authenticate(event.headers.get("authorization"))
        if _depends_on(route, current_admin):
            current_admin(caller)


def _depends_on(route: "Route | None", wanted: object) -> bool:
    """Whether ``route``, or a dependency of it, depends on ``wanted``."""
    pending: list[Dependant] = [route.dependant] if route is not None else []
    while pending:
        dependant = pending.pop()
        for dependency in dependant.dependencies:
            if dependency.depends.dependency is wanted:
                return True
            pending.append(dependency.dependant)
    return False


AuthenticatedCaller = Annotated[Caller, Depends(current_caller)]
AdminCaller = Annotated[Caller, Depends(current_admin)]
