"""Share links over HTTP on the local stack: a link's whole life (made, opened without signing in, its
page read by a client that runs no script, revoked, expired, its image deleted: each 404 the same, at
once), guessed tokens, the views a minute of each client address, and a hostile title on the page.

Each test opens links from a loopback address of its own (127.0.0.x, which the stack sees as the
client's address), so that one test's views never use up another's minute."""

from __future__ import annotations

import secrets
import time
from html.parser import HTMLParser
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests import images
from tests.e2e.conftest import Api, Session, error_code, new_email, upload, wait_for_image

HOSTILE = '"><script>alert(1)</script>'


class FromAddress(HTTPAdapter):
    """Connections made from ``address``: what the stack takes for the client's address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def visitor(api: Api, address: str) -> Api:
    """Someone who is not signed in, calling from ``address``."""
    http = requests.Session()
    http.mount("http://", FromAddress(address))
    stranger = Api(api.stack)
    stranger.http = http
    return stranger


class Crawler(HTMLParser):
    """What an app that previews a link reads of its page: the meta tags, and no script."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.scripts = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        name = found.get("property") or found.get("name")
        if tag == "meta" and name:
            self.meta[name] = found.get("content") or ""
        self.scripts += tag == "script"


def finished_upload(api: Api, session: Session, title: str = "Harbour") -> dict[str, Any]:
    image_id = upload(api, session, images.png(96, 64), "image/png")["image"]["id"]
    image = wait_for_image(api, session, image_id)
    assert image["status"] == "COMPLETED", image
    renamed = api.of(session).update_image(image_id, {"title": title})
    assert renamed.status_code == 200, renamed.text
    return dict(renamed.json()["image"])


def shared(api: Api, session: Session, image_id: str, **asked: Any) -> dict[str, Any]:
    response = api.of(session).share_image(image_id, asked)  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    return dict(response.json()["share"])


def test_a_links_whole_life(api: Api) -> None:
    ada = api.sign_in(new_email())
    image = finished_upload(api, ada)
    reader = visitor(api, "127.0.0.11")

    link = shared(api, ada, image["id"], showPrompt=True)
    again = api.of(ada).share_image(image["id"], {"expiresInDays": 3})

    assert again.status_code == 200
    assert again.json()["share"] == link
    assert link["url"] == f"{api.stack.api_url}/s/{link['token']}"
    # Seen without signing in, and its image served.
    seen = reader.shared_image(link["token"])
    assert seen.status_code == 200, seen.text
    assert seen.headers["Cache-Control"] == "no-store"
    assert {key: seen.json()["image"][key] for key in ("title", "width", "height")} == {
        "title": "Harbour",
        "width": 96,
        "height": 64,
    }
    assert reader.download(seen.json()["image"]["imageUrl"]).content[:4] == b"\x89PNG"
    # The page, read by a plain HTTP client that runs no script: its preview is in the HTML.
    page = reader.http.get(link["url"], timeout=30)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-store"
    crawled = Crawler(page.text)
    assert crawled.scripts == 0
    assert (crawled.meta["og:title"], crawled.meta["og:url"], crawled.meta["twitter:card"]) == (
        "Harbour",
        link["url"],
        "summary_large_image",
    )
    assert (crawled.meta["og:image:width"], crawled.meta["og:image:height"]) == ("96", "64")
    assert reader.download(crawled.meta["og:image"]).content[:4] == b"\x89PNG"
    assert api.of(ada).get_share(image["id"]).json()["share"]["views"] == 2

    unknown = reader.shared_image(secrets.token_urlsafe(32))
    unknown_page = reader.share_page(secrets.token_urlsafe(32))
    assert (unknown.status_code, error_code(unknown)) == (404, "NOT_FOUND")

    def refused(token: str) -> None:
        """The link answers exactly as a token never issued does, as JSON and as its page."""
        answer, its_page = reader.shared_image(token), reader.share_page(token)
        assert (answer.status_code, answer.content) == (404, unknown.content)
        assert (its_page.status_code, its_page.content) == (404, unknown_page.content)
        assert answer.headers["Cache-Control"] == its_page.headers["Cache-Control"] == "no-store"

    # Revoked: 404 at once.
    assert api.of(ada).revoke_share(image["id"]).status_code == 204
    refused(link["token"])
    assert api.of(ada).get_share(image["id"]).status_code == 404

    # Expired: its expiry moved into the past, where a day's wait would take it.
    expiring = shared(api, ada, image["id"], expiresInDays=1)
    assert reader.shared_image(expiring["token"]).status_code == 200
    dynamodb = api.stack.boto_session().client("dynamodb", endpoint_url=api.stack.aws.url)
    dynamodb.update_item(
        TableName=api.stack.env("SharesFunction")["SHARES_TABLE"],
        Key={"pk": {"S": f"USER#{ada.user['id']}"}, "sk": {"S": f"IMAGE#{image['id']}"}},
        UpdateExpression="SET expiresAt = :past",
        ExpressionAttributeValues={":past": {"S": "2020-01-01T00:00:00.000Z"}},
    )
    refused(expiring["token"])
    assert api.of(ada).get_share(image["id"]).status_code == 404

    # Shared again, then the image deleted: 404 at once.
    last = shared(api, ada, image["id"])
    assert last["token"] not in (link["token"], expiring["token"])
    assert reader.shared_image(last["token"]).status_code == 200
    assert api.of(ada).delete_image(image["id"]).status_code == 204
    refused(last["token"])


