"""The local console in a real browser: what a developer sees at http://127.0.0.1:3000/."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests import images
from tests.e2e.conftest import ADMIN_EMAIL, Api, Session, upload, wait_for_image

GENERATED = 30_000  # ms: the Gemini stand-in draws an image in about a second, a 2K one in a few


@pytest.fixture(autouse=True)
def no_script_errors(page: Page) -> Iterator[None]:
    """Every test ends with no uncaught JavaScript error (nor unhandled rejection) on the page."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}"))
    yield
    assert not errors, errors


def sign_in(page: Page, api: Api, email: str, first: str = "Ada", last: str = "Lovelace") -> None:
    page.goto(api.stack.api_url + "/")
    page.fill("input[name=email]", email)
    page.fill("input[name=firstName]", first)
    page.fill("input[name=lastName]", last)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#profile")).to_be_visible()


def token_of(page: Page) -> str:
    token: str = page.evaluate("JSON.parse(sessionStorage.getItem('imagegen')).token")
    return token


def new_email() -> str:
    return f"console-{uuid.uuid4().hex[:8]}@example.com"


def uploaded(api: Api, session: Session, title: str, color: tuple[int, int, int]) -> dict[str, Any]:
    """A completed image uploaded through the API, titled so that its tile can be found."""
    image = upload(api, session, images.png(320, 240, color=color), "image/png")["image"]
    assert api.call("PUT", f"/images/{image['id']}", session.token, json={"title": title}).status_code == 200
    completed = wait_for_image(api, session, image["id"])
    assert completed["status"] == "COMPLETED", completed
    return completed


def tile(page: Page, image_id: str) -> Locator:
    return page.locator(f"#images .tile[data-id='{image_id}']")


def picked(page: Page, form: str) -> list[str]:
    """The ids of the reference images shown in a form, in order."""
    ids: list[str] = page.locator(f"{form} .reference").evaluate_all("chips => chips.map(c => c.dataset.id)")
    return ids


def image_of(api: Api, token: str, image_id: str) -> dict[str, Any]:
    image: dict[str, Any] = api.call("GET", f"/images/{image_id}", token).json()["image"]
    return image


def edit_newest(page: Page, instruction: str) -> None:
    """Edit the newest completed image from its tile, and wait for the edit to complete."""
    newest = page.locator("#images .tile").first
    expect(newest).to_contain_text("COMPLETED", timeout=GENERATED)
    newest.get_by_role("button", name="Edit", exact=True).click()
    expect(page.locator("#editor")).to_be_visible()
    page.fill("#edit-form input[name=prompt]", instruction)
    page.click("#edit-form button[type=submit]")
    expect(page.locator("#edit-status")).to_contain_text("COMPLETED", timeout=GENERATED)


def test_a_user_signs_in_sees_their_coins_and_logs_out(page: Page, api: Api) -> None:
    email = f"console-{uuid.uuid4().hex[:8]}@example.com"
    sign_in(page, api, email, "Grace", "Hopper")

    expect(page.locator("#coins")).to_have_text("1000")
    expect(page.locator("#name")).to_have_text("Grace Hopper")
    expect(page.locator("#email")).to_have_text(email)
    expect(page.locator("#admin")).to_be_hidden()
    token = page.evaluate("JSON.parse(sessionStorage.getItem('imagegen')).token")
    refresh_token = page.evaluate("JSON.parse(sessionStorage.getItem('imagegen')).refreshToken")

    page.click("#refresh")
    # The refresh is done once the page holds its new refresh token: a logout before that races its save.
    page.wait_for_function(
        f"JSON.parse(sessionStorage.getItem('imagegen')).refreshToken !== {refresh_token!r}"
    )
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
    expect(tile).to_contain_text("768\u00d71376 PNG")  # 1K at 9:16
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


