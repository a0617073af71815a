"""moto server on loopback, with requests serialized, signatures and browser uploads checked as AWS
does, and closed to other websites.

moto's threaded server lets concurrent TransactWriteItems interleave (cancelled puts persist,
some calls fail with HTTP 500), which DynamoDB never does. One request at a time makes it
behave like AWS for everything the stack relies on. moto stores any browser upload; S3 holds it
to its signed policy (``devstack.s3_post``), checked before the lock, outside the queue. moto
takes any signature, or none, and serves its management routes to anyone (every table and
secret, and a reset): here only calls signed with the local credentials reach it
(``devstack.sigv4``), from this machine's tools or the stack's own pages (``devstack.guard``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from moto.core.base_backend import BackendDict
from moto.core.model_instances import reset_model_data
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.sqs.models import sqs_backends
from werkzeug.serving import BaseWSGIServer, make_server

from devstack import moto_transactions
from devstack.guard import LocalCallersOnly
from devstack.s3_post import BrowserUploads, upload_bucket
from devstack.sigv4 import SignedCallsOnly
from stacktools.template import REGION

# The one key pair the local AWS knows: the functions, the stack's tools and the tests sign with it.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SerializedApp:
    """A WSGI app that lets one request at a time through ``app``, body included."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            response = self._app(environ, start_response)
            try:
                return list(response)
            finally:
                close = getattr(response, "close", None)
                if close:
                    close()


class _QuietMotoHandler(MotoRequestHandler):
    def log_request(self, *_: object) -> None:
        """The local stack logs function invocations, not every AWS call."""


class MotoServer:
    """moto's AWS emulation served on ``host:port`` from a background thread.

    ``secret_keys`` (access key id to secret key) are the credentials it knows: every call, and
    every browser upload's policy, must be signed with one of them. Pages may call it from
    ``origins`` only (``allow_origins`` sets them once the stack knows them).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        secret_keys: Mapping[str, str] | None = None,
        origins: Collection[str] = (),
    ) -> None:
        moto_transactions.install()
        keys = dict(
            secret_keys
            or {LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"]: LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}
        )
        uploads = BrowserUploads(SerializedApp(DomainDispatcherApplication(create_backend_app)), keys, REGION)
        signed = SignedCallsOnly(
            uploads, keys, proven_otherwise=lambda environ: upload_bucket(environ) is not None
        )
        self._guard = LocalCallersOnly(signed, origins)
        app = self._guard
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietMotoHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.server_port}"

    def start(self) -> None:
        self._thread.start()

    def allow_origins(self, origins: Collection[str]) -> None:
        """Let pages on ``origins`` call the local AWS (the bucket's uploads and images)."""
        self._guard.allow(origins)

    @staticmethod
    def wait_for_messages(queue_url: str, seconds: int) -> bool:
        """Whether the queue at ``queue_url`` shows a message to receive, waiting up to ``seconds``
        for one.

        This is how moto's own long polls wait: on the queue's condition, which moto notifies
        whenever it adds a message, whoever sends it (SendMessage, or EventBridge passing on an
        S3 event). It waits in this process, outside the serialized server, so a poller can wait
        without holding the server and without a request every few milliseconds.
        """
        account, name = urlsplit(queue_url).path.strip("/").split("/")
        queue = sqs_backends[account][REGION].get_queue(name)
        queue.wait_for_messages(seconds)
        return bool(queue.messages)

    def stop(self) -> None:
        """Stop serving, and forget every resource: moto keeps them per process, so a server started
        after this one (another stack in the same test run) would find this one's tables."""
        self._server.shutdown()
        # What moto's own reset route does, here in the process: that route is not served.
        BackendDict.reset()
        reset_model_data()
        self._server.server_close()
        self._thread.join(timeout=5)
