"""Users on in-memory twins: a first sign-in creates the user with the welcome coins in one commit, once
however sign-ins race, in the language the browser prefers; an email is one account's; a user changes
their own language and names; admins edit profiles and roles, suspend and restore users, and move coins
through the ledger."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from imagegen.errors import BadRequest, Conflict, Invalid, NotFound
from imagegen.models.auth import Caller, GoogleIdentity
from imagegen.models.coins import CoinGrant, LedgerReason
from imagegen.models.users import (
    AccountStats,
    Languages,
    ProfileUpdate,
    Role,
    UserStatus,
    UserUpdate,
    UserView,
)
from imagegen.services.coins import CoinService
from imagegen.services.cursors import CursorCodec
from imagegen.services.users import EMAIL_TAKEN, UserService, WelcomeMarks, preferred_language
from tests.fakes import InMemoryTransactions, InMemoryWallets, SlowClock
from tests.fakes.accounts import EMAIL_CLAIM, SUBJECT_CLAIM, InMemoryUsers

ADMIN_EMAIL = "admin@example.com"
WELCOME = 1000
LANGUAGES = Languages(("en", "es"))


class Kept:
    """A user service on twins, and what they keep, for the test to look into."""

    def __init__(self, admin_emails: frozenset[str] = frozenset({ADMIN_EMAIL})) -> None:
        self.transactions = InMemoryTransactions()
        self.wallets = InMemoryWallets()
        self.users = InMemoryUsers()
        clock = SlowClock()
        self.coins = CoinService(self.wallets, self.transactions, sleep=clock.sleep, clock=clock)
        self.clock = SlowClock(1_800_000_000.0)  # the sessions' time: 2027-01-15T08:00:00Z
        self.service = self.listing(admin_emails)

    def listing(self, admin_emails: frozenset[str]) -> UserService:
        """The service on these twins with ``admin_emails`` as the admins (another deployment's)."""
        return UserService(
            self.users,
            self.coins,
            self.transactions,
            CursorCodec(lambda: "s" * 32),
            admin_emails=admin_emails,
            welcome_coins=WELCOME,
            languages=LANGUAGES,
            welcome_mark=WelcomeMarks(lambda: "w" * 32),
            clock=self.clock,
        )

    def welcomes(self, user_id: str) -> list[int]:
        """The welcome entries of the user's ledger."""
        return [
            entry.amount
            for (user, _), entry in self.wallets.entries.items()
            if user == user_id and entry.reason == LedgerReason.WELCOME
        ]

    def ledger_sum(self, user_id: str) -> int:
        return sum(entry.amount for (user, _), entry in self.wallets.entries.items() if user == user_id)


def identity(email: str, subject: str | None = None) -> GoogleIdentity:
    return GoogleIdentity(
        subject=subject or f"google-{email}",
        email=email,
        first_name="Ada",
        last_name="Lovelace",
    )


@pytest.fixture
def kept() -> Kept:
    return Kept()


@pytest.fixture
def users(kept: Kept) -> UserService:
    return kept.service


def test_a_first_sign_in_creates_the_user_with_the_welcome_coins_in_one_commit(
    kept: Kept, users: UserService
) -> None:
    user = users.sign_in(identity("ada@example.com"), "es-MX,es;q=0.9,en;q=0.8")

    assert (user.email, user.google_sub, user.first_name, user.last_name, user.language) == (
        "ada@example.com",
        "google-ada@example.com",
        "Ada",
        "Lovelace",
        "es",
    )
    assert user.roles == [Role.USER]
    assert kept.users.get(user.id) == user
    assert users.view(user).coins == WELCOME
    assert kept.welcomes(user.id) == [WELCOME]
    assert kept.transactions.committed == [
        ["Google subject claim", "email claim", "user profile", "wallet balance", "ledger entry"]
    ]


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        ("es-MX,es;q=0.9", "es"),
        ("es-MX", "es"),
        ("ES", "es"),
        ("fr", "en"),
        ("fr-CA,fr;q=0.9", "en"),
        (None, "en"),
        ("", "en"),
        ("fr,es;q=0.5,en;q=0.4", "es"),  # the best q-value of the list's languages
        ("en;q=0.5,es;q=0.8", "es"),  # by q-value, not by order
        ("es;q=0.8,en;q=0.8", "es"),  # equal ones: the earlier
        ("es;q=0,fr", "en"),  # q=0 refuses es
        ("es;q=2,en;q=0.1", "en"),  # a q-value that does not parse skips its entry
        ("es;q=abc", "en"),
        ("*", "en"),  # any language: the fallback
        ("fr,*;q=0.5,es;q=0.4", "en"),
        ("es;level=1;q=0.7", "es"),
        (" es-419 ; q=0.9 ", "es"),
        (",,;;=,es-;q=1,fr;q=,-", "es"),  # junk never fails: what parses counts
        ("x" * 5000, "en"),
    ],
)
def test_the_language_a_browser_prefers_is_the_best_match_in_the_list(
    accept_language: str | None, language: str
) -> None:
    assert preferred_language(accept_language, LANGUAGES) == language


