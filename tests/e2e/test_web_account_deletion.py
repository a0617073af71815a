"""Deleting one's account from the account view (issue 27): what happens is said in words, the button
waits for the account's email, and once deleted the page signs out and the sign-in page says so. An
admin deletes a user from the Manage panel, after a confirmation. Screenshots 98-99."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, Api
from tests.e2e.test_account_deletion import signed_up_again
from tests.e2e.test_web import (  # noqa: F401 (no_script_errors: autouse, each test ends without script errors)
    keep,
    new_email,
    no_script_errors,
    sign_in,
)


def test_the_account_view_deletes_the_account_once_its_email_is_typed(page: Page, api: Api) -> None:
    email = new_email()
    sign_in(page, api, email)
    other_device = api.sign_in(email)
    page.get_by_role("navigation", name="Views").get_by_role("button", name="Account").click()
    deletion = page.get_by_role("region", name="Delete my account")
    expect(deletion).to_contain_text("Your images, their thumbnails, your edit history, your share links")
    expect(deletion).to_contain_text(
        "Payments you made are kept, as the law asks, but without your name or email."
    )
    expect(deletion).to_contain_text("without welcome coins")
    button = deletion.get_by_role("button", name="Delete my account")
    expect(button).to_be_disabled()

    deletion.get_by_label(f"To confirm, type your email ({email})").fill("someone@example.com")
    expect(button).to_be_disabled()
    deletion.get_by_label(f"To confirm, type your email ({email})").fill(email.upper())
    expect(button).to_be_enabled()
    keep(page, "98-delete-account")
    button.click()

    expect(page.get_by_role("status")).to_have_text(
        "Your account was deleted. You can sign up again at any time, as a new account without welcome coins."
    )
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert api.of(other_device).my_profile().status_code == 401  # every session, at once
    assert signed_up_again(api, email)["user"]["coins"] == 0  # type: ignore[index]


def test_an_admin_deletes_a_user_from_the_manage_panel_after_confirming(page: Page, api: Api) -> None:
    doomed = api.sign_in(new_email())
    sign_in(page, api, ADMIN_EMAIL)
    page.get_by_role("navigation", name="Views").get_by_role("button", name="Admin").click()
    page.get_by_label("Search by email").fill(doomed.user["email"])
    page.get_by_role("button", name=f"Manage {doomed.user['email']}").click()
    panel = page.get_by_role("group", name=f"Manage {doomed.user['email']}")

    panel.get_by_role("button", name="Delete user").click()
    confirmation = panel.get_by_role("group", name="Confirm the deletion")
    expect(confirmation).to_contain_text(f"Delete {doomed.user['email']} for good?")
    keep(page, "99-admin-delete-user")
    confirmation.get_by_role("button", name="Yes, delete").click()

    expect(panel.get_by_role("status")).to_contain_text(f"Deleting {doomed.user['email']}")
    expect(panel).to_contain_text("Account: Being deleted")
    assert api.of(doomed).my_profile().status_code == 401
