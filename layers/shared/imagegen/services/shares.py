"""Share links: an owner makes a link to a finished image, reads it again and revokes it; anyone holding
the link sees the image, counted, without signing in, at a pace one client address may not exceed.

A link's token is 256 bits that only this service can make and nobody can derive from ids: the
HMAC-SHA256 of 128 random bits drawn for the link (its ``nonce``), under a key derived from the
service's signing secret with a purpose label of its own (``signing.mac``). Derived, rather than a
secret of its own: the same functions would hold both secrets (a second one isolates nothing), and
one secret is one thing to guard and rotate; the label keeps a share token worth nothing as a cursor
or a refresh token, and theirs worth nothing here. Only the nonce (so that the owner can be shown the
link again) and the token's SHA-256 (what a presented token is found by) are stored, never the token.
A presented token must also be the one its link's nonce derives now: rotating the secret, done when
it may have leaked with the stored nonces, retires every link.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from imagegen.errors import Busy, Conflict, NotFound
from imagegen.ids import iso, utc_now
from imagegen.models.images import ImageStatus
from imagegen.models.shares import Share, expiry
from imagegen.services.rate_limits import LimitedAction, PlaceTaken
from imagegen.services.unit_of_work import ReadAgain, Refused, UnitOfWork
from imagegen.signing import mac

if TYPE_CHECKING:
    from imagegen.models.auth import Caller
    from imagegen.models.images import Image
    from imagegen.models.shares import ShareRequest
    from imagegen.models.users import User
    from imagegen.services.accounts import Users
    from imagegen.services.image_records import ImageRecords
    from imagegen.services.rate_limits import RateLimits
    from imagegen.services.share_records import ShareRecords
    from imagegen.services.unit_of_work import Transactions

# The purposes of the keys derived from the service's secret here (signing.mac): a MAC made for one is
# worth nothing for another.
SHARE_TOKEN = b"share-link"
CLIENT_ADDRESS = b"client-address"
NONCE_BYTES = 16  # 128 random bits a link
TOKEN_BYTES = 32  # the whole HMAC-SHA256: 43 characters of URL-safe base64
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
# Every bad link answers this, whatever is wrong with it: an answer must not tell a revoked link from
# an expired one, a deleted image or a guess.
NO_SUCH_SHARED_IMAGE = "No such shared image."
NO_ACTIVE_LINK = "This image has no active share link."
# Requests of one address racing for its window's last places read it again this many times at most.
PLACE_ATTEMPTS = 5
# Two owners' requests racing to make an image's link: the loser reads the winner's.
SHARE_ATTEMPTS = 3


class ShareTokens:
    """Tokens of share links and keys of client addresses, made with the service's signing secret."""

    def __init__(self, signing_key: Callable[[], str]) -> None:
        self._signing_key = signing_key

    @staticmethod
    def new_nonce() -> str:
        """Fresh random bits for a new link (128, URL-safe base64)."""
        return base64.urlsafe_b64encode(secrets.token_bytes(NONCE_BYTES)).rstrip(b"=").decode()

    def token(self, nonce: str) -> str:
        """The token of the link whose random bits are ``nonce``."""
        return mac(self._signing_key(), SHARE_TOKEN, nonce, size=TOKEN_BYTES)

    @staticmethod
    def hash(token: str) -> str:
        """What a token is stored and found by: its SHA-256, in hex."""
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

    @staticmethod
    def well_formed(token: str) -> bool:
        """Whether ``token`` is written as tokens are (43 URL-safe characters): nothing else is looked up."""
        return TOKEN_PATTERN.fullmatch(token) is not None

    def address_key(self, address: str) -> str:
        """What a client address's window is kept under: a keyed hash, so that the rate-limits table
        never holds an address (an IPv4 address hashed without a key is found by trying them all)."""
        return f"address:{mac(self._signing_key(), CLIENT_ADDRESS, address, size=16)}"


@dataclass(frozen=True, slots=True)
class OwnedShare:
    """A link as its owner sees it: the record, and its token (derived again from the record)."""

    share: Share
    token: str


@dataclass(frozen=True, slots=True)
class Shared:
    """The outcome of sharing an image: its active link, and whether this request made it."""

    link: OwnedShare
    created: bool


@dataclass(frozen=True, slots=True)
class OpenedShare:
    """A shared image as a reader opened it: the link (this view counted) and its image."""

    share: Share
    image: Image


class _LinkTaken(Refused):
    """Another request made the image's link since it was read: take that one."""


class _ImageLeft(Refused):
    """The image left COMPLETED (a delete began, say) since it was read: nothing was made."""


