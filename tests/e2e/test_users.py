"""Roles and the admin's user management through the local stack."""

from __future__ import annotations

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
