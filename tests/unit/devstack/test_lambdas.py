from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from devstack.iam import Policy, Statement
from devstack.lambdas import LocalFunction
from stacktools.template import FunctionSpec

HANDLERS = Path(__file__).parent / "handlers"


def spec(environment: dict[str, str] | None = None, timeout: int = 5) -> FunctionSpec:
    return FunctionSpec(
        logical_id="ProbeFunction",
        name="local-ProbeFunction",
        code_dir=HANDLERS,
        handler="probe.handler",
        runtime="python3.13",
        timeout=timeout,
        memory=256,
        layer_dirs=(),
        environment=environment or {"TABLE": "from-template"},
        events={},
    )


@pytest.fixture
def function() -> Iterator[LocalFunction]:
    local = LocalFunction(spec(), {"BASE": "base"})
    yield local
    local.close()


def test_the_handler_sees_exactly_its_template_environment(function: LocalFunction) -> None:
    result = function.invoke(
        {"env": ["TABLE", "BASE", "AWS_LAMBDA_FUNCTION_NAME", "PYTEST_CURRENT_TEST"]}
    ).result
    assert result["env"] == {
        "TABLE": "from-template",
        "BASE": "base",
        "AWS_LAMBDA_FUNCTION_NAME": "local-ProbeFunction",
        "PYTEST_CURRENT_TEST": None,
    }
    assert result["function"] == "local-ProbeFunction"
    assert 0 < result["remaining"] <= 5000


def test_a_warm_environment_is_reused(function: LocalFunction) -> None:
    first, second = function.invoke({}), function.invoke({})
    assert (first.cold, second.cold) == (True, False)
    assert first.result["pid"] == second.result["pid"]
    assert second.result["invocations"] == 2


def test_concurrent_invocations_run_in_separate_environments(function: LocalFunction) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: function.invoke({"sleep": 0.5}).result, range(3)))
    assert len({result["pid"] for result in results}) == 3


def test_an_exception_is_reported_and_the_environment_stays_warm(function: LocalFunction) -> None:
    failed = function.invoke({"raise": "boom"})
    assert failed.error is not None
    assert (failed.error["errorType"], failed.error["errorMessage"]) == ("ValueError", "boom")
    assert function.invoke({}).result["invocations"] == 2


def test_a_timeout_kills_the_environment() -> None:
    local = LocalFunction(spec(timeout=1), {})
    try:
        first_pid = local.invoke({}).result["pid"]
        timed_out = local.invoke({"sleep": 3})
        assert timed_out.error is not None
        assert timed_out.error["errorType"] == "TimeoutError"
        after = local.invoke({})
        assert after.cold
        assert after.result["pid"] != first_pid
    finally:
        local.close()


def test_a_runtime_that_dies_during_init_is_an_init_error() -> None:
    local = LocalFunction(spec({"PROBE_EXIT_AT_IMPORT": "1"}), {})
    try:
        outcome = local.invoke({})
        assert outcome.error is not None
        assert outcome.error["errorType"] == "RuntimeExited"
    finally:
        local.close()


def test_an_init_error_fails_every_invocation() -> None:
    local = LocalFunction(spec({"PROBE_FAIL_AT_IMPORT": "1"}), {})
    try:
        for _ in range(2):
            outcome = local.invoke({})
            assert outcome.error is not None
            assert outcome.error["errorMessage"] == "init failed"
    finally:
        local.close()


def test_a_call_its_policy_does_not_allow_is_refused_as_aws_refuses_it() -> None:
    policy = Policy([Statement("Allow", ("s3:GetObject",), ("arn:aws:s3:::bucket/images/*",))])
    # Nothing listens there: a call the policy allows gets as far as the network, and no further.
    environment = {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_MAX_ATTEMPTS": "1",
    }
    local = LocalFunction(spec(environment), {}, policy)
    try:

        def s3(method: str, key: str) -> dict[str, str]:
            call = {"service": "s3", "method": method, "params": {"Bucket": "bucket", "Key": key}}
            error = local.invoke({"aws": call}).error
            assert error is not None
            return {"type": error["errorType"], "message": error["errorMessage"]}

        assert s3("get_object", "images/a.png")["type"] == "EndpointConnectionError"
        refused = s3("delete_object", "images/a.png")
        assert refused["type"] == "ClientError"
        assert "(AccessDenied) when calling the DeleteObject operation" in refused["message"]
        assert (
            "not authorized to perform: s3:DeleteObject on resource: arn:aws:s3:::bucket/images/a.png"
            in (refused["message"])
        )
        assert s3("get_object", "turns/a.json")["type"] == "ClientError"
    finally:
        local.close()
