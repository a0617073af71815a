"""Opaque, tamper-proof page cursors.

A cursor is the DynamoDB key to continue from, signed with a key derived from the
service's secret and bound to a scope (the listing and who asked for it), so a cursor
edited by hand or taken from another user's listing is refused.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from imagegen.errors import BadRequest
from imagegen.signing import mac, same_mac


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Encodes DynamoDB positions as signed cursors and checks them on the way back."""

    def __init__(self, secret: Callable[[], str]) -> None:
        self._secret = secret

    def _signature(self, payload: str, scope: str) -> str:
        return mac(self._secret(), b"page-cursor", f"{scope}\n{payload}", size=18)

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
        if not same_mac(signature, self._signature(payload, scope)):
            raise BadRequest("The cursor is not valid.", {"field": "cursor"})
        try:
            position = json.loads(_unb64(payload))
        except ValueError as error:
            raise BadRequest("The cursor is not valid.", {"field": "cursor"}) from error
        if not isinstance(position, dict):
            raise BadRequest("The cursor is not valid.", {"field": "cursor"})
        return position
