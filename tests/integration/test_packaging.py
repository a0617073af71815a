"""The project's packaging (pyproject.toml): what `make dev` installs on a first run builds without a
warning, and carries the data files the local stack and the API serve."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

from devstack.template import ROOT


def test_the_package_builds_without_warnings_and_with_its_data_files(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )

    output = built.stdout + built.stderr
    # setuptools' warnings are classes (SetuptoolsDeprecationWarning, BuildBackendWarning...); pip's
    # own notes about this machine's package index ("WARNING: ...") are not about the project.
    assert not re.search(r"\w+Warning\b", output), output
    [wheel] = tmp_path.glob("imagegen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "devstack/pages/gsi-client.js" in names
    assert "imagegen/api/openapi.json" in names
