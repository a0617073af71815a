"""The page's words are its translation files' (web/locales/<code>.json, one per configured language):
each file has the same messages with the same placeholders, every message the page asks for exists,
every code the API may answer has its own message, and no template writes words of its own."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from imagegen.models.images import ImageFailure
from imagegen.models.users import Languages
from stacktools.template import ROOT, TEMPLATE_PATH, load_template

WEB = ROOT / "web"
LOCALES = WEB / "locales"
LANGUAGES = list(
    Languages.parse(str(load_template(TEMPLATE_PATH)["Parameters"]["Languages"]["Default"])).codes
)
DOCUMENT = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))


def flat(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Every message of a translation file by its dotted key."""
    found: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            found.update(flat(value, f"{prefix}{key}."))
        else:
            assert isinstance(value, str), f"{prefix}{key} is not a message"
            found[f"{prefix}{key}"] = value
    return found


MESSAGES = {
    code: flat(json.loads((LOCALES / f"{code}.json").read_text(encoding="utf-8"))) for code in LANGUAGES
}
FALLBACK = MESSAGES[LANGUAGES[0]]


def placeholders(message: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", message))


def test_there_is_one_file_for_each_configured_language_and_no_other() -> None:
    assert LANGUAGES == ["en", "es"]
    assert sorted(path.stem for path in LOCALES.glob("*.json")) == sorted(LANGUAGES)


@pytest.mark.parametrize("code", LANGUAGES[1:])
def test_every_language_has_exactly_the_fallbacks_messages(code: str) -> None:
    assert sorted(set(MESSAGES[code]) - set(FALLBACK)) == []
    assert sorted(set(FALLBACK) - set(MESSAGES[code])) == []


@pytest.mark.parametrize("code", LANGUAGES[1:])
def test_a_translation_has_the_same_placeholders_and_plural_forms(code: str) -> None:
    differ = {
        key: (FALLBACK[key], message)
        for key, message in MESSAGES[code].items()
        if placeholders(message) != placeholders(FALLBACK[key])
        or message.count(" | ") != FALLBACK[key].count(" | ")
    }
    assert differ == {}


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_message_is_one_vue_i18n_reads_as_written(code: str) -> None:
    """vue-i18n reads `{name}` as a placeholder, `|` between plural forms and `@` as a link to
    another message: a message uses braces for placeholders alone, and no `@`."""
    wrong = {
        key: message
        for key, message in MESSAGES[code].items()
        if "@" in message
        or not message.strip()
        or re.sub(r"\{\w+\}", "", message).count("{") + re.sub(r"\{\w+\}", "", message).count("}")
        or "|" in message.replace(" | ", "")
    }
    assert wrong == {}


def page_sources() -> list[Path]:
    return sorted(
        path
        for pattern in ("*.js", "*.template.html")
        for path in WEB.rglob(pattern)
        if WEB / "vendor" not in path.parents and not path.name.endswith(".render.js")
    )


# A message asked for by a literal key: $t("gallery.heading"), t('common.coins', ...), keypath="upload.drop".
ASKED = re.compile(
    r"(?:\$t|\bt)\(\s*[\"']([\w.]+)[\"']"  # $t("gallery.heading"), t('common.coins', ...)
    r'|keypath="([\w.]+)"'  # <i18n-t keypath="upload.drop">
)


def asked_for() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in page_sources():
        text = path.read_text(encoding="utf-8")
        for match in ASKED.finditer(text):
            for key in filter(None, match.groups()):
                found.setdefault(key, set()).add(path.relative_to(ROOT).as_posix())
    # Conditional keys written inside a call: t(x ? "a.b" : "c.d"), $t(loading ? "..." : "...").
    for path in page_sources():
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"""(?:\$t|\bt)\(([^()]*?\?\s*["'][\w.]+["']\s*:\s*["'][\w.]+["'])""", text):
            for key in re.findall(r"""["']([a-zA-Z]+\.[\w.]+)["']""", call.group(1)):
                found.setdefault(key, set()).add(path.relative_to(ROOT).as_posix())
    return found


