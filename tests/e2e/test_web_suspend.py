"""An admin suspends and restores a user (issue 27, item 4), in real browsers: the admin in one, the
user in another. The user's page meets the suspension at its next call and returns to the sign-in page
saying why; signing in is refused saying so; once restored, the user signs in again. Screenshots 80-...
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, Api
from tests.e2e.test_web import (  # noqa: F401 (no_script_errors: autouse, each test ends without script errors)
    keep,
    new_email,
    no_script_errors,
    sign_in,
)

SUSPENDED = (
    "Your account is suspended, so you were signed out. You can sign in again once an admin restores it."
)


@pytest.fixture
def admin_page(browser: Browser, api: Api) -> Iterator[Page]:
    """The admin, signed in in a browser of their own."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    sign_in(page, api, ADMIN_EMAIL)
    yield page
    context.close()


def manage(admin_page: Page, email: str) -> Locator:
    """The admin's Manage panel for the user of ``email``, found by searching."""
    admin_page.get_by_role("navigation", name="Views").get_by_role("button", name="Admin").click()
    users = admin_page.get_by_role("region", name="Users")
    users.get_by_label("Search by email").fill(email)
    users.get_by_role("button", name=f"Manage {email}").click()
    return users.get_by_role("group", name=f"Manage {email}")


def test_a_suspended_user_returns_to_sign_in_saying_why_and_signs_in_again_once_restored(
    page: Page, admin_page: Page, api: Api
) -> None:
    email = new_email()
    sign_in(page, api, email)
    expect(page.get_by_text("Nothing here yet.")).to_be_visible()

    panel = manage(admin_page, email)
    expect(panel).to_contain_text("Account: Active")
    panel.get_by_role("button", name="Suspend").click()
    confirm = panel.get_by_role("group", name="Confirm the suspension")
    expect(confirm).to_contain_text(
        f"Suspend {email}? Their sessions end at once and they cannot sign in until restored; "
        "work already queued still finishes."
    )
    keep(admin_page, "80-admin-suspend-confirm")
    confirm.get_by_role("button", name="Yes, suspend").click()
    expect(panel.get_by_role("status")).to_have_text(f"Suspended {email}: their sessions have ended.")
    expect(panel).to_contain_text("Account: Suspended")
    expect(panel.get_by_role("button", name="Restore")).to_be_visible()
    row = admin_page.get_by_role("region", name="Users").get_by_role("row", name=email)
    expect(row.get_by_role("cell").first).to_have_text(f"{email}Suspended")
    keep(admin_page, "81-admin-suspended")

    # The user's next call meets the suspension: the sign-in page, saying why.
    page.get_by_role("navigation", name="Views").get_by_role("button", name="Coins", exact=True).click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(SUSPENDED)
    assert page.evaluate("localStorage.getItem('imagegen.session')") is None
    keep(page, "82-suspended-signed-out")

    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("This account is suspended.")  # the API's words
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    keep(page, "83-suspended-sign-in-refused")

    panel.get_by_role("button", name="Restore").click()
    expect(panel.get_by_role("status")).to_have_text(f"Restored {email}: they can sign in again.")
    expect(panel).to_contain_text("Account: Active")
    expect(row.get_by_role("cell").first).to_have_text(email)
    keep(admin_page, "84-admin-restored")

    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_label("Coins", exact=True)).to_have_text("1,000 coins")
    keep(page, "85-restored-signed-in")


def test_an_admin_is_offered_no_suspension_of_themselves(admin_page: Page) -> None:
    panel = manage(admin_page, ADMIN_EMAIL)

    expect(panel).to_contain_text("Account: Active")
    expect(panel.get_by_role("button", name="Suspend")).to_have_count(0)
    expect(panel.get_by_role("button", name="Restore")).to_have_count(0)


@pytest.fixture
def spanish_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="es-MX")
    context.set_extra_http_headers({"Accept-Language": "es-MX,es;q=0.9"})
    yield context.new_page()
    context.close()


def test_a_spanish_reader_whose_token_is_refreshed_into_the_suspension_reads_why_in_spanish(
    spanish_page: Page, api: Api
) -> None:
    page, email = spanish_page, new_email()
    page.goto(api.stack.api_url + "/app/")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    user_id = page.evaluate("JSON.parse(localStorage.getItem('imagegen.session')).userId")
    admin = api.sign_in(ADMIN_EMAIL)
    assert api.call("PUT", f"/users/{user_id}", admin.token, json={"status": "SUSPENDED"}).status_code == 200
    # The access token has run out: the page refreshes it first, and the refresh meets the suspension.
    page.evaluate(
        "localStorage.setItem('imagegen.session', JSON.stringify("
        "{...JSON.parse(localStorage.getItem('imagegen.session')), expiresAt: 0}))"
    )

    page.reload()

    expect(page.get_by_role("button", name="Iniciar sesión")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        "Tu cuenta está suspendida, así que se cerró tu sesión. "
        "Podrás volver a iniciarla cuando un administrador la restablezca."
    )
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Tu cuenta está suspendida: no puedes iniciar sesión hasta que un administrador la restablezca."
    )
    keep(page, "86-es-suspended-sign-in-refused")
