from __future__ import annotations

import copy

import pytest

from devstack.site import SITE_HEADERS_POLICY, site_headers
from devstack.template import TEMPLATE_PATH, load_template

API = "http://127.0.0.1:3000"
IMAGES = "http://127.0.0.1:4566"


def directives(policy: str) -> dict[str, list[str]]:
    parsed = [part.split() for part in policy.split(";") if part.strip()]
    return {name: sources for name, *sources in parsed}


def test_the_local_site_gets_the_templates_policy_with_its_own_origins() -> None:
    headers = site_headers(load_template(TEMPLATE_PATH), API, IMAGES)

    policy = directives(headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'", "'unsafe-eval'", "https://accounts.google.com/gsi/client"]
    assert policy["connect-src"] == ["'self'", API, IMAGES, "https://accounts.google.com/gsi/"]
    assert policy["img-src"] == ["'self'", "data:", IMAGES]
    assert policy["frame-ancestors"] == policy["object-src"] == ["'none'"]
    assert (headers["X-Frame-Options"], headers["X-Content-Type-Options"]) == ("DENY", "nosniff")


def test_a_policy_naming_an_origin_the_local_stack_cannot_fill_in_is_refused() -> None:
    document = copy.deepcopy(load_template(TEMPLATE_PATH))
    security = document["Resources"][SITE_HEADERS_POLICY]["Properties"]["ResponseHeadersPolicyConfig"]
    substitution = security["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"][
        "Fn::Sub"
    ]
    substitution[0] += "; media-src ${MediaOrigin}"

    with pytest.raises(ValueError, match="MediaOrigin"):
        site_headers(document, API, IMAGES)
