"""The sweeper: images that never finished are failed and refunded, so no coin waits forever."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from imagegen.ids import iso
from imagegen.models.images import Failure, ImageFailure, ImageStatus, ImageType

if TYPE_CHECKING:
    from imagegen.services.image_records import ImageRecords
    from imagegen.services.images import ImageService

UPLOAD_NEVER_ARRIVED = Failure(ImageFailure.NEVER_ARRIVED, "The upload never arrived.")
GENERATION_NEVER_FINISHED = Failure(
    ImageFailure.GENERATION_TIMED_OUT, "The image could not be generated in time; your coins were refunded."
)


class Sweeper:
    def __init__(
        self,
        records: ImageRecords,
        images: ImageService,
        upload_deadline: timedelta,
        generation_deadline: timedelta,
    ) -> None:
        self._records = records
        self._images = images
        self._deadlines = {ImageType.UPLOADED: upload_deadline, ImageType.GENERATED: generation_deadline}

    def sweep(self, now: datetime) -> int:
        """Fail (and refund) every image unfinished past its deadline; returns how many.

        Uploads get until their POST expired plus a margin; generations get longer than the
        worst retry path (every SQS delivery, each with its in-invocation retries), so this
        only catches what fell through: a crashed worker, a message in the DLQ.
        """
        swept = 0
        earliest = min(self._deadlines.values())
        for status in (ImageStatus.PENDING, ImageStatus.PROCESSING):
            for user_id, image_id in self._records.unfinished_before(status, iso(now - earliest)):
                image = self._records.get(user_id, image_id)
                if image is None or image.created_at >= iso(now - self._deadlines[image.type]):
                    continue
                failure = (
                    UPLOAD_NEVER_ARRIVED if image.type is ImageType.UPLOADED else GENERATION_NEVER_FINISHED
                )
                if self._images.fail(image, failure, expected=status):
                    swept += 1
        return swept