ASKED_FOR = asked_for()


def test_the_page_asks_for_its_messages_by_key() -> None:
    assert len(ASKED_FOR) > 150
    assert {"gallery.heading", "common.coins", "upload.drop", "create.submitPriced"} <= set(ASKED_FOR)


def test_every_message_the_page_asks_for_exists() -> None:
    """A key asked for whole is a message; one ending in a dot is the start of keys completed at run
    time (shell.theme. + the theme), checked where their values are (below)."""
    missing = {
        key: files
        for key, files in ASKED_FOR.items()
        if (
            key not in FALLBACK
            if not key.endswith(".")
            else not any(each.startswith(key) for each in FALLBACK)
        )
    }
    assert missing == {}


def schema_enum(name: str) -> list[str]:
    return list(DOCUMENT["components"]["schemas"][name]["enum"])


def error_codes() -> set[str]:
    codes: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            codes.update(node.get("x-error-codes", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(DOCUMENT)
    return codes


def test_every_error_code_of_the_api_has_its_own_message() -> None:
    codes = error_codes()
    assert {"INSUFFICIENT_COINS", "VALIDATION_ERROR", "RATE_LIMITED", "NOT_FOUND"} <= codes
    assert sorted(code for code in codes if f"errors.{code}" not in FALLBACK) == []


def test_every_reason_an_image_fails_has_its_own_message() -> None:
    reasons = [reason.value for reason in ImageFailure]
    assert reasons == schema_enum("ImageFailure")
    assert [reason for reason in reasons if f"image.failure.{reason}" not in FALLBACK] == []


def test_every_status_of_an_image_and_an_order_has_its_words() -> None:
    image_statuses = {"PENDING", "PROCESSING", "COMPLETED", "FAILED"}
    for kind in ("GENERATED", "UPLOADED"):
        assert {
            key.rsplit(".", 1)[1] for key in FALLBACK if key.startswith(f"image.status.{kind}.")
        } == image_statuses
    assert {key for key in FALLBACK if key.startswith("shell.theme.")} == {
        f"shell.theme.{theme}"
        for theme in ("system", "light", "dark")  # theme.js's choices
    }
    order_statuses = set(schema_enum("OrderStatus"))
    assert {key.rsplit(".", 1)[1] for key in FALLBACK if key.startswith("orders.status.")} == order_statuses
    user_statuses = set(schema_enum("UserStatus"))
    assert {key.rsplit(".", 1)[1] for key in FALLBACK if key.startswith("admin.status.")} == user_statuses


# ------------------------------------------------------------------------------ templates


class TemplateText(HTMLParser):
    """The words a template writes itself: its text outside {{ }} and its static attributes a
    person reads (aria-label, title, placeholder, alt)."""

    READ = {"aria-label", "title", "placeholder", "alt", "label"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def feed(self, data: str) -> None:
        # An expression's `<` is no tag: the interpolations go before the markup is read.
        super().feed(re.sub(r"\{\{.*?\}\}", " ", data, flags=re.DOTALL))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [
            f'{name}="{value}"' for name, value in attrs if name in self.READ and value and words(value)
        ]

    def handle_data(self, data: str) -> None:
        if words(data):
            self.found.append(data.strip())


def words(text: str) -> bool:
    """Whether text holds a word (letters): punctuation and symbols (a cross, an arrow, a dot) are
    no language's."""
    return re.search(r"[^\W\d_]{2,}", text) is not None


TEMPLATES = sorted(WEB.rglob("*.template.html"))


def test_the_templates_are_read() -> None:
    assert len(TEMPLATES) >= 13


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_a_template_writes_no_words_of_its_own(path: Path) -> None:
    parser = TemplateText()
    parser.feed(path.read_text(encoding="utf-8"))

    assert parser.found == []


def test_the_check_finds_words_written_in_a_template() -> None:
    parser = TemplateText()
    parser.feed(
        '<p>{{ $t("a.b") }} Load more</p><button aria-label="Close">\u00d7</button><span>{{ n }} · </span>'
    )

    assert parser.found == ["Load more", 'aria-label="Close"']
