"""S3's checks of a browser upload (POST Object with a signed POST policy), in front of moto.

moto stores whatever a form POST names: another ``key``, another ``Content-Type``, any size,
an expired or forged policy; and a form without ``key`` makes it answer an HTML 500. S3
refuses all of these, and the upload flow relies on it (``presign_upload`` pins the key, the
type and the size in the policy). ``BrowserUploads`` wraps moto's WSGI app: a multipart POST
to a bucket's path-style URL (what ``generate_presigned_post`` returns for a custom endpoint)
is checked here first and answered with S3's status and XML error when S3 would refuse it;
anything else, and every upload S3 would accept, reaches moto unchanged.

Sources: the POST pages of the S3 developer guide (sigv4-HTTPPOSTForms,
sigv4-HTTPPOSTConstructPolicy, sigv4-authentication-HTTPPOST, ErrorResponses) and, where the
guide is silent or wrong (codes and messages of refusals), answers S3 gave on the wire:
LocalStack's recorded ``TestS3PresignedPost`` (validated against AWS) and captures quoted in
public issues. Where S3's order of checks is recorded (required fields, then the signature over
the policy as sent, then the policy) it is followed; the file's size, which a streaming server
learns last, is checked last.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from devstack import sigv4

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# A bucket's path-style URL: the presigned POST's ``url`` for an endpoint such as 127.0.0.1:4566.
_BUCKET_PATH = re.compile(r"^/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/?$")
SIGV4_FIELDS = ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")
SIGV2_FIELDS = ("awsaccesskeyid", "signature")
# Form fields no condition needs to name (sigv4-HTTPPOSTConstructPolicy, "Conditions").
EXEMPT_FIELDS = frozenset({"file", "policy", "x-amz-signature"})
IGNORED_PREFIX = "x-ignore-"
EXPIRATION_FORMATS = ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ")


class S3Error(Exception):
    """A refusal, answered as S3 answers it: status, ``Code``, ``Message`` and extra elements."""

    def __init__(self, status: int, code: str, message: str, **elements: str | int) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.elements = elements

    def xml(self) -> bytes:
        error = ElementTree.Element("Error")
        parts: dict[str, str | int] = {"Code": self.code, "Message": self.message, **self.elements}
        parts |= {"RequestId": uuid.uuid4().hex[:16].upper(), "HostId": _host_id()}
        for name, value in parts.items():
            ElementTree.SubElement(error, name).text = str(value)
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(
            error, short_empty_elements=False
        )


def _host_id() -> str:
    return base64.b64encode(secrets.token_bytes(48)).decode()


def access_denied(message: str = "Access Denied") -> S3Error:
    return S3Error(403, "AccessDenied", message)


def invalid_argument(message: str, name: str, value: str | int = "", **elements: str) -> S3Error:
    return S3Error(400, "InvalidArgument", message, ArgumentName=name, ArgumentValue=value, **elements)


def missing_field(name: str) -> S3Error:
    """S3's answer when a required field is absent, or comes after ``file`` (S3 ignores those)."""
    return invalid_argument(
        f"Bucket POST must contain a field named '{name}'.  If it is specified, please check the order "
        "of the fields.",
        name,
    )


def invalid_policy(detail: str) -> S3Error:
    return S3Error(400, "InvalidPolicyDocument", f"Invalid Policy: {detail}")


def condition_failed(condition: Any) -> S3Error:
    """S3 prints the condition as the policy wrote it, a simple one as its ``eq`` array."""
    written = json.dumps(condition, ensure_ascii=False)
    return access_denied(f"Invalid according to Policy: Policy Condition failed: {written}")


