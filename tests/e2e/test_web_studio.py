"""The studio's front end (issue 25), in Chromium against the local stack: the session kept across
tabs and browser restarts (and ended in every tab at once), the prompt's help (examples, Enter to
generate), plain words where the API has codes, variations, news while you wait, stars and the
gallery's search. Screenshots kept in test-artifacts/web/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, Route, expect

from tests import images
from tests.e2e.conftest import Api, Session, wait_for_image
from tests.e2e.test_web import (  # noqa: F401 (no_script_errors: autouse, each test ends without script errors)
    FINISHED,
    keep,
    new_email,
    no_script_errors,
    sign_in,
    stored_session,
    tile,
    titled_upload,
    with_images,
)

# What the API says in codes, and the model in its own: never on the page.
CODES = [
    "PROHIBITED_CONTENT",
    "INVALID_ARGUMENT",
    "HTTP 400",
    "PENDING",
    "PROCESSING",
    "COMPLETED",
    "GENERATED",
    "UPLOADED",
]


def watched(page: Page, errors: list[str]) -> Page:
    """Another tab, its script errors counted with the first tab's (see no_script_errors)."""
    page.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}"))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
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


# ------------------------------------------------------------------------------ staying signed in


def test_a_new_tab_and_a_restarted_browser_stay_signed_in(
    page: Page,
    other_tab: Page,
    browser: Browser,
    api: Api,
    no_script_errors: list[str],  # noqa: F811
) -> None:
    email = new_email()
    sign_in(page, api, email)
    expect(page.get_by_text("Nothing here yet.")).to_be_visible()

    other_tab.goto(api.stack.api_url + "/app/")  # a new tab
    signed_in_as(other_tab, email)
    expect(other_tab.get_by_label("Coins")).to_have_text("1,000 coins")

    kept = page.context.storage_state()  # what a browser keeps of the site when it is closed
    restarted: BrowserContext = browser.new_context(
        storage_state=kept, viewport={"width": 1100, "height": 800}
    )
    try:
        again = watched(restarted.new_page(), no_script_errors)
        again.goto(api.stack.api_url + "/app/")
        signed_in_as(again, email)
        expect(again.get_by_text("Nothing here yet.")).to_be_visible()  # its calls go through
    finally:
        restarted.close()


def test_tabs_share_each_refresh_and_stay_signed_in(page: Page, other_tab: Page, api: Api) -> None:
    """Refresh tokens are used once: a tab sending one another tab already used (its successor replaced
    since) would end the session for both. Each tab takes the tokens the other got instead."""
    page.clock.install()  # the tabs' clock (their browser's), moved on below; the service keeps real time
    email = new_email()
    sign_in(page, api, email)
    other_tab.goto(api.stack.api_url + "/app/")
    signed_in_as(other_tab, email)
    refreshes: list[str] = []
    for tab in (page, other_tab):
        tab.on(
            "request",
            lambda request: refreshes.append(request.url) if "/auth/refresh" in request.url else None,
        )

    def expire_soon() -> None:
        """Both tabs' clock on to 30 s before the access token expires."""
        page.clock.fast_forward(stored_session(page)["expiresAt"] - page.evaluate("Date.now()") - 30_000)

    expire_soon()
    views(page, "Coins")  # this tab refreshes
    expect(page.get_by_role("region", name="Coin history")).to_contain_text("Welcome coins")
    assert len(refreshes) == 1
    views(other_tab, "Coins")  # the other has the new tokens already: no refresh of its own
    expect(other_tab.get_by_role("region", name="Coin history")).to_contain_text("Welcome coins")
    assert len(refreshes) == 1

    expire_soon()
    views(page, "Gallery")  # this tab again: the first refresh token's successor is replaced
    expect(page.get_by_text("Nothing here yet.")).to_be_visible()
    assert len(refreshes) == 2
    expire_soon()
    views(other_tab, "Gallery")  # the other refreshes with the newest token, not the one it began with
    expect(other_tab.get_by_text("Nothing here yet.")).to_be_visible()
    assert len(refreshes) == 3

    views(page, "Coins")
    expect(page.get_by_role("region", name="Coin history")).to_contain_text("Welcome coins")
    for tab in (page, other_tab):
        signed_in_as(tab, email)
    assert api.call("GET", "/auth/me", stored_session(page)["token"]).status_code == 200  # the session lives


