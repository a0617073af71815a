"""Exports: a user takes away everything of theirs as one zip, one export at a time and one a day.

``ExportService`` starts an export (its state, then a queue message) and shows the latest;
``ExportWorker`` builds the zip from the queue's message. The zip is streamed: each original is read
in chunks and written into the zip as it arrives, and the zip goes to the bucket in parts as it grows,
so a worker's memory is a part and a chunk whatever the gallery's size (``zipfile`` writes entries
with data descriptors on a stream it cannot seek, so no entry's size is needed before its bytes).
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from imagegen.errors import DomainError, NotFound, OutsideServiceFailed, RateLimited
from imagegen.ids import iso, new_id, utc_now
from imagegen.models.exports import UNFINISHED, Export, ExportJob, ExportStatus
from imagegen.models.images import ImageStatus

if TYPE_CHECKING:
    from collections.abc import Collection

    from imagegen.models.images import Image

EXPORT_EVERY = timedelta(days=1)
"""One export a day: counted from the start of the latest that did not fail."""
KEPT_FOR = timedelta(days=7)
"""How long a zip is kept (the bucket's lifecycle rule on ``exports/`` deletes it then)."""
RUNNING_RETRY_AFTER = 30
"""When to look again at an export that is being made (it may fail, and free the day)."""
STOP_MARGIN_SECONDS = 60
"""An export not finished this long before the function's end is stopped and failed, cleanly."""
ZIP_TYPE = "application/zip"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_NAME_CHARACTERS = 100


def export_key(user_id: str, export_id: str) -> str:
    """Where an export's zip lives: ``exports/{userId}/{exportId}.zip`` (the lifecycle rule's prefix)."""
    return f"exports/{user_id}/{export_id}.zip"


class ExportRecords(Protocol):
    """Each user's latest export (``repositories.exports.ExportRepository``)."""

    def get(self, user_id: str) -> Export | None: ...

    def replace_if_free(self, export: Export, started_before: str) -> bool:
        """Write ``export`` unless the latest is neither failed nor started before ``started_before``."""
        ...

    def move(
        self,
        export: Export,
        expected: Collection[ExportStatus],
        status: ExportStatus,
        at: str,
        **changes: Any,
    ) -> Export | None: ...

    def save_progress(self, export: Export, done: int, total: int, at: str) -> Export | None: ...


class ExportQueue(Protocol):
    """The export queue (``adapters.queue.ExportQueue``)."""

    def send(self, job: ExportJob) -> None:
        """Queue ``job``; ``QueueUnavailable`` if it was not taken."""
        ...


class ObjectUpload(Protocol):
    """An object written as a stream (``adapters.multipart.MultipartWriter``)."""

    def write(self, data: bytes) -> int: ...
    def tell(self) -> int: ...
    def flush(self) -> None: ...
    def complete(self) -> None: ...
    def abort(self) -> None: ...


class ExportStore(Protocol):
    """The images bucket, as an export reads originals and writes its zip (``ImageStorage``)."""

    def read_chunks(self, key: str) -> Iterator[bytes] | None:
        """The object's bytes a chunk at a time; None if there is none."""
        ...

    def upload(self, key: str, content_type: str) -> ObjectUpload:
        """A stream that writes the object at ``key``."""
        ...

    def delete(self, *keys: str) -> None:
        """Remove objects; keys that do not exist are fine."""
        ...


class ExportSources(Protocol):
    """What is exported of a user, each as the API shows it (``repositories.export_sources``)."""

    def profile(self, user_id: str) -> dict[str, Any]: ...
    def images(self, user_id: str) -> Iterator[Image]:
        """Every image record of the user's, a page at a time."""
        ...

    def image_record(self, image: Image) -> dict[str, Any]:
        """The image as the API shows it, without presigned URLs."""
        ...

    def ledger(self, user_id: str) -> Iterator[dict[str, Any]]: ...
    def orders(self, user_id: str) -> Iterator[dict[str, Any]]: ...


class ExportTooLarge(Exception):
    """The export would not finish before the function's end."""


class ExportGone(Exception):
    """The export is no longer its user's latest running one (the account was deleted meanwhile, which
    removes its state): nothing of it may be left."""


class ExportService:
    """Starting an export and reading the latest."""

    def __init__(
        self, records: ExportRecords, queue: ExportQueue, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._records = records
        self._queue = queue
        self._clock = clock

    def start(self, user_id: str) -> Export:
        """Start an export of everything of the user's; ``RateLimited`` while one is being made, or
        within a day of the start of the last that did not fail."""
        now = self._clock()
        at = iso(now)
        export_id = new_id()
        export = Export(
            id=export_id,
            user_id=user_id,
            status=ExportStatus.PENDING,
            created_at=at,
            updated_at=at,
            object_key=export_key(user_id, export_id),
        )
        if not self._records.replace_if_free(export, iso(now - EXPORT_EVERY)):
            latest = self._records.get(user_id)
            raise _refusal(latest, now) if latest else RateLimited(_BUSY, RUNNING_RETRY_AFTER, 1, _WINDOW)
        try:
            self._queue.send(ExportJob(user_id=user_id, export_id=export_id))
        except OutsideServiceFailed:
            # Never queued: it would stay PENDING and hold the day; failed, it frees it at once.
            self._records.move(
                export, [ExportStatus.PENDING], ExportStatus.FAILED, iso(self._clock()), error=_QUEUE_FAILED
            )
            raise
        return export

    def latest(self, user_id: str) -> Export:
        """The user's latest export; ``NotFound`` if they never started one."""
        export = self._records.get(user_id)
        if export is None:
            raise NotFound("No export yet.")
        return export


_WINDOW = int(EXPORT_EVERY.total_seconds())
_BUSY = "An export of your data is being made: wait for it to finish."
_QUEUE_FAILED = "The export could not be started. Try again."


def _refusal(latest: Export, now: datetime) -> RateLimited:
    if latest.status in UNFINISHED:
        return RateLimited(_BUSY, RUNNING_RETRY_AFTER, 1, _WINDOW)
    free_at = datetime.fromisoformat(latest.created_at) + EXPORT_EVERY
    return RateLimited(
        "One export a day: your last one was started less than a day ago.",
        max(1, math.ceil((free_at - now).total_seconds())),
        1,
        _WINDOW,
    )


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    """What a message came to: ``ready``, ``failed``, or ``stale`` (not the export there now)."""

    outcome: str
    export: Export | None = None
    cause: str | None = None  # why it failed, for the log (the owner reads the export's error)


class ExportWorker:
    """Builds an export's zip: the JSON of the profile, the images' records, the ledger and the orders,
    and every original, written into a zip that is uploaded in parts as it grows."""

    def __init__(
        self,
        records: ExportRecords,
        sources: ExportSources,
        store: ExportStore,
        *,
        progress_every: int,
        seconds_left: Callable[[], float],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._records = records
        self._sources = sources
        self._store = store
        self._progress_every = progress_every
        self._seconds_left = seconds_left
        self._clock = clock

    def build(self, job: ExportJob) -> ExportOutcome:
        """Build the export ``job`` names, once: READY with its zip, or FAILED with nothing left
        behind (the upload aborted). A message for an export that is no longer the user's latest, or
        finished already, is ``stale`` and changes nothing. A redelivered message of an export left
        ``RUNNING`` (its function ended mid-way) builds it again from the start."""
        export = self._records.get(job.user_id)
        if export is None or export.id != job.export_id or export.status not in UNFINISHED:
            return ExportOutcome("stale", export)
        running = self._records.move(export, UNFINISHED, ExportStatus.RUNNING, self._now())
        if running is None:
            return ExportOutcome("stale", export)
        upload: ObjectUpload | None = None
        try:
            upload = self._store.upload(running.object_key, ZIP_TYPE)
            self._write(running, upload)
            upload.complete()
        except ExportGone:
            if upload is not None:
                upload.abort()
            return ExportOutcome("stale")
        except Exception as error:  # whatever went wrong, no half zip and no export left RUNNING
            if upload is not None:
                upload.abort()
            failed = self._records.move(
                running, [ExportStatus.RUNNING], ExportStatus.FAILED, self._now(), error=_reason(error)
            )
            if not isinstance(error, ExportTooLarge | OutsideServiceFailed | DomainError):
                raise  # a bug: the function reports it (and it is failed already, so never retried)
            return ExportOutcome("failed", failed, f"{type(error).__name__}: {error}")
        written = self._clock()
        ready = self._records.move(
            running,
            [ExportStatus.RUNNING],
            ExportStatus.READY,
            iso(written),
            readyAt=iso(written),
            expiresAt=iso(written + KEPT_FOR),
        )
        if ready is None:  # its state went between the last save and now (the account deleted)
            self._store.delete(running.object_key)
            return ExportOutcome("stale")
        return ExportOutcome("ready", ready)

    def _write(self, export: Export, upload: ObjectUpload) -> None:
        user_id = export.user_id
        with zipfile.ZipFile(upload, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
            _write_json(archive, "profile.json", self._sources.profile(user_id))
            total = 0
            with _json_array(archive, "images.json") as write_item:
                for image in self._sources.images(user_id):
                    write_item(self._sources.image_record(image))
                    total += _has_original(image)
            self._saved(export, 0, total)
            done = 0
            names: set[str] = set()
            for image in self._sources.images(user_id):
                if not _has_original(image):
                    continue
                if self._seconds_left() < STOP_MARGIN_SECONDS:
                    raise ExportTooLarge
                if self._write_original(archive, image, names):
                    done += 1
                    if done % self._progress_every == 0:
                        self._saved(export, done, max(done, total))
            with _json_array(archive, "ledger.json") as write_item:
                for entry in self._sources.ledger(user_id):
                    write_item(entry)
            with _json_array(archive, "orders.json") as write_item:
                for order in self._sources.orders(user_id):
                    write_item(order)
        self._saved(export, done, max(done, total))

    def _saved(self, export: Export, done: int, total: int) -> None:
        """Save the progress; ``ExportGone`` when the export is no longer there to save it on."""
        if self._records.save_progress(export, done, total, self._now()) is None:
            raise ExportGone(export.id)

    def _write_original(self, archive: zipfile.ZipFile, image: Image, names: set[str]) -> bool:
        chunks = self._store.read_chunks(image.object_key)
        if chunks is None:  # deleted since it was listed
            return False
        entry = zipfile.ZipInfo(f"images/{original_name(image, names)}", _zip_time(image.created_at))
        entry.compress_type = zipfile.ZIP_STORED  # images are compressed already
        with archive.open(entry, "w") as member:
            for chunk in chunks:
                member.write(chunk)
        return True

    def _now(self) -> str:
        return iso(self._clock())


def _has_original(image: Image) -> bool:
    return image.status is ImageStatus.COMPLETED  # only a completed image's file was verified


def original_name(image: Image, taken: set[str]) -> str:
    """An original's file name in the zip: its title (else its id) with its format's extension,
    characters file systems refuse made ``_``, and unique among ``taken`` in any case (`` (2)``...),
    which it joins."""
    extension = image.object_key.rsplit(".", 1)[-1] if "." in image.object_key else "bin"
    stem = _UNSAFE.sub("_", image.title).strip(" .")[:_NAME_CHARACTERS] or image.image_id
    name, count = f"{stem}.{extension}", 1
    while name.casefold() in taken:
        count += 1
        name = f"{stem} ({count}).{extension}"
    taken.add(name.casefold())
    return name


def _zip_time(moment: str) -> tuple[int, int, int, int, int, int]:
    when = datetime.fromisoformat(moment)
    return (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)


def _reason(error: Exception) -> str:
    if isinstance(error, ExportTooLarge):
        return "The gallery is too large to export in one run."
    return "The export could not be written. Try again."


def _write_json(archive: zipfile.ZipFile, name: str, value: object) -> None:
    with archive.open(_json_entry(name), "w") as member:
        member.write(json.dumps(value, ensure_ascii=False, indent=2).encode())


def _json_entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, utc_now().timetuple()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


class _json_array:
    """A JSON array written into the zip an item at a time: never all items in memory."""

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        # force_zip64: the size is not known up front, and a gallery's records may pass 2 GiB.
        self._member = archive.open(_json_entry(name), "w", force_zip64=True)
        self._first = True

    def __enter__(self) -> Callable[[object], None]:
        self._member.write(b"[")
        return self._item

    def _item(self, value: object) -> None:
        self._member.write(
            (b"\n  " if self._first else b",\n  ") + json.dumps(value, ensure_ascii=False).encode()
        )
        self._first = False

    def __exit__(self, *exc: object) -> None:
        self._member.write(b"\n]\n" if not self._first else b"]\n")
        self._member.close()
