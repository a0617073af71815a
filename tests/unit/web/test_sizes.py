"""The page says what size an edit comes out at before it is asked for, by the service's own rule:
its table of sizes in pixels (web/store.js ``LONGER_SIDE``) is the service's
(``imagegen.models.catalog.LONGER_SIDE``), and its catalog's sizes are all in it."""

from __future__ import annotations

import json
import re

from imagegen.models.catalog import LONGER_SIDE, ImageSize
from stacktools.template import ROOT

STORE = (ROOT / "web" / "store.js").read_text(encoding="utf-8")


def test_the_pages_sizes_in_pixels_are_the_services() -> None:
    found = re.search(r"^export const LONGER_SIDE = (\{[^}]*\});$", STORE, re.MULTILINE)
    assert found, "web/store.js declares `export const LONGER_SIDE = { ... };` on one line"

    assert json.loads(found[1]) == LONGER_SIDE
    assert set(LONGER_SIDE) == set(ImageSize.__args__)
