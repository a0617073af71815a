"""A function imports only what it uses: importing a handler (its cold start before the first line)
loads none of the libraries its work does not need; they load where the service is built."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from devstack.template import ROOT

IMAGING = ("PIL", "pyvips")
# What each handler must not load at import, and why.
NOT_AT_IMPORT = {
    # Calls no AWS service, verifies no token, touches no image.
    "health": ("boto3", "jwt", "requests", *IMAGING),
    # Reads images: never draws, checks or thumbnails one, nor calls Google or Gemini.
    "list_images": ("requests", "aws_lambda_powertools.utilities.idempotency", *IMAGING),
    # Event-driven: verify no token; images only once an event arrives.
    "metadata": ("jwt", "requests", *IMAGING),
    "thumbnail": ("jwt", "requests", *IMAGING),
    "sweeper": ("jwt", "requests", *IMAGING),
    "generate_worker": ("jwt", "requests", *IMAGING),
}
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
