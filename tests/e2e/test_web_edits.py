"""An edit in the image's dialog, in Chromium against the local stack: it keeps its source's size
unless asked (the size and price said before the click), as the service would choose it."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests import images
from tests.e2e.conftest import Api, Session, wait_for_image
from tests.e2e.test_web import (  # noqa: F401 (no_script_errors: autouse, each test ends without script errors)
    keep,
    new_email,
    no_script_errors,
    sign_in,
    tile,
    titled_upload,
)


def opened_photo(
    page: Page, api: Api, title: str, width: int, height: int
) -> tuple[Session, Locator, dict[str, Any]]:
    """A new user's JPEG of ``width`` x ``height``, open in its dialog on the page; the user's session,
    the dialog, and the catalog's default model."""
    email = new_email()
    session = api.sign_in(email)
    titled_upload(api, session, title, images.jpeg(width, height), "image/jpeg")
    sign_in(page, api, email)
    default = next(model for model in api.call("GET", "/models").json()["models"] if model["default"])
    tile(page, title).get_by_role("button", name=f"Open {title}").click()
    # The dialog follows an edit to its new version, and is named after what it shows.
    return session, page.get_by_role("dialog"), default


def test_a_photos_edit_keeps_its_size_and_says_so_with_its_price_before_the_click(
    page: Page, api: Api
) -> None:
    session, detail, default = opened_photo(page, api, "tall photo", 1500, 2000)
    form = detail.get_by_role("form", name="Edit this image")
    expect(form.get_by_label("Size")).to_have_value("2K")  # 2000 pixels: nearer 2048 than 1024 or 4096
    expect(form).to_contain_text("comes out at 2K")
    price = default["costs"]["2K"]
    keep(page, "38-edit-keeps-size")
    form.get_by_label("Describe the change").fill("in the evening")
    form.get_by_role("button", name=f"Edit · {price} coins").click()

    expect(detail.get_by_role("region", name="Versions").get_by_role("listitem")).to_have_count(2)
    gallery = api.call("GET", "/images", session.token).json()["images"]
    (edit,) = [image for image in gallery if image["parentImageId"]]
    assert (edit["imageSize"], edit["coinsUsed"]) == ("2K", price)
    assert wait_for_image(api, session, edit["id"])["metadata"]["height"] > 1024


def test_an_image_is_upscaled_from_its_dialog_into_a_new_version(page: Page, api: Api) -> None:
    session, detail, default = opened_photo(page, api, "small photo", 800, 600)
    price = default["costs"]["4K"]
    detail.get_by_role("button", name=f"Upscale to 4K · {price} coins").click()

    expect(detail.get_by_role("region", name="Versions").get_by_role("listitem")).to_have_count(2)
    gallery = api.call("GET", "/images", session.token).json()["images"]
    (larger,) = [image for image in gallery if image["parentImageId"]]
    larger = wait_for_image(api, session, larger["id"])
    assert (larger["imageSize"], larger["coinsUsed"]) == ("4K", price)
    assert max(larger["metadata"]["width"], larger["metadata"]["height"]) > 2048
    keep(page, "43-upscaled")
