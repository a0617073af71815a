"""The front end's vendored libraries are exactly the pinned npm files web/vendor/vendor.json names."""

from __future__ import annotations

import hashlib
import json

import pytest

from devstack.template import ROOT

VENDOR = ROOT / "web" / "vendor"
PINNED = json.loads((VENDOR / "vendor.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(PINNED))
def test_a_vendored_file_is_the_pinned_version_byte_for_byte(name: str) -> None:
    pinned = PINNED[name]
    data = (VENDOR / pinned["file"]).read_bytes()

    assert hashlib.sha256(data).hexdigest() == pinned["sha256"]
    assert f"{pinned['package']} v{pinned['version']}".encode() in data[:200]  # its own banner
    assert (VENDOR / f"LICENSE-{pinned['package']}").is_file()


def test_the_front_end_imports_vue_from_the_vendored_file() -> None:
    imports = (ROOT / "web" / "app.js").read_text(encoding="utf-8")
    assert f'from "./vendor/{PINNED["vue"]["file"]}"' in imports
