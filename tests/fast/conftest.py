"""The fast tier: use cases on in-memory fakes (tests.fakes), no moto, no AWS, no network.

Every socket is refused here (pytest-socket), so a test that reaches for a service fails at once
rather than being slow. ``make test-unit`` runs this tier alone (without the other tiers' fixtures,
which start moto and stand-ins); ``make test`` runs it with everything else.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    disable_socket(allow_unix_socket=False)
    yield
    enable_socket()
