"""Request bodies as text, and the one JSON parser of the API.

Whatever a client sends (bytes that are not UTF-8, JSON nested a thousand levels deep, escapes
that name half a surrogate pair) ends as JSON the models can validate or as one
``json.JSONDecodeError``, which the resolver answers 400 ``INVALID_JSON``; never as an
exception nothing expects.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

# Bytes that are not UTF-8 are carried to the parser as lone surrogates, which it refuses:
# the refusal then comes after routing and authentication, like every other bad body.
_UNDECODABLE = "surrogateescape"
MAX_JSON_DEPTH = 32
"""The deepest nesting of arrays and objects a body may have (ours need 3). Stated here because
what ``json.loads`` survives depends on the Python version (3.11 stops near 1,000 levels, 3.13 does not)."""


def body_text(event: Mapping[str, Any]) -> str:
    """The request body as text; bytes that are not UTF-8 survive as lone surrogates."""
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return str(body)
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raw = str(body).encode("utf-8", _UNDECODABLE)
    return raw.decode("utf-8", _UNDECODABLE)


def parse_json(text: str) -> Any:
    """The JSON value of ``text``; ``json.JSONDecodeError`` for anything that is not UTF-8 JSON."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise json.JSONDecodeError("the body is not UTF-8", text, error.start) from error
    try:
        value = json.loads(text)
    except RecursionError as error:
        raise json.JSONDecodeError("the body is nested too deeply", text, 0) from error
    _check(value, text)
    return value


def _check(value: Any, text: str) -> None:
    """Refuse ``value`` nested deeper than ``MAX_JSON_DEPTH``, or holding a string that is not valid
    Unicode (json.loads passes ``"\\ud800"`` through, and it would fail later, in DynamoDB or S3).
    Iterative, whatever the depth that parsed."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth == MAX_JSON_DEPTH:
                raise json.JSONDecodeError(f"the body is nested over {MAX_JSON_DEPTH} levels", text, 0)
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as error:
                raise json.JSONDecodeError("a string escapes half of a surrogate pair", text, 0) from error
