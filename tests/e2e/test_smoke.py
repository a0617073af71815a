"""infra/smoke.py, the operator's smoke test, run in-process against the local stack: it passes
on a working stack, and fails at the right step, saying why, on a broken one."""

from __future__ import annotations

import json
import re
import socket
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from devstack.stack import LocalStack
from tests.e2e.conftest import Api
from tests.loopback import serving
from tests.scripts import infra_script

STEPS = [
    "health",
    "sign in",
    "me",
    "profile",
    "models",
    "style presets",
    "generate",
    "recent prompts",
    "generated image completes",
    "generated image files",
    "upscale",
    "upload",
    "uploaded image completes",
    "uploaded image files",
    "list",
    "star and search",
    "share",
    "open the shared image",
    "revoke the share",
    "export",
    "ledger",
    "delete",
    "coin packs",
    "buy a pack",
    "logout",
]


@pytest.fixture(scope="module")
def smoke() -> Iterator[ModuleType]:
    with infra_script("smoke") as module:
        yield module


@pytest.fixture(autouse=True)
def _no_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator's SMOKE_ID_TOKEN must not change what these tests run."""
    monkeypatch.delenv("SMOKE_ID_TOKEN", raising=False)


def lines_of(output: str) -> list[str]:
    return output.strip().splitlines()


def step_lines(output: str) -> list[tuple[str, str]]:
    """(outcome, step) of each ok/FAIL line, in order."""
    found = [re.match(r"^(ok  |FAIL )([^:(]+?)(?: \(\d+ ms\)|:)", line) for line in lines_of(output)]
    return [(match.group(1).strip(), match.group(2)) for match in found if match]


def objects_of(stack: LocalStack, image_id: str) -> list[str]:
    """Keys in the images bucket that belong to the image."""
    s3 = stack.boto_session().client("s3", endpoint_url=stack.aws.url)
    listed = s3.list_objects_v2(Bucket=stack.env("UploadUrlFunction")["IMAGES_BUCKET"]).get("Contents", [])
    return [item["Key"] for item in listed if image_id in item["Key"]]


def test_passes_every_step_and_leaves_nothing(
    smoke: ModuleType, stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code = smoke.main(["--url", stack.api_url])

    output = capsys.readouterr().out
    assert code == 0, output
    assert step_lines(output) == [("ok", step) for step in STEPS], output
    assert lines_of(output)[-1].startswith(f"passed: {len(STEPS)} steps"), output
    made = re.findall(r"^ok  (?:generate|upscale|upload) .*? image ([^,]+),", output, re.M)
    assert len(made) == 3, output
    for image_id in made:
        assert objects_of(stack, image_id) == [], f"image {image_id} left objects behind"
    bought = re.search(r"^ok  buy a pack \(\d+ ms\)  starter: (\d+) -> (\d+) coins$", output, re.M)
    assert bought, output
    assert int(bought[2]) - int(bought[1]) == 500  # the starter pack's coins, once


def test_a_url_with_trailing_api_prefix_is_accepted(
    smoke: ModuleType, stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert smoke.main(["--url", f"{stack.api_url}/api/v1/", "--quiet"]) == 0
    # Quiet: a pass prints nothing at all.
    assert capsys.readouterr().out == ""


def test_a_bad_id_token_fails_at_sign_in(
    smoke: ModuleType, stack: LocalStack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read from the environment, as an operator keeps it out of their shell history.
    monkeypatch.setenv("SMOKE_ID_TOKEN", "not-a-google-token")

    code = smoke.main(["--url", stack.api_url])

    output = capsys.readouterr().out
    assert code == 1, output
    assert step_lines(output) == [("ok", "health"), ("FAIL", "sign in")], output
    assert "401 UNAUTHORIZED" in lines_of(output)[-1], output
    assert "not-a-google-token" not in output  # a token is never printed


def test_nothing_listening_fails_at_health(smoke: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    # A port bound but not listening refuses connections, and no one else can take it meanwhile.
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        code = smoke.main(["--url", f"http://127.0.0.1:{bound.getsockname()[1]}", "--timeout", "5"])

    output = capsys.readouterr().out
    assert code == 1, output
    assert step_lines(output) == [("FAIL", "health")], output
    assert "Connection refused" in output, output


def test_a_failed_generation_fails_its_step_and_cleans_up(
    smoke: ModuleType,
    stack: LocalStack,
    api: Api,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The local Gemini stand-in refuses prompts with this word, as Gemini refuses unsafe ones.
    monkeypatch.setattr(smoke, "PROMPT", "a forbidden lighthouse")
    email = f"smoke-{uuid.uuid4().hex[:8]}@example.com"

    code = smoke.main(["--url", stack.api_url, "--id-token", api.id_token(email)])

    output = capsys.readouterr().out
    assert code == 1, output
    failing = STEPS.index("generated image completes")
    assert step_lines(output) == [("ok", step) for step in STEPS[:failing]] + [
        ("FAIL", "generated image completes")
    ], output
    assert "FAILED (MODEL_REFUSED): The image model declined this prompt" in output, output
    assert "cleanup: deleted image" in output, output
    # Nothing left in the user's gallery, and the refund made the balance whole.
    session = api.sign_in(email)
    assert api.call("GET", "/images", session.token).json()["images"] == []
    assert api.call("GET", "/users/me", session.token).json()["user"]["coins"] == session.user["coins"]


Answer = tuple[int, dict[str, str], Any]
HEALTHY: Answer = (200, {}, {"status": "ok", "version": "1"})


def stand_in(answers: list[Answer]) -> Any:
    """A WSGI app answering health with ``answers`` in turn (the last one repeats), and 404 to
    everything else: a deployment's API, without the local stack's /_dev routes."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/api/v1/health":
            status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
        else:
            status, headers, body = 404, {}, {"error": {"code": "NOT_FOUND", "message": "No such route."}}
        response = Response(json.dumps(body), status=status, headers=headers, content_type="application/json")
        return response(environ, start_response)

    return app


def test_a_deployment_without_a_token_says_it_needs_one(
    smoke: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(stand_in([HEALTHY])) as url:
        code = smoke.main(["--url", url])

    output = capsys.readouterr().out
    assert code == 1, output
    assert step_lines(output) == [("ok", "health"), ("FAIL", "sign in")], output
    assert "a deployed stack needs --id-token (or SMOKE_ID_TOKEN)" in output, output


def test_a_429_is_retried_once_after_retry_after(
    smoke: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    limited: Answer = (429, {"Retry-After": "0"}, {"error": {"code": "RATE_LIMITED", "message": "Busy."}})
    with serving(stand_in([limited, HEALTHY])) as url:
        smoke.main(["--url", url])
    with serving(stand_in([limited])) as url:
        code = smoke.main(["--url", url])

    first, second = capsys.readouterr().out.split("FAIL sign in", 1)
    assert "429 RATE_LIMITED: Busy.; retrying in 0 s" in first, first
    assert step_lines(first)[0] == ("ok", "health"), first
    # A second 429 in a row fails the step.
    assert code == 1, second
    assert step_lines(second) == [("FAIL", "health")], second
    assert "answered 429 RATE_LIMITED" in second, second
