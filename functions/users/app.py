"""The signed-in user's profile and coin history, and the admin's view of all users and their coins."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagegen.api.auth import AdminCaller, AuthenticatedCaller
from imagegen.api.params import Cursor, PageLimit, ResourceId
from imagegen.api.resolver import API_PREFIX, build_api
from imagegen.container import services
from imagegen.models.coins import CoinGrant
from imagegen.models.users import UserUpdate

logger = Logger()
app = build_api(logger)


@app.get(f"{API_PREFIX}/users/me")
def my_profile(caller: AuthenticatedCaller) -> dict[str, Any]:
    return {"user": caller.view(with_stats=True).to_json()}


@app.get(f"{API_PREFIX}/users/me/transactions")
def my_transactions(
    caller: AuthenticatedCaller, limit: PageLimit = 20, cursor: Cursor = None
) -> dict[str, Any]:
    page = services().users.ledger(caller, limit, cursor)
    return {"transactions": [entry.to_json() for entry in page.entries], "nextCursor": page.next_cursor}


@app.get(f"{API_PREFIX}/users")
def list_users(caller: AdminCaller, limit: PageLimit = 20, cursor: Cursor = None) -> dict[str, Any]:
    page = services().users.list_page(caller, limit, cursor)
    return {"users": [user.to_json() for user in page.users], "nextCursor": page.next_cursor}


@app.get(f"{API_PREFIX}/users/<user_id>")
def get_user(admin: AdminCaller, user_id: ResourceId) -> dict[str, Any]:
    users = services().users
    return {"user": users.view(users.get(admin.named(user_id))).to_json()}


@app.put(f"{API_PREFIX}/users/<user_id>")
def update_user(caller: AdminCaller, user_id: ResourceId, body: UserUpdate) -> dict[str, Any]:
    users = services().users
    return {"user": users.view(users.update(caller, caller.named(user_id), body)).to_json()}


@app.post(f"{API_PREFIX}/users/<user_id>/coins")
def grant_coins(admin: AdminCaller, user_id: ResourceId, body: CoinGrant) -> dict[str, Any]:
    return {"user": services().users.grant_coins(admin.named(user_id), body).to_json()}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
