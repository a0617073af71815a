from __future__ import annotations

from imagegen.composition import Composition
from imagegen.models.auth import GoogleIdentity
from imagegen.models.sessions import Session
from imagegen.repositories.callers import CallerRepository
from imagegen.repositories.sessions import SessionRepository


def repository(services: Composition) -> CallerRepository:
    settings = services.settings
    return CallerRepository(
        services.aws.dynamodb,
        settings.accounts.sessions_table,
        settings.accounts.users_table,
        settings.coins.table,
    )


def test_session_user_and_balance_come_back_together(services: Composition) -> None:
    user = services.users.sign_in(
        GoogleIdentity(subject="1", email="a@example.com", first_name="A", last_name="B")
    )
    session = Session(
        session_id="S1", user_id=user.id, refresh_hash="h", created_at="t", rotated_at="t", expires_at=2**31
    )
    SessionRepository(services.aws.dynamodb, services.settings.accounts.sessions_table).create(session)

    record = repository(services).load("S1", user.id)

    assert record.session == session
    assert record.user == user
    assert record.balance == 1000


def test_missing_items_are_none_and_no_account_is_a_zero_balance(services: Composition) -> None:
    record = repository(services).load("nope", "nobody")
    assert (record.session, record.user, record.balance) == (None, None, 0)
