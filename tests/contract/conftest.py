"""The local Gemini stand-in served over HTTP on a free port, as `make dev` serves it: under
``/_dev/gemini``, behind the stack's guard (loopback Host, no foreign Origin)."""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from devstack.guard import LocalCallersOnly
from devstack.stack import LOCAL_GEMINI_PREFIX
from standins.gemini import LocalGemini
from tests.loopback import serving

KEY = "contract-gemini-key"


@dataclass(frozen=True)
class ServedGemini:
    base_url: str
    """What a client is given: ``http://127.0.0.1:<port>/_dev/gemini``."""
    gemini: LocalGemini
    bodies: collections.deque[Any] = field(default_factory=lambda: collections.deque(maxlen=5))
    """The last few request bodies as sent (JSON), newest last: how a client spelled them."""


@pytest.fixture(scope="package")
def served() -> Iterator[ServedGemini]:
    gemini = LocalGemini(KEY)
    bodies: collections.deque[Any] = collections.deque(maxlen=5)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if not request.path.startswith(f"{LOCAL_GEMINI_PREFIX}/"):
            return Response(status=404)(environ, start_response)
        bodies.append(json.loads(request.get_data() or b"null"))
        return gemini.handle(request)(environ, start_response)

    with serving(LocalCallersOnly(app)) as url:
        yield ServedGemini(f"{url}{LOCAL_GEMINI_PREFIX}", gemini, bodies)
