"""The local bucket's checks of browser uploads, against forms signed by boto3 as the upload
function signs them (``ImageStorage.presign_upload``), with the local stack's credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.credentials import ReadOnlyCredentials
from werkzeug.test import Client, TestResponse

from devstack.aws import LOCAL_CREDENTIALS
from devstack.s3_post import BrowserUploads, signing_key, verify_signature
from imagegen.adapters.storage import ImageStorage
from stacktools.template import REGION

BUCKET = "local-images"
KEY = "incoming/USER1/IMAGE1.png"
ACCESS_KEY, SECRET_KEY = LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"], LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 92  # 100 bytes; what they are does not matter to S3


def s3(access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY, region: str = REGION) -> Any:
    return boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:4566",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=Config(signature_version="s3v4"),
    )


def no_reads() -> ReadOnlyCredentials:
    raise AssertionError("these tests sign uploads only")


def presigned(size: int = len(PNG), expires_in: int = 300, client: Any = None) -> dict[str, str]:
    """The form fields the upload function hands the browser for ``KEY``."""
    storage = ImageStorage(client or s3(), BUCKET, read_url_ttl_seconds=60, credentials=no_reads)
    post = storage.presign_upload(KEY, "image/png", size, expires_in)
    assert post.url.endswith(f"/{BUCKET}")
    return dict(post.fields)


def boto3_post(
    key: str = KEY, conditions: list[Any] | None = None, fields: dict[str, str] | None = None
) -> dict[str, str]:
    """A form boto3 signs for another policy than the upload function's."""
    post = s3().generate_presigned_post(
        BUCKET, key, Fields=fields or {}, Conditions=conditions or [], ExpiresIn=60
    )
    return dict(post["fields"])


def hand_signed(document: Any) -> dict[str, str]:
    """A form for any policy document, signed as the S3 guide says (sigv4-authentication-HTTPPOST)."""
    day = datetime.now(UTC).strftime("%Y%m%d")
    policy = base64.b64encode(json.dumps(document).encode()).decode()
    key = f"AWS4{SECRET_KEY}".encode()
    for scope in (day, REGION, "s3", "aws4_request"):
        key = hmac.new(key, scope.encode(), hashlib.sha256).digest()
    return {
        "key": KEY,
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": f"{ACCESS_KEY}/{day}/{REGION}/s3/aws4_request",
        "x-amz-date": f"{day}T000000Z",
        "policy": policy,
        "x-amz-signature": hmac.new(key, policy.encode(), hashlib.sha256).hexdigest(),
    }


