"""Share links of images: the request that makes one, the stored link, and what its owner and its
readers are shown."""

import re
from datetime import datetime, timedelta

from pydantic import ConfigDict, Field, field_validator

from imagegen.ids import iso
from imagegen.models.base import CamelModel, RequestModel

MAX_SHARE_DAYS = 365
_SITE = re.compile(r"^https?://[^/\s?#]+(/[^\s?#]*)?$")


def site_root(text: str) -> str:
    """The site share links are pages of (``https://host[/path]``), ending with ``/``; ``ValueError``
    says what is wrong with any other text."""
    site = text.strip()
    if not _SITE.fullmatch(site):
        raise ValueError(f"the site's address must be http(s)://host[/path], not {site!r}")
    return site if site.endswith("/") else f"{site}/"


class SharedPages(CamelModel):
    """Where share links' pages are, as ops configure them (an SSM parameter, JSON): the site whose
    ``/s/{token}`` they are (``siteUrl``, its root), and the bucket their images are signed from
    (``imagesBucket``). Read at run time, not given by the template: the function that writes the pages
    is an origin of the site's distribution, which the bucket's CORS names, so a reference to either
    would close a cycle CloudFormation refuses."""

    site_url: str
    images_bucket: str = Field(min_length=3, max_length=63)

    @field_validator("site_url")
    @classmethod
    def _root(cls, site_url: str) -> str:
        return site_root(site_url)

    @classmethod
    def parse(cls, text: str) -> "SharedPages":
        """The configuration in ``text``; ``ValueError`` (pydantic's) says what is wrong with it."""
        return cls.model_validate_json(text)


class ShareRequest(RequestModel):
    """``POST /images/{id}/share``: how long the link lives, and whether its readers see the prompt."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"expiresInDays": 7, "showPrompt": True}, {"expiresInDays": None}]}
    )

    expires_in_days: int | None = Field(
        default=None, ge=1, le=MAX_SHARE_DAYS, description="days the link lives; null: it never expires"
    )
    show_prompt: bool = Field(default=False, description="whether those who open the link see the prompt")


class Share(CamelModel):
    """An image's share link as stored: what the token is derived from, and the hash it is found by.

    The token itself is never stored: ``nonce`` (128 random bits) derives it with the service's key,
    and ``token_hash`` (its SHA-256) is what a presented token is looked up by."""

    user_id: str
    image_id: str
    nonce: str
    token_hash: str
    show_prompt: bool
    expires_at: str | None = None
    """When the link stops working (ISO 8601 UTC); None: never."""
    views: int = 0
    created_at: str

    def active_at(self, now: datetime) -> bool:
        """Whether the link still works at ``now``."""
        return self.expires_at is None or iso(now) < self.expires_at


def expiry(now: datetime, days: int | None) -> str | None:
    """When a link made at ``now`` for ``days`` days expires (None: never)."""
    return None if days is None else iso(now + timedelta(days=days))


class ShareView(CamelModel):
    """An image's share link, as its owner sees it: the link to give out, and how often it was opened."""

    url: str = Field(description="the page anyone may open: the site's /s/{token}")
    token: str
    expires_at: str | None = Field(description="when the link stops working; null: never")
    show_prompt: bool
    views: int
    created_at: str


class SharedImage(CamelModel):
    """A shared image, as anyone holding its link sees it."""

    title: str
    image_url: str = Field(description="a short-lived presigned GET URL of the image")
    width: int
    height: int
    prompt: str | None = Field(description="the prompt, when its owner chose to show it; else null")
