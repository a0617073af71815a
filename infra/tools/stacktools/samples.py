"""The sample events of ``events/`` (one per route and event source), filled in for one request:
the caller's access token, a body, a query, the ``{id}`` of the path."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from stacktools.template import ROOT

EVENTS = ROOT / "events"


@cache
def _sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def sample_event(
    name: str,
    token: str | None = None,
    body: Any = None,
    raw_body: str | None = None,
    query: dict[str, str] | None = None,
    path_id: str | None = None,
) -> dict[str, Any]:
    """``events/<name>`` with the access token (none: no ``authorization`` header), body, query or
    path ``{id}`` given; a fresh copy every time."""
    event = copy.deepcopy(_sample(name))
    if token is None:
        event.get("headers", {}).pop("authorization", None)
    else:
        event["headers"]["authorization"] = f"Bearer {token}"
    if body is not None:
        event["body"] = json.dumps(body)
    if raw_body is not None:
        event["body"] = raw_body
    if query is not None:
        event["queryStringParameters"] = query
        event["rawQueryString"] = "&".join(f"{key}={value}" for key, value in query.items())
    if path_id is not None:
        sample = event["pathParameters"]["id"]
        event["pathParameters"]["id"] = path_id
        http = event["requestContext"]["http"]
        event["rawPath"] = http["path"] = http["path"].replace(sample, path_id)
    return event
