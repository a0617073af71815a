from __future__ import annotations

from collections.abc import Callable

import pytest

from stacktools.samples import sample_event
from tests.conftest import ADMIN_EMAIL
from tests.integration.conftest import Invoke, SignedIn, body_of

SignIn = Callable[[str], SignedIn]


def event_for(name: str, token: str, user_id: str | None = None, **kwargs: object) -> dict[str, object]:
    event = sample_event(name, token=token, **kwargs)  # type: ignore[arg-type]
    if user_id is not None:
        event["pathParameters"] = {"id": user_id}
        event["rawPath"] = event["requestContext"]["http"]["path"] = f"/api/v1/users/{user_id}"
    return event


def test_my_profile_has_the_balance(invoke: Invoke, sign_in: SignIn) -> None:
    ada = sign_in("ada@example.com")
    response = invoke("UsersFunction", event_for("users/my_profile.json", ada.token))

    assert response["statusCode"] == 200
    assert body_of(response)["user"]["coins"] == 1000


def test_admin_routes_are_403_for_users(invoke: Invoke, sign_in: SignIn) -> None:
    ada = sign_in("ada@example.com")
    for event in (
        event_for("users/list_users.json", ada.token),
        event_for("users/get_user.json", ada.token, ada.user["id"]),
        event_for("users/update_user.json", ada.token, ada.user["id"], body={"roles": ["USER", "ADMIN"]}),
    ):
        response = invoke("UsersFunction", event)
        assert response["statusCode"] == 403
        assert body_of(response)["error"]["code"] == "FORBIDDEN"


def test_admin_routes_need_a_token_first(invoke: Invoke) -> None:
    event = sample_event("users/list_users.json")
    assert invoke("UsersFunction", event)["statusCode"] == 401


def test_an_admin_lists_gets_and_updates_users(invoke: Invoke, sign_in: SignIn) -> None:
    admin = sign_in(ADMIN_EMAIL)
    ada = sign_in("ada@example.com")

    listed = body_of(invoke("UsersFunction", event_for("users/list_users.json", admin.token)))
    assert [user["email"] for user in listed["users"]] == ["ada@example.com", ADMIN_EMAIL]
    assert listed["nextCursor"] is None

    got = invoke("UsersFunction", event_for("users/get_user.json", admin.token, ada.user["id"]))
    assert body_of(got) == {"user": ada.user}

    updated = invoke(
        "UsersFunction",
        event_for(
            "users/update_user.json",
            admin.token,
            ada.user["id"],
            body={"firstName": "Augusta", "roles": ["USER", "ADMIN"], "language": "es"},
        ),
    )
    assert updated["statusCode"] == 200
    user = body_of(updated)["user"]
    assert (user["firstName"], user["roles"], user["language"], user["coins"]) == (
        "Augusta",
        ["USER", "ADMIN"],
        "es",
        1000,
    )


def test_a_missing_user_is_404(invoke: Invoke, sign_in: SignIn) -> None:
    admin = sign_in(ADMIN_EMAIL)
    response = invoke("UsersFunction", event_for("users/get_user.json", admin.token, "01NOSUCHUSER"))
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"roles": ["OWNER"]}, "roles"),
        ({"roles": ["ADMIN"]}, "roles"),
        ({"roles": []}, "roles"),
        ({"language": "english please"}, "language"),
        ({"firstName": "x" * 101}, "firstName"),
        ({"coins": 10**6}, "coins"),
        ({"email": "new@example.com"}, "email"),
    ],
)
def test_invalid_or_read_only_fields_are_422(
    invoke: Invoke, sign_in: SignIn, body: dict[str, object], field: str
) -> None:
    admin = sign_in(ADMIN_EMAIL)
    response = invoke(
        "UsersFunction", event_for("users/update_user.json", admin.token, admin.user["id"], body=body)
    )

    assert response["statusCode"] == 422
    fields = [item["field"] for item in body_of(response)["error"]["details"]["fields"]]
    assert any(name == field or name.startswith(f"{field}.") for name in fields), fields


def test_an_admin_sets_only_a_language_of_the_list(invoke: Invoke, sign_in: SignIn) -> None:
    admin = sign_in(ADMIN_EMAIL)
    ada = sign_in("ada@example.com")

    response = invoke(
        "UsersFunction",
        event_for("users/update_user.json", admin.token, ada.user["id"], body={"language": "fr"}),
    )

    assert response["statusCode"] == 422
    assert body_of(response)["error"]["details"] == {
        "fields": [{"field": "language", "in": "body", "message": "must be one of en, es"}],
        "languages": ["en", "es"],
    }


# PUT /users/me: the caller's own profile


