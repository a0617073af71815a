from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from imagegen.adapters.access_tokens import AccessTokens
from imagegen.composition import Composition, token_secret
from imagegen.errors import AccountSuspended, TokenExpired, Unauthorized
from imagegen.models.auth import Caller
from imagegen.models.users import UserUpdate
from imagegen.services.auth import REFRESH_REUSE_GRACE_SECONDS, SignIn
from tests.conftest import ADMIN_EMAIL, MovedClock, ServedIssuer


@pytest.fixture
def signed_in(services: Composition, issuer: ServedIssuer) -> SignIn:
    return services.auth.sign_in_with_google(issuer.id_token("ada@example.com", "Ada", "Lovelace"))


def bearer(token: str) -> str:
    return f"Bearer {token}"


def test_signing_in_gives_tokens_that_authenticate_the_user(services: Composition, signed_in: SignIn) -> None:
    caller = services.auth.authenticate(bearer(signed_in.tokens.token))

    assert caller.user_id == signed_in.user.id
    assert caller.user.email == "ada@example.com"
    assert signed_in.tokens.expires_in == 900


def test_each_sign_in_is_its_own_session(
    services: Composition, issuer: ServedIssuer, signed_in: SignIn
) -> None:
    other = services.auth.sign_in_with_google(issuer.id_token("ada@example.com"))
    services.auth.logout(services.auth.authenticate(bearer(other.tokens.token)))

    assert services.auth.authenticate(bearer(signed_in.tokens.token)).user_id == signed_in.user.id


def test_a_bad_google_token_signs_nobody_in(services: Composition, issuer: ServedIssuer) -> None:
    with pytest.raises(Unauthorized):
        services.auth.sign_in_with_google(issuer.id_token("ada@example.com", aud="another-app"))


def test_refreshing_rotates_the_refresh_token(services: Composition, signed_in: SignIn) -> None:
    renewed = services.auth.refresh(signed_in.tokens.refresh_token)

    assert renewed.refresh_token != signed_in.tokens.refresh_token
    assert services.auth.authenticate(bearer(renewed.token)).user_id == signed_in.user.id
    assert services.auth.refresh(renewed.refresh_token).refresh_token != renewed.refresh_token


Later = Callable[[float], None]


@pytest.fixture
def later(wall_clock: MovedClock) -> Later:
    """``later(seconds)``: the sessions' clock moved on."""
    return wall_clock.move


def test_a_refresh_token_presented_again_at_once_gets_the_same_new_pair(
    services: Composition, signed_in: SignIn, later: Later
) -> None:
    renewed = services.auth.refresh(signed_in.tokens.refresh_token)
    later(REFRESH_REUSE_GRACE_SECONDS - 2)  # a second tab, or a retry after a lost answer (in whole seconds)

    again = services.auth.refresh(signed_in.tokens.refresh_token)

    assert again == renewed
    assert services.auth.authenticate(bearer(again.token)).user_id == signed_in.user.id
    assert services.auth.refresh(again.refresh_token).refresh_token != again.refresh_token  # rotation goes on


def test_reusing_a_refresh_token_after_the_grace_revokes_the_whole_session(
    services: Composition, signed_in: SignIn, later: Later
) -> None:
    renewed = services.auth.refresh(signed_in.tokens.refresh_token)
    later(REFRESH_REUSE_GRACE_SECONDS)

    with pytest.raises(Unauthorized) as reused:
        services.auth.refresh(signed_in.tokens.refresh_token)
    assert "already used" in reused.value.message
    with pytest.raises(Unauthorized):
        services.auth.refresh(renewed.refresh_token)
    with pytest.raises(Unauthorized):
        services.auth.authenticate(bearer(renewed.token))


def test_a_token_older_than_the_one_just_replaced_revokes_the_session_even_at_once(
    services: Composition, signed_in: SignIn
) -> None:
    renewed = services.auth.refresh(signed_in.tokens.refresh_token)
    latest = services.auth.refresh(renewed.refresh_token)

    with pytest.raises(Unauthorized):
        services.auth.refresh(signed_in.tokens.refresh_token)
    with pytest.raises(Unauthorized):
        services.auth.authenticate(bearer(latest.token))


def test_within_the_grace_a_revoked_session_stays_revoked(services: Composition, signed_in: SignIn) -> None:
    renewed = services.auth.refresh(signed_in.tokens.refresh_token)
    services.auth.logout(services.auth.authenticate(bearer(renewed.token)))

    with pytest.raises(Unauthorized):
        services.auth.refresh(signed_in.tokens.refresh_token)


