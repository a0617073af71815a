"""The signed-in user's profile and coin history, and the admin's view of all users and their coins."""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import AdminCaller, AuthenticatedCaller
from imagegen.api.openapi import documented
from imagegen.api.params import Cursor, EmailPrefix, PageLimit, ResourceId
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.api.responses.users import DeletionResponse, UserResponse
from imagegen.composition import Composition
from imagegen.errors import Busy, Conflict, Forbidden, Invalid, NotFound
from imagegen.models.coins import CoinGrant, TransactionPage
from imagegen.models.users import AccountDeletionRequest, ProfileUpdate, UserPage, UserUpdate
from imagegen.services.account_deletion import AccountDeletions
from imagegen.services.users import UserService

logger = Logger()
composition = Composition()  # each part built when a request first needs it
app = build_api(logger, authenticator_of=lambda: composition.auth, invocation=composition.invocation)


def user_service() -> UserService:
    return composition.users


Users = Annotated[UserService, Depends(user_service)]


def account_deletions() -> AccountDeletions:
    return composition.account_deletions


Deletions = Annotated[AccountDeletions, Depends(account_deletions)]


@app.get(
    f"{API_PREFIX}/users/me", **documented(UserResponse, summary="The caller's profile, balance and stats")
)
def my_profile(caller: AuthenticatedCaller) -> dict[str, Any]:
    return UserResponse(user=caller.view(with_stats=True)).to_json()


@app.put(
    f"{API_PREFIX}/users/me",
    **documented(UserResponse, summary="Change the caller's own language or names (never roles or coins)"),
)
def update_my_profile(caller: AuthenticatedCaller, body: ProfileUpdate, users: Users) -> dict[str, Any]:
    return UserResponse(user=users.update_profile(caller, body)).to_json()


@app.delete(
    f"{API_PREFIX}/users/me",
    **documented(
        DeletionResponse,
        Invalid,
        status=HTTPStatus.ACCEPTED,
        summary="Delete the caller's account, confirming with its email: sessions end at once, the rest "
        "is removed in the background (money records kept without name or email)",
    ),
)
def delete_my_account(
    caller: AuthenticatedCaller, body: AccountDeletionRequest, deletions: Deletions
) -> tuple[dict[str, Any], HTTPStatus]:
    return DeletionResponse(deletion=deletions.delete_own(caller, body.email)).to_json(), HTTPStatus.ACCEPTED


@app.get(
    f"{API_PREFIX}/users/me/transactions",
    **documented(TransactionPage, summary="The caller's coin history, newest first"),
)
def my_transactions(
    caller: AuthenticatedCaller, users: Users, limit: PageLimit = 20, cursor: Cursor = None
) -> dict[str, Any]:
    return users.ledger(caller, limit, cursor).to_json()


@app.get(
    f"{API_PREFIX}/users",
    **documented(
        UserPage,
        Forbidden,
        summary="All users, newest first, or those whose email starts with `email`, in email order (admin)",
    ),
)
def list_users(
    caller: AdminCaller,
    users: Users,
    limit: PageLimit = 20,
    cursor: Cursor = None,
    email: EmailPrefix = None,
) -> dict[str, Any]:
    return users.list_page(caller, limit, cursor, email).to_json()


@app.get(
    f"{API_PREFIX}/users/<user_id>", **documented(UserResponse, Forbidden, NotFound, summary="A user (admin)")
)
def get_user(admin: AdminCaller, user_id: ResourceId, users: Users) -> dict[str, Any]:
    return UserResponse(user=users.view(users.get(admin.named(user_id)))).to_json()


@app.put(
    f"{API_PREFIX}/users/<user_id>",
    **documented(
        UserResponse,
        Forbidden,
        NotFound,
        Conflict,
        summary="Change a user's roles or profile, or suspend or restore them (admin)",
    ),
)
def update_user(caller: AdminCaller, user_id: ResourceId, body: UserUpdate, users: Users) -> dict[str, Any]:
    return UserResponse(user=users.view(users.update(caller, caller.named(user_id), body))).to_json()


@app.delete(
    f"{API_PREFIX}/users/<user_id>",
    **documented(
        DeletionResponse,
        Forbidden,
        NotFound,
        Conflict,
        status=HTTPStatus.ACCEPTED,
        summary="Delete a user's account, as DELETE /users/me does (admin; not one's own here)",
    ),
)
def delete_user(
    admin: AdminCaller, user_id: ResourceId, deletions: Deletions
) -> tuple[dict[str, Any], HTTPStatus]:
    return DeletionResponse(
        deletion=deletions.delete_user(admin, admin.named(user_id))
    ).to_json(), HTTPStatus.ACCEPTED


@app.post(
    f"{API_PREFIX}/users/<user_id>/coins",
    **documented(
        UserResponse, Forbidden, NotFound, Conflict, Busy, summary="Grant or take coins, saying why (admin)"
    ),
)
def grant_coins(admin: AdminCaller, user_id: ResourceId, body: CoinGrant, users: Users) -> dict[str, Any]:
    return UserResponse(user=users.grant_coins(admin.named(user_id), body)).to_json()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