# ---------------------------------------------------------------------------------------- the form
@dataclass
class Form:
    """The fields S3 reads, by lower-cased name (names are case-insensitive, values are not), the
    names as sent in order, and the size of the file (None without one)."""

    fields: dict[str, str] = field(default_factory=dict)
    sent_names: list[str] = field(default_factory=list)
    file_size: int | None = None

    def get(self, name: str) -> str | None:
        return self.fields.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self.fields

    def keep(self, part: Field | File, value: bytes) -> None:
        """One part read in full: the file (whose name replaces ``${filename}`` in the fields), or a
        field (a repeated one joined with commas, as the guide says a policy must match it)."""
        name = part.name.lower()
        if name == "file":
            self.file_size = len(value)
            if isinstance(part, File) and part.filename:
                base = part.filename.replace("\\", "/").rsplit("/", 1)[-1]
                self.fields = {key: text.replace("${filename}", base) for key, text in self.fields.items()}
            return
        text = value.decode("utf-8", errors="replace")
        self.fields[name] = f"{self.fields[name]},{text}" if name in self.fields else text
        self.sent_names.append(part.name)


def read_form(content_type: str, body: bytes) -> Form:
    """Parse ``multipart/form-data`` with werkzeug's parser, keeping what S3 keeps: the fields
    before the part named ``file`` (S3 ignores the ones after it, "please check the order of the
    fields"), with ``${filename}`` expanded, and that part's size. A body that does not parse is
    S3's MalformedPOSTRequest."""
    _, options = parse_options_header(content_type)
    malformed = S3Error(
        400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data."
    )
    if not options.get("boundary"):
        raise malformed
    decoder = MultipartDecoder(options["boundary"].encode("latin-1"))
    decoder.receive_data(body)
    decoder.receive_data(None)
    form, part, value = Form(), None, bytearray()
    try:
        while not isinstance(event := decoder.next_event(), Epilogue):
            if isinstance(event, NeedData):  # the body ended before its closing boundary
                raise malformed
            if isinstance(event, Field | File):
                part, value = event, bytearray()
            elif isinstance(event, Data) and part is not None and form.file_size is None:
                value += event.data
                if not event.more_data:
                    form.keep(part, bytes(value))
    except ValueError as error:
        raise malformed from error
    return form


# ---------------------------------------------------------------------------------------- the checks
def require_file(form: Form) -> int:
    """S3 takes exactly one file: without one it answers InvalidArgument, not the guide's
    IncorrectNumberOfFilesInPostRequest."""
    if form.file_size is None:
        raise invalid_argument("POST requires exactly one file upload per request.", "file", 0)
    return form.file_size


def require_key(form: Form) -> None:
    if not form.get("key"):
        raise missing_field("key")


def require_signature_fields(form: Form) -> None:
    """A form without the SigV4 fields is anonymous, and anonymous uploads are refused: the
    template's bucket blocks public access. With some of them, every one is required."""
    if not any(name in form for name in SIGV4_FIELDS):
        if any(name in form for name in SIGV2_FIELDS):
            raise S3Error(
                400,
                "InvalidRequest",
                "The authorization mechanism you have provided is not supported. Please use "
                "AWS4-HMAC-SHA256.",
            )
        raise access_denied()
    for name, spelled in (
        ("policy", "policy"),
        ("x-amz-algorithm", "X-Amz-Algorithm"),
        ("x-amz-credential", "X-Amz-Credential"),
        ("x-amz-date", "X-Amz-Date"),
        ("x-amz-signature", "X-Amz-Signature"),
    ):
        if not form.get(name):
            raise missing_field(spelled)


def signing_key(credential: str, secret_keys: Mapping[str, str], region: str) -> tuple[str, bytes]:
    """The access key and SigV4 signing key of ``<access key>/<yyyymmdd>/<region>/<service>/aws4_request``:
    the key must be one the stack knows, the region the bucket's."""
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise invalid_argument(
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "
            '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
            "X-Amz-Credential",
            credential,
        )
    access_key, day, scope_region, service, _ = parts
    if access_key not in secret_keys:
        raise S3Error(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            AWSAccessKeyId=access_key,
        )
    if scope_region != region:
        raise invalid_argument(
            f"the region '{scope_region}' is wrong; expecting '{region}'",
            "X-Amz-Credential",
            credential,
            Region=region,
        )
    return access_key, sigv4.signing_key(secret_keys[access_key], day, scope_region, service)


