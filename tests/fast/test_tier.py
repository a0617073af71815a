"""The fast tier keeps its promise: nothing here loads moto, the local stack or an HTTP client, no
module of it imports AWS's SDK, and no test can open a socket.

(Powertools' idempotency, which the generation and checkout use cases run on, imports boto3 as it
loads; nothing calls it here, and a call would find every socket refused.)"""

from __future__ import annotations

import ast
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_socket import SocketBlockedError

TIER = Path(__file__).parent
SLOW = ("moto", "boto3", "botocore", "devstack", "standins", "werkzeug", "requests", "tests.conftest")
# What no module of the tier may load, even through what it imports.
NEVER_LOADED = ("moto", "devstack", "standins", "werkzeug", "requests", "responses")


def test_no_module_of_the_tier_imports_moto_aws_or_the_local_stack() -> None:
    found = []
    for path in sorted(TIER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{path.name}: {name}" for name in names if name.split(".")[0] in SLOW or name in SLOW]
    assert found == []


@pytest.mark.filterwarnings("ignore:A test tried to use socket.socket")  # pytest-socket's own note
def test_a_socket_cannot_be_opened() -> None:
    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def test_the_tier_loads_no_moto_stack_or_http_client_even_indirectly() -> None:
    modules = sorted(
        ".".join(path.relative_to(TIER.parent.parent).with_suffix("").parts)
        for path in TIER.rglob("test_*.py")
    )
    probe = (
        f"import sys\nfor name in {modules!r}:\n    __import__(name)\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({NEVER_LOADED!r})))"
    )
    loaded = subprocess.run(  # noqa: S603 - this interpreter, our own modules
        [sys.executable, "-c", probe], cwd=TIER.parent.parent, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert len(modules) > 5
    assert loaded == "[]"
