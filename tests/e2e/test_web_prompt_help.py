"""The prompt's help in Chromium against the local stack (issue 25, item 6): the prompts sent lately,
picked again from the form's "Recent" list, and the style presets, whose words are shown before
sending and sent as part of the prompt. Screenshots kept in test-artifacts/web/."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Api, Session
from tests.e2e.test_web import (  # noqa: F401 (no_script_errors: autouse, each test ends without script errors)
    FINISHED,
    keep,
    new_email,
    no_script_errors,
    sign_in,
    tile,
)


def the_form(page: Page) -> Locator:
    form = page.get_by_role("form", name="Generate an image")
    expect(form.get_by_role("button", name="Generate · 100 coins")).to_be_enabled(
        timeout=15_000
    )  # models read
    return form


def what_is_sent(form: Locator) -> Locator:
    """The line under the prompt saying what it is sent as with the style's words (quoted by the page)."""
    return form.get_by_text(re.compile(r"^(Sent as|Adds to the prompt):"))


def presets(api: Api) -> dict[str, str]:
    """The style presets the service offers: words by name."""
    return {preset["name"]: preset["words"] for preset in api.style_presets().json()["presets"]}


def generated_prompts(api: Api, session: Session) -> list[str]:
    """The prompts of the user's generated images, newest first."""
    images: list[dict[str, Any]] = api.of(session).list_images(type="GENERATED").json()["images"]
    return [image["prompt"] for image in images]


def test_a_recent_prompt_is_picked_again_and_the_list_follows_what_is_sent(page: Page, api: Api) -> None:
    email = new_email()
    session = api.sign_in(email)
    for prompt in ("a lighthouse at dusk", "a red fox asleep in the snow"):
        assert api.of(session).generate({"prompt": prompt}).status_code == 202
        time.sleep(0.01)  # ids sort by the millisecond they are made in
    sign_in(page, api, email)
    form = the_form(page)
    recent = form.get_by_role("button", name="Recent")
    expect(recent).to_have_attribute("aria-expanded", "false")

    recent.click()
    listed = form.get_by_role("list", name="Recent prompts").get_by_role("button")
    expect(listed).to_have_text(["a red fox asleep in the snow", "a lighthouse at dusk"])  # newest first
    expect(recent).to_have_attribute("aria-expanded", "true")
    keep(page, "60-recent-prompts")
    page.keyboard.press("Escape")  # closes, the focus back on its button
    expect(listed).to_have_count(0)
    expect(recent).to_be_focused()

    recent.click()
    listed.filter(has_text="a lighthouse at dusk").click()
    prompt = form.get_by_label("Prompt")
    expect(prompt).to_have_value("a lighthouse at dusk")
    expect(prompt).to_be_focused()
    expect(listed).to_have_count(0)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Coins")).to_have_text("700 coins")

    recent.click()  # the prompt just sent is the newest, once
    expect(listed).to_have_text(["a lighthouse at dusk", "a red fox asleep in the snow"])
    page.get_by_role("heading", name="Your images").click()  # a click elsewhere closes the list
    expect(listed).to_have_count(0)
    assert generated_prompts(api, session)[0] == "a lighthouse at dusk"


def test_a_style_preset_shows_its_words_before_sending_and_sends_them_in_the_prompt(
    page: Page, api: Api
) -> None:
    offered = presets(api)
    email = new_email()
    sign_in(page, api, email)
    form = the_form(page)
    styles = form.get_by_role("group", name="Style")
    expect(styles.get_by_role("button")).to_have_text(list(offered))
    watercolour = styles.get_by_role("button", name="Watercolour")
    anime = styles.get_by_role("button", name="Anime")
    expect(watercolour).to_have_attribute("aria-pressed", "false")

    watercolour.click()  # before the prompt: the words it adds
    expect(watercolour).to_have_attribute("aria-pressed", "true")
    expect(what_is_sent(form)).to_have_text(f"Adds to the prompt: {offered['Watercolour']}")
    form.get_by_label("Prompt").fill("a lighthouse on a cliff.")
    sent = f"a lighthouse on a cliff, {offered['Watercolour']}"
    expect(what_is_sent(form)).to_have_text(f"Sent as: {sent}")
    keep(page, "61-style-preset-words-shown")

    anime.click()  # at most one
    expect(anime).to_have_attribute("aria-pressed", "true")
    expect(watercolour).to_have_attribute("aria-pressed", "false")
    expect(what_is_sent(form)).to_have_text(f"Sent as: a lighthouse on a cliff, {offered['Anime']}")
    anime.click()  # and none
    expect(anime).to_have_attribute("aria-pressed", "false")
    expect(what_is_sent(form)).to_have_count(0)

    watercolour.click()
    with page.expect_request(lambda request: request.url.endswith("/api/v1/images/generate")) as asked:
        form.get_by_role("button", name="Generate · 100 coins").click()
    assert asked.value.post_data_json["prompt"] == sent
    expect(tile(page, sent)).to_have_attribute("data-status", "COMPLETED", timeout=FINISHED)
    assert generated_prompts(api, api.sign_in(email)) == [sent]
    keep(page, "62-sent-with-its-style")

    # Picked again, the prompt comes back as it was typed, with its style chosen: the same words sent.
    form.get_by_label("Prompt").fill("")
    watercolour.click()
    expect(watercolour).to_have_attribute("aria-pressed", "false")
    form.get_by_role("button", name="Recent").click()
    form.get_by_role("list", name="Recent prompts").get_by_role("button", name=sent).click()
    expect(form.get_by_label("Prompt")).to_have_value("a lighthouse on a cliff")
    expect(watercolour).to_have_attribute("aria-pressed", "true")
    expect(what_is_sent(form)).to_have_text(f"Sent as: {sent}")
    keep(page, "63-recent-prompt-with-its-style")


def test_a_prompt_too_long_for_the_styles_words_is_not_sent(page: Page, api: Api) -> None:
    offered = presets(api)
    sign_in(page, api, new_email())
    form = the_form(page)
    form.get_by_label("Prompt").fill("a" * 1990)

    form.get_by_role("group", name="Style").get_by_role("button", name="Pixel art").click()

    # A long prompt's end only, so the words added stay in sight.
    expect(what_is_sent(form)).to_have_text(f"Sent as: …{'a' * 80}, {offered['Pixel art']}")
    over = 1990 + 2 + len(offered["Pixel art"]) - 2000
    expect(form.get_by_role("alert")).to_have_text(
        f"With the style's words the prompt is {over} characters too long."
    )
    expect(form.get_by_role("button", name="Generate · 100 coins")).to_be_disabled()
    keep(page, "64-too-long-with-its-style")
    form.get_by_label("Prompt").press("End")
    page.keyboard.press("Enter")  # nothing is sent
    page.wait_for_timeout(300)
    expect(page.get_by_label("Coins")).to_have_text("1,000 coins")