def test_the_fallback_is_the_first_language_of_the_list() -> None:
    assert preferred_language("fr", Languages(("es", "en"))) == "es"


def test_signing_in_again_keeps_the_users_language_whatever_the_browser_says(users: UserService) -> None:
    first = users.sign_in(identity("ada@example.com"), "es")

    again = users.sign_in(identity("ada@example.com"), "en-GB,en")

    assert (first.language, again.language, users.get(first.id).language) == ("es", "es", "es")


def test_signing_in_again_finds_the_same_user_and_grants_nothing(kept: Kept, users: UserService) -> None:
    first = users.sign_in(identity("ada@example.com"))

    again = users.sign_in(identity("ada@example.com"))

    assert again == first
    assert kept.welcomes(first.id) == [WELCOME]
    assert kept.coins.balance(first.id) == WELCOME == kept.ledger_sum(first.id)
    assert len(kept.transactions.committed) == 1


def test_an_email_held_by_another_google_account_is_a_conflict_and_nothing_is_written(
    kept: Kept, users: UserService
) -> None:
    held = users.sign_in(identity("ada@example.com", subject="111"))

    with pytest.raises(Conflict) as taken:
        users.sign_in(identity("Ada@Example.com", subject="222"))  # an email is one account's, in any case

    assert taken.value.message == EMAIL_TAKEN
    assert list(kept.users.users) == [held.id]
    assert kept.users.find_id_by_google_subject("222") is None
    assert list(kept.wallets.accounts) == [held.id]


def test_a_first_sign_in_that_loses_the_race_for_its_subject_uses_the_winners_user(
    kept: Kept, users: UserService
) -> None:
    """Both sign-ins find no user; the other commits first; ours must not make a second user."""
    winner = []
    kept.transactions.before_commit = lambda: winner.append(users.sign_in(identity("ada@example.com")))

    loser = users.sign_in(identity("ada@example.com"))

    assert loser == winner[0]
    assert list(kept.users.users) == [loser.id]
    assert kept.welcomes(loser.id) == [WELCOME]
    assert kept.coins.balance(loser.id) == WELCOME == kept.ledger_sum(loser.id)


def test_a_sign_in_whose_subject_stays_claimed_by_another_is_told_to_try_again_with_nothing_written(
    kept: Kept, users: UserService
) -> None:
    # The subject's claim is refused at every attempt, and yet no user is found for it.
    for _ in range(3):
        kept.transactions.refuse(SUBJECT_CLAIM)

    with pytest.raises(Conflict) as busy:
        users.sign_in(identity("ada@example.com"))

    assert busy.value.retry_after == 1
    assert (kept.users.users, kept.wallets.accounts, kept.wallets.entries) == ({}, {}, {})


