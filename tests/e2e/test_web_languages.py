"""The page in its user's language (issue 26): a Spanish browser's visitor reads Spanish from the
sign-in page on and becomes a Spanish user; the main journey in Spanish, with Spanish numbers and
dates (screenshots 70-...); the header's menu switches every word at once, without a reload, and the
profile keeps the choice for every device; an admin's change applies at the user's next page load."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests import images
from tests.e2e.conftest import ADMIN_EMAIL, Api
from tests.e2e.test_web import (  # noqa: F401 (no_script_errors: autouse, each test ends without script errors)
    FINISHED,
    as_deployed_with_google,
    keep,
    new_email,
    no_script_errors,
    sign_in,
    tile,
    titled_upload,
)


def mosaico(page: Page, name: str) -> Locator:
    """The tile of the image named ``name`` in the Spanish gallery (``tile`` of the English one)."""
    return page.get_by_role("region", name="Tus imágenes").get_by_role("listitem", name=name)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A browser whose language is Spanish (Mexico's, then Spain's, then English), as its person set it."""
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="es-MX")
    context.set_extra_http_headers({"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    yield context.new_page()
    context.close()


def iniciar_sesion(page: Page, api: Api, email: str) -> None:
    """Sign in on the Spanish page as a user who reads Spanish, as `sign_in` does on the English one."""
    page.goto(api.stack.api_url + "/app/")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Nombre", exact=True).fill("Ana")
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()


def language_of(api: Api, email: str) -> str:
    language: str = api.call("GET", "/users/me", api.sign_in(email).token).json()["user"]["language"]
    return language


def saved_as(api: Api, email: str, language: str) -> None:
    """The profile has `language` (saved as the page changed its words, or shortly after)."""
    for _ in range(50):
        if language_of(api, email) == language:
            return
        time.sleep(0.1)
    assert language_of(api, email) == language


def test_a_spanish_browser_reads_spanish_from_the_sign_in_page_and_its_new_user_is_spanish(
    page: Page, api: Api
) -> None:
    page.goto(api.stack.api_url + "/app/")
    expect(page.get_by_role("heading", name="imagegen")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("form", name="Iniciar sesión")).to_contain_text("Entorno local")
    expect(page.get_by_label("Idioma")).to_have_value("es")
    keep(page, "70-es-sign-in")

    email = new_email()
    iniciar_sesion(page, api, email)
    assert language_of(api, email) == "es"
    # Numbers as the reader's Spanish writes them: Mexico's groups thousands (Spain's, from 10000).
    expect(page.get_by_label("Monedas", exact=True)).to_have_text("1,000 monedas")


def test_the_main_journey_in_spanish(page: Page, api: Api) -> None:
    """Sign in, generate, upload, open, edit, an error, the coin history, in Spanish throughout."""
    email = new_email()
    iniciar_sesion(page, api, email)
    session = api.sign_in(email)

    form = page.get_by_role("form", name="Generar una imagen")
    form.get_by_label("Prompt").fill("un faro al atardecer")
    form.get_by_label("Variaciones").select_option("2")
    expect(form.get_by_text("saldo después: 800")).to_be_visible()
    form.get_by_role("button", name="Generar · 200 monedas").click()
    made = mosaico(page, "un faro al atardecer").first
    expect(made).to_have_attribute("data-status", "COMPLETED", timeout=FINISHED)
    expect(page.get_by_role("listitem", name="un faro al atardecer")).to_have_count(2)
    keep(page, "71-es-generated")

    page.get_by_label("Imágenes para subir").set_input_files(
        [{"name": "puerto.png", "mimeType": "image/png", "buffer": images.png(640, 480)}]
    )
    entry = page.get_by_role("region", name="Subir imágenes").get_by_role("listitem", name="puerto.png")
    expect(entry.locator(".verdict")).to_have_text("Lista", timeout=FINISHED)

    # The model refuses a prompt: its reason, and the coins back, in Spanish.
    form.get_by_label("Prompt").fill("something forbidden")
    form.get_by_label("Variaciones").select_option("1")
    form.get_by_role("button", name="Generar · 100 monedas").click()
    refused = mosaico(page, "something forbidden")
    expect(refused).to_have_attribute("data-status", "FAILED", timeout=FINISHED)
    expect(refused.locator(".error")).to_have_text(
        "El modelo no quiso dibujar este prompt; te devolvimos 100 monedas."
    )
    keep(page, "72-es-failed")

    mosaico(page, "puerto.png").get_by_role("button", name="Abrir puerto.png").click()
    detail = page.get_by_role("dialog")  # named after the image shown: the edit's, once it is followed
    expect(detail).to_have_accessible_name("puerto.png")
    expect(detail).to_contain_text("640 \u00d7 480 PNG")
    expect(detail).to_contain_text(re.compile(r"\((hace \d+ \w+|ahora)\)"))  # created: how long ago
    detail.get_by_label("Describe el cambio").fill("de noche")
    detail.get_by_role("button", name="Editar · 100 monedas").click()
    expect(detail).to_have_accessible_name("de noche")
    expect(detail.get_by_role("region", name="Versiones").get_by_role("listitem")).to_have_count(2)
    keep(page, "73-es-edit")
    detail.get_by_role("button", name="Cerrar", exact=True).click()

    # Out of coins: the refusal in Spanish words, with the amounts.
    admin = api.sign_in(ADMIN_EMAIL)
    balance = api.call("GET", "/users/me", session.token).json()["user"]["coins"]
    api.call(
        "POST",
        f"/users/{session.user['id']}/coins",
        admin.token,
        json={"amount": 50 - balance, "reason": "x"},
    )
    form.get_by_label("Prompt").fill("un puerto")
    form.get_by_role("button", name="Generar · 100 monedas").click()
    expect(form.get_by_role("alert")).to_contain_text(
        "No tienes monedas suficientes: esto cuesta 100 monedas y tienes 50 monedas."
    )
    keep(page, "74-es-out-of-coins")

    page.get_by_role("navigation", name="Secciones").get_by_role("button", name="Monedas", exact=True).click()
    history = page.get_by_role("region", name="Historial de monedas")
    expect(history.get_by_role("row").last).to_contain_text("Monedas de bienvenida")
    expect(history).to_contain_text("Devolución: la imagen falló")
    expect(history).to_contain_text("+1,000")
    keep(page, "75-es-coins")


@pytest.fixture
def spanish_admin(api: Api) -> Iterator[None]:
    """The admin (shared by every test of the stack) reads Spanish for one test, then English again."""
    admin = api.sign_in(ADMIN_EMAIL)
    assert api.call("PUT", "/users/me", admin.token, json={"language": "es"}).status_code == 200
    yield
    assert api.call("PUT", "/users/me", admin.token, json={"language": "en"}).status_code == 200


@pytest.mark.usefixtures("spanish_admin")
def test_an_admin_works_in_spanish_and_sets_a_users_language_for_their_next_page_load(
    page: Page, api: Api, browser: Browser
) -> None:
    other = api.sign_in(new_email())
    iniciar_sesion(page, api, ADMIN_EMAIL)
    page.get_by_role("navigation", name="Secciones").get_by_role("button", name="Admin").click()
    users = page.get_by_role("region", name="Usuarios")
    users.get_by_label("Buscar por correo").fill(other.user["email"])
    users.get_by_role("button", name=f"Gestionar a {other.user['email']}").click()
    manage = users.get_by_role("group", name=f"Gestionar a {other.user['email']}")
    manage.get_by_label("Monedas que dar (en negativo: que quitar)").fill("1")
    manage.get_by_label("Motivo").fill("bienvenida")
    manage.get_by_role("button", name="Dar monedas").click()
    expect(manage.get_by_role("group", name="Confirmar las monedas")).to_contain_text("¿Dar 1 moneda a")
    manage.get_by_role("button", name="Sí, dársela").click()
    expect(manage.get_by_role("status")).to_contain_text("tiene 1,001 monedas")

    # The user, English so far, reads English until the admin makes them Spanish; then Spanish.
    english = browser.new_context(viewport={"width": 1100, "height": 800}, locale="en-US").new_page()
    sign_in(english, api, other.user["email"])
    manage.get_by_label("Idioma", exact=True).select_option("es")
    expect(manage.get_by_role("status")).to_contain_text("verá el producto en Español")
    assert language_of(api, other.user["email"]) == "es"
    keep(page, "76-es-admin")
    english.reload()
    expect(english.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    expect(english.locator("html")).to_have_attribute("lang", "es")
    english.context.close()


def test_the_header_switches_every_word_at_once_without_a_reload_and_the_profile_keeps_it(
    page: Page, api: Api, browser: Browser
) -> None:
    email = new_email()
    session = api.sign_in(email)
    titled_upload(api, session, "a harbour", images.png(300, 200))
    assert language_of(api, email) == "en"  # made from a client that asked for no language
    page.goto(api.stack.api_url + "/app/")  # the browser's Spanish, until the user is known
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_role("button", name="Iniciar sesión").click()
    # A returning user: the profile's language, not the browser's.
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Your images")).to_be_visible()
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    page.get_by_label("Language").select_option("es")
    expect(page.get_by_role("heading", name="Tus imágenes")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("button", name="Generar · 100 monedas")).to_be_visible()
    expect(mosaico(page, "a harbour").locator(".meta")).to_have_text("Lista \u00b7 Subida")
    assert page.evaluate("window.sameDocument") is True
    saved_as(api, email, "es")
    keep(page, "77-es-switched")

    # Another device, whose browser is English, signs in to Spanish: the profile's choice.
    other = browser.new_context(viewport={"width": 1100, "height": 800}, locale="en-US").new_page()
    other.goto(api.stack.api_url + "/app/")
    expect(other.get_by_role("button", name="Sign in")).to_be_visible()
    other.get_by_label("Email").fill(email)
    other.get_by_role("button", name="Sign in").click()
    expect(other.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    expect(other.locator("html")).to_have_attribute("lang", "es")

    # Back to English here: every word at once, and signed out, the browser's language again.
    page.get_by_label("Idioma").select_option("en")
    expect(page.get_by_role("heading", name="Your images")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Iniciar sesión")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    other.context.close()


def test_googles_button_speaks_the_pages_language_and_changes_with_it(page: Page, api: Api) -> None:
    as_deployed_with_google(page, api)
    page.goto(api.stack.api_url + "/app/")
    expect(page.get_by_role("button", name="Iniciar sesión con Google")).to_be_visible()
    keep(page, "78-es-google")

    page.get_by_label("Idioma").select_option("en")
    expect(page.get_by_role("button", name="Sign in with Google")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
