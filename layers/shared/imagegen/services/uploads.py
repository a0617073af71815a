"""Browser uploads: coins charged and the record written in one transaction, then a presigned POST."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imagegen.errors import TooLarge, UnsupportedMediaType
from imagegen.ids import new_id, now_iso
from imagegen.models.coins import LedgerReason
from imagegen.models.images import (
    Image,
    ImageStatus,
    ImageType,
    PresignedPost,
    UploadRequest,
    default_title,
)
from imagegen.models.keys import incoming_key, object_key
from imagegen.services.rate_limits import LimitedAction

if TYPE_CHECKING:
    from imagegen.models.auth import Caller
    from imagegen.services.images import ImageService
    from imagegen.services.object_store import ObjectStore
    from imagegen.services.rate_limits import RateLimits


@dataclass(frozen=True, slots=True)
class Upload:
    image: Image
    post: PresignedPost
    balance: int


class UploadService:
    """Prepares an upload; the object-created pipeline verifies what actually arrives."""

    def __init__(
        self,
        images: ImageService,
        storage: ObjectStore,
        limits: RateLimits,
        accepted_types: Sequence[str],
        max_upload_bytes: int,
        cost: int,
        url_ttl_seconds: int,
    ) -> None:
        self._images = images
        self._storage = storage
        self._limits = limits
        self._accepted_types = tuple(accepted_types)
        self._max_bytes = max_upload_bytes
        self._cost = cost
        self._url_ttl = url_ttl_seconds

    def request_upload(self, caller: Caller, request: UploadRequest) -> Upload:
        """Charge the upload, record the image PENDING, and sign a POST for exactly this file, to its
        ``incoming/`` key (what is served is only ever what the pipeline checked and copied).

        Nothing is charged or written for a refused request (415, 413), nor when the
        balance is short (402) or the caller started too many uploads this minute (429).
        """
        if request.content_type not in self._accepted_types:
            raise UnsupportedMediaType(
                f"{request.content_type} is not accepted; send one of {', '.join(self._accepted_types)}.",
                {"accepted": list(self._accepted_types)},
            )
        if request.size > self._max_bytes:
            raise TooLarge(
                f"The file is {request.size} bytes; the largest upload is {self._max_bytes} bytes.",
                {"maxBytes": self._max_bytes},
            )
        now = now_iso()
        image_id = new_id()
        image = Image(
            user_id=caller.user_id,
            image_id=image_id,
            type=ImageType.UPLOADED,
            status=ImageStatus.PENDING,
            title=request.title or default_title(request.filename),
            description=request.description or "",
            object_key=object_key(caller.user_id, image_id, request.content_type),
            declared_content_type=request.content_type,
            declared_size=request.size,
            coins_used=self._cost,
            thread_id=image_id,
            created_at=now,
            updated_at=now,
        )
        balance = self._images.create(
            [image], LedgerReason.UPLOAD, lambda: self._limits.slot(caller.user_id, LimitedAction.UPLOAD)
        )
        post = self._storage.presign_upload(
            incoming_key(caller.user_id, image_id), request.content_type, request.size, self._url_ttl
        )
        return Upload(image=image, post=post, balance=balance)
