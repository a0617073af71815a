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
    if not _encodable(value):
        raise json.JSONDecodeError("a string escapes half of a surrogate pair", text, 0)
    return value


def _encodable(value: Any) -> bool:
    """Whether every string in ``value`` is valid Unicode (json.loads passes ``"\\ud800"`` through,
    and it would fail later, in DynamoDB or S3). Iterative: the depth is whatever parsed."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True
