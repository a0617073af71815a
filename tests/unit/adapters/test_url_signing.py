"""Presigned GET URLs signed by the service: the very URLs botocore makes, whatever the endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.credentials import ReadOnlyCredentials

from imagegen.adapters.url_signing import GetUrlSigner

BUCKET = "imagegen-images-123456789012"
KEY = "images/01JDQ4ZC3V8N8QK6Y7M2B5T9XW/01JDQ4ZD1P6E0VQ1Y3W8F2K7HM.png"


def s3(region: str = "eu-west-1", endpoint: str | None = None, token: str | None = None) -> Any:
    """An S3 client with known keys, and the keys (as the container's ``aws.credentials`` gives them)."""
    session = boto3.session.Session(
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        aws_session_token=token,
        region_name=region,
    )
    credentials = session.get_credentials()
    assert credentials is not None
    client = session.client("s3", endpoint_url=endpoint, config=Config(signature_version="s3v4"))
    return client, credentials.get_frozen_credentials


def parts(url: str) -> tuple[str, str, dict[str, list[str]]]:
    split = urlsplit(url)
    return split.netloc, split.path, parse_qs(split.query, keep_blank_values=True)


def ours_beside_botocores(keyed: Any, key: str, content_type: str | None) -> tuple[str, str]:
    client, credentials = keyed
    params = {"Bucket": BUCKET, "Key": key}
    if content_type:
        params["ResponseContentType"] = content_type
    theirs = client.generate_presigned_url("get_object", Params=params, ExpiresIn=900)
    signed_at = datetime.strptime(parse_qs(urlsplit(theirs).query)["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
    signer = GetUrlSigner(client, BUCKET, credentials, clock=lambda: signed_at.replace(tzinfo=UTC))
    return signer.sign(key, 900, content_type), theirs


@pytest.mark.parametrize(
    ("keyed", "content_type"),
    [
        (s3(), "image/png"),
        (s3(), None),
        (s3("us-east-1"), "image/webp"),
        (s3(endpoint="http://127.0.0.1:4566"), "image/jpeg"),  # the local stack: path style, a port
        (s3(token="FwoGZXIvYXdzEB0aDH+token/with=chars"), "image/gif"),  # a role's temporary keys
    ],
)
def test_a_url_is_the_one_botocore_signs(keyed: Any, content_type: str | None) -> None:
    ours, theirs = ours_beside_botocores(keyed, KEY, content_type)
    assert parts(ours) == parts(theirs)


def test_a_key_with_characters_to_escape_is_signed_as_botocore_does() -> None:
    ours, theirs = ours_beside_botocores(s3(), "thumbnails/a b+c~d/é.webp", "image/webp")
    assert parts(ours) == parts(theirs)


def test_the_signing_key_is_derived_again_on_a_new_day() -> None:
    client, credentials = s3()
    moments = [datetime(2026, 11, 29, 23, 59, 59, tzinfo=UTC)]
    signer = GetUrlSigner(client, BUCKET, credentials, clock=lambda: moments[-1])
    assert "20261129%2Feu-west-1" in signer.sign(KEY, 900)

    moments.append(moments[0] + timedelta(seconds=2))
    after = signer.sign(KEY, 900)

    assert "20261130%2Feu-west-1" in after
    assert after == GetUrlSigner(client, BUCKET, credentials, clock=lambda: moments[-1]).sign(KEY, 900)


def test_new_keys_are_signed_with_at_once() -> None:  # a role's keys, rotated by botocore
    client, credentials = s3()
    keys = [credentials()]
    moment = datetime(2026, 11, 29, 12, tzinfo=UTC)
    signer = GetUrlSigner(client, BUCKET, lambda: keys[-1], clock=lambda: moment)
    signer.sign(KEY, 900)

    keys.append(ReadOnlyCredentials("AKIANEWKEY", "a-new-secret", None))
    rotated = GetUrlSigner(client, BUCKET, lambda: keys[-1], clock=lambda: moment).sign(KEY, 900)
    assert signer.sign(KEY, 900) == rotated
    assert "AKIANEWKEY" in rotated
