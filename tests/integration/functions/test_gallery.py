"""list_images, delete_image and users handlers on a gallery, with the events/ samples, against moto."""

from __future__ import annotations

from collections.abc import Callable

from stacktools.samples import sample_event
from stacktools.template import Template
from tests import images
from tests.conftest import ADMIN_EMAIL
from tests.integration.conftest import Invoke, SignedIn, body_of, completed_upload

SignIn = Callable[[str], SignedIn]


def test_a_gallery_is_listed_renamed_and_emptied(invoke: Invoke, sign_in: SignIn, template: Template) -> None:
    ada = sign_in("ada@example.com")
    image_id = completed_upload(invoke, template, ada.token, images.png(), "image/png")

    listed = invoke(
        "ListImagesFunction",
        sample_event("images/list_images.json", token=ada.token, query={"type": "UPLOADED"}),
    )
    assert [image["id"] for image in body_of(listed)["images"]] == [image_id]

    renamed = invoke(
        "ListImagesFunction", sample_event("images/update_image.json", token=ada.token, path_id=image_id)
    )
    assert renamed["statusCode"] == 200, renamed
    assert body_of(renamed)["image"]["title"] == "Harbour at dawn"

    as_user = sample_event("users/list_user_images.json", token=ada.token, path_id=ada.user["id"])
    assert [image["id"] for image in body_of(invoke("ListImagesFunction", as_user))["images"]] == [image_id]

    deleted = invoke(
        "DeleteImageFunction", sample_event("images/delete_image.json", token=ada.token, path_id=image_id)
    )
    assert deleted["statusCode"] == 204, deleted
    assert (
        body_of(invoke("ListImagesFunction", sample_event("images/list_images.json", token=ada.token)))[
            "images"
        ]
        == []
    )


def test_a_grant_shows_in_the_ledger(invoke: Invoke, sign_in: SignIn) -> None:
    ada, admin = sign_in("ada@example.com"), sign_in(ADMIN_EMAIL)

    granted = invoke(
        "UsersFunction", sample_event("users/grant_coins.json", token=admin.token, path_id=ada.user["id"])
    )
    assert granted["statusCode"] == 200, granted
    assert body_of(granted)["user"]["coins"] == 1500

    ledger = body_of(invoke("UsersFunction", sample_event("users/my_transactions.json", token=ada.token)))
    assert [(entry["reason"], entry["amount"], entry["note"]) for entry in ledger["transactions"]] == [
        ("grant", 500, "Thanks for the bug report"),
        ("welcome", 1000, None),
    ]


def test_the_prompts_of_the_callers_generations_are_listed_newest_first_once_each(
    invoke: Invoke, sign_in: SignIn
) -> None:
    ada, bob = sign_in("ada@example.com"), sign_in("bob@example.com")
    for session, prompt in (
        (ada, "a lighthouse"),
        (ada, "a red fox"),
        (ada, "a lighthouse"),
        (bob, "a boat"),
    ):
        event = sample_event("images/generate.json", token=session.token, body={"prompt": prompt})
        event["headers"].pop("idempotency-key")  # each its own request
        generated = invoke("GenerateFunction", event)
        assert generated["statusCode"] == 202, generated

    listed = invoke("ListImagesFunction", sample_event("users/my_prompts.json", token=ada.token))

    assert listed["statusCode"] == 200, listed
    assert [used["prompt"] for used in body_of(listed)["prompts"]] == ["a lighthouse", "a red fox"]
