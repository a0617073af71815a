"""The README's "Try it" commands, run as a new user runs them: in bash, and in zsh (macOS's shell)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from stacktools.template import ROOT
from tests import images
from tests.e2e.conftest import Api, wait_for_image

SHELLS = ["bash", "zsh"]


def readme_block(after: str) -> str:
    """The first ``sh`` code block of the README after the line starting with ``after``."""
    text = (ROOT / "README.md").read_text()
    match = re.search(re.escape(after) + r".*?```sh\n(.*?)```", text, flags=re.S)
    assert match, f"no sh block after {after!r} in the README"
    return match.group(1)


def run(api: Api, shell: str, script: str, workdir: Path, token: str = "") -> str:
    """``script`` against the test's stack (the README's port and /tmp swapped for its own)."""
    script = script.replace("localhost:3000", api.stack.api_url.removeprefix("http://"))
    script = script.replace("/tmp/", f"{workdir}/")  # noqa: S108 - replacing it, not using it
    finished = subprocess.run(  # noqa: S603 - our README, our shell
        [shell, "-e", "-c", script],
        cwd=workdir,
        env={"PATH": "/usr/bin:/bin", "TOKEN": token, "HOME": str(workdir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


@pytest.mark.parametrize("shell", SHELLS)
def test_signing_in_refreshing_and_logging_out_as_the_readme_says(
    api: Api, shell: str, tmp_path: Path
) -> None:
    output = run(api, shell, readme_block("With `make dev` running:"), tmp_path)

    assert output.rstrip().endswith("204")
    assert json.loads((tmp_path / "me.json").read_text())["user"]["email"] == "ada@example.com"


@pytest.mark.parametrize("shell", SHELLS)
def test_uploading_a_photo_as_the_readme_says(api: Api, shell: str, tmp_path: Path) -> None:
    session = api.sign_in(f"readme-{shell}@example.com")
    (tmp_path / "photo.jpg").write_bytes(images.jpeg(800, 600))

    run(api, shell, readme_block("Upload a photo the way a browser does"), tmp_path, session.token)

    image_id = json.loads((tmp_path / "upload.json").read_text())["image"]["id"]
    assert wait_for_image(api, session, image_id)["status"] == "COMPLETED"
