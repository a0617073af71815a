"""The sweeper: images that never finished are failed and refunded, so no coin waits forever."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from imagegen.ids import iso
from imagegen.models.images import ImageStatus, ImageType

if TYPE_CHECKING:
    from imagegen.repositories.images import ImageRepository
    from imagegen.services.images import ImageService

UPLOAD_NEVER_ARRIVED = "The upload never arrived."


class Sweeper:
    def __init__(self, repository: ImageRepository, images: ImageService, upload_deadline: timedelta) -> None:
        self._repository = repository
        self._images = images
        self._upload_deadline = upload_deadline

    def sweep(self, now: datetime) -> int:
        """Fail (and refund) uploads still PENDING past their deadline; returns how many."""
        swept = 0
        cutoff = iso(now - self._upload_deadline)
        for user_id, image_id in self._repository.unfinished_before(ImageStatus.PENDING, cutoff):
            image = self._repository.get(user_id, image_id)
            if image is None or image.type is not ImageType.UPLOADED:
                continue
            if self._images.fail(image, UPLOAD_NEVER_ARRIVED, expected=ImageStatus.PENDING):
                swept += 1
        return swept
