"""stacktools.api_client, the one Python client of the API, held to the API's document
(docs/openapi.json): each method is an operation of the document, named by its operationId, and
sends that operation's method and path, only the query parameters and headers it declares, its
body as its schema, and the bearer token exactly where the document asks for one. No socket: the
client's session records what it would send."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import typing
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests

from stacktools import api_client
from stacktools.api_client import ApiClient
from stacktools.template import ROOT

DOCUMENT = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
BASE = "https://api.example.com"
TOKEN = "the-access-token"
# Operations no client of ours calls: Stripe calls its webhook, signed with the endpoint's secret.
NOT_CALLED = {"stripe_webhook"}
# The client's own plumbing, not operations.
PLUMBING = {"with_token", "close", "url", "send", "request"}
# Presigned URLs the API hands out: never the bearer token.
PRESIGNED = {"post_form", "download"}


def operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (METHOD, path, the operation)."""
    found = {}
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            found[operation["operationId"]] = (method.upper(), path, operation)
    return found


OPERATIONS = operations()
METHODS = sorted(
    name
    for name, member in inspect.getmembers(ApiClient, inspect.isfunction)
    if not name.startswith("_") and name not in PLUMBING | PRESIGNED and not name.startswith("local_")
)


class Recorder(requests.Session):
    """A session that sends nothing: it keeps each request and answers 200 ``{}``."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, Any]] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        assert not args, "the client passes everything by name"
        self.sent.append({"method": method, "url": url, **kwargs})
        response = requests.Response()
        response.status_code = 200
        response._content = b"{}"
        return response


def recorded(call: Callable[[ApiClient], object], token: str | None = TOKEN) -> dict[str, Any]:
    """What ``call`` on a client of ``token`` sends: its one request."""
    recorder = Recorder()
    call(ApiClient(BASE, token, http=recorder))
    assert len(recorder.sent) == 1, recorder.sent
    return recorder.sent[0]


def parameters(operation: dict[str, Any], where: str) -> set[str]:
    return {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == where}


def body_schema(operation: dict[str, Any]) -> str | None:
    """The name of the operation's JSON body schema, or None when it takes no body."""
    body = operation.get("requestBody")
    if body is None:
        return None
    ref: str = body["content"]["application/json"]["schema"]["$ref"]
    return ref.removeprefix("#/components/schemas/")


def sample(value_type: Any, name: str) -> Any:
    """A value of ``value_type`` for the field ``name``."""
    if typing.is_typeddict(value_type):
        return {key: sample(hint, key) for key, hint in typing.get_type_hints(value_type).items()}
    options = typing.get_args(value_type) or (value_type,)
    chosen = next(option for option in options if option is not type(None))
    if chosen is int:
        return 7
    if typing.get_origin(chosen) is list:
        return [f"{name}-item"]
    return f"{name}-value"


def arguments(name: str) -> tuple[list[Any], dict[str, Any]]:
    """Every parameter of the client's method ``name``, given: positional ones and keywords."""
    method = getattr(ApiClient, name)
    hints = typing.get_type_hints(method)
    positional, keywords = [], {}
    for parameter in list(inspect.signature(method).parameters.values())[1:]:
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        value = sample(hints[parameter.name], parameter.name)
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            keywords[parameter.name] = value
        else:
            positional.append(value)
    return positional, keywords


def test_every_operation_of_the_document_but_stripes_webhook_has_its_method() -> None:
    assert set(METHODS) == set(OPERATIONS) - NOT_CALLED, (
        "each method of ApiClient is named by an operationId of docs/openapi.json, and each operation"
        " we call has one"
    )


@pytest.mark.parametrize("name", METHODS)
def test_a_method_sends_its_operation_as_the_document_declares_it(name: str) -> None:
    method, path, operation = OPERATIONS[name]
    positional, keywords = arguments(name)

    sent = recorded(lambda client: getattr(client, name)(*positional, **keywords))

    assert sent["method"] == method
    url = urlsplit(sent["url"])
    assert f"{url.scheme}://{url.netloc}" == BASE
    named = dict(
        zip(list(inspect.signature(getattr(ApiClient, name)).parameters)[1:], positional, strict=False)
    )
    assert parameters(operation, "path") <= set(named), "path parameters are named as the document names them"
    expected = path.format(**{key: quote(str(value), safe="") for key, value in named.items()})
    assert url.path == expected
    assert parse_qsl(url.query) == []  # the query goes in `params`
    query = {key for key, value in (sent.get("params") or {}).items() if value is not None}
    assert query == parameters(operation, "query"), "every query parameter of the operation, and only those"
    headers = {key.lower() for key in sent["headers"]}
    declared = {header.lower() for header in parameters(operation, "header")}
    assert headers - {"authorization"} == declared, "the headers the operation declares, and only those"
    assert ("authorization" in headers) == ("security" in operation), (
        "the token exactly where it is asked for"
    )
    if "authorization" in headers:
        assert sent["headers"]["Authorization"] == f"Bearer {TOKEN}"
    schema = body_schema(operation)
    if schema is None:
        assert sent.get("json") is None
        assert sent.get("data") is None
    else:
        body_type = typing.get_type_hints(getattr(ApiClient, name))["body"]
        assert body_type.__name__ == schema, "the body is typed as the document's schema of its name"
        assert sent["json"] == positional[-1]


