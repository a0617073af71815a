"""The account view's "Export my data" (issue 27): started from the page, its progress shown while the
service writes it, then a Download link that serves the zip with the user's image in it, until when it
is kept, and instead of the button, the day the next export may start; in Spanish too. Screenshots 97."""

from __future__ import annotations

import io
import zipfile

from playwright.sync_api import Browser, Page, expect

from tests import images
from tests.e2e.conftest import Api, upload, wait_for_image
from tests.e2e.test_web import (  # noqa: F401 (no_script_errors: autouse, each test ends without script errors)
    keep,
    new_email,
    no_script_errors,
    sign_in,
)
from tests.e2e.test_web_languages import iniciar_sesion


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


def test_a_spanish_reader_exports_in_spanish(browser: Browser, api: Api) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="es-MX")
    context.set_extra_http_headers({"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    page = context.new_page()
    try:
        iniciar_sesion(page, api, new_email())
        page.get_by_role("navigation", name="Secciones").get_by_role("button", name="Cuenta").click()
        exporting = page.get_by_role("region", name="Exportar mis datos")
        expect(exporting).to_contain_text("Un archivo zip con cada imagen original")

        exporting.get_by_role("button", name="Exportar mis datos").click()

        expect(exporting.get_by_role("link", name="Descargar (zip)")).to_be_visible(timeout=30_000)
        expect(exporting).to_contain_text("Se guarda hasta el")
        expect(exporting).to_contain_text("Una exportación al día: desde el")
        expect(exporting).not_to_contain_text("..")  # a date ending "a.m." never ends a sentence
        keep(page, "97-export-es")
    finally:
        context.close()
