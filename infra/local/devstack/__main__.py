"""``python -m devstack`` (what ``make dev`` runs): the local stack until Ctrl-C.

Environment: ``PORT`` (API, default 3000), ``AWS_PORT`` (moto, default 4566),
``ADMIN_EMAILS`` (default admin@example.com), ``LOG_LEVEL`` of the functions (default WARNING),
``GEMINI_API_KEY`` (set: the worker calls the real Gemini API instead of the local stand-in),
``ALLOWED_ORIGINS`` (comma-separated origins of frontends served elsewhere, such as
``http://localhost:5173``, which CORS lets call the API and post to the bucket),
``PARAMETER_OVERRIDES`` (template parameters as ``sam deploy`` takes them, ``Name=Value`` separated
by spaces, such as ``WelcomeCoins=5000 GenerationsPerMinute=100``), ``DATA_DIR`` (where users,
coins, images and objects are kept between runs, default ``.devstack``; empty: nothing is kept).
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from devstack.aws import LOCAL_CREDENTIALS
from devstack.stack import LocalStack
from stacktools.template import load_template

# An origin is a scheme, a host and maybe a port: no path, no trailing slash (browsers send it so).
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def allowed_origins(value: str) -> list[str]:
    """The origins of ``ALLOWED_ORIGINS``; ``ValueError`` names any that is not an origin."""
    origins = [origin.strip() for origin in value.split(",") if origin.strip()]
    wrong = [origin for origin in origins if not _ORIGIN.match(origin)]
    if wrong:
        raise ValueError(
            f"ALLOWED_ORIGINS: {', '.join(wrong)} is not an origin (scheme://host[:port], such as"
            " http://localhost:5173, with no path)"
        )
    return origins


def parameter_overrides(value: str) -> dict[str, str]:
    """The template parameters of ``PARAMETER_OVERRIDES``; ``ValueError`` names any the template lacks
    or that is not ``Name=Value``."""
    known = set(load_template()["Parameters"])
    overrides: dict[str, str] = {}
    for override in value.split():
        name, equals, parameter_value = override.partition("=")
        if not equals:
            raise ValueError(f"PARAMETER_OVERRIDES: {override} is not Name=Value")
        if name not in known:
            raise ValueError(f"PARAMETER_OVERRIDES: the template has no parameter {name}")
        overrides[name] = parameter_value
    return overrides


DATA_DIR = ".devstack"  # make dev's, under the checkout (.gitignore names it; make dev-reset removes it)


def local_stack(environ: Mapping[str, str]) -> LocalStack:
    """The stack ``make dev`` starts, configured by ``environ`` (see the module's docstring)."""
    data_dir = environ.get("DATA_DIR", DATA_DIR)
    return LocalStack(
        api_port=int(environ.get("PORT", "3000")),
        aws_port=int(environ.get("AWS_PORT", "4566")),
        admin_emails=environ.get("ADMIN_EMAILS", "admin@example.com"),
        log_level=environ.get("LOG_LEVEL", "WARNING"),
        gemini_api_key=environ.get("GEMINI_API_KEY") or None,
        allowed_origins=allowed_origins(environ.get("ALLOWED_ORIGINS", "")),
        parameters=parameter_overrides(environ.get("PARAMETER_OVERRIDES", "")),
        data_dir=Path(data_dir) if data_dir else None,
    )


def kept(stack: LocalStack) -> str:
    """Where the stack keeps its data, as the banner says it."""
    if stack.data_dir is None:
        return "not kept: every run starts empty (DATA_DIR is empty)"
    return f"{stack.data_dir} (kept when it stops, put back when it starts; make dev-reset starts empty)"


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        stack = local_stack(os.environ)
    except ValueError as error:
        print(f"cannot start the local stack: {error}", file=sys.stderr)
        return 1
    stack_uses_real_gemini = bool(os.environ.get("GEMINI_API_KEY"))
    stopped = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)  # a closed terminal: stop (and keep the data) all the same
    try:
        stack.start()
    except OSError as error:
        print(
            f"cannot start the local stack: {error} (is another one running? set PORT / AWS_PORT)",
            file=sys.stderr,
        )
        return 1
    print(
        f"\n  app      {stack.api_url}/   (the front end, web/)\n"
        f"  API      {stack.api_url}/api/v1   (reference: {stack.api_url}/docs)\n"
        f"  AWS      {stack.aws.url}   (moto; AWS_ENDPOINT_URL for the AWS CLI or boto3,"
        f" signed with AWS_ACCESS_KEY_ID={LOCAL_CREDENTIALS['AWS_ACCESS_KEY_ID']}"
        f" AWS_SECRET_ACCESS_KEY={LOCAL_CREDENTIALS['AWS_SECRET_ACCESS_KEY']})\n"
        f"  Google   {stack.issuer.issuer}   (POST {stack.api_url}/_dev/id-token for an ID token)\n"
        f"  Gemini   {'the real API (GEMINI_API_KEY)' if stack_uses_real_gemini else 'local stand-in'}"
        f" (GET {stack.api_url}/_dev/gemini/requests: what it was sent; POST /_dev/faults: failures)\n"
        f"  admins   {os.environ.get('ADMIN_EMAILS', 'admin@example.com')}\n"
        f"  origins  {', '.join([stack.api_url, *stack.allowed_origins])} (more: ALLOWED_ORIGINS)\n"
        f"  data     {kept(stack)}\n\n"
        "  Ctrl-C stops everything.\n",
        flush=True,
    )
    stopped.wait()
    print("stopping...", flush=True)
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