def test_the_price_of_the_chosen_model_and_size_is_shown_and_charged(page: Page, api: Api) -> None:
    sign_in(page, api, new_email())
    form = page.locator("#generate-form")
    submit = form.locator("button[type=submit]")
    expect(form.locator("select[name=model]")).to_have_value("fast")
    expect(submit).to_have_text("Generate \u00b7 100 coins")
    expect(form.locator(".after")).to_have_text("balance after: 900")

    form.locator("select[name=model]").select_option("pro")
    form.locator("select[name=imageSize]").select_option("4K")
    expect(submit).to_have_text("Generate \u00b7 715 coins")
    expect(form.locator("select[name=aspectRatio] option")).to_have_count(10)
    form.locator("select[name=model]").select_option("lite")
    expect(form.locator("select[name=imageSize] option")).to_have_text(["1K \u00b7 100 coins"])
    expect(form.locator("select[name=aspectRatio] option")).to_have_count(14)

    form.locator("select[name=model]").select_option("fast")
    form.locator("select[name=imageSize]").select_option("2K")
    expect(submit).to_have_text("Generate \u00b7 150 coins")
    expect(form.locator(".after")).to_have_text("balance after: 850")
    page.fill("input[name=prompt]", "a harbour in the fog")
    page.select_option("#generate-form select[name=aspectRatio]", "1:1")
    submit.click()

    expect(page.locator("#generate-status")).to_have_text("COMPLETED", timeout=GENERATED)
    expect(page.locator("#coins")).to_have_text("850")
    expect(form.locator(".after")).to_have_text("balance after: 700")
    expect(page.locator("#images .tile").first).to_contain_text("Nano Banana 2.1 \u00b7 2K \u00b7 1:1")
    assert api.call("GET", "/users/me", token_of(page)).json()["user"]["coins"] == 850


def test_an_uploaded_photo_is_edited_twice_and_its_thread_compares_the_versions(
    page: Page, api: Api, tmp_path: Path
) -> None:
    photo = tmp_path / "harbour.jpg"
    photo.write_bytes(images.jpeg(1200, 800))
    sign_in(page, api, new_email())
    page.set_input_files("input[name=file]", str(photo))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#upload-status")).to_have_text("harbour.jpg: COMPLETED", timeout=20_000)

    page.locator("#images .tile").first.get_by_role("button", name="Edit", exact=True).click()
    expect(page.locator("#edit-form button[type=submit]")).to_have_text("Edit \u00b7 100 coins")
    expect(page.locator("#edit-form select[name=aspectRatio]")).to_have_value("")  # same as source
    expect(page.locator("#edit-about")).to_have_text("uploaded")
    edit_newest(page, "make it night")
    edit_newest(page, "add a full moon")
    expect(page.locator("#coins")).to_have_text("750")  # 1000 - 50 for the upload - 2 x 100

    page.locator("#images .tile").first.get_by_role("button", name="Thread", exact=True).click()
    newest = page.locator("#images .tile").first.get_attribute("data-id")
    thread = api.call("GET", f"/images/{newest}/thread", token_of(page)).json()["images"]
    assert [image["prompt"] for image in thread[1:]] == ["make it night", "add a full moon"]
    assert [image["parentImageId"] for image in thread] == [None, thread[0]["id"], thread[1]["id"]]
    versions = page.locator("#versions .version")
    expect(versions).to_have_count(3)
    assert versions.evaluate_all("items => items.map(i => i.dataset.id)") == [image["id"] for image in thread]
    expect(versions.nth(2)).to_contain_text("add a full moon")
    expect(versions.nth(2)).to_contain_text("edit \u00b7 Nano Banana 2.1 \u00b7 1K \u00b7 3:2")

    compare = page.locator("#compare")
    expect(compare.locator("img")).to_have_count(2)
    expect(compare.locator("figure").first).to_contain_text("Before v2 \u00b7 make it night")
    expect(compare.locator("figure").last).to_contain_text("After v3 \u00b7 add a full moon")
    for picture in compare.locator("img").all():
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    versions.nth(1).get_by_role("button").click()
    expect(compare.locator("figure").first).to_contain_text("Before v1")
    page.screenshot(path=tmp_path / "thread.png", full_page=True)  # kept by pytest, to look at


