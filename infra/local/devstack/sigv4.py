"""AWS Signature Version 4, checked as AWS checks it, in front of moto (which takes any signature).

Every call to the local AWS must be signed with a key the stack knows (its local credentials): in
an ``Authorization`` header (boto3, the AWS CLI) or in the query of a presigned URL (the images
the API hands out). Anything else is refused as the service would refuse it: S3 in its XML, the
JSON services (DynamoDB, SQS, Secrets Manager, EventBridge, SSM) in theirs, query services in
``ErrorResponse``. A presigned URL past its ``X-Amz-Expires`` is refused, and so is a request
signed more than 15 minutes away from now. Two kinds of request carry no signature and pass:
CORS preflights (a browser sends none) and browser uploads (POST Object), which carry a signed
policy instead, checked by ``devstack.s3_post``. moto's own management routes (``/moto-api/``:
every table and secret, and a reset) are not AWS's, and are not served at all.

Source: the SigV4 pages of the IAM user guide ("Create a signed AWS API request", "Elements of an
AWS API request signature") and S3's ("Authenticating Requests: Using Query Parameters"); error
codes as the services answer them.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import posixpath
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any
from urllib.parse import quote, unquote
from xml.etree import ElementTree

from werkzeug.wrappers import Request

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_CLOCK_SKEW = timedelta(minutes=15)
MAX_PRESIGNED_SECONDS = 7 * 24 * 3600  # a week: S3 refuses a longer X-Amz-Expires
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
MANAGEMENT_PREFIX = "/moto-api"


def signing_key(secret_key: str, day: str, region: str, service: str) -> bytes:
    """The key a SigV4 signature of ``day`` (``yyyymmdd``), ``region`` and ``service`` is made with."""
    key = f"AWS4{secret_key}".encode()
    for scope in (day, region, service, "aws4_request"):
        key = hmac.new(key, scope.encode(), hashlib.sha256).digest()
    return key


class Failure(Enum):
    """Why a call was refused; each service names it its own way (``_ANSWERS``)."""

    UNSIGNED = "unsigned"
    UNSUPPORTED = "signature version 2"
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown key"
    WRONG_SIGNATURE = "wrong signature"
    EXPIRED = "expired"
    SKEWED = "skewed"


class Refused(Exception):
    def __init__(self, failure: Failure, detail: str = "") -> None:
        super().__init__(detail or failure.value)
        self.failure = failure
        self.detail = detail


@dataclass(frozen=True)
class Signature:
    """What a request says of its signature: by whom, when, over which headers."""

    access_key: str
    day: str
    region: str
    service: str
    timestamp: str
    signed_headers: tuple[str, ...]
    signature: str
    expires: int | None  # seconds, for a presigned URL; None for a signed header

    @property
    def scope(self) -> str:
        return f"{self.day}/{self.region}/{self.service}/aws4_request"


def _credential(value: str) -> tuple[str, str, str, str]:
    parts = value.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        raise Refused(Failure.MALFORMED, f"the credential {value!r} is not <key>/<day>/<region>/<service>")
    return parts[0], parts[1], parts[2], parts[3]


def read_signature(request: Request) -> Signature | None:
    """The request's SigV4 signature (header or query), None if it carries none; ``Refused`` if it
    carries one that cannot be read."""
    authorization = request.headers.get("Authorization")
    if authorization is not None:
        algorithm, _, rest = authorization.strip().partition(" ")
        if algorithm == "AWS":
            raise Refused(Failure.UNSUPPORTED)
        if algorithm != ALGORITHM:
            raise Refused(Failure.MALFORMED, f"the authorization mechanism {algorithm!r} is not {ALGORITHM}")
        fields = dict(part.strip().partition("=")[::2] for part in rest.split(","))
        if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
            raise Refused(Failure.MALFORMED, "Credential, SignedHeaders and Signature are required")
        timestamp = request.headers.get("X-Amz-Date", "")
        credential, names, signature, expires = (
            fields["Credential"],
            fields["SignedHeaders"],
            fields["Signature"],
            None,
        )
    elif "X-Amz-Signature" in request.args or "X-Amz-Credential" in request.args:
        query = request.args
        if query.get("X-Amz-Algorithm") != ALGORITHM:
            raise Refused(Failure.MALFORMED, f"X-Amz-Algorithm must be {ALGORITHM}")
        raw_expires = query.get("X-Amz-Expires", "")
        if not raw_expires.isdigit() or int(raw_expires) > MAX_PRESIGNED_SECONDS:
            raise Refused(Failure.MALFORMED, "X-Amz-Expires must be a number of seconds up to a week")
        timestamp = query.get("X-Amz-Date", "")
        credential, names, signature = (
            query.get("X-Amz-Credential", ""),
            query.get("X-Amz-SignedHeaders", ""),
            query.get("X-Amz-Signature", ""),
        )
        expires = int(raw_expires)
    elif "AWSAccessKeyId" in request.args:
        raise Refused(Failure.UNSUPPORTED)
    else:
        return None
    access_key, day, region, service = _credential(credential)
    if not timestamp.startswith(day):
        raise Refused(Failure.MALFORMED, "the credential's day is not the request's date")
    headers = tuple(names.split(";"))
    if "host" not in headers or not signature:
        raise Refused(Failure.MALFORMED, "the signed headers must include host")
    return Signature(access_key, day, region, service, timestamp, headers, signature, expires)


def canonical_request(request: Request, signature: Signature, body: bytes | None) -> str:
    """The request in SigV4's canonical form. S3 signs its path as sent; other services sign it
    normalized and encoded once more. ``body`` is read only where its hash is signed."""
    raw_path = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
    path = raw_path.partition("?")[0] or "/"
    if signature.service != "s3":
        normalized = posixpath.normpath(path) + ("/" if path.endswith("/") and path != "/" else "")
        path = quote(normalized, safe="/~")
    pairs = [
        (quote(unquote(name), safe="-_.~"), quote(unquote(value), safe="-_.~"))
        for name, _, value in (
            pair.partition("=") for pair in request.query_string.decode("latin-1").split("&") if pair
        )
        if unquote(name) != "X-Amz-Signature"
    ]
    query = "&".join(f"{name}={value}" for name, value in sorted(pairs))
    headers = "".join(
        f"{name}:{' '.join(request.headers.get(name, '').split())}\n" for name in signature.signed_headers
    )
    if signature.expires is not None and signature.service == "s3":
        payload = UNSIGNED_PAYLOAD  # a presigned URL cannot know the body it will be sent with
    else:
        payload = request.headers.get("X-Amz-Content-SHA256") or hashlib.sha256(body or b"").hexdigest()
    return "\n".join([request.method, path, query, headers, ";".join(signature.signed_headers), payload])


def read_body(request: Request) -> bytes:
    """The request's body, read so that the app behind still finds it whole."""
    body = request.get_data(cache=True)
    request.environ["wsgi.input"] = io.BytesIO(body)
    request.environ["CONTENT_LENGTH"] = str(len(body))
    request.environ.pop("HTTP_TRANSFER_ENCODING", None)  # read to its end: its length is known now
    return body