def test_a_refresh_that_cannot_reach_the_service_keeps_the_session(page: Page, api: Api) -> None:
    page.clock.install()
    email = new_email()
    sign_in(page, api, email)
    page.route("**/api/v1/auth/refresh", lambda route: route.abort())  # offline for a moment
    page.clock.fast_forward(stored_session(page)["expiresAt"] - page.evaluate("Date.now()") - 30_000)

    views(page, "Coins")
    history = page.get_by_role("region", name="Coin history")
    expect(history.get_by_role("alert")).to_have_text(
        "The service could not be reached: check the connection and try again."
    )
    signed_in_as(page, email)  # the session is not forgotten for want of a connection
    assert stored_session(page) is not None

    page.unroute("**/api/v1/auth/refresh")
    views(page, "Gallery")
    expect(page.get_by_text("Nothing here yet.")).to_be_visible()
    signed_in_as(page, email)


def test_signing_out_in_one_tab_signs_out_the_others_at_once(page: Page, other_tab: Page, api: Api) -> None:
    email = new_email()
    sign_in(page, api, email)
    other_tab.goto(api.stack.api_url + "/app/#coins")
    signed_in_as(other_tab, email)
    expect(other_tab.get_by_role("region", name="Coin history")).to_contain_text("Welcome coins")
    other_tab.evaluate("window.notReloaded = true")

    page.get_by_role("button", name="Sign out").click()

    expect(other_tab.get_by_role("form", name="Sign in")).to_be_visible()  # at once, without a reload
    expect(other_tab.get_by_role("status")).to_have_text("You signed out in another tab.")
    expect(other_tab.get_by_text("Welcome coins")).to_have_count(0)  # nothing of the user is left
    assert other_tab.evaluate("window.notReloaded") is True
    keep(other_tab, "30-signed-out-in-another-tab")

    second = new_email()  # signing in again there shows the new user here, not the last one
    sign_in(page, api, second)
    signed_in_as(other_tab, second)
    expect(other_tab.get_by_role("status")).to_have_count(0)
    assert other_tab.evaluate("window.notReloaded") is True


# ------------------------------------------------------------------------------ the prompt's help


def test_an_example_prompt_fills_the_box_and_enter_generates_it(page: Page, api: Api) -> None:
    sign_in(page, api, new_email())
    form = page.get_by_role("form", name="Generate an image")
    prompt = form.get_by_label("Prompt")
    expect(prompt).to_have_attribute("placeholder", re.compile(r"^Describe the image"))
    examples = form.get_by_role("group", name="Examples")
    expect(examples.get_by_role("button")).to_have_count(4)
    keep(page, "31-prompt-examples")

    examples.get_by_role("button", name="Fox in the snow").click()
    fox = "A red fox asleep in fresh snow, soft morning light, close-up photograph"
    expect(prompt).to_have_value(fox)
    expect(prompt).to_be_focused()  # to change it, or send it as it is
    expect(examples).to_have_count(0)  # the examples give way to the prompt
    expect(form).to_contain_text("Enter generates, Shift+Enter starts a new line.")

    expect(form.get_by_role("button", name="Generate · 100 coins")).to_be_enabled()  # the models are read
    page.keyboard.press("Enter")
    expect(tile(page, fox)).to_have_attribute("data-status", "COMPLETED", timeout=FINISHED)
    expect(page.get_by_label("Coins")).to_have_text("900 coins")


