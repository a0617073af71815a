"""While `make dev` runs, the web pages the developer opens can reach 127.0.0.1 too: none but the
stack's own (and ALLOWED_ORIGINS') may read or change anything, AWS calls need the local
credentials' signature, and a name rebound to 127.0.0.1 gets nothing (devstack.guard,
devstack.sigv4). A real Chromium page on another origin tries what an attacker's page would."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from playwright.sync_api import Browser, Page

from devstack.aws import LOCAL_CREDENTIALS
from devstack.sigv4 import ALGORITHM
from devstack.stack import LocalStack
from stacktools.template import REGION
from tests.e2e.conftest import CHROMIUM_ARGS, Api, chromium, error_code, new_email, upload, wait_for_image
from tests.images import jpeg

ATTACKER = "http://attacker.test"
REBOUND = "rebound.test"  # an attacker's name whose DNS answers 127.0.0.1
SIGV4 = Config(signature_version="s3v4")
LIST_TABLES = {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}


def gemini_answers(stack: LocalStack) -> int:
    """The status the Gemini stand-in answers a plain generation with, called as the worker calls it."""
    response = requests.post(
        f"{stack.api_url}/_dev/gemini/v1beta/models/gemini-nano-banana-2.1:generateContent",
        headers={"x-goog-api-key": stack.gemini.api_key},
        json={
            "contents": [{"role": "user", "parts": [{"text": "a lighthouse"}]}],
            "generationConfig": {"responseModalities": ["IMAGE"], "imageConfig": {"imageSize": "1K"}},
        },
        timeout=60,
    )
    return response.status_code


def tables(stack: LocalStack) -> list[str]:
    dynamodb = stack.boto_session().client("dynamodb", endpoint_url=stack.aws.url)
    names: list[str] = dynamodb.list_tables()["TableNames"]
    return names


# ---------------------------------------------------------------------------------------- moto
def test_motos_management_routes_are_not_served(stack: LocalStack) -> None:
    before = tables(stack)

    for method, path in (("GET", "/moto-api/data.json"), ("POST", "/moto-api/reset"), ("GET", "/moto-api/")):
        answer = requests.request(method, f"{stack.aws.url}{path}", timeout=10)
        assert answer.status_code == 404, (path, answer.text[:200])
        assert "Table" not in answer.text

    assert tables(stack) == before != []


def dynamodb_as(stack: LocalStack, access_key: str, secret_key: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=stack.aws.url,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(retries={"max_attempts": 1}),
    )


def test_an_aws_call_must_be_signed_with_the_local_credentials(stack: LocalStack) -> None:
    access_key = LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"]
    refusals = {}
    for name, client in (
        ("wrong secret", dynamodb_as(stack, access_key, "not-the-secret")),
        ("unknown key", dynamodb_as(stack, "AKIAEXAMPLE", "local")),
    ):
        with pytest.raises(ClientError) as refused:
            client.list_tables()
        refusals[name] = refused.value.response["Error"]["Code"]
    unsigned = requests.post(stack.aws.url, headers=LIST_TABLES, data="{}", timeout=10)
    scope = f"{access_key}/{time.strftime('%Y%m%d', time.gmtime())}/{REGION}/dynamodb/aws4_request"
    forged = requests.post(
        stack.aws.url,
        headers={
            **LIST_TABLES,
            "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
            "Authorization": f"{ALGORITHM} Credential={scope}, SignedHeaders=host;x-amz-date, Signature=00",
        },
        data="{}",
        timeout=10,
    )

    assert refusals == {
        "wrong secret": "InvalidSignatureException",
        "unknown key": "UnrecognizedClientException",
    }
    assert (unsigned.status_code, unsigned.json()["__type"].split("#")[-1]) == (
        400,
        "MissingAuthenticationTokenException",
    )
    assert (forged.status_code, forged.json()["__type"].split("#")[-1]) == (400, "InvalidSignatureException")
    assert "TableNames" not in unsigned.text + forged.text
    assert dynamodb_as(stack, access_key, LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]).list_tables()[
        "TableNames"
    ]


def test_an_image_is_read_only_through_its_presigned_url_as_signed(api: Api) -> None:
    session = api.sign_in(new_email())
    image = wait_for_image(api, session, upload(api, session, jpeg(64, 48))["image"]["id"])
    url = image["storageUrl"]
    assert requests.get(url, timeout=10).status_code == 200

    unsigned = requests.get(url.partition("?")[0], timeout=10)
    tampered = requests.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"), timeout=10)
    last = image["id"][-1]
    another_id = image["id"][:-1] + ("1" if last == "0" else "0")  # never the id itself
    other_key = requests.get(url.replace(image["id"], another_id), timeout=10)

    assert (unsigned.status_code, "<Code>AccessDenied</Code>" in unsigned.text) == (403, True)
    assert (tampered.status_code, "<Code>SignatureDoesNotMatch</Code>" in tampered.text) == (403, True)
    assert (other_key.status_code, "<Code>SignatureDoesNotMatch</Code>" in other_key.text) == (403, True)


def test_a_presigned_url_past_its_expiry_is_refused(stack: LocalStack) -> None:
    s3 = stack.boto_session().client("s3", endpoint_url=stack.aws.url, config=SIGV4)
    bucket = stack.template.physical["ImagesBucket"].ref
    s3.put_object(Bucket=bucket, Key="probe/expiring.txt", Body=b"soon gone")
    params = {"Bucket": bucket, "Key": "probe/expiring.txt"}
    url = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=1)
    assert requests.get(url, timeout=10).status_code == 200
    time.sleep(2.1)

    expired = requests.get(url, timeout=10)

    assert expired.status_code == 403
    assert "<Message>Request has expired</Message>" in expired.text
    # Signature version 2, which boto3 still presigns with by default: S3 refuses it for every bucket
    # made since 2020.
    version_2 = stack.boto_session().client(
        "s3", endpoint_url=stack.aws.url, config=Config(signature_version="s3")
    )
    old = requests.get(version_2.generate_presigned_url("get_object", Params=params), timeout=10)
    assert (old.status_code, "<Code>InvalidRequest</Code>" in old.text) == (400, True)
    s3.delete_object(Bucket=bucket, Key="probe/expiring.txt")


# ---------------------------------------------------------------------------------------- Host and Origin
def test_a_rebound_name_is_refused_by_every_listener(stack: LocalStack) -> None:
    for url in (f"{stack.api_url}/_dev/id-token", f"{stack.aws.url}/"):
        port = url.split(":")[2].split("/")[0]
        answer = requests.post(
            url, headers={"Host": f"{REBOUND}:{port}"}, json={"email": "admin@example.com"}, timeout=10
        )
        assert answer.status_code == 403, answer.text
        assert "token" not in answer.json()["error"]


def test_another_origin_is_refused_before_a_dev_route_or_moto(api: Api) -> None:
    stack = api.stack
    stranger = {"Origin": ATTACKER}

    token = api.call("POST", "/_dev/id-token", json={"email": "admin@example.com"}, headers=stranger)
    faults = api.call(
        "POST", "/_dev/faults", json={"gemini": {"failNext": 5, "status": 500}}, headers=stranger
    )
    preflight = requests.options(
        f"{stack.aws.url}/",
        headers={
            **stranger,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-amz-target",
        },
        timeout=10,
    )

    assert [(r.status_code, error_code(r)) for r in (token, faults)] == [(403, "FORBIDDEN")] * 2
    assert preflight.status_code == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert gemini_answers(stack) == 200  # no fault was set
    # The API itself answers other origins as API Gateway does: the request is served, but a
    # browser may not read it (no CORS headers).
    health = api.call("GET", "/health", headers=stranger)
    assert health.status_code == 200
    assert "Access-Control-Allow-Origin" not in health.headers


# ---------------------------------------------------------------------------------------- in Chromium
@pytest.fixture
def attacker_page(browser: Browser) -> Iterator[Page]:
    """A page on another origin (Playwright answers its address), as a site the developer visits."""
    context = browser.new_context()
    page = context.new_page()
    page.route(
        f"{ATTACKER}/**",
        lambda route: route.fulfill(body="<!doctype html><title>hi</title>", content_type="text/html"),
    )
    page.goto(f"{ATTACKER}/")
    yield page
    context.close()


ATTACK = """async ({ api, aws }) => {
    const outcome = {};
    const attempt = async (name, url, options) => {
        try {
            const response = await fetch(url, options);
            outcome[name] = await response.text();
        } catch (error) {
            outcome[name] = `blocked: ${error.name}`;
        }
    };
    await attempt("data", `${aws}/moto-api/data.json`);
    await attempt("tables", aws, {
        method: "POST",
        headers: {
            "x-amz-target": "DynamoDB_20120810.ListTables",
            "content-type": "application/x-amz-json-1.0",
        },
        body: "{}",
    });
    await attempt("token", `${api}/_dev/id-token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "admin@example.com" }),
    });
    await attempt("requests", `${api}/_dev/gemini/requests`);
    // Requests a page may send without asking (no preflight), answers unread: only their effects count.
    await fetch(`${aws}/moto-api/reset`, { method: "POST", mode: "no-cors" }).catch(() => {});
    await fetch(`${api}/_dev/faults`, {
        method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" },
        body: JSON.stringify({ gemini: { failNext: 5, status: 500 } }),
    }).catch(() => {});
    return outcome;
}"""


def test_a_page_on_another_origin_can_neither_read_nor_change_anything(
    attacker_page: Page, stack: LocalStack
) -> None:
    before = tables(stack)

    outcome = attacker_page.evaluate(ATTACK, {"api": stack.api_url, "aws": stack.aws.url})

    assert outcome == dict.fromkeys(("data", "tables", "token", "requests"), "blocked: TypeError"), outcome
    assert tables(stack) == before != []  # not reset
    assert gemini_answers(stack) == 200  # not broken


def test_a_page_under_a_rebound_name_gets_nothing(browser: Browser, stack: LocalStack) -> None:
    """DNS rebinding: the attacker's name resolves to 127.0.0.1 (Chromium's resolver is told so), so
    the page is same-origin with the stack under that name, and its own reads are allowed."""
    port = stack.api_url.rsplit(":", 1)[1]
    rebound = browser.browser_type.launch(
        executable_path=chromium(),
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {REBOUND} 127.0.0.1"],
    )
    try:
        page = rebound.new_page()
        opened = page.goto(f"http://{REBOUND}:{port}/app/")
        assert opened is not None
        assert opened.status == 403
        answer = page.evaluate(
            """async () => {
                const response = await fetch("/_dev/id-token", {
                    method: "POST", headers: { "content-type": "application/json" },
                    body: JSON.stringify({ email: "admin@example.com" }),
                });
                return { status: response.status, body: await response.text() };
            }"""
        )
    finally:
        rebound.close()

    assert answer["status"] == 403
    assert "token" not in json.loads(answer["body"])["error"]
