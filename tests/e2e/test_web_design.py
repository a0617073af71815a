"""The page's look (issue 25): every view in the light and the dark theme, on a desktop and a phone,
kept as screenshots in test-artifacts/web/ (50-...); the theme follows the system unless the header's
switch chose, in every tab; a phone's first screen shows images."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests import images
from tests.e2e.conftest import ADMIN_EMAIL, Api, Session
from tests.e2e.test_web import (  # noqa: F401 (no_script_errors: autouse, each test ends without script errors)
    FINISHED,
    keep,
    no_script_errors,
    sign_in,
    tile,
    titled_upload,
)

DESKTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}
# The page's background, as the browser computes it: near white in light, near black in dark.
BACKGROUND = "getComputedStyle(document.documentElement).backgroundColor"


def luminance(page: Page) -> float:
    """The page background's lightness, 0 (black) to 1 (white)."""
    channels = page.evaluate(f"{BACKGROUND}.match(/[0-9.]+/g).slice(0, 3).map(Number)")
    return sum(channels) / (3 * 255)


@pytest.fixture
def gallery_of(api: Api) -> Iterator[Session]:
    """The admin (every view is theirs to see) with a few finished images of several shapes, one
    edited into a thread of two."""
    session = api.sign_in(ADMIN_EMAIL)
    me = api.call("GET", "/users/me", session.token).json()["user"]
    granted = api.call(
        "POST", f"/users/{me['id']}/coins", session.token, json={"amount": 300, "reason": "screenshots"}
    )
    assert granted.status_code == 200, granted.text
    shapes = [("a harbour at dawn", 640, 420), ("a tall window", 300, 480), ("a blue door", 400, 400)]
    made = [
        titled_upload(api, session, title, images.png(w, h, color=(40 * i, 90, 160)))
        for i, (title, w, h) in enumerate(shapes)
    ]
    edit = api.call(
        "POST", f"/images/{made[0]['id']}/edit", session.token, json={"prompt": "the harbour at night"}
    )
    assert edit.status_code == 202, edit.text
    yield session
    for image in api.call("GET", "/images?limit=100", session.token).json()["images"]:
        api.call("DELETE", f"/images/{image['id']}", session.token)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_every_view_in_each_theme_and_screen(
    page: Page, api: Api, gallery_of: Session, scheme: str, screen: str
) -> None:
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size(DESKTOP if screen == "desktop" else PHONE)
    name = f"{screen}-{scheme}"
    page.goto(api.stack.api_url + "/app/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert (luminance(page) > 0.8) if scheme == "light" else (luminance(page) < 0.15)
    keep(page, f"50-{name}-sign-in")

    sign_in(page, api, ADMIN_EMAIL)
    night = tile(page, "the harbour at night")
    expect(night.get_by_role("img")).to_be_visible(timeout=FINISHED)
    for title in ["a tall window", "a blue door"]:
        expect(tile(page, title).get_by_role("img")).to_be_visible()
    page.screenshot(path=f"test-artifacts/web/51-{name}-gallery-first-screen.png")
    if screen == "phone":  # the images begin on the first screen, not under the forms
        top = night.bounding_box()
        assert top is not None
        assert top["y"] < PHONE["height"] - 150, top
    night.hover()
    keep(page, f"52-{name}-gallery")

    night.get_by_role("button", name="Open the harbour at night").click()
    expect(
        page.get_by_role("dialog", name="the harbour at night").get_by_role(
            "img", name="the harbour at night"
        )
    ).to_be_visible()
    page.screenshot(path=f"test-artifacts/web/53-{name}-image.png")
    page.keyboard.press("Escape")

    views = page.get_by_role("navigation", name="Views")
    for view, shown in [
        ("Coins", page.get_by_role("region", name="Coin history").get_by_role("row").nth(1)),
        ("Buy coins", page.get_by_role("region", name="Buy coins").get_by_role("listitem").first),
        ("Admin", page.get_by_role("row", name=ADMIN_EMAIL)),
    ]:
        views.get_by_role("button", name=view, exact=True).click()
        if view == "Admin":  # among every user the other tests made: found by the start of the email
            page.get_by_label("Search by email").fill(ADMIN_EMAIL)
        expect(shown).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), view
        keep(page, f"54-{name}-{view.lower().replace(' ', '-')}")


def test_the_theme_switch_overrides_the_system_in_every_tab_and_is_kept(page: Page, api: Api) -> None:
    page.emulate_media(color_scheme="light")
    sign_in(page, api, ADMIN_EMAIL)
    switch = page.get_by_role("button", name="Theme: as the system (click for light)")
    assert luminance(page) > 0.8

    switch.click()  # light: as the system is here
    page.get_by_role("button", name="Theme: light (click for dark)").click()
    expect(page.get_by_role("button", name="Theme: dark (click to follow the system)")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert luminance(page) < 0.15
    keep(page, "55-switched-to-dark")

    other = page.context.new_page()
    other.emulate_media(color_scheme="light")
    other.goto(api.stack.api_url + "/app/")
    expect(other.locator("html")).to_have_attribute("data-theme", "dark")  # before any script of the app ran
    page.get_by_role("button", name="Theme: dark (click to follow the system)").click()
    expect(other.locator("html")).not_to_have_attribute("data-theme", "dark")  # followed at once
    expect(other.get_by_role("button", name="Theme: as the system (click for light)")).to_be_visible()
    other.close()

    page.reload()
    expect(page.get_by_role("button", name="Theme: as the system (click for light)")).to_be_visible()
    page.emulate_media(color_scheme="dark")
    assert luminance(page) < 0.15  # following the system again
