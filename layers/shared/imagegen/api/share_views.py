"""Share links as the API shows them: the owner's link (its address on the site), the shared image
with a presigned URL for anyone who holds the link, and the link's public page. Built here, on the
API's side: the use cases hand over records and tokens, never URLs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import Response

from imagegen.api.responses.shares import SharedImageResponse
from imagegen.api.share_page import PAGE_IMAGE_URL_SECONDS, PageImage, busy_page, missing_page, shared_page
from imagegen.api.share_page_words import page_words
from imagegen.errors import Busy, NotFound
from imagegen.models.shares import SharedImage, ShareView
from imagegen.services.shares import NO_SUCH_SHARED_IMAGE

if TYPE_CHECKING:
    from imagegen.api.views import ReadUrls
    from imagegen.models.users import Languages
    from imagegen.services.shares import OpenedShare, OwnedShare


class ShareViews:
    """Builds the views of share links: their addresses on ``site()`` (the front end's root, ending
    with ``/``), their images' URLs signed by ``urls``, their pages in one of ``languages``."""

    def __init__(self, urls: ReadUrls, site: Callable[[], str], languages: Languages) -> None:
        self._urls = urls
        self._site = site
        self._languages = languages

    def link(self, token: str) -> str:
        """The page of the link whose token is ``token``."""
        return f"{self._site()}s/{token}"

    def owned(self, owned: OwnedShare) -> ShareView:
        """The link as its owner sees it."""
        share = owned.share
        return ShareView(
            url=self.link(owned.token),
            token=owned.token,
            expires_at=share.expires_at,
            show_prompt=share.show_prompt,
            views=share.views,
            created_at=share.created_at,
        )

    def shared(self, opened: OpenedShare) -> SharedImageResponse:
        """The shared image as anyone holding the link sees it (``GET /shared/{token}``)."""
        return SharedImageResponse(image=self._image(opened), created_at=opened.share.created_at)

    def page(
        self, opening: Callable[[], OpenedShare], token: str, accept_language: str | None
    ) -> Response[str]:
        """The link's page, for the visitor's language: the image (``opening()`` opens the link, its
        view counted), or the one 404 page for every link that does not open, or a 429 page."""
        words = page_words(accept_language, self._languages)
        try:
            opened = opening()
        except NotFound:
            return missing_page(words)
        except Busy as busy:
            return busy_page(words, busy.retry_after or 1)
        image = self._image(opened, PAGE_IMAGE_URL_SECONDS)
        return shared_page(
            PageImage(
                title=image.title,
                image_url=image.image_url,
                width=image.width,
                height=image.height,
                prompt=image.prompt,
                link=self.link(token),
                site=self._site(),
            ),
            words,
        )

    def _image(self, opened: OpenedShare, expires_in: int | None = None) -> SharedImage:
        image = opened.image
        metadata = image.metadata
        if metadata is None:  # a COMPLETED image is always measured; the use case opens no other
            raise NotFound(NO_SUCH_SHARED_IMAGE)
        return SharedImage(
            title=image.title,
            image_url=self._urls.presign_read(image.object_key, metadata.content_type, expires_in),
            width=metadata.width,
            height=metadata.height,
            prompt=image.prompt if opened.share.show_prompt else None,
        )
