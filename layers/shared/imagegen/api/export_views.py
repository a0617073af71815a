"""Exports as their owner is shown them: the state, and once the zip is written and kept, a presigned
download of it (built here, on the API's side: the use case hands over the record)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from imagegen.ids import utc_now
from imagegen.models.exports import ExportStatus, ExportView
from imagegen.services.exports import ZIP_TYPE

if TYPE_CHECKING:
    from imagegen.api.views import ReadUrls
    from imagegen.models.exports import Export

DOWNLOAD_URL_SECONDS = 24 * 3600
"""How long a download link works: a day (asked again, a fresh one)."""


class ExportViews:
    """Builds ``ExportView``s, their downloads signed by ``urls``."""

    def __init__(self, urls: ReadUrls, clock: Callable[[], datetime] = utc_now) -> None:
        self._urls = urls
        self._clock = clock

    def export(self, export: Export) -> ExportView:
        """The API view: ``downloadUrl`` only while a READY export's zip is kept."""
        kept = (
            export.status is ExportStatus.READY
            and export.expires_at is not None
            and datetime.fromisoformat(export.expires_at) > self._clock()
        )
        return ExportView(
            id=export.id,
            status=export.status,
            created_at=export.created_at,
            updated_at=export.updated_at,
            progress=export.progress,
            download_url=(
                self._urls.presign_read(export.object_key, ZIP_TYPE, DOWNLOAD_URL_SECONDS) if kept else None
            ),
            expires_at=export.expires_at if export.status is ExportStatus.READY else None,
            error=export.error,
        )
