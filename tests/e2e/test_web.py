"""The front end (web/, served at /app/ by the local stack) in a real browser, used as a person uses
it: controls found by role and name, a screenshot of each screen kept in test-artifacts/."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Route, expect

from stacktools.template import ROOT
from tests import images
from tests.e2e.conftest import ADMIN_EMAIL, Api, Session, upload, wait_for_image

ARTIFACTS = ROOT / "test-artifacts" / "web"
FINISHED = 30_000  # ms: the Gemini stand-in draws an image in about a second


@pytest.fixture(autouse=True)
def no_script_errors(page: Page) -> Iterator[list[str]]:
    """Every test ends with no uncaught error, unhandled rejection or console error on the page (the
    browser's own line for a request answered 4xx is no error of the page's: the API said no)."""
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    page.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}"))
    page.on("console", console)
    yield errors
    assert not errors, errors


def keep(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def new_email() -> str:
    return f"web-{uuid.uuid4().hex[:8]}@example.com"


def scroll_to_the_end(page: Page) -> None:
    """Scroll down as a person does until the gallery says it has shown everything."""
    end = page.get_by_text("That is everything.")
    for _ in range(30):
        if end.is_visible():
            return
        page.mouse.wheel(0, 3000)
        page.wait_for_timeout(200)
    expect(end).to_be_visible()


def sign_in(page: Page, api: Api, email: str) -> None:
    page.goto(api.stack.api_url + "/app/")
    expect(page.get_by_label("Email")).to_have_value("")  # nobody is suggested
    page.get_by_label("Email").fill(email)
    page.get_by_label("First name").fill("Ada")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def tile(page: Page, name: str) -> Locator:
    """The gallery's tile of the image named ``name`` (chips of picked references bear names too)."""
    return page.get_by_role("region", name="Your images").get_by_role("listitem", name=name)


def titled_upload(
    api: Api, session: Session, title: str, data: bytes, content_type: str = "image/png"
) -> dict[str, Any]:
    """A completed image uploaded through the API, titled so that its tile can be found."""
    image = upload(api, session, data, content_type)["image"]
    api.call("PUT", f"/images/{image['id']}", session.token, json={"title": title})
    return wait_for_image(api, session, image["id"])


def with_images(page: Page, api: Api, *titles: str) -> tuple[Session, list[dict[str, Any]]]:
    """A new user with completed images of these titles (oldest first), signed in on the page."""
    email = new_email()
    session = api.sign_in(email)
    made = [titled_upload(api, session, title, images.png(200, 150)) for title in titles]
    sign_in(page, api, email)
    return session, made


def test_a_new_user_signs_in_generates_and_watches_the_tile_finish_by_itself(page: Page, api: Api) -> None:
    page.goto(api.stack.api_url + "/app/")
    keep(page, "1-sign-in")
    sign_in(page, api, new_email())
    expect(page.get_by_label("Coins")).to_have_text("1,000 coins")

    page.get_by_label("Prompt").fill("a lighthouse at dusk")
    page.get_by_label("Size").select_option("2K")
    generate = page.get_by_role("button", name="Generate · 150 coins")
    expect(page.get_by_text("balance after: 850")).to_be_visible()
    generate.click()

    tile = page.get_by_role("listitem", name="a lighthouse at dusk")
    expect(tile).to_have_attribute("data-status", "PENDING")
    expect(page.get_by_label("Coins")).to_have_text("850 coins")
    keep(page, "2-generating")
    expect(tile).to_have_attribute("data-status", "COMPLETED", timeout=FINISHED)  # no reload
    expect(tile.get_by_role("img", name="a lighthouse at dusk")).to_be_visible()
    keep(page, "3-generated")


def test_a_long_gallery_scrolls_to_its_end_with_every_image_once(page: Page, api: Api) -> None:
    email = new_email()
    owner = api.sign_in(email)
    admin = api.sign_in(ADMIN_EMAIL)
    api.call("POST", f"/users/{owner.user['id']}/coins", admin.token, json={"amount": 2000, "reason": "room"})

    def uploaded(index: int) -> str:
        image_id: str = upload(api, owner, images.png(40 + index, 30), "image/png")["image"]["id"]
        return image_id

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(uploaded, range(30)))  # more than a page
    for image_id in ids:
        wait_for_image(api, owner, image_id)

    sign_in(page, api, email)
    tiles = page.get_by_role("listitem")
    expect(tiles).to_have_count(24)  # a page; the rest as the person scrolls
    scroll_to_the_end(page)
    expect(tiles).to_have_count(30)
    shown = tiles.evaluate_all("tiles => tiles.map(tile => tile.dataset.id)")
    assert sorted(shown) == sorted(ids)  # each once, none missing
    keep(page, "4-long-gallery")

    page.get_by_label("Type").select_option("GENERATED")  # none of them
    expect(tiles).to_have_count(0)
    expect(page.get_by_text("Nothing here yet.")).to_be_visible()
    page.get_by_label("Type").select_option("UPLOADED")
    scroll_to_the_end(page)
    expect(tiles).to_have_count(30)


def test_an_error_is_shown_by_its_button_in_the_apis_words_and_cleared_by_the_next_success(
    page: Page, api: Api
) -> None:
    email = new_email()
    sign_in(page, api, email)
    session: Session = api.sign_in(email)
    admin = api.sign_in(ADMIN_EMAIL)
    wallet = f"/users/{session.user['id']}/coins"
    api.call("POST", wallet, admin.token, json={"amount": -950, "reason": "leave 50"})

    form = page.get_by_role("form", name="Generate an image")
    page.get_by_label("Prompt").fill("a harbour")
    page.get_by_role("button", name="Generate · 100 coins").click()
    alert = form.get_by_role("alert")
    expect(alert).to_contain_text("This costs 100 coins and the balance is 50.")
    expect(alert.get_by_role("link", name="Buy coins")).to_be_visible()  # the packs (test_web_payments)
    expect(page.get_by_label("Coins")).to_have_text("50 coins")  # as the refusal said
    expect(form.get_by_text("not enough coins: you have 50")).to_be_visible()
    keep(page, "5-out-of-coins")

    api.call("POST", wallet, admin.token, json={"amount": 1000, "reason": "top up"})
    page.get_by_role("button", name="Generate · 100 coins").click()
    expect(alert).to_have_count(0)
    expect(page.get_by_role("listitem", name="a harbour")).to_be_visible()


