from __future__ import annotations

import base64
import copy
import hashlib
import re

import pytest

from stacktools.site import SITE_HEADERS_POLICY, site_file, site_files, site_headers
from stacktools.template import ROOT, TEMPLATE_PATH, load_template

API = "http://127.0.0.1:3000"
IMAGES = "http://127.0.0.1:4566"


def directives(policy: str) -> dict[str, list[str]]:
    parsed = [part.split() for part in policy.split(";") if part.strip()]
    return {name: sources for name, *sources in parsed}


def inline_script_hashes() -> list[str]:
    """The policy's source for each inline script of the page (its import map): its sha256."""
    page = (ROOT / "web" / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, re.DOTALL)
    inline = [script for script in scripts if script.strip()]
    assert len(inline) == 1, "index.html has one inline script, its import map"
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(each.encode()).digest()).decode()}'" for each in inline
    ]


def test_the_local_site_gets_the_templates_policy_with_its_own_origins() -> None:
    headers = site_headers(load_template(TEMPLATE_PATH), API, IMAGES)

    policy = directives(headers["Content-Security-Policy"])
    assert policy["script-src"] == [
        "'self'",
        *inline_script_hashes(),
        "https://accounts.google.com/gsi/client",
    ]
    # No directive lets a string run as code: the templates are compiled ahead of time.
    sources = {source for each in policy.values() for source in each}
    assert not {"'unsafe-eval'", "'unsafe-inline'"} & sources
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


def test_the_site_serves_the_compiled_templates_and_not_their_sources() -> None:
    served = dict(site_files())
    paths = set(served)

    assert {"app.render.js", "components/create.render.js", "vendor/vue.runtime.esm-browser.prod.js"} <= paths
    assert not [path for path in paths if path.endswith(".template.html")]
    assert not {"vendor/fetch.sh", "vendor/vendor.json"} & paths
    assert site_file("components/create.template.html") is None
    assert site_file("components/create.render.js") == served["components/create.render.js"]
