"""Exports of everything of a user's: the state of the latest one, the queue's message that builds it,
and what its owner is shown."""

from enum import StrEnum

from pydantic import Field

from imagegen.models.base import CamelModel


class ExportStatus(StrEnum):
    PENDING = "PENDING"  # queued, not yet taken by the worker
    RUNNING = "RUNNING"
    READY = "READY"
    FAILED = "FAILED"


UNFINISHED = frozenset({ExportStatus.PENDING, ExportStatus.RUNNING})


class ExportProgress(CamelModel):
    """How many originals are written into the zip of how many (0 of 0 until the records are read)."""

    done: int = Field(default=0, ge=0)
    total: int = Field(default=0, ge=0)


class Export(CamelModel):
    """A user's latest export as stored (one per user: a new one replaces it)."""

    id: str
    user_id: str
    status: ExportStatus
    created_at: str
    updated_at: str
    progress: ExportProgress = ExportProgress()
    object_key: str
    ready_at: str | None = None
    expires_at: str | None = None  # when the bucket's lifecycle rule deletes the zip (READY only)
    error: str | None = None


class ExportJob(CamelModel):
    """The export queue's message: build this export of this user's."""

    user_id: str = Field(min_length=1, max_length=64)
    export_id: str = Field(min_length=1, max_length=64)


class ExportView(CamelModel):
    """An export as its owner is shown it."""

    id: str
    status: ExportStatus
    created_at: str
    updated_at: str
    progress: ExportProgress
    download_url: str | None = Field(description="a presigned GET of the zip, valid for a day; READY only")
    expires_at: str | None = Field(description="when the zip is deleted; READY only")
    error: str | None = None