def test_a_sign_in_another_transaction_got_in_the_way_of_is_tried_again(
    kept: Kept, users: UserService
) -> None:
    kept.transactions.contend()

    user = users.sign_in(identity("ada@example.com"))

    assert list(kept.users.users) == [user.id]
    assert kept.welcomes(user.id) == [WELCOME]


def test_an_email_claim_refused_meanwhile_is_the_email_conflict(kept: Kept, users: UserService) -> None:
    kept.transactions.refuse(EMAIL_CLAIM)

    with pytest.raises(Conflict) as taken:
        users.sign_in(identity("ada@example.com"))

    assert taken.value.message == EMAIL_TAKEN
    assert kept.users.users == {}


def test_an_email_listed_in_admin_emails_gets_the_admin_role(users: UserService) -> None:
    assert users.sign_in(identity(ADMIN_EMAIL)).roles == [Role.USER, Role.ADMIN]


def test_a_user_listed_as_admin_after_their_first_sign_in_is_promoted_at_the_next(kept: Kept) -> None:
    user = kept.listing(frozenset()).sign_in(identity("late@example.com"))
    assert not user.is_admin

    promoted = kept.listing(frozenset({"late@example.com"})).sign_in(identity("late@example.com"))

    assert promoted.roles == [Role.USER, Role.ADMIN]
    assert kept.users.get(user.id) == promoted
    assert kept.welcomes(user.id) == [WELCOME]


def test_a_missing_user_is_not_found(users: UserService) -> None:
    with pytest.raises(NotFound):
        users.get("NOPE")


@pytest.fixture
def admin(kept: Kept, users: UserService) -> Caller:
    return Caller(user=users.sign_in(identity(ADMIN_EMAIL)), session_id="S", balance=WELCOME)


def test_an_admin_changes_a_profile_and_roles(kept: Kept, users: UserService, admin: Caller) -> None:
    user = users.sign_in(identity("ada@example.com"))

    updated = users.update(
        admin,
        user.id,
        UserUpdate.model_validate({"firstName": "Augusta", "language": "es", "roles": ["ADMIN", "USER"]}),
    )

    assert (updated.first_name, updated.last_name, updated.language) == ("Augusta", "Lovelace", "es")
    assert updated.roles == [Role.USER, Role.ADMIN]
    assert (updated.email, updated.google_sub, updated.created_at) == (
        user.email,
        user.google_sub,
        user.created_at,
    )
    assert updated.updated_at >= user.updated_at
    assert users.get(user.id) == updated


def test_an_admin_takes_the_admin_role_from_another_admin(users: UserService, admin: Caller) -> None:
    user = users.sign_in(identity("ada@example.com"))
    assert users.update(admin, user.id, UserUpdate.model_validate({"roles": ["USER", "ADMIN"]})).is_admin

    demoted = users.update(admin, user.id, UserUpdate.model_validate({"roles": ["USER"]}))

    assert demoted.roles == [Role.USER]
    assert users.get(user.id) == demoted
    assert users.get(admin.user_id).is_admin


def test_an_admin_cannot_remove_their_own_admin_role(users: UserService, admin: Caller) -> None:
    with pytest.raises(Conflict):
        users.update(admin, admin.user_id, UserUpdate.model_validate({"roles": ["USER"]}))

    assert users.get(admin.user_id) == admin.user


def test_an_update_that_changes_nothing_writes_nothing(kept: Kept, users: UserService, admin: Caller) -> None:
    user = users.sign_in(identity("ada@example.com"))

    assert users.update(admin, user.id, UserUpdate.model_validate({})) == user
    assert kept.users.get(user.id) == user


