"""The fast tier keeps its promise: nothing here loads moto, AWS's SDK or the local stack, and no
test can open a socket."""

from __future__ import annotations

import ast
import socket
from pathlib import Path

import pytest
from pytest_socket import SocketBlockedError

TIER = Path(__file__).parent
SLOW = ("moto", "boto3", "botocore", "devstack", "standins", "werkzeug", "requests", "tests.conftest")


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