def test_a_revoked_session_returns_to_sign_in_saying_why(page: Page, api: Api) -> None:
    sign_in(page, api, new_email())
    expect(page.get_by_text("Nothing here yet.")).to_be_visible()  # no call left on its way
    token = page.evaluate("JSON.parse(localStorage.getItem('imagegen.session')).token")
    assert api.call("POST", "/auth/logout", token).status_code == 204  # signed out elsewhere

    page.get_by_label("Prompt").fill("a harbour")
    page.get_by_role("button", name="Generate · 100 coins").click()

    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("signed out")
    keep(page, "6-signed-out")


def drop_files(page: Page, files: list[tuple[str, str, bytes]]) -> None:
    """Drop files on the upload area as a person drags them from their desktop."""
    described = [
        {"name": name, "type": kind, "data": base64.b64encode(data).decode()} for name, kind, data in files
    ]
    transfer = page.evaluate_handle(
        """files => {
            const transfer = new DataTransfer();
            for (const file of files) {
                const bytes = Uint8Array.from(atob(file.data), c => c.charCodeAt(0));
                transfer.items.add(new File([bytes], file.name, { type: file.type }));
            }
            return transfer;
        }""",
        described,
    )
    page.get_by_text("Drop images here").dispatch_event("drop", {"dataTransfer": transfer})


def test_two_photos_dropped_upload_with_their_progress_and_verdicts(page: Page, api: Api) -> None:
    sign_in(page, api, new_email())
    drop_files(
        page,
        [
            ("beach.jpg", "image/jpeg", images.jpeg(1600, 1200)),
            ("garden.png", "image/png", images.png(640, 480)),
        ],
    )

    for name in ("beach.jpg", "garden.png"):
        entry = page.get_by_role("region", name="Upload images").get_by_role("listitem", name=name)
        expect(entry.get_by_role("progressbar", name=f"Upload of {name}")).to_have_attribute("value", "1")
        expect(entry).to_contain_text("Done", timeout=FINISHED)
        expect(page.get_by_role("list").last.get_by_role("listitem", name=name)).to_have_attribute(
            "data-status", "COMPLETED"
        )
    expect(page.get_by_label("Coins")).to_have_text("900 coins")
    keep(page, "7-uploaded")


def test_a_file_the_service_would_refuse_is_refused_before_anything_is_charged(page: Page, api: Api) -> None:
    sign_in(page, api, new_email())
    page.get_by_label("Images to upload").set_input_files(
        [
            {"name": "notes.png", "mimeType": "text/plain", "buffer": b"not an image"},
            {"name": "fake.png", "mimeType": "image/png", "buffer": b"hello, not an image"},  # named as one
        ]
    )

    for name in ("notes.png", "fake.png"):
        entry = page.get_by_role("listitem", name=name)
        expect(entry).to_contain_text("Not an image the service takes: send JPEG, PNG, WEBP, or GIF.")
    expect(page.get_by_label("Coins")).to_have_text("1,000 coins")
    expect(page.get_by_role("region", name="Your images").get_by_role("listitem")).to_have_count(0)


def test_a_png_named_jpg_is_sent_as_the_png_it_is(page: Page, api: Api) -> None:
    sign_in(page, api, new_email())
    page.get_by_label("Images to upload").set_input_files(
        [{"name": "holiday.jpg", "mimeType": "image/jpeg", "buffer": images.png(300, 200)}]
    )

    entry = page.get_by_role("region", name="Upload images").get_by_role("listitem", name="holiday.jpg")
    expect(entry).to_contain_text("Done", timeout=FINISHED)
    tile(page, "holiday.jpg").get_by_role("button", name="Open holiday.jpg").click()
    expect(page.get_by_role("dialog", name="holiday.jpg")).to_contain_text("300 \u00d7 200 PNG")


