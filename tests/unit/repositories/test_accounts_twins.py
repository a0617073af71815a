"""The accounts' twins (``tests.fakes.accounts``) keep users, sessions and callers as the DynamoDB
repositories do: each behaviour below runs on both, so a fast test on the twins tells what the
service does on DynamoDB."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from imagegen.composition import Composition
from imagegen.models.sessions import Session
from imagegen.models.users import Role, User, UserStatus
from imagegen.repositories.callers import CallerRepository
from imagegen.repositories.sessions import SessionRepository
from imagegen.repositories.users import UserRepository
from imagegen.services.account_deletion import DeletionUsers
from imagegen.services.accounts import Callers, Sessions, Users
from imagegen.services.coins import CoinService
from imagegen.services.unit_of_work import TransactionCancelled, Transactions
from tests.fakes import InMemoryTransactions, InMemoryWallets
from tests.fakes.accounts import (
    EMAIL_CLAIM,
    SUBJECT_CLAIM,
    USER_PROFILE,
    InMemoryCallers,
    InMemorySessions,
    InMemoryUsers,
)

NOW = 1_900_000_000
STAMP = "2030-03-17T17:46:40.000Z"


@dataclass
class Kept:
    """Where accounts are kept (on DynamoDB, or in memory), through their ports."""

    users: Users
    sessions: Sessions
    callers: Callers
    transactions: Transactions
    coins: CoinService

    def create(self, user: User) -> None:
        new = self.users.creation(user)
        self.transactions.write([new.subject_claim, new.email_claim, new.profile])


@pytest.fixture(params=["dynamodb", "memory"])
def kept(request: pytest.FixtureRequest) -> Kept:
    if request.param == "memory":
        transactions, wallets = InMemoryTransactions(), InMemoryWallets()
        users, sessions = InMemoryUsers(), InMemorySessions()
        return Kept(
            users,
            sessions,
            InMemoryCallers(users, sessions, wallets),
            transactions,
            CoinService(wallets, transactions),
        )
    services: Composition = request.getfixturevalue("services")
    client, accounts = services.aws.dynamodb, services.settings.accounts
    return Kept(
        UserRepository(client, accounts.users_table),
        SessionRepository(client, accounts.sessions_table),
        CallerRepository(
            client, accounts.sessions_table, accounts.users_table, services.settings.coins.table
        ),
        services.transactions,
        services.coins,
    )


def user(number: int, email: str | None = None, day: int | None = None) -> User:
    created = f"2026-01-{day or number:02d}T00:00:00.000Z"
    return User(
        id=f"U{number:02d}",
        email=email or f"user{number}@example.com",
        google_sub=f"sub-{number}",
        first_name=f"First{number}",
        last_name="Last",
        roles=[Role.USER],
        created_at=created,
        updated_at=created,
    )


def session(session_id: str = "S1", user_id: str = "U01", **changes: object) -> Session:
    fields = {
        "session_id": session_id,
        "user_id": user_id,
        "refresh_hash": "h1",
        "created_at": STAMP,
        "rotated_at": STAMP,
        "expires_at": NOW + 3600,
    }
    return Session.model_validate({**fields, **changes})


# Users


def test_a_created_user_is_found_by_id_and_by_google_subject(kept: Kept) -> None:
    ada = user(1)
    kept.create(ada)

    assert kept.users.get("U01") == ada
    assert kept.users.find_id_by_google_subject("sub-1") == "U01"
    assert kept.users.get("U02") is None
    assert kept.users.find_id_by_google_subject("sub-2") is None


def test_a_first_sign_ins_writes_are_named_alike(kept: Kept) -> None:
    new = kept.users.creation(user(1))

    assert (new.profile.name, new.subject_claim.name, new.email_claim.name) == (
        USER_PROFILE,
        SUBJECT_CLAIM,
        EMAIL_CLAIM,
    )


@pytest.mark.parametrize(
    ("other", "refused"),
    [
        (user(2).model_copy(update={"google_sub": "sub-1"}), SUBJECT_CLAIM),
        (user(2, email="USER1@Example.com"), EMAIL_CLAIM),  # an email is one account's, in any case
        (user(2).model_copy(update={"id": "U01"}), USER_PROFILE),
    ],
    ids=["subject", "email", "id"],
)
def test_a_subject_an_email_or_an_id_held_already_refuses_its_write_and_nothing_is_written(
    kept: Kept, other: User, refused: str
) -> None:
    kept.create(user(1))
    new = kept.users.creation(other)
    writes = [new.subject_claim, new.email_claim, new.profile]

    with pytest.raises(TransactionCancelled) as cancelled:
        kept.transactions.write(writes)

    assert [write.name for write in writes if cancelled.value.refused(write)] == [refused]
    assert kept.users.get("U01") == user(1)
    assert kept.users.find_id_by_google_subject("sub-2") is None


def test_an_update_sets_what_it_names_and_the_time(kept: Kept) -> None:
    kept.create(user(1))

    updated = kept.users.update("U01", {"firstName": "Augusta", "roles": ["USER", "ADMIN"]}, STAMP)

    assert updated == user(1).model_copy(
        update={"first_name": "Augusta", "roles": [Role.USER, Role.ADMIN], "updated_at": STAMP}
    )
    assert kept.users.get("U01") == updated


def test_updating_a_missing_user_writes_nothing(kept: Kept) -> None:
    assert kept.users.update("U09", {"firstName": "Nobody"}, STAMP) is None
    assert kept.users.get("U09") is None


def test_a_role_is_added_only_to_the_roles_it_was_read_with(kept: Kept) -> None:
    kept.create(user(1))

    assert kept.users.add_role("U01", Role.ADMIN, [Role.USER, Role.ADMIN], STAMP) is None  # read stale
    assert kept.users.get("U01") == user(1)
    promoted = kept.users.add_role("U01", Role.ADMIN, [Role.USER], STAMP)

    assert promoted is not None
    assert (promoted.roles, promoted.updated_at) == ([Role.USER, Role.ADMIN], STAMP)
    assert kept.users.get("U01") == promoted
    assert kept.users.add_role("U09", Role.ADMIN, [Role.USER], STAMP) is None


def test_the_listing_pages_through_every_user_newest_first(kept: Kept) -> None:
    for number, day in ((1, 3), (2, 1), (3, 5), (4, 2), (5, 4)):
        kept.create(user(number, day=day))

    seen, start = [], None
    while True:
        page, start = kept.users.list_page(2, start)
        assert len(page) <= 2
        seen += [found.id for found in page]
        if start is None:
            break

    assert seen == ["U03", "U05", "U01", "U04", "U02"]


def test_a_search_pages_through_the_users_whose_email_starts_so_in_email_order(kept: Kept) -> None:
    emails = ("bert@example.org", "bea@example.com", "ada@example.com", "ben.hur@example.com", "obed@b.com")
    for number, email in enumerate(emails, start=1):
        kept.create(user(number, email=email))

    seen, start = [], None
    while True:
        page, start = kept.users.search_page("be", 2, start)
        assert len(page) <= 2
        seen += [found.email for found in page]
        if start is None:
            break

    assert seen == ["bea@example.com", "ben.hur@example.com", "bert@example.org"]
    assert kept.users.search_page("zed", 5, None) == ([], None)


# Sessions


def test_a_created_session_is_read_back(kept: Kept) -> None:
    kept.sessions.create(session())

    assert kept.sessions.get("S1") == session()
    assert kept.sessions.get("S2") is None


def test_a_rotation_swaps_the_hash_keeping_the_one_it_replaced(kept: Kept) -> None:
    kept.sessions.create(session())

    assert kept.sessions.rotate("S1", "h1", "h2", "later", NOW + 7200, NOW)
    assert kept.sessions.get("S1") == session(
        refresh_hash="h2",
        previous_refresh_hash="h1",
        rotated_at="later",
        rotated_epoch=NOW,
        expires_at=NOW + 7200,
    )


@pytest.mark.parametrize(
    ("stored", "old_hash", "now"),
    [
        (session(), "h0", NOW),  # another rotation got in first
        (session(revoked_at=STAMP), "h1", NOW),
        (session(), "h1", NOW + 3600),  # expired
    ],
    ids=["another-hash", "revoked", "expired"],
)
def test_a_rotation_of_a_session_not_live_or_not_holding_the_hash_changes_nothing(
    kept: Kept, stored: Session, old_hash: str, now: int
) -> None:
    kept.sessions.create(stored)

    assert not kept.sessions.rotate("S1", old_hash, "h2", "later", now + 7200, now)
    assert kept.sessions.get("S1") == stored
    assert not kept.sessions.rotate("S9", "h1", "h2", "later", now + 7200, now)
    assert kept.sessions.get("S9") is None


def test_a_revocation_keeps_the_first_time_and_a_missing_session_is_fine(kept: Kept) -> None:
    kept.sessions.create(session())

    kept.sessions.revoke("S1", "first")
    kept.sessions.revoke("S1", "second")
    kept.sessions.revoke("S9", "first")

    assert kept.sessions.get("S1") == session(revoked_at="first")
    assert kept.sessions.get("S9") is None


# Callers


def test_a_caller_is_read_with_their_session_profile_balance_and_stats(kept: Kept) -> None:
    kept.create(user(1))
    kept.sessions.create(session())
    kept.transactions.write(kept.coins.open_account("U01", 300))
    kept.transactions.write([kept.coins.add_counters("U01", {"images": 2, "generated": 1, "coinsSpent": 80})])

    record = kept.callers.load("S1", "U01")

    assert (record.session, record.user, record.balance) == (session(), user(1), 300)
    assert (record.stats.images, record.stats.generated, record.stats.uploaded, record.stats.coins_spent) == (
        2,
        1,
        0,
        80,
    )


def test_what_is_missing_about_a_caller_is_none_and_no_wallet_is_a_zero_balance(kept: Kept) -> None:
    record = kept.callers.load("S9", "U09")

    assert (record.session, record.user, record.balance) == (None, None, 0)
    assert record.stats.images == record.stats.coins_spent == 0


# An account's deletion (the users port of services.account_deletion)


def test_a_deletion_marks_the_user_once_and_records_the_welcome_by_its_mark_alone(kept: Kept) -> None:
    kept.create(user(1))
    ada = kept.users.get("U01")
    assert ada is not None
    deleting: DeletionUsers = kept.users  # type: ignore[assignment]

    kept.transactions.write(deleting.deletion_writes(ada, STAMP, "mark-1"))

    marked = kept.users.get("U01")
    assert marked is not None
    assert (marked.status, marked.sessions_valid_from, marked.deletion_requested_at) == (
        UserStatus.DELETING,
        STAMP,
        STAMP,
    )
    assert kept.users.was_welcomed("mark-1")
    assert not kept.users.was_welcomed("mark-2")
    assert deleting.being_deleted_since("2030-03-17T17:46:40.001Z") == ["U01"]
    assert deleting.being_deleted_since(STAMP) == []
    with pytest.raises(TransactionCancelled):
        kept.transactions.write(deleting.deletion_writes(ada, "2030-03-18T00:00:00.000Z", "mark-1"))
    assert kept.users.update("U01", {"firstName": "Eve"}, STAMP) is None  # as good as gone


def test_the_last_writes_remove_the_claims_and_the_user_so_the_account_can_be_made_again(kept: Kept) -> None:
    kept.create(user(1))
    kept.create(user(2))
    ada = kept.users.get("U01")
    assert ada is not None
    deleting: DeletionUsers = kept.users  # type: ignore[assignment]
    with pytest.raises(TransactionCancelled):  # only a user whose deletion is under way
        kept.transactions.write(deleting.removal_writes(ada))
    kept.transactions.write(deleting.deletion_writes(ada, STAMP, "mark-1"))

    kept.transactions.write(deleting.removal_writes(ada))

    assert kept.users.get("U01") is None
    assert kept.users.find_id_by_google_subject("sub-1") is None
    assert deleting.being_deleted_since("2031-01-01T00:00:00.000Z") == []
    assert kept.users.get("U02") is not None
    kept.create(user(3, email="user1@example.com").model_copy(update={"google_sub": "sub-1"}))
    assert kept.users.find_id_by_google_subject("sub-1") == "U03"