class ShareService:
    """Share links of images: made, read and revoked by their owner, opened by anyone with the link."""

    def __init__(
        self,
        records: ShareRecords,
        images: ImageRecords,
        owners: Users,
        transactions: Transactions,
        tokens: ShareTokens,
        limits: RateLimits,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """``limits`` holds ``LimitedAction.VIEW_SHARED``: the views one client address may make a minute."""
        self._records = records
        self._images = images
        self._owners = owners
        self._transactions = transactions
        self._tokens = tokens
        self._limits = limits
        self._clock = clock

    # ------------------------------------------------------------------ the owner's
    def share(self, caller: Caller, image_id: str, request: ShareRequest) -> Shared:
        """The active link of the caller's COMPLETED image: made now (``created``), or, when it has one,
        that one as it is, whatever ``request`` asks (a link given out does not change under its
        readers). ``NotFound`` for an image that is not the caller's, ``Conflict`` for one not COMPLETED."""
        image = self._shareable(caller.user_id, image_id)
        for _ in range(SHARE_ATTEMPTS):
            now = self._clock()
            existing = self._records.get(image.user_id, image.image_id)
            if existing is not None and self._live(existing, now):
                return Shared(self._owned(existing), created=False)
            nonce = self._tokens.new_nonce()
            token = self._tokens.token(nonce)
            share = Share(
                user_id=image.user_id,
                image_id=image.image_id,
                nonce=nonce,
                token_hash=self._tokens.hash(token),
                show_prompt=request.show_prompt,
                expires_at=expiry(now, request.expires_in_days),
                created_at=iso(now),
            )
            # The link and the image's state in one transaction: a delete that began meanwhile (and
            # will not see this link) refuses it, so no link outlives its image.
            unit = (
                UnitOfWork(self._transactions)
                .with_writes(self._records.creation_writes(share, existing), _LinkTaken)
                .with_write(self._images.completed_check(image.user_id, image.image_id), _ImageLeft)
            )
            try:
                unit.commit()
            except _LinkTaken:
                continue  # another request made the link: the next pass returns it
            except _ImageLeft:
                image = self._shareable(caller.user_id, image_id)  # raises what it has become
                continue
            return Shared(OwnedShare(share, token), created=True)
        raise Busy("The image's link is being changed by other requests; try again.", retry_after=1)

    def current(self, caller: Caller, image_id: str) -> OwnedShare:
        """The active link of the caller's image; ``NotFound`` when it has none (never made, revoked,
        expired, or not the caller's image)."""
        share = self._records.get(caller.user_id, image_id)
        if share is None or not self._live(share, self._clock()):
            raise NotFound(NO_ACTIVE_LINK)
        return self._owned(share)

    def revoke(self, caller: Caller, image_id: str) -> None:
        """End the caller's image's link at once; ``NotFound`` when it has no active one (an expired
        link's records are removed all the same)."""
        share = self._records.get(caller.user_id, image_id)
        if share is None:
            raise NotFound(NO_ACTIVE_LINK)
        # Refused only when another request replaced the link meanwhile: that one is not this revoke's.
        removal = UnitOfWork(self._transactions).with_writes(
            self._records.removal_writes(share), lambda: NotFound(NO_ACTIVE_LINK)
        )
        removal.commit()
        if not self._live(share, self._clock()):
            raise NotFound(NO_ACTIVE_LINK)

    # ------------------------------------------------------------------ anyone's
    def open(self, token: str, client_address: str) -> OpenedShare:
        """The image ``token`` links to, its view counted, for anyone who holds the link.

        The client address's window is counted first, so that a guess at a token costs a place like
        a view; ``RateLimited`` past it, with nothing looked up. Every link that does not open (a
        malformed or unknown token, a link revoked, expired or retired, its image deleted or not
        finished, its owner gone) is the one ``NotFound``, with the same words.
        """
        self._admit(client_address)
        opened = self._find(token)
        if opened is None:
            raise NotFound(NO_SUCH_SHARED_IMAGE)
        counted = self._records.count_view(opened.share)
        if counted is None:  # revoked or replaced since it was read
            raise NotFound(NO_SUCH_SHARED_IMAGE)
        return OpenedShare(counted, opened.image)

    def _find(self, token: str) -> OpenedShare | None:
        """The live link of ``token`` and its finished image, or None."""
        if not self._tokens.well_formed(token):
            return None
        token_hash = self._tokens.hash(token)
        key = self._records.find(token_hash)
        if key is None:
            return None
        share = self._records.get(key.user_id, key.image_id)
        # The image's link must be this token's (not a newer one), unexpired, and derivable now: the
        # presented token and the one its nonce derives then hash alike, so they are the same.
        if share is None or share.token_hash != token_hash or not self._live(share, self._clock()):
            return None
        image = self._images.get(key.user_id, key.image_id)  # None once a delete has begun
        if image is None or image.status is not ImageStatus.COMPLETED or image.metadata is None:
            return None
        if not self._owner_shares(self._owners.get(key.user_id)):
            return None
        return OpenedShare(share, image)

    @staticmethod
    def _owner_shares(owner: User | None) -> bool:
        """Whether the owner's account lets their links be opened: it exists and is not suspended (a
        suspended owner's links answer 404 until an admin restores them; they are kept meanwhile)."""
        return owner is not None and not owner.is_suspended

    def _admit(self, client_address: str) -> None:
        """Take a place in the client address's window of views, or ``RateLimited``."""
        key = self._tokens.address_key(client_address)
        for _ in range(PLACE_ATTEMPTS):
            slot = self._limits.slot(key, LimitedAction.VIEW_SHARED)
            try:
                UnitOfWork(self._transactions).with_write(slot.write, PlaceTaken).commit()
            except ReadAgain:
                continue  # another request of the address took a place: read the window again
            return
        raise Busy("Too many requests from this address at once; try again in a second.", retry_after=1)

    # ------------------------------------------------------------------ helpers
    def _shareable(self, user_id: str, image_id: str) -> Image:
        """The user's COMPLETED image, or what stops it being shared."""
        image = self._images.get(user_id, image_id)
        if image is None:
            raise NotFound("No such image.")
        if image.status is not ImageStatus.COMPLETED:
            raise Conflict(f"Only a finished image can be shared; this one is {image.status.value}.")
        return image

    def _live(self, share: Share, now: datetime) -> bool:
        """Whether the link works at ``now``: not expired, and its token still derivable (the secret it
        was made with is still the service's)."""
        return share.active_at(now) and self._tokens.hash(self._tokens.token(share.nonce)) == share.token_hash

    def _owned(self, share: Share) -> OwnedShare:
        return OwnedShare(share, self._tokens.token(share.nonce))
