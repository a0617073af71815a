"""Runs Lambda functions locally the way Lambda does.

Each function gets execution environments of its own: a process with exactly the
function's template environment, its code directory and layers first on ``sys.path``,
and its handler imported once and reused while warm. Concurrent invocations of one
function go to separate environments (up to a cap), as Lambda scales out. Processes are
forked from a server that has the heavy libraries already imported, so a cold start costs
milliseconds, not seconds.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from devstack.iam import Policy, enforce
from stacktools.template import ACCOUNT_ID, REGION, FunctionSpec

_PRELOAD = [
    "boto3",
    "botocore.session",
    "pydantic",
    "jwt",
    "requests",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.utilities.parameters",
]
_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(_PRELOAD)

MAX_CONCURRENCY = 10


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invocation: ``result`` if the handler returned, else ``error``."""

    result: Any
    error: Mapping[str, Any] | None
    duration_ms: float
    cold: bool


def log_invocation(
    logger: logging.Logger, function: str, kind: str, what: str, result: str, outcome: Invocation
) -> None:
    """The local stack's one line per invocation: function, what invoked it, result, milliseconds."""
    cold = " (cold)" if outcome.cold else ""
    logger.info("%-18s %-6s %-40s %3s %7.1f ms%s", function, kind, what, result, outcome.duration_ms, cold)


class LambdaContext:
    """The ``context`` object handlers get (the attributes Powertools and our code read); the time
    left runs out at ``deadline`` (epoch seconds), by default ten seconds after it was made."""

    def __init__(
        self,
        function_name: str,
        memory_mb: int = 512,
        request_id: str = "local",
        deadline: float | None = None,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.time() + 10 if deadline is None else deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _serve(connection: Connection, spec: Mapping[str, Any]) -> None:
    """The body of an execution environment (runs in the child process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the stack stops us
    os.environ.clear()
    os.environ.update(spec["environment"])
    sys.path[:0] = [spec["code_dir"], *spec["layer_dirs"]]
    if spec["policy"] is not None:
        enforce(Policy.from_data(spec["policy"]), role=spec["name"])
    try:
        module_name, _, function_name = spec["handler"].rpartition(".")
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as error:  # an init error, reported on every invocation like Lambda does
        connection.send(("error", _error_payload(error)))
        return
    connection.send(("ready", None))
    while True:
        try:
            request_id, event, deadline = connection.recv()
        except EOFError:
            return
        try:
            result = handler(event, LambdaContext(spec["name"], spec["memory"], request_id, deadline))
            connection.send(("ok", result))
        except Exception as error:
            connection.send(("error", _error_payload(error)))


def _error_payload(error: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


class _Environment:
    """One execution environment: a process running ``_serve``."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._connection, child = _context.Pipe()
        self.process = _context.Process(target=_serve, args=(child, spec), daemon=True)
        self.process.start()
        child.close()
        self.init_error: Mapping[str, Any] | None = None
        try:
            status, payload = self._connection.recv()
        except EOFError:  # the runtime died while importing the handler
            status, payload = (
                "error",
                {"errorType": "RuntimeExited", "errorMessage": "the runtime exited during init"},
            )
        if status == "error":
            self.init_error = payload

    def invoke(self, event: Any, timeout: float) -> tuple[str, Any]:
        deadline = time.time() + timeout
        self._connection.send((str(uuid.uuid4()), event, deadline))
        if not self._connection.poll(timeout):
            self.kill()
            return "timeout", {
                "errorType": "TimeoutError",
                "errorMessage": f"Task timed out after {timeout:.0f} s",
            }
        try:
            status, payload = self._connection.recv()
        except EOFError:
            self.kill()
            return "error", {"errorType": "RuntimeExited", "errorMessage": "the runtime exited"}
        return status, payload

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self._connection.close()


class LocalFunction:
    """A function with its pool of warm execution environments."""

    def __init__(
        self, spec: FunctionSpec, base_environment: Mapping[str, str], policy: Policy | None = None
    ) -> None:
        self.spec = spec
        self._spec: dict[str, Any] = {
            "name": spec.name,
            # What its role allows, enforced on every AWS call (devstack.iam); None: anything.
            "policy": policy.to_data() if policy is not None else None,
            "memory": spec.memory,
            "handler": spec.handler,
            "code_dir": str(spec.code_dir),
            "layer_dirs": [str(path) for path in spec.layer_dirs],
            "environment": {
                **base_environment,
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "_HANDLER": spec.handler,
                "LAMBDA_TASK_ROOT": str(spec.code_dir),
                **spec.environment,
            },
        }
        self._idle: list[_Environment] = []
        self._busy = 0
        self._closed = False
        self._available = threading.Condition()

    @property
    def environment(self) -> dict[str, str]:
        """The environment variables the function runs with."""
        return dict(self._spec["environment"])

    def invoke(self, event: Any) -> Invocation:
        """Run the handler on ``event`` in a warm environment, or a new one if none is idle."""
        started = time.perf_counter()
        environment, cold = self._acquire()
        try:
            if environment.init_error is not None:
                status, payload = "error", environment.init_error
            else:
                status, payload = environment.invoke(event, self.spec.timeout)
        finally:
            self._release(
                environment, healthy=environment.process.is_alive() and environment.init_error is None
            )
        duration = (time.perf_counter() - started) * 1000
        if status == "ok":
            return Invocation(result=payload, error=None, duration_ms=duration, cold=cold)
        return Invocation(result=None, error=payload, duration_ms=duration, cold=cold)

    def _acquire(self) -> tuple[_Environment, bool]:
        with self._available:
            while not self._idle and self._busy >= MAX_CONCURRENCY:
                self._available.wait()
            self._busy += 1
            if self._idle:
                return self._idle.pop(), False
        try:
            return _Environment(self._spec), True
        except BaseException:
            with self._available:
                self._busy -= 1
                self._available.notify()
            raise

    def _release(self, environment: _Environment, healthy: bool) -> None:
        with self._available:
            self._busy -= 1
            if healthy and not self._closed:
                self._idle.append(environment)
            else:
                environment.kill()
            self._available.notify()

    def close(self) -> None:
        with self._available:
            self._closed = True
            idle, self._idle = self._idle, []
        for environment in idle:
            environment.kill()
