"""An admin suspends and restores a user, through the functions with the events/ samples: the user's
tokens are refused everywhere (403 ACCOUNT_SUSPENDED) and so is their sign-in; once restored, their old
sessions stay ended (401) and a new sign-in works; work they queued before still settles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from stacktools.samples import sample_event
from stacktools.template import Template
from standins.gemini import LocalGemini
from tests.conftest import ADMIN_EMAIL, ServedIssuer
from tests.integration.conftest import Invoke, SignedIn, body_of, object_created
from tests.integration.functions.test_generation import batch, generate

SignIn = Callable[[str], SignedIn]


def set_status(invoke: Invoke, admin: SignedIn, user_id: str, status: str) -> dict[str, Any]:
    """``PUT /users/{id}`` ``{"status": status}`` by ``admin``: the response."""
    event = sample_event(
        "users/update_user.json", token=admin.token, body={"status": status}, path_id=user_id
    )
    return invoke("UsersFunction", event)


def refused(response: dict[str, Any]) -> tuple[int, str]:
    return response["statusCode"], body_of(response)["error"]["code"]


def calls_with(invoke: Invoke, signed_in: SignedIn) -> dict[str, dict[str, Any]]:
    """A call of each kind the user makes, with their tokens: the answers, by route."""
    return {
        "GET /users/me": invoke(
            "UsersFunction", sample_event("users/my_profile.json", token=signed_in.token)
        ),
        "GET /auth/me": invoke("AuthFunction", sample_event("auth/me.json", token=signed_in.token)),
        "GET /images": invoke(
            "ListImagesFunction", sample_event("images/list_images.json", token=signed_in.token)
        ),
        "POST /images/generate": generate(invoke, signed_in.token, "a lighthouse"),
        "POST /auth/refresh": invoke(
            "AuthFunction",
            sample_event("auth/refresh.json", body={"refreshToken": signed_in.refresh_token}),
        ),
    }


def sign_in_response(invoke: Invoke, issuer: ServedIssuer, email: str) -> dict[str, Any]:
    event = sample_event("auth/sign_in_with_google.json", body={"token": issuer.id_token(email)})
    return invoke("AuthFunction", event)


def test_a_suspended_users_tokens_and_sign_in_are_refused_saying_so(
    invoke: Invoke, sign_in: SignIn, issuer: ServedIssuer
) -> None:
    admin, ada = sign_in(ADMIN_EMAIL), sign_in("ada@example.com")

    suspended = set_status(invoke, admin, ada.user["id"], "SUSPENDED")

    assert suspended["statusCode"] == 200, suspended
    assert body_of(suspended)["user"]["status"] == "SUSPENDED"
    for route, response in calls_with(invoke, ada).items():
        assert refused(response) == (403, "ACCOUNT_SUSPENDED"), route
        assert body_of(response)["error"]["message"].startswith("This account is suspended."), route
    signing_in = sign_in_response(invoke, issuer, "ada@example.com")
    assert refused(signing_in) == (403, "ACCOUNT_SUSPENDED")
    assert "token" not in body_of(signing_in)
    listed = body_of(invoke("UsersFunction", sample_event("users/list_users.json", token=admin.token)))
    assert {user["email"]: user["status"] for user in listed["users"]} == {
        "ada@example.com": "SUSPENDED",
        ADMIN_EMAIL: "ACTIVE",
    }


def test_after_a_restore_the_old_sessions_stay_ended_and_the_user_signs_in_again(
    invoke: Invoke, sign_in: SignIn
) -> None:
    admin, ada = sign_in(ADMIN_EMAIL), sign_in("ada@example.com")
    set_status(invoke, admin, ada.user["id"], "SUSPENDED")

    restored = set_status(invoke, admin, ada.user["id"], "ACTIVE")

    assert body_of(restored)["user"]["status"] == "ACTIVE"
    for route, response in calls_with(invoke, ada).items():
        assert refused(response) == (401, "UNAUTHORIZED"), route
    again = sign_in("ada@example.com")
    assert again.user["status"] == "ACTIVE"
    assert all(response["statusCode"] < 300 for response in calls_with(invoke, again).values())


def test_suspending_twice_changes_nothing_and_an_admin_cannot_suspend_themselves(
    invoke: Invoke, sign_in: SignIn
) -> None:
    admin, ada = sign_in(ADMIN_EMAIL), sign_in("ada@example.com")
    first = body_of(set_status(invoke, admin, ada.user["id"], "SUSPENDED"))

    again = set_status(invoke, admin, ada.user["id"], "SUSPENDED")
    themselves = set_status(invoke, admin, admin.user["id"], "SUSPENDED")

    assert again["statusCode"] == 200
    assert body_of(again) == first
    assert refused(themselves) == (409, "CONFLICT")
    me = invoke("UsersFunction", sample_event("users/my_profile.json", token=admin.token))
    assert body_of(me)["user"]["status"] == "ACTIVE"


def test_a_user_cannot_suspend_anyone(invoke: Invoke, sign_in: SignIn) -> None:
    admin, ada = sign_in(ADMIN_EMAIL), sign_in("ada@example.com")

    assert refused(set_status(invoke, ada, admin.user["id"], "SUSPENDED")) == (403, "FORBIDDEN")


def test_generations_queued_before_the_suspension_still_settle_and_refund(
    invoke: Invoke, sign_in: SignIn, template: Template, gemini: LocalGemini
) -> None:
    admin, ada = sign_in(ADMIN_EMAIL), sign_in("ada@example.com")
    harbour, refusal = (
        body_of(generate(invoke, ada.token, prompt))["image"] for prompt in ("a harbour", "a forbidden thing")
    )
    set_status(invoke, admin, ada.user["id"], "SUSPENDED")

    jobs: list[dict[str, Any] | str] = [
        {"userId": ada.user["id"], "imageId": image["id"]} for image in (harbour, refusal)
    ]
    assert invoke("GenerateWorkerFunction", batch(jobs)) == {"batchItemFailures": []}
    assert gemini.calls == 2  # both drawn (or refused) by the model, whoever's they are
    stored = boto3.client("s3").list_objects_v2(
        Bucket=template.physical["ImagesBucket"].ref, Prefix=f"images/{ada.user['id']}/{harbour['id']}"
    )
    (key,) = [item["Key"] for item in stored.get("Contents", [])]
    assert invoke("MetadataFunction", object_created(template, key))["outcome"] == "completed"

    theirs = invoke(
        "ListImagesFunction",
        sample_event("users/list_user_images.json", token=admin.token, path_id=ada.user["id"]),
    )
    statuses = {image["id"]: (image["status"], image["coinsRefunded"]) for image in body_of(theirs)["images"]}
    assert statuses == {harbour["id"]: ("COMPLETED", 0), refusal["id"]: ("FAILED", 100)}
    user = body_of(
        invoke(
            "UsersFunction", sample_event("users/get_user.json", token=admin.token, path_id=ada.user["id"])
        )
    )
    assert (user["user"]["status"], user["user"]["coins"]) == ("SUSPENDED", 1000 - 2 * 100 + 100)
