"""The front end (``web/``) as a site: which files it serves, as what, and its ``config.json``.

One description for both places that serve it: the local stack (at ``/app/``) and ``make deploy``
(into the stack's web bucket, behind CloudFront).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from imagegen.models.users import Languages
from stacktools.template import ROOT

WEB_DIR = ROOT / "web"
SITE_HEADERS_POLICY = "WebResponseHeaders"  # the template's CloudFront response headers for the site
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
}
# Tooling beside the site's files, not part of it: the vendoring script and its pins, and the
# templates' sources (`make templates` compiles each NAME.template.html to the NAME.render.js served).
NOT_SERVED = {"fetch.sh", "vendor.json"}
TEMPLATE_SOURCE = ".template.html"


def content_type(path: Path) -> str:
    """What a file of the site is served as (licences and other text: plain text)."""
    return CONTENT_TYPES.get(path.suffix, "text/plain; charset=utf-8")


def served(path: Path) -> bool:
    """Whether a file under the site's root is the site's (not tooling beside it)."""
    return path.is_file() and path.name not in NOT_SERVED and not path.name.endswith(TEMPLATE_SOURCE)


def site_files(root: Path = WEB_DIR) -> Iterator[tuple[str, Path]]:
    """Every file the site serves, with its path under the site's root."""
    for path in sorted(root.rglob("*")):
        if served(path):
            yield path.relative_to(root).as_posix(), path


def site_file(path: str, root: Path = WEB_DIR) -> Path | None:
    """The file at ``path`` under the site's root; None if it leaves the root or is not served."""
    base = root.resolve()
    file = (base / path).resolve()
    if not file.is_relative_to(base) or not served(file):
        return None
    return file


def site_config(
    api_url: str, google_client_id: str, local_issuer: bool, parameters: Mapping[str, Any]
) -> dict[str, Any]:
    """The front end's ``config.json``: where the API is, how to sign in, what an upload may be (so the
    page refuses a file before asking for a URL) and the languages it speaks, the first the fallback
    (checked as the users' functions check them): from the template's parameters."""
    return {
        "apiUrl": api_url,
        "googleClientId": google_client_id,
        "localIssuer": local_issuer,
        "upload": {
            "acceptedTypes": str(parameters["AcceptedUploadTypes"]).split(","),
            "maxBytes": int(parameters["MaxUploadBytes"]),
            "cost": int(parameters["UploadCost"]),
        },
        "languages": list(Languages.parse(str(parameters["Languages"])).codes),
    }


def site_headers(document: Mapping[str, Any], api_origin: str, images_origin: str) -> dict[str, str]:
    """The security headers CloudFront adds to the site's files (the template's response headers
    policy), for a site whose API and images bucket are at these origins: the same policy, so the
    page is tried locally under what it meets when deployed. (HSTS is left out: it means nothing
    over plain http.)"""
    config = document["Resources"][SITE_HEADERS_POLICY]["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    policy_format, _ = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    policy = str(policy_format).replace("${ApiOrigin}", api_origin).replace("${ImagesOrigins}", images_origin)
    if "${" in policy:
        raise ValueError(
            f"the site's content security policy names an origin the local stack does not know: {policy}"
        )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": security["FrameOptions"]["FrameOption"],
        "Referrer-Policy": security["ReferrerPolicy"]["ReferrerPolicy"],
    }
