"""POST /_dev/invoke/<Function>: a function run on a sample event from events/, without Docker."""

from __future__ import annotations

import json
import uuid

from stacktools.template import ROOT
from tests.e2e.conftest import Api, error_code

JSON = {"Content-Type": "application/json"}


def test_a_sample_event_runs_its_function_with_the_token_filled_in(api: Api) -> None:
    session = api.sign_in(f"invoker-{uuid.uuid4().hex[:8]}@example.com")
    sample = (ROOT / "events/users/my_transactions.json").read_text()

    response = api.call(
        "POST",
        "/_dev/invoke/UsersFunction",
        data=sample.replace("<access token>", session.token),
        headers=JSON,
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["error"] is None
    assert answer["result"]["statusCode"] == 200
    assert [entry["reason"] for entry in json.loads(answer["result"]["body"])["transactions"]] == ["welcome"]


def test_a_sample_event_as_it_is_gets_the_functions_own_401(api: Api) -> None:
    sample = (ROOT / "events/images/list_images.json").read_text()

    answer = api.call("POST", "/_dev/invoke/ListImagesFunction", data=sample, headers=JSON).json()

    assert answer["result"]["statusCode"] == 401


def test_an_unknown_function_or_an_event_that_is_not_json_is_refused(api: Api) -> None:
    unknown = api.call("POST", "/_dev/invoke/NoSuchFunction", data="{}", headers=JSON)
    assert (unknown.status_code, error_code(unknown)) == (404, "NOT_FOUND")
    broken = api.call("POST", "/_dev/invoke/HealthFunction", data="{not json", headers=JSON)
    assert (broken.status_code, error_code(broken)) == (400, "INVALID_JSON")
    # JSON only: a page may post a form or text to any origin without asking first, not JSON.
    untyped = api.call(
        "POST", "/_dev/invoke/HealthFunction", data="{}", headers={"Content-Type": "text/plain"}
    )
    assert (untyped.status_code, error_code(untyped)) == (415, "UNSUPPORTED_MEDIA_TYPE")