@pytest.mark.parametrize("name", sorted({body_schema(op) for _, _, op in OPERATIONS.values()} - {None}))
def test_a_body_type_is_its_schema(name: str) -> None:
    schema = DOCUMENT["components"]["schemas"][name]
    body_type = getattr(api_client, name)

    assert set(typing.get_type_hints(body_type)) == set(schema["properties"])
    assert body_type.__required_keys__ == set(schema.get("required", []))


def test_without_a_token_nothing_is_sent_as_one() -> None:
    sent = recorded(lambda client: client.my_profile(), token=None)

    assert "Authorization" not in sent["headers"]


def test_no_idempotency_key_unless_given() -> None:
    sent = recorded(lambda client: client.generate({"prompt": "a lighthouse"}))

    assert "Idempotency-Key" not in sent["headers"]
    assert sent["json"] == {"prompt": "a lighthouse"}


def test_no_accept_language_unless_given() -> None:
    sent = recorded(lambda client: client.sign_in_with_google({"token": "t"}), token=None)
    chosen = recorded(lambda client: client.sign_in_with_google({"token": "t"}, accept_language="es"))

    assert "Accept-Language" not in sent["headers"]
    assert chosen["headers"] == {"Accept-Language": "es"}  # and no token: sign-in is open to anyone


def test_a_path_parameter_is_one_segment_whatever_it_holds() -> None:
    sent = recorded(lambda client: client.get_image("../users/me?x=1"))

    assert urlsplit(sent["url"]).path == "/api/v1/images/..%2Fusers%2Fme%3Fx%3D1"


def test_a_query_parameter_not_given_is_not_sent() -> None:
    sent = recorded(lambda client: client.list_images(limit=5))

    assert {key: value for key, value in sent["params"].items() if value is not None} == {"limit": 5}


@pytest.mark.parametrize("url", [BASE, f"{BASE}/", f"{BASE}/api/v1", f"{BASE}/api/v1/"])
def test_the_base_url_is_where_the_routes_hang_off(url: str) -> None:
    assert ApiClient(url).url("/health") == f"{BASE}/api/v1/health"


def test_presigned_urls_never_get_the_token() -> None:
    form = {"url": "https://bucket.example.com/", "fields": {"key": "images/a.png", "policy": "p"}}

    posted = recorded(lambda client: client.post_form(form, "a.png", b"\x89PNG", "image/png"))
    fetched = recorded(lambda client: client.download("https://bucket.example.com/a.png?X-Amz-Signature=s"))

    assert posted["headers"] == {}
    assert fetched["headers"] == {}
    assert (posted["method"], posted["url"], posted["data"]) == ("POST", form["url"], form["fields"])
    assert posted["files"] == {"file": ("a.png", b"\x89PNG", "image/png")}
    assert (fetched["method"], fetched["url"]) == (
        "GET",
        "https://bucket.example.com/a.png?X-Amz-Signature=s",
    )


LOCAL = sorted(
    name for name, _ in inspect.getmembers(ApiClient, inspect.isfunction) if name.startswith("local_")
)


@pytest.mark.parametrize("name", LOCAL)
def test_the_local_stacks_routes_are_its_own_and_get_no_token(name: str) -> None:
    positional, keywords = arguments(name)

    sent = recorded(lambda client: getattr(client, name)(*positional, **keywords))

    assert urlsplit(sent["url"]).path.startswith("/_dev/")
    assert "Authorization" not in sent["headers"]


def test_with_token_is_another_session_over_the_same_connections() -> None:
    client = ApiClient(BASE, "first")
    other = client.with_token("second")

    assert (client.token, other.token) == ("first", "second")
    assert other.http is client.http


def loaded_by(code: str) -> list[str]:
    """The modules ``code`` loads beyond the standard library and what ``requests`` loads."""
    probe = (
        "import json, sys; import requests; "
        "before = set(sys.modules); "
        f"{code}; "
        "print(json.dumps(sorted(name for name in set(sys.modules) - before "
        "if name.split('.')[0] not in sys.stdlib_module_names)))"
    )
    completed = subprocess.run(  # noqa: S603 - this interpreter on our own code
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded: list[str] = json.loads(completed.stdout)
    return loaded


def test_the_client_needs_only_requests() -> None:
    assert loaded_by("import stacktools.api_client") == ["stacktools", "stacktools.api_client"]


def test_the_smoke_test_needs_only_requests_and_the_client() -> None:
    """It runs from any machine against any deployment: nothing else of the project."""
    smoke = ROOT / "infra" / "smoke.py"
    loaded = loaded_by(f"import runpy; runpy.run_path({str(smoke)!r}, run_name='smoke')")

    assert loaded == ["stacktools", "stacktools.api_client"]
