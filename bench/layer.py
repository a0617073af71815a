"""The shared layer as ``sam build`` makes it (wheels for Lambda's arm64, bytecode of the runtime's
Python), unzipped and zipped, beside Lambda's limit on a function's unzipped code and layers."""

from __future__ import annotations

import sys
import tempfile
import zipfile
from pathlib import Path

from bench.report import Report
from stacktools.build import build_layer

LAMBDA_UNZIPPED_LIMIT_MB = 250  # a function and all its layers, unzipped
SHARE_GOAL = 0.5  # half of the limit left for the functions and whatever comes next


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
