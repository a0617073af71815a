"""docs/api.md, the API reference, keeps step with the routes the template deploys."""

from __future__ import annotations

import re

from imagegen.models.images import ImageFailure
from stacktools.template import ROOT, Template

REFERENCE = ROOT / "docs" / "api.md"


def documented_routes() -> set[str]:
    """The ``METHOD /path`` of every row of the reference's route table."""
    rows = re.findall(r"^\| `(GET|POST|PUT|DELETE) (/[^`]*)`", REFERENCE.read_text(), flags=re.M)
    return {f"{method} {path.split('?')[0]}" for method, path in rows}


def test_every_deployed_route_is_in_the_reference_and_nothing_else() -> None:
    deployed = {
        f"{route.method} {route.path.removeprefix('/api/v1')}"
        for route in Template.load({"GoogleClientId": "docs", "Payments": "enabled"}).http_routes()
        if route.path is not None
    }

    local_only = {route for route in documented_routes() if route.split()[1].startswith("/_dev/")}
    local_pages = {"GET /", "GET /app/", "GET /docs"}  # the front end and the API reference, local only too
    assert deployed == documented_routes() - local_only - local_pages


def test_the_failed_images_table_lists_every_error_code_and_nothing_else() -> None:
    rows = re.findall(r"^  \| `([A-Z_]+)` \| ", REFERENCE.read_text(), flags=re.M)

    assert rows == [code.value for code in ImageFailure]