def test_enter_generates_and_shift_enter_starts_a_new_line_in_the_prompt_and_the_edit(
    page: Page, api: Api
) -> None:
    email = new_email()
    titled_upload(api, api.sign_in(email), "a quiet street", images.png(200, 150))
    sign_in(page, api, email)

    form = page.get_by_role("form", name="Generate an image")
    expect(form.get_by_role("button", name="Generate · 100 coins")).to_be_enabled()  # the models are read
    prompt = form.get_by_label("Prompt")
    prompt.click()
    page.keyboard.type("a paper boat")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("on a puddle")
    expect(prompt).to_have_value("a paper boat\non a puddle")
    page.wait_for_timeout(300)
    expect(page.get_by_label("Coins")).to_have_text("950 coins")  # nothing sent yet
    page.keyboard.press("Enter")
    made = page.get_by_role("region", name="Your images").get_by_role("listitem")
    expect(made).to_have_count(2)
    expect(page.get_by_label("Coins")).to_have_text("850 coins")
    [image] = api.call("GET", "/images?type=GENERATED", api.sign_in(email).token).json()["images"]
    assert image["prompt"] == "a paper boat\non a puddle"  # one request, with its new line

    tile(page, "a quiet street").get_by_role("button", name="Open a quiet street").click()
    detail = page.get_by_role("dialog", name="a quiet street")
    change = detail.get_by_label("Describe the change")
    change.click()
    page.keyboard.type("in the rain")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("at night")
    expect(change).to_have_value("in the rain\nat night")
    page.keyboard.press("Enter")
    followed = page.get_by_role("dialog", name="in the rain\nat night")
    expect(followed.get_by_role("region", name="Versions").get_by_role("listitem")).to_have_count(2)
    expect(page.get_by_label("Coins")).to_have_text("750 coins")


# ------------------------------------------------------------------------------ words for people


def test_statuses_failures_and_the_coin_history_are_in_plain_words(page: Page, api: Api) -> None:
    email = new_email()
    session = api.sign_in(email)
    photo = titled_upload(api, session, "a garden photo", images.png(200, 150))
    titled_upload(api, session, "a fence photo", images.png(200, 150))
    edited = api.call("POST", f"/images/{photo['id']}/edit", session.token, json={"prompt": "with snow"})
    wait_for_image(api, session, edited.json()["image"]["id"])
    sign_in(page, api, email)
    form = page.get_by_role("form", name="Generate an image")

    form.get_by_label("Prompt").fill("a forbidden door")  # the stand-in refuses it as Gemini would
    form.get_by_role("button", name="Generate · 100 coins").click()
    refused = tile(page, "a forbidden door")
    # Whatever it is at this moment, it says so in words (read at once: it changes as it goes).
    status, said = refused.evaluate(
        "tile => [tile.dataset.status, tile.querySelector('.status').textContent]"
    )
    assert said == {"PENDING": "Waiting to start", "PROCESSING": "Working on it", "FAILED": "Failed"}[status]
    expect(refused).to_have_attribute("data-status", "FAILED", timeout=FINISHED)
    expect(refused.locator(".error")).to_have_text(
        "The model would not draw this prompt; your 100 coins are back."
    )
    image = api.call("GET", "/images?status=FAILED", session.token).json()["images"][0]
    assert "PROHIBITED_CONTENT" in image["error"]  # the API's words, not the page's

    # The model refuses the request itself (Google's 400): the service's MODEL_FAILED, in words.
    assert (
        api.call("POST", "/_dev/faults", json={"gemini": {"failNext": 1, "status": 400}}).status_code == 204
    )
    form.get_by_label("Prompt").fill("a plain bowl")
    form.get_by_role("button", name="Generate · 100 coins").click()
    rejected = tile(page, "a plain bowl")
    expect(rejected).to_have_attribute("data-status", "FAILED", timeout=FINISHED)
    expect(rejected.locator(".error")).to_have_text(
        "The model could not make this image; your 100 coins are back."
    )
    assert (
        "INVALID_ARGUMENT"
        in api.call("GET", "/images?status=FAILED", session.token).json()["images"][0]["error"]
    )

    expect(tile(page, "with snow").locator(".meta")).to_have_text("Done · Edited")  # the garden's thread
    expect(tile(page, "a fence photo").locator(".meta")).to_have_text("Done · Uploaded")
    expect(page.get_by_label("Coins")).to_have_text("800 coins")
    shown = shown_text(page)
    assert [code for code in CODES if code in shown] == []
    keep(page, "32-failed-in-plain-words")

    rejected.get_by_role("button", name="Open a plain bowl").click()
    detail = page.get_by_role("dialog", name="a plain bowl")
    expect(detail).to_contain_text("The model could not make this image; your 100 coins are back.")
    expect(detail.locator("dl")).to_contain_text("StatusFailed")
    expect(detail.locator("dl")).to_contain_text("KindGenerated")
    shown = detail.inner_text()
    assert [code for code in CODES if code in shown] == []
    keep(page, "33-failed-detail")
    page.keyboard.press("Escape")

    views(page, "Coins")
    rows = page.get_by_role("region", name="Coin history").get_by_role("row")
    expect(rows).to_have_count(9)  # the header and eight entries
    what = [re.sub(r"\s+", " ", text) for text in rows.locator("td:nth-child(2)").all_inner_texts()]
    assert what == [
        "Coins back: the image failed",
        "New image",
        "Coins back: the image failed",
        "New image",
        "Edit",  # not "Generation": it edits the photo
        "Upload",
        "Upload",
        "Welcome coins",
    ]
    shown = shown_text(page)
    assert [code for code in [*CODES, "generate"] if code in shown] == []
    keep(page, "34-coin-history-in-words")