def test_an_image_opens_in_full_with_its_details_and_is_renamed_downloaded_run_again_and_deleted(
    page: Page, api: Api
) -> None:
    email = new_email()
    sign_in(page, api, email)
    session = api.sign_in(email)
    made = api.call(
        "POST", "/images/generate", session.token, json={"prompt": "a red kite", "imageSize": "2K"}
    )
    image = wait_for_image(api, session, made.json()["image"]["id"])
    page.reload()

    page.get_by_role("button", name="Open a red kite").click()
    detail = page.get_by_role("dialog", name="a red kite")
    expect(detail.get_by_role("img", name="a red kite")).to_be_visible()
    size = image["metadata"]
    expect(detail).to_contain_text(f"{size['width']} \u00d7 {size['height']} PNG")
    expect(detail).to_contain_text("150 coins")
    expect(detail).to_contain_text("a red kite")
    keep(page, "8-detail")

    detail.get_by_label("Title", exact=True).fill("Kite over the bay")
    detail.get_by_role("button", name="Save").click()
    detail = page.get_by_role("dialog", name="Kite over the bay")  # it bears the image's new name
    expect(detail.get_by_role("status")).to_have_text("Saved")
    expect(page.get_by_role("listitem", name="Kite over the bay")).to_be_visible()  # the tile follows
    assert (
        api.call("GET", f"/images/{image['id']}", session.token).json()["image"]["title"]
        == "Kite over the bay"
    )

    with page.expect_download() as download:
        detail.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == "Kite over the bay.png"
    assert Path(download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    detail.get_by_role("button", name="Run again · 150 coins").click()
    expect(detail).to_be_hidden()
    expect(page.get_by_role("listitem", name="a red kite")).to_have_attribute(
        "data-status", "COMPLETED", timeout=FINISHED
    )
    expect(page.get_by_label("Coins")).to_have_text("700 coins")

    page.get_by_role("button", name="Open Kite over the bay").click()
    detail = page.get_by_role("dialog", name="Kite over the bay")
    detail.get_by_role("button", name="Delete", exact=True).click()
    expect(detail.get_by_role("group", name="Confirm the deletion")).to_contain_text(
        "The 150 coins it cost are not refunded."
    )
    keep(page, "9-confirm-delete")
    detail.get_by_role("button", name="Delete for good").click()
    expect(page.get_by_role("listitem", name="Kite over the bay")).to_have_count(0)
    assert api.call("GET", f"/images/{image['id']}", session.token).status_code == 404
    expect(page.get_by_label("Coins")).to_have_text("700 coins")


def test_an_image_is_edited_twice_and_its_versions_compared(page: Page, api: Api) -> None:
    email = new_email()
    sign_in(page, api, email)
    session = api.sign_in(email)
    titled_upload(api, session, "harbour photo", images.jpeg(800, 600), "image/jpeg")
    page.reload()

    def edit(name: str, change: str, versions: int) -> None:
        tile = page.get_by_role("listitem", name=name)
        expect(tile).to_have_attribute("data-status", "COMPLETED", timeout=FINISHED)
        tile.get_by_role("button", name=f"Open {name}").click()
        detail = page.get_by_role("dialog")  # named after the image shown: the edit's, once it is followed
        detail.get_by_label("Describe the change").fill(change)
        detail.get_by_role("button", name="Edit · 100 coins").click()
        expect(detail).to_have_accessible_name(change)
        expect(detail.get_by_role("region", name="Versions").get_by_role("listitem")).to_have_count(versions)
        detail.get_by_role("button", name="Close").click()

    edit("harbour photo", "in autumn", versions=2)
    edit("in autumn", "at night", versions=3)

    tile = page.get_by_role("listitem", name="at night")
    expect(tile).to_have_attribute("data-status", "COMPLETED", timeout=FINISHED)
    tile.get_by_role("button", name="Open at night").click()
    detail = page.get_by_role("dialog", name="at night")
    versions = detail.get_by_role("region", name="Versions")
    expect(versions.get_by_role("listitem")).to_have_count(3)
    expect(versions.get_by_role("button", name="Version 3, this one")).to_be_disabled()
    versions.get_by_role("button", name="Compare with version 1").click()

    expect(detail.get_by_role("img", name="Before: version 1")).to_be_visible()
    expect(detail.get_by_role("img", name="After: version 3")).to_be_visible()
    detail.get_by_role("slider", name="Before and after").fill("20")
    keep(page, "10-compare")
    expect(page.get_by_label("Coins")).to_have_text(f"{1000 - 50 - 200} coins")


def test_an_image_made_while_its_dialog_closes_still_reaches_the_gallery(page: Page, api: Api) -> None:
    email = new_email()
    session = api.sign_in(email)
    made = api.call("POST", "/images/generate", session.token, json={"prompt": "a quiet pond"})
    wait_for_image(api, session, made.json()["image"]["id"])
    sign_in(page, api, email)
    page.route("**/api/v1/images/generate", lambda route: (page.wait_for_timeout(500), route.continue_()))

    page.get_by_role("button", name="Open a quiet pond").click()
    detail = page.get_by_role("dialog", name="a quiet pond")
    detail.get_by_role("button", name="Run again · 100 coins").click()
    page.keyboard.press("Escape")  # closed before the API answered

    expect(page.get_by_role("listitem", name="a quiet pond")).to_have_count(2)


def test_the_coin_history_names_the_image_each_entry_concerns(page: Page, api: Api) -> None:
    with_images(page, api, "a postcard")

    page.get_by_role("navigation", name="Views").get_by_role("button", name="Coins", exact=True).click()
    history = page.get_by_role("region", name="Coin history")
    rows = history.get_by_role("row")
    expect(rows).to_have_count(3)  # the header, the upload, the welcome
    expect(rows.nth(1)).to_contain_text("Upload")
    expect(rows.nth(1)).to_contain_text("-50")
    expect(rows.nth(2)).to_contain_text("Welcome coins")
    expect(rows.nth(1).locator("img")).to_be_visible()  # its thumbnail, beside its name
    keep(page, "11-coins")
    rows.nth(1).get_by_role("button", name="Open a postcard").click()
    detail = page.get_by_role("dialog", name="a postcard")
    detail.get_by_role("button", name="Delete", exact=True).click()
    detail.get_by_role("button", name="Delete for good").click()
    expect(detail).to_be_hidden()
    expect(rows.nth(1).get_by_role("cell").nth(2)).to_have_text(
        "deleted"
    )  # the entry stays, its image is gone


def test_an_admin_grants_coins_with_a_reason_after_confirming_and_keeps_their_own_role(
    page: Page, api: Api
) -> None:
    other = api.sign_in(new_email())
    sign_in(page, api, ADMIN_EMAIL)
    for _ in range(21):  # newer than the admin: the admin is on a later page of the listing
        api.sign_in(new_email())
    page.get_by_role("navigation", name="Views").get_by_role("button", name="Admin").click()
    users = page.get_by_role("region", name="Users")
    users.get_by_label("Search by email").fill("NOBODY-")
    expect(users.get_by_role("status")).to_have_text("No user's email starts with \u201cNOBODY-\u201d.")
    users.get_by_label("Search by email").fill(other.user["email"][:12].upper())  # its start, any case
    expect(users.get_by_role("row", name=other.user["email"])).to_be_visible()
    expect(users.locator("tbody").get_by_role("row")).to_have_count(1)
    users.get_by_role("button", name=f"Manage {other.user['email']}").click()

    manage = users.get_by_role("group", name=f"Manage {other.user['email']}")
    manage.get_by_label("Coins to grant (negative: to take)").fill("250")
    manage.get_by_label("Reason").fill("welcome back")
    manage.get_by_role("button", name="Grant coins").click()
    confirm = manage.get_by_role("group", name="Confirm the coins")
    expect(confirm).to_contain_text(f"Grant 250 coins to {other.user['email']} (\u201cwelcome back\u201d)")
    keep(page, "12-admin-grant")
    confirm.get_by_role("button", name="Yes, grant them").click()
    expect(manage.get_by_role("status")).to_contain_text("now has 1,250 coins")
    assert api.call("GET", "/users/me", other.token).json()["user"]["coins"] == 1250

    manage.get_by_label("Coins to grant (negative: to take)").fill("-5000")  # more than they have
    manage.get_by_label("Reason").fill("too much")
    manage.get_by_role("button", name="Take coins").click()
    confirm.get_by_role("button", name="Yes, take them").click()
    expect(manage.get_by_role("alert")).to_contain_text("below zero")  # by the actions, in the API's words
    expect(confirm).to_have_count(0)  # what is typed next is confirmed again
    expect(manage.get_by_role("status")).to_have_count(0)  # the earlier success is not left beside it
    assert api.call("GET", "/users/me", other.token).json()["user"]["coins"] == 1250

    users.get_by_label("Search by email").fill(ADMIN_EMAIL)
    users.get_by_role("button", name=f"Manage {ADMIN_EMAIL}").click()
    mine = users.get_by_role("group", name=f"Manage {ADMIN_EMAIL}")
    expect(mine.get_by_role("button", name="Remove admin")).to_have_count(0)
    expect(mine.get_by_role("button", name="Make admin")).to_have_count(0)


def test_references_picked_in_the_gallery_are_sent_in_the_order_picked(page: Page, api: Api) -> None:
    session, [cat, sofa] = with_images(page, api, "a cat", "a sofa")
    form = page.get_by_role("form", name="Generate an image")
    picks = form.get_by_role("group", name="Reference images")

    tile(page, "a sofa").get_by_role("button", name="Use as reference").click()
    tile(page, "a cat").get_by_role("button", name="Use as reference").click()
    expect(tile(page, "a cat").get_by_role("button", name="Use as reference")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(picks).to_contain_text("2 of at most 13 reference images")
    picks.get_by_role("button", name="Remove reference a sofa").click()
    tile(page, "a sofa").get_by_role("button", name="Use as reference").click()
    expect(picks.get_by_role("listitem")).to_have_count(2)
    expect(picks.get_by_role("listitem")).to_contain_text(["a cat", "a sofa"])  # in the order picked

    form.get_by_label("Prompt").fill("the cat from the first image on the sofa from the second")
    form.get_by_role("button", name="Generate · 100 coins").click()
    newest = tile(page, "the cat from the first image on the sofa from the second")
    expect(newest).to_have_attribute("data-status", "COMPLETED", timeout=FINISHED)
    expect(newest).to_contain_text("2 references")
    made = api.call("GET", f"/images/{newest.get_attribute('data-id')}", session.token).json()["image"]
    assert made["referenceImageIds"] == [cat["id"], sofa["id"]]
    expect(picks).to_contain_text("No reference images")  # used


def test_an_edit_takes_the_picked_references_but_not_its_own_source(page: Page, api: Api) -> None:
    session, [room, lamp] = with_images(page, api, "a room", "a lamp")

    tile(page, "a lamp").get_by_role("button", name="Use as reference").click()
    tile(page, "a room").get_by_role("button", name="Use as reference").click()
    page.get_by_role("button", name="Open a room").click()
    detail = page.get_by_role("dialog", name="a room")
    picks = detail.get_by_role("form", name="Edit this image").get_by_role("group", name="Reference images")
    expect(picks).to_contain_text("1 of at most 13 reference images")
    expect(picks).to_contain_text("The image being edited is given to the model already.")
    expect(picks.get_by_role("listitem")).to_have_count(1)
    expect(picks.get_by_role("listitem")).to_contain_text(["a lamp"])

    detail.get_by_label("Describe the change").fill("put the lamp from the second image in the room")
    detail.get_by_role("button", name="Edit · 100 coins").click()
    followed = page.get_by_role("dialog", name="put the lamp from the second image in the room")
    expect(followed.get_by_role("region", name="Versions").get_by_role("listitem")).to_have_count(2)

    (edit,) = [
        image
        for image in api.call("GET", "/images", session.token).json()["images"]
        if image["parentImageId"] == room["id"]
    ]
    assert edit["referenceImageIds"] == [lamp["id"]]


def test_a_refused_reference_is_named_by_the_form_and_nothing_is_charged(page: Page, api: Api) -> None:
    session, _ = with_images(page, api, "soon deleted")
    tile(page, "soon deleted").get_by_role("button", name="Use as reference").click()
    gone = tile(page, "soon deleted").get_attribute("data-id")
    assert api.call("DELETE", f"/images/{gone}", session.token).status_code == 204  # elsewhere

    form = page.get_by_role("form", name="Generate an image")
    form.get_by_label("Prompt").fill("a garden")
    form.get_by_role("button", name="Generate · 100 coins").click()

    expect(form.get_by_role("alert")).to_have_text(
        "The request is not valid. A reference must be one of your own completed images."
    )
    expect(form.get_by_role("group", name="Reference images").locator("li.refused")).to_have_count(1)
    assert api.call("GET", "/users/me", session.token).json()["user"]["coins"] == 950


def test_a_refused_prompt_ends_failed_with_its_reason_and_the_coins_back(page: Page, api: Api) -> None:
    sign_in(page, api, new_email())
    form = page.get_by_role("form", name="Generate an image")
    form.get_by_label("Prompt").fill("something forbidden")
    form.get_by_role("button", name="Generate · 100 coins").click()

    failed = tile(page, "something forbidden")
    expect(failed).to_have_attribute("data-status", "FAILED", timeout=FINISHED)
    expect(failed.locator(".error")).to_have_text(
        "The model would not draw this prompt; your 100 coins are back."
    )
    expect(page.get_by_label("Coins")).to_have_text("1,000 coins")  # refunded, and the page knows
    page.get_by_role("navigation", name="Views").get_by_role("button", name="Coins", exact=True).click()
    expect(page.get_by_role("region", name="Coin history").get_by_role("row").nth(1)).to_contain_text(
        "Coins back: the image failed"
    )


def test_a_damaged_image_fails_after_upload_and_is_refunded(page: Page, api: Api) -> None:
    sign_in(page, api, new_email())
    page.get_by_label("Images to upload").set_input_files(  # a JPEG by its first bytes, cut short
        [{"name": "cut.jpg", "mimeType": "image/jpeg", "buffer": images.jpeg()[:400]}]
    )

    entry = page.get_by_role("region", name="Upload images").get_by_role("listitem", name="cut.jpg")
    expect(entry.locator(".verdict")).to_have_text(
        "The image is damaged or incomplete; your 50 coins are back.", timeout=FINISHED
    )
    expect(entry.locator(".verdict")).to_have_class("verdict error")  # shown as the failure it is
    expect(tile(page, "cut.jpg")).to_have_attribute("data-status", "FAILED")
    expect(page.get_by_label("Coins")).to_have_text("1,000 coins")  # the upload's 50 back


def test_a_file_the_bucket_refuses_is_cancelled_with_its_coins_back_at_once(page: Page, api: Api) -> None:
    email = new_email()
    sign_in(page, api, email)

    def tampered(route: Route) -> None:
        """The form as the page sent it, another key in it: S3 refuses it against the signed policy."""
        if route.request.method != "POST":
            route.continue_()
            return
        body = route.request.post_data_buffer
        assert body is not None
        route.continue_(post_data=body.replace(b"incoming/", b"incoming/elsewhere/", 1))

    page.route(f"{api.stack.aws.url}/**", tampered)
    page.get_by_label("Images to upload").set_input_files(
        [{"name": "refused.png", "mimeType": "image/png", "buffer": images.png()}]
    )

    entry = page.get_by_role("region", name="Upload images").get_by_role("listitem", name="refused.png")
    # In words for people: S3's own ("Policy Condition failed") are the bucket's.
    expect(entry.locator(".verdict")).to_have_text("The file could not be sent; your 50 coins are back.")
    expect(page.get_by_label("Coins")).to_have_text("1,000 coins")  # at once, not after the sweeper
    expect(tile(page, "refused.png")).to_have_count(0)
    assert api.call("GET", "/images", api.sign_in(email).token).json()["images"] == []


def test_an_upload_whose_file_never_came_is_deleted_with_its_coins_back(page: Page, api: Api) -> None:
    email = new_email()
    session = api.sign_in(email)
    body = {"filename": "lost.png", "contentType": "image/png", "size": 1000}
    assert api.call("POST", "/images/upload", session.token, json=body).status_code == 201  # never posted
    sign_in(page, api, email)
    expect(page.get_by_label("Coins")).to_have_text("950 coins")

    page.get_by_role("button", name="Open lost.png").click()
    detail = page.get_by_role("dialog", name="lost.png")
    detail.get_by_role("button", name="Delete", exact=True).click()
    expect(detail.get_by_role("group", name="Confirm the deletion")).to_contain_text(
        "Its 50 coins come back."
    )
    detail.get_by_role("button", name="Delete for good").click()

    expect(tile(page, "lost.png")).to_have_count(0)
    expect(page.get_by_label("Coins")).to_have_text("1,000 coins")


def test_an_admin_makes_another_user_admin(page: Page, api: Api) -> None:
    other = api.sign_in(new_email())
    sign_in(page, api, ADMIN_EMAIL)
    page.get_by_role("navigation", name="Views").get_by_role("button", name="Admin").click()
    users = page.get_by_role("region", name="Users")
    users.get_by_label("Search by email").fill(other.user["email"])
    users.get_by_role("button", name=f"Manage {other.user['email']}").click()

    users.get_by_role("button", name="Make admin").click()
    expect(users.get_by_role("row", name=other.user["email"])).to_contain_text("Admin")
    assert "ADMIN" in api.call("GET", "/users/me", other.token).json()["user"]["roles"]
    users.get_by_role("button", name="Remove admin").click()
    expect(users.get_by_role("row", name=other.user["email"])).not_to_contain_text("Admin")
    expect(users.get_by_role("row", name=other.user["email"])).to_contain_text("User")


# What the phone test reads, in each language (the Spanish is the longer, and must fit too).
PHONE_WORDS = {
    "en": {"email": "Email", "sign in": "Sign in", "sign out": "Sign out", "views": "Views",
           "gallery": "Gallery", "coins": "Coins", "buy": "Buy coins", "admin": "Admin",
           "images": "Your images", "history": "Coin history", "open": "Open {}"},
    "es": {"email": "Correo electrónico", "sign in": "Iniciar sesión", "sign out": "Cerrar sesión",
           "views": "Secciones", "gallery": "Galería", "coins": "Monedas", "buy": "Comprar", "admin": "Admin",
           "images": "Tus imágenes", "history": "Historial de monedas", "open": "Abrir {}"},
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_view_fits_a_phone_without_sideways_scrolling(
    browser: Browser, api: Api, language: str
) -> None:
    words = PHONE_WORDS[language]
    long_email = f"a-rather-long-name.with-dots-{uuid.uuid4().hex[:6]}@mail.subdomain.example.com"
    api.sign_in(long_email)
    session = api.sign_in(ADMIN_EMAIL)
    title = f"a phone-sized view ({language})"  # the admin's, one a run of the test
    titled_upload(api, session, title, images.png(320, 240, color=(30, 160, 90)))
    # The admin (every view is theirs) reads the language for this test, then English again.
    assert api.call("PUT", "/users/me", session.token, json={"language": language}).status_code == 200
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale=language)
    page = context.new_page()
    try:
        page.goto(api.stack.api_url + "/app/")
        page.get_by_label(words["email"]).fill(ADMIN_EMAIL)
        page.get_by_role("button", name=words["sign in"]).click()
        expect(page.get_by_role("button", name=words["sign out"])).to_be_visible()
        views = page.get_by_role("navigation", name=words["views"])
        shown = page.get_by_role("region", name=words["images"]).get_by_role("listitem", name=title)
        filled = {  # each view with its content in, before it is measured
            "gallery": shown.get_by_role("img"),
            "coins": page.get_by_role("region", name=words["history"]).get_by_role(
                "button", name=words["open"].format(title)
            ),
            "buy": page.get_by_role("listitem", name="Starter"),
            "admin": page.get_by_role("row", name=long_email),
        }

        for view, content in filled.items():
            views.get_by_role("button", name=words[view], exact=True).click()
            expect(content).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), view
            keep(page, f"13-phone-{language}-{view}")
        views.get_by_role("button", name=words["gallery"]).click()
        shown.get_by_role("button", name=words["open"].format(title)).click()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "detail"
        keep(page, f"13-phone-{language}-detail")
    finally:
        context.close()
        assert api.call("PUT", "/users/me", session.token, json={"language": "en"}).status_code == 200


def tab_to(page: Page, target: Locator, most: int = 80) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user moves through the page; the
    focused control must show that it is (a visible outline)."""
    for _ in range(most):
        if target.evaluate("element => element === document.activeElement"):
            outline = target.evaluate("element => getComputedStyle(element).outlineStyle")
            assert outline != "none", "the focused control does not show its focus"
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def test_a_keyboard_alone_signs_in_generates_opens_renames_and_signs_out(page: Page, api: Api) -> None:
    page.goto(api.stack.api_url + "/app/")
    tab_to(page, page.get_by_label("Email"))
    page.keyboard.type(new_email())
    tab_to(page, page.get_by_label("First name"))
    page.keyboard.type("Grace")
    page.keyboard.press("Enter")  # submits the form
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    tab_to(page, page.get_by_label("Prompt"))
    page.keyboard.type("a castle drawn by keyboard")
    tab_to(page, page.get_by_label("Size"))
    page.keyboard.press("ArrowDown")  # 1K to 2K
    tab_to(page, page.get_by_role("button", name="Generate · 150 coins"))
    page.keyboard.press("Enter")
    tile_ = tile(page, "a castle drawn by keyboard")
    expect(tile_).to_have_attribute("data-status", "COMPLETED", timeout=FINISHED)

    opener = tile_.get_by_role("button", name="Open a castle drawn by keyboard")
    tab_to(page, opener)
    page.keyboard.press("Enter")
    detail = page.get_by_role("dialog", name="a castle drawn by keyboard")
    expect(detail).to_be_visible()
    assert detail.evaluate("dialog => dialog.contains(document.activeElement)"), "the focus stays behind"
    tab_to(page, detail.get_by_label("Title", exact=True))  # Tab stays in the open dialog
    page.keyboard.type("Keyboard castle")
    page.keyboard.press("Enter")
    detail = page.get_by_role("dialog", name="Keyboard castle")
    expect(detail.get_by_role("status")).to_have_text("Saved")
    keep(page, "14-keyboard-detail")
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()
    expect(tile(page, "Keyboard castle").get_by_role("button", name="Open Keyboard castle")).to_be_focused()

    picker = tile(page, "Keyboard castle").get_by_role("button", name="Use as reference")
    tab_to(page, picker)
    page.keyboard.press("Space")
    expect(picker).to_have_attribute("aria-pressed", "true")

    coins = page.get_by_role("navigation", name="Views").get_by_role("button", name="Coins", exact=True)
    page.keyboard.press("Shift+Tab")  # back up the page to the views
    for _ in range(80):
        if coins.evaluate("element => element === document.activeElement"):
            break
        page.keyboard.press("Shift+Tab")
    expect(coins).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("region", name="Coin history")).to_contain_text("Keyboard castle")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # the gallery again

    tab_to(page, tile(page, "Keyboard castle").get_by_role("button", name="Open Keyboard castle"))
    page.keyboard.press("Enter")
    detail = page.get_by_role("dialog", name="Keyboard castle")
    tab_to(page, detail.get_by_role("button", name="Delete", exact=True))
    page.keyboard.press("Enter")
    tab_to(page, detail.get_by_role("button", name="Delete for good"))
    page.keyboard.press("Enter")
    expect(tile(page, "Keyboard castle")).to_have_count(0)
    expect(page.get_by_role("heading", name="Your images")).to_be_focused()  # not lost with the tile

    tab_to(page, page.get_by_role("button", name="Sign out"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Email")).to_be_visible()


GOOGLE_SCRIPT = "https://accounts.google.com/gsi/client"


def as_deployed_with_google(page: Page, api: Api, client_id: str | None = None) -> None:
    """The page as deployed with a Google client id (the stack's, unless another is given): its config
    names no local issuer, and Google's script is answered by the stack's stand-in for it."""
    config = {**api.stack.web_config(), "localIssuer": False}
    if client_id:
        config["googleClientId"] = client_id
    page.route("**/app/config.json", lambda route: route.fulfill(json=config))
    stand_in = api.stack.api_url + "/_dev/google/gsi/client"
    page.route(GOOGLE_SCRIPT, lambda route: route.fulfill(response=route.fetch(url=stand_in)))


def sign_in_with_google(page: Page, email: str) -> None:
    page.get_by_role("button", name="Sign in with Google").click()
    chooser = page.get_by_role("dialog", name="Sign in with Google")
    chooser.get_by_label("Email or phone").fill(email)
    chooser.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_with_a_google_client_id_the_page_signs_in_with_googles_button_and_again_after_signing_out(
    page: Page, api: Api
) -> None:
    as_deployed_with_google(page, api)
    page.goto(api.stack.api_url + "/app/")
    expect(page.get_by_role("button", name="Sign in with Google")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_count(0)  # no local form beside Google's button
    keep(page, "15-google-sign-in")

    email = new_email()
    sign_in_with_google(page, email)
    expect(page.get_by_label("Coins")).to_have_text("1,000 coins")
    me = page.evaluate("JSON.parse(localStorage.getItem('imagegen.session')).token")
    assert api.call("GET", "/auth/me", me).json()["user"]["email"] == email

    page.get_by_role("button", name="Sign out").click()
    sign_in_with_google(page, email)  # the button is back, from the script loaded once
    assert page.locator(f'script[src="{GOOGLE_SCRIPT}"]').count() == 1


def test_a_google_sign_in_that_cannot_load_says_so(page: Page, api: Api) -> None:
    as_deployed_with_google(page, api)
    page.route(GOOGLE_SCRIPT, lambda route: route.abort("blockedbyclient"))  # a blocker, or no network
    page.goto(api.stack.api_url + "/app/")
    expect(page.get_by_role("alert")).to_contain_text("Google's sign-in could not be loaded")


@pytest.mark.parametrize(
    ("client_id", "site", "refusal"),
    [
        ("someone-else.apps.googleusercontent.com", None, "The given client ID is not found."),
        (None, "http://elsewhere.example", "The given origin is not allowed for the given client ID."),
    ],
)
def test_googles_stand_in_refuses_a_client_id_or_origin_google_would(
    page: Page, api: Api, no_script_errors: list[str], client_id: str | None, site: str | None, refusal: str
) -> None:
    """As Google's script does: no button, and its logger's error (tests of the page lean on this)."""
    if site:  # the same page, served from an origin the client id is not registered for
        page.route(
            f"{site}/**",
            lambda route: route.fulfill(
                response=route.fetch(
                    url=route.request.url.replace(site, api.stack.api_url),
                    # Files fetched as that site's static host would serve them: the local stack
                    # itself answers its own origins only.
                    headers={
                        name: value for name, value in route.request.headers.items() if name != "origin"
                    },
                )
            ),
        )
    as_deployed_with_google(page, api, client_id)
    page.goto((site or api.stack.api_url) + "/app/")
    expect(page.get_by_role("region", name="Sign in")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("button", name="Sign in with Google")).to_have_count(0)
    assert no_script_errors == [f"[GSI_LOGGER]: {refusal}"]
    no_script_errors.clear()


def test_the_page_runs_under_the_sites_content_security_policy_and_no_string_runs_as_code(
    page: Page, api: Api, no_script_errors: list[str]
) -> None:
    page.add_init_script(  # what the browser refuses, as it reports it to the page
        """window.violations = [];
        document.addEventListener("securitypolicyviolation", (event) => {
            window.violations.push(`${event.effectiveDirective} ${event.blockedURI}`);
        });"""
    )
    response = page.goto(api.stack.api_url + "/app/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    # Its own scripts, Google's, and one inline script by its hash: the import map (test_site.py).
    scripts = r"script-src 'self' 'sha256-[A-Za-z0-9+/]{43}=' https://accounts.google.com/gsi/client;"
    assert re.search(scripts, policy)
    assert "'unsafe-eval'" not in policy
    assert "'unsafe-inline'" not in policy
    # Vue's runtime and the templates compiled ahead of time, the API, the images bucket: all allowed.
    sign_in(page, api, new_email())
    page.get_by_role("navigation", name="Views").get_by_role("button", name="Coins", exact=True).click()
    expect(page.get_by_role("region", name="Coin history")).to_contain_text("Welcome coins")
    assert page.evaluate("window.violations") == []

    # No string runs as code: neither eval nor Function (what Vue's in-page template compiler needs).
    # Tried from a task of the page's own (DevTools, which runs page.evaluate, may evaluate anything).
    refused = page.evaluate(
        """() => new Promise((done) => setTimeout(() => done(
            [() => eval("1"), () => Function("return 1")()].map((run) => {
                try {
                    return run();
                } catch (error) {
                    return error.name;
                }
            }),
        )))"""
    )
    assert refused == ["EvalError", "EvalError"]
    # Nor a script put in the page.
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.head.append(script);
        }"""
    )
    assert page.evaluate("window.injected") is None

    # The policy refused each of the three, as the browser reports it to the page.
    page.wait_for_function("window.violations.length >= 3")  # as the browser gets to it
    violations = page.evaluate("window.violations")
    assert violations == ["script-src eval", "script-src eval", "script-src-elem inline"]
    # The console says so of the script (the EvalErrors, caught, went to the page), and of nothing else.
    [refusal] = no_script_errors
    assert "Content Security Policy" in refusal
    no_script_errors.clear()


def stored_session(page: Page) -> dict[str, Any]:
    session: dict[str, Any] = page.evaluate("JSON.parse(localStorage.getItem('imagegen.session'))")
    return session


def test_the_access_token_is_refreshed_before_it_expires(page: Page, api: Api) -> None:
    page.clock.install()  # the page's clock, moved on below; the service keeps real time
    sign_in(page, api, new_email())
    first = stored_session(page)
    refreshes: list[str] = []
    page.on(
        "request", lambda request: refreshes.append(request.url) if "/auth/refresh" in request.url else None
    )

    page.clock.fast_forward(first["expiresAt"] - page.evaluate("Date.now()") - 30_000)  # 30 s left
    page.get_by_role("navigation", name="Views").get_by_role("button", name="Coins", exact=True).click()

    expect(page.get_by_role("region", name="Coin history")).to_contain_text("Welcome coins")
    assert len(refreshes) == 1  # once, however many calls the view made
    renewed = stored_session(page)
    assert renewed["refreshToken"] != first["refreshToken"]  # refresh tokens are used once
    assert renewed["expiresAt"] > first["expiresAt"]


def test_a_refused_access_token_is_refreshed_once_and_the_call_goes_through(page: Page, api: Api) -> None:
    sign_in(page, api, new_email())
    page.evaluate(  # as if the signing key had rotated under a token still in its lifetime
        """() => {
            const session = JSON.parse(localStorage.getItem("imagegen.session"));
            session.token = session.token.slice(0, -4) + "AAAA";
            localStorage.setItem("imagegen.session", JSON.stringify(session));
        }"""
    )
    page.reload()  # the page reads the stored session again: GET /auth/me answers 401, then a refresh

    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    token = stored_session(page)["token"]
    assert api.call("GET", "/auth/me", token).status_code == 200


def test_the_address_keeps_the_view_and_the_back_button_closes_an_open_image(page: Page, api: Api) -> None:
    _, [image] = with_images(page, api, "a linked harbour")
    views = page.get_by_role("navigation", name="Views")

    views.get_by_role("button", name="Coins", exact=True).click()
    expect(page).to_have_url(f"{api.stack.api_url}/app/#coins")
    page.reload()  # the same place
    expect(page.get_by_role("region", name="Coin history")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("region", name="Your images")).to_be_visible()

    tile(page, "a linked harbour").get_by_role("button", name="Open a linked harbour").click()
    detail = page.get_by_role("dialog", name="a linked harbour")
    expect(detail).to_be_visible()
    expect(page).to_have_url(f"{api.stack.api_url}/app/#image/{image['id']}")
    page.go_back()  # as a phone's back button: the image closes, the page stays
    expect(detail).to_be_hidden()
    expect(page.get_by_role("region", name="Your images")).to_be_visible()

    page.goto(f"{api.stack.api_url}/app/#image/{image['id']}")  # its link, in the signed-in tab
    expect(detail).to_be_visible()
    expect(
        detail.get_by_role("button", name="Next image")
    ).to_be_visible()  # opened in the gallery, as from its tile
    detail.get_by_role("button", name="Close").click()
    expect(detail).to_be_hidden()
    expect(page).to_have_url(f"{api.stack.api_url}/app/")  # closed onto the page, not back out of it

    page.goto(f"{api.stack.api_url}/app/#image/01NOTANIMAGEOFYOURS")
    expect(page.get_by_role("status")).to_contain_text("That image is not here")


def test_the_open_image_steps_to_its_neighbours_in_the_gallery_by_button_and_arrow_keys(
    page: Page, api: Api
) -> None:
    with_images(page, api, "the oldest", "the middle", "the newest")

    tile(page, "the newest").get_by_role("button", name="Open the newest").click()
    expect(
        page.get_by_role("dialog", name="the newest").get_by_role("button", name="Previous image")
    ).to_be_disabled()
    page.get_by_role("dialog").get_by_role("button", name="Next image").click()
    detail = page.get_by_role("dialog", name="the middle")
    expect(detail.get_by_label("Title", exact=True)).to_have_value(
        "the middle"
    )  # its own form, not the last one's
    page.keyboard.press("ArrowRight")
    detail = page.get_by_role("dialog", name="the oldest")
    expect(detail.get_by_role("button", name="Next image")).to_be_disabled()
    image_id = tile(page, "the oldest").get_attribute("data-id")
    expect(page).to_have_url(f"{api.stack.api_url}/app/#image/{image_id}")

    detail.get_by_label("Title", exact=True).press("ArrowLeft")  # in a text field, the caret's
    expect(detail).to_be_visible()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("dialog", name="the middle")).to_be_visible()

    page.go_back()  # one step in history, however many images were stepped through
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page).to_have_url(f"{api.stack.api_url}/app/")


