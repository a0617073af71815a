"""A public request's client address: the connection's, or the viewer's that the site's CloudFront gives
on a request CloudFront signed, and never a header anyone may send to the API."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.event_handler import Request
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from imagegen.api.client_address import client_address, viewer_ip
from stacktools.samples import sample_event


def request_of(event: dict[str, Any]) -> Request:
    """The request as Powertools hands it to a route's dependency."""
    return Request("/s/{token}", {"token": "t"}, APIGatewayProxyEventV2(event))


@pytest.mark.parametrize(
    ("viewer", "ip"),
    [
        ("203.0.113.7:46532", "203.0.113.7"),
        ("2001:db8:85a3::8a2e:370:7334:46532", "2001:db8:85a3::8a2e:370:7334"),
        ("[2001:db8::1]:443", "2001:db8::1"),
    ],
)
def test_the_viewers_ip_is_its_address_without_the_port(viewer: str, ip: str) -> None:
    assert viewer_ip(viewer) == ip


def test_through_the_api_the_address_is_the_connections_whatever_the_headers_say() -> None:
    event = sample_event("shares/shared_image.json")
    event["headers"]["cloudfront-viewer-address"] = "198.51.100.99:1234"

    assert client_address(request_of(event)) == event["requestContext"]["http"]["sourceIp"]


def test_through_the_sites_cloudfront_the_address_is_the_viewers() -> None:
    event = sample_event("shares/share_page_through_the_site.json")

    assert event["requestContext"]["http"]["sourceIp"] != "198.51.100.23"
    assert client_address(request_of(event)) == "198.51.100.23"