def test_a_user_changes_their_own_language_and_names(invoke: Invoke, sign_in: SignIn) -> None:
    ada = sign_in("ada@example.com")
    body = {"language": "es", "firstName": "Augusta", "lastName": "King"}

    response = invoke(
        "UsersFunction", sample_event("users/update_my_profile.json", token=ada.token, body=body)
    )

    assert response["statusCode"] == 200, response
    user = body_of(response)["user"]
    assert (user["id"], user["language"], user["firstName"], user["lastName"]) == (
        ada.user["id"],
        "es",
        "Augusta",
        "King",
    )
    assert (user["roles"], user["coins"], user["stats"]["images"]) == (["USER"], 1000, 0)  # as GET /users/me
    profile = body_of(invoke("UsersFunction", event_for("users/my_profile.json", ada.token)))["user"]
    assert profile == user


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"roles": ["USER", "ADMIN"]}, "roles"),
        ({"coins": 10**6}, "coins"),
        ({"language": "es", "roles": ["USER"]}, "roles"),
        ({"email": "new@example.com"}, "email"),
        ({"purchasesFrozen": False}, "purchasesFrozen"),
        ({"language": "english please"}, "language"),
        ({"language": "fr"}, "language"),
        ({"lastName": "x" * 101}, "lastName"),
    ],
)
def test_a_users_own_profile_refuses_other_fields_and_languages_outside_the_list(
    invoke: Invoke, sign_in: SignIn, body: dict[str, object], field: str
) -> None:
    ada = sign_in("ada@example.com")

    response = invoke(
        "UsersFunction", sample_event("users/update_my_profile.json", token=ada.token, body=body)
    )

    assert response["statusCode"] == 422, response
    error = body_of(response)["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [item["field"] for item in error["details"]["fields"]] == [field]
    profile = body_of(invoke("UsersFunction", event_for("users/my_profile.json", ada.token)))["user"]
    assert {key: value for key, value in profile.items() if key != "stats"} == ada.user  # nothing changed


def test_a_users_own_profile_needs_a_token_before_anything(invoke: Invoke) -> None:
    response = invoke(
        "UsersFunction", sample_event("users/update_my_profile.json", body={"roles": ["ADMIN"]})
    )

    assert response["statusCode"] == 401
    assert body_of(response)["error"]["code"] == "UNAUTHORIZED"


def test_an_admin_removing_their_own_admin_role_is_409(invoke: Invoke, sign_in: SignIn) -> None:
    admin = sign_in(ADMIN_EMAIL)
    response = invoke(
        "UsersFunction",
        event_for("users/update_user.json", admin.token, admin.user["id"], body={"roles": ["USER"]}),
    )
    assert response["statusCode"] == 409
    assert body_of(response)["error"]["code"] == "CONFLICT"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"email": ""}, "email"),
        ({"email": "a" * 255}, "email"),
    ],
)
def test_bad_listing_queries_are_422(
    invoke: Invoke, sign_in: SignIn, query: dict[str, str], field: str
) -> None:
    admin = sign_in(ADMIN_EMAIL)
    response = invoke("UsersFunction", event_for("users/list_users.json", admin.token, query=query))
    assert response["statusCode"] == 422
    assert body_of(response)["error"]["details"]["fields"][0]["field"] == field


def test_an_admin_finds_users_by_the_start_of_their_email(invoke: Invoke, sign_in: SignIn) -> None:
    admin = sign_in(ADMIN_EMAIL)
    for email in ("grace@example.com", "ada@example.com", "grete@example.org"):
        sign_in(email)

    response = invoke("UsersFunction", event_for("users/list_users.json", admin.token, query={"email": "GR"}))
    assert response["statusCode"] == 200
    assert [user["email"] for user in body_of(response)["users"]] == [
        "grace@example.com",
        "grete@example.org",
    ]
    assert all(user["coins"] == 1000 for user in body_of(response)["users"])


def test_a_tampered_cursor_is_400(invoke: Invoke, sign_in: SignIn) -> None:
    admin = sign_in(ADMIN_EMAIL)
    sign_in("ada@example.com")
    first = body_of(
        invoke("UsersFunction", event_for("users/list_users.json", admin.token, query={"limit": "1"}))
    )
    cursor = first["nextCursor"]
    assert cursor

    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    response = invoke(
        "UsersFunction",
        event_for("users/list_users.json", admin.token, query={"limit": "1", "cursor": tampered}),
    )
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "BAD_REQUEST"

    second = body_of(
        invoke(
            "UsersFunction",
            event_for("users/list_users.json", admin.token, query={"limit": "1", "cursor": cursor}),
        )
    )
    assert [user["email"] for user in second["users"]] == [ADMIN_EMAIL]