# ------------------------------------------------------------------------------ variations, run again, remix


def test_four_variations_of_one_prompt_arrive_together_charged_as_four(page: Page, api: Api) -> None:
    email = new_email()
    sign_in(page, api, email)
    form = page.get_by_role("form", name="Generate an image")
    form.get_by_label("Prompt").fill("a paper boat on a puddle")
    form.get_by_label("Variations").select_option("4")
    expect(form).to_contain_text("balance after: 600")

    form.get_by_role("button", name="Generate · 400 coins").click()

    tiles = page.get_by_role("listitem", name="a paper boat on a puddle")
    expect(tiles).to_have_count(4)
    for index in range(4):
        expect(tiles.nth(index)).to_have_attribute("data-status", "COMPLETED", timeout=FINISHED)
    expect(page.get_by_label("Coins")).to_have_text("600 coins")
    keep(page, "35-four-variations")
    made = api.call("GET", "/images", api.sign_in(email).token).json()["images"]
    assert len(made) == 4
    assert len({image["batchId"] for image in made}) == 1
    assert {image["batchSize"] for image in made} == {4}


def test_run_again_repeats_an_edit_with_its_references_and_remix_loads_it_to_change(
    page: Page, api: Api
) -> None:
    session, [room, lamp] = with_images(page, api, "a room", "a lamp")
    asked = {"prompt": "the lamp in the room", "referenceImageIds": [lamp["id"]], "imageSize": "2K"}
    edited = api.call("POST", f"/images/{room['id']}/edit", session.token, json=asked).json()["image"]
    wait_for_image(api, session, edited["id"])
    page.reload()

    def made_from_room() -> list[dict[str, object]]:
        return [
            image
            for image in api.call("GET", "/images", session.token).json()["images"]
            if image["parentImageId"] == room["id"]
        ]

    tile(page, "the lamp in the room").get_by_role("button", name="Open the lamp in the room").click()
    detail = page.get_by_role("dialog", name="the lamp in the room")
    detail.get_by_role("button", name="Run again · 150 coins").click()
    expect(detail).to_be_hidden()
    # The room's thread, one tile: the room, its edit, and that edit made again.
    expect(tile(page, "the lamp in the room")).to_contain_text("3 versions")
    again = [image for image in made_from_room() if image["id"] != edited["id"]]
    asked_again = [(i["referenceImageIds"], i["imageSize"], i["aspectRatio"], i["model"]) for i in again]
    assert asked_again == [([lamp["id"]], "2K", edited["aspectRatio"], edited["model"])]

    tile(page, "the lamp in the room").first.get_by_role("button", name="Open the lamp in the room").click()
    page.get_by_role("dialog", name="the lamp in the room").get_by_role("button", name="Remix").click()
    form = page.get_by_role("form", name="Generate an image")
    expect(form).to_contain_text("Changing a room")
    expect(form.get_by_label("Prompt")).to_have_value("the lamp in the room")
    expect(form.get_by_label("Size")).to_have_value("2K")
    expect(form.get_by_role("group", name="Reference images").get_by_role("listitem")).to_contain_text(
        ["a lamp"]
    )
    keep(page, "36-remix")
    form.get_by_label("Prompt").fill("the lamp in the room, at night")
    form.get_by_role("button", name="Generate · 150 coins").click()

    expect(page.get_by_role("listitem", name="the lamp in the room, at night")).to_have_count(1)
    remixed = [image for image in made_from_room() if image["prompt"] == "the lamp in the room, at night"]
    assert [(image["referenceImageIds"], image["threadId"]) for image in remixed] == [
        ([lamp["id"]], room["id"])
    ]
    expect(page.get_by_label("Coins")).to_have_text(f"{1000 - 100 - 450} coins")


