"""Sign-in with Google, token refresh, logout, and the signed-in user."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import AuthenticatedCaller
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.container import services
from imagegen.models.auth import GoogleSignIn, RefreshRequest

logger = Logger()
app = build_api(logger)


@app.post(f"{API_PREFIX}/auth/google")
def sign_in_with_google(body: GoogleSignIn) -> dict[str, Any]:
    signed_in = services().auth.sign_in_with_google(body.token)
    return {"user": services().users.view(signed_in.user).to_json(), **signed_in.tokens.to_json()}


@app.post(f"{API_PREFIX}/auth/refresh")
def refresh(body: RefreshRequest) -> dict[str, Any]:
    return services().auth.refresh(body.refresh_token).to_json()


@app.post(f"{API_PREFIX}/auth/logout")
def logout(caller: AuthenticatedCaller) -> Response[str]:
    services().auth.logout(caller)
    return Response(status_code=204, body="")


@app.get(f"{API_PREFIX}/auth/me")
def me(caller: AuthenticatedCaller) -> dict[str, Any]:
    return {"user": caller.view().to_json()}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
