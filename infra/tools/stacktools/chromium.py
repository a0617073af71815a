"""Debian's Chromium as the browser tests and the bench launch it (`make test` and `make bench`
install it): one list of flags, so that what the bench measures is the browser the tests drive."""

from __future__ import annotations

import shutil

# No sandbox as root; nothing that would reach for the network beyond loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
]


class ChromiumMissing(RuntimeError):
    """No Chromium on this machine's PATH."""


def chromium() -> str:
    """The path of Debian's Chromium; ``ChromiumMissing`` saying how to get it when there is none."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        raise ChromiumMissing(
            "Chromium is missing: `make test` and `make bench` install it (apt-get install chromium)"
        )
    return executable
