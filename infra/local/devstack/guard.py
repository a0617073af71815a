"""Only this machine's tools and the stack's own pages may talk to the local stack.

A server on 127.0.0.1 is reachable from every web page the developer opens: a page on any origin
can send it requests (and read the answers, if they allow its origin), and a page whose name an
attacker's DNS points at 127.0.0.1 (DNS rebinding) is even same-origin with it. Dev servers answer
with two checks, and so does every listener of the stack (Vite and webpack-dev-server do the same):

- the ``Host`` must be a loopback name the stack is served under (``127.0.0.1``, ``localhost`` or
  a name under ``.localhost``, ``[::1]``), whatever the port: a rebinding page sends its own name;
- a request that says where it comes from (``Origin``, which browsers send on every cross-origin
  request and every non-GET one) must come from one of the stack's own origins or those of
  ``ALLOWED_ORIGINS``. Tools (curl, boto3, the functions) send no ``Origin`` and pass.

A refusal is a 403 with the stack's error envelope, before anything else reads the request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})
# A name (or a bracketed IPv6 address) and maybe a port: nothing else may follow.
_HOST = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::[0-9]{1,5})?")


def loopback_host(host: str) -> bool:
    """Whether a ``Host`` header names this machine's loopback (any port, or none)."""
    found = _HOST.fullmatch(host.strip().lower())
    if found is None:
        return False
    name = found["name"]
    return name in LOOPBACK_NAMES or name.endswith(".localhost")


def _refuse(start_response: Callable[..., Any], message: str) -> list[bytes]:
    body = json.dumps({"error": {"code": "FORBIDDEN", "message": message, "details": {}}}).encode()
    start_response(
        "403 Forbidden", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class LocalCallersOnly:
    """WSGI middleware: requests for a loopback ``Host``, from no origin or an allowed one, reach
    ``app``; ``checks_origin(path)`` says which paths the origin rule covers (all by default)."""

    def __init__(
        self,
        app: WsgiApp,
        origins: Collection[str] = (),
        checks_origin: Callable[[str], bool] = lambda _: True,
    ) -> None:
        self._app = app
        self.origins = frozenset(origins)
        self._checks_origin = checks_origin

    def allow(self, origins: Collection[str]) -> None:
        """Let pages on ``origins`` in (for a listener started before the stack knew its origins)."""
        self.origins = frozenset(origins)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST", "")
        if not loopback_host(host):
            return _refuse(
                start_response,
                f"The local stack answers requests for 127.0.0.1 or localhost only, not for {host[:100]!r}.",
            )
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin not in self.origins and self._checks_origin(environ["PATH_INFO"]):
            return _refuse(
                start_response,
                f"Pages on {origin[:100]} may not call the local stack: only its own pages and those of "
                "ALLOWED_ORIGINS may.",
            )
        return self._app(environ, start_response)
