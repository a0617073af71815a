"""``ALLOWED_ORIGINS=http://localhost:5173 make dev``: a frontend served on its own origin may call
the local API and post uploads to the local bucket; other origins get no CORS headers."""

from __future__ import annotations

import requests

from devstack.__main__ import local_stack

FRONTEND = "http://localhost:5173"


def test_a_frontend_on_an_allowed_origin_may_call_the_api_and_post_to_the_bucket() -> None:
    stack = local_stack({"PORT": "0", "AWS_PORT": "0", "ALLOWED_ORIGINS": FRONTEND}).start()
    try:
        preflight = {"Origin": FRONTEND, "Access-Control-Request-Method": "POST"}
        api = requests.options(f"{stack.api_url}/api/v1/images/generate", headers=preflight, timeout=10)
        assert api.status_code == 204
        assert api.headers["Access-Control-Allow-Origin"] == FRONTEND
        assert "authorization" in api.headers["Access-Control-Allow-Headers"]

        bucket = stack.template.physical["ImagesBucket"].ref
        upload = requests.options(f"{stack.aws.url}/{bucket}", headers=preflight, timeout=10)
        assert upload.headers.get("Access-Control-Allow-Origin") == FRONTEND

        stranger = {**preflight, "Origin": "http://localhost:8080"}
        refused = requests.options(f"{stack.api_url}/api/v1/images/generate", headers=stranger, timeout=10)
        assert "Access-Control-Allow-Origin" not in refused.headers
    finally:
        stack.stop()
