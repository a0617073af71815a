"""WSGI apps served on a free loopback port, for tests that need a real HTTP peer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server

from devstack.stack import QuietRequestHandler

WsgiApp = Callable[[dict[str, Any], Any], Any]


@contextmanager
def serving(app: WsgiApp) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 until the block ends; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    # A short poll interval: shutdown() waits for one, and the default 0.5 s per server adds up.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