def check(request: Request, secret_keys: Mapping[str, str], now: datetime) -> None:
    """Raise ``Refused`` unless ``request`` is signed by one of ``secret_keys`` (access key to secret
    key), within its time."""
    signature = read_signature(request)
    if signature is None:
        raise Refused(Failure.UNSIGNED)
    secret = secret_keys.get(signature.access_key)
    if secret is None:
        raise Refused(Failure.UNKNOWN_KEY, signature.access_key)
    try:
        signed_at = datetime.strptime(signature.timestamp, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError as error:
        raise Refused(
            Failure.MALFORMED, f"the date {signature.timestamp!r} is not {TIMESTAMP_FORMAT}"
        ) from error
    body = None
    if "x-amz-content-sha256" not in request.headers and signature.service != "s3":
        body = read_body(request)
    canonical = canonical_request(request, signature, body)
    string_to_sign = "\n".join(
        [ALGORITHM, signature.timestamp, signature.scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = signing_key(secret, signature.day, signature.region, signature.service)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.signature):
        raise Refused(Failure.WRONG_SIGNATURE, signature.access_key)
    if signature.expires is not None:
        if now > signed_at + timedelta(seconds=signature.expires):
            raise Refused(Failure.EXPIRED)
    elif abs(now - signed_at) > MAX_CLOCK_SKEW:
        raise Refused(Failure.SKEWED)


# ---------------------------------------------------------------------------------------- answers
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
_V4_ONLY = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
# Per failure: (S3's status, code, message), (a JSON service's), (a query service's).
_ANSWERS: dict[Failure, tuple[tuple[int, str, str], tuple[int, str, str], tuple[int, str, str]]] = {
    Failure.UNSIGNED: (
        (403, "AccessDenied", "Access Denied"),
        (400, "MissingAuthenticationTokenException", "Missing Authentication Token"),
        (403, "MissingAuthenticationToken", "Request is missing Authentication Token"),
    ),
    Failure.UNSUPPORTED: (  # as S3 answers for buckets made since 2020, and other services always
        (400, "InvalidRequest", _V4_ONLY),
        (400, "IncompleteSignatureException", _V4_ONLY),
        (400, "IncompleteSignature", _V4_ONLY),
    ),
    Failure.MALFORMED: (
        (400, "AuthorizationHeaderMalformed", "The authorization header is malformed"),
        (400, "IncompleteSignatureException", "The request signature is malformed"),
        (400, "IncompleteSignature", "The request signature is malformed"),
    ),
    Failure.UNKNOWN_KEY: (
        (403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."),
        (400, "UnrecognizedClientException", "The security token included in the request is invalid."),
        (403, "InvalidClientTokenId", "The security token included in the request is invalid."),
    ),
    Failure.WRONG_SIGNATURE: (
        (403, "SignatureDoesNotMatch", _SIGNATURE_MISMATCH),
        (400, "InvalidSignatureException", _SIGNATURE_MISMATCH),
        (403, "SignatureDoesNotMatch", _SIGNATURE_MISMATCH),
    ),
    Failure.EXPIRED: (
        (403, "AccessDenied", "Request has expired"),
        (403, "InvalidSignatureException", "Signature expired"),
        (403, "SignatureDoesNotMatch", "Signature expired"),
    ),
    Failure.SKEWED: (
        (
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        ),
        (400, "InvalidSignatureException", "Signature expired: the request time is too far from now"),
        (403, "SignatureDoesNotMatch", "Signature expired: the request time is too far from now"),
    ),
}
_S3, _JSON, _QUERY = range(3)
_REASONS = {400: "Bad Request", 403: "Forbidden", 404: "Not Found"}


def _protocol(request: Request) -> int:
    """How the refused caller expects its error: S3's XML, a JSON service's, or a query service's."""
    content_type = request.headers.get("Content-Type", "")
    if "X-Amz-Target" in request.headers or content_type.startswith("application/x-amz-json"):
        return _JSON
    if "Action" in request.args or (
        content_type.startswith("application/x-www-form-urlencoded") and b"Action=" in read_body(request)
    ):
        return _QUERY
    return _S3


def _answer(request: Request, refused: Refused) -> tuple[int, str, bytes]:
    status, code, message = _ANSWERS[refused.failure][_protocol(request)]
    request_id = uuid.uuid4().hex[:16].upper()
    protocol = _protocol(request)
    if protocol == _JSON:
        body = json.dumps({"__type": f"com.amazon.coral.service#{code}", "message": message})
        return status, "application/x-amz-json-1.1", body.encode()
    root = ElementTree.Element("ErrorResponse" if protocol == _QUERY else "Error")
    error = ElementTree.SubElement(root, "Error") if protocol == _QUERY else root
    if protocol == _QUERY:
        ElementTree.SubElement(error, "Type").text = "Sender"
    ElementTree.SubElement(error, "Code").text = code
    ElementTree.SubElement(error, "Message").text = message
    ElementTree.SubElement(root, "RequestId").text = request_id
    return status, "application/xml", b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root)


def _preflight(request: Request) -> bool:
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


class SignedCallsOnly:
    """WSGI middleware: only calls signed with ``secret_keys`` reach ``app``, and the browser's
    preflights (which a browser never signs) and the requests ``proven_otherwise`` says carry a
    proof of their own (S3's browser uploads: a signed policy); moto's management routes reach
    nothing."""

    def __init__(
        self,
        app: WsgiApp,
        secret_keys: Mapping[str, str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        proven_otherwise: Callable[[Mapping[str, Any]], bool] = lambda _: False,
    ) -> None:
        self._app = app
        self._secret_keys = dict(secret_keys)
        self._clock = clock
        self._proven_otherwise = proven_otherwise

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if request.path == MANAGEMENT_PREFIX or request.path.startswith(f"{MANAGEMENT_PREFIX}/"):
            body = b"moto's management routes are not served: the local stack keeps them in its process."
            start_response(
                "404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
            )
            return [body]
        if not (_preflight(request) or self._proven_otherwise(environ)):
            try:
                check(request, self._secret_keys, self._clock())
            except Refused as refused:
                status, content_type, body = _answer(request, refused)
                headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
                if origin := request.headers.get("Origin"):  # a page of the stack's may read why
                    headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
                start_response(f"{status} {_REASONS[status]}", headers)
                return [body]
        return self._app(environ, start_response)