def test_signing_out_leaves_nothing_of_the_user_to_the_next(page: Page, api: Api) -> None:
    first = new_email()
    titled_upload(api, api.sign_in(first), "first's photo", images.png(120, 90))
    sign_in(page, api, first)
    tile(page, "first's photo").get_by_role("button", name="Use as reference").click()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, api, new_email())  # the same tab
    references = page.get_by_role("form", name="Generate an image").get_by_role(
        "group", name="Reference images"
    )
    expect(references).to_contain_text("No reference images")
    expect(page.get_by_text("first's photo")).to_have_count(0)


def test_an_image_deleted_from_its_link_leaves_the_gallery_and_the_picked_references(
    page: Page, api: Api
) -> None:
    email = new_email()
    image = titled_upload(api, api.sign_in(email), "a doomed photo", images.png(120, 90))
    sign_in(page, api, email)
    tile(page, "a doomed photo").get_by_role("button", name="Use as reference").click()

    page.goto(f"{api.stack.api_url}/app/#image/{image['id']}")
    detail = page.get_by_role("dialog", name="a doomed photo")
    detail.get_by_role("button", name="Delete", exact=True).click()
    detail.get_by_role("button", name="Delete for good").click()

    expect(tile(page, "a doomed photo")).to_have_count(0)
    references = page.get_by_role("form", name="Generate an image").get_by_role(
        "group", name="Reference images"
    )
    expect(references).to_contain_text("No reference images")


