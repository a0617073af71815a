"""A share link's request, its expiry, and the site its pages are on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from imagegen.models.shares import Share, ShareRequest, expiry, site_root

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_a_request_takes_1_to_365_days_or_none_and_hides_the_prompt_by_default() -> None:
    empty = ShareRequest.model_validate({})
    assert (empty.expires_in_days, empty.show_prompt) == (None, False)
    assert ShareRequest.model_validate({"expiresInDays": 365, "showPrompt": True}).expires_in_days == 365
    assert ShareRequest.model_validate({"expiresInDays": None}).expires_in_days is None


@pytest.mark.parametrize(
    "body",
    [
        {"expiresInDays": 0},
        {"expiresInDays": 366},
        {"expiresInDays": 1.5},
        {"expiresInDays": "7"},
        {"showPrompt": "yes"},
        {"showPrompt": 1},
        {"expiresAt": "2027-01-01T00:00:00Z"},
    ],
)
def test_a_request_refuses_anything_else(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ShareRequest.model_validate(body)


def test_a_link_expires_its_days_after_it_is_made_or_never() -> None:
    assert expiry(NOW, 7) == "2026-12-11T12:00:00.000Z"
    assert expiry(NOW, None) is None


def test_a_link_works_until_its_expiry_and_not_at_it() -> None:
    share = Share(
        user_id="ada",
        image_id="IMG1",
        nonce="n",
        token_hash="h",
        show_prompt=False,
        expires_at=expiry(NOW, 1),
        created_at="2026-12-04T12:00:00.000Z",
    )

    assert share.active_at(NOW + timedelta(days=1) - timedelta(milliseconds=1))
    assert not share.active_at(NOW + timedelta(days=1))
    assert share.model_copy(update={"expires_at": None}).active_at(NOW + timedelta(days=9999))


@pytest.mark.parametrize(
    ("text", "root"),
    [
        ("https://d1234.cloudfront.net", "https://d1234.cloudfront.net/"),
        ("https://pics.example.com/gallery/ ", "https://pics.example.com/gallery/"),
        ("http://127.0.0.1:3000/", "http://127.0.0.1:3000/"),
    ],
)
def test_the_site_is_an_address_ending_with_a_slash(text: str, root: str) -> None:
    assert site_root(text) == root


@pytest.mark.parametrize("text", ["", "-", "d1234.cloudfront.net", "ftp://x/", "https://x/?a=1", "https://"])
def test_a_site_that_is_no_address_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="http"):
        site_root(text)
