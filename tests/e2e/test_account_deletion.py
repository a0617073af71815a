"""Deleting an account on the local stack, whose SQS emulation runs the deletion job from the template:
the tokens answer 401 at once and a sign-in 409 while the job runs; then nothing of the user is left in
the bucket or listed by an admin, their share link is the same 404 as any, and the same Google account
signs up again as a new user without a second welcome."""

from __future__ import annotations

import time

from tests.e2e.conftest import ADMIN_EMAIL, Api, error_code, new_email
from tests.e2e.test_shares import finished_upload, shared


def signed_up_again(api: Api, email: str, timeout: float = 60.0) -> dict[str, object]:
    """Sign ``email`` in once its deletion is done (409 ACCOUNT_DELETING until then): the new user."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.sign_in_with_google({"token": api.id_token(email)})
        if response.status_code == 200:
            return dict(response.json())
        assert (response.status_code, error_code(response)) == (409, "ACCOUNT_DELETING"), response.text
        assert response.headers["Retry-After"] == "60"
        assert time.monotonic() < deadline, f"still being deleted after {timeout} s"
        time.sleep(0.2)


def test_a_deleted_account_is_gone_and_its_google_account_returns_without_a_welcome(api: Api) -> None:
    email = new_email()
    ada = api.sign_in(email)
    image = finished_upload(api, ada)
    link = shared(api, ada, image["id"])
    admin = api.sign_in(ADMIN_EMAIL)

    refused = api.of(ada).delete_my_account({"email": "not.ada@example.com"})
    deleted = api.of(ada).delete_my_account({"email": email.upper()})

    assert (refused.status_code, error_code(refused)) == (422, "VALIDATION_ERROR")
    assert deleted.status_code == 202, deleted.text
    assert deleted.json()["deletion"]["userId"] == ada.user["id"]
    assert api.of(ada).my_profile().status_code == 401  # at once
    assert api.refresh({"refreshToken": ada.refresh_token}).status_code == 401
    again = signed_up_again(api, email)

    assert again["user"]["id"] != ada.user["id"]  # type: ignore[index]
    assert again["user"]["coins"] == 0  # type: ignore[index]
    assert api.of(admin).get_user(ada.user["id"]).status_code == 404
    assert api.call("GET", f"/shared/{link['token']}").status_code == 404
    s3 = api.stack.boto_session().client("s3", endpoint_url=api.stack.aws.url)
    bucket = api.stack.template.physical["ImagesBucket"].ref
    left = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    assert [entry["Key"] for entry in left if ada.user["id"] in entry["Key"]] == []
