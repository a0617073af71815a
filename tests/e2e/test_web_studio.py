"""The studio's front end (issue 25), in Chromium against the local stack: plain words where the API
has codes. Screenshots kept in test-artifacts/web/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests import images
from tests.e2e.conftest import Api, wait_for_image
from tests.e2e.test_web import (  # noqa: F401 (no_script_errors: autouse, each test ends without script errors)
    FINISHED,
    keep,
    new_email,
    no_script_errors,
    sign_in,
    stored_session,
    tile,
    titled_upload,
)

# What the API says in codes, and the model in its own: never on the page.
CODES = ["PROHIBITED_CONTENT", "INVALID_ARGUMENT", "HTTP 400", "PENDING", "PROCESSING", "COMPLETED", "GENERATED", "UPLOADED"]


def watched(page: Page, errors: list[str]) -> Page:
    """Another tab, its script errors counted with the first tab's (see no_script_errors)."""
    page.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}"))
    page.on(
        "console",
        lambda message: errors.append(message.text)
        if message.type == "error" and not message.text.startswith("Failed to load resource")
        else None,
    )
    return page


@pytest.fixture
def other_tab(page: Page, no_script_errors: list[str]) -> Iterator[Page]:  # noqa: F811 (the fixture, used)
    """A second tab of the first tab's browser (the same storage)."""
    second = watched(page.context.new_page(), no_script_errors)
    yield second
    second.close()


def signed_in_as(page: Page, email: str) -> None:
    expect(page.get_by_role("button", name="Sign out")).to_have_attribute("title", f"Signed in as {email}")


def views(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Views").get_by_role("button", name=name, exact=True).click()


def shown_text(page: Page) -> str:
    return page.locator("body").inner_text()


# ------------------------------------------------------------------------------ words for people


def test_statuses_failures_and_the_coin_history_are_in_plain_words(page: Page, api: Api) -> None:
    email = new_email()
    session = api.sign_in(email)
    photo = titled_upload(api, session, "a garden photo", images.png(200, 150))
    edited = api.call("POST", f"/images/{photo['id']}/edit", session.token, json={"prompt": "with snow"})
    wait_for_image(api, session, edited.json()["image"]["id"])
    sign_in(page, api, email)
    form = page.get_by_role("form", name="Generate an image")

    form.get_by_label("Prompt").fill("a forbidden door")  # the stand-in refuses it as Gemini would
    form.get_by_role("button", name="Generate · 100 coins").click()
    refused = tile(page, "a forbidden door")
    # Whatever it is at this moment, it says so in words (read at once: it changes as it goes).
    status, said = refused.evaluate("tile => [tile.dataset.status, tile.querySelector('.status').textContent]")
    assert said == {"PENDING": "Waiting to start", "PROCESSING": "Working on it", "FAILED": "Failed"}[status]
    expect(refused).to_have_attribute("data-status", "FAILED", timeout=FINISHED)
    expect(refused.locator(".error")).to_have_text("The model would not draw this prompt; your 100 coins are back.")
    image = api.call("GET", "/images?status=FAILED", session.token).json()["images"][0]
    assert "PROHIBITED_CONTENT" in image["error"]  # the API's words, not the page's

    # The model refuses the request itself (Google's 400): a failure the page cannot name.
    assert api.call("POST", "/_dev/faults", json={"gemini": {"failNext": 1, "status": 400}}).status_code == 204
    form.get_by_label("Prompt").fill("a plain bowl")
    form.get_by_role("button", name="Generate · 100 coins").click()
    rejected = tile(page, "a plain bowl")
    expect(rejected).to_have_attribute("data-status", "FAILED", timeout=FINISHED)
    expect(rejected.locator(".error")).to_have_text("The image could not be made; your 100 coins are back.")
    assert "INVALID_ARGUMENT" in api.call("GET", "/images?status=FAILED", session.token).json()["images"][0]["error"]

    expect(tile(page, "with snow").locator(".meta")).to_have_text("Done · Edited")
    expect(tile(page, "a garden photo").locator(".meta")).to_have_text("Done · Uploaded")
    expect(page.get_by_label("Coins")).to_have_text("850 coins")
    shown = shown_text(page)
    assert [code for code in CODES if code in shown] == []
    keep(page, "32-failed-in-plain-words")

    rejected.get_by_role("button", name="Open a plain bowl").click()
    detail = page.get_by_role("dialog", name="a plain bowl")
    expect(detail).to_contain_text("The image could not be made; your 100 coins are back.")
    expect(detail.locator("dl")).to_contain_text("StatusFailed")
    expect(detail.locator("dl")).to_contain_text("KindGenerated")
    shown = detail.inner_text()
    assert [code for code in CODES if code in shown] == []
    keep(page, "33-failed-detail")
    page.keyboard.press("Escape")

    views(page, "Coins")
    rows = page.get_by_role("region", name="Coin history").get_by_role("row")
    expect(rows).to_have_count(8)  # the header and seven entries
    what = [re.sub(r"\s+", " ", text) for text in rows.locator("td:nth-child(2)").all_inner_texts()]
    assert what == [
        "Coins back: the image failed",
        "New image",
        "Coins back: the image failed",
        "New image",
        "Edit",  # not "Generation": it edits the photo
        "Upload",
        "Welcome coins",
    ]
    shown = shown_text(page)
    assert [code for code in [*CODES, "generate"] if code in shown] == []
    keep(page, "34-coin-history-in-words")
