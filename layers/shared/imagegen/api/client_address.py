"""Where a public request comes from, for the limits kept per client address
(``Annotated[str, Depends(client_address)]``).

No ``from __future__ import annotations``: Powertools reads a dependency's annotations at run time.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Request
from aws_lambda_powertools.event_handler.depends import Depends

VIEWER_ADDRESS = "cloudfront-viewer-address"


def client_address(request: Request) -> str:
    """The address of the client that sent the request.

    Through API Gateway it is the connection's (``requestContext.http.sourceIp``). Through the site's
    CloudFront (a page at ``/s/*``), the connection is CloudFront's, and the viewer's address is the
    ``CloudFront-Viewer-Address`` header it adds (``203.0.113.7:46532``, ``[2001:db8::1]:443``). That
    header is believed only on a request whose caller IAM authenticated (``requestContext.authorizer.iam``):
    the function URL it arrives at takes only IAM-signed requests, and lets only the distribution
    sign them (origin access control). Anyone else can send the header to API Gateway, where it is
    ignored: believing it there would let a client name a fresh address with every request.
    """
    event: dict[str, Any] = request.resolved_event.raw_event
    context = event.get("requestContext") or {}
    viewer = (event.get("headers") or {}).get(VIEWER_ADDRESS)
    if viewer and (context.get("authorizer") or {}).get("iam"):
        return viewer_ip(str(viewer))
    return str((context.get("http") or {}).get("sourceIp") or "unknown")


def viewer_ip(viewer_address: str) -> str:
    """The IP of a ``CloudFront-Viewer-Address`` (its port dropped, an IPv6 address unbracketed)."""
    host, separator, _port = viewer_address.strip().rpartition(":")
    address = host if separator else viewer_address.strip()
    return address.removeprefix("[").removesuffix("]")


ClientAddress = Annotated[str, Depends(client_address)]
