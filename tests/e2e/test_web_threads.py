"""The gallery's threads and selections (issue 25), in Chromium against the local stack: an edit
thread is one tile showing its newest version, an edit is followed in the dialog to its result, and
tiles selected together are deleted after one confirmation or saved as one zip."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests import images
from tests.e2e.conftest import Api, Session, wait_for_image
from tests.e2e.test_web import (  # noqa: F401 (no_script_errors: autouse, each test ends without script errors)
    FINISHED,
    keep,
    new_email,
    no_script_errors,
    sign_in,
    tile,
    titled_upload,
    with_images,
)


def edited(api: Api, session: Session, source: dict[str, Any], change: str) -> dict[str, Any]:
    """``source`` edited through the API, finished."""
    image = api.call("POST", f"/images/{source['id']}/edit", session.token, json={"prompt": change})
    assert image.status_code == 202, image.text
    return wait_for_image(api, session, image.json()["image"]["id"])


def titles(api: Api, session: Session) -> list[str]:
    listed = api.call("GET", "/images", session.token).json()["images"]
    return [image["title"] or image["prompt"] for image in listed]


def gallery(page: Page) -> Locator:
    return page.get_by_role("region", name="Your images")


def select(page: Page, name: str) -> None:
    """Tick a tile's box, as a person does: it shows when the pointer is over the tile."""
    tile(page, name).hover()
    tile(page, name).get_by_role("checkbox", name=f"Select {name}").check()


def test_an_edit_thread_is_one_tile_showing_its_newest_version_and_opening_on_it(
    page: Page, api: Api
) -> None:
    email = new_email()
    session = api.sign_in(email)
    harbour = titled_upload(api, session, "harbour", images.jpeg(640, 480), "image/jpeg")
    titled_upload(api, session, "kite", images.png(300, 200))
    at_night = edited(api, session, edited(api, session, harbour, "in autumn"), "at night")
    sign_in(page, api, email)

    expect(gallery(page).get_by_role("listitem")).to_have_count(2)  # kite, and the harbour's thread
    thread = tile(page, "at night")
    expect(thread).to_contain_text("3 versions")
    expect(thread.get_by_role("img", name="at night")).to_be_visible()
    expect(tile(page, "harbour")).to_have_count(0)
    keep(page, "44-thread-tile")

    thread.get_by_role("button", name="Open at night").click()
    detail = page.get_by_role("dialog", name="at night")
    versions = detail.get_by_role("region", name="Versions")
    expect(versions.get_by_role("listitem")).to_have_count(3)
    expect(versions.get_by_role("button", name="Version 3, this one")).to_be_disabled()
    detail.get_by_role("button", name="Next image").click()  # the next tile, not the thread's older version
    expect(page.get_by_role("dialog", name="kite")).to_be_visible()
    assert at_night["threadId"] == harbour["id"]


def test_an_edit_is_followed_in_the_dialog_from_working_on_it_to_its_result(page: Page, api: Api) -> None:
    session, [harbour] = with_images(page, api, "harbour")
    tile(page, "harbour").get_by_role("button", name="Open harbour").click()
    detail = page.get_by_role("dialog", name="harbour")
    detail.get_by_label("Describe the change").fill("make it night")
    # The new version's first reads are held back a moment, to see the dialog show it being made.
    page.route("**/images/*/thread*", lambda route: (page.wait_for_timeout(400), route.continue_()))
    detail.get_by_role("button", name="Edit · 100 coins").click()

    detail = page.get_by_role("dialog", name="make it night")
    expect(detail).to_be_visible()
    keep(page, "45-edit-followed")
    expect(detail.get_by_role("img", name="make it night")).to_be_visible(timeout=FINISHED)
    versions = detail.get_by_role("region", name="Versions")
    expect(versions.get_by_role("button", name="Version 2, this one")).to_be_visible()
    expect(versions).to_be_in_viewport()
    keep(page, "46-edit-done")
    detail.get_by_role("button", name="Close").click()
    expect(tile(page, "make it night")).to_contain_text("2 versions")
    expect(tile(page, "make it night").get_by_role("button", name="Open make it night")).to_be_focused()
    listed = api.call("GET", "/images", session.token).json()["images"]
    assert {image["threadId"] for image in listed} == {harbour["id"]}


def test_tiles_selected_together_are_deleted_with_every_version_after_one_confirmation(
    page: Page, api: Api
) -> None:
    email = new_email()
    session = api.sign_in(email)
    titled_upload(api, session, "keep me", images.png(200, 150))
    boat = titled_upload(api, session, "boat", images.png(200, 150))
    titled_upload(api, session, "cloud", images.png(200, 150))
    edited(api, session, boat, "boat at sea")
    sign_in(page, api, email)
    expect(gallery(page).get_by_role("listitem")).to_have_count(3)

    select(page, "boat at sea")
    select(page, "cloud")
    bar = page.get_by_role("region", name="2 selected")
    expect(bar).to_be_visible()
    # While tiles are selected, a click on another tile selects it rather than opening it.
    tile(page, "keep me").get_by_role("button", name="Select keep me").click()
    expect(page.get_by_role("region", name="3 selected")).to_be_visible()
    tile(page, "keep me").get_by_role("button", name="Select keep me").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.keyboard.press("Escape")  # clears the selection
    expect(page.get_by_role("region", name="2 selected")).to_have_count(0)
    select(page, "boat at sea")
    select(page, "cloud")

    bar.get_by_role("button", name="Delete").click()
    confirm = bar.get_by_role("group", name="Confirm the deletion")
    expect(confirm).to_contain_text("these 3 images")  # the boat, its edit, the cloud
    keep(page, "47-bulk-delete-confirm")
    confirm.get_by_role("button", name="Delete for good").click()

    expect(gallery(page).get_by_role("listitem")).to_have_count(1)
    expect(gallery(page)).to_contain_text("3 images deleted.")
    assert titles(api, session) == ["keep me"]
    expect(page.get_by_label("Coins")).to_have_text(f"{1000 - 3 * 50 - 100} coins")  # nothing refunded


def test_tiles_selected_together_are_saved_as_one_zip_of_every_version(page: Page, api: Api) -> None:
    email = new_email()
    session = api.sign_in(email)
    fox = titled_upload(api, session, "fox", images.png(320, 240))
    titled_upload(api, session, "fox", images.png(200, 150))  # the same file name: saved as "fox (2).png"
    edited(api, session, fox, "fox in snow")
    sign_in(page, api, email)

    select(page, "fox in snow")
    page.get_by_role("region", name="1 selected").get_by_role("button", name="Select all").click()
    bar = page.get_by_role("region", name="2 selected")
    with page.expect_download() as saving:
        bar.get_by_role("button", name="Download").click()
    expect(bar).to_contain_text("3 images saved in one zip.")
    keep(page, "48-bulk-download")

    saved = saving.value
    assert re.fullmatch(r"imagegen \d{4}-\d\d-\d\d \d\d\.\d\d\.zip", saved.suggested_filename)
    with zipfile.ZipFile(saved.path()) as archive:
        files = {name: Image.open(io.BytesIO(archive.read(name))) for name in archive.namelist()}
    extensions = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
    # Each file named after its image, with its format's extension; the second "fox" numbered.
    assert {name: (image.format, image.size) for name, image in files.items() if "snow" not in name} == {
        "fox.png": ("PNG", (320, 240)),
        "fox (2).png": ("PNG", (200, 150)),
    }
    (snow,) = [name for name in files if "snow" in name]
    assert snow == f"fox in snow.{extensions[files[snow].format]}"
