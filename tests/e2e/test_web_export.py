"""The account view's "Export my data" (issue 27): started from the page, its progress shown while the
service writes it, then a Download link that serves the zip with the user's image in it, until when it
is kept, and instead of the button, the day the next export may start. Screenshot 97."""

from __future__ import annotations

import io
import zipfile

from playwright.sync_api import Page, expect

from tests import images
from tests.e2e.conftest import Api, upload, wait_for_image
from tests.e2e.test_web import (  # noqa: F401 (no_script_errors: autouse, each test ends without script errors)
    keep,
    new_email,
    no_script_errors,
    sign_in,
)


def test_the_account_view_exports_the_users_data_and_offers_the_zip(page: Page, api: Api) -> None:
    email = new_email()
    sign_in(page, api, email)
    session = api.sign_in(email)
    photo = images.jpeg()
    image_id = upload(api, session, photo)["image"]["id"]
    assert wait_for_image(api, session, image_id)["status"] == "COMPLETED"
    page.get_by_role("navigation", name="Views").get_by_role("button", name="Account").click()
    exporting = page.get_by_role("region", name="Export my data")
    expect(exporting).to_contain_text("One zip file with every original image")

    exporting.get_by_role("button", name="Export my data").click()
    download = exporting.get_by_role("link", name="Download (zip)")
    expect(download).to_be_visible(timeout=30_000)  # polled every few seconds until READY
    expect(exporting).to_contain_text("Kept until")
    keep(page, "97-export")

    zipped = api.download(str(download.get_attribute("href")))
    assert zipped.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(zipped.content))
    assert archive.read("images/photo.jpg") == photo

    # One a day: no button until then, but when the next may start.
    expect(exporting).to_contain_text("One export a day: you can start the next one on")
    expect(exporting.get_by_role("button", name="Export my data")).to_have_count(0)
    expect(download).to_be_visible()  # the one made today is still there to download
