"""What the share links' use cases (and an image's deletion) need of where links are kept, in their own
terms: an image's link, the image a token's hash points to, the writes that make and remove a link,
and its views counted (``repositories.shares.ShareRepository`` keeps them in DynamoDB;
``tests.fakes.shares.InMemoryShares`` in memory).

A link is two records kept together: the owner's (by user and image) and the token's (by the token's
hash), so that an owner finds their image's link and a reader finds the image by the token alone.
Both are written and removed in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from imagegen.models.shares import Share
    from imagegen.services.unit_of_work import Write


@dataclass(frozen=True, slots=True)
class SharedImageKey:
    """The image a token's hash points to."""

    user_id: str
    image_id: str


class ShareRecords(Protocol):
    """Each image's share link, and each token's image."""

    def get(self, user_id: str, image_id: str) -> Share | None:
        """The image's link, active or expired, read consistently; None if it has none."""
        ...

    def find(self, token_hash: str) -> SharedImageKey | None:
        """The image whose link's token has this hash, read consistently; None if none has."""
        ...

    def creation_writes(self, share: Share, replacing: Share | None) -> Sequence[Write]:
        """The writes making ``share`` the image's link: refused (the first, named ``share``) if the
        image has another link than ``replacing`` (None: if it has any), so two requests cannot both
        make one; ``replacing``'s token record is removed with them."""
        ...

    def removal_writes(self, share: Share) -> Sequence[Write]:
        """The writes removing ``share`` and its token's record: refused (the first, named ``share
        removal``) only if the image has another link by now; a link removed already is fine."""
        ...

    def count_view(self, share: Share) -> Share | None:
        """Add one view to ``share`` atomically (no read and write back); the link as it is now, or
        None (nothing counted) if it is no longer the image's link: revoked, or replaced."""
        ...
