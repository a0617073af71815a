"""The shared layer as ``sam build`` makes it (wheels for Lambda's arm64, bytecode of the runtime's
Python), unzipped and zipped, beside Lambda's limit on a function's unzipped code and layers."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from bench.report import Report
from devstack.template import ROOT, load_template

LAMBDA_UNZIPPED_LIMIT_MB = 250  # a function and all its layers, unzipped
SHARE_GOAL = 0.5  # half of the limit left for the functions and whatever comes next


def build(target: str, source: Path, artifacts: Path, *variables: str) -> Path:
    """``sam build``'s step for one resource: its Makefile's ``target`` into ``artifacts``, compiled by
    this interpreter (the runtime's version: the tests check it)."""
    runtime = str(load_template()["Globals"]["Function"]["Runtime"]).removeprefix("python")
    subprocess.run(  # noqa: S603 - our own Makefiles
        [
            "/usr/bin/env",
            "make",
            "--no-print-directory",
            "-C",
            str(source),
            target,
            f"ARTIFACTS_DIR={artifacts}",
            f"LAMBDA_PYTHON={runtime}",
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


def layer_size(report: Report) -> None:
    with tempfile.TemporaryDirectory() as directory:
        layer = build_layer(Path(directory) / "layer")
        files = [path for path in layer.rglob("*") if path.is_file()]
        unzipped = sum(path.stat().st_size for path in files)
        archive = Path(directory) / "layer.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in files:
                zipped.write(path, path.relative_to(layer))
        zipped_size = archive.stat().st_size
        largest = sorted(
            (
                (sum(f.stat().st_size for f in top.rglob("*") if f.is_file()), top.name)
                for top in (layer / "python").iterdir()
                if top.is_dir()
            ),
            reverse=True,
        )[:6]
    share = unzipped / 2**20 / LAMBDA_UNZIPPED_LIMIT_MB
    report.table(
        f"The built layer (arm64, bytecode of Python {sys.version_info.major}.{sys.version_info.minor});"
        f" goal: <= {SHARE_GOAL:.0%} of Lambda's {LAMBDA_UNZIPPED_LIMIT_MB} MB unzipped",
        ["unzipped MB", "zipped MB", "share of limit", "largest packages (MB)", "met"],
        [
            [
                f"{unzipped / 2**20:.1f}",
                f"{zipped_size / 2**20:.1f}",
                f"{share:.0%}",
                ", ".join(f"{name} {size / 2**20:.1f}" for size, name in largest),
                report.goal(
                    "layer unzipped / Lambda's limit",
                    f"{share:.0%}",
                    f"<= {SHARE_GOAL:.0%}",
                    share <= SHARE_GOAL,
                ),
            ]
        ],
    )