# ------------------------------------------------------------------------------ news while you wait

HIDE = """hidden => {
    Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
    const state = hidden ? "hidden" : "visible";
    Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
}"""
# The browser's notifications, as a page sees them: allowed, and each one shown kept for the test to read.
NOTICES = """
window.shownNotices = [];
window.Notification = class {
    static permission = "granted";
    static requestPermission() { return Promise.resolve("granted"); }
    constructor(title, options) { window.shownNotices.push({ title, body: options.body }); }
    close() {}
};
"""


def test_a_hidden_tab_counts_finished_images_in_its_title_and_notifies(page: Page, api: Api) -> None:
    page.add_init_script(NOTICES)
    sign_in(page, api, new_email())
    expect(page).to_have_title("imagegen")
    form = page.get_by_role("form", name="Generate an image")
    form.get_by_label("Prompt").fill("a kite over the dunes")
    form.get_by_label("Variations").select_option("2")
    form.get_by_role("button", name="Generate · 200 coins").click()
    expect(page.get_by_role("listitem", name="a kite over the dunes")).to_have_count(2)
    page.evaluate(HIDE, True)  # the person looks at another tab

    expect(page).to_have_title("(2) imagegen", timeout=FINISHED)
    notices = page.evaluate("window.shownNotices")
    assert notices == [{"title": "Your image is ready", "body": "a kite over the dunes"}] * 2

    page.evaluate(HIDE, False)  # back: seen
    expect(page).to_have_title("imagegen")


def test_unfinished_images_are_read_in_one_request_a_turn_and_an_estimate_is_shown(
    page: Page, api: Api
) -> None:
    email = new_email()
    sign_in(page, api, email)
    form = page.get_by_role("form", name="Generate an image")
    form.get_by_label("Prompt").fill("a first lantern")
    form.get_by_role("button", name="Generate · 100 coins").click()
    expect(tile(page, "a first lantern")).to_have_attribute("data-status", "COMPLETED", timeout=FINISHED)

    reads: list[str] = []
    page.on("request", lambda request: reads.append(request.url) if request.method == "GET" else None)
    form.get_by_label("Prompt").fill("a second lantern")
    form.get_by_label("Variations").select_option("3")
    form.get_by_role("button", name="Generate · 300 coins").click()
    lanterns = page.get_by_role("listitem", name="a second lantern")
    expect(lanterns.first).to_contain_text(re.compile(r"about \d+ s"))  # from how long the first took
    for index in range(3):
        expect(lanterns.nth(index)).to_have_attribute("data-status", "COMPLETED", timeout=FINISHED)

    image_reads = [url for url in reads if re.search(r"/api/v1/images/[^/?]+$", url)]
    page_reads = [url for url in reads if re.search(r"/api/v1/images\?", url)]
    assert page_reads  # the newest page, read while they were being made
    assert image_reads == []  # not each image on its own: they were on that page


# ------------------------------------------------------------------------------ favourites and search


UNREACHABLE = "The service could not be reached: check the connection and try again."


def starred_titles(api: Api, session: Session) -> set[str]:
    """The titles of the images the API says are starred."""
    return {
        image["title"]
        for image in api.call("GET", "/images", session.token).json()["images"]
        if image["favorite"]
    }


def put_image(response: Response) -> bool:
    return response.request.method == "PUT" and "/api/v1/images/" in response.url


def held_back(page: Page) -> list[Route]:
    """Each star or rename the page sends from now on, held (neither sent nor answered) for the test
    to abort; every other call to an image goes through."""
    held: list[Route] = []
    page.route(
        "**/api/v1/images/*",
        lambda route: held.append(route) if route.request.method == "PUT" else route.continue_(),
    )
    return held


