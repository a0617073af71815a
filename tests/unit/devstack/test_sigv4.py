"""The local AWS's signature check, against requests signed by boto3 itself (and by the layer's own URL
signer) sent over HTTP: what is signed with the local key passes, anything else is refused in the
service's own error format, which boto3 reads back as that service's error code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.credentials import ReadOnlyCredentials
from botocore.exceptions import ClientError

from devstack.aws import LOCAL_CREDENTIALS
from devstack.s3_post import upload_bucket
from devstack.sigv4 import SignedCallsOnly
from imagegen.adapters.url_signing import GetUrlSigner
from stacktools.template import REGION
from tests.loopback import serving

ACCESS_KEY, SECRET_KEY = LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"], LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
BUCKET = "local-images"


class Clock:
    """The signature check's clock, moved by the test (boto3 signs with the real one)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


class Backend:
    """What stands behind the check: answers every call it is let through, and remembers them."""

    def __init__(self) -> None:
        self.reached: list[tuple[str, str, bytes]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.reached.append(
            (environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["wsgi.input"].read(length))
        )
        start_response("200 OK", [("Content-Length", "0")])  # an empty answer reads as success in both
        return []


@pytest.fixture
def backend() -> Backend:
    return Backend()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def endpoint(backend: Backend, clock: Clock) -> Iterator[str]:
    uploads = SignedCallsOnly(
        backend,
        {ACCESS_KEY: SECRET_KEY},
        clock,
        proven_otherwise=lambda environ: upload_bucket(environ) is not None,
    )
    with serving(uploads) as url:
        yield url


def client(endpoint: str, service: str, secret_key: str = SECRET_KEY, access_key: str = ACCESS_KEY) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(signature_version="s3v4" if service == "s3" else None, retries={"max_attempts": 1}),
    )


def refusal(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    code: str = refused.value.response["Error"]["Code"]
    return code


# ---------------------------------------------------------------------------------------- signed: through
@pytest.mark.parametrize(
    "key", ["images/USER/IMAGE.png", "odd name (1) + ~tilde.jpg", "ünïcödé/ß.png", "a//double/slash"]
)
def test_s3_calls_signed_with_the_local_key_pass_whatever_the_key(
    endpoint: str, backend: Backend, key: str
) -> None:
    s3 = client(endpoint, "s3")

    s3.put_object(Bucket=BUCKET, Key=key, Body=b"bytes", ContentType="image/png")
    s3.head_object(Bucket=BUCKET, Key=key)
    s3.list_objects_v2(Bucket=BUCKET, Prefix=key, MaxKeys=7)

    assert [method for method, _, _ in backend.reached] == ["PUT", "HEAD", "GET"]


def test_json_services_signed_with_the_local_key_pass(endpoint: str, backend: Backend) -> None:
    client(endpoint, "dynamodb").get_item(TableName="users", Key={"pk": {"S": "USER#1 ünïcödé"}})
    client(endpoint, "sqs").send_message(QueueUrl=f"{endpoint}/123456789012/jobs", MessageBody="{}")
    client(endpoint, "secretsmanager").get_secret_value(SecretId="token-signing")

    assert len(backend.reached) == 3
    assert (
        b"USER#1" in backend.reached[0][2]
    )  # the body reached the service whole, after its hash was checked


def test_presigned_urls_of_boto3_and_of_the_layer_pass(endpoint: str) -> None:
    s3 = client(endpoint, "s3")
    key = "thumbnails/USER/IMAGE/512 (x).webp"
    by_boto3 = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=60)
    credentials = ReadOnlyCredentials(ACCESS_KEY, SECRET_KEY, None)
    by_layer = GetUrlSigner(s3, BUCKET, lambda: credentials).sign(key, 60, response_content_type="image/webp")

    assert requests.get(by_boto3, timeout=10).status_code == 200
    assert requests.get(by_layer, timeout=10).status_code == 200


