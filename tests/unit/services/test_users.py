from __future__ import annotations

from collections.abc import Callable

import pytest

from imagegen.composition import Composition
from imagegen.errors import BadRequest, Conflict, NotFound
from imagegen.models.auth import Caller, GoogleIdentity
from imagegen.models.users import Role, UserUpdate
from imagegen.repositories.users import UserRepository
from imagegen.services.users import UserService
from standins.google import LocalGoogleIssuer
from tests.conftest import ADMIN_EMAIL


def identity(email: str, subject: str | None = None) -> GoogleIdentity:
    return GoogleIdentity(
        subject=subject or LocalGoogleIssuer.subject_for(email),
        email=email,
        first_name="Ada",
        last_name="Lovelace",
    )


def test_first_sign_in_creates_the_user_with_the_welcome_coins(
    services: Composition, ledger_sum: Callable[[str], int]
) -> None:
    user = services.users.sign_in(identity("ada@example.com"), "es-MX,es;q=0.9,en;q=0.8")

    assert (user.email, user.first_name, user.last_name, user.language) == (
        "ada@example.com",
        "Ada",
        "Lovelace",
        "es",
    )
    assert user.roles == [Role.USER]
    assert services.users.view(user).coins == 1000
    assert ledger_sum(user.id) == 1000


def test_signing_in_again_finds_the_same_user_and_credits_nothing(
    services: Composition, ledger_sum: Callable[[str], int]
) -> None:
    first = services.users.sign_in(identity("ada@example.com"))
    again = services.users.sign_in(identity("ada@example.com"))

    assert again.id == first.id
    assert services.coins.balance(first.id) == 1000
    assert ledger_sum(first.id) == 1000


def users_with(
    services: Composition,
    admin_emails: frozenset[str] | None = None,
    repository: UserRepository | None = None,
) -> UserService:
    """The user service on the same tables, with the admins or the repository of the test."""
    accounts = services.settings.accounts
    return UserService(
        repository or UserRepository(services.aws.dynamodb, accounts.users_table),
        services.coins,
        services.transactions,
        services.cursors,
        admin_emails=accounts.admin_email_set if admin_emails is None else admin_emails,
        welcome_coins=accounts.welcome_coins,
        languages=services.settings.languages.languages,
        welcome_mark=services.welcome_marks,
    )


def test_an_email_listed_in_admin_emails_gets_the_admin_role(services: Composition) -> None:
    assert services.users.sign_in(identity(ADMIN_EMAIL)).roles == [Role.USER, Role.ADMIN]


def test_a_user_listed_as_admin_after_their_first_sign_in_is_promoted_at_the_next(
    services: Composition,
) -> None:
    user = users_with(services, admin_emails=frozenset()).sign_in(identity("late@example.com"))
    assert not user.is_admin
    listed = users_with(services, admin_emails=frozenset({"late@example.com"}))  # the next deployment

    assert listed.sign_in(identity("late@example.com")).is_admin
    assert services.users.get(user.id).roles == [Role.USER, Role.ADMIN]


def test_an_email_already_held_by_another_google_account_is_a_conflict(services: Composition) -> None:
    services.users.sign_in(identity("ada@example.com", subject="111"))
    with pytest.raises(Conflict):
        services.users.sign_in(identity("ada@example.com", subject="222"))


def test_a_first_sign_in_that_loses_a_race_uses_the_winners_user(
    services: Composition, ledger_sum: Callable[[str], int]
) -> None:
    """Both sign-ins see no user; the other one creates it first; ours must not make a second."""
    winner: list[str] = []

    class AnotherSignsInFirst(UserRepository):
        def find_id_by_google_subject(self, subject: str) -> str | None:
            if not winner:
                winner.append(services.users.sign_in(identity("ada@example.com")).id)
                return None
            return super().find_id_by_google_subject(subject)

    accounts = services.settings.accounts
    racing = users_with(services, repository=AnotherSignsInFirst(services.aws.dynamodb, accounts.users_table))

    loser = racing.sign_in(identity("ada@example.com"))

    assert loser.id == winner[0]
    assert services.coins.balance(loser.id) == 1000
    assert ledger_sum(loser.id) == 1000


@pytest.fixture
def admin(services: Composition) -> Caller:
    return Caller(user=services.users.sign_in(identity(ADMIN_EMAIL)), session_id="S", balance=1000)


def test_an_admin_changes_a_profile_and_roles(services: Composition, admin: Caller) -> None:
    user = services.users.sign_in(identity("ada@example.com"))

    updated = services.users.update(
        admin,
        user.id,
        UserUpdate.model_validate({"firstName": "Augusta", "language": "es", "roles": ["ADMIN", "USER"]}),
    )

    assert (updated.first_name, updated.last_name, updated.language) == ("Augusta", "Lovelace", "es")
    assert updated.roles == [Role.USER, Role.ADMIN]
    assert updated.updated_at >= user.updated_at
    assert services.users.get(user.id) == updated


def test_an_admin_cannot_remove_their_own_admin_role(services: Composition, admin: Caller) -> None:
    with pytest.raises(Conflict):
        services.users.update(admin, admin.user_id, UserUpdate.model_validate({"roles": ["USER"]}))
    assert services.users.get(admin.user_id).is_admin


def test_updating_a_missing_user_is_not_found(services: Composition, admin: Caller) -> None:
    with pytest.raises(NotFound):
        services.users.update(admin, "NOPE", UserUpdate.model_validate({"firstName": "X"}))


def test_the_user_listing_pages_through_everyone_newest_first(services: Composition, admin: Caller) -> None:
    created = [services.users.sign_in(identity(f"user{index}@example.com")).id for index in range(7)]
    seen, cursor = [], None
    while True:
        page = services.users.list_page(admin, limit=3, cursor=cursor)
        seen.extend(user.id for user in page.users)
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == [*reversed(created), admin.user_id]


def test_an_email_search_pages_through_the_matching_users_in_email_order(
    services: Composition, admin: Caller
) -> None:
    for email in (
        "bea@example.com",
        "Ben.Hur@example.com",
        "bert@example.org",
        "ada@example.com",
        "obed@b.com",
    ):
        services.users.sign_in(identity(email.lower()))
    seen, cursor = [], None
    while True:
        page = services.users.list_page(admin, limit=2, cursor=cursor, email="BE")  # any case
        seen.extend(user.email for user in page.users)
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == ["bea@example.com", "ben.hur@example.com", "bert@example.org"]
    assert services.users.list_page(admin, limit=5, cursor=None, email="zed").users == []


def test_a_search_cursor_continues_only_its_own_search(services: Composition, admin: Caller) -> None:
    for email in ("bea@example.com", "ben@example.com", "bert@example.com"):
        services.users.sign_in(identity(email))
    cursor = services.users.list_page(admin, limit=1, cursor=None, email="be").next_cursor

    with pytest.raises(BadRequest):
        services.users.list_page(admin, limit=1, cursor=cursor, email="ber")
    with pytest.raises(BadRequest):
        services.users.list_page(admin, limit=1, cursor=cursor)


def test_a_cursor_is_bound_to_the_admin_who_got_it(services: Composition, admin: Caller) -> None:
    for index in range(3):
        services.users.sign_in(identity(f"user{index}@example.com"))
    cursor = services.users.list_page(admin, limit=1, cursor=None).next_cursor
    other_admin = Caller(
        user=services.users.sign_in(identity("other@example.com")), session_id="S2", balance=1000
    )

    with pytest.raises(BadRequest):
        services.users.list_page(other_admin, limit=1, cursor=cursor)
