"""Opaque, tamper-proof page cursors.

A cursor is the DynamoDB key to continue from, signed with a key derived from the
service's secret and bound to a scope (the listing and who asked for it), so a cursor
edited by hand or taken from another user's listing is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from imagegen.errors import BadRequest


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Encodes DynamoDB positions as signed cursors and checks them on the way back."""

    def __init__(self, secret: Callable[[], str]) -> None:
        self._secret = secret

    def _signature(self, payload: str, scope: str) -> str:
        key = hmac.new(self._secret().encode(), b"page-cursor", hashlib.sha256).digest()
        return _b64(
            hmac.new(key, f"{scope}\n{payload}".encode("utf-8", "surrogatepass"), hashlib.sha256).digest()[
                :18
            ]
        )

    def encode(self, position: dict[str, Any] | None, scope: str) -> str | None:
        """The cursor for ``position`` in the listing ``scope``; None when there is no next page."""
        if position is None:
            return None
        payload = _b64(json.dumps(position, separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{self._signature(payload, scope)}"

    def decode(self, cursor: str | None, scope: str) -> dict[str, Any] | None:
        """The position a cursor stands for; ``BadRequest`` if it was not issued for ``scope``."""
        if not cursor:
            return None
        payload, _, signature = cursor.partition(".")
        # Bytes, not str: compare_digest refuses str with characters outside ASCII.
        expected = self._signature(payload, scope).encode()
        if not hmac.compare_digest(signature.encode("utf-8", "surrogatepass"), expected):
            raise BadRequest("The cursor is not valid.", {"field": "cursor"})
        try:
            position = json.loads(_unb64(payload))
        except ValueError as error:
            raise BadRequest("The cursor is not valid.", {"field": "cursor"}) from error
        if not isinstance(position, dict):
            raise BadRequest("The cursor is not valid.", {"field": "cursor"})
        return position
