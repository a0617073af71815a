from __future__ import annotations

import pytest
from pydantic import ValidationError

from imagegen.models.users import Role, User, UserStatus, UserUpdate, UserView

NOW = "2026-11-22T00:00:00.000Z"


def test_roles_are_deduplicated_and_ordered() -> None:
    assert UserUpdate.model_validate({"roles": ["ADMIN", "USER", "ADMIN"]}).roles == [Role.USER, Role.ADMIN]


@pytest.mark.parametrize(
    "body",
    [
        {"roles": ["ADMIN"]},
        {"roles": []},
        {"roles": ["ROOT"]},
        {"language": "EN"},
        {"language": "english"},
        {"language": "pt-BR"},  # a language is one of the service's two-letter codes
        {"firstName": "x" * 101},
        {"coins": 5},
        {"first_name": "snake case is not the wire format"},
        {"status": "BANNED"},
        {"status": "suspended"},
        {"sessionsValidFrom": NOW},  # kept by the service, never set by a request
    ],
)
def test_invalid_updates_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        UserUpdate.model_validate(body)


def test_names_are_trimmed_and_absent_fields_stay_unset() -> None:
    update = UserUpdate.model_validate({"firstName": "  Ada  ", "language": "es"})
    assert update.model_dump(by_alias=True, exclude_unset=True) == {"firstName": "Ada", "language": "es"}


def test_the_view_is_the_contract_shape() -> None:
    user = User(
        id="U1",
        email="a@b.co",
        google_sub="123",
        first_name="Ada",
        last_name="L",
        roles=[Role.USER],
        language="en",
        created_at=NOW,
        updated_at=NOW,
    )
    assert UserView.of(user, coins=7).to_json() == {
        "id": "U1",
        "email": "a@b.co",
        "firstName": "Ada",
        "lastName": "L",
        "roles": ["USER"],
        "language": "en",
        "coins": 7,
        "purchasesFrozen": False,
        "status": "ACTIVE",
        "createdAt": NOW,
        "updatedAt": NOW,
    }
    assert not user.is_admin


def test_a_record_written_before_suspensions_existed_reads_as_active() -> None:
    stored = {
        "id": "U1",
        "email": "a@b.co",
        "googleSub": "123",
        "roles": ["USER"],
        "createdAt": NOW,
        "updatedAt": NOW,
    }

    user = User.model_validate(stored)

    assert (user.status, user.is_suspended, user.sessions_valid_from) == (UserStatus.ACTIVE, False, None)
    assert User.model_validate({**stored, "status": "SUSPENDED"}).is_suspended


def test_an_admin_may_set_the_status() -> None:
    assert UserUpdate.model_validate({"status": "SUSPENDED"}).status is UserStatus.SUSPENDED
    assert UserUpdate.model_validate({"status": "ACTIVE"}).status is UserStatus.ACTIVE