def test_guessed_and_malformed_tokens_answer_the_same_404(api: Api) -> None:
    ada = api.sign_in(new_email())
    image = finished_upload(api, ada)
    link = shared(api, ada, image["id"])
    guesser = visitor(api, "127.0.0.12")
    guesses = [secrets.token_urlsafe(32) for _ in range(10)]
    near = link["token"][:-1] + ("A" if link["token"][-1] != "A" else "B")
    malformed = [
        "x",
        link["token"] + "A",
        link["token"].upper(),
        near,
        "%3Cscript%3E",
        "a" * 200,
        image["id"],
    ]

    answers = [guesser.shared_image(token) for token in [*guesses, *malformed]]

    assert {(answer.status_code, answer.content) for answer in answers} == {(404, answers[0].content)}
    assert guesser.shared_image(link["token"]).status_code == 200
    assert api.of(ada).get_share(image["id"]).json()["share"]["views"] == 1  # no guess counted as a view


def test_each_client_address_has_its_views_a_minute(api: Api) -> None:
    limit = int(api.stack.env("SharesFunction")["SHARED_VIEWS_PER_MINUTE"])
    ada = api.sign_in(new_email())
    link = shared(api, ada, finished_upload(api, ada)["id"])
    busy, calm = visitor(api, "127.0.0.13"), visitor(api, "127.0.0.14")
    started = time.monotonic()

    statuses = [busy.shared_image(link["token"]).status_code for _ in range(limit)]
    refused = busy.shared_image(link["token"])
    page = busy.share_page(link["token"])

    assert time.monotonic() - started < 60, "the window moved on: the test proves nothing"
    assert statuses == [200] * limit
    assert (refused.status_code, error_code(refused)) == (429, "RATE_LIMITED")
    details = refused.json()["error"]["details"]
    assert (details["limit"], details["windowSeconds"]) == (limit, 60)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert (page.status_code, page.headers["Content-Type"]) == (429, "text/html; charset=utf-8")
    assert int(page.headers["Retry-After"]) >= 1
    assert calm.shared_image(link["token"]).status_code == 200  # another address is not limited


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_hostile_title_is_only_text_on_the_page(api: Api, language: str) -> None:
    ada = api.sign_in(new_email())
    image = finished_upload(api, ada, title=HOSTILE)
    link = shared(api, ada, image["id"], showPrompt=True)

    page = visitor(api, "127.0.0.15").share_page(link["token"], accept_language=language)

    assert page.status_code == 200
    assert "<script>" not in page.text
    crawled = Crawler(page.text)
    assert crawled.scripts == 0
    assert crawled.meta["og:title"] == HOSTILE
    assert f'<html lang="{language}">' in page.text
    assert "script-src" not in page.headers["Content-Security-Policy"]
