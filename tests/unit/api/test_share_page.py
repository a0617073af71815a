"""The page of a share link: its preview tags in the HTML itself, every user's string escaped, no script
allowed, its words in the visitor's language, and one 404 page for every link that does not open."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from imagegen.api.share_page import (
    HTML,
    STYLE_SOURCE,
    PageImage,
    busy_page,
    missing_page,
    shared_page,
)
from imagegen.api.share_page_words import WORDS, page_words
from imagegen.models.users import Languages

HOSTILE = "\"><script>alert(1)</script><img src=x onerror=alert(2)>'&"
IMAGE_URL = "https://bucket.s3.amazonaws.com/images/ada/IMG1.png?X-Amz-Expires=3600&X-Amz-Signature=abc"


class Page(HTMLParser):
    """What a crawler that runs no script reads of a page: its meta tags, elements and text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        name = attributes.get("property") or attributes.get("name")
        if tag == "meta" and name:
            self.meta[name] = attributes.get("content") or ""

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def elements(self, tag: str) -> list[dict[str, str | None]]:
        return [attributes for name, attributes in self.tags if name == tag]


def image(title: str = "A lighthouse", prompt: str | None = "a lighthouse at dusk") -> PageImage:
    return PageImage(
        title=title,
        image_url=IMAGE_URL,
        width=1376,
        height=768,
        prompt=prompt,
        link="https://site.example/s/TOKEN",
        site="https://site.example/",
    )


def body_of(response: object) -> str:
    body = getattr(response, "body")  # noqa: B009 - Powertools' Response keeps it as given
    assert isinstance(body, str)
    return body


def test_the_preview_tags_are_in_the_html_itself() -> None:
    response = shared_page(image(), WORDS["en"])

    page = Page(body_of(response))

    assert response.status_code == 200
    assert page.meta == {
        "og:type": "website",
        "og:site_name": "imagegen",
        "og:title": "A lighthouse",
        "og:description": "a lighthouse at dusk",
        "og:url": "https://site.example/s/TOKEN",
        "og:image": IMAGE_URL,
        "og:image:width": "1376",
        "og:image:height": "768",
        "og:image:alt": "A lighthouse",
        "twitter:card": "summary_large_image",
        "twitter:title": "A lighthouse",
        "twitter:description": "a lighthouse at dusk",
        "twitter:image": IMAGE_URL,
        "description": "a lighthouse at dusk",
        "robots": "noindex",
        "referrer": "no-referrer",
        "viewport": "width=device-width, initial-scale=1",
    }
    assert page.elements("img") == [
        {"src": IMAGE_URL, "width": "1376", "height": "768", "alt": "A lighthouse"}
    ]
    assert [link["href"] for link in page.elements("a")] == ["https://site.example/"]
    assert "Make your own" in page.text


def test_without_the_prompt_the_description_is_about_the_product_and_no_prompt_is_written() -> None:
    page = Page(body_of(shared_page(image(prompt=None), WORDS["en"])))

    assert page.meta["og:description"] == WORDS["en"].description
    assert "a lighthouse at dusk" not in "".join(page.text)
    assert not [element for element in page.elements("p") if element.get("class") == "prompt"]


def test_a_hostile_title_and_prompt_are_text_never_markup() -> None:
    html = body_of(shared_page(image(title=HOSTILE, prompt=HOSTILE), WORDS["en"]))
    page = Page(html)

    assert "<script" not in html
    assert "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")  # only as escaped text
    assert [tag for tag, _ in page.tags if tag in ("script", "iframe")] == []
    assert len(page.elements("img")) == 1  # the image, and no other
    assert page.meta["og:title"] == HOSTILE
    assert page.meta["og:description"] == HOSTILE
    assert HOSTILE in page.text


def test_no_script_may_run_and_the_one_style_is_allowed_by_its_hash() -> None:
    response = shared_page(image(), WORDS["en"])
    html = body_of(response)
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)

    policy = response.headers["Content-Security-Policy"]

    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" == STYLE_SOURCE
    assert policy == (
        "default-src 'none'; img-src https://bucket.s3.amazonaws.com; "
        f"style-src {STYLE_SOURCE}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    assert "script-src" not in policy
    assert (response.headers["X-Content-Type-Options"], response.headers["Referrer-Policy"]) == (
        "nosniff",
        "no-referrer",
    )
    assert response.content_type == HTML


def test_an_untitled_image_is_named_in_the_visitors_language() -> None:
    page = Page(body_of(shared_page(image(title="  "), WORDS["es"])))

    assert page.meta["og:title"] == "Sin título"
    assert page.elements("html") == [{"lang": "es"}]
    assert "Crea la tuya" in page.text


def test_every_link_that_does_not_open_gets_one_404_page() -> None:
    first, second = missing_page(WORDS["en"]), missing_page(WORDS["en"])

    assert (first.status_code, body_of(first)) == (404, body_of(second))
    assert "og:image" not in body_of(first)
    assert "img-src" not in first.headers["Content-Security-Policy"]


def test_past_the_limit_a_429_page_says_when_to_come_back() -> None:
    response = busy_page(WORDS["en"], 42)

    assert (response.status_code, response.headers["Retry-After"]) == (429, "42")
    assert "Too many requests" in Page(body_of(response)).text


@pytest.mark.parametrize(
    ("accept_language", "code"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("fr-FR,fr;q=0.9", "en"),
        (None, "en"),
        ("en;q=0.5,es;q=0.6", "es"),
    ],
)
def test_the_words_are_the_visitors_best_match_among_the_languages(
    accept_language: str | None, code: str
) -> None:
    assert page_words(accept_language, Languages(("en", "es"))).code == code


def test_a_language_without_words_is_shown_the_first_that_has_them() -> None:
    assert page_words("fr", Languages(("fr", "es"))).code == "es"
    assert page_words("fr", Languages(("fr",))).code == "en"


def test_every_language_has_every_word() -> None:
    for words in WORDS.values():
        assert all(isinstance(value, str) and value.strip() for value in vars_of(words).values())


def vars_of(words: object) -> dict[str, object]:
    return {name: getattr(words, name) for name in words.__slots__}  # type: ignore[attr-defined]
