"""The public page of a share link (``GET /s/{token}``): HTML written whole by the server, because the
apps and sites that preview a link (chat apps, social sites) read its Open Graph and Twitter card tags
from the HTML they fetch and run no script.

The page has no script at all, and says so in its content security policy: nothing but the image
(from its own origin) and the one inline style (allowed by its hash) may load. Every string a user
wrote (the title, the prompt) is escaped for HTML text and attributes alike, quotes included.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from html import escape
from http import HTTPStatus
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import Response

from imagegen.api.share_page_words import PageWords

HTML = "text/html; charset=utf-8"
# How long the page's image URL (og:image) is valid: an app fetches a preview's image some time after
# the page, and keeps it; the JSON view's short URL could be gone by then.
PAGE_IMAGE_URL_SECONDS = 3600

_STYLE = (
    ":root{color-scheme:light dark;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "color:light-dark(#19181d,#f1efe9);background:light-dark(#f4f3ef,#0f0f12)}"
    "body{margin:0}"
    "main{max-width:960px;margin:0 auto;padding:1.5rem 1rem 3rem}"
    "header{margin:0 0 1rem;font-weight:650;letter-spacing:-.01em}"
    "figure{margin:0 0 1rem;border-radius:14px;overflow:hidden;background:light-dark(#eae8e2,#25252c);"
    "box-shadow:0 1px 2px rgb(0 0 0/.06),0 8px 28px light-dark(rgb(0 0 0/.08),rgb(0 0 0/.45))}"
    "img{display:block;width:100%;height:auto}"
    "h1{font-size:1.5rem;line-height:1.25;margin:0 0 .5rem;overflow-wrap:anywhere}"
    ".prompt{margin:0 0 1rem;color:light-dark(#66636c,#a29fa9);white-space:pre-wrap;overflow-wrap:anywhere}"
    ".prompt b{color:light-dark(#19181d,#f1efe9);font-weight:600}"
    "a.make{display:inline-block;margin-top:.5rem;padding:.6rem 1.1rem;border-radius:10px;"
    "background:#ffc62e;color:#1d1500;font-weight:650;text-decoration:none}"
    "a.make:hover{background:#ffd34f}"
)
# The inline style, allowed by its hash: a page with no script could take 'unsafe-inline' for styles
# without much harm, but the hash costs nothing and keeps an injected <style> from restyling the page.
STYLE_SOURCE = f"'sha256-{base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()}'"


@dataclass(frozen=True, slots=True)
class PageImage:
    """What the page shows of a shared image: its words as its owner wrote them (escaped here)."""

    title: str
    image_url: str
    width: int
    height: int
    prompt: str | None
    """Shown only when its owner chose to: None otherwise."""
    link: str
    """The page's own address (``og:url``)."""
    site: str
    """The front end, where a visitor makes their own."""


def shared_page(image: PageImage, words: PageWords) -> Response[str]:
    """200: the page of a shared image, with its preview tags."""
    title = image.title.strip() or words.untitled
    description = image.prompt or words.description
    tags = [
        ("property", "og:type", "website"),
        ("property", "og:site_name", words.product),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("property", "og:url", image.link),
        ("property", "og:image", image.image_url),
        ("property", "og:image:width", str(image.width)),
        ("property", "og:image:height", str(image.height)),
        ("property", "og:image:alt", title),
        ("name", "twitter:card", "summary_large_image"),
        ("name", "twitter:title", title),
        ("name", "twitter:description", description),
        ("name", "twitter:image", image.image_url),
        ("name", "description", description),
    ]
    head = "".join(f'<meta {kind}="{name}" content="{escape(value)}">' for kind, name, value in tags)
    prompt = (
        f'<p class="prompt"><b>{escape(words.prompt)}:</b> {escape(image.prompt)}</p>' if image.prompt else ""
    )
    body = (
        f"<header>{escape(words.product)}</header>"
        f'<figure><img src="{escape(image.image_url)}" width="{image.width}" height="{image.height}"'
        f' alt="{escape(title)}"></figure>'
        f"<h1>{escape(title)}</h1>{prompt}"
        f'<a class="make" href="{escape(image.site)}">{escape(words.make_your_own)}</a>'
    )
    policy = _policy(img_src=_origin(image.image_url))
    return _page(HTTPStatus.OK, words, f"{title} · {words.product}", head, body, policy)


def missing_page(words: PageWords) -> Response[str]:
    """404: the one page every link that does not open answers (the same bytes, whatever is wrong)."""
    body = f"<h1>{escape(words.missing_title)}</h1><p>{escape(words.missing_text)}</p>"
    return _page(HTTPStatus.NOT_FOUND, words, words.missing_title, "", body, _policy())


def busy_page(words: PageWords, retry_after: int) -> Response[str]:
    """429: the client address opened too many shared images; ``Retry-After`` says when to try again."""
    body = f"<h1>{escape(words.busy_title)}</h1><p>{escape(words.busy_text)}</p>"
    page = _page(HTTPStatus.TOO_MANY_REQUESTS, words, words.busy_title, "", body, _policy())
    page.headers["Retry-After"] = str(retry_after)
    return page


def _page(
    status: HTTPStatus, words: PageWords, title: str, head: str, body: str, policy: str
) -> Response[str]:
    html = (
        f'<!doctype html><html lang="{escape(words.code)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # A private link: no search engine lists it, and no site it links to learns its token.
        '<meta name="robots" content="noindex"><meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title>{head}<style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return Response(
        status_code=status.value,
        content_type=HTML,
        body=html,
        headers={
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
        },
    )


def _policy(img_src: str | None = None) -> str:
    """The page's content security policy: no script, nothing to load but the image and the style."""
    directives = [
        "default-src 'none'",
        *([f"img-src {img_src}"] if img_src else []),
        f"style-src {STYLE_SOURCE}",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def _origin(url: str) -> str:
    """The origin of ``url`` (``https://bucket.s3.amazonaws.com``): where the image alone may come from."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
