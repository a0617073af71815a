"""Property-based tests of the running API against its own OpenAPI document: whatever a client
sends, as a user or as an admin, no 5xx, and every answer has a documented status and content type
and matches its documented schema (Schemathesis' checks)."""

from __future__ import annotations

import json
import os
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis import Case
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup

from devstack.stack import LocalStack
from imagegen.api.openapi import DOCUMENT_PATH
from tests.e2e.conftest import Api, Session, ledger_sum
from tests.fuzz.conftest import every_user, wait_for_the_queues

# Bounded so that the whole of `make test` stays well inside CI's limit: each operation gets its
# examples, its boundary values and this many generated cases, as a user and as an admin.
EXAMPLES_PER_OPERATION = 25
WORKFLOWS = 30
STEPS_PER_WORKFLOW = 8
# The same cases on every run, so CI passes or fails on the code alone; another seed explores others
# (`FUZZ_SEED=7 .venv/bin/pytest tests/fuzz`).
SEED = int(os.environ.get("FUZZ_SEED", "20261129"))
CONFIG: dict[str, Any] = {
    "seed": SEED,
    # An unknown query parameter is ignored, as HTTP APIs commonly do (tracking parameters, cache
    # busters): the contract does not refuse them, so they are not generated as invalid requests.
    "generation": {
        "max-examples": EXAMPLES_PER_OPERATION,
        "database": "none",
        "allow-extra-parameters": False,
    },
    "checks": {
        # A body over the API's limit is refused before it is read: 413 rejects invalid data too.
        "negative_data_rejection": {
            "expected-statuses": ["400", "401", "403", "404", "405", "409", "413", "415", "422", "429"]
        },
        # What a schema cannot say: an opaque cursor that is not one of ours (400), a balance too
        # small (402), an upload's size and type and a model's sizes, which are configuration (413,
        # 415, 422). Any other refusal of a request the document allows is a failure.
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "400", "401", "402", "403", "404", "409", "413", "415", "422", "429"]
        },
    },
}
# The checked-in document, which the API serves (checked below): collected before the stack is up.
schema = schemathesis.openapi.from_path(DOCUMENT_PATH, config=SchemathesisConfig.from_dict(CONFIG))
# Workflows send valid requests only: invalid ones are each operation's (above). A negative step of a
# workflow may take its body from a link, and its token from us, so it is not the request it claims.
# Deleting an account is left out of the workflows: a link would hand it the id of the user or the admin
# every other test here signs in as, and their account would be gone for the rest of the run. Each
# operation is still fuzzed on its own (above), where no generated id or email is an account's: a
# user's DELETE /users/me is refused 422 (not the account's email), an admin's DELETE /users/{id} 404.
workflow_schema = schemathesis.openapi.from_path(
    DOCUMENT_PATH,
    config=SchemathesisConfig.from_dict(
        {**CONFIG, "generation": {**CONFIG["generation"], "mode": "positive"}}
    ),
).exclude(method="DELETE", path_regex=r"^/api/v1/users/")


def test_the_fuzzed_document_is_the_one_the_api_serves(stack: LocalStack) -> None:
    served = requests.get(f"{stack.api_url}/api/v1/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))


def bearer(api: Api, case: Case, session: Session) -> dict[str, str]:
    """The session's token; a logout is sent with a session of its own, which it ends."""
    if case.operation.label == "POST /api/v1/auth/logout":
        session = api.sign_in(session.user["email"])
    return {"Authorization": f"Bearer {session.token}"}


@schema.parametrize()
def test_as_a_user(case: Case, api: Api, user: Session) -> None:
    case.call_and_validate(base_url=api.stack.api_url, headers=bearer(api, case, user))


@schema.parametrize()
def test_as_an_admin(case: Case, api: Api, admin: Session) -> None:
    case.call_and_validate(base_url=api.stack.api_url, headers=bearer(api, case, admin))


@pytest.mark.parametrize("role", ["user", "admin"])
def test_workflows(role: str, api: Api, user: Session, admin: Session) -> None:
    """Sequences of calls that follow the links Schemathesis infers from the document (generate, then
    read, edit, rename, list the thread, delete; a user, then grant coins, change roles...)."""
    session = {"user": user, "admin": admin}[role]
    grant = api.call(
        "POST", f"/users/{session.user['id']}/coins", admin.token, json={"amount": 5000, "reason": "fuzzing"}
    )
    assert grant.status_code == 200, grant.text  # enough coins for the workflows to make images

    # A check that fails is written down and the workflow goes on: raised, Hypothesis would replay the
    # workflow to report it, against a stack whose state has moved on (images made, coins spent,
    # limits counted), take other branches and report FlakyStrategyDefinition instead of the failure.
    failures: list[str] = []

    class Workflow(workflow_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"base_url": api.stack.api_url, "headers": bearer(api, case, session)}

        def validate_response(self, response: Any, case: Case, *args: Any, **kwargs: Any) -> None:
            try:
                super().validate_response(response, case, *args, **kwargs)
            except FailureGroup as failed:
                found = "; ".join(str(failure) for failure in failed.exceptions)
                failures.append(f"{case.method} {case.formatted_path}: {found}\n{case.as_curl_command()}")

    Workflow.run(
        settings=hypothesis.settings(
            max_examples=WORKFLOWS,
            derandomize="FUZZ_SEED" not in os.environ,
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # nothing to replay or shrink
            stateful_step_count=STEPS_PER_WORKFLOW,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
    assert failures == [], "\n\n".join(failures[:5])


def test_afterwards_every_balance_is_the_sum_of_its_ledger(api: Api, admin: Session) -> None:
    wait_for_the_queues(api)  # refunds of failed generations included
    users = every_user(api, admin)
    assert len(users) >= 2
    assert {user["id"]: user["coins"] for user in users} == {
        user["id"]: ledger_sum(api, user["id"]) for user in users
    }


def test_afterwards_no_object_in_the_bucket_lacks_its_image(api: Api) -> None:
    wait_for_the_queues(api)
    s3 = api.stack.boto_session().client("s3", endpoint_url=api.stack.aws.url)
    dynamodb = api.stack.boto_session().client("dynamodb", endpoint_url=api.stack.aws.url)
    environment = api.stack.env("ListImagesFunction")
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=environment["IMAGES_BUCKET"])
        for item in page.get("Contents", [])
    ]
    assert keys, "the workflows made no image: nothing was checked"
    orphans = []
    for key in keys:
        if key.startswith("exports/"):  # a user's export, not an image's: its state names it
            _, user_id, name = key.split("/")
            state = dynamodb.get_item(
                TableName=api.stack.env("ExportsFunction")["EXPORTS_TABLE"],
                Key={"pk": {"S": f"EXPORT#{user_id}"}},
                ConsistentRead=True,
            )
            if state.get("Item", {}).get("id", {}).get("S") != name.removesuffix(".zip"):
                orphans.append(key)
            continue
        _, user_id, rest = key.split("/", 2)  # images/, incoming/, thumbnails/ or turns/{user}/{image}…
        image_id = rest.split("/")[0].split(".")[0]
        record = dynamodb.get_item(
            TableName=environment["IMAGES_TABLE"],
            Key={"userId": {"S": user_id}, "imageId": {"S": image_id}},
            ConsistentRead=True,
        )
        if "Item" not in record:
            orphans.append(key)
    assert orphans == []