def test_references_picked_from_the_gallery_are_sent_in_the_order_picked(page: Page, api: Api) -> None:
    email = new_email()
    session = api.sign_in(email)
    cat = uploaded(api, session, "a cat", (200, 120, 40))
    sofa = uploaded(api, session, "a sofa", (40, 90, 200))
    sign_in(page, api, email)

    tile(page, sofa["id"]).get_by_role("button", name="Use as reference").click()
    tile(page, cat["id"]).get_by_role("button", name="Use as reference").click()
    expect(tile(page, cat["id"]).get_by_role("button", name="Use as reference")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#generate-form .references")).to_contain_text("2 of at most 13 reference images")
    assert picked(page, "#generate-form") == [sofa["id"], cat["id"]]
    page.get_by_role("button", name="Remove reference a sofa").click()
    tile(page, sofa["id"]).get_by_role("button", name="Use as reference").click()
    assert picked(page, "#generate-form") == [cat["id"], sofa["id"]]

    page.fill("input[name=prompt]", "the cat from the first image on the sofa from the second")
    page.click("#generate-form button[type=submit]")
    expect(page.locator("#generate-status")).to_have_text("COMPLETED", timeout=GENERATED)

    newest = page.locator("#images .tile").first
    expect(newest).to_contain_text("2 references")
    made = image_of(api, session.token, newest.get_attribute("data-id") or "")
    assert made["referenceImageIds"] == [cat["id"], sofa["id"]]


def test_an_edit_takes_references_from_the_gallery_but_not_its_own_source(page: Page, api: Api) -> None:
    email = new_email()
    session = api.sign_in(email)
    room = uploaded(api, session, "a room", (90, 90, 90))
    lamp = uploaded(api, session, "a lamp", (250, 220, 60))
    sign_in(page, api, email)

    tile(page, room["id"]).get_by_role("button", name="Edit", exact=True).click()
    expect(page.locator("#reference-target")).to_have_text("the edit panel")
    expect(page.locator("#edit-form .references")).to_contain_text(
        "add up to 13"
    )  # as for a generation: the source is one of 14 inputs
    tile(page, room["id"]).get_by_role("button", name="Use as reference").click()
    expect(page.locator("#edit-status")).to_have_text("The image being edited is given to the model already.")
    tile(page, lamp["id"]).get_by_role("button", name="Use as reference").click()
    assert picked(page, "#edit-form") == [lamp["id"]]
    assert picked(page, "#generate-form") == []

    page.fill("#edit-form input[name=prompt]", "put the lamp from the second image in the room")
    page.click("#edit-form button[type=submit]")
    expect(page.locator("#edit-status")).to_contain_text("COMPLETED", timeout=GENERATED)

    made = image_of(api, session.token, page.locator("#images .tile").first.get_attribute("data-id") or "")
    assert (made["parentImageId"], made["referenceImageIds"]) == (room["id"], [lamp["id"]])
    page.click("#close-editor")
    expect(page.locator("#reference-target")).to_have_text("the generate form")


def test_a_refused_reference_is_named_next_to_the_form_and_nothing_is_charged(page: Page, api: Api) -> None:
    email = new_email()
    session = api.sign_in(email)
    gone = uploaded(api, session, "soon deleted", (10, 160, 60))
    sign_in(page, api, email)
    tile(page, gone["id"]).get_by_role("button", name="Use as reference").click()
    assert api.call("DELETE", f"/images/{gone['id']}", session.token).status_code == 204

    page.fill("input[name=prompt]", "a garden")
    page.click("#generate-form button[type=submit]")

    expect(page.locator("#generate-status")).to_have_text(
        "Could not generate: The request is not valid. "
        "referenceImageIds: A reference must be one of your own completed images."
    )
    expect(page.locator("#generate-form .reference.refused")).to_have_count(1)
    expect(page.locator("#error")).to_contain_text('"code": "VALIDATION_ERROR"')
    assert api.call("GET", "/users/me", session.token).json()["user"]["coins"] == 950