def verify_signature(policy: str, signature: str, access_key: str, key: bytes) -> None:
    """The signature is the HMAC of the base64 policy as sent (checked before it is decoded)."""
    expected = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise S3Error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your "
            "key and signing method.",
            AWSAccessKeyId=access_key,
            StringToSign=policy,
            SignatureProvided=signature,
            StringToSignBytes=" ".join(f"{byte:02x}" for byte in policy.encode()),
        )


def read_policy(policy: str) -> tuple[datetime, list[Any]]:
    """The policy's ``expiration`` and ``conditions``, both required."""
    try:
        document = json.loads(base64.b64decode(policy, validate=True))
    except (binascii.Error, ValueError) as error:
        raise invalid_policy("Invalid JSON.") from error
    if not isinstance(document, dict):
        raise invalid_policy("Invalid JSON.")
    if "expiration" not in document:
        raise invalid_policy("Policy missing expiration.")
    if "conditions" not in document:
        raise invalid_policy("Policy missing conditions.")
    if not isinstance(document["conditions"], list):
        raise invalid_policy("Invalid 'conditions' value: must be a List.")
    return expiration(document["expiration"]), document["conditions"]


def expiration(value: Any) -> datetime:
    """ISO 8601 in UTC (``Z``), with or without milliseconds; S3 refuses offsets and spaces."""
    for pattern in EXPIRATION_FORMATS:
        try:
            return datetime.strptime(str(value), pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise invalid_policy(f"Invalid 'expiration' value: '{value}'")


def check_expiration(expires: datetime, now: datetime) -> None:
    if now > expires:
        raise access_denied("Invalid according to Policy: Policy expired.")


@dataclass(frozen=True)
class Condition:
    """One policy condition: ``operation`` (eq, starts-with, content-length-range) on ``name``
    (a field, lower-cased, without its ``$``), and how the policy wrote it."""

    operation: str
    name: str
    operands: tuple[Any, ...]
    written: Any


def parse_condition(condition: Any) -> Condition:
    """``{"field": "v"}`` is ``["eq", "$field", "v"]``; operations and names are case-insensitive,
    values are not."""
    if isinstance(condition, dict):
        if len(condition) != 1:
            raise invalid_policy(
                "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."
            )
        ((name, value),) = condition.items()
        if not isinstance(value, str):
            raise invalid_policy("Invalid Simple-Condition: value must be a string.")
        return Condition("eq", name.lower(), (value,), ["eq", f"${name}", value])
    if not isinstance(condition, list) or not condition or not isinstance(condition[0], str):
        raise invalid_policy("Invalid Condition: missing operation identifier.")
    operation = condition[0].lower()
    if operation not in ("eq", "starts-with", "content-length-range"):
        raise invalid_policy(f"Invalid Condition: unknown operation '{condition[0]}'.")
    if len(condition) != 3:
        raise invalid_policy(f"Invalid {condition[0]}: wrong number of arguments.")
    if operation == "content-length-range":
        return Condition(operation, "", tuple(condition[1:]), condition)
    name = condition[1]
    # A name without its "$" names no field: the condition cannot hold.
    field_name = name[1:].lower() if isinstance(name, str) and name.startswith("$") else ""
    return Condition(operation, field_name, (condition[2],), condition)


def condition_holds(condition: Condition, form: Form, bucket: str) -> bool:
    """A field the condition names must be present, even for ``starts-with ""``. A Content-Type
    that lists types with commas passes ``starts-with`` only if each of them does."""
    actual = bucket if condition.name == "bucket" else form.get(condition.name)
    (expected,) = condition.operands
    if actual is None or not condition.name or not isinstance(expected, str):
        return False
    if condition.operation == "eq":
        return actual == expected
    if condition.name == "content-type":
        return all(part.strip().startswith(expected) for part in actual.split(","))
    return actual.startswith(expected)


def check_conditions(conditions: list[Condition], form: Form, bucket: str) -> None:
    for condition in conditions:
        if condition.operation != "content-length-range" and not condition_holds(condition, form, bucket):
            raise condition_failed(condition.written)


def check_extra_fields(conditions: list[Condition], form: Form) -> None:
    """Every field but ``file``, ``policy``, ``x-amz-signature`` and ``x-ignore-*`` must be named
    by a condition; S3 reports the first other one as sent."""
    covered = {condition.name for condition in conditions}
    for name in form.sent_names:
        lowered = name.lower()
        if lowered not in covered | EXEMPT_FIELDS and not lowered.startswith(IGNORED_PREFIX):
            raise access_denied(f"Invalid according to Policy: Extra input fields: {name}")


def check_content_length(conditions: list[Condition], size: int) -> None:
    """``content-length-range`` bounds the file's size, inclusively; bounds may be written as
    strings of digits; a bound that is not a whole number fails the condition."""
    for condition in conditions:
        if condition.operation != "content-length-range":
            continue
        low, high = (_whole_number(bound) for bound in condition.operands)
        if low is None or high is None:
            raise condition_failed(condition.written)
        if size > high:
            raise S3Error(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                ProposedSize=size,
                MaxSizeAllowed=high,
            )
        if size < low:
            raise S3Error(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                ProposedSize=size,
                MinSizeAllowed=low,
            )


def _whole_number(bound: Any) -> int | None:
    if isinstance(bound, int) and not isinstance(bound, bool):
        return bound
    if isinstance(bound, str) and re.fullmatch(r"-?\d+", bound):
        return int(bound)
    return None


def check_upload(bucket: str, form: Form, secret_keys: Mapping[str, str], region: str, now: datetime) -> None:
    """Raise the S3Error S3 answers a browser upload of ``form`` to ``bucket`` with, if any."""
    size = require_file(form)
    require_key(form)
    require_signature_fields(form)
    policy, signature = form.fields["policy"], form.fields["x-amz-signature"]
    access_key, key = signing_key(form.fields["x-amz-credential"], secret_keys, region)
    verify_signature(policy, signature, access_key, key)
    expires, written = read_policy(policy)
    check_expiration(expires, now)
    conditions = [parse_condition(condition) for condition in written]
    check_conditions(conditions, form, bucket)
    check_extra_fields(conditions, form)
    check_content_length(conditions, size)


# ---------------------------------------------------------------------------------------- the WSGI layer
def upload_bucket(environ: Mapping[str, Any]) -> str | None:
    """The bucket of a browser upload, else None: a multipart POST to a bucket's URL is one,
    whatever else it carries (no other S3 operation sends a form). One without Content-Length
    goes on to moto, which refuses it as S3 does (411)."""
    if environ.get("REQUEST_METHOD") != "POST" or not str(environ.get("CONTENT_LENGTH", "")).isdigit():
        return None
    mimetype, _ = parse_options_header(environ.get("CONTENT_TYPE", ""))
    match = _BUCKET_PATH.match(environ.get("PATH_INFO", ""))
    return match.group(1) if match and mimetype == "multipart/form-data" else None


class BrowserUploads:
    """WSGI middleware: browser uploads S3 would refuse are answered here, the rest go to ``app``."""

    def __init__(
        self,
        app: WsgiApp,
        secret_keys: Mapping[str, str],
        region: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._app = app
        self._secret_keys = dict(secret_keys)
        self._region = region
        self._clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        bucket = upload_bucket(environ)
        if bucket is None:
            return self._app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        try:
            form = read_form(environ.get("CONTENT_TYPE", ""), body)
            check_upload(bucket, form, self._secret_keys, self._region, self._clock())
        except S3Error as error:
            return self._refuse(error, environ, start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        return self._app(environ, start_response)

    @staticmethod
    def _refuse(
        error: S3Error, environ: Mapping[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes]:
        """The XML error, with the CORS headers moto gives the bucket's other answers locally, so a
        page that posted the form can read why."""
        body = error.xml()
        headers = [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
        if origin := environ.get("HTTP_ORIGIN"):
            headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        start_response(f"{error.status} {_REASONS[error.status]}", headers)
        return [body]


_REASONS = {400: "Bad Request", 403: "Forbidden"}