def test_an_admin_may_set_only_a_language_of_the_list(kept: Kept, users: UserService, admin: Caller) -> None:
    user = users.sign_in(identity("ada@example.com"))

    with pytest.raises(Invalid) as refused:
        users.update(admin, user.id, UserUpdate.model_validate({"language": "fr", "firstName": "Augusta"}))

    assert refused.value.details == {
        "fields": [{"field": "language", "in": "body", "message": "must be one of en, es"}],
        "languages": ["en", "es"],
    }
    assert kept.users.get(user.id) == user  # nothing of the request is written


def test_updating_a_missing_user_is_not_found(kept: Kept, users: UserService, admin: Caller) -> None:
    with pytest.raises(NotFound):
        users.update(admin, "NOPE", UserUpdate.model_validate({"firstName": "X"}))
    assert "NOPE" not in kept.users.users


# Suspension


def test_an_admin_suspends_a_user_from_now_on_and_restores_them(
    kept: Kept, users: UserService, admin: Caller
) -> None:
    user = users.sign_in(identity("ada@example.com"))

    suspended = users.update(admin, user.id, UserUpdate.model_validate({"status": "SUSPENDED"}))

    assert (suspended.status, suspended.is_suspended) == (UserStatus.SUSPENDED, True)
    assert suspended.sessions_valid_from == "2027-01-15T08:00:00.000Z"  # their sessions until now end
    assert users.view(suspended).status is UserStatus.SUSPENDED
    assert kept.users.get(user.id) == suspended
    kept.clock.now += 3600

    restored = users.update(admin, user.id, UserUpdate.model_validate({"status": "ACTIVE"}))

    assert restored.status is UserStatus.ACTIVE
    assert restored.sessions_valid_from == "2027-01-15T08:00:00.000Z"  # those sessions stay ended
    assert (restored.roles, restored.language, restored.email) == (user.roles, user.language, user.email)


def test_suspending_a_suspended_user_changes_nothing(kept: Kept, users: UserService, admin: Caller) -> None:
    user = users.sign_in(identity("ada@example.com"))
    suspended = users.update(admin, user.id, UserUpdate.model_validate({"status": "SUSPENDED"}))
    kept.clock.now += 3600

    again = users.update(admin, user.id, UserUpdate.model_validate({"status": "SUSPENDED"}))

    assert again == suspended  # the moment their sessions ended, and updatedAt, are as they were
    assert kept.users.get(user.id) == suspended


def test_restoring_an_active_user_changes_nothing(kept: Kept, users: UserService, admin: Caller) -> None:
    user = users.sign_in(identity("ada@example.com"))

    assert users.update(admin, user.id, UserUpdate.model_validate({"status": "ACTIVE"})) == user
    assert kept.users.get(user.id) == user


def test_a_suspension_goes_with_other_changes_of_one_request(users: UserService, admin: Caller) -> None:
    user = users.sign_in(identity("ada@example.com"))

    updated = users.update(
        admin, user.id, UserUpdate.model_validate({"status": "SUSPENDED", "firstName": "Augusta"})
    )

    assert (updated.status, updated.first_name) == (UserStatus.SUSPENDED, "Augusta")
    assert updated.sessions_valid_from is not None


def test_an_admin_cannot_suspend_themselves_and_nothing_is_written(
    kept: Kept, users: UserService, admin: Caller
) -> None:
    with pytest.raises(Conflict) as refused:
        users.update(
            admin, admin.user_id, UserUpdate.model_validate({"status": "SUSPENDED", "lastName": "X"})
        )

    assert refused.value.message == "An admin cannot suspend themselves."
    assert kept.users.get(admin.user_id) == admin.user


def test_suspending_a_missing_user_is_not_found(kept: Kept, users: UserService, admin: Caller) -> None:
    with pytest.raises(NotFound):
        users.update(admin, "NOPE", UserUpdate.model_validate({"status": "SUSPENDED"}))
    assert "NOPE" not in kept.users.users


