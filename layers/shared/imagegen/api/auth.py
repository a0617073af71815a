"""The caller of an authenticated route, for ``Annotated[Caller, Depends(current_caller)]``."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Request
from aws_lambda_powertools.event_handler.depends import Depends

from imagegen.container import services
from imagegen.errors import Forbidden
from imagegen.models.auth import Caller


def current_caller(request: Request) -> Caller:
    """The verified caller: a valid access token whose session is still live."""
    authorization = request.resolved_event.headers.get("authorization")
    return services().auth.authenticate(authorization)


def current_admin(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    """The verified caller, who must be an admin."""
    if not caller.is_admin:
        raise Forbidden("This needs the ADMIN role.")
    return caller


AuthenticatedCaller = Annotated[Caller, Depends(current_caller)]
AdminCaller = Annotated[Caller, Depends(current_admin)]
