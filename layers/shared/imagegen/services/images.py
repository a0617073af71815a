"""Images as callers see them, and the one way an unfinished image fails (with its refund)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imagegen.errors import Conflict, Forbidden, NotFound
from imagegen.ids import now_iso
from imagegen.metrics import Metric
from imagegen.models.coins import LedgerReason
from imagegen.models.images import (
    Failure,
    Image,
    ImageMetadata,
    ImageStatus,
    ImageType,
    ImageUpdate,
    RecentPrompt,
    RecentPrompts,
    created_counters,
    deleted_counters,
    prompt_key,
    search_text,
)
from imagegen.models.keys import derived_keys
from imagegen.services.image_records import EVERY_IMAGE, ImageQuery
from imagegen.services.rate_limits import PlaceTaken
from imagegen.services.unit_of_work import Contended, Refused, Transactions, UnitOfWork

if TYPE_CHECKING:
    from imagegen.metrics import Count
    from imagegen.models.auth import Caller
    from imagegen.services.coins import CoinService
    from imagegen.services.cursors import CursorCodec
    from imagegen.services.image_records import ImageRecords
    from imagegen.services.object_store import ObjectStore
    from imagegen.services.rate_limits import Slot
    from imagegen.services.share_records import ShareRecords

# What a finished image counts, by how it was made.
COMPLETED = {ImageType.GENERATED: Metric.GENERATIONS_COMPLETED, ImageType.UPLOADED: Metric.UPLOADS_COMPLETED}
FAILED = {ImageType.GENERATED: Metric.GENERATIONS_FAILED, ImageType.UPLOADED: Metric.UPLOADS_FAILED}
# The most images one request for recent prompts reads (of any kind: edits and uploads are read to be
# passed over), so that it costs the same whatever the gallery holds: enough for 50 prompts of four
# variations each with their edits between them, and at most five queries.
RECENT_PROMPTS_READ = 500


@dataclass(frozen=True, slots=True)
class ImagesFound:
    """A page of images, and the cursor of the next page (None at the end)."""

    images: list[Image]
    next_cursor: str | None


class ImageChanged(Refused):
    """The image left the state the step expected (another delete, failure or completion got in
    first): nothing was written."""


class ImageService:
    """Images for their owner: created (paid for), listed, viewed, edited, deleted; and the one way an
    unfinished image fails, refunded exactly once."""

    def __init__(
        self,
        records: ImageRecords,
        storage: ObjectStore,
        coins: CoinService,
        transactions: Transactions,
        cursors: CursorCodec,
        count: Count,
        prompts_read: int = RECENT_PROMPTS_READ,
        shares: Callable[[], ShareRecords] | None = None,
    ) -> None:
        """``shares``: where images' share links are kept, removed with their image (asked for only by
        a delete, so that a function that deletes nothing needs no shares table); None: images have no
        links (tests of other steps)."""
        self._shares = shares
        self._prompts_read = prompts_read
        self._cursors = cursors
        self._count = count
        self._records = records
        self._storage = storage
        self._coins = coins
        self._transactions = transactions

    def create(
        self,
        images: Sequence[Image],
        reason: LedgerReason,
        slot: Callable[[], Slot],
        unit: UnitOfWork | None = None,
    ) -> int:
        """Charge each of ``images`` (one user's) its ``coins_used`` and write them, committing
        ``unit`` with them and their places in the rate limit's window (``slot()`` reads them), all
        or none; the new balance.

        Each charge's ledger entry is keyed by its image, so an image is paid for exactly once;
        ``InsufficientCoins`` when the balance is short of them all and ``RateLimited`` when the
        window has too few places, and then nothing is written; ``Busy`` when the wallet is too
        busy; what a write of ``unit`` means if it is refused.
        """
        created = unit or UnitOfWork(self._transactions)
        for index, image in enumerate(images):
            created = created.with_write(
                self._records.create_write(image, index), lambda: Conflict("This image exists already.")
            )
        counters: dict[str, int] = {}
        for image in images:
            for name, value in created_counters(image.type, image.coins_used).items():
                counters[name] = counters.get(name, 0) + value
        # Each attempt of the charge reads the window again: another request of the user may have
        # taken a place meanwhile (PlaceTaken, retried with the wallet's backoff and deadline), and
        # a window full by now refuses at once.
        entry = self._coins.charge_each(
            images[0].user_id,
            {image.image_id: image.coins_used for image in images},
            reason,
            unit=lambda: created.with_write(slot().write, PlaceTaken),
            counters=counters,
        )
        return entry.balance

    def get(self, caller: Caller, image_id: str) -> Image:
        """The caller's image; another user's image is as missing as one that does not exist."""
        image = self._records.get(caller.user_id, image_id)
        if image is None:
            raise NotFound("No such image.")
        return image

    def completed(self, user_id: str, image_ids: Sequence[str]) -> tuple[list[Image], list[str]]:
        """The user's COMPLETED images among ``image_ids``, in their order, and the ids that are not one
        (another user's, missing, being deleted, or not finished): what an image may be made from."""
        found = self._records.get_many(user_id, image_ids) if image_ids else {}
        completed = [
            found[image_id]
            for image_id in image_ids
            if image_id in found and found[image_id].status is ImageStatus.COMPLETED
        ]
        done = {image.image_id for image in completed}
        return completed, [image_id for image_id in image_ids if image_id not in done]

    def list_page(
        self,
        caller: Caller,
        limit: int,
        cursor: str | None,
        owner_id: str | None = None,
        which: ImageQuery = EVERY_IMAGE,
    ) -> ImagesFound:
        """A full page of ``owner_id``'s images (the caller's by default) that ``which`` asks for
        (a type, a status, the starred ones, words of the title or prompt), newest first.

        Only the owner and admins may list a user's images. A cursor is good only for the
        caller and the owner it was issued for.
        """
        owner = owner_id or caller.user_id
        if owner != caller.user_id and not caller.is_admin:
            raise Forbidden("Only the owner or an admin may list these images.")
        scope = f"images:{caller.user_id}:{owner}"
        page, last = self._records.list_page(owner, limit, self._cursors.decode(cursor, scope), which)
        return ImagesFound(images=page, next_cursor=self._cursors.encode(last, scope))

    def recent_prompts(self, caller: Caller, limit: int) -> RecentPrompts:
        """Up to ``limit`` prompts the caller generated images from, newest first, each once (at its newest
        use; the same words in another case or spacing are the same prompt), for a form to pick from.

        Only generations count: an edit's prompt asks a change of an image, not for an image. They are
        looked for among the caller's newest images only (``prompts_read``), so a request costs the
        same whatever the gallery holds; a caller with fewer distinct prompts there gets fewer.
        """
        found: dict[str, RecentPrompt] = {}
        for used in self._records.generation_prompts(caller.user_id, self._prompts_read):
            found.setdefault(prompt_key(used.prompt), used)
            if len(found) == limit:
                break  # nothing further is read
        return RecentPrompts(prompts=list(found.values()))

    def thread_page(self, caller: Caller, image_id: str, limit: int, cursor: str | None) -> ImagesFound:
        """A full page of the edit thread of the caller's image ``image_id``, oldest first."""
        image = self.get(caller, image_id)
        if image.thread_id is None:  # made before threads and never edited: a thread of its own
            return ImagesFound(images=[image], next_cursor=None)
        thread = image.thread_id
        scope = f"thread:{caller.user_id}:{thread}"
        page, last = self._records.thread_page(
            caller.user_id, thread, limit, self._cursors.decode(cursor, scope)
        )
        return ImagesFound(images=page, next_cursor=self._cursors.encode(last, scope))

    def update(self, caller: Caller, image_id: str, update: ImageUpdate) -> Image:
        """Change the title or description of the caller's image, or star it (or not)."""
        changes = update.model_dump(by_alias=True, exclude_unset=True, exclude_none=True)
        if not changes:
            return self.get(caller, image_id)
        if "title" in changes:  # what a search finds it by follows its title
            changes["searchText"] = search_text(changes["title"], self.get(caller, image_id).prompt)
        updated = self._records.update_details(caller.user_id, image_id, changes, now_iso())
        if updated is None:
            raise NotFound("No such image.")
        return updated

    def delete(self, caller: Caller, image_id: str) -> None:
        """Delete the caller's image (see ``remove``); ``NotFound`` if they have no such image."""
        if not self.remove(caller.user_id, image_id):
            raise NotFound("No such image.")

    def remove(self, user_id: str, image_id: str) -> bool:
        """Delete the user's image: its files, then its record; False if there is no such image.

        An upload whose file has not been taken in yet (``PENDING``: the browser's POST failed, or
        is still on its way) is cancelled: its coins come back in the transaction that removes it.
        Any other image's coins stay spent. The record is tombstoned first, so a generation or
        pipeline event still in flight writes nothing to it (and removes what it wrote; a file
        arriving late is deleted unread); a retried delete finishes the job, refunding at most once.
        The image's share link goes in the transaction that removes the record: read after the
        tombstone, which refuses any link made later, so none outlives its image.
        """
        image = self._records.mark_deleting(user_id, image_id, now_iso())
        if image is None:
            return False
        self.remove_files(image)
        removal = UnitOfWork(self._transactions).with_write(
            self._records.delete_write(user_id, image_id), ImageChanged
        )
        if self._shares is not None:
            shares = self._shares()
            share = shares.get(user_id, image_id)
            if share is not None:  # no link can replace it now: its removal is never refused
                removal = removal.with_writes(shares.removal_writes(share), Contended)
        counters = deleted_counters(image.type)
        cancelled_upload = image.type is ImageType.UPLOADED and image.status is ImageStatus.PENDING
        try:
            if cancelled_upload and image.coins_used > 0:
                self._coins.refund(
                    user_id,
                    image.coins_used,
                    image.image_id,
                    unit=removal,
                    counters={**counters, "coinsSpent": -image.coins_used},
                )
                self._count(Metric.COINS_REFUNDED, image.coins_used)
            else:
                removal.with_write(self._coins.add_counters(user_id, counters), Contended).commit()
        except ImageChanged:
            pass  # a concurrent delete of the same image finished first: nothing left to do
        return True

    def complete(self, image: Image, metadata: ImageMetadata, expected: ImageStatus) -> bool:
        """Move ``image`` from ``expected`` to COMPLETED with its measured ``metadata`` (counted);
        False if it had already left ``expected`` (nothing changed)."""
        if not self._records.complete(image.user_id, image.image_id, metadata, now_iso(), expected):
            return False
        self._count(COMPLETED[image.type])
        return True

    def fail(self, image: Image, failure: Failure, expected: ImageStatus) -> bool:
        """Move ``image`` from ``expected`` to FAILED with ``failure`` (why, as a code and in words), refund
        its coins, and remove its files.

        The status change and the refund are one transaction conditional on ``expected``, so
        however many events, retries or sweeps try, the coins come back exactly once.
        Returns False if the image had already left ``expected`` (nothing changed).
        """
        unit = UnitOfWork(self._transactions).with_write(
            self._records.fail_write(image.user_id, image.image_id, failure, now_iso(), expected),
            ImageChanged,
        )
        try:
            if image.coins_used > 0:
                self._coins.refund(
                    image.user_id,
                    image.coins_used,
                    image.image_id,
                    unit=unit,
                    counters={"coinsSpent": -image.coins_used},
                )
            else:
                unit.commit()
        except ImageChanged:
            return False
        self._count(FAILED[image.type])
        if image.coins_used > 0:
            self._count(Metric.COINS_REFUNDED, image.coins_used)
        self.remove_files(image)
        return True

    def remove_files(self, image: Image) -> None:
        """Delete the original, the thumbnail and the model's turn (whether or not they exist)."""
        self._storage.delete(image.object_key, *derived_keys(image.user_id, image.image_id))
