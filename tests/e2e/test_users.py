"""Roles, the admin's user management, and a user's own profile and language through the local stack."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ADMIN_EMAIL, Api, error_code, new_email


def test_the_admin_email_is_admin_and_others_are_not(api: Api) -> None:
    admin = api.sign_in(ADMIN_EMAIL)
    user = api.sign_in(new_email())

    assert admin.user["roles"] == ["USER", "ADMIN"]
    assert user.user["roles"] == ["USER"]
    for method, path in (
        ("GET", "/users"),
        ("GET", f"/users/{admin.user['id']}"),
        ("PUT", f"/users/{user.user['id']}"),
    ):
        response = api.call(method, path, user.token, json={} if method == "PUT" else None)
        assert response.status_code == 403, (method, path)
        assert error_code(response) == "FORBIDDEN"


def test_an_admin_pages_through_users_without_repeats(api: Api) -> None:
    admin = api.sign_in(ADMIN_EMAIL)
    created = {api.sign_in(new_email()).user["id"] for _ in range(5)}

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.call("GET", "/users", admin.token, params=params).json()
        assert len(page["users"]) <= 2
        seen.extend(user["id"] for user in page["users"])
        cursor = page["nextCursor"]
        if not cursor:
            break

    assert len(seen) == len(set(seen))
    assert created <= set(seen)


def test_a_promotion_takes_effect_on_the_next_request(api: Api) -> None:
    admin = api.sign_in(ADMIN_EMAIL)
    user = api.sign_in(new_email())
    assert api.call("GET", "/users", user.token).status_code == 403

    promoted = api.call(
        "PUT",
        f"/users/{user.user['id']}",
        admin.token,
        json={"roles": ["USER", "ADMIN"], "lastName": "Hopper"},
    )
    assert promoted.status_code == 200
    assert promoted.json()["user"]["roles"] == ["USER", "ADMIN"]
    assert promoted.json()["user"]["lastName"] == "Hopper"

    assert api.call("GET", "/users", user.token).status_code == 200
    got = api.call("GET", f"/users/{user.user['id']}", admin.token)
    assert got.json()["user"]["roles"] == ["USER", "ADMIN"]


def test_an_admin_cannot_demote_themself(api: Api) -> None:
    admin = api.sign_in(ADMIN_EMAIL)
    response = api.call("PUT", f"/users/{admin.user['id']}", admin.token, json={"roles": ["USER"]})
    assert response.status_code == 409
    assert error_code(response) == "CONFLICT"


def test_an_unknown_user_is_404(api: Api) -> None:
    admin = api.sign_in(ADMIN_EMAIL)
    response = api.call("GET", "/users/01JNOSUCHUSER0000000000000", admin.token)
    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"


def test_me_names_the_caller_on_every_users_route(api: Api) -> None:
    user = api.sign_in(new_email())
    admin = api.sign_in(ADMIN_EMAIL)
    upload = {"filename": "a.png", "contentType": "image/png", "size": 10}
    image = api.call("POST", "/images/upload", user.token, json=upload).json()["image"]

    mine = api.call("GET", "/users/me/images", user.token)
    assert mine.status_code == 200, mine.text
    assert [found["id"] for found in mine.json()["images"]] == [image["id"]]
    assert api.call("GET", "/users/me/images", admin.token).json()["images"] == []  # the admin's own

    granted = api.call("POST", "/users/me/coins", admin.token, json={"amount": 5, "reason": "me"})
    assert granted.status_code == 200, granted.text
    assert granted.json()["user"]["id"] == admin.user["id"]
    updated = api.call("PUT", "/users/me", admin.token, json={"language": admin.user["language"]})
    assert updated.status_code == 200, updated.text
    assert updated.json()["user"]["id"] == admin.user["id"]
    refused = api.call("POST", "/users/me/coins", user.token, json={"amount": 5, "reason": "me"})
    assert refused.status_code == 403


def signed_in_as(api: Api, email: str, accept_language: str | None) -> dict[str, object]:
    """The user ``POST /auth/google`` answers for ``email``, the browser saying ``accept_language``."""
    response = api.sign_in_with_google({"token": api.id_token(email)}, accept_language=accept_language)
    assert response.status_code == 200, response.text
    user: dict[str, object] = response.json()["user"]
    return user


@pytest.mark.parametrize(
    ("accept_language", "language"), [("es-MX,es;q=0.9", "es"), ("fr", "en"), (None, "en")]
)
def test_a_first_sign_in_is_in_the_language_the_browser_prefers(
    api: Api, accept_language: str | None, language: str
) -> None:
    assert signed_in_as(api, new_email(), accept_language)["language"] == language


def test_a_returning_user_keeps_their_language_whatever_the_browser_says(api: Api) -> None:
    email = new_email()
    assert signed_in_as(api, email, "es-MX,es;q=0.9")["language"] == "es"

    assert signed_in_as(api, email, "en-US,en;q=0.9")["language"] == "es"


def test_a_user_changes_their_own_language_and_names(api: Api) -> None:
    user = api.sign_in(new_email())
    mine = api.of(user)

    changed = mine.update_my_profile({"language": "es", "firstName": "Augusta", "lastName": "King"})

    assert changed.status_code == 200, changed.text
    profile = changed.json()["user"]
    assert (profile["id"], profile["language"], profile["firstName"], profile["lastName"]) == (
        user.user["id"],
        "es",
        "Augusta",
        "King",
    )
    assert (profile["roles"], profile["coins"]) == (["USER"], user.user["coins"])
    assert mine.me().json()["user"]["language"] == "es"
    # Kept for the next sign-in, whatever that browser says.
    assert signed_in_as(api, user.user["email"], "en")["language"] == "es"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"roles": ["USER", "ADMIN"]}, "roles"),
        ({"coins": 1000000}, "coins"),
        ({"nickname": "Ada"}, "nickname"),
        ({"language": "fr"}, "language"),
        ({"language": "es-MX"}, "language"),
    ],
)
def test_a_users_own_profile_refuses_roles_coins_unknown_fields_and_other_languages(
    api: Api, body: dict[str, object], field: str
) -> None:
    user = api.sign_in(new_email())

    refused = api.call("PUT", "/users/me", user.token, json=body)

    assert refused.status_code == 422, refused.text
    assert error_code(refused) == "VALIDATION_ERROR"
    assert [item["field"] for item in refused.json()["error"]["details"]["fields"]] == [field]
    assert api.of(user).me().json()["user"] == user.user  # nothing changed


def test_a_language_outside_the_list_is_refused_naming_the_allowed_ones(api: Api) -> None:
    user = api.sign_in(new_email())

    refused = api.of(user).update_my_profile({"language": "de"})

    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["languages"] == ["en", "es"]
    assert "en, es" in refused.json()["error"]["details"]["fields"][0]["message"]


def test_a_users_own_profile_needs_a_token(api: Api) -> None:
    refused = api.call("PUT", "/users/me", json={"language": "es"})

    assert refused.status_code == 401
    assert error_code(refused) == "UNAUTHORIZED"


def test_the_front_end_is_told_the_languages_the_first_its_fallback(api: Api) -> None:
    config = api.http.get(f"{api.stack.api_url}/app/config.json", timeout=10)

    assert config.status_code == 200
    assert config.json()["languages"] == ["en", "es"]