class Moto:
    """Stands in for moto: keeps the bodies that reach it and answers as it does an upload."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.bodies.append(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        start_response("204 No Content", [])
        return [b""]


def multipart(
    fields: Mapping[str, str], file: bytes | None = PNG, file_first: bool = False, filename: str = "photo.png"
) -> tuple[str, bytes]:
    """Content-Type and body of the form a browser posts: the fields in order, then the file."""
    parts: list[tuple[str, Any]] = [(name, (None, value)) for name, value in fields.items()]
    if file is not None:
        parts.insert(0 if file_first else len(parts), ("file", (filename, file, "image/png")))
    prepared = requests.Request("POST", "http://127.0.0.1/", files=parts).prepare()
    assert isinstance(prepared.body, bytes)
    return prepared.headers["Content-Type"], prepared.body


def post(
    fields: Mapping[str, str],
    file: bytes | None = PNG,
    path: str = f"/{BUCKET}",
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    **form: Any,
) -> tuple[TestResponse, Moto]:
    moto = Moto()
    content_type, body = multipart(fields, file, **form)
    app = BrowserUploads(moto, {ACCESS_KEY: SECRET_KEY}, REGION, clock)
    return Client(app).post(path, data=body, content_type=content_type), moto


def error(response: TestResponse) -> dict[str, str]:
    """The elements of S3's XML error, which must come with S3's content type."""
    assert response.content_type == "application/xml"
    root = ElementTree.fromstring(response.data)  # noqa: S314 - the answer of the code under test
    assert root.tag == "Error"
    return {element.tag: element.text or "" for element in root}


def without(fields: Mapping[str, str], *names: str) -> dict[str, str]:
    return {name: value for name, value in fields.items() if name not in names}


def test_an_upload_as_presigned_reaches_moto_unchanged() -> None:
    content_type, body = multipart(presigned())
    moto = Moto()
    app = BrowserUploads(moto, {ACCESS_KEY: SECRET_KEY}, REGION)

    response = Client(app).post(f"/{BUCKET}", data=body, content_type=content_type)

    assert response.status_code == 204
    assert moto.bodies == [body]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"key": "public/x.html"}, f'Policy Condition failed: ["eq", "$key", "{KEY}"]'),
        ({"key": "incoming/OTHER/IMAGE1.png"}, f'Policy Condition failed: ["eq", "$key", "{KEY}"]'),
        ({"Content-Type": "text/html"}, 'Policy Condition failed: ["eq", "$Content-Type", "image/png"]'),
        ({"acl": "public-read"}, "Extra input fields: acl"),
        ({"x-amz-meta-Owner": "me"}, "Extra input fields: x-amz-meta-Owner"),
    ],
    ids=["another key", "another user's key", "another content type", "an acl", "metadata"],
)
def test_a_field_the_policy_does_not_allow_is_refused(change: dict[str, str], message: str) -> None:
    response, moto = post({**presigned(), **change})

    assert response.status_code == 403
    assert error(response)["Code"] == "AccessDenied"
    assert error(response)["Message"] == f"Invalid according to Policy: {message}"
    assert moto.bodies == []


def test_the_policy_binds_the_bucket_it_was_signed_for() -> None:
    response, moto = post(presigned(), path="/another-bucket")

    assert response.status_code == 403
    assert error(response)["Message"] == (
        f'Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "{BUCKET}"]'
    )
    assert moto.bodies == []


@pytest.mark.parametrize(
    ("file", "code", "bound", "allowed"),
    [(PNG + b"!", "EntityTooLarge", "MaxSizeAllowed", "100"), (b"", "EntityTooSmall", "MinSizeAllowed", "1")],
)
def test_a_file_outside_the_content_length_range_is_refused(
    file: bytes, code: str, bound: str, allowed: str
) -> None:
    response, moto = post(presigned(size=len(PNG)), file=file)

    assert response.status_code == 400
    elements = error(response)
    assert elements["Code"] == code
    assert (elements["ProposedSize"], elements[bound]) == (str(len(file)), allowed)
    assert moto.bodies == []


def test_the_range_includes_its_bounds() -> None:
    assert post(presigned(size=len(PNG)), file=PNG)[0].status_code == 204
    assert post(presigned(size=len(PNG)), file=b"x")[0].status_code == 204


@pytest.mark.parametrize(
    ("expires_in", "clock"),
    [(-1, lambda: datetime.now(UTC)), (300, lambda: datetime.now(UTC) + timedelta(seconds=301))],
    ids=["signed expired", "expired since"],
)
def test_an_expired_policy_is_refused(expires_in: int, clock: Callable[[], datetime]) -> None:
    response, moto = post(presigned(expires_in=expires_in), clock=clock)

    assert response.status_code == 403
    assert error(response)["Code"] == "AccessDenied"
    assert error(response)["Message"] == "Invalid according to Policy: Policy expired."
    assert moto.bodies == []


def test_a_wrong_signature_is_refused_with_what_s3_signed() -> None:
    fields = presigned()
    forged = {**fields, "x-amz-signature": "0" * 64}

    response, moto = post(forged)

    assert response.status_code == 403
    elements = error(response)
    assert elements["Code"] == "SignatureDoesNotMatch"
    assert (elements["AWSAccessKeyId"], elements["SignatureProvided"]) == (ACCESS_KEY, "0" * 64)
    assert elements["StringToSign"] == fields["policy"]
    assert bytes.fromhex(elements["StringToSignBytes"].replace(" ", "")) == fields["policy"].encode()
    assert moto.bodies == []


@pytest.mark.parametrize(
    "fields",
    [
        {**presigned(), "policy": boto3_post(key="public/x.html")["policy"]},
        presigned(client=s3(secret_key="not-the-stack's")),
    ],
    ids=["another policy under this signature", "signed with another secret"],
)
def test_a_policy_the_stack_did_not_sign_is_refused(fields: dict[str, str]) -> None:
    response, moto = post(fields)

    assert response.status_code == 403
    assert error(response)["Code"] == "SignatureDoesNotMatch"
    assert moto.bodies == []


def test_an_access_key_the_stack_does_not_know_is_refused() -> None:
    response, _ = post(presigned(client=s3(access_key="AKIDSOMEONEELSE")))

    assert response.status_code == 403
    assert error(response)["Code"] == "InvalidAccessKeyId"
    assert error(response)["AWSAccessKeyId"] == "AKIDSOMEONEELSE"


def test_a_credential_for_another_region_is_refused() -> None:
    response, _ = post(presigned(client=s3(region="eu-west-1")))

    assert response.status_code == 400
    assert error(response)["Code"] == "InvalidArgument"
    assert error(response)["Message"] == "the region 'eu-west-1' is wrong; expecting 'us-east-1'"


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        (("key",), "key"),
        (("policy",), "policy"),
        (("x-amz-signature",), "X-Amz-Signature"),
        (("x-amz-algorithm", "x-amz-credential"), "X-Amz-Algorithm"),
    ],
)
def test_a_missing_field_of_a_signed_form_is_named(missing: tuple[str, ...], named: str) -> None:
    response, moto = post(without(presigned(), *missing))

    assert response.status_code == 400
    elements = error(response)
    assert elements["Code"] == "InvalidArgument"
    assert elements["Message"] == (
        f"Bucket POST must contain a field named '{named}'.  If it is specified, please check the order "
        "of the fields."
    )
    assert (elements["ArgumentName"], elements["ArgumentValue"]) == (named, "")
    assert moto.bodies == []


def test_fields_after_the_file_are_not_read() -> None:
    response, moto = post(presigned(), file_first=True)

    assert response.status_code == 400
    assert error(response)["ArgumentName"] == "key"
    assert moto.bodies == []


@pytest.mark.parametrize(
    "fields",
    [
        {"key": KEY, "Content-Type": "image/png"},
        without(presigned(), "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"),
    ],
    ids=["no policy", "a policy without its signature fields"],
)
def test_an_anonymous_upload_is_refused(fields: dict[str, str]) -> None:
    response, moto = post(fields)

    assert response.status_code == 403
    assert (error(response)["Code"], error(response)["Message"]) == ("AccessDenied", "Access Denied")
    assert moto.bodies == []


def test_a_signature_version_2_form_is_refused_for_version_4() -> None:
    response, _ = post({"key": KEY, "AWSAccessKeyId": ACCESS_KEY, "policy": "e30=", "signature": "x"})

    assert response.status_code == 400
    assert error(response)["Code"] == "InvalidRequest"


def test_a_form_without_a_file_is_refused() -> None:
    response, moto = post(presigned(), file=None)

    assert response.status_code == 400
    elements = error(response)
    assert (elements["Code"], elements["ArgumentName"], elements["ArgumentValue"]) == (
        "InvalidArgument",
        "file",
        "0",
    )
    assert moto.bodies == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=xyz", b"not a form"),
        (
            "multipart/form-data; boundary=xyz",
            b'--xyz\r\nContent-Disposition: form-data; name="key"\r\n\r\nk',
        ),
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Type: text/plain\r\n\r\nk\r\n--xyz--\r\n"),
        ("multipart/form-data", b"--xyz--\r\n"),
    ],
    ids=["garbage", "cut short", "a part without a name", "no boundary"],
)
def test_a_body_that_is_not_multipart_form_data_is_refused(content_type: str, body: bytes) -> None:
    moto = Moto()
    app = BrowserUploads(moto, {ACCESS_KEY: SECRET_KEY}, REGION)

    response = Client(app).post(f"/{BUCKET}", data=body, content_type=content_type)

    assert response.status_code == 400
    assert error(response)["Code"] == "MalformedPOSTRequest"
    assert moto.bodies == []


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"conditions": []}, "Policy missing expiration."),
        ({"expiration": "2099-01-01T00:00:00Z"}, "Policy missing conditions."),
        (
            {"expiration": "2099-01-01 00:00:00", "conditions": []},
            "Invalid 'expiration' value: '2099-01-01 00:00:00'",
        ),
        (
            {"expiration": "2099-01-01T00:00:00.000Z", "conditions": [{"bucket": BUCKET, "key": KEY}]},
            "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
        ),
        (
            {"expiration": "2099-01-01T00:00:00Z", "conditions": [["in", "$key", [KEY]]]},
            "Invalid Condition: unknown operation 'in'.",
        ),
        ("not a policy", "Invalid JSON."),
    ],
)
def test_a_policy_s3_cannot_read_is_refused(document: Any, message: str) -> None:
    response, moto = post(hand_signed(document))

    assert response.status_code == 400
    assert error(response)["Code"] == "InvalidPolicyDocument"
    assert error(response)["Message"] == f"Invalid Policy: {message}"
    assert moto.bodies == []


def test_field_names_are_case_insensitive_and_x_ignore_fields_are_ignored() -> None:
    fields = presigned()
    renamed = {name.title() if name != "key" else name: value for name, value in fields.items()}

    response, moto = post({**renamed, "x-ignore-submit": "Upload"})

    assert response.status_code == 204, response.data
    assert len(moto.bodies) == 1


@pytest.mark.parametrize(
    ("content_type", "status"),
    [("image/png", 204), ("image/png,image/gif", 204), ("image/png,text/html", 403), ("text/html", 403)],
)
def test_starts_with_a_content_type_holds_for_each_listed_type(content_type: str, status: int) -> None:
    fields = boto3_post(
        conditions=[["starts-with", "$Content-Type", "image/"]], fields={"Content-Type": content_type}
    )
    assert post(fields)[0].status_code == status


@pytest.mark.parametrize(
    ("filename", "status"),
    [("photo.png", 204), ("other.png", 403), ("../photo.png", 204), ("photo.png/other.png", 403)],
)
def test_the_file_name_fills_in_the_key_before_it_is_checked(filename: str, status: int) -> None:
    """Only the name after the last slash is used (sigv4-HTTPPOSTForms)."""
    fields = boto3_post(
        key="incoming/USER1/${filename}", conditions=[["starts-with", "$key", "incoming/USER1/photo"]]
    )

    response, _ = post(fields, filename=filename)

    assert response.status_code == status


def test_a_condition_on_a_field_the_form_lacks_fails_even_for_any_value() -> None:
    fields = boto3_post(conditions=[["starts-with", "$x-amz-meta-tag", ""]])
    response, _ = post(fields)

    assert response.status_code == 403
    assert error(response)["Message"].endswith('["starts-with", "$x-amz-meta-tag", ""]')


def test_a_refusal_can_be_read_by_the_page_that_posted_it() -> None:
    content_type, body = multipart(without(presigned(), "key"))
    app = BrowserUploads(Moto(), {ACCESS_KEY: SECRET_KEY}, REGION)

    response = Client(app).post(
        f"/{BUCKET}", data=body, content_type=content_type, headers={"Origin": "http://127.0.0.1:3000"}
    )

    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:3000"


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [
        ("GET", f"/{BUCKET}/{KEY}", None),
        ("PUT", f"/{BUCKET}/{KEY}", "image/png"),
        ("POST", f"/{BUCKET}?delete", "application/xml"),
        ("POST", "/", "application/x-www-form-urlencoded"),
    ],
)
def test_other_requests_go_to_moto_untouched(method: str, path: str, content_type: str | None) -> None:
    moto = Moto()
    app = BrowserUploads(moto, {ACCESS_KEY: SECRET_KEY}, REGION)

    response = Client(app).open(path, method=method, data=b"<Delete/>", content_type=content_type)

    assert response.status_code == 204
    assert moto.bodies == [b"<Delete/>"]


def test_the_signature_is_checked_as_aws_documents_it() -> None:
    """AWS's example of a signed POST policy (sigv4-post-example), byte for byte."""
    policy = (
        "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6"
        "ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFj"
        "bCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tl"
        "dC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5"
        "cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZl"
        "ci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoN"
        "CiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVx"
        "dWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAx"
        "NTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
    )
    access_key, key = signing_key(
        "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
        {"AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
        "us-east-1",
    )

    verify_signature(
        policy, "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e", access_key, key
    )


def test_the_hand_signed_forms_sign_as_boto3_does() -> None:
    fields = presigned()
    document = json.loads(base64.b64decode(fields["policy"]))
    assert hand_signed(document)["policy"] == fields["policy"]
    assert hand_signed(document)["x-amz-signature"] == fields["x-amz-signature"]