def first_held(page: Page, held: list[Route]) -> Route:
    for _ in range(50):
        if held:
            return held[0]
        page.wait_for_timeout(100)
    raise AssertionError("the page sent nothing")


def test_a_star_on_a_tile_or_in_the_dialog_is_saved_at_once_and_shown_in_both(page: Page, api: Api) -> None:
    session, _ = with_images(page, api, "a red kite", "a blue door")
    kite = tile(page, "a red kite").get_by_role("button", name="Star", exact=True)
    door = tile(page, "a blue door").get_by_role("button", name="Star", exact=True)
    expect(kite).to_have_attribute("aria-pressed", "false")

    with page.expect_response(put_image) as saved:
        kite.click()
    expect(kite).to_have_attribute("aria-pressed", "true")
    assert saved.value.ok
    assert starred_titles(api, session) == {"a red kite"}

    tile(page, "a red kite").get_by_role("button", name="Open a red kite").click()
    detail = page.get_by_role("dialog", name="a red kite")
    in_dialog = detail.get_by_role("button", name="Star", exact=True)
    expect(in_dialog).to_have_attribute("aria-pressed", "true")  # the tile's star, the same image
    with page.expect_response(put_image):
        in_dialog.click()
    expect(in_dialog).to_have_attribute("aria-pressed", "false")
    expect(kite).to_have_attribute("aria-pressed", "false")  # the tile behind it follows
    assert starred_titles(api, session) == set()
    detail.get_by_role("button", name="Previous image").click()  # the newer one
    detail = page.get_by_role("dialog", name="a blue door")
    with page.expect_response(put_image):
        detail.get_by_role("button", name="Star", exact=True).click()
    expect(detail.get_by_role("button", name="Star", exact=True)).to_have_attribute("aria-pressed", "true")
    keep(page, "39-star-in-dialog")
    page.keyboard.press("Escape")
    expect(door).to_have_attribute("aria-pressed", "true")
    expect(kite).to_have_attribute("aria-pressed", "false")
    assert starred_titles(api, session) == {"a blue door"}
    keep(page, "37-stars")

    # Not saved: the star is shown at once, then put back, and the tile says why in words.
    held = held_back(page)
    kite.click()
    expect(kite).to_have_attribute("aria-pressed", "true")
    first_held(page, held).abort()
    expect(kite).to_have_attribute("aria-pressed", "false")
    expect(tile(page, "a red kite").get_by_role("alert")).to_have_text(
        f"The star could not be saved. {UNREACHABLE}"
    )
    held.clear()
    tile(page, "a blue door").get_by_role("button", name="Open a blue door").click()
    detail = page.get_by_role("dialog", name="a blue door")
    detail.get_by_role("button", name="Star", exact=True).click()
    expect(door).to_have_attribute("aria-pressed", "false")
    first_held(page, held).abort()
    expect(detail.get_by_role("button", name="Star", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(door).to_have_attribute("aria-pressed", "true")
    expect(detail.get_by_role("alert")).to_have_text(f"The star could not be taken off. {UNREACHABLE}")
    expect(detail.get_by_role("alert")).to_be_in_viewport()  # under the details, scrolled to
    assert starred_titles(api, session) == {"a blue door"}


def test_the_starred_filter_lists_the_starred_images_and_one_unstarred_leaves(page: Page, api: Api) -> None:
    session, made = with_images(page, api, "a first pebble", "a second pebble", "a third pebble")
    for image in (made[0], made[2]):
        api.call("PUT", f"/images/{image['id']}", session.token, json={"favorite": True})
    page.reload()
    gallery = page.get_by_role("region", name="Your images")
    titles = gallery.locator(".tile .title")
    expect(titles).to_have_text(["a third pebble", "a second pebble", "a first pebble"])

    with page.expect_request(lambda request: "favorite=true" in request.url):
        gallery.get_by_role("checkbox", name="Starred").check()
    expect(titles).to_have_text(["a third pebble", "a first pebble"])
    keep(page, "40-starred-filter")

    with page.expect_response(put_image):
        tile(page, "a third pebble").get_by_role("button", name="Star", exact=True).click()
    expect(titles).to_have_text(["a first pebble"])  # no longer starred: it leaves at once
    # The focus goes on to the star of the tile now in its place, not nowhere.
    expect(tile(page, "a first pebble").get_by_role("button", name="Star", exact=True)).to_be_focused()
    assert starred_titles(api, session) == {"a first pebble"}

    with page.expect_response(put_image):
        tile(page, "a first pebble").get_by_role("button", name="Star", exact=True).click()
    expect(titles).to_have_count(0)
    expect(gallery).to_contain_text("No starred images yet")
    expect(gallery.get_by_role("heading", name="Your images")).to_be_focused()
    assert starred_titles(api, session) == set()

    gallery.get_by_role("checkbox", name="Starred").uncheck()
    expect(titles).to_have_text(["a third pebble", "a second pebble", "a first pebble"])


def test_a_search_finds_a_word_of_a_prompt_in_any_case_and_a_new_title_and_says_when_nothing_matches(
    page: Page, api: Api
) -> None:
    page.clock.install()  # the page's timers, paused below: when a search is sent is the test's to see
    email = new_email()
    session = api.sign_in(email)
    made = api.call(
        "POST", "/images/generate", session.token, json={"prompt": "A lighthouse on a cliff at dusk"}
    )
    wait_for_image(api, session, made.json()["image"]["id"])
    titled_upload(api, session, "a quiet street", images.png(200, 150))
    titled_upload(api, session, "a garden photo", images.png(150, 200))
    sign_in(page, api, email)
    gallery = page.get_by_role("region", name="Your images")
    titles = gallery.locator(".tile .title")
    expect(titles).to_have_count(3)
    searched: list[str] = []  # the q of each listing asked for ("" for none)
    page.on(
        "request",
        lambda request: (
            searched.append(parse_qs(urlparse(request.url).query).get("q", [""])[0])
            if re.search(r"/api/v1/images\?", request.url)
            else None
        ),
    )
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)
    box = gallery.get_by_role("searchbox", name="Search")

    box.press_sequentially("LIGHTHOUSE")  # as the person types: sent once typing pauses
    page.clock.run_for(299)
    assert searched == []
    page.clock.run_for(1)
    expect(titles).to_have_text(["A lighthouse on a cliff at dusk"])
    assert searched == ["LIGHTHOUSE"]  # one search for the word, not one a letter

    box.fill("")  # cleared: everything again
    page.clock.run_for(300)
    expect(titles).to_have_count(3)
    assert searched[-1] == ""

    tile(page, "a quiet street").get_by_role("button", name="Open a quiet street").click()
    detail = page.get_by_role("dialog")  # named after the image: renamed below
    expect(detail).to_have_accessible_name("a quiet street")
    detail.get_by_label("Title", exact=True).fill("Harbour at noon")
    detail.get_by_role("button", name="Save").click()
    expect(detail.get_by_role("status")).to_have_text("Saved")
    page.keyboard.press("Escape")
    expect(detail).to_have_count(0)  # closed: the gallery is no longer inert under the modal dialog

    box.fill("harbour")
    box.press("Enter")  # at once, with no pause
    expect(titles).to_have_text(["Harbour at noon"])
    assert searched[-1] == "harbour"
    keep(page, "41-search")

    # Renamed so that the search no longer finds it: it leaves the list, as the API would answer.
    tile(page, "Harbour at noon").get_by_role("button", name="Open Harbour at noon").click()
    detail.get_by_label("Title", exact=True).fill("Harbor at noon")
    detail.get_by_role("button", name="Save").click()
    expect(titles).to_have_count(0)
    expect(gallery).to_contain_text("Nothing matches “harbour”.")
    page.keyboard.press("Escape")
    expect(gallery.get_by_role("heading", name="Your images")).to_be_focused()  # its tile is gone

    box.fill("zebra")
    box.press("Enter")
    expect(gallery).to_contain_text("Nothing matches “zebra”.")
    expect(titles).to_have_count(0)
    assert [code for code in CODES if code in shown_text(page)] == []
    keep(page, "42-nothing-matches")
    gallery.get_by_role("button", name="Clear the search").click()
    expect(titles).to_have_count(3)
    expect(box).to_have_value("")
    expect(box).to_be_focused()
