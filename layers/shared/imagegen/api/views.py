"""Images as the API shows them: the record's fields, and presigned URLs to the original and the
thumbnail once there is something verified to show. Built here, on the API's side: use cases hand
over records, never URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from imagegen.models.images import ImagePage, ImageStatus, ImageView

if TYPE_CHECKING:
    from imagegen.models.images import Image
    from imagegen.services.images import ImagesFound


class ReadUrls(Protocol):
    """Short-lived GET URLs of the bucket's objects (``ObjectStore.presign_read``)."""

    def presign_read(
        self, key: str, content_type: str | None = None, expires_in: int | None = None
    ) -> str: ...


class ImageViews:
    """Builds ``ImageView``s with URLs signed by ``urls``."""

    def __init__(self, urls: ReadUrls) -> None:
        self._urls = urls

    def page(self, found: ImagesFound) -> ImagePage:
        """A page of images as the API answers it."""
        return ImagePage(images=[self.image(image) for image in found.images], next_cursor=found.next_cursor)

    def image(self, image: Image, with_urls: bool = True) -> ImageView:
        """The API view, with presigned URLs once there is something verified to show (none at all
        without ``with_urls``: an export's record, read long after any URL would expire)."""
        completed = with_urls and image.status is ImageStatus.COMPLETED
        content_type = image.metadata.content_type if image.metadata else None
        return ImageView(
            id=image.image_id,
            user_id=image.user_id,
            type=image.type,
            status=image.status,
            title=image.title,
            description=image.description,
            prompt=image.prompt,
            storage_url=self._urls.presign_read(image.object_key, content_type) if completed else None,
            thumbnail_url=(
                self._urls.presign_read(image.thumbnail_key, "image/webp")
                if with_urls and image.thumbnail_key and image.status is not ImageStatus.FAILED
                else None
            ),
            metadata=image.metadata,
            coins_used=image.coins_used,
            coins_refunded=image.coins_refunded,
            error=image.error,
            error_code=image.error_code,
            model=image.model,
            image_size=image.image_size,
            aspect_ratio=image.aspect_ratio,
            parent_image_id=image.parent_image_id,
            thread_id=image.thread,
            reference_image_ids=image.reference_image_ids,
            batch_id=image.batch_id,
            batch_size=image.batch_size,
            favorite=image.favorite,
            created_at=image.created_at,
            updated_at=image.updated_at,
        )
