"""The images bucket: where objects live, presigned URLs for the browser, reading and writing bytes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from imagegen.ids import iso, utc_now
from imagegen.models.formats import BY_CONTENT_TYPE
from imagegen.models.images import PresignedPost
from imagegen.services.url_signing import GetUrlSigner

if TYPE_CHECKING:
    from botocore.credentials import ReadOnlyCredentials
    from mypy_boto3_s3 import S3Client

THUMBNAIL_NAME = "512.webp"


def object_key(user_id: str, image_id: str, content_type: str) -> str:
    """Where an image's original lives: ``images/{userId}/{imageId}.{ext}``. Only the service
    writes there, and only bytes that passed its checks."""
    return f"images/{user_id}/{image_id}.{BY_CONTENT_TYPE[content_type].extension}"


def incoming_key(user_id: str, image_id: str) -> str:
    """Where a browser's upload lands (``incoming/{userId}/{imageId}``): the only key a presigned POST
    may write. The pipeline checks what arrives and copies those exact bytes to ``object_key``."""
    return f"incoming/{user_id}/{image_id}"


def thumbnail_key(user_id: str, image_id: str) -> str:
    """Where an image's thumbnail lives, outside the ``images/`` prefix the pipeline listens to."""
    return f"thumbnails/{user_id}/{image_id}/{THUMBNAIL_NAME}"


def turn_key(user_id: str, image_id: str) -> str:
    """Where the model's turn that made a generated image is kept (what an edit of it replays),
    outside the ``images/`` prefix too."""
    return f"turns/{user_id}/{image_id}.json"


def derived_keys(user_id: str, image_id: str) -> tuple[str, ...]:
    """Every object an image may have besides its original: removed with it."""
    return thumbnail_key(user_id, image_id), turn_key(user_id, image_id), incoming_key(user_id, image_id)


@dataclass(frozen=True, slots=True)
class FetchedObject:
    """An object as one GET saw it: its size and type, and its bytes unless it was over the limit."""

    size: int
    content_type: str
    data: bytes | None


class ImageStorage:
    """The images bucket. Presigning is local computation: no network call per URL."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        read_url_ttl_seconds: int,
        credentials: Callable[[], ReadOnlyCredentials],
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._read_url_ttl = read_url_ttl_seconds
        self._credentials = credentials

    @cached_property
    def _read_urls(self) -> GetUrlSigner:
        return GetUrlSigner(self._client, self._bucket, self._credentials)

    def presign_upload(self, key: str, content_type: str, size: int, expires_in: int) -> PresignedPost:
        """A presigned POST for exactly ``key``, ``content_type``, and at most ``size`` bytes.

        POST rather than PUT because only a POST policy can cap the size
        (``content-length-range``); the key is pinned by the policy's ``key`` condition.
        """
        expires_at = utc_now() + timedelta(seconds=expires_in)
        post = self._client.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, size]],
            ExpiresIn=expires_in,
        )
        return PresignedPost(url=post["url"], fields=post["fields"], expires_at=iso(expires_at))

    def presign_read(self, key: str, content_type: str | None = None) -> str:
        """A short-lived GET URL for ``key`` (served with ``content_type`` when given)."""
        return self._read_urls.sign(key, self._read_url_ttl, content_type)

    def read(self, key: str) -> bytes:
        """The whole object (callers check its size first)."""
        return self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()

    def read_if_exists(self, key: str) -> bytes | None:
        """The whole object, or None if there is none."""
        try:
            return self.read(key)
        except ClientError as error:
            if _missing(error):
                return None
            raise

    def fetch(self, key: str, max_bytes: int) -> FetchedObject | None:
        """The object at ``key`` in one GET (size, type and bytes belong to one version of it), its bytes
        left unread when it is over ``max_bytes``; None if there is none."""
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if _missing(error):
                return None
            raise
        body = response["Body"]
        size = int(response["ContentLength"])
        try:
            data = body.read() if size <= max_bytes else None
        finally:
            body.close()
        return FetchedObject(size=size, content_type=response.get("ContentType", ""), data=data)

    def write_new(self, key: str, data: bytes, content_type: str) -> bool:
        """Write ``data`` at ``key`` unless an object is there already (S3's conditional write):
        False if one was."""
        try:
            self._put(key, data, content_type, IfNoneMatch="*")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in (
                "PreconditionFailed",
                "ConditionalRequestConflict",
            ):
                return False
            raise
        return True

    def write(self, key: str, data: bytes, content_type: str) -> None:
        self._put(key, data, content_type)

    def _put(self, key: str, data: bytes, content_type: str, **conditions: str) -> None:
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl="private, max-age=31536000",
            **conditions,  # type: ignore[arg-type]
        )

    def delete(self, *keys: str) -> None:
        """Remove objects; keys that do not exist are fine."""
        if keys:
            self._client.delete_objects(
                Bucket=self._bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
            )


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")
