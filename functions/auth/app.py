"""Sign-in with Google, token refresh, logout, and the signed-in user."""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import AuthenticatedCaller
from imagegen.api.openapi import documented
from imagegen.api.params import AcceptLanguage
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.api.responses.users import SignedIn, UserResponse
from imagegen.composition import Composition
from imagegen.errors import AccountDeleting, AccountSuspended, Conflict, Unauthorized
from imagegen.models.auth import GoogleSignIn, RefreshRequest, TokenPair
from imagegen.services.auth import AuthService
from imagegen.services.users import UserService

logger = Logger()
composition = Composition()  # each part built when a request first needs it
app = build_api(logger, authenticator_of=lambda: composition.auth, invocation=composition.invocation)


def auth_service() -> AuthService:
    return composition.auth


def user_service() -> UserService:
    return composition.users


Auth = Annotated[AuthService, Depends(auth_service)]
Users = Annotated[UserService, Depends(user_service)]


@app.post(
    f"{API_PREFIX}/auth/google",
    **documented(
        SignedIn,
        Unauthorized,
        AccountSuspended,
        AccountDeleting,
        Conflict,
        summary="Sign in with a Google ID token (not while suspended)",
        public=True,
    ),
)
def sign_in_with_google(
    body: GoogleSignIn, auth: Auth, users: Users, accept_language: AcceptLanguage = None
) -> dict[str, Any]:
    signed_in = auth.sign_in_with_google(body.token, accept_language)
    user = users.view(signed_in.user)
    return SignedIn(user=user, **dict(signed_in.tokens)).to_json()


@app.post(
    f"{API_PREFIX}/auth/refresh",
    **documented(
        TokenPair,
        Unauthorized,
        AccountSuspended,
        summary="New tokens for a refresh token (used once; within 30 s, the same again)",
        public=True,
    ),
)
def refresh(body: RefreshRequest, auth: Auth) -> dict[str, Any]:
    return auth.refresh(body.refresh_token).to_json()


@app.post(
    f"{API_PREFIX}/auth/logout", **documented(None, summary="End the session", status=HTTPStatus.NO_CONTENT)
)
def logout(caller: AuthenticatedCaller, auth: Auth) -> Response[str]:
    auth.logout(caller)
    return Response(status_code=204, body="")


@app.get(f"{API_PREFIX}/auth/me", **documented(UserResponse, summary="The signed-in user"))
def me(caller: AuthenticatedCaller) -> dict[str, Any]:
    return UserResponse(user=caller.view()).to_json()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