def test_a_user_cannot_change_their_own_status() -> None:
    with pytest.raises(ValidationError):
        ProfileUpdate.model_validate({"status": "ACTIVE"})


# A user's own profile


@pytest.fixture
def ada(users: UserService) -> Caller:
    stats = AccountStats(images=2, generated=1, uploaded=1, coins_spent=150)
    return Caller(user=users.sign_in(identity("ada@example.com")), session_id="S", balance=850, stats=stats)


def test_a_user_changes_their_own_language_and_names(kept: Kept, users: UserService, ada: Caller) -> None:
    view = users.update_profile(
        ada, ProfileUpdate.model_validate({"language": "es", "firstName": "Augusta", "lastName": "King"})
    )

    stored = kept.users.get(ada.user_id)
    assert stored is not None
    assert (stored.language, stored.first_name, stored.last_name) == ("es", "Augusta", "King")
    assert (stored.roles, stored.email, stored.created_at) == (
        ada.user.roles,
        ada.user.email,
        ada.user.created_at,
    )
    assert stored.updated_at >= ada.user.updated_at
    # The caller's view, as GET /users/me shows it: with the balance and stats of the request.
    assert view == UserView.of(stored, 850, ada.stats)


def test_a_user_changes_one_field_and_the_others_stay(kept: Kept, users: UserService, ada: Caller) -> None:
    users.update_profile(ada, ProfileUpdate.model_validate({"lastName": "King"}))

    stored = kept.users.get(ada.user_id)
    assert stored is not None
    assert (stored.language, stored.first_name, stored.last_name) == ("en", "Ada", "King")


def test_a_profile_change_of_nothing_writes_nothing(kept: Kept, users: UserService, ada: Caller) -> None:
    view = users.update_profile(ada, ProfileUpdate.model_validate({}))

    assert kept.users.get(ada.user_id) == ada.user
    assert (view.id, view.language, view.coins) == (ada.user_id, "en", 850)


def test_a_language_outside_the_list_is_refused_naming_the_list_and_nothing_is_written(
    kept: Kept, users: UserService, ada: Caller
) -> None:
    with pytest.raises(Invalid) as refused:
        users.update_profile(ada, ProfileUpdate.model_validate({"language": "fr", "firstName": "Augusta"}))

    assert refused.value.details == {
        "fields": [{"field": "language", "in": "body", "message": "must be one of en, es"}],
        "languages": ["en", "es"],
    }
    assert kept.users.get(ada.user_id) == ada.user


@pytest.mark.parametrize(
    "body",
    [
        {"roles": ["USER", "ADMIN"]},
        {"coins": 1000000},
        {"language": "es", "roles": ["USER"]},
        {"email": "other@example.com"},
        {"first_name": "Augusta"},  # camelCase only
        {"language": "ES"},
        {"language": "es-MX"},
        {"language": 1},
        {"firstName": "x" * 101},
    ],
)
def test_a_profile_change_refuses_what_a_user_may_not_change_and_malformed_values(
    body: dict[str, object],
) -> None:
    with pytest.raises(ValidationError):
        ProfileUpdate.model_validate(body)


def test_an_admins_grant_moves_coins_through_the_ledger(kept: Kept, users: UserService) -> None:
    user = users.sign_in(identity("ada@example.com"))

    view = users.grant_coins(user.id, CoinGrant(amount=250, reason="a prize"))
    taken = users.grant_coins(user.id, CoinGrant(amount=-50, reason="a correction"))

    assert (view.id, view.coins, taken.coins) == (user.id, WELCOME + 250, WELCOME + 200)
    grants = sorted(
        (entry.amount, entry.note)
        for (owner, _), entry in kept.wallets.entries.items()
        if owner == user.id and entry.reason == LedgerReason.GRANT
    )
    assert grants == [(-50, "a correction"), (250, "a prize")]
    assert kept.coins.balance(user.id) == WELCOME + 200 == kept.ledger_sum(user.id)


