"""Presigned S3 GET URLs, signed here (SigV4 query authentication) rather than by botocore.

A gallery page carries two URLs per image. botocore resolves the endpoint, serializes a request and
derives the signing key again for every URL (about 0.2 ms each); here the bucket's URL is resolved
once (by botocore, so every addressing style and endpoint is its), the signing key once per day,
and each URL costs one canonical request and one HMAC. Tests hold the URLs to botocore's.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from imagegen.ids import utc_now

if TYPE_CHECKING:
    from botocore.credentials import ReadOnlyCredentials
    from mypy_boto3_s3 import S3Client

_ALGORITHM = "AWS4-HMAC-SHA256"
_PROBE_KEY = "url-signing-probe"


class GetUrlSigner:
    """Signs GET URLs for the objects of one bucket, as botocore's ``generate_presigned_url`` does."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        credentials: Callable[[], ReadOnlyCredentials],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        probe = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": _PROBE_KEY})
        base, _, _ = probe.partition("?")
        self._object_url = base.removesuffix(_PROBE_KEY)  # ends with "/": the key follows
        self._host = urlsplit(base).netloc
        self._path = urlsplit(self._object_url).path
        self._region = client.meta.region_name
        self._credentials = credentials
        self._clock = clock
        self._signing_key: tuple[tuple[str, str], bytes] | None = None
        self._credential_parts: tuple[tuple[str, str | None, str], tuple[str, str]] | None = None
        self._formatted: tuple[int, tuple[str, str]] | None = None

    def sign(self, key: str, expires_in: int, response_content_type: str | None = None) -> str:
        """A URL that GETs ``key`` for ``expires_in`` seconds (served as ``response_content_type``)."""
        credentials = self._credentials()
        if not (credentials.access_key and credentials.secret_key):
            raise RuntimeError("no AWS credentials to sign with")
        day, timestamp = self._moment(self._clock())
        scope = f"{day}/{self._region}/s3/aws4_request"
        credential, token = self._encoded_credentials(credentials.access_key, credentials.token, scope)
        # The canonical query, its names in SigV4's (byte) order, every value percent-encoded.
        canonical_query = (
            f"X-Amz-Algorithm={_ALGORITHM}&X-Amz-Credential={credential}&X-Amz-Date={timestamp}"
            f"&X-Amz-Expires={expires_in}{token}&X-Amz-SignedHeaders=host"
            + (f"&response-content-type={_encode(response_content_type)}" if response_content_type else "")
        )
        encoded_key = quote(key, safe="/~")
        canonical_request = "\n".join(
            [
                "GET",
                self._path + encoded_key,
                canonical_query,
                f"host:{self._host}",
                "",
                "host",
                "UNSIGNED-PAYLOAD",
            ]
        )
        string_to_sign = "\n".join(
            [_ALGORITHM, timestamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
        )
        signing_key = self._key(credentials.secret_key, day)  # checked above
        signature = hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        return f"{self._object_url}{encoded_key}?{canonical_query}&X-Amz-Signature={signature}"

    def _moment(self, now: datetime) -> tuple[str, str]:
        """The day and the timestamp SigV4 writes for ``now``: formatted once a second, not per URL."""
        second = int(now.timestamp())
        if self._formatted is None or self._formatted[0] != second:
            self._formatted = (second, (now.strftime("%Y%m%d"), now.strftime("%Y%m%dT%H%M%SZ")))
        return self._formatted[1]

    def _encoded_credentials(self, access_key: str, token: str | None, scope: str) -> tuple[str, str]:
        """The credential and session-token parameters, encoded once per key, token and day: a
        Lambda's session token runs to a kilobyte, too long to encode again for every URL."""
        if self._credential_parts is None or self._credential_parts[0] != (access_key, token, scope):
            encoded_token = f"&X-Amz-Security-Token={_encode(token)}" if token else ""
            self._credential_parts = (
                (access_key, token, scope),
                (_encode(f"{access_key}/{scope}"), encoded_token),
            )
        return self._credential_parts[1]

    def _key(self, secret: str, day: str) -> bytes:
        """The SigV4 signing key of ``day``: derived by four HMACs, the same all day."""
        if self._signing_key is not None and self._signing_key[0] == (secret, day):
            return self._signing_key[1]
        key = f"AWS4{secret}".encode()
        for part in (day, self._region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        self._signing_key = ((secret, day), key)
        return key


@lru_cache(maxsize=64)  # a handful of content types; credentials are cached above
def _encode(text: str) -> str:
    """Percent-encoding of SigV4's canonical query: everything but unreserved characters."""
    return quote(text, safe="-_.~")
