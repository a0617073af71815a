"""The images bucket: presigned URLs for the browser, reading and writing bytes (where each object
lives is ``imagegen.models.keys``). S3's failures come out as ``StorageUnavailable``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from imagegen.adapters.multipart import PART_BYTES, MultipartWriter
from imagegen.adapters.url_signing import GetUrlSigner
from imagegen.errors import StorageUnavailable
from imagegen.ids import iso, utc_now
from imagegen.models.images import PresignedPost
from imagegen.services.object_store import FetchedObject

if TYPE_CHECKING:
    from botocore.credentials import ReadOnlyCredentials
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client


class ImageStorage:
    """The images bucket on S3 (an ``ObjectStore``); presigning is local: no network call per URL."""

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

    def presign_read(self, key: str, content_type: str | None = None, expires_in: int | None = None) -> str:
        """A short-lived GET URL for ``key`` (served with ``content_type`` when given), valid for
        ``expires_in`` seconds, or the configured lifetime of image URLs."""
        return self._read_urls.sign(key, expires_in or self._read_url_ttl, content_type)

    def read(self, key: str) -> bytes:
        """The whole object (callers check its size first)."""
        try:
            return self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except (BotoCoreError, ClientError) as error:
            raise _unavailable(error) from error

    def read_if_exists(self, key: str) -> bytes | None:
        """The whole object, or None if there is none."""
        try:
            return self.read(key)
        except StorageUnavailable as error:
            if isinstance(error.__cause__, ClientError) and _missing(error.__cause__):
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
            raise _unavailable(error) from error
        except BotoCoreError as error:
            raise _unavailable(error) from error
        body = response["Body"]
        size = int(response["ContentLength"])
        try:
            data = body.read() if size <= max_bytes else None
        except BotoCoreError as error:
            raise _unavailable(error) from error
        finally:
            body.close()
        return FetchedObject(size=size, content_type=response.get("ContentType", ""), data=data)

    def read_chunks(self, key: str, chunk_bytes: int = 1024 * 1024) -> Iterator[bytes] | None:
        """The object's bytes as they arrive, ``chunk_bytes`` at a time (never all of it in memory);
        None if there is none."""
        try:
            body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"]
        except ClientError as error:
            if _missing(error):
                return None
            raise _unavailable(error) from error
        except BotoCoreError as error:
            raise _unavailable(error) from error
        return _chunks(body, chunk_bytes)

    def upload(self, key: str, content_type: str, part_bytes: int = PART_BYTES) -> MultipartWriter:
        """A stream that writes the object at ``key`` in parts (``complete`` it, or ``abort`` it)."""
        return MultipartWriter(self._client, self._bucket, key, content_type, part_bytes)

    def write_new(self, key: str, data: bytes, content_type: str) -> bool:
        """Write ``data`` at ``key`` unless an object is there already (S3's conditional write):
        False if one was."""
        try:
            self._put(key, data, content_type, IfNoneMatch="*")
        except StorageUnavailable as error:
            refused = error.__cause__
            if isinstance(refused, ClientError) and refused.response.get("Error", {}).get("Code") in (
                "PreconditionFailed",
                "ConditionalRequestConflict",
            ):
                return False
            raise
        return True

    def write(self, key: str, data: bytes, content_type: str) -> None:
        self._put(key, data, content_type)

    def _put(self, key: str, data: bytes, content_type: str, **conditions: str) -> None:
        try:
            self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                CacheControl="private, max-age=31536000",
                **conditions,  # type: ignore[arg-type]
            )
        except (BotoCoreError, ClientError) as error:
            raise _unavailable(error) from error

    def delete_under(self, prefix: str) -> int:
        """Remove every object whose key starts with ``prefix``, a page of up to 1,000 at a time; how
        many there were."""
        removed = 0
        try:
            for page in self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=prefix
            ):
                keys = [entry["Key"] for entry in page.get("Contents", [])]
                self.delete(*keys)
                removed += len(keys)
        except (BotoCoreError, ClientError) as error:
            raise _unavailable(error) from error
        return removed

    def delete(self, *keys: str) -> None:
        """Remove objects; keys that do not exist are fine."""
        if keys:
            try:
                self._client.delete_objects(
                    Bucket=self._bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
                )
            except (BotoCoreError, ClientError) as error:
                raise _unavailable(error) from error


def _chunks(body: StreamingBody, chunk_bytes: int) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(chunk_bytes)
    except BotoCoreError as error:
        raise _unavailable(error) from error
    finally:
        body.close()


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def _unavailable(error: BotoCoreError | ClientError) -> StorageUnavailable:
    return StorageUnavailable(f"the images bucket failed: {error}")