def test_a_grant_that_would_go_below_zero_is_a_conflict_and_moves_nothing(
    kept: Kept, users: UserService
) -> None:
    user = users.sign_in(identity("ada@example.com"))

    with pytest.raises(Conflict) as short:
        users.grant_coins(user.id, CoinGrant(amount=-(WELCOME + 1), reason="too much"))

    assert short.value.details == {"balance": WELCOME}
    assert kept.coins.balance(user.id) == WELCOME == kept.ledger_sum(user.id)


def test_a_grant_to_a_missing_user_is_not_found(kept: Kept, users: UserService) -> None:
    with pytest.raises(NotFound):
        users.grant_coins("NOPE", CoinGrant(amount=5, reason="nobody"))
    assert kept.wallets.entries == {}


def test_the_callers_ledger_pages_newest_first_and_sums_to_the_balance(
    users: UserService, admin: Caller
) -> None:
    for amount in (10, 20, 30):
        users.grant_coins(admin.user_id, CoinGrant(amount=amount, reason="grant"))
    seen, cursor = [], None
    while True:
        page = users.ledger(admin, limit=2, cursor=cursor)
        seen.extend(entry.amount for entry in page.transactions)
        if (cursor := page.next_cursor) is None:
            break

    assert seen == [30, 20, 10, WELCOME]
    assert sum(seen) == users.view(admin.user).coins


def test_the_user_listing_pages_through_everyone_newest_first(users: UserService, admin: Caller) -> None:
    created = [users.sign_in(identity(f"user{index}@example.com")).id for index in range(7)]

    assert pages(users, admin, limit=3) == [*reversed(created), admin.user_id]


def test_the_listing_shows_each_users_balance(users: UserService, admin: Caller) -> None:
    user = users.sign_in(identity("ada@example.com"))
    users.grant_coins(user.id, CoinGrant(amount=5, reason="grant"))

    listed = {view.id: view.coins for view in users.list_page(admin, limit=10, cursor=None).users}

    assert listed == {user.id: WELCOME + 5, admin.user_id: WELCOME}


def test_an_email_search_pages_through_the_matching_users_in_email_order(
    users: UserService, admin: Caller
) -> None:
    for email in (
        "bea@example.com",
        "ben.hur@example.com",
        "bert@example.org",
        "ada@example.com",
        "obed@b.com",
    ):
        users.sign_in(identity(email))

    found = pages(users, admin, limit=2, email="BE")  # any case

    assert [users.get(user_id).email for user_id in found] == [
        "bea@example.com",
        "ben.hur@example.com",
        "bert@example.org",
    ]
    assert users.list_page(admin, limit=5, cursor=None, email="zed").users == []


def test_a_cursor_continues_only_its_own_listing_for_the_admin_who_got_it(
    users: UserService, admin: Caller
) -> None:
    for email in ("bea@example.com", "ben@example.com", "bert@example.com"):
        users.sign_in(identity(email))
    searched = users.list_page(admin, limit=1, cursor=None, email="be").next_cursor
    listed = users.list_page(admin, limit=1, cursor=None).next_cursor
    other = Caller(user=users.sign_in(identity("other@example.com")), session_id="S2", balance=WELCOME)

    with pytest.raises(BadRequest):
        users.list_page(admin, limit=1, cursor=searched, email="ber")
    with pytest.raises(BadRequest):
        users.list_page(admin, limit=1, cursor=searched)
    with pytest.raises(BadRequest):
        users.list_page(other, limit=1, cursor=listed)


def pages(users: UserService, admin: Caller, limit: int, email: str | None = None) -> list[str]:
    """The ids of every user a listing shows, walking its pages."""
    seen, cursor = [], None
    while True:
        page = users.list_page(admin, limit=limit, cursor=cursor, email=email)
        seen.extend(view.id for view in page.users)
        if (cursor := page.next_cursor) is None:
            return seen