# ---------------------------------------------------------------------------------------- refused
def test_another_secret_or_key_is_refused_in_each_services_own_terms(endpoint: str, backend: Backend) -> None:
    s3 = client(endpoint, "s3", secret_key="guessed")
    dynamodb = client(endpoint, "dynamodb", secret_key="guessed")
    stranger = client(endpoint, "dynamodb", access_key="AKIASTRANGER")

    assert refusal(lambda: s3.get_object(Bucket=BUCKET, Key="a.png")) == "SignatureDoesNotMatch"
    assert refusal(lambda: dynamodb.list_tables()) == "InvalidSignatureException"
    assert refusal(lambda: stranger.list_tables()) == "UnrecognizedClientException"
    assert (
        refusal(lambda: client(endpoint, "s3", access_key="AKIASTRANGER").list_buckets())
        == "InvalidAccessKeyId"
    )
    assert backend.reached == []


def test_a_request_changed_after_signing_is_refused(endpoint: str, backend: Backend) -> None:
    dynamodb = client(endpoint, "dynamodb")

    def change_the_body(request: Any, **_: Any) -> None:
        request.body = request.body.replace(b"users", b"coins")

    dynamodb.meta.events.register("before-send.dynamodb.GetItem", change_the_body)

    assert refusal(lambda: dynamodb.get_item(TableName="users", Key={"pk": {"S": "x"}})) == (
        "InvalidSignatureException"
    )
    assert backend.reached == []


def test_unsigned_and_version_2_calls_are_refused(endpoint: str, backend: Backend) -> None:
    unsigned_object = requests.get(f"{endpoint}/{BUCKET}/a.png", timeout=10)
    unsigned_table = requests.post(
        endpoint, headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"}, data="{}", timeout=10
    )
    version_2 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(signature_version="s3"),
    ).generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "a.png"})

    assert (unsigned_object.status_code, "<Code>AccessDenied</Code>" in unsigned_object.text) == (403, True)
    assert (unsigned_table.status_code, unsigned_table.json()["__type"]) == (
        400,
        "com.amazon.coral.service#MissingAuthenticationTokenException",
    )
    old = requests.get(version_2, timeout=10)
    assert (old.status_code, "<Code>InvalidRequest</Code>" in old.text) == (400, True)
    assert backend.reached == []


def test_a_presigned_url_is_refused_once_it_expires(endpoint: str, clock: Clock) -> None:
    url = client(endpoint, "s3").generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "a.png"}, ExpiresIn=60
    )
    clock.offset = timedelta(seconds=59)
    assert requests.get(url, timeout=10).status_code == 200

    clock.offset = timedelta(seconds=62)
    expired = requests.get(url, timeout=10)

    assert (expired.status_code, "<Message>Request has expired</Message>" in expired.text) == (403, True)


def test_a_signed_call_too_far_from_now_is_refused(endpoint: str, clock: Clock) -> None:
    clock.offset = timedelta(minutes=16)

    assert refusal(lambda: client(endpoint, "s3").head_bucket(Bucket=BUCKET)) == "403"  # HEAD: no body
    assert refusal(lambda: client(endpoint, "s3").list_objects_v2(Bucket=BUCKET)) == "RequestTimeTooSkewed"


# ------------------------------------------------------------------------------- unsigned, let through
def test_preflights_and_requests_with_a_proof_of_their_own_pass_unsigned(
    endpoint: str, backend: Backend
) -> None:
    preflight = requests.options(
        f"{endpoint}/{BUCKET}",
        headers={"Origin": "http://127.0.0.1:3000", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    form = requests.post(f"{endpoint}/{BUCKET}", files={"file": ("a.png", b"x")}, timeout=10)

    assert preflight.status_code == form.status_code == 200
    assert [method for method, _, _ in backend.reached] == ["OPTIONS", "POST"]  # s3_post checks the form


def test_motos_management_routes_are_not_served_even_signed(endpoint: str, backend: Backend) -> None:
    for path in ("/moto-api/data.json", "/moto-api/reset", "/moto-api"):
        assert requests.post(f"{endpoint}{path}", timeout=10).status_code == 404
    assert backend.reached == []
