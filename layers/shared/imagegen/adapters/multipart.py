"""Writing one S3 object as a stream: bytes are buffered into parts and each full part is uploaded at
once (an S3 multipart upload), so an object of any size is written with one part's memory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from imagegen.errors import StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

PART_BYTES = 8 * 1024 * 1024
"""Each part but the last (S3 takes 5 MiB at least, and 10,000 parts at most: 78 GiB in all)."""


class MultipartWriter:
    """A write-only, unseekable file over a multipart upload of ``key`` (an ``ObjectUpload``): ``write``
    uploads a part whenever ``part_bytes`` are buffered; ``complete`` makes the object of the parts,
    ``abort`` discards them (nothing is left, and S3 bills no parts). ``tell`` is the bytes written so
    far, which is all ``zipfile`` asks of a stream it writes."""

    def __init__(self, client: S3Client, bucket: str, key: str, content_type: str, part_bytes: int) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._part_bytes = part_bytes
        self._buffer = bytearray()
        self._parts: list[CompletedPartTypeDef] = []
        self._written = 0
        try:
            self._upload_id = client.create_multipart_upload(
                Bucket=bucket, Key=key, ContentType=content_type
            )["UploadId"]
        except (BotoCoreError, ClientError) as error:
            raise StorageUnavailable(f"the images bucket did not start an upload: {error}") from error

    def write(self, data: bytes) -> int:
        self._buffer += data
        self._written += len(data)
        if len(self._buffer) >= self._part_bytes:
            self._send_part()
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        """Nothing: a part goes when it is full (S3 refuses small parts but the last)."""

    def complete(self) -> None:
        """Upload what is buffered as the last part and make the object."""
        if self._buffer or not self._parts:
            self._send_part()
        try:
            self._client.complete_multipart_upload(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        except (BotoCoreError, ClientError) as error:
            raise StorageUnavailable(f"the images bucket did not complete an upload: {error}") from error

    def abort(self) -> None:
        """Discard the parts uploaded; the object is never made."""
        self._buffer = bytearray()
        try:
            self._client.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
        except (BotoCoreError, ClientError) as error:
            raise StorageUnavailable(f"the images bucket did not abort an upload: {error}") from error

    def _send_part(self) -> None:
        number = len(self._parts) + 1
        part, self._buffer = bytes(self._buffer), bytearray()  # the buffer's memory goes with the part
        try:
            etag = self._client.upload_part(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=part
            )["ETag"]
        except (BotoCoreError, ClientError) as error:
            raise StorageUnavailable(f"the images bucket did not take a part: {error}") from error
        self._parts.append({"ETag": etag, "PartNumber": number})
