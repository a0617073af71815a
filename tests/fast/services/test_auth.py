"""Sign-in, sessions and authentication on in-memory twins, with twins of Google's verifier and of the
access-token issuer: a verified Google identity opens a session; a refresh rotates its token, once; a
token used again (after a short grace) or a revoked session is refused; every request is checked
against a live session and carries the caller's balance. Suspending a user ends all their sessions at
once (their tokens and sign-ins are refused, saying so), and those sessions stay ended once restored."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from imagegen.errors import AccountSuspended, Conflict, TokenExpired, Unauthorized
from imagegen.models.auth import Caller, TokenPair
from imagegen.models.coins import LedgerReason
from imagegen.models.users import Languages, User, UserStatus, UserUpdate
from imagegen.services.auth import REFRESH_REUSE_GRACE_SECONDS, AuthService, SignIn
from imagegen.services.coins import CoinService
from imagegen.services.cursors import CursorCodec
from imagegen.services.tokens import RefreshToken, RefreshTokens
from imagegen.services.users import EMAIL_TAKEN, UserService, WelcomeMarks
from tests.fakes import InMemoryTransactions, InMemoryWallets, SlowClock
from tests.fakes.accounts import (
    InMemoryAccessTokens,
    InMemoryCallers,
    InMemoryGoogle,
    InMemorySessions,
    InMemoryUsers,
)

WELCOME = 1000
ACCESS_TTL = 900
REFRESH_TTL = 30 * 24 * 3600


class Signing:
    """The auth service on twins, its clock, and what the twins keep, for the test to look into."""

    def __init__(self, users: InMemoryUsers | None = None) -> None:
        self.clock = SlowClock(1_000_000.0)
        self.google = InMemoryGoogle()
        self.access = InMemoryAccessTokens(self.clock, ttl_seconds=ACCESS_TTL)
        self.transactions = InMemoryTransactions()
        self.wallets = InMemoryWallets()
        self.users = users or InMemoryUsers()
        self.sessions = InMemorySessions()
        coin_clock = SlowClock()
        self.coins = CoinService(self.wallets, self.transactions, sleep=coin_clock.sleep, clock=coin_clock)
        self.accounts = UserService(
            self.users,
            self.coins,
            self.transactions,
            CursorCodec(lambda: "c" * 32),
            admin_emails=frozenset(),
            welcome_coins=WELCOME,
            languages=Languages(("en", "es")),
            welcome_mark=WelcomeMarks(lambda: "w" * 32),
            clock=self.clock,
        )
        self.auth = AuthService(
            lambda: self.google,
            lambda: self.accounts,
            self.sessions,
            InMemoryCallers(self.users, self.sessions, self.wallets),
            self.access,
            RefreshTokens(lambda: "r" * 32),
            REFRESH_TTL,
            clock=self.clock,
        )

    def sign_in(
        self, email: str = "ada@example.com", subject: str | None = None, accept_language: str | None = None
    ) -> SignIn:
        return self.auth.sign_in_with_google(self.google.id_token(email, subject), accept_language)

    def authenticate(self, tokens: TokenPair) -> Caller:
        return self.auth.authenticate(bearer(tokens.token))

    def later(self, seconds: float) -> None:
        self.clock.now += seconds

    def set_status(self, user: User, status: UserStatus) -> User:
        """An admin (someone else) suspends or restores ``user``."""
        admin = Caller(user=user.model_copy(update={"id": "an-admin"}), session_id="S-admin", balance=0)
        return self.accounts.update(admin, user.id, UserUpdate(status=status))


def bearer(token: str) -> str:
    return f"Bearer {token}"


def session_of(tokens: TokenPair) -> str:
    return RefreshToken.parse(tokens.refresh_token).session_id


@pytest.fixture
def signing() -> Signing:
    return Signing()


@pytest.fixture
def auth(signing: Signing) -> AuthService:
    return signing.auth


@pytest.fixture
def signed_in(signing: Signing) -> SignIn:
    return signing.sign_in()


# Sign-in with a verified Google identity


def test_a_first_sign_in_creates_the_user_with_the_welcome_coins_and_opens_a_session(
    signing: Signing, signed_in: SignIn
) -> None:
    user = signed_in.user
    assert (user.email, user.google_sub) == ("ada@example.com", "google-ada@example.com")
    assert [entry.reason for entry in signing.wallets.entries.values()] == [LedgerReason.WELCOME]
    session = signing.sessions.get(session_of(signed_in.tokens))
    assert session is not None
    assert (session.user_id, session.expires_at, session.revoked_at) == (
        user.id,
        1_000_000 + REFRESH_TTL,
        None,
    )
    assert RefreshToken.parse(signed_in.tokens.refresh_token).matches(session.refresh_hash)
    assert signed_in.tokens.expires_in == ACCESS_TTL

    caller = signing.authenticate(signed_in.tokens)

    assert (caller.user, caller.session_id, caller.balance) == (user, session.session_id, WELCOME)


def test_a_first_sign_in_is_in_the_language_the_browser_prefers_and_a_returning_one_keeps_it(
    signing: Signing,
) -> None:
    first = signing.sign_in(accept_language="es-MX,es;q=0.9,en;q=0.8")

    again = signing.sign_in(accept_language="en")

    assert (first.user.language, again.user.language) == ("es", "es")
    assert signing.sign_in("other@example.com").user.language == "en"  # no header: the fallback


def test_a_returning_user_gets_a_new_session_and_no_second_welcome(
    signing: Signing, signed_in: SignIn
) -> None:
    again = signing.sign_in()

    assert again.user == signed_in.user
    assert session_of(again.tokens) != session_of(signed_in.tokens)
    assert [entry.amount for entry in signing.wallets.entries.values()] == [WELCOME]
    assert signing.authenticate(again.tokens).balance == WELCOME


def test_an_email_claimed_by_another_google_account_signs_nobody_in(
    signing: Signing, signed_in: SignIn
) -> None:
    with pytest.raises(Conflict) as taken:
        signing.sign_in("ada@example.com", subject="another-google-account")

    assert taken.value.message == EMAIL_TAKEN
    assert list(signing.users.users) == [signed_in.user.id]
    assert list(signing.sessions.sessions) == [session_of(signed_in.tokens)]


def test_a_google_token_that_does_not_verify_signs_nobody_in_and_writes_nothing(
    signing: Signing, auth: AuthService
) -> None:
    with pytest.raises(Unauthorized):
        auth.sign_in_with_google("forged-id-token")

    assert (signing.users.users, signing.sessions.sessions, signing.wallets.accounts) == ({}, {}, {})


# Sessions: refresh, reuse, sign-out


def test_refreshing_rotates_the_refresh_token(signing: Signing, auth: AuthService, signed_in: SignIn) -> None:
    signing.later(60)

    renewed = auth.refresh(signed_in.tokens.refresh_token)

    assert renewed.refresh_token != signed_in.tokens.refresh_token
    assert session_of(renewed) == session_of(signed_in.tokens)
    session = signing.sessions.get(session_of(renewed))
    assert session is not None
    assert RefreshToken.parse(renewed.refresh_token).matches(session.refresh_hash)
    assert session.expires_at == 1_000_060 + REFRESH_TTL  # a refresh extends the session
    assert signing.authenticate(renewed).user_id == signed_in.user.id
    assert auth.refresh(renewed.refresh_token).refresh_token != renewed.refresh_token  # and rotation goes on


def test_a_refresh_token_presented_again_within_the_grace_gets_the_same_new_pair(
    signing: Signing, auth: AuthService, signed_in: SignIn
) -> None:
    renewed = auth.refresh(signed_in.tokens.refresh_token)
    signing.later(REFRESH_REUSE_GRACE_SECONDS - 1)  # a second tab, or a retry after a lost answer

    again = auth.refresh(signed_in.tokens.refresh_token)

    assert again == renewed
    assert signing.authenticate(again).user_id == signed_in.user.id


def test_a_refresh_that_loses_the_race_to_another_with_the_same_token_gets_that_ones_pair(
    signing: Signing, auth: AuthService, signed_in: SignIn
) -> None:
    """Both read the session holding the token; the other rotates first; ours is judged by what it wrote."""
    first: list[TokenPair] = []
    signing.sessions.before_rotate = lambda: first.append(auth.refresh(signed_in.tokens.refresh_token))

    second = auth.refresh(signed_in.tokens.refresh_token)

    assert second == first[0]
    assert signing.authenticate(second).user_id == signed_in.user.id


def test_a_refresh_token_used_again_after_the_grace_is_refused_and_revokes_the_session(
    signing: Signing, auth: AuthService, signed_in: SignIn
) -> None:
    renewed = auth.refresh(signed_in.tokens.refresh_token)
    signing.later(REFRESH_REUSE_GRACE_SECONDS)

    with pytest.raises(Unauthorized) as reused:
        auth.refresh(signed_in.tokens.refresh_token)

    assert "already used" in reused.value.message
    with pytest.raises(Unauthorized):
        auth.refresh(renewed.refresh_token)
    with pytest.raises(Unauthorized):
        signing.authenticate(renewed)


def test_a_token_older_than_the_one_just_replaced_revokes_the_session_at_once(
    signing: Signing, auth: AuthService, signed_in: SignIn
) -> None:
    renewed = auth.refresh(signed_in.tokens.refresh_token)
    latest = auth.refresh(renewed.refresh_token)

    with pytest.raises(Unauthorized):
        auth.refresh(signed_in.tokens.refresh_token)
    with pytest.raises(Unauthorized):
        signing.authenticate(latest)


def test_signing_out_revokes_the_session_for_its_access_and_refresh_tokens(
    signing: Signing, auth: AuthService, signed_in: SignIn
) -> None:
    auth.logout(signing.authenticate(signed_in.tokens))

    session = signing.sessions.get(session_of(signed_in.tokens))
    assert session is not None
    assert session.revoked_at is not None  # kept until its expiry, so that reuse is still recognised
    with pytest.raises(Unauthorized):
        signing.authenticate(signed_in.tokens)
    with pytest.raises(Unauthorized):
        auth.refresh(signed_in.tokens.refresh_token)


def test_within_the_grace_a_revoked_session_stays_revoked(
    signing: Signing, auth: AuthService, signed_in: SignIn
) -> None:
    renewed = auth.refresh(signed_in.tokens.refresh_token)
    auth.logout(signing.authenticate(renewed))

    with pytest.raises(Unauthorized):
        auth.refresh(signed_in.tokens.refresh_token)


def test_signing_out_ends_only_that_session(signing: Signing, auth: AuthService, signed_in: SignIn) -> None:
    other = signing.sign_in()

    auth.logout(signing.authenticate(other.tokens))

    assert signing.authenticate(signed_in.tokens).user_id == signed_in.user.id
    assert auth.refresh(signed_in.tokens.refresh_token).token


def test_an_expired_session_cannot_refresh(signing: Signing, auth: AuthService, signed_in: SignIn) -> None:
    signing.later(REFRESH_TTL)

    with pytest.raises(Unauthorized):
        auth.refresh(signed_in.tokens.refresh_token)


@pytest.mark.parametrize("token", ["", "nodot", "unknown-session." + "x" * 43])
def test_malformed_and_unknown_refresh_tokens_are_refused(auth: AuthService, token: str) -> None:
    with pytest.raises(Unauthorized):
        auth.refresh(token)


def test_a_refresh_token_issued_for_a_session_that_does_not_exist_is_refused(
    auth: AuthService, signed_in: SignIn
) -> None:
    never_stored = RefreshTokens(lambda: "r" * 32).issue("no-such-session")

    with pytest.raises(Unauthorized) as refused:
        auth.refresh(str(never_stored))
    assert "already used" not in refused.value.message


def test_a_guessed_refresh_token_for_a_real_session_is_refused_and_ends_nothing(
    signing: Signing, auth: AuthService, signed_in: SignIn
) -> None:
    session_id, _, secret = signed_in.tokens.refresh_token.partition(".")
    for guess in ("x" * 43, "A" * 43 + "~" + "B" * 43, secret + "x"):
        with pytest.raises(Unauthorized) as refused:
            auth.refresh(f"{session_id}.{guess}")
        assert "already used" not in refused.value.message

    assert signing.authenticate(signed_in.tokens).user_id == signed_in.user.id
    assert auth.refresh(signed_in.tokens.refresh_token).token


# Authenticating each request


def test_a_valid_token_is_the_caller_with_their_balance_and_stats(
    signing: Signing, auth: AuthService, signed_in: SignIn
) -> None:
    user_id = signed_in.user.id
    signing.coins.grant(user_id, 250, note="a prize")
    signing.transactions.write([signing.coins.add_counters(user_id, {"images": 2, "coinsSpent": 80})])

    caller = signing.authenticate(signed_in.tokens)

    assert (caller.user_id, caller.balance) == (user_id, WELCOME + 250)
    assert (caller.stats.images, caller.stats.coins_spent) == (2, 80)


def test_the_scheme_is_case_insensitive(auth: AuthService, signed_in: SignIn) -> None:
    assert auth.authenticate(f"bearer {signed_in.tokens.token}").user_id == signed_in.user.id


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", "Basic abc", "Token x", "Bearer not-issued"]
)
def test_missing_or_malformed_authorization_is_refused(auth: AuthService, header: str | None) -> None:
    with pytest.raises(Unauthorized):
        auth.authenticate(header)


def test_an_expired_access_token_says_so(signing: Signing, signed_in: SignIn) -> None:
    signing.later(ACCESS_TTL)

    with pytest.raises(TokenExpired):
        signing.authenticate(signed_in.tokens)


def test_an_access_token_for_a_session_that_has_expired_is_refused(
    signing: Signing, auth: AuthService, signed_in: SignIn
) -> None:
    signing.later(REFRESH_TTL)
    fresh = signing.access.issue(signed_in.user.id, session_of(signed_in.tokens))

    with pytest.raises(Unauthorized) as ended:
        auth.authenticate(bearer(fresh))
    assert not isinstance(ended.value, TokenExpired)


def test_an_access_token_for_an_unknown_session_is_refused(signing: Signing, signed_in: SignIn) -> None:
    token = signing.access.issue(signed_in.user.id, "no-such-session")

    with pytest.raises(Unauthorized):
        signing.auth.authenticate(bearer(token))


def test_an_access_token_naming_another_users_session_is_refused(signing: Signing, signed_in: SignIn) -> None:
    bob = signing.sign_in("bob@example.com")
    forged = signing.access.issue(bob.user.id, session_of(signed_in.tokens))

    with pytest.raises(Unauthorized):
        signing.auth.authenticate(bearer(forged))


def test_an_access_token_for_a_user_that_is_gone_is_refused(signing: Signing, signed_in: SignIn) -> None:
    del signing.users.users[signed_in.user.id]

    with pytest.raises(Unauthorized):
        signing.authenticate(signed_in.tokens)


# Suspension: every session of the user ends at once, judged by its creation time (no scan)


def test_suspending_a_user_refuses_each_of_their_tokens_saying_so_and_changes_no_session(
    signing: Signing, auth: AuthService, signed_in: SignIn
) -> None:
    other_device = signing.sign_in()
    signing.later(60)
    sessions_before = dict(signing.sessions.sessions)

    signing.set_status(signed_in.user, UserStatus.SUSPENDED)

    for tokens in (signed_in.tokens, other_device.tokens):
        with pytest.raises(AccountSuspended) as refused:
            signing.authenticate(tokens)
        assert refused.value.message.startswith("This account is suspended.")
        with pytest.raises(AccountSuspended):
            auth.refresh(tokens.refresh_token)
    assert signing.sessions.sessions == sessions_before  # nothing scanned, revoked or rotated


def test_a_suspended_user_cannot_sign_in_and_no_session_is_opened(
    signing: Signing, signed_in: SignIn
) -> None:
    signing.set_status(signed_in.user, UserStatus.SUSPENDED)
    sessions_before = dict(signing.sessions.sessions)

    with pytest.raises(AccountSuspended) as refused:
        signing.sign_in()

    assert refused.value.message.startswith("This account is suspended.")
    assert signing.sessions.sessions == sessions_before


def test_after_a_restore_the_sessions_of_before_stay_ended_and_a_new_sign_in_works(
    signing: Signing, auth: AuthService, signed_in: SignIn
) -> None:
    signing.later(60)
    signing.set_status(signed_in.user, UserStatus.SUSPENDED)
    signing.later(60)
    signing.set_status(signed_in.user, UserStatus.ACTIVE)

    with pytest.raises(Unauthorized) as ended:
        signing.authenticate(signed_in.tokens)
    assert not isinstance(ended.value, AccountSuspended)
    with pytest.raises(Unauthorized):
        auth.refresh(signed_in.tokens.refresh_token)

    again = signing.sign_in()
    assert signing.authenticate(again.tokens).user_id == signed_in.user.id
    renewed = auth.refresh(again.tokens.refresh_token)
    assert signing.authenticate(renewed).user.status is UserStatus.ACTIVE


def test_a_second_suspension_does_not_end_the_sessions_opened_after_the_restore(
    signing: Signing, signed_in: SignIn
) -> None:
    signing.set_status(signed_in.user, UserStatus.SUSPENDED)
    signing.later(60)
    signing.set_status(signed_in.user, UserStatus.ACTIVE)
    signing.later(60)
    again = signing.sign_in()
    signing.later(60)

    suspended_again = signing.set_status(signed_in.user, UserStatus.SUSPENDED)
    with pytest.raises(AccountSuspended):
        signing.authenticate(again.tokens)
    signing.set_status(suspended_again, UserStatus.ACTIVE)

    with pytest.raises(Unauthorized):
        signing.authenticate(again.tokens)  # opened before the second suspension: ended by it


def test_a_sign_in_that_read_the_user_just_before_their_suspension_opens_a_session_that_ends_with_it() -> (
    None
):
    """The suspension is written after the sign-in read the user (active) and before its session is
    stored; the clock moves on around it."""

    class SuspendedAfterTheNextRead(InMemoryUsers):
        suspend: Callable[[User], None] | None = None

        def get(self, user_id: str) -> User | None:
            user = super().get(user_id)
            if self.suspend is not None and user is not None:
                suspend, self.suspend = self.suspend, None
                suspend(user)
            return user

    users = SuspendedAfterTheNextRead()
    signing = Signing(users)
    first = signing.sign_in()

    def suspend(user: User) -> None:
        signing.later(1)
        signing.set_status(user, UserStatus.SUSPENDED)
        signing.later(1)

    users.suspend = suspend

    racing = signing.sign_in()

    with pytest.raises(AccountSuspended):
        signing.authenticate(racing.tokens)
    signing.set_status(first.user, UserStatus.ACTIVE)
    with pytest.raises(Unauthorized):
        signing.authenticate(racing.tokens)