def test_the_status_filter_follows_images_as_they_change(page: Page, api: Api) -> None:
    sign_in(page, api, new_email())
    page.get_by_label("Status").select_option("PENDING")
    page.get_by_label("Prompt").fill("a passing cloud")
    page.get_by_role("button", name="Generate · 100 coins").click()
    expect(tile(page, "a passing cloud")).to_have_count(0, timeout=FINISHED)  # completed: no longer pending

    page.get_by_label("Status").select_option("FAILED")
    page.get_by_label("Prompt").fill("a forbidden door")  # the stand-in refuses it, as Gemini would
    page.get_by_role("button", name="Generate · 100 coins").click()
    expect(tile(page, "a forbidden door")).to_have_attribute("data-status", "FAILED", timeout=FINISHED)
    expect(tile(page, "a passing cloud")).to_have_count(0)


def test_an_answer_arriving_after_signing_out_does_not_sign_anyone_back_in(page: Page, api: Api) -> None:
    sign_in(page, api, new_email())
    held: list[Any] = []  # the generation's answer, held back until the user has signed out
    page.route("**/api/v1/images/generate", lambda route: held.append((route, route.fetch())))

    page.get_by_label("Prompt").fill("a slow answer")
    page.get_by_role("button", name="Generate · 100 coins").click()
    for _ in range(50):  # the service has answered; the page has not heard it yet
        if held:
            break
        page.wait_for_timeout(100)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Email")).to_be_visible()

    route, answer = held[0]
    assert answer.status == 202
    route.fulfill(response=answer)
    page.wait_for_timeout(1000)
    expect(page.get_by_label("Email")).to_be_visible()  # still signed out, as the user chose:
    expect(page.get_by_role("status")).to_have_count(0)  # not "signed out" by a page back without a session


