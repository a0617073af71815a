"""Builds the services of this container once, on first use, from the settings.

Handlers call ``services()``; tests build their own ``Services`` (or clear this cache)
after pointing the environment at moto.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from aws_lambda_powertools.utilities import parameters

from imagegen import aws
from imagegen.config import Settings, get_settings
from imagegen.repositories.callers import CallerRepository
from imagegen.repositories.coins import CoinRepository
from imagegen.repositories.sessions import SessionRepository
from imagegen.repositories.users import UserRepository
from imagegen.services.auth import AuthService
from imagegen.services.coins import CoinService
from imagegen.services.cursors import CursorCodec
from imagegen.services.google_identity import GoogleTokenVerifier, JwksCache
from imagegen.services.tokens import AccessTokens
from imagegen.services.users import UserService

SECRET_MAX_AGE_SECONDS = 300


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the handlers call, wired once per container."""

    settings: Settings
    coins: CoinService
    users: UserService
    auth: AuthService


def token_secret(settings: Settings) -> str:
    """The service's signing secret, from Secrets Manager, cached for warm invocations."""
    value = parameters.get_secret(settings.token_secret_arn, max_age=SECRET_MAX_AGE_SECONDS)
    if not isinstance(value, str) or len(value) < 32:
        raise RuntimeError("the token signing secret must be a string of at least 32 characters")
    return value


def build_services(settings: Settings) -> Services:
    """Wire every service from ``settings``; clients are the container's shared ones."""
    client = aws.dynamodb()

    def secret() -> str:
        return token_secret(settings)

    coins = CoinService(CoinRepository(client, settings.coins_table), client)
    users = UserService(
        UserRepository(client, settings.users_table),
        coins,
        client,
        CursorCodec(secret),
        admin_emails=settings.admin_email_set,
        welcome_coins=settings.welcome_coins,
    )
    google = GoogleTokenVerifier(
        JwksCache(settings.google_jwks_url),
        client_ids=settings.google_client_ids,
        issuers=settings.google_issuers,
    )
    access = AccessTokens(
        secret, settings.token_issuer, settings.token_audience, settings.access_token_ttl_seconds
    )
    callers = CallerRepository(client, settings.sessions_table, settings.users_table, settings.coins_table)
    auth = AuthService(
        google,
        users,
        SessionRepository(client, settings.sessions_table),
        callers,
        access,
        settings.refresh_token_ttl_seconds,
    )
    return Services(settings=settings, coins=coins, users=users, auth=auth)


@cache
def services() -> Services:
    """The services of this container, built on first use and kept for warm invocations."""
    return build_services(get_settings())
