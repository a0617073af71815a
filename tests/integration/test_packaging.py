"""The project's packaging (pyproject.toml): what `make dev` installs on a first run builds without a
warning, and carries the data files the local stack and the API serve."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from stacktools.template import ROOT


def project_copy(folder: Path) -> Path:
    """What the build reads, copied: setuptools builds in the project's folder (its build/)."""
    for path in (
        "pyproject.toml",
        "layers/shared",
        "infra/local/devstack",
        "infra/local/standins",
        "infra/tools/stacktools",
    ):
        source, copy = ROOT / path, folder / path
        if source.is_dir():
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, copy)
    return folder


def test_the_package_builds_without_warnings_and_with_its_data_files(tmp_path: Path) -> None:
    project, wheels = project_copy(tmp_path / "project"), tmp_path / "wheels"
    built = subprocess.run(  # noqa: S603 - this interpreter's pip on our own project
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(wheels), str(project)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )

    output = built.stdout + built.stderr
    # setuptools' warnings are classes (SetuptoolsDeprecationWarning, BuildBackendWarning...); pip's
    # own notes about this machine's package index ("WARNING: ...") are not about the project.
    assert not re.search(r"\w+Warning\b", output), output
    [wheel] = wheels.glob("imagegen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "standins/pages/gsi-client.js" in names
    assert "imagegen/api/openapi.json" in names
    # Every module of every package, subpackages included: one left out of pyproject's list would be
    # missing from an installed (not editable) copy, while the editable install still finds it.
    for package, folder in {
        "imagegen": "layers/shared/imagegen",
        "devstack": "infra/local/devstack",
        "standins": "infra/local/standins",
        "stacktools": "infra/tools/stacktools",
    }.items():
        modules = {
            f"{package}/{path.relative_to(ROOT / folder).as_posix()}"
            for path in (ROOT / folder).rglob("*.py")
            if "__pycache__" not in path.parts
        }
        assert modules <= names, sorted(modules - names)
