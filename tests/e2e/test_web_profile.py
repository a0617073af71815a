"""The user's account view (issue 27): reached from the header, its address kept; the name changed
there is the profile's, everywhere it is shown. Screenshots 95-..."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api
from tests.e2e.test_web import (  # noqa: F401 (no_script_errors: autouse, each test ends without script errors)
    keep,
    new_email,
    no_script_errors,
    sign_in,
)


def test_the_account_view_changes_the_users_name(page: Page, api: Api) -> None:
    email = new_email()
    sign_in(page, api, email)
    page.get_by_role("navigation", name="Views").get_by_role("button", name="Account").click()
    expect(page).to_have_url(f"{api.stack.api_url}/app/#profile")
    account = page.get_by_role("region", name="Your account")
    expect(account).to_contain_text(f"Signed in as {email}.")

    names = account.get_by_role("form", name="Your name")
    expect(names.get_by_label("First name")).to_have_value("Ada")
    names.get_by_label("Last name").fill("Lovelace")
    names.get_by_role("button", name="Save").click()
    expect(names.get_by_role("status")).to_have_text("Saved")
    keep(page, "95-account")

    assert api.call("GET", "/users/me", api.sign_in(email).token).json()["user"]["lastName"] == "Lovelace"
    page.reload()  # the same place
    expect(page.get_by_role("region", name="Your account")).to_be_visible()
