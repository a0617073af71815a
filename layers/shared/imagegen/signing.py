"""MACs made with the service's secret, one derived key per purpose (page cursors, refresh tokens),
so that a MAC made for one purpose is worth nothing for another."""

from __future__ import annotations

import base64
import hashlib
import hmac


def mac(secret: str, purpose: bytes, message: str, size: int = 32) -> str:
    """The first ``size`` bytes of the HMAC-SHA256 of ``message`` under ``purpose``'s key, in URL-safe
    base64 without padding."""
    key = hmac.new(secret.encode(), purpose, hashlib.sha256).digest()
    digest = hmac.new(key, message.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()[:size]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def same_mac(presented: str, expected: str) -> bool:
    """Whether a presented MAC is the expected one, in constant time. Compared as bytes:
    ``compare_digest`` refuses str with characters outside ASCII (a 500, once)."""
    return hmac.compare_digest(presented.encode("utf-8", "surrogatepass"), expected.encode())