def test_logout_ends_access_and_refresh_at_once(services: Composition, signed_in: SignIn) -> None:
    services.auth.logout(services.auth.authenticate(bearer(signed_in.tokens.token)))

    with pytest.raises(Unauthorized):
        services.auth.authenticate(bearer(signed_in.tokens.token))
    with pytest.raises(Unauthorized):
        services.auth.refresh(signed_in.tokens.refresh_token)


def test_an_expired_session_cannot_refresh(services: Composition, signed_in: SignIn, later: Later) -> None:
    later(31 * 24 * 3600)
    with pytest.raises(Unauthorized):
        services.auth.refresh(signed_in.tokens.refresh_token)


def access_tokens(services: Composition, clock: Callable[[], float] = time.time) -> AccessTokens:
    """Access tokens as the service issues them, signed with its secret, on ``clock``."""
    tokens = services.settings.tokens
    return AccessTokens(
        lambda: token_secret(services.settings, services.aws),
        tokens.issuer,
        tokens.audience,
        tokens.access_ttl_seconds,
        clock=clock,
    )


def test_an_expired_access_token_says_so(services: Composition, signed_in: SignIn) -> None:
    stale = access_tokens(services, clock=lambda: 1_000_000.0).issue(signed_in.user.id, "any")
    with pytest.raises(TokenExpired):
        services.auth.authenticate(bearer(stale))


def test_an_access_token_naming_another_users_session_is_refused(
    services: Composition, issuer: ServedIssuer, signed_in: SignIn
) -> None:
    other = services.auth.sign_in_with_google(issuer.id_token("bob@example.com"))
    session_of_ada = signed_in.tokens.refresh_token.split(".")[0]
    forged = access_tokens(services).issue(other.user.id, session_of_ada)
    with pytest.raises(Unauthorized):
        services.auth.authenticate(bearer(forged))


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", "Basic abc", "Token x", "Bearer not.a.jwt"]
)
def test_missing_or_malformed_authorization_is_refused(services: Composition, header: str | None) -> None:
    with pytest.raises(Unauthorized):
        services.auth.authenticate(header)


def test_the_scheme_is_case_insensitive(services: Composition, signed_in: SignIn) -> None:
    assert services.auth.authenticate(f"bearer {signed_in.tokens.token}").user_id == signed_in.user.id


@pytest.mark.parametrize("token", ["", "nodot", "unknown-session." + "x" * 43])
def test_unknown_refresh_tokens_are_refused(services: Composition, token: str) -> None:
    with pytest.raises(Unauthorized):
        services.auth.refresh(token)


def test_a_guessed_refresh_token_for_a_real_session_is_refused_and_ends_nothing(
    services: Composition, signed_in: SignIn
) -> None:
    session_id = signed_in.tokens.refresh_token.partition(".")[0]
    for guess in (
        "x" * 43,
        "A" * 43 + "~" + "B" * 43,
        signed_in.tokens.refresh_token.partition(".")[2] + "x",
    ):
        with pytest.raises(Unauthorized) as refused:
            services.auth.refresh(f"{session_id}.{guess}")
        assert "already used" not in refused.value.message

    assert services.auth.authenticate(bearer(signed_in.tokens.token)).user_id == signed_in.user.id
    assert services.auth.refresh(signed_in.tokens.refresh_token).token


def test_a_suspension_kept_in_the_users_table_ends_the_users_sessions_until_and_after_a_restore(
    services: Composition, issuer: ServedIssuer, signed_in: SignIn, later: Later
) -> None:
    admin_signed_in = services.auth.sign_in_with_google(issuer.id_token(ADMIN_EMAIL))
    admin = services.auth.authenticate(bearer(admin_signed_in.tokens.token))

    def set_status(status: str) -> None:
        services.users.update(admin, signed_in.user.id, UserUpdate.model_validate({"status": status}))
        later(1)

    later(1)
    set_status("SUSPENDED")
    with pytest.raises(AccountSuspended):
        services.auth.authenticate(bearer(signed_in.tokens.token))
    with pytest.raises(AccountSuspended):
        services.auth.refresh(signed_in.tokens.refresh_token)
    with pytest.raises(AccountSuspended):
        services.auth.sign_in_with_google(issuer.id_token("ada@example.com"))

    set_status("ACTIVE")
    with pytest.raises(Unauthorized) as ended:
        services.auth.authenticate(bearer(signed_in.tokens.token))
    assert not isinstance(ended.value, AccountSuspended)
    with pytest.raises(Unauthorized):
        services.auth.refresh(signed_in.tokens.refresh_token)
    again = services.auth.sign_in_with_google(issuer.id_token("ada@example.com"))
    caller: Caller = services.auth.authenticate(bearer(again.tokens.token))
    assert (caller.user_id, caller.user.status) == (signed_in.user.id, "ACTIVE")
    assert services.auth.authenticate(bearer(admin_signed_in.tokens.token)).is_admin  # others' untouched
