"""A function imports only what it uses: importing a handler (its cold start before the first line)
loads none of the libraries its work does not need; they load where the service is built."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from stacktools.template import ROOT

IMAGING = ("PIL", "pyvips")
# What each handler must not load at import, and why.
NOT_AT_IMPORT = {
    # Calls no AWS service, verifies no token, touches no image.
    "health": ("boto3", "jwt", "requests", *IMAGING),
    # Reads images: never draws, checks or thumbnails one, nor calls Google or Gemini.
    "list_images": ("requests", "aws_lambda_powertools.utilities.idempotency", *IMAGING),
    # Shares and shows images: verifies a token only when an owner's route is asked, draws nothing.
    "shares": ("jwt", "requests", "aws_lambda_powertools.utilities.idempotency", *IMAGING),
    # Starts and shows exports: verifies a token only when asked, draws nothing.
    "exports": ("jwt", "requests", "aws_lambda_powertools.utilities.idempotency", *IMAGING),
    # Writes exports' zips: verifies no token, never draws or checks an image (it copies their bytes).
    "export_worker": ("jwt", "requests", *IMAGING),
    # Event-driven: verify no token; images only once an event arrives.
    "metadata": ("jwt", "requests", *IMAGING),
    "thumbnail": ("jwt", "requests", *IMAGING),
    "sweeper": ("jwt", "requests", *IMAGING),
    "generate_worker": ("jwt", "requests", *IMAGING),
    # Loads Stripe's SDK once a route needs Stripe, never at import.
    "payments": ("stripe", *IMAGING),
}
# Only the payments functions ever use Stripe's SDK.
STRIPE_FUNCTIONS = {"payments", "payments_reconcile"}
PROBE = "import json, sys, app; print(json.dumps(sorted(name for name in {names!r} if name in sys.modules)))"


@pytest.mark.parametrize(("function", "names"), NOT_AT_IMPORT.items())
def test_a_handler_imports_only_what_it_uses(function: str, names: tuple[str, ...]) -> None:
    completed = subprocess.run(  # noqa: S603 - this interpreter on our own handler
        [sys.executable, "-c", PROBE.format(names=names)],
        cwd=ROOT / "functions" / function,
        env={"PYTHONPATH": str(ROOT / "layers" / "shared"), "POWERTOOLS_SERVICE_NAME": function},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(completed.stdout) == []


@pytest.mark.parametrize(
    "function",
    sorted(
        path.name
        for path in (ROOT / "functions").iterdir()
        if (path / "app.py").is_file() and path.name not in STRIPE_FUNCTIONS
    ),
)
def test_no_function_but_the_payments_ones_imports_stripe(function: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", "import sys, app, imagegen.composition; print('stripe' in sys.modules)"],
        cwd=ROOT / "functions" / function,
        env={"PYTHONPATH": str(ROOT / "layers" / "shared"), "POWERTOOLS_SERVICE_NAME": function},
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.strip() == "False"


def test_the_deploy_tool_loads_nothing_of_the_local_emulator() -> None:
    """An upgrade of moto, or a change of the local stack, is never deploy work."""
    probe = (
        "import json, runpy, sys; "
        f"runpy.run_path({str(ROOT / 'infra' / 'deploy.py')!r}, run_name='deploy'); "
        "print(json.dumps(sorted(name for name in sys.modules if name.split('.')[0] in "
        "('devstack', 'standins', 'moto', 'werkzeug'))))"
    )
    completed = subprocess.run(  # noqa: S603 - this interpreter on our own tool
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert json.loads(completed.stdout) == []
