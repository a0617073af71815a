"""The API reference page (web/docs.html, deployed with the front end; /docs locally), rendered in a
real browser from the document the API serves, under the site's content security policy."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api


def test_the_reference_page_shows_every_route_and_object(page: Page, api: Api) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(error.message))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    document = api.call("GET", "/openapi.json").json()

    page.goto(api.stack.api_url + "/docs")

    routes = page.locator("#operations details")
    expect(routes).to_have_count(sum(len(item) for item in document["paths"].values()))
    generate = page.locator("details#generate")
    generate.locator("summary").click()
    expect(generate).to_contain_text("idempotency-key")
    expect(generate).to_contain_text("INSUFFICIENT_COINS")
    expect(generate.get_by_role("row", name="prompt")).to_contain_text("2000 chars")  # the body, inline
    expect(generate.get_by_role("link", name="GenerationAccepted")).to_be_visible()
    expect(page.locator("#schema-ImageView")).to_contain_text("storageUrl")
    expect(page.get_by_role("alert")).to_have_text("")
    expect(page.get_by_role("link", name=f"{api.stack.api_url}/api/v1/openapi.json")).to_be_visible()
    assert errors == []
    assert all(url.startswith(api.stack.api_url) for url in requests), requests  # nothing from elsewhere
