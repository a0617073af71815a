"""The local console in a real browser: what a developer sees at http://127.0.0.1:3000/."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests import images
from tests.e2e.conftest import ADMIN_EMAIL, Api


def sign_in(page: Page, api: Api, email: str, first: str = "Ada", last: str = "Lovelace") -> None:
    page.goto(api.stack.api_url + "/")
    page.fill("input[name=email]", email)
    page.fill("input[name=firstName]", first)
    page.fill("input[name=lastName]", last)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#profile")).to_be_visible()


def test_a_user_signs_in_sees_their_coins_and_logs_out(page: Page, api: Api) -> None:
    email = f"console-{uuid.uuid4().hex[:8]}@example.com"
    sign_in(page, api, email, "Grace", "Hopper")

    expect(page.locator("#coins")).to_have_text("1000")
    expect(page.locator("#name")).to_have_text("Grace Hopper")
    expect(page.locator("#email")).to_have_text(email)
    expect(page.locator("#admin")).to_be_hidden()
    token = page.evaluate("JSON.parse(sessionStorage.getItem('imagegen')).token")

    page.click("#refresh")
    expect(page.locator("#error")).to_have_text("")
    page.click("#logout")

    expect(page.locator("#signin")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('imagegen')") is None
    assert api.call("GET", "/users/me", token).status_code == 401


def test_an_admin_sees_users_and_promotes_one(page: Page, api: Api) -> None:
    other = api.sign_in(f"console-{uuid.uuid4().hex[:8]}@example.com")
    sign_in(page, api, ADMIN_EMAIL)

    row = page.locator("#users tr", has_text=other.user["email"])
    expect(row).to_contain_text("1000")
    row.get_by_role("button", name="Make admin").click()

    expect(page.locator("#users tr", has_text=other.user["email"]).locator("button.role")).to_have_text(
        "Remove admin"
    )
    assert api.call("GET", "/users/me", other.token).json()["user"]["roles"] == ["USER", "ADMIN"]


def test_errors_are_shown_in_the_envelope(page: Page, api: Api) -> None:
    sign_in(page, api, ADMIN_EMAIL)
    row = page.locator("#users tr", has_text=ADMIN_EMAIL)
    row.get_by_role("button", name="Remove admin").click()

    expect(page.locator("#error")).to_contain_text('"code": "CONFLICT"')


def test_a_photo_uploaded_from_the_browser_shows_up_upright_with_its_thumbnail(
    page: Page, api: Api, tmp_path: Path
) -> None:
    photo = tmp_path / "phone.jpg"
    photo.write_bytes(images.jpeg(1200, 800, orientation=6))
    sign_in(page, api, f"console-{uuid.uuid4().hex[:8]}@example.com")

    page.set_input_files("input[name=file]", str(photo))
    page.fill("input[name=title]", "From my phone")
    page.click("#upload-form button[type=submit]")

    expect(page.locator("#upload-status")).to_have_text("phone.jpg: COMPLETED", timeout=20_000)
    tile = page.locator("#images .tile").first
    expect(tile).to_contain_text("From my phone")
    expect(tile).to_contain_text("800\u00d71200 JPEG")  # width, multiplication sign, height
    thumbnail = tile.locator("img")
    expect(thumbnail).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    assert thumbnail.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [341, 512]
    expect(page.locator("#coins")).to_have_text("950")


def test_a_file_that_is_not_an_image_fails_in_the_browser_and_is_refunded(
    page: Page, api: Api, tmp_path: Path
) -> None:
    fake = tmp_path / "notes.png"
    fake.write_bytes(b"hello, not an image")
    sign_in(page, api, f"console-{uuid.uuid4().hex[:8]}@example.com")

    page.set_input_files("input[name=file]", str(fake))
    page.click("#upload-form button[type=submit]")

    expect(page.locator("#upload-status")).to_contain_text("notes.png: FAILED", timeout=20_000)
    expect(page.locator("#images .tile").first).to_contain_text("not a JPEG, PNG, WebP or GIF")
    expect(page.locator("#coins")).to_have_text("1000")


def test_a_prompt_generated_from_the_browser_shows_its_picture(page: Page, api: Api) -> None:
    sign_in(page, api, f"console-{uuid.uuid4().hex[:8]}@example.com")

    page.fill("input[name=prompt]", "a lighthouse at dusk")
    page.select_option("select[name=aspectRatio]", "9:16")
    page.click("#generate-form button[type=submit]")

    expect(page.locator("#generate-status")).to_have_text("COMPLETED", timeout=30_000)
    tile = page.locator("#images .tile").first
    expect(tile).to_contain_text("a lighthouse at dusk")
    expect(tile).to_contain_text("576\u00d71024 PNG")
    expect(page.locator("#coins")).to_have_text("900")


def test_a_refused_prompt_is_shown_failed_and_refunded_in_the_browser(page: Page, api: Api) -> None:
    sign_in(page, api, f"console-{uuid.uuid4().hex[:8]}@example.com")

    page.fill("input[name=prompt]", "something forbidden")
    page.click("#generate-form button[type=submit]")

    expect(page.locator("#generate-status")).to_contain_text("FAILED", timeout=30_000)
    expect(page.locator("#coins")).to_have_text("1000")


def test_an_image_is_renamed_and_deleted_in_the_browser_and_the_history_shows_it(
    page: Page, api: Api
) -> None:
    sign_in(page, api, f"console-{uuid.uuid4().hex[:8]}@example.com")
    page.fill("input[name=prompt]", "a small boat")
    page.click("#generate-form button[type=submit]")
    expect(page.locator("#generate-status")).to_have_text("COMPLETED", timeout=30_000)

    page.once("dialog", lambda dialog: dialog.accept("Boat at dawn"))
    page.locator("#images .tile").first.get_by_role("button", name="Rename").click()
    expect(page.locator("#images .tile").first).to_contain_text("Boat at dawn")
    expect(page.locator("#transactions tr").first).to_contain_text("generate")
    expect(page.locator("#transactions tr").first).to_contain_text("-100")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#images .tile").first.get_by_role("button", name="Delete").click()
    expect(page.locator("#images .tile")).to_have_count(0)
    expect(page.locator("#coins")).to_have_text("900")


def test_an_admin_grants_coins_in_the_browser(page: Page, api: Api) -> None:
    other = api.sign_in(f"console-{uuid.uuid4().hex[:8]}@example.com")
    sign_in(page, api, ADMIN_EMAIL)

    row = page.locator("#users tr", has_text=other.user["email"])
    row.locator(".grant-amount").fill("250")
    row.get_by_role("button", name="Grant").click()

    expect(page.locator("#users tr", has_text=other.user["email"])).to_contain_text("1250")
    assert api.call("GET", "/users/me", other.token).json()["user"]["coins"] == 1250
