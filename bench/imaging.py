"""``python -m bench.imaging``: what checking an image, making its thumbnail and giving it to the
image model cost; and whether a 4K output (a 16 Mpx PNG) stays within the functions' memory.

Figures only, no pass/fail. Each measurement runs in a fresh interpreter, and its peak
memory is the rise of the process's resident high-water mark (``VmHWM``, reset through
``/proc/self/clear_refs``: Linux only) over what it held once the module was imported and
the file read. Resident memory counts Pillow's C allocations, which ``tracemalloc`` does
not see; ``ru_maxrss`` cannot be reset, and Linux carries it over from the parent process
through fork and exec, so a parent that made a 24 Mpx image would hide a child's peak.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageFilter

RUNS = 5


def photo_like(width: int, height: int) -> Image.Image:
    """Smooth gradients with soft noise: compresses and decodes more like a photo than flat colour."""
    noise = Image.effect_noise((width // 4, height // 4), 48).filter(ImageFilter.GaussianBlur(1))
    return Image.merge(
        "RGB",
        [
            Image.linear_gradient("L").resize((width, height)),
            noise.resize((width, height), Image.Resampling.BILINEAR),
            Image.radial_gradient("L").resize((width, height)),
        ],
    )


FOUR_K = "4096x4096 PNG (4K output)"
CASES: list[tuple[str, str, tuple[int, int], dict[str, object]]] = [
    ("6000x4000 JPEG", "JPEG", (6000, 4000), {"quality": 90}),
    ("4000x3000 PNG", "PNG", (4000, 3000), {"compress_level": 6}),
    ("2000x2000 WebP", "WEBP", (2000, 2000), {"quality": 80}),
    (FOUR_K, "PNG", (4096, 4096), {"compress_level": 6}),
]
# Which function runs each operation on a generated image, for the memory it is given.
FUNCTION_OF = {
    "inspect": "MetadataFunction",
    "thumbnail": "ThumbnailFunction",
    "model_input": "GenerateWorkerFunction",
}


def resident_kib(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (high-water mark) of this process, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def measure(operation: str, path: str) -> None:
    """In the child: time ``operation`` on the file, and the memory its first run took."""
    from imagegen.services.imaging import inspect_image, make_thumbnail, model_input

    data = Path(path).read_bytes()
    run: Callable[[], object] = {
        "inspect": lambda: inspect_image(data),
        "thumbnail": lambda: make_thumbnail(data),
        "model_input": lambda: model_input(data).data,
    }[operation]
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark restarts from here
    baseline_kib = resident_kib("VmRSS")
    samples = []
    result: object = None
    peak_kib = 0
    for _ in range(RUNS):
        started = time.perf_counter()
        result = run()
        samples.append((time.perf_counter() - started) * 1000)
        if len(samples) == 1:
            peak_kib = resident_kib("VmHWM") - baseline_kib
    print(
        json.dumps(
            {
                "ms": statistics.median(samples),
                "first_ms": samples[0],
                "peak_mb": peak_kib / 1024,
                "output_kb": len(result) / 1024 if isinstance(result, bytes) else None,
            }
        )
    )


def in_fresh_interpreter(operation: str, path: Path) -> dict[str, float]:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.imaging", "--measure", operation, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(completed.stdout)
    return figures


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    print(f"\n{title}")
    for row in [header, ["-" * width for width in widths], *rows]:
        print("  " + "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def main() -> None:
    from devstack.template import load_template

    rows = []
    four_k: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as directory:
        for name, image_format, size, params in CASES:
            path = Path(directory) / f"{name.split()[0]}.{image_format.lower()}"
            photo_like(*size).save(path, image_format, **params)
            measured = {operation: in_fresh_interpreter(operation, path) for operation in FUNCTION_OF}
            if name == FOUR_K:
                four_k = measured
            rows.append(
                [
                    name,
                    f"{path.stat().st_size / 2**20:.1f}",
                    f"{measured['inspect']['ms']:.0f}",
                    f"{measured['inspect']['peak_mb']:.0f}",
                    f"{measured['thumbnail']['ms']:.0f}",
                    f"{measured['thumbnail']['first_ms']:.0f}",
                    f"{measured['thumbnail']['peak_mb']:.0f}",
                    f"{measured['thumbnail']['output_kb']:.0f}",
                    f"{measured['model_input']['ms']:.0f}",
                    f"{measured['model_input']['peak_mb']:.0f}",
                ]
            )
    table(
        f"Images: median of {RUNS} runs, one fresh interpreter per operation; peak: VmHWM rise, first run",
        [
            "image",
            "file MB",
            "inspect ms",
            "inspect peak MB",
            "thumbnail ms",
            "first ms",
            "thumbnail peak MB",
            "thumbnail KB",
            "model input ms",
            "model input peak MB",
        ],
        rows,
    )
    template = load_template()
    default_memory = template["Globals"]["Function"]["MemorySize"]
    memory = {
        function: template["Resources"][function]["Properties"].get("MemorySize", default_memory)
        for function in FUNCTION_OF.values()
    }
    table(
        f"{FOUR_K}: each function's peak beside its memory setting (goal: well within it)",
        ["function", "operation", "ms", "peak MB", "MemorySize MB", "share"],
        [
            [
                function,
                operation,
                f"{four_k[operation]['ms']:.0f}",
                f"{four_k[operation]['peak_mb']:.0f}",
                str(memory[function]),
                f"{four_k[operation]['peak_mb'] / memory[function]:.0%}",
            ]
            for operation, function in FUNCTION_OF.items()
        ],
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        measure(sys.argv[2], sys.argv[3])
    else:
        main()
