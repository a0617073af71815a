"""Sharing an image from its window (issue 27): a link made with an expiry and the prompt shown,
opened by someone who is not signed in (the page the API serves), counted, and revoked at once;
screenshots 90-..."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Api
from tests.e2e.test_web import (  # noqa: F401 (no_script_errors: autouse, each test ends without script errors)
    FINISHED,
    keep,
    new_email,
    no_script_errors,
    sign_in,
    tile,
)


def test_a_shared_link_is_seen_without_signing_in_counted_and_revoked_at_once(
    page: Page, api: Api, browser: Browser
) -> None:
    sign_in(page, api, new_email())
    page.get_by_label("Prompt").fill("a kite over the dunes")
    page.get_by_role("button", name="Generate · 100 coins").click()
    made = tile(page, "a kite over the dunes")
    expect(made).to_have_attribute("data-status", "COMPLETED", timeout=FINISHED)
    made.get_by_role("button", name="Open a kite over the dunes").click()
    share = page.get_by_role("dialog").get_by_role("region", name="Share")

    share.get_by_label("Link works for").select_option(label="30 days")
    share.get_by_label("Show the prompt").check()
    share.get_by_role("button", name="Create a link").click()
    link = share.get_by_label("Share link")
    expect(share).to_contain_text("Opened 0 times")
    expect(share).to_contain_text("prompt shown")
    url = link.input_value()
    assert url.startswith(f"{api.stack.api_url}/s/")
    keep(page, "90-share-made")

    # Someone else, not signed in: the image, its title and the prompt the owner chose to show.
    stranger = browser.new_context(viewport={"width": 1000, "height": 800}).new_page()
    stranger.goto(url)
    expect(stranger.get_by_role("img", name="a kite over the dunes")).to_be_visible()
    expect(stranger.locator("body")).to_contain_text("a kite over the dunes")
    keep(stranger, "91-share-seen")

    # The owner sees it counted when the window opens again.
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    made.get_by_role("button", name="Open a kite over the dunes").click()
    expect(share).to_contain_text("Opened once")
    expect(share.get_by_label("Share link")).to_have_value(url)  # the same link, asked again

    share.get_by_role("button", name="Stop sharing").click()
    expect(share.get_by_role("button", name="Create a link")).to_be_visible()
    answer = stranger.goto(url)
    assert answer is not None
    assert answer.status == 404  # at once: nothing in front keeps it
    expect(stranger.get_by_role("img")).to_have_count(0)
    stranger.context.close()
