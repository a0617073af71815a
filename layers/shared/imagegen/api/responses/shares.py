"""Answers about share links: the owner's link, and the shared image anyone with the link sees."""

from pydantic import Field

from imagegen.models.base import CamelModel
from imagegen.models.shares import SharedImage, ShareView


class ShareResponse(CamelModel):
    """The image's active share link."""

    share: ShareView


class SharedImageResponse(CamelModel):
    """The shared image, and when its link was made."""

    image: SharedImage
    created_at: str = Field(description="when the link was made")
