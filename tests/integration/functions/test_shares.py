"""The shares function with the events/ samples, against moto, each call held to its template policies:
an owner shares a finished image, anyone opens it without a token (as JSON and as its page), the owner
revokes it, deleting the image removes it; every bad link answers the same 404, every answer is
no-store, and each client address has its views a minute."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import boto3
import pytest

from stacktools.samples import sample_event
from stacktools.template import Template
from tests import images
from tests.integration.conftest import Invoke, SignedIn, body_of, completed_upload

SignIn = Callable[[str], SignedIn]
SAMPLE_TOKEN = "q7Yz0pL3mV8sK2wX5nB9cR1tD4fG6hJ0aE2iO7uQ3yM"
HOSTILE = '"><script>alert(1)</script>'


def opening(name: str, token: str, source_ip: str | None = None) -> dict[str, Any]:
    """A public sample (``shared_image.json``, ``share_page.json``...) asking for ``token``."""
    event = sample_event(name)
    event["rawPath"] = event["rawPath"].replace(SAMPLE_TOKEN, token)
    http = event["requestContext"]["http"]
    http["path"] = http["path"].replace(SAMPLE_TOKEN, token)
    if "pathParameters" in event:
        event["pathParameters"]["token"] = token
    if source_ip is not None:
        http["sourceIp"] = source_ip
    return event


def share(
    invoke: Invoke, session: SignedIn, image_id: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    event = sample_event("shares/share_image.json", token=session.token, path_id=image_id, body=body)
    return invoke("SharesFunction", event)


class Meta(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        name = found.get("property") or found.get("name")
        if tag == "meta" and name:
            self.tags[name] = found.get("content") or ""


@pytest.fixture
def ada(sign_in: SignIn) -> SignedIn:
    return sign_in("ada@example.com")


@pytest.fixture
def image_id(invoke: Invoke, template: Template, ada: SignedIn) -> str:
    return completed_upload(invoke, template, ada.token, images.png(64, 48), "image/png")


def test_a_link_is_made_once_opened_by_anyone_and_counted(
    invoke: Invoke, ada: SignedIn, image_id: str
) -> None:
    made = share(invoke, ada, image_id, {"expiresInDays": 7, "showPrompt": True})
    again = share(invoke, ada, image_id, {"showPrompt": False})

    assert made["statusCode"] == 201, made
    assert again["statusCode"] == 200, again
    link = body_of(made)["share"]
    assert body_of(again)["share"] == link
    assert link["url"] == f"http://127.0.0.1:3000/s/{link['token']}"
    assert (link["showPrompt"], link["views"]) == (True, 0)

    opened = invoke("SharesFunction", opening("shares/shared_image.json", link["token"]))

    assert opened["statusCode"] == 200, opened
    shown = body_of(opened)
    assert shown["createdAt"] == link["createdAt"]
    assert {key: shown["image"][key] for key in ("title", "width", "height", "prompt")} == {
        "title": "Holiday",
        "width": 64,
        "height": 48,
        "prompt": None,  # an upload has none to show
    }
    assert f"images/{ada.user['id']}/{image_id}.png" in shown["image"]["imageUrl"]
    assert opened["headers"]["Cache-Control"] == "no-store"
    current = invoke(
        "SharesFunction", sample_event("shares/get_share.json", token=ada.token, path_id=image_id)
    )
    assert body_of(current)["share"]["views"] == 1
    assert current["headers"]["Cache-Control"] == "no-store"


def test_the_page_carries_its_preview_tags_and_its_own_policy(
    invoke: Invoke, ada: SignedIn, image_id: str
) -> None:
    renamed = sample_event(
        "images/update_image.json", token=ada.token, path_id=image_id, body={"title": HOSTILE}
    )
    assert invoke("ListImagesFunction", renamed)["statusCode"] == 200
    token = body_of(share(invoke, ada, image_id))["share"]["token"]

    page = invoke("SharesFunction", opening("shares/share_page.json", token))

    assert page["statusCode"] == 200, page
    headers = page["headers"]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert "script-src" not in headers["Content-Security-Policy"]
    assert "<script>" not in page["body"]
    tags = Meta(page["body"]).tags
    assert tags["og:title"] == HOSTILE
    assert tags["og:url"] == f"http://127.0.0.1:3000/s/{token}"
    assert (tags["og:image:width"], tags["og:image:height"], tags["twitter:card"]) == (
        "64",
        "48",
        "summary_large_image",
    )
    assert "X-Amz-Expires=3600" in tags["og:image"]  # an hour: previews are fetched later
    assert '<html lang="es">' in page["body"]  # the sample's visitor reads Spanish


def test_every_link_that_does_not_open_answers_the_same_404(
    invoke: Invoke, template: Template, ada: SignedIn, image_id: str
) -> None:
    token = body_of(share(invoke, ada, image_id))["share"]["token"]
    other = completed_upload(invoke, template, ada.token, images.png(32, 32), "image/png")
    revoked_token = body_of(share(invoke, ada, other))["share"]["token"]
    revoked = invoke(
        "SharesFunction", sample_event("shares/revoke_share.json", token=ada.token, path_id=other)
    )
    assert revoked["statusCode"] == 204, revoked
    deleted = invoke(
        "DeleteImageFunction", sample_event("images/delete_image.json", token=ada.token, path_id=image_id)
    )
    assert deleted["statusCode"] == 204, deleted

    answers = [
        invoke("SharesFunction", opening("shares/shared_image.json", candidate))
        for candidate in (token, revoked_token, "A" * 43, "not-a-token", "%22%3E%3Cscript%3E")
    ]
    pages = [
        invoke("SharesFunction", opening("shares/share_page.json", candidate)) for candidate in (token, "x")
    ]

    assert len({(answer["statusCode"], answer["body"]) for answer in answers}) == 1  # to the byte
    assert answers[0]["statusCode"] == 404
    assert json.loads(answers[0]["body"]) == {
        "error": {"code": "NOT_FOUND", "message": "No such shared image.", "details": {}}
    }
    assert {answer["headers"]["Cache-Control"] for answer in answers + pages} == {"no-store"}
    assert {(page["statusCode"], page["body"]) for page in pages} == {(404, pages[0]["body"])}
    items = boto3.client("dynamodb").scan(TableName=template.physical["SharesTable"].ref)["Items"]
    assert items == []  # the revoked link, and the deleted image's, are gone whole
    for image in (image_id, other):
        gone = invoke("SharesFunction", sample_event("shares/get_share.json", token=ada.token, path_id=image))
        assert gone["statusCode"] == 404


def test_only_the_owner_shares_reads_or_revokes_and_only_a_finished_image(
    invoke: Invoke, template: Template, sign_in: SignIn, ada: SignedIn, image_id: str
) -> None:
    bob = sign_in("bob@example.com")
    generated = sample_event("images/generate.json", token=ada.token, body={"prompt": "a lighthouse"})
    generated["headers"].pop("idempotency-key")
    pending = body_of(invoke("GenerateFunction", generated))["image"]["id"]

    assert share(invoke, bob, image_id)["statusCode"] == 404
    assert share(invoke, ada, pending)["statusCode"] == 409
    assert share(invoke, ada, image_id, {"expiresInDays": 366})["statusCode"] == 422
    token = body_of(share(invoke, ada, image_id))["share"]["token"]
    for event in ("shares/get_share.json", "shares/revoke_share.json"):
        assert (
            invoke("SharesFunction", sample_event(event, token=bob.token, path_id=image_id))["statusCode"]
            == 404
        )
    assert (
        invoke("SharesFunction", sample_event("shares/get_share.json", path_id=image_id))["statusCode"] == 401
    )
    assert invoke("SharesFunction", opening("shares/shared_image.json", token))["statusCode"] == 200


def test_each_client_address_has_its_views_a_minute(
    invoke: Invoke, template: Template, ada: SignedIn, image_id: str
) -> None:
    limit = int(template.functions()["SharesFunction"].environment["SHARED_VIEWS_PER_MINUTE"])
    token = body_of(share(invoke, ada, image_id))["share"]["token"]
    statuses = [
        invoke("SharesFunction", opening("shares/shared_image.json", token, "198.51.100.1"))["statusCode"]
        for _ in range(limit)
    ]

    refused = invoke("SharesFunction", opening("shares/shared_image.json", token, "198.51.100.1"))
    page = invoke("SharesFunction", opening("shares/share_page.json", token, "198.51.100.1"))

    assert statuses == [200] * limit
    assert refused["statusCode"] == 429
    assert body_of(refused)["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(refused["headers"]["Retry-After"]) <= 60
    assert (page["statusCode"], page["headers"]["Content-Type"]) == (429, "text/html; charset=utf-8")
    assert page["headers"]["Retry-After"]
    other = invoke("SharesFunction", opening("shares/shared_image.json", token, "198.51.100.2"))
    assert other["statusCode"] == 200


def test_through_the_site_each_viewer_is_counted_by_the_address_cloudfront_gives(
    invoke: Invoke, template: Template, ada: SignedIn, image_id: str
) -> None:
    limit = int(template.functions()["SharesFunction"].environment["SHARED_VIEWS_PER_MINUTE"])
    token = body_of(share(invoke, ada, image_id))["share"]["token"]

    def through_the_site(viewer: str) -> dict[str, Any]:
        event = copy.deepcopy(opening("shares/share_page_through_the_site.json", token))
        event["headers"]["cloudfront-viewer-address"] = f"{viewer}:51234"
        return invoke("SharesFunction", event)

    # One CloudFront address, many viewers: each has a window of their own.
    first = [through_the_site("198.51.100.23")["statusCode"] for _ in range(limit + 1)]
    second = through_the_site("198.51.100.24")

    assert first == [200] * limit + [429]
    assert second["statusCode"] == 200
    assert '<html lang="en">' in second["body"]
