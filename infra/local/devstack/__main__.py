"""``python -m devstack`` (what ``make dev`` runs): the local stack until Ctrl-C.

Environment: ``PORT`` (API, default 3000), ``AWS_PORT`` (moto, default 4566),
``ADMIN_EMAILS`` (default admin@example.com), ``LOG_LEVEL`` of the functions (default WARNING),
``GEMINI_API_KEY`` (set: the worker calls the real Gemini API instead of the local stand-in).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

from devstack.stack import LocalStack


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    stack = LocalStack(
        api_port=int(os.environ.get("PORT", "3000")),
        aws_port=int(os.environ.get("AWS_PORT", "4566")),
        admin_emails=os.environ.get("ADMIN_EMAILS", "admin@example.com"),
        log_level=os.environ.get("LOG_LEVEL", "WARNING"),
        gemini_api_key=os.environ.get("GEMINI_API_KEY") or None,
    )
    stack_uses_real_gemini = bool(os.environ.get("GEMINI_API_KEY"))
    stopped = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        stack.start()
    except OSError as error:
        print(
            f"cannot start the local stack: {error} (is another one running? set PORT / AWS_PORT)",
            file=sys.stderr,
        )
        return 1
    print(
        f"\n  API      {stack.api_url}/api/v1   (console: {stack.api_url}/,"
        f" reference: {stack.api_url}/docs)\n"
        f"  AWS      {stack.aws.url}   (moto; AWS_ENDPOINT_URL for the AWS CLI or boto3)\n"
        f"  Google   {stack.issuer.issuer}   (POST {stack.api_url}/_dev/id-token for an ID token)\n"
        f"  Gemini   {'the real API (GEMINI_API_KEY)' if stack_uses_real_gemini else 'local stand-in'}"
        f" (GET {stack.api_url}/_dev/gemini/requests: what it was sent; POST /_dev/faults: failures)\n"
        f"  admins   {os.environ.get('ADMIN_EMAILS', 'admin@example.com')}\n\n"
        "  Ctrl-C stops everything.\n",
        flush=True,
    )
    stopped.wait()
    print("stopping...", flush=True)
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
