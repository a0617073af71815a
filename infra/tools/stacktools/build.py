"""``sam build``'s step for one resource, without SAM: the ``build-<LogicalId>`` target of the
Makefile in its ``CodeUri``, into a directory, its bytecode compiled by this interpreter (the
runtime's version: a test checks it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from stacktools.template import ROOT, load_template

MAKE = shutil.which("make") or "make"


def runtime_version() -> str:
    """The Python version the template deploys, such as ``3.13``."""
    declared = str(load_template()["Globals"]["Function"]["Runtime"])
    if not declared.startswith("python"):
        raise ValueError(f"not a Python runtime: {declared}")
    return declared.removeprefix("python")


def build(target: str, source: Path, artifacts: Path, *variables: str) -> Path:
    """``make -C source target`` into ``artifacts`` (made if missing), as ``sam build`` runs it."""
    artifacts.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 - our own Makefiles
        [
            MAKE,
            "--no-print-directory",
            "-C",
            str(source),
            target,
            f"ARTIFACTS_DIR={artifacts}",
            f"LAMBDA_PYTHON={runtime_version()}",
            f"BYTECODE_PYTHON={sys.executable}",
            f"PIP={sys.executable} -m pip",
            *variables,
        ],
        check=True,
        capture_output=True,
    )
    return artifacts


def build_layer(artifacts: Path, arch: str = "aarch64") -> Path:
    """The shared layer as deployed (``arch``: Lambda's arm64 by default, or this machine's to run it)."""
    return build("build-SharedLayer", ROOT / "layers" / "shared", artifacts, f"LAMBDA_ARCH={arch}")
