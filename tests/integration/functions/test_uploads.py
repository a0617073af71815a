"""upload_url, metadata, thumbnail, list_images and sweeper handlers, with events/ samples, against moto."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import boto3

from stacktools.samples import sample_event
from stacktools.template import Template
from tests import images
from tests.integration.conftest import (
    Invoke,
    SignedIn,
    body_of,
    object_created,
    put,
    request_upload,
)

SignIn = Callable[[str], SignedIn]


def get_image(invoke: Invoke, token: str, image_id: str) -> dict[str, Any]:
    event = sample_event("images/get_image.json", token=token)
    event["pathParameters"] = {"id": image_id}
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/api/v1/images/{image_id}"
    response = invoke("ListImagesFunction", event)
    assert response["statusCode"] == 200, response
    return dict(body_of(response)["image"])


def test_an_upload_through_every_function(invoke: Invoke, sign_in: SignIn, template: Template) -> None:
    ada = sign_in("ada@example.com")
    photo = images.jpeg(640, 480, orientation=8)
    requested = request_upload(invoke, ada.token, photo)
    assert requested["user"]["coins"] == 950
    arrival = requested["upload"]["fields"]["key"]
    put(template, arrival, photo, "image/jpeg")

    # The arrival is checked and its bytes promoted to images/, whose own event makes the thumbnail.
    arrived = object_created(template, arrival)
    assert invoke("MetadataFunction", copy.deepcopy(arrived)) == {"key": arrival, "outcome": "completed"}
    assert invoke("MetadataFunction", copy.deepcopy(arrived)) == {"key": arrival, "outcome": "ignored"}
    original = f"images/{ada.user['id']}/{requested['image']['id']}.jpg"
    promoted = object_created(template, original)
    assert invoke("ThumbnailFunction", copy.deepcopy(promoted)) == {"key": original, "outcome": "thumbnailed"}
    assert invoke("MetadataFunction", copy.deepcopy(promoted)) == {"key": original, "outcome": "ignored"}

    image = get_image(invoke, ada.token, requested["image"]["id"])
    assert image["status"] == "COMPLETED"
    assert image["title"] == "Holiday"
    assert (image["metadata"]["width"], image["metadata"]["height"]) == (480, 640)
    assert image["storageUrl"].startswith("https://") or image["storageUrl"].startswith("http")
    assert "512.webp" in image["thumbnailUrl"]


def test_a_text_file_fails_and_is_refunded(invoke: Invoke, sign_in: SignIn, template: Template) -> None:
    ada = sign_in("ada@example.com")
    requested = request_upload(invoke, ada.token, b"hello, not an image", "image/png")
    key = requested["upload"]["fields"]["key"]
    put(template, key, b"hello, not an image", "image/png")

    assert invoke("MetadataFunction", object_created(template, key))["outcome"] == "failed"
    image = get_image(invoke, ada.token, requested["image"]["id"])
    assert (image["status"], image["errorCode"]) == ("FAILED", "NOT_AN_IMAGE")
    me = invoke("UsersFunction", sample_event("users/my_profile.json", token=ada.token))
    assert body_of(me)["user"]["coins"] == 1000


def test_the_sweeper_fails_and_refunds_an_upload_that_never_arrived(
    invoke: Invoke, sign_in: SignIn, template: Template
) -> None:
    ada = sign_in("ada@example.com")
    fresh = request_upload(invoke, ada.token, images.png(), "image/png")
    stale = request_upload(invoke, ada.token, images.png(), "image/png")
    boto3.client("dynamodb").update_item(  # requested an hour ago: its URL expired long since
        TableName=template.physical["ImagesTable"].ref,
        Key={"userId": {"S": ada.user["id"]}, "imageId": {"S": stale["image"]["id"]}},
        UpdateExpression="SET createdAt = :then",
        ExpressionAttributeValues={":then": {"S": "2026-01-01T00:00:00.000Z"}},
    )

    sweep = invoke("SweeperFunction", sample_event("sweeper/scheduled.json"))
    assert sweep == {"swept": 1, "deletionsResumed": 0}

    swept = get_image(invoke, ada.token, stale["image"]["id"])
    assert (swept["error"], swept["errorCode"]) == ("The upload never arrived.", "NEVER_ARRIVED")
    pending = get_image(invoke, ada.token, fresh["image"]["id"])
    assert (pending["status"], pending["error"], pending["errorCode"]) == ("PENDING", None, None)
    me = invoke("UsersFunction", sample_event("users/my_profile.json", token=ada.token))
    assert body_of(me)["user"]["coins"] == 950


def test_get_image_of_another_user_is_404(invoke: Invoke, sign_in: SignIn) -> None:
    ada, bob = sign_in("ada@example.com"), sign_in("bob@example.com")
    requested = request_upload(invoke, ada.token, images.png(), "image/png")
    event = sample_event("images/get_image.json", token=bob.token)
    event["pathParameters"] = {"id": requested["image"]["id"]}
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/api/v1/images/{requested['image']['id']}"

    response = invoke("ListImagesFunction", event)

    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "NOT_FOUND"