def test_an_image_deleted_in_another_tab_leaves_this_one_when_acted_on(page: Page, api: Api) -> None:
    session, [image] = with_images(page, api, "a shared photo")
    tile(page, "a shared photo").get_by_role("button", name="Open a shared photo").click()
    detail = page.get_by_role("dialog", name="a shared photo")
    assert api.call("DELETE", f"/images/{image['id']}", session.token).status_code == 204  # the other tab

    detail.get_by_label("Title", exact=True).fill("renamed too late")
    detail.get_by_role("button", name="Save").click()
    expect(detail).to_be_hidden()  # there is nothing left to act on
    expect(tile(page, "a shared photo")).to_have_count(0)


def test_versions_opened_from_the_coin_history_finish_by_themselves(page: Page, api: Api) -> None:
    with_images(page, api, "a plain wall")
    page.get_by_role("navigation", name="Views").get_by_role("button", name="Coins", exact=True).click()
    page.get_by_role("region", name="Coin history").get_by_role("button", name="Open a plain wall").click()

    detail = page.get_by_role("dialog", name="a plain wall")
    detail.get_by_label("Describe the change").fill("with a mural")
    detail.get_by_role("button", name="Edit · 100 coins").click()
    followed = page.get_by_role("dialog", name="with a mural")
    expect(followed.get_by_role("img", name="with a mural")).to_be_visible(timeout=FINISHED)
    versions = followed.get_by_role("region", name="Versions")
    expect(versions.get_by_role("button", name="Compare with version 1")).to_be_enabled()


def test_stepping_to_the_last_image_by_keyboard_keeps_the_focus_in_the_dialog(page: Page, api: Api) -> None:
    with_images(page, api, "step one", "step two")

    opener = tile(page, "step two").get_by_role("button", name="Open step two")
    opener.focus()
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("dialog").get_by_role("button", name="Next image"))
    page.keyboard.press("Enter")  # to the last image: its Next is disabled under the focus
    detail = page.get_by_role("dialog", name="step one")
    expect(detail.get_by_role("button", name="Next image")).to_be_disabled()
    assert detail.evaluate("dialog => dialog.contains(document.activeElement)")
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("dialog", name="step two")).to_be_visible()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Escape")
    expect(
        tile(page, "step one").get_by_role("button", name="Open step one")
    ).to_be_focused()  # the last shown
