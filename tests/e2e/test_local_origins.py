"""``ALLOWED_ORIGINS=http://localhost:5173 make dev``: a frontend served on its own origin may call
the local API and post uploads to the local bucket; other origins get no CORS headers. (The e2e
stack is started from such an environment: see ``conftest.py``.)"""

from __future__ import annotations

import requests

from devstack.stack import LocalStack
from tests.e2e.conftest import FRONTEND_ORIGIN

PREFLIGHT = {"Origin": FRONTEND_ORIGIN, "Access-Control-Request-Method": "POST"}


def test_a_frontend_on_an_allowed_origin_may_call_the_api(stack: LocalStack) -> None:
    api = requests.options(f"{stack.api_url}/api/v1/images/generate", headers=PREFLIGHT, timeout=10)

    assert api.status_code == 204
    assert api.headers["Access-Control-Allow-Origin"] == FRONTEND_ORIGIN
    assert "authorization" in api.headers["Access-Control-Allow-Headers"]


def test_a_frontend_on_an_allowed_origin_may_post_to_the_bucket(stack: LocalStack) -> None:
    bucket = stack.template.physical["ImagesBucket"].ref
    upload = requests.options(f"{stack.aws.url}/{bucket}", headers=PREFLIGHT, timeout=10)

    assert upload.headers.get("Access-Control-Allow-Origin") == FRONTEND_ORIGIN


def test_another_origin_gets_no_cors_headers(stack: LocalStack) -> None:
    stranger = {**PREFLIGHT, "Origin": "http://localhost:8080"}
    refused = requests.options(f"{stack.api_url}/api/v1/images/generate", headers=stranger, timeout=10)

    assert "Access-Control-Allow-Origin" not in refused.headers
